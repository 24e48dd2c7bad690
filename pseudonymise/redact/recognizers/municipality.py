"""Municipality names (the 342 CBS municipalities of 2022), written with a capital.

deduce finds most place names from its list of Dutch residences, but leaves out those that are
also ordinary words (``Leiden``, ``Best``, ``Oss`` ...). In an intake note a capitalised
municipality name is a place; this deny-list recognizer, fed from Radar's own reference table,
catches them. Matching is case-sensitive, so the verb ``leiden`` is left alone.
"""

from __future__ import annotations

import re
from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer

from pseudonymise.redact.entities import LANGUAGE, PLAATS, REGEX_FLAGS
from radar.reference import municipalities_2022


def municipality_names() -> list[str]:
    """Names as written by CBS, longest first (so ``Den Haag`` wins over ``Den``)."""
    names = municipalities_2022()["municipality_name"].to_list()
    # CBS writes some with a province suffix ("Bergen (NH.)"); notes use the plain name
    plain = {re.sub(r"\s*\(.*\)$", "", name) for name in names} | {"Den Haag", "Den Bosch"}
    return sorted(plain, key=len, reverse=True)


class MunicipalityRecognizer(PatternRecognizer):
    """Whole-word, case-sensitive match of any municipality name."""

    SCORE: ClassVar[float] = 0.6

    def __init__(self) -> None:
        alternatives = "|".join(re.escape(name) for name in municipality_names())
        super().__init__(
            supported_entity=PLAATS,
            patterns=[Pattern("gemeente", rf"(?<![\w'-])(?:{alternatives})(?![\w-])", self.SCORE)],
            context=["woont", "gemeente", "in", "te"],
            supported_language=LANGUAGE,
            global_regex_flags=REGEX_FLAGS,
            name="MunicipalityRecognizer",
        )
