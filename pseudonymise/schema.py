"""Versioned schema of the pseudonymised persons table, and a strict ``conform``.

The table holds no clear identifier: no name, BSN, full birth date, street, house number, full
postcode, place name or phone number. What is clear is coarse and needed for statistics or for
linkage blocking (birth year, pc4, municipality code, sex, age estimate); everything else is a
keyed token (``tok_*``, 32 hex characters) or a keyed Bloom filter (``bf_*``), and ``key_id``
says which key made them.

Bump ``SCHEMA_VERSION`` whenever a column is added, removed, renamed or changes type, or when
the meaning of a token or filter changes (e.g. new Bloom parameters): links across versions are
not comparable.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from pseudonymise.tokens import NAME_PAIRS_COLUMN, TOKEN_HEX_CHARS
from pseudonymise.tokens import TOKEN_COLUMNS as TOKEN_COLUMNS
from radar.contract.schemas import TableSchema
from radar.errors import SchemaError

SCHEMA_VERSION: Final = 5
TABLE_NAME: Final = "pseudonymised_persons"
BLOOM_BITS: Final = 512
BLOOM_WORDS: Final = BLOOM_BITS // 64

BLOOM_COLUMNS: Final = (
    "bf_first_name",
    "bf_surname",
    "bf_address",
    "bf_first_name_x",
    "bf_surname_x",
)

_COLUMNS: dict[str, pl.DataType] = {
    "region_code": pl.String(),
    "signal_id": pl.String(),
    "person_seq": pl.Int32(),
    "role": pl.String(),
    "bsn_status": pl.String(),
    "sex": pl.String(),
    "age_estimate": pl.Int16(),
    "birth_year": pl.Int16(),
    "has_birth_month": pl.Boolean(),
    "has_birth_day": pl.Boolean(),
    "pc4": pl.String(),
    "municipality_code": pl.String(),
    "first_names_initials": pl.Boolean(),
    **{name: pl.String() for name in TOKEN_COLUMNS},
    NAME_PAIRS_COLUMN: pl.List(pl.String()),
    **{name: pl.Array(pl.UInt64(), BLOOM_WORDS) for name in BLOOM_COLUMNS},
    "key_id": pl.String(),
    "delivery_id": pl.String(),  # provenance: the delivery and line the row came from
    "source_line": pl.Int64(),
}

PSEUDONYMISED_PERSONS: Final = TableSchema(TABLE_NAME, SCHEMA_VERSION, _COLUMNS)
PSEUDONYMISED_PERSONS_SCHEMA: Final = PSEUDONYMISED_PERSONS.schema
#: Columns that may never be null.
NOT_NULL: Final = ("region_code", "signal_id", "person_seq", "bsn_status", "key_id")


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """Cast ``frame`` strictly to the schema, in schema order; one error lists every mismatch.

    Mismatches: a missing column, an extra column (it could carry a clear identifier), a
    column that does not cast strictly, a null in a not-null column, a token that is not 32
    lowercase hex characters. Messages name columns and counts, never values.
    """
    problems: list[str] = []
    extra = [name for name in frame.columns if name not in _COLUMNS]
    if extra:
        problems.append("unexpected columns " + ", ".join(sorted(extra)))
    out: list[pl.Series] = []
    for name, dtype in _COLUMNS.items():
        if name not in frame.columns:
            problems.append(f"column {name} is missing")
            continue
        column = frame.get_column(name)
        try:
            cast = column if column.dtype == dtype else column.cast(dtype, strict=True)
        except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
            problems.append(f"column {name}: {column.dtype} does not cast to {dtype}")
            continue
        if name in NOT_NULL and (nulls := cast.null_count()):
            problems.append(f"column {name}: {nulls} null values")
        if name in TOKEN_COLUMNS or name == NAME_PAIRS_COLUMN:
            values = cast.explode().drop_nulls() if name == NAME_PAIRS_COLUMN else cast
            bad = (~values.str.contains(r"^[0-9a-f]{32}$")).sum()
            if bad:
                problems.append(f"column {name}: {bad} values are not {TOKEN_HEX_CHARS}-hex tokens")
        out.append(cast)
    if problems:
        raise SchemaError(
            f"table {TABLE_NAME} v{SCHEMA_VERSION} does not conform: " + "; ".join(problems)
        )
    return pl.DataFrame(out, schema=PSEUDONYMISED_PERSONS_SCHEMA)


def empty() -> pl.DataFrame:
    """An empty table of this schema."""
    return pl.DataFrame(schema=PSEUDONYMISED_PERSONS_SCHEMA)
