"""Dates: numeric (``12-03-1988``, ``1-3-88``, ``12/03/1988``, ``1988-03-12``) and Dutch months."""

from __future__ import annotations

import datetime as dt
import re
from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer

from pseudonymise.redact.entities import DATUM, LANGUAGE, REGEX_FLAGS

_MONTHS = (
    r"jan(?:uari)?|feb(?:ruari)?|maart|mrt|apr(?:il)?|mei|jun(?:i)?|jul(?:i)?|aug(?:ustus)?"
    r"|sep(?:t(?:ember)?)?|okt(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)


class DateRecognizer(PatternRecognizer):
    """Day-month-year in digits (checked to be a real date) and ``12 maart (1988)``."""

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "date_dmy",
            r"(?<![\w.,/-])(?:0?[1-9]|[12]\d|3[01])([-/.])(?:0?[1-9]|1[0-2])\1(?:19|20)?\d{2}"
            r"(?![\w/-]|[.,]\d)",
            0.6,
        ),
        Pattern(
            "date_ymd",
            r"(?<![\w.,/-])(?:19|20)\d{2}([-/])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])"
            r"(?![\w/-]|[.,]\d)",
            0.6,
        ),
        Pattern(
            "date_month_name",
            rf"(?i)(?<![\w-])(?:0?[1-9]|[12]\d|3[01])[ -](?:{_MONTHS})\.?"
            r"(?:[ -](?:19|20)\d{2}|[ -]'\d{2})?(?![\w-])",
            0.6,
        ),
    ]
    CONTEXT: ClassVar[list[str]] = ["geboren", "geb", "datum", "op", "sinds", "geboortedatum"]
    _NUMERIC: ClassVar[re.Pattern[str]] = re.compile(r"\d+")

    def __init__(self) -> None:
        super().__init__(
            supported_entity=DATUM,
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=LANGUAGE,
            global_regex_flags=REGEX_FLAGS,
            name="DateRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        """Numeric dates must exist in the calendar (no 31-02-2020); month-name dates pass."""
        parts = self._NUMERIC.findall(pattern_text)
        if len(parts) != 3:
            return None
        first, second, third = (int(p) for p in parts)
        day, month, year = (third, second, first) if len(parts[0]) == 4 else (first, second, third)
        if year < 100:
            year += 2000 if year < 50 else 1900
        try:
            dt.date(year, month, day)
        except ValueError:
            return False
        return True
