"""Dutch postcodes: four digits (not starting with 0) and two letters, ``6211 AB`` / ``6211AB``."""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer

from pseudonymise.redact.entities import LANGUAGE, POSTCODE, REGEX_FLAGS


class PostcodeRecognizer(PatternRecognizer):
    """Postcodes; lower-case letters after a space only when they are not a Dutch word or unit.

    ``1988 en`` (a year followed by 'en') or ``250 mg`` must not become a postcode, and the
    letter combinations SA, SD and SS are never issued.
    """

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("postcode", r"(?<![\w-])[1-9]\d{3} ?[A-Za-z]{2}(?![\w-])", 0.6),
    ]
    CONTEXT: ClassVar[list[str]] = ["postcode", "adres", "woonadres", "woont"]
    NOT_LETTERS: ClassVar[frozenset[str]] = frozenset(
        {
            "en", "in", "op", "is", "om", "te", "al", "er", "of", "na", "zo", "nu", "ja", "de",
            "ik", "je", "we", "ze", "hy", "mg", "ml", "kg", "km", "cm", "mm", "gr", "uu", "ie",
            "sa", "sd", "ss", "dd", "wk", "jr", "ct",
        }
    )

    def __init__(self) -> None:
        super().__init__(
            supported_entity=POSTCODE,
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=LANGUAGE,
            global_regex_flags=REGEX_FLAGS,
            name="PostcodeRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool:
        """Reject never-issued letters and lower-case words or units after a number."""
        letters = pattern_text[-2:]
        if letters.upper() in {"SA", "SD", "SS"}:
            return False
        return letters.isupper() or letters not in self.NOT_LETTERS
