"""IBAN bank account numbers that pass the mod-97 check, compact or in groups of four."""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer

from pseudonymise.redact.entities import IBAN, LANGUAGE, REGEX_FLAGS


def iban_valid(text: str) -> bool:
    """The ISO 13616 check: move the first four characters to the end, letters as 10..35."""
    compact = text.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact.isalnum():
        return False
    if compact.startswith("NL") and len(compact) != 18:
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


class IbanRecognizer(PatternRecognizer):
    """``NL91ABNA0417164300`` or ``NL91 ABNA 0417 1643 00`` (any country, checksum decides)."""

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "iban",
            r"(?<![\w-])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![\w-])",
            0.5,
        ),
    ]
    CONTEXT: ClassVar[list[str]] = ["iban", "rekening", "rekeningnummer", "bank"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity=IBAN,
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=LANGUAGE,
            global_regex_flags=REGEX_FLAGS,
            name="IbanRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool:
        """Only strings that pass mod-97 are IBANs."""
        return iban_valid(pattern_text)
