"""Versioned polars schemas of the tables intake hands on, and a strict ``conform``.

A schema's version is bumped whenever a column is added, removed or changes type; the store
records the version of every table it holds and refuses a table of an unknown version.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from radar.errors import SchemaError


@dataclass(frozen=True, eq=False)
class TableSchema:
    """A named, versioned polars schema (hashable by identity: one object per table)."""

    name: str
    version: int
    columns: dict[str, pl.DataType]

    @property
    def schema(self) -> pl.Schema:
        return pl.Schema(self.columns)

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.schema)


def conform(frame: pl.DataFrame, table: TableSchema) -> pl.DataFrame:
    """Select and order ``table``'s columns, casting strictly; one error lists every mismatch.

    A column that is missing, or whose values do not survive the cast (a cast that would turn a
    value into null), is a mismatch. Extra columns are dropped.
    """
    problems: list[str] = []
    out: list[pl.Series] = []
    for name, dtype in table.columns.items():
        if name not in frame.columns:
            problems.append(f"column {name} is missing")
            continue
        column = frame.get_column(name)
        if column.dtype == dtype:
            out.append(column)
            continue
        try:
            cast = column.cast(dtype, strict=True)
        except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
            problems.append(f"column {name}: {column.dtype} does not cast to {dtype}")
            continue
        out.append(cast)
    if problems:
        raise SchemaError(
            f"table {table.name} v{table.version} does not conform: " + "; ".join(problems)
        )
    return pl.DataFrame(out, schema=table.schema)


_SIGNAL_COLUMNS: dict[str, pl.DataType] = {
    "region_code": pl.String(),
    "signal_id": pl.String(),
    "kind": pl.String(),
    "received_on": pl.Date(),
    "closed_on": pl.Date(),
    "relation_type": pl.String(),
    "violence_forms": pl.List(pl.String()),
    "reporter_type": pl.String(),
    "reporter_sector": pl.String(),
    "safety_assessment": pl.String(),
    "note": pl.String(),
    "delivery_id": pl.String(),
    "source_line": pl.Int64(),
}

INTAKE_SIGNALS = TableSchema("intake_signals", 1, _SIGNAL_COLUMNS)

INTAKE_PERSONS = TableSchema(
    "intake_persons",
    1,
    {
        "region_code": pl.String(),
        "signal_id": pl.String(),
        "person_seq": pl.Int32(),
        "role": pl.String(),
        "bsn": pl.String(),
        "bsn_status": pl.String(),
        "first_names": pl.String(),
        "first_names_initials": pl.Boolean(),
        "surname_prefix": pl.String(),
        "surname": pl.String(),
        "birth_year": pl.Int16(),
        "birth_month": pl.Int8(),
        "birth_day": pl.Int8(),
        "age_estimate": pl.Int16(),
        "sex": pl.String(),
        "street": pl.String(),
        "house_number": pl.Int32(),
        "house_number_suffix": pl.String(),
        "postcode": pl.String(),
        "city": pl.String(),
        "municipality_code": pl.String(),
        "phone": pl.String(),
        "delivery_id": pl.String(),
        "source_line": pl.Int64(),
    },
)

INTAKE_ERASURES = TableSchema(
    "erasures",
    1,
    {"region_code": pl.String(), "signal_id": pl.String(), "delivery_id": pl.String()},
)

#: Where a row went wrong, never what it held. ``signal_id`` is kept only when it is a
#: well-formed case reference (it is the region's own reference, not personal data).
QUARANTINE = TableSchema(
    "quarantine",
    1,
    {
        "delivery_id": pl.String(),
        "file": pl.String(),
        "line": pl.Int64(),
        "region_code": pl.String(),
        "signal_id": pl.String(),
        "person_seq": pl.Int32(),
        "column": pl.String(),
        "reason": pl.String(),
    },
)

#: Quality findings on accepted rows (the row is kept; a value was set aside or doubtful).
FINDINGS = TableSchema("findings", 1, dict(QUARANTINE.columns))
