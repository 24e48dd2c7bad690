"""Keyed tokens: HMAC-SHA256 over normalised identifiers and blocking combinations.

Each token kind has its own HKDF-derived key (``radar/v1/token/<kind>``), so tokens of
different kinds cannot be compared with each other, and a token is meaningless without the
master key. Hashing is vectorised with the ``polars-hash`` plugin, which matches the standard
library's ``hmac`` byte for byte (tested).

Output form: the first 128 bits of the MAC as 32 lowercase hex characters (``Utf8``). 128 bits
keep the chance of any collision among even 10^9 distinct values below 10^-20 (birthday bound
n^2 / 2^129), while halving the size of the full digest; hex (rather than ``Binary``) joins,
sorts and exports unchanged through Parquet, CSV and DuckDB, and is never mistaken for a value.

Birth dates: linkage needs partial agreement (year, month, day, day and month swapped) without
seeing month or day. ``birth_year`` stays in the clear (a coarsened quasi-identifier needed for
statistics); the month and day are only in tokens: the full date, the date with day and month
swapped (same key as the full date, so ``swapped(a) == date(b)`` exactly when a's day and
month are b's the other way round), year+month and month+day (which survives a typo in the
year). A message never mixes kinds: the field separator is U+001F, which normalised values do
not contain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import polars as pl
import polars_hash as plh

from pseudonymise.keys import MasterKey
from radar.intake.normalise import PREFIXES

TOKEN_HEX_CHARS: Final = 32
SEP: Final = "\x1f"


def hmac_hex(expr: pl.Expr, hmac_key: str, *, hex_chars: int = TOKEN_HEX_CHARS) -> pl.Expr:
    """HMAC-SHA256 of a Utf8 expression as lowercase hex, truncated; null stays null."""
    full = plh.CryptographicHashingNameSpace(expr).hmac_sha256(key=hmac_key)
    return full if hex_chars >= 64 else full.str.slice(0, hex_chars)


def _int(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.Int32)


def _date() -> pl.Expr:
    """``YYYYMMDD`` (integer arithmetic, then one cast: much faster than padding strings)."""
    return (_int("birth_year") * 10_000 + _int("birth_month") * 100 + _int("birth_day")).cast(
        pl.Utf8
    )


def _date_swapped() -> pl.Expr:
    swapped = _int("birth_year") * 10_000 + _int("birth_day") * 100 + _int("birth_month")
    # only a day that could be a month makes a plausible swap; equal day and month add nothing
    plausible = (pl.col("birth_day") <= 12) & (pl.col("birth_day") != pl.col("birth_month"))
    return pl.when(plausible).then(swapped.cast(pl.Utf8))


def _year_month() -> pl.Expr:
    return (_int("birth_year") * 100 + _int("birth_month")).cast(pl.Utf8)


def _month_day() -> pl.Expr:
    return (_int("birth_month") * 100 + _int("birth_day")).cast(pl.Utf8)


def _clean(name: str) -> pl.Expr:
    """Defensive: trimmed, lowercase, empty -> null (intake already normalises)."""
    value = pl.col(name).str.strip_chars().str.to_lowercase()
    return pl.when(value.str.len_bytes() > 0).then(value)


_PREFIX_WORDS: Final = sorted({w for p in PREFIXES for w in p.split()}, key=len, reverse=True)
_LEADING_PREFIXES: Final = r"^(?:(?:" + "|".join(_PREFIX_WORDS) + r") )+"


def surname_core() -> pl.Expr:
    """The surname without leading tussenvoegsels, however they were delivered
    (``'van de berg'``, ``'de berg'`` and ``'berg'`` all give ``'berg'``)."""
    return _clean("surname").str.replace(_LEADING_PREFIXES, "")


def first_given_name() -> pl.Expr:
    """The first given name of ``first_names`` (``'jan pieter'`` -> ``'jan'``)."""
    return _clean("first_names").str.split(" ").list.first()


def _join(*parts: pl.Expr) -> pl.Expr:
    return pl.concat_str(list(parts), separator=SEP)


def _full_name_sex() -> pl.Expr:
    """First given name and surname in either order (sorted: a delivery that swapped them
    gives the same token), and the sex when it is known (an unknown sex is an empty field,
    not a missing token). Only for a first name that is not an initial."""
    first, last = first_given_name(), surname_core()
    sex = pl.col("sex").replace("O", None).fill_null("")
    names = _join(pl.min_horizontal(first, last), pl.max_horizontal(first, last))
    return pl.when((first.str.len_chars() >= 2) & last.is_not_null()).then(_join(names, sex))


@dataclass(frozen=True, slots=True)
class TokenSpec:
    """One token column: its name, its key purpose and how its message is built."""

    column: str
    purpose: str
    message: Callable[[], pl.Expr]


TOKEN_SPECS: Final[tuple[TokenSpec, ...]] = (
    TokenSpec(
        "tok_bsn",
        "token/bsn",
        lambda: pl.when(pl.col("bsn_status") == "valid").then(_clean("bsn")),
    ),
    TokenSpec("tok_birth_date", "token/birth_date", _date),
    TokenSpec("tok_birth_date_swapped", "token/birth_date", _date_swapped),
    TokenSpec("tok_birth_ym", "token/birth_ym", _year_month),
    TokenSpec("tok_birth_md", "token/birth_md", _month_day),
    TokenSpec("tok_birth_date_sex", "token/birth_date_sex", lambda: _join(_date(), pl.col("sex"))),
    TokenSpec(
        "tok_surname_year",
        "token/surname_year",
        lambda: _join(_clean("surname"), pl.col("birth_year").cast(pl.Utf8)),
    ),
    TokenSpec(
        "tok_first_name_birth_date",
        "token/first_name_birth_date",
        lambda: _join(first_given_name(), _date()),
    ),
    TokenSpec(
        # the whole name, for rows without a birth date (the name filters are salted by birth
        # year). Never a single name: a token of a first name or a surname alone falls to
        # frequency alignment (measured: 84% and 34% of rows re-identified), the whole name
        # does not (0.4%, against 0.03% for guessing the most frequent name)
        "tok_full_name_sex",
        "token/full_name_sex",
        _full_name_sex,
    ),
    TokenSpec(
        "tok_initial_birth_date",
        "token/initial_birth_date",
        lambda: _join(first_given_name().str.slice(0, 1), _date()),
    ),
    TokenSpec(
        "tok_postcode_house",
        "token/postcode_house",
        lambda: _join(
            _clean("postcode").str.replace_all(" ", "", literal=True),
            pl.col("house_number").cast(pl.Utf8),
        ),
    ),
    TokenSpec("tok_phone", "token/phone", lambda: _clean("phone")),
)

TOKEN_COLUMNS: Final = tuple(spec.column for spec in TOKEN_SPECS)


def token_exprs(key: MasterKey) -> list[pl.Expr]:
    """One expression per token column, over the normalised intake persons columns."""
    hmac_keys = {spec.purpose: key.derive_hmac_key(spec.purpose) for spec in TOKEN_SPECS}
    return [
        hmac_hex(spec.message(), hmac_keys[spec.purpose]).alias(spec.column) for spec in TOKEN_SPECS
    ]


#: Per row, one token per other named person of its signal: HMAC of (own first name and
#: sex, the other's first name and sex), directional, so that when two signals share a token
#: the rows holding it are the ones whose names agree. A pair of first names is rare even
#: where each name is common (worst-case frequency alignment: 0.4% of pairs recovered).
NAME_PAIRS_COLUMN: Final = "tok_name_pairs"
NAME_PAIRS_PURPOSE: Final = "token/name_pair"


def name_pair_tokens(persons: pl.DataFrame, key: MasterKey) -> pl.DataFrame:
    """``region_code, signal_id, person_seq, tok_name_pairs`` (sorted list; empty when the
    row or every other row of its signal has no usable first name and sex).

    The other rows are those of the same version of the signal (the same ``delivery_id``, when
    the frame has one): a batch holding a signal and its re-delivery pairs each version's
    persons only among themselves, as a run that takes them in one at a time does.
    """
    signal = ["region_code", "signal_id"]
    version = [*signal, "delivery_id"] if "delivery_id" in persons.columns else signal
    named = persons.select(
        *version,
        "person_seq",
        pl.when(first_given_name().str.len_chars() >= 2)
        .then(_join(first_given_name(), pl.col("sex").replace("O", None)))
        .alias("_n"),
    ).drop_nulls("_n")
    pairs = (
        named.join(named, on=version, suffix="_o", nulls_equal=True)
        .filter(pl.col("person_seq") != pl.col("person_seq_o"))
        .select(
            *version,
            "person_seq",
            hmac_hex(
                _join(pl.col("_n"), pl.col("_n_o")), key.derive_hmac_key(NAME_PAIRS_PURPOSE)
            ).alias(NAME_PAIRS_COLUMN),
        )
        .group_by(*version, "person_seq")
        .agg(pl.col(NAME_PAIRS_COLUMN).unique().sort())
    )
    return (
        persons.select(*version, "person_seq")
        .join(
            pairs, on=[*version, "person_seq"], how="left", maintain_order="left", nulls_equal=True
        )
        .select(*signal, "person_seq", NAME_PAIRS_COLUMN)
        .with_columns(pl.col(NAME_PAIRS_COLUMN).fill_null(pl.lit([], dtype=pl.List(pl.String))))
    )
