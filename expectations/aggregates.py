"""Gate 3, aggregates before publishing: disclosure rules, reconciliation, completeness.

Table checked (``frames["cells"]``): the protected cells of one or more periods, columns
``period, region_code, measure, breakdown, value, status, raw_value, denominator,
suppression`` (``publish.disclosure.PROTECTED``); optionally ``frames["previous"]``, the
protected cells of the same periods one year earlier, for plausibility.

* ``cells``: status ``ok`` or ``.``, value empty exactly when suppressed; published counts are
  multiples of 5 within 2 of the unrounded count; no count below 10 published; no percentage
  with a denominator below 10 published; percentages within rounding of the unrounded share;
* ``groups``: every additive relation (breakdown categories sum to their total, regions to
  ``NL``, H1 + H2 to the year) reconciles on the unrounded counts, and none has exactly one
  suppressed member (it could be recomputed by subtraction);
* ``coverage``: every expected period and region is present with every cell;
* ``plausibility`` (warning, never blocking): a published count changed by more than
  ``max_change`` (relative, against at least 10) from the same period a year earlier.

The relations are derived here from the table's layout, independently of ``publish``: the gate
checks the publisher, it does not reuse its code. The full attack (``publish.attack``) runs in
the publish stage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final

import polars as pl
from great_expectations.expectations.expectation import Expectation

from expectations.checks import (
    WARNING,
    ExpectColumnValuesToBeBetween,
    ExpectColumnValuesToNotBeInSet,
    ExpectColumnValuesToNotBeNull,
    ExpectCompoundColumnsToBeUnique,
    in_set,
    is_true,
)
from expectations.runner import Gate
from radar.reference import vt_regions

NAME: Final = "aggregates"
NATIONAL: Final = "NL"
_KEY: Final = ["period", "region_code", "measure", "breakdown"]


def period_regions(period: str) -> list[str]:
    """Regions valid on some day of ``YYYY``, ``YYYYH1`` or ``YYYYH2``, and ``NL``."""
    year = int(period[:4])
    first = dt.date(year, 7 if period.endswith("H2") else 1, 1)
    last = dt.date(year, 6, 30) if period.endswith("H1") else dt.date(year, 12, 31)
    valid = vt_regions().filter(
        (pl.col("valid_from") <= last)
        & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= first))
    )
    return [*sorted(valid.get_column("vt_region_code").to_list()), NATIONAL]


def _cells(cells: pl.DataFrame, counts: tuple[str, ...], percents: tuple[str, ...]) -> pl.DataFrame:
    hidden = pl.col("status") == "."
    is_count = pl.col("measure").is_in(counts)
    is_pct = pl.col("measure").is_in(percents)
    return cells.select(
        *_KEY,
        "status",
        status_matches_value=hidden == pl.col("value").is_null(),
        count_rounded=pl.when(is_count & ~hidden).then(
            ((pl.col("value") % 5) == 0) & ((pl.col("value") - pl.col("raw_value")).abs() <= 2)
        ),
        primary_rule=pl.when(is_count & (pl.col("raw_value") < 10)).then(hidden),
        denominator_rule=pl.when(is_pct & (pl.col("denominator").fill_null(0) < 10)).then(hidden),
        percent_from_raw=pl.when(is_pct & ~hidden).then(
            (pl.col("value") - pl.col("raw_value")).abs() <= 0.05 + 1e-9
        ),
    )


def _sum_groups(
    parts: pl.DataFrame, totals: pl.DataFrame, by: list[str], kind: str
) -> pl.DataFrame:
    agg = parts.group_by(by).agg(
        pl.col("raw_value").sum().alias("parts_sum"),
        (pl.col("status") == ".").sum().alias("parts_hidden"),
    )
    return agg.join(totals, on=by, how="full", coalesce=True).select(
        pl.lit(kind).alias("relation"),
        (pl.col("raw_value") - pl.col("parts_sum")).alias("difference"),
        (pl.col("parts_hidden").fill_null(0) + (pl.col("status") == ".").cast(pl.UInt32)).alias(
            "suppressed"
        ),
    )


def _groups(cells: pl.DataFrame, additive: tuple[str, ...]) -> pl.DataFrame:
    add = cells.filter(pl.col("measure").is_in(additive)).select(
        *_KEY, "raw_value", "status", dim=pl.col("breakdown").str.extract(r"^([^=]+)=", 1)
    )
    total_cols = ["raw_value", "status"]
    breakdown = _sum_groups(
        add.filter(pl.col("dim").is_not_null()),
        add.filter(pl.col("breakdown") == "")
        .select("period", "region_code", "measure", *total_cols)
        .join(
            add.select("period", "region_code", "measure", "dim").drop_nulls().unique(),
            on=["period", "region_code", "measure"],
        ),
        ["period", "region_code", "measure", "dim"],
        "breakdown",
    )
    regions = _sum_groups(
        add.filter(pl.col("region_code") != NATIONAL),
        add.filter(pl.col("region_code") == NATIONAL).select(
            "period", "measure", "breakdown", *total_cols
        ),
        ["period", "measure", "breakdown"],
        "regions",
    )
    frames = [breakdown, regions]
    years = [p for p in add.get_column("period").unique().to_list() if len(p) == 4]
    halves = (
        add.filter(pl.col("period").str.len_chars() == 6)
        .with_columns(year=pl.col("period").str.slice(0, 4))
        .filter(pl.col("year").is_in(years))
    )
    complete = halves.group_by("year").agg(pl.col("period").n_unique().alias("n"))
    halves = halves.join(complete.filter(pl.col("n") == 2), on="year", how="semi")
    if halves.height:
        frames.append(
            _sum_groups(
                halves,
                add.filter(
                    pl.col("period").is_in(halves.get_column("year").unique().to_list())
                ).select(
                    pl.col("period").alias("year"),
                    "region_code",
                    "measure",
                    "breakdown",
                    *total_cols,
                ),
                ["year", "region_code", "measure", "breakdown"],
                "half-years",
            )
        )
    return pl.concat(frames)


def _coverage(cells: pl.DataFrame, periods: list[str]) -> pl.DataFrame:
    per_area = cells.select("measure", "breakdown").unique().height
    expected = pl.DataFrame(
        [(p, r) for p in periods for r in period_regions(p)],
        schema=["period", "region_code"],
        orient="row",
    ).with_columns(listed=pl.lit(True))
    present = cells.group_by("period", "region_code").agg(pl.len().alias("n"))
    joined = expected.join(present, on=["period", "region_code"], how="full", coalesce=True)
    return joined.select(
        "period",
        "region_code",
        expected=pl.col("listed").fill_null(False),
        complete=pl.col("n").fill_null(0) == per_area,
    )


def _plausibility(
    cells: pl.DataFrame, previous: pl.DataFrame | None, counts: tuple[str, ...]
) -> pl.DataFrame:
    schema = {"region_code": pl.String(), "measure": pl.String(), "relative_change": pl.Float64()}
    if previous is None:
        return pl.DataFrame(schema=schema)
    key = ["period", "region_code", "measure", "breakdown"]
    now = cells.filter(pl.col("measure").is_in(counts) & (pl.col("status") == "ok"))
    # the same period one year earlier: 2023H1 is compared with 2024H1
    one_year_on = (pl.col("period").str.slice(0, 4).cast(pl.Int32) + 1).cast(pl.String) + pl.col(
        "period"
    ).str.slice(4)
    before = previous.filter(pl.col("status") == "ok").select(
        one_year_on.alias("period"), *key[1:], pl.col("value").alias("prev")
    )
    return now.join(before, on=key).select(
        "region_code",
        "measure",
        relative_change=(pl.col("value") - pl.col("prev")).abs()
        / pl.max_horizontal(pl.col("prev"), pl.lit(10.0)),
    )


def make_gate(
    periods: list[str],
    *,
    count_measures: tuple[str, ...],
    percent_measures: tuple[str, ...],
    additive_measures: tuple[str, ...],
    max_change: float = 0.5,
) -> Gate:
    """The aggregates gate for ``periods`` (a year with its halves, or one period)."""

    def prepare(frames: Mapping[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
        cells = frames["cells"]
        return {
            "cells": _cells(cells, count_measures, percent_measures),
            "groups": _groups(cells, additive_measures),
            "coverage": _coverage(cells, periods),
            "plausibility": _plausibility(cells, frames.get("previous"), count_measures),
        }

    def suites() -> dict[str, list[Expectation]]:
        return {
            "cells": [
                in_set("status", ("ok", ".")),
                in_set("measure", count_measures + percent_measures),
                *(
                    is_true(c)
                    for c in (
                        "status_matches_value",
                        "count_rounded",
                        "primary_rule",
                        "denominator_rule",
                        "percent_from_raw",
                    )
                ),
                ExpectCompoundColumnsToBeUnique(column_list=list(_KEY)),
            ],
            "groups": [
                ExpectColumnValuesToBeBetween(column="difference", min_value=0, max_value=0),
                ExpectColumnValuesToNotBeNull(column="difference"),
                ExpectColumnValuesToNotBeInSet(column="suppressed", value_set=[1]),
            ],
            "coverage": [is_true("expected"), is_true("complete")],
            "plausibility": [
                ExpectColumnValuesToBeBetween(
                    column="relative_change", min_value=0, max_value=max_change, severity=WARNING
                )
            ],
        }

    return Gate(NAME, prepare, suites)
