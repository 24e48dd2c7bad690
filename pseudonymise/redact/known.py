"""Identifiers Radar already knows about a signal, found in its note however they are written.

The structured person rows of a signal give its names, street, place, postcode, phone, BSN and
birth date in normalised form (lowercase ASCII, apostrophes dropped, phones as ``31612345678``,
dates as ``YYYY-MM-DD``). A note writes them as people do: ``Fatima El Amrani``, ``Müller``,
``'t Hart``, ``06-12345678``, ``+31 6 1234 5678``, ``6211 ab``, ``1234.56.782``,
``12 maart 1988``. ``KnownMatcher`` holds the known values of one note as lookup keys and finds
their written forms with patterns compiled once (no regex is compiled per note):

* the note is folded to lowercase ASCII with the *same length* (``Ü`` -> ``u``, ``’`` -> ``'``),
  so offsets in the folded text are offsets in the note;
* names, streets and places: runs of whole words (letters and digits) joined by spaces,
  hyphens, apostrophes or dots whose concatenation equals a known value without its separators
  (``D'Souza``, ``'t Hart``, ``Jansen - de Vries``, ``'s-Hertogenbosch``); word-bounded by
  construction, so ``ali`` is never found inside ``kwaliteit``. Every word of a name that is
  not a tussenvoegsel is also found on its own; a street takes the house number after it;
* phones and BSNs: the digits of the note with at most three separators (spaces, ``.-/()``)
  between two digits, not glued to another digit; a phone in its ``31...``, ``0031...``,
  ``31(0)...`` and national ``0...`` forms; postcodes with or without a space;
* birth dates in numeric forms (``12-3-88``, ``12/03/1988``, ``1988-03-12``, ``12031988``) and
  with a Dutch month (``12 mrt. 1988``, ``12 maart`` without a year);
* values shorter than ``MIN_CHARS`` (initials) are ignored.

The redactor replaces every match and afterwards checks that none occurs in the redacted text
(see ``redactor``): a note in which a known identifier survives is withheld.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from pseudonymise.redact.entities import ADRES, BSN, DATUM, PERSOON, PLAATS, POSTCODE, TELEFOON
from radar.errors import RadarError
from radar.intake.normalise import PREFIXES

KnownIdentifier = tuple[str, str]  # (entity type, normalised value)
Span = tuple[str, int, int]  # (entity type, start, end)

KNOWN_TYPES: Final[tuple[str, ...]] = (PERSOON, ADRES, PLAATS, POSTCODE, TELEFOON, BSN, DATUM)
MIN_CHARS: Final = 2
NAME_TYPES: Final = frozenset({PERSOON, ADRES, PLAATS})

# name particles never searched on their own (they are redacted as part of the whole name)
_PARTICLES: Final = frozenset(PREFIXES) | {"el", "al", "ben", "bin", "ibn", "abu", "y"}
_APOSTROPHES: Final = "'’‘`´ʼ"
_UNDECOMPOSED: Final = {"ø": "o", "ł": "l", "đ": "d", "ı": "i", "ð": "d", "þ": "t"}
_LIGATURES: Final = {"ß": "ss", "æ": "ae", "œ": "oe"}  # folded to two letters by the intake
_MONTHS: Final = (
    ("januari", "jan"),
    ("februari", "feb"),
    ("maart", "mrt", "mar"),
    ("april", "apr"),
    ("mei",),
    ("juni", "jun"),
    ("juli", "jul"),
    ("augustus", "aug"),
    ("september", "sept", "sep"),
    ("oktober", "okt", "oct"),
    ("november", "nov"),
    ("december", "dec"),
)
_MONTH_NUMBER: Final = {name: i + 1 for i, names in enumerate(_MONTHS) for name in names}

_WORD: Final = re.compile(r"[^\W_]+")
_NAME_GAP: Final = re.compile(r"[\s\-'.]{1,4}")
_DIGIT: Final = re.compile(r"\d")
_DIGIT_GAP: Final = re.compile(r"[\s.\-/()]{0,3}")
_POSTCODE: Final = re.compile(r"(?<![^\W_])(\d{4})[\s\-]{0,2}([a-z]{2})(?![^\W_])")
_DATE_SEP: Final = r"(?:\s?[-/.]\s?|\s)"
_NUMERIC_DATE: Final = re.compile(
    rf"(?<![\w])(?:(\d{{1,2}}){_DATE_SEP}(\d{{1,2}}){_DATE_SEP}(\d{{4}}|'?\d{{2}})"
    rf"|(\d{{4}}){_DATE_SEP}(\d{{1,2}}){_DATE_SEP}(\d{{1,2}}))(?!\d)"
)
_MONTH_DATE: Final = re.compile(
    r"(?<![\w])(\d{1,2})\s*(?:e\s+)?("
    + "|".join(sorted(_MONTH_NUMBER, key=len, reverse=True))
    + r")\.?(?:[\s\-]*(\d{4}|'\d{2}))?(?![^\W_])"
)


class KnownIdentifierError(RadarError):
    """A known identifier has an entity type the redactor does not support (type is named)."""


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {ord(a): "'" for a in _APOSTROPHES}
    for code in range(0x80, 0x2B0):
        char = chr(code)
        if char.lower() in _UNDECOMPOSED:
            table[code] = _UNDECOMPOSED[char.lower()]
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        if len(base) == 1 and base.isascii() and base.isalpha():
            table[code] = base.lower()
    return table


_FOLD: Final = _fold_table()


def fold_text(text: str) -> str:
    """Lowercase, Latin letters without diacritics, one character for one (offsets kept)."""
    folded = text.translate(_FOLD).lower()
    if len(folded) == len(text):
        return folded
    return "".join(c.lower()[:1] or c for c in text.translate(_FOLD))  # rare: 'İ' and the like


def _expand(word: str) -> str:
    for char, pair in _LIGATURES.items():
        word = word.replace(char, pair)
    return word


def _name_key(text: str) -> str:
    return re.sub(r"[\W_]+", "", _expand(fold_text(text)))


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _phone_forms(digits: str) -> list[str]:
    if digits.startswith("31") and len(digits) == 11:
        rest = digits[2:]
        return [digits, "00" + digits, "310" + rest, "0" + rest]
    return [digits]


def _date_key(value: str) -> tuple[int, int, int] | None:
    found = re.fullmatch(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*", value)
    if found is None:
        return None
    year, month, day = (int(g) for g in found.groups())
    return (year, month, day) if 1 <= month <= 12 and 1 <= day <= 31 else None


def _year(text: str | None) -> int | None:
    if not text:
        return None
    return int(text.lstrip("'"))


def check_types(known: Sequence[KnownIdentifier]) -> None:
    """Raise ``KnownIdentifierError`` for an entity type outside ``KNOWN_TYPES``."""
    for entity, _ in known:
        if entity not in KNOWN_TYPES:
            raise KnownIdentifierError(f"known identifier of unsupported type {entity!r}")


@dataclass(frozen=True, slots=True)
class KnownMatcher:
    """The known values of one note as lookup keys; ``spans`` finds them in a text."""

    names: dict[str, str]  # name key (folded, no separators) -> entity type
    prefixes: frozenset[str]  # every prefix of a name key
    max_words: int
    numbers: dict[str, str]  # digit string -> entity type (phones, BSNs, padded dates)
    postcodes: frozenset[str]
    dates: frozenset[tuple[int, int, int]]

    @classmethod
    def build(cls, known: Sequence[KnownIdentifier]) -> KnownMatcher | None:
        """The matcher, or ``None`` when no known value is long enough to search for."""
        check_types(known)
        names: dict[str, str] = {}
        numbers: dict[str, str] = {}
        postcodes: set[str] = set()
        dates: set[tuple[int, int, int]] = set()
        max_words = 1
        for entity, value in known:
            if entity in NAME_TYPES:
                words = [w for w in (_name_key(p) for p in re.split(r"[\s\-.]+", value)) if w]
                whole = "".join(words)
                if len(whole) < MIN_CHARS:
                    continue
                names.setdefault(whole, entity)
                max_words = max(max_words, len(words) + 2)  # a note may split a word ('s-)
                if entity == PERSOON and len(words) > 1:
                    for word in words:
                        if len(word) >= MIN_CHARS and word not in _PARTICLES:
                            names.setdefault(word, entity)
            elif entity == DATUM:
                date = _date_key(value)
                if date is not None:
                    dates.add(date)
                    year, month, day = date
                    numbers.setdefault(f"{day:02d}{month:02d}{year}", DATUM)
                    numbers.setdefault(f"{year}{month:02d}{day:02d}", DATUM)
            elif entity == POSTCODE:
                code = re.sub(r"[\s\-]", "", fold_text(value))
                if len(code) >= MIN_CHARS:
                    postcodes.add(code)
            else:
                digits = _digits(value)
                if len(digits) < MIN_CHARS:
                    continue
                forms = _phone_forms(digits) if entity == TELEFOON else [digits]
                for form in forms:
                    numbers.setdefault(form, entity)
        if not (names or numbers or postcodes or dates):
            return None
        prefixes = frozenset(key[:i] for key in names for i in range(1, len(key) + 1))
        return cls(names, prefixes, max_words, numbers, frozenset(postcodes), frozenset(dates))

    def spans(self, text: str) -> list[Span]:
        """``(entity type, start, end)`` of every known value written in ``text``."""
        folded = fold_text(text)
        found: list[Span] = []
        if self.names:
            found += self._name_spans(folded)
        if self.numbers:
            found += self._number_spans(folded)
        if self.postcodes:
            found += [
                (POSTCODE, m.start(), m.end())
                for m in _POSTCODE.finditer(folded)
                if m[1] + m[2] in self.postcodes
            ]
        if self.dates:
            found += self._date_spans(folded)
        return found

    def occurs(self, text: str) -> bool:
        """Whether any known value is still written in ``text``."""
        return bool(self.spans(text))

    def _name_spans(self, folded: str) -> list[Span]:
        matches = list(_WORD.finditer(folded))
        keys = [m.group() for m in matches]
        if any(char in folded for char in _LIGATURES):
            keys = [_expand(key) for key in keys]
        found: list[Span] = []
        for i, first in enumerate(keys):
            if first not in self.prefixes:
                continue
            key, best = "", None
            for j in range(i, min(len(keys), i + self.max_words)):
                gap = (matches[j - 1].end(), matches[j].start()) if j > i else None
                if gap is not None and not _NAME_GAP.fullmatch(folded, *gap):
                    break
                key += keys[j]
                if key not in self.prefixes:
                    break
                if key in self.names:
                    best = (self.names[key], j)
            if best is None:
                continue
            entity, last = best
            end = matches[last].end()
            if entity == ADRES and last + 1 < len(keys):  # the house number after a street
                after = matches[last + 1]
                if after.group()[0].isdigit() and folded[end : after.start()].isspace():
                    end = after.end()
            start = matches[i].start()
            if start > 0 and folded[start - 1] == "'":  # "'t Hart": the apostrophe goes too
                start -= 1
            found.append((entity, start, end))
        return found

    def _number_spans(self, folded: str) -> list[Span]:
        positions = [m.start() for m in _DIGIT.finditer(folded)]
        digits = "".join(folded[p] for p in positions)
        found: list[Span] = []
        for form, entity in self.numbers.items():
            at = digits.find(form)
            while at != -1:
                end = at + len(form)
                glued_left = at > 0 and positions[at - 1] + 1 == positions[at]
                glued_right = end < len(positions) and positions[end - 1] + 1 == positions[end]
                joined = all(
                    _DIGIT_GAP.fullmatch(folded, positions[k] + 1, positions[k + 1])
                    for k in range(at, end - 1)
                )
                if joined and not glued_left and not glued_right:
                    found.append((entity, positions[at], positions[end - 1] + 1))
                at = digits.find(form, at + 1)
        return found

    def _date_spans(self, folded: str) -> list[Span]:
        found: list[Span] = []
        for m in _NUMERIC_DATE.finditer(folded):
            if m[1] is not None:
                day, month, year = int(m[1]), int(m[2]), _year(m[3])
            else:
                year, month, day = int(m[4]), int(m[5]), int(m[6])
            if self._is_known(day, month, year):
                found.append((DATUM, m.start(), m.end()))
        for m in _MONTH_DATE.finditer(folded):
            if self._is_known(int(m[1]), _MONTH_NUMBER[m[2]], _year(m[3])):
                found.append((DATUM, m.start(), m.end()))
        return found

    def _is_known(self, day: int, month: int, year: int | None) -> bool:
        """A known date; a year of two digits matches its century, no year matches any."""
        return any(
            d == day and m == month and (year is None or year in (y, y % 100))
            for y, m, d in self.dates
        )
