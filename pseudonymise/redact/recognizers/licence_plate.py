"""Dutch licence plates (kentekens) in the sidecodes 1-14, with or without dashes."""

from __future__ import annotations

import re
from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer

from pseudonymise.redact.entities import KENTEKEN, LANGUAGE, REGEX_FLAGS

# X = letter, 9 = digit; https://nl.wikipedia.org/wiki/Nederlands_kenteken#Alfanumerieke_reeksen
SIDECODES: frozenset[str] = frozenset(
    {
        "XX-99-99",
        "99-99-XX",
        "99-XX-99",
        "XX-99-XX",
        "XX-XX-99",
        "99-XX-XX",
        "99-XXX-9",
        "9-XXX-99",
        "XX-999-X",
        "X-999-XX",
        "XXX-99-X",
        "X-99-XXX",
        "9-XX-999",
        "999-XX-9",
    }
)
_COMPACT = frozenset(s.replace("-", "") for s in SIDECODES)


def sidecode(text: str) -> str:
    """The shape of ``text``: letters as X, digits as 9 (``'AB-123-C'`` -> ``'XX-999-X'``)."""
    return re.sub(r"\d", "9", re.sub(r"[A-Z]", "X", text))


class LicencePlateRecognizer(PatternRecognizer):
    """``XX-999-X`` and the other sidecodes; without dashes only with a context word nearby.

    The patterns find the general shape; ``validate_result`` keeps real sidecodes. A plate with
    dashes is certain; one without (``XX999X``) keeps its low score, so only a context word
    (kenteken, auto ...) lifts it over the threshold.
    """

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "kenteken_dashes",
            r"(?<![\w-])[A-Z0-9]{1,3}-[A-Z0-9]{2,3}-[A-Z0-9]{1,3}(?![\w-])",
            0.7,
        ),
        Pattern("kenteken_compact", r"(?<![\w-])[A-Z0-9]{6}(?![\w-])", 0.2),
    ]
    CONTEXT: ClassVar[list[str]] = ["kenteken", "auto", "voertuig", "scooter", "bus", "rdw"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity=KENTEKEN,
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=LANGUAGE,
            global_regex_flags=REGEX_FLAGS,
            name="LicencePlateRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        """A real sidecode with dashes: certain; without dashes: left to context; else not."""
        shape = sidecode(pattern_text)
        if "-" in shape:
            return shape in SIDECODES
        return None if shape in _COMPACT else False
