"""Dutch phone numbers: mobile and landline, national or +31/0031, with or without separators."""

from __future__ import annotations

import re
from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer

from pseudonymise.redact.entities import LANGUAGE, REGEX_FLAGS, TELEFOON


class PhoneRecognizer(PatternRecognizer):
    """``06-12345678``, ``+31 6 1234 5678``, ``043-3214567``, ``(043) 321 45 67``, ``0031 ...``.

    The pattern finds a run of digits with single separators; the check accepts it only when it
    holds exactly the nine digits of a Dutch number after the trunk ``0`` or country code. A
    number glued to letters (the digits inside ``NL91ABNA0417164300``) never matches; digits of
    a spaced IBAN can, but the IBAN finding then covers them and wins the overlap.
    """

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "phone",
            r"(?<![\w+/.,-])"
            r"(?:(?:\+31|0031)[ -]?(?:\(0\)[ -]?)?[1-9]|\(0[1-9]\d{1,2}\)[ -]?\d|0[1-9])"
            r"(?:[ -]?\d){5,9}(?![\w/-]|[.,]\d)",
            0.5,
        ),
    ]
    CONTEXT: ClassVar[list[str]] = ["tel", "telefoon", "telefoonnummer", "mobiel", "bellen"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity=TELEFOON,
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=LANGUAGE,
            global_regex_flags=REGEX_FLAGS,
            name="PhoneRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool:
        """Exactly a Dutch number: 0 + nine digits, or 31 + nine digits."""
        digits = re.sub(r"\D", "", pattern_text)
        if digits.startswith("0031"):
            digits = digits[4:]
        elif pattern_text.startswith("+31"):
            digits = digits[2:]
        else:
            digits = digits[1:]
        digits = digits.removeprefix("0")  # +31 (0)6 ...
        return len(digits) == 9 and digits[0] != "0"
