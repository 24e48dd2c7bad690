"""Row checks as expressions, and the quarantine/finding records they produce.

A check is a boolean expression that is true on the rows that fail it, with the column it
concerns and a reason code. Records say where (delivery, file, line, column) and why, never
what the value was.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

import polars as pl

from radar.contract.schemas import QUARANTINE, conform
from radar.intake.csvfile import LINE_COLUMN, BadRecord

#: A region's case reference: letters, digits and a few separators; no leading formula sign.
SIGNAL_ID_PATTERN: Final = r"^[0-9A-Za-z][0-9A-Za-z._:/\- ]{0,63}$"
REGION_PATTERN: Final = r"^VT\d{2}$"

#: Reason codes, documented in the README.
REASONS: Final = {
    "missing_value": "a required value is empty",
    "invalid_value": "a value outside the contract's format or value set",
    "invalid_date": "not a date in an accepted form",
    "future_date": "a date after the processing date",
    "date_before_2000": "a signal date before the contract's earliest date",
    "unknown_region": "a region code that is not a Veilig Thuis region",
    "region_not_valid_on_date": "a region code not valid on the signal's received_on",
    "duplicate_key": "the same key more than once in one delivery",
    "unknown_signal": "a person whose signal is not in the same delivery",
    "signal_quarantined": "a person whose signal was quarantined",
    "signal_erased": "a signal that an erasure destroyed earlier",
    "field_too_long": "a value longer than the configured maximum",
    "formula_value": "a value that starts like a spreadsheet formula",
    "malformed_row": "a record with the wrong number of fields",
    "nul_byte": "a record holding a NUL byte",
    "not_utf8": "a record holding bytes that are not UTF-8",
    "bsn_elfproef": "a BSN failing the 11-test, treated as unknown",
    "closed_before_received": "closed_on earlier than received_on",
}


@dataclass(frozen=True)
class Check:
    """Rows where ``failed`` is true fail on ``column`` for ``reason``."""

    column: str
    reason: str
    failed: pl.Expr


def failed_column(column: str, reason: str) -> str:
    """The name of a boolean column holding where a check on ``column`` fails.

    Checks that depend on one column's value only are computed with that column's
    normalisation, once per distinct value (:func:`radar.intake.normalise.with_normalised`).
    """
    return f"_failed:{column}:{reason}"


def value_check(column: str, reason: str) -> Check:
    """A check read from its :func:`failed_column`."""
    return Check(column, reason, pl.col(failed_column(column, reason)))


def key_columns(*, region: pl.Expr, signal: pl.Expr, seq: pl.Expr | None = None) -> list[pl.Expr]:
    """The key of a record as safe to keep: only well-formed codes and references."""
    region_text = region.str.strip_chars().str.to_uppercase()
    signal_text = signal.str.strip_chars()
    return [
        pl.when(region_text.str.contains(REGION_PATTERN)).then(region_text).alias("_key_region"),
        pl.when(signal_text.str.contains(SIGNAL_ID_PATTERN)).then(signal_text).alias("_key_signal"),
        (seq if seq is not None else pl.lit(None, dtype=pl.Int32)).alias("_key_seq"),
    ]


def records(
    frame: pl.DataFrame | pl.LazyFrame, checks: list[Check], keys: list[pl.Expr], *, file: str
) -> pl.DataFrame:
    """One record per failed (row, check), in the quarantine schema.

    ``frame`` holds a ``delivery_id`` column: a batch may hold many deliveries. The rows that
    fail any check are taken out first, so the keys are computed for those rows only.
    """
    if not checks:
        return QUARANTINE.empty()
    failed = [check.failed.fill_null(value=False) for check in checks]
    flagged = frame.lazy().filter(pl.any_horizontal(failed)).with_columns(*keys)
    parts = [
        flagged.filter(fails).select(
            pl.col("delivery_id"),
            pl.lit(file).alias("file"),
            pl.col(LINE_COLUMN).alias("line"),
            pl.col("_key_region").alias("region_code"),
            pl.col("_key_signal").alias("signal_id"),
            pl.col("_key_seq").cast(pl.Int32).alias("person_seq"),
            pl.lit(check.column).alias("column"),
            pl.lit(check.reason).alias("reason"),
        )
        for check, fails in zip(checks, failed, strict=True)
    ]
    return conform(pl.concat(parts).collect(), QUARANTINE)


def unreadable_records(bad: list[BadRecord], *, delivery_id: str, file: str) -> pl.DataFrame:
    """Quarantine records for records the CSV reader could not read."""
    return conform(
        pl.DataFrame(
            {
                "delivery_id": [delivery_id] * len(bad),
                "file": [file] * len(bad),
                "line": [record.line for record in bad],
                "region_code": [None] * len(bad),
                "signal_id": [None] * len(bad),
                "person_seq": [None] * len(bad),
                "column": [record.column for record in bad],
                "reason": [record.reason for record in bad],
            },
            schema_overrides={
                "region_code": pl.String,
                "signal_id": pl.String,
                "person_seq": pl.Int32,
                "column": pl.String,
            },
        ),
        QUARANTINE,
    )


def common_checks(
    frame: pl.DataFrame,
    columns: list[str],
    *,
    max_field_chars: int,
    long_columns: dict[str, int],
    formula_candidates: Collection[str] | None = None,
) -> list[Check]:
    """Checks every raw string column gets: its length and spreadsheet-formula values.

    A check no row of ``frame`` can fail is left out: the length check of a column whose
    longest value has no more bytes than the limit, and the formula check of a column not in
    ``formula_candidates`` (the columns where the reader saw an ``=``; None: every column).
    """
    limits = [long_columns.get(name, max_field_chars) for name in columns]
    longest = frame.select(pl.col(name).str.len_bytes().max() for name in columns).row(0)
    checks: list[Check] = []
    for name, limit, most in zip(columns, limits, longest, strict=True):
        if most is not None and most > limit:
            checks.append(Check(name, "field_too_long", pl.col(name).str.len_chars() > limit))
        if formula_candidates is None or name in formula_candidates:
            checks.append(
                Check(
                    name,
                    "formula_value",
                    pl.col(name).str.strip_chars_start().str.starts_with("="),
                )
            )
    return checks


def duplicated(keys: list[str]) -> pl.Expr:
    """True on every row whose (non-null) key occurs more than once."""
    present = pl.all_horizontal(pl.col(k).is_not_null() for k in keys)
    return present & (pl.len().over(keys) > 1)


def materialise(
    frame: pl.DataFrame, checks: list[Check], prefix: str
) -> tuple[pl.DataFrame, list[Check]]:
    """Evaluate every check once into a boolean column; return the checks reading those columns.

    ``any_horizontal`` over the returned checks and :func:`records` then cost next to nothing.
    """
    names = [f"{prefix}{i}" for i in range(len(checks))]
    evaluated = frame.with_columns(
        check.failed.fill_null(value=False).alias(name)
        for check, name in zip(checks, names, strict=True)
    )
    return evaluated, [
        Check(check.column, check.reason, pl.col(name))
        for check, name in zip(checks, names, strict=True)
    ]
