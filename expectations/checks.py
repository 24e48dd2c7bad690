"""Building blocks shared by the gates: schema tables, built-in expectations by short names.

Relational checks (a region valid on a date, a municipality in its region, totals that add up)
are computed in polars by each gate's ``prepare`` as columns; GX then expects those columns to
hold only ``True`` (or a difference of 0), so the check, its counts and its Data Docs entry live
in the suite like every other expectation.
"""

from __future__ import annotations

import polars as pl
from great_expectations.expectations.core.expect_column_pair_values_to_be_equal import (
    ExpectColumnPairValuesToBeEqual,
)
from great_expectations.expectations.core.expect_column_values_to_be_between import (
    ExpectColumnValuesToBeBetween,
)
from great_expectations.expectations.core.expect_column_values_to_be_in_set import (
    ExpectColumnValuesToBeInSet,
)
from great_expectations.expectations.core.expect_column_values_to_match_regex import (
    ExpectColumnValuesToMatchRegex,
)
from great_expectations.expectations.core.expect_column_values_to_not_be_in_set import (
    ExpectColumnValuesToNotBeInSet,
)
from great_expectations.expectations.core.expect_column_values_to_not_be_null import (
    ExpectColumnValuesToNotBeNull,
)
from great_expectations.expectations.core.expect_compound_columns_to_be_unique import (
    ExpectCompoundColumnsToBeUnique,
)
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.metadata_types import FailureSeverity

WARNING = FailureSeverity.WARNING
CRITICAL = FailureSeverity.CRITICAL


def schema_table(table: str, frame: pl.DataFrame, expected: dict[str, pl.DataType]) -> pl.DataFrame:
    """One row per expected or present column: its actual and expected type (``-`` if absent)."""
    actual = {name: str(dtype) for name, dtype in frame.schema.items()}
    names = list(expected) + [n for n in actual if n not in expected]
    return pl.DataFrame(
        {
            "table": [table] * len(names),
            "column": names,
            "actual_type": [actual.get(n, "-") for n in names],
            "expected_type": [str(expected[n]) if n in expected else "-" for n in names],
        }
    )


def schema_expectations() -> list[Expectation]:
    """Every column present with its type, and no unexpected column."""
    return [
        ExpectColumnPairValuesToBeEqual(column_A="actual_type", column_B="expected_type"),
        ExpectColumnValuesToNotBeInSet(column="actual_type", value_set=["-"]),
        ExpectColumnValuesToNotBeInSet(column="expected_type", value_set=["-"]),
    ]


def is_true(
    column: str, *, mostly: float = 1.0, severity: FailureSeverity = CRITICAL
) -> Expectation:
    """Every non-null value of a boolean check column is True."""
    return ExpectColumnValuesToBeInSet(
        column=column, value_set=[True], mostly=mostly, severity=severity
    )


def in_set(column: str, values: tuple[str, ...] | list[str]) -> Expectation:
    return ExpectColumnValuesToBeInSet(column=column, value_set=list(values))


def not_null(column: str) -> Expectation:
    return ExpectColumnValuesToNotBeNull(column=column)


def matches(column: str, regex: str) -> Expectation:
    return ExpectColumnValuesToMatchRegex(column=column, regex=regex)


def coerce(frame: pl.DataFrame, expected: dict[str, pl.DataType]) -> pl.DataFrame:
    """``frame`` with every expected column, of its type, so the other checks can run.

    A missing column becomes nulls; a column of another type is cast leniently (what does not
    cast becomes null). The ``schema`` table reports both; this only keeps the gate running.
    """
    columns: list[pl.Series] = []
    for name, dtype in expected.items():
        if name not in frame.columns:
            columns.append(pl.Series(name, [None] * frame.height, dtype=dtype))
        elif frame.schema[name] != dtype:
            try:
                columns.append(frame.get_column(name).cast(dtype, strict=False))
            except pl.exceptions.PolarsError:
                columns.append(pl.Series(name, [None] * frame.height, dtype=dtype))
    return frame.with_columns(columns) if columns else frame


__all__ = [
    "CRITICAL",
    "WARNING",
    "ExpectColumnPairValuesToBeEqual",
    "ExpectColumnValuesToBeBetween",
    "ExpectColumnValuesToBeInSet",
    "ExpectColumnValuesToMatchRegex",
    "ExpectColumnValuesToNotBeInSet",
    "ExpectColumnValuesToNotBeNull",
    "ExpectCompoundColumnsToBeUnique",
    "coerce",
    "in_set",
    "is_true",
    "matches",
    "not_null",
    "schema_expectations",
    "schema_table",
]
