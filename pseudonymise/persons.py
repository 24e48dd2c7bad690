"""Pseudonymise the normalised intake persons table (frame in, frame out).

Clear identifiers go in, the table of ``pseudonymise.schema`` comes out: keyed tokens for exact
comparisons and blocking, keyed per-field Bloom filters for fuzzy name and address comparison,
and only the coarse quasi-identifiers statistics and blocking need. Re-pseudonymising under a
new key (rotation) is calling this function again on the intake table with the new key: equal
inputs still give equal tokens, so links computed under either key agree.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Final, Literal

import polars as pl

from pseudonymise import bloom, schema
from pseudonymise.keys import MasterKey
from pseudonymise.tokens import first_given_name, name_pair_tokens, token_exprs
from radar.contract.schemas import INTAKE_PERSONS
from radar.errors import SchemaError

#: Parameters of every Bloom field; see ``pseudonymise.bloom`` for why these.
NAME_PARAMS: Final = bloom.BloomParams(bits=schema.BLOOM_BITS, hashes=10)
ADDRESS_PARAMS: Final = bloom.BloomParams(bits=schema.BLOOM_BITS, hashes=8)

Salt = Literal["none", "year", "year_month", "municipality"]
#: What each Bloom field is salted with (measured choice: see ``pseudonymise.bloom``).
FIELD_SALTS: Final[dict[str, Salt]] = {
    "first_name": "year_month",
    "surname": "year",
    "address": "municipality",
}

#: Name filters salted by the other name (``bf_first_name_x``: the first name under the
#: surname, ``bf_surname_x``: the surname under the first name), keyed apart from the fields'
#: own filters. Their salts are names, never stored, and do not depend on the birth date: two
#: records of a person with a typo in the birth year (or one without a birth date) still
#: compare one name when the other is spelled the same. An equal filter means an equal first
#: name and surname, which the full-name token says already; measured with
#: ``pseudonymise.attack`` (README, privacy model).
CROSS_SALTED: Final[dict[str, tuple[str, str]]] = {
    "first_name_x": ("bf_first_name", "bf_surname"),
    "surname_x": ("bf_surname", "bf_first_name"),
}


def salt_expr(salt: Salt) -> pl.Expr:
    """The salt string of a row, from ``birth_year``, ``birth_month``, ``municipality_code``.

    ``year`` and ``year_month`` fall back on the municipality when the birth year is unknown
    (otherwise all persons without a birth date would share one salt and one frequency
    distribution an attacker could align); an unknown month is an empty month.
    """
    year = pl.col("birth_year").cast(pl.Utf8)
    municipality = pl.concat_str([pl.lit("gm:"), pl.col("municipality_code").fill_null("")])
    if salt == "none":
        return pl.lit("", dtype=pl.Utf8)
    if salt == "municipality":
        return municipality
    if salt == "year":
        dated = pl.concat_str([pl.lit("y:"), year])
    else:
        month = pl.col("birth_month").cast(pl.Utf8).fill_null("")
        dated = pl.concat_str([pl.lit("ym:"), year, pl.lit("-"), month])
    return pl.when(year.is_null()).then(municipality).otherwise(dated)


#: The intake columns this stage reads, with their types (the intake persons interface).
INPUT_COLUMNS: Final[dict[str, pl.DataType]] = dict(INTAKE_PERSONS.columns)

#: Provenance columns: carried through when present, null otherwise.
_PROVENANCE: Final = ("delivery_id", "source_line")


def _input(persons: pl.DataFrame) -> pl.DataFrame:
    """The columns this stage reads, cast strictly; one error lists every problem."""
    problems: list[str] = []
    out: list[pl.Series] = []
    for name, dtype in INPUT_COLUMNS.items():
        if name not in persons.columns:
            if name in _PROVENANCE:
                out.append(pl.Series(name, [None] * persons.height, dtype=dtype))
            else:
                problems.append(f"column {name} is missing")
            continue
        column = persons.get_column(name)
        try:
            out.append(column if column.dtype == dtype else column.cast(dtype, strict=True))
        except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
            problems.append(f"column {name}: {column.dtype} does not cast to {dtype}")
    if problems:
        raise SchemaError("intake persons table does not conform: " + "; ".join(problems))
    return pl.DataFrame(out)


def _address_line() -> pl.Expr:
    """``'<street> <number><suffix>'``; the street alone when the number is missing.

    Without a municipality code (the filter's salt) the place name follows, when there is
    one: otherwise the same street and number in two towns would look like one address.
    """
    street = pl.col("street").str.strip_chars().str.to_lowercase()
    number = pl.concat_str(
        [pl.col("house_number").cast(pl.Utf8), pl.col("house_number_suffix").fill_null("")]
    )
    line = (
        pl.when(number.is_null())
        .then(street)
        .otherwise(pl.concat_str([street, number], separator=" "))
    )
    place = pl.col("city").str.strip_chars().str.to_lowercase()
    unsalted = pl.col("municipality_code").is_null() & (place.str.len_bytes() > 0)
    line = pl.when(unsalted).then(pl.concat_str([line, place], separator=" ")).otherwise(line)
    return pl.when(street.str.len_bytes() > 0).then(line)


def _pseudonymise_part(frame: pl.DataFrame, key: MasterKey) -> pl.DataFrame:
    clear = frame.select(
        "region_code",
        "signal_id",
        "person_seq",
        "role",
        "bsn_status",
        "sex",
        "age_estimate",
        "birth_year",
        pl.col("birth_month").is_not_null().alias("has_birth_month"),
        pl.col("birth_day").is_not_null().alias("has_birth_day"),
        _pc4().alias("pc4"),
        "municipality_code",
        "first_names_initials",
        *token_exprs(key),
        *_PROVENANCE,
    )
    fields = frame.select(
        first_given_name().alias("bf_first_name"),
        pl.col("surname").str.strip_chars().str.to_lowercase().alias("bf_surname"),
        _address_line().alias("bf_address"),
        *(salt_expr(salt).alias(f"_salt_{name}") for name, salt in FIELD_SALTS.items()),
    )
    filters = [
        bloom.encode(
            fields.get_column(f"bf_{name}"),
            key.derive_hmac_key(f"bloom/{name}"),
            ADDRESS_PARAMS if name == "address" else NAME_PARAMS,
            salts=fields.get_column(f"_salt_{name}"),
        )
        for name in FIELD_SALTS
    ]
    # each name salted by the other one: comparable across birth years (CROSS_SALTED)
    first, last = fields.get_column("bf_first_name"), fields.get_column("bf_surname")
    named = first.str.len_chars().fill_null(0).ge(2) & last.is_not_null()
    for name, (values, salts) in CROSS_SALTED.items():
        column = fields.get_column(values).zip_with(named, pl.Series([None], dtype=pl.Utf8))
        encoded = bloom.encode(
            column, key.derive_hmac_key(f"bloom/{name}"), NAME_PARAMS, salts=fields[salts]
        )
        filters.append(encoded.alias(f"bf_{name}"))
    return clear.with_columns(*filters, pl.lit(key.key_id, dtype=pl.Utf8).alias("key_id"))


def _pc4() -> pl.Expr:
    digits = pl.col("postcode").str.replace_all(" ", "", literal=True).str.slice(0, 4)
    return pl.when(digits.str.contains(r"^[1-9][0-9]{3}$")).then(digits)


def pseudonymise_persons(
    persons: pl.DataFrame,
    key: MasterKey,
    *,
    workers: int | None = None,
    partition_rows: int = 200_000,
) -> pl.DataFrame:
    """The pseudonymised persons table (``schema.PSEUDONYMISED_PERSONS_SCHEMA``) of ``persons``.

    Row partitions run in ``workers`` threads (default: one per CPU); polars and numpy release
    the GIL, and the polars-hash plugin is single-threaded per expression. The result does
    not depend on the partitioning (tested).
    """
    frame = _input(persons)
    step = max(partition_rows, 1)
    parts = [frame.slice(offset, step) for offset in range(0, frame.height, step)] or [frame]
    threads = max(1, min(workers or os.cpu_count() or 1, len(parts)))
    if threads == 1:
        done = [_pseudonymise_part(part, key) for part in parts]
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            done = list(pool.map(lambda part: _pseudonymise_part(part, key), parts))
    # name pairs look across the rows of a signal, which partitions may split: computed whole
    pairs = name_pair_tokens(frame, key).drop("region_code", "signal_id", "person_seq")
    return schema.conform(pl.concat([pl.concat(done, rechunk=True), pairs], how="horizontal"))
