"""Dutch postcodes: four digits and two letters, ``6211 AB`` / ``6211AB``, issued or not.

A redactor errs on the side of hiding: every four-digit + two-capital form is a postcode, also
the letter pairs SA, SD and SS that PostNL never issues and a leading zero (a typo is still an
address). Lower-case letters: never a short Dutch word after a space (``1988 en``); a unit
(``2500 mg``, ``7576km``) only with a postcode context word nearby (its score stays below the
threshold otherwise); any other pair, glued or not, always.
"""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer

from pseudonymise.redact.entities import LANGUAGE, POSTCODE, REGEX_FLAGS


class PostcodeRecognizer(PatternRecognizer):
    """Postcodes; lower-case letters after the digits only when they are not a word or unit."""

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("postcode", r"(?<![\w-])\d{4} ?[A-Z]{2}(?![\w-])", 0.6),
        Pattern("postcode_lower", r"(?<![\w-])\d{4} ?(?:[a-z][A-Za-z]|[A-Z][a-z])(?![\w-])", 0.3),
    ]
    CONTEXT: ClassVar[list[str]] = ["postcode", "adres", "woonadres", "woont"]
    WORDS: ClassVar[frozenset[str]] = frozenset(
        {
            "en",
            "in",
            "op",
            "is",
            "om",
            "te",
            "al",
            "er",
            "of",
            "na",
            "zo",
            "nu",
            "ja",
            "de",
            "ik",
            "je",
            "we",
            "ze",
            "hy",
            "uu",
            "ie",
            "dd",
            "wk",
            "jr",
            "ct",
        }
    )
    UNITS: ClassVar[frozenset[str]] = frozenset({"mg", "ml", "kg", "km", "cm", "mm", "gr"})

    def __init__(self) -> None:
        super().__init__(
            supported_entity=POSTCODE,
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=LANGUAGE,
            global_regex_flags=REGEX_FLAGS,
            name="PostcodeRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        """Capitals: certain; a Dutch word: not; a unit: left to context; other pairs: certain."""
        letters = pattern_text[-2:]
        if letters.isupper():
            return True
        if letters.lower() in self.WORDS and " " in pattern_text:
            return False  # "1988 en"; glued ("6231ze") it is no word
        return None if letters.lower() in self.UNITS else True
