"""BSN (burgerservicenummer): nine digits that pass the 11-test, also written with dots/spaces."""

from __future__ import annotations

import re
from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer

from pseudonymise.redact.entities import BSN, LANGUAGE, REGEX_FLAGS


def elfproef(digits: str) -> bool:
    """The 11-test for BSNs: weights 9..2 and -1; the all-zero number means 'unknown'."""
    if len(digits) != 9 or not digits.isdigit() or digits == "000000000":
        return False
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0


class BsnRecognizer(PatternRecognizer):
    """Nine digits, ``123456782``, ``1234.56.782``, ``123 456 782`` or ``123.456.782``."""

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "bsn",
            r"(?<![\w.,/-])(?:\d{9}|\d{4}\.\d{2}\.\d{3}|\d{3}([ .])\d{3}\1\d{3}"
            r"|\d{2}\.\d{2}\.\d{2}\.\d{3})(?![\w/-]|[.,]\d)",
            0.5,
        ),
    ]
    CONTEXT: ClassVar[list[str]] = ["bsn", "burgerservicenummer", "sofinummer", "sofi"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity=BSN,
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=LANGUAGE,
            global_regex_flags=REGEX_FLAGS,
            name="BsnRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool:
        """Only numbers that pass the 11-test are BSNs."""
        return elfproef(re.sub(r"\D", "", pattern_text))
