"""Normalisation of delivered values as polars expressions (vectorised, no per-row Python).

Every function takes an expression of raw strings and returns an expression of normalised
values; a value that cannot be normalised becomes null (the validator records a finding for
it by comparing raw and normalised). Normalisation is idempotent and, for names and places,
insensitive to case, spacing and diacritics.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Final

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

#: Letters that Unicode NFKD does not decompose into ASCII.
_UNDECOMPOSED: Final = {"ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ı": "i"}

#: Tussenvoegsels (BRP table 36, the ones in common use), longest first so that
#: 'van der' wins over 'van'. Folded form: apostrophes removed, so "'t" is 't'.
PREFIXES: Final = (
    "van de la",
    "van der",
    "van den",
    "van het",
    "van ter",
    "van t",
    "in het",
    "in t",
    "op de",
    "op den",
    "op het",
    "op t",
    "uit den",
    "uit de",
    "uit het",
    "uit t",
    "aan de",
    "aan den",
    "aan het",
    "bij de",
    "onder de",
    "over de",
    "voor de",
    "voor den",
    "de la",
    "de le",
    "von der",
    "von dem",
    "van",
    "de",
    "den",
    "der",
    "het",
    "t",
    "ter",
    "ten",
    "te",
    "in",
    "op",
    "la",
    "le",
    "du",
    "da",
    "del",
    "della",
    "di",
    "dos",
    "von",
    "zu",
    "l",
    "d",
    "s",
)
_PREFIX_PATTERN: Final = "^(" + "|".join(PREFIXES) + r") (.+)$"

_SEX_WORDS: Final = {"m": "M", "man": "M", "v": "V", "vrouw": "V", "o": "O", "onbekend": "O"}


def blank_to_null(expr: pl.Expr) -> pl.Expr:
    """Strip surrounding white space; an empty result is null."""
    stripped = expr.str.strip_chars()
    return pl.when(stripped.str.len_bytes() > 0).then(stripped).otherwise(None)


def fold(expr: pl.Expr, *, keep: str = "-") -> pl.Expr:
    """Lowercase ASCII: diacritics removed, apostrophes dropped, other punctuation a space.

    ``keep`` lists punctuation kept as is (a hyphen by default: double surnames).
    """
    text = (
        expr.str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_lowercase()
        .str.replace_many(_UNDECOMPOSED)
        .str.replace_all(r"['’`´]", "")
        .str.replace_all(rf"[^a-z0-9{keep}]+", " ")
        .str.replace_all(r"\s*-\s*", "-")
    )
    return blank_to_null(text.str.strip_chars(" -"))


def category(expr: pl.Expr, allowed: tuple[str, ...]) -> pl.Expr:
    """A category value in any case, with spaces or hyphens for underscores; null if unknown."""
    value = fold(expr, keep="_").str.replace_all(r"[ _]+", "_")
    return pl.when(value.is_in(allowed)).then(value).otherwise(None)


def category_list(expr: pl.Expr, allowed: tuple[str, ...]) -> pl.Expr:
    """A ``;``-separated (tolerated: ``,`` or ``|``) list of categories, known ones, sorted."""
    items = expr.str.replace_all(r"[,|]", ";").str.split(";")
    return (
        items.list.eval(category(pl.element(), allowed)).list.drop_nulls().list.unique().list.sort()
    )


def code(expr: pl.Expr) -> pl.Expr:
    """A code such as a region or municipality code: upper case, no spaces."""
    return blank_to_null(expr.str.replace_all(r"\s+", "").str.to_uppercase())


def signal_date(expr: pl.Expr) -> pl.Expr:
    """``YYYY-MM-DD``, tolerating ``DD-MM-YYYY``; null when it is not a real date."""
    text = expr.str.strip_chars()
    return (
        pl.when(text.str.contains(r"^\d{4}-\d{2}-\d{2}$"))
        .then(text.str.to_date("%Y-%m-%d", strict=False))
        .when(text.str.contains(r"^\d{2}-\d{2}-\d{4}$"))
        .then(text.str.to_date("%d-%m-%Y", strict=False))
        .otherwise(None)
    )


def birth_date_number(expr: pl.Expr) -> pl.Expr:
    """A birth date as the integer ``YYYYMMDD`` (``00`` for an unknown month or day).

    Accepts ``YYYY-MM-DD``, ``YYYYMMDD``, ``YYYYMM00`` (day unknown), ``YYYY0000`` (only the
    year) and ``DD-MM-YYYY``; anything else is null.
    """
    text = expr.str.strip_chars()
    compact = (
        pl.when(text.str.contains(r"^\d{4}-?\d{2}-?\d{2}$"))
        .then(text.str.replace_all("-", "", literal=True))
        .when(text.str.contains(r"^\d{2}-\d{2}-\d{4}$"))
        .then(text.str.slice(6, 4) + text.str.slice(3, 2) + text.str.slice(0, 2))
    )
    return compact.str.to_integer(strict=False)


def birth_date_parts(number: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Year, month and day of a :func:`birth_date_number`, keeping what a partial date knows.

    An impossible date (month 13, 30 February, before 1900) gives three nulls. Integer
    arithmetic only: no string-to-date parsing.
    """
    year, month, day = number // 10_000, number // 100 % 100, number % 100
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days_in_month = (
        pl.when(month == 2)
        .then(pl.when(leap).then(29).otherwise(28))
        .when(month.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )
    valid = (
        (year >= 1900)
        & month.is_between(0, 12)
        & (day <= days_in_month)
        & ((month > 0) | (day == 0))
    )
    return (
        pl.when(valid).then(year).cast(pl.Int16),
        pl.when(valid & (month > 0)).then(month).cast(pl.Int8),
        pl.when(valid & (month > 0) & (day > 0)).then(day).cast(pl.Int8),
    )


def bsn_digits(expr: pl.Expr) -> pl.Expr:
    """The digits of a BSN written with spaces, dots or dashes; 8 digits get their leading zero."""
    digits = blank_to_null(expr.str.replace_all(r"[\s.\-]", ""))
    return pl.when(digits.str.contains(r"^\d{8}$")).then("0" + digits).otherwise(digits)


def passes_elfproef(digits: pl.Expr) -> pl.Expr:
    """The 11-test: sum of digit × (9, 8, ..., 2, -1) is a multiple of 11 (and not zero)."""
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    number = digits.str.to_integer(strict=False)
    total = pl.sum_horizontal((number // 10 ** (8 - i) % 10) * w for i, w in enumerate(weights))
    return digits.str.contains(r"^\d{9}$") & (total % 11 == 0) & (total != 0)


def bsn_status(digits: pl.Expr) -> pl.Expr:
    """``missing``, ``unknown`` (000000000), ``unborn`` (999999999), ``valid`` or ``invalid``."""
    return (
        pl.when(digits.is_null())
        .then(pl.lit("missing"))
        .when(digits == "000000000")
        .then(pl.lit("unknown"))
        .when(digits == "999999999")
        .then(pl.lit("unborn"))
        .when(passes_elfproef(digits))
        .then(pl.lit("valid"))
        .otherwise(pl.lit("invalid"))
    )


def first_names(expr: pl.Expr) -> pl.Expr:
    """Given names folded; initials like ``J.P.`` become ``j p``."""
    return fold(expr)


def initials_only(names: pl.Expr) -> pl.Expr:
    """True when every given name is a single letter."""
    return names.str.contains(r"^[a-z]( [a-z])*$")


def split_surname(prefix: pl.Expr, surname: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Folded tussenvoegsel and surname, taking a prefix written inside the surname out of it.

    ``('', 'de Vries')`` and ``('de', 'Vries')`` both give ``('de', 'vries')``; a double name
    ``Jansen-de Vries`` keeps its second part.
    """
    given_prefix = fold(prefix)
    name = fold(surname)
    # A prefix repeated inside the surname ("van der", "van der Berg") is taken out once.
    repeated = pl.concat_str([given_prefix, pl.lit(" ")])
    name = (
        pl.when(given_prefix.is_not_null() & name.str.starts_with(repeated))
        .then(name.str.slice(repeated.str.len_chars()))
        .otherwise(name)
    )
    inside = name.str.extract_groups(_PREFIX_PATTERN)
    found_prefix = inside.struct.field("1")
    has_inside = given_prefix.is_null() & found_prefix.is_not_null()
    return (
        pl.when(has_inside).then(found_prefix).otherwise(given_prefix),
        pl.when(has_inside).then(inside.struct.field("2")).otherwise(name),
    )


def sex(expr: pl.Expr) -> pl.Expr:
    """``M``, ``V`` or ``O`` (also from the words man, vrouw, onbekend)."""
    return fold(expr).replace_strict(_SEX_WORDS, default=None, return_dtype=pl.String)


def small_int(expr: pl.Expr, low: int, high: int, dtype: pl.DataType) -> pl.Expr:
    """A whole number in ``low..high``; null otherwise."""
    value = expr.str.strip_chars().cast(pl.Int64, strict=False)
    return pl.when(value.is_between(low, high)).then(value).otherwise(None).cast(dtype)


def house_number(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Number and suffix: ``12A`` → (12, 'a'), ``12-2`` → (12, '2'), ``12 bis`` → (12, 'bis')."""
    parts = expr.str.strip_chars().str.extract_groups(r"^(\d{1,6})\s*[-/]?\s*(.*)$")
    number = parts.struct.field("1").cast(pl.Int32, strict=False)
    suffix = blank_to_null(
        parts.struct.field("2").str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")
    )
    return number, pl.when(number.is_not_null()).then(suffix).otherwise(None)


def postcode(expr: pl.Expr) -> pl.Expr:
    """``1234AB`` from ``1234 ab`` and similar; null when not a Dutch postcode."""
    value = expr.str.replace_all(r"\s+", "").str.to_uppercase()
    return pl.when(value.str.contains(r"^[1-9]\d{3}[A-Z]{2}$")).then(value).otherwise(None)


def phone(expr: pl.Expr) -> pl.Expr:
    """A Dutch phone number in international digits (``31612345678``); null when not one.

    The digits are ``0031``, ``31`` or ``0`` and then a national number of nine digits not
    starting with a zero (the three forms exclude each other, so one pattern takes them).
    """
    digits = (
        expr.str.replace_all("(0)", "", literal=True)
        .str.replace(r"^\s*\+", "00")
        .str.replace_all(r"\D", "")
    )
    return pl.lit("31") + digits.str.extract(r"^(?:0031|31|0)([1-9]\d{8})$", 1)


#: Inputs of one normalisation and its stages (each stage sees the columns of the ones before).
#: An output named with a leading ``__`` is a step for later stages only: it is not added to the
#: rows (taking a column to every row costs about 0.02 s CPU per million rows).
ByValue = tuple[list[str], list[dict[str, pl.Expr]]]
INTERMEDIATE: Final = "__"


def _encode(column: pl.Series) -> tuple[pl.Series, np.ndarray]:
    """A column's distinct values, a null last, and each row's index among them (one hash pass)."""
    # Polars' own string views: no conversion to Arrow's contiguous strings (a copy).
    encoded = pc.dictionary_encode(column.to_arrow(compat_level=pl.CompatLevel.newest()))
    values = pl.Series(column.name, encoded.dictionary, dtype=column.dtype)
    values = values.extend(pl.Series(column.name, [None], dtype=column.dtype))
    codes = pl.Series(encoded.indices).fill_null(values.len() - 1).to_numpy()
    return values, codes.astype(np.int64, copy=False)


def distinct_rows(frame: pl.DataFrame, inputs: list[str]) -> tuple[pl.DataFrame, pl.Series]:
    """The distinct values of ``inputs`` (null included) and, per row, the index of its value.

    ``frame[inputs]`` equals ``distinct[index]``. Each column is dictionary-encoded (Arrow);
    the codes of several columns are combined into one integer, which is encoded in turn.
    """
    first, *rest = inputs
    values, codes = _encode(frame.get_column(first))
    distinct = values.to_frame()
    for name in rest:
        values, own = _encode(frame.get_column(name))
        combined = pc.dictionary_encode(pa.array(codes * values.len() + own))
        pairs = combined.dictionary.to_numpy()
        distinct = distinct[pairs // values.len()].with_columns(
            values.gather(pl.Series(pairs % values.len()))
        )
        codes = combined.indices.to_numpy().astype(np.int64)
    return distinct, pl.Series(codes, dtype=pl.UInt32)


def with_normalised(raw: pl.DataFrame, groups: list[ByValue]) -> pl.DataFrame:
    """``raw`` with every group's outputs added, each computed once per distinct input value.

    Names, places and categories repeat a lot, so normalising the distinct values and taking
    each row's result by its value's index is several times cheaper than normalising every
    row (and than joining the results back). All groups' distinct values are normalised as one
    concurrent batch.
    """
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # Arrow frees the GIL
        encoded = list(pool.map(lambda group: distinct_rows(raw, group[0]), groups))
    queries = []
    for (inputs, stages), (distinct, index) in zip(groups, encoded, strict=True):
        query = distinct.lazy()
        for stage in stages:
            query = query.with_columns(expr.alias(name) for name, expr in stage.items())
        # Gathering in the query costs a fraction of DataFrame.__getitem__ (polars 2.1).
        query = query.drop(inputs).select(pl.exclude(f"^{INTERMEDIATE}.*$"))
        queries.append(query.select(pl.all().gather(pl.lit(index))))
    return raw.hstack([column for frame in pl.collect_all(queries) for column in frame])
