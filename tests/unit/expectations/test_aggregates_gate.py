"""Gate 3: the protected aggregates pass; broken disclosure, sums or coverage are caught."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from expectations import aggregates as gate
from expectations.runner import Gate, GateResult, run_gate
from publish.aggregates import ADDITIVE_MEASURES, COUNT_MEASURES, PERCENT_MEASURES, aggregate
from publish.disclosure import protect

from .conftest import Store

PERIODS = ["2024", "2024H1", "2024H2"]


def _gate(periods: list[str] = PERIODS) -> Gate:
    return gate.make_gate(
        periods,
        count_measures=COUNT_MEASURES,
        percent_measures=PERCENT_MEASURES,
        additive_measures=ADDITIVE_MEASURES,
    )


def _run(
    cells: pl.DataFrame,
    docs: Path,
    previous: pl.DataFrame | None = None,
    *,
    data_docs: bool = False,
) -> GateResult:
    frames = {"cells": cells} if previous is None else {"cells": cells, "previous": previous}
    return run_gate(_gate(), frames, docs, data_docs=data_docs)


def _failed(result: GateResult) -> set[tuple[str, str, str | None]]:
    return {(o.table, o.expectation, o.column) for o in result.failures}


def test_clean_aggregates_pass(store: Store, docs_dir: Path) -> None:
    result = _run(store.cells, docs_dir, data_docs=True)
    assert result.passed, result.failures
    assert result.warnings == []


def _where(cond: pl.Expr, **values: pl.Expr) -> Callable[[pl.DataFrame], pl.DataFrame]:
    def inject(cells: pl.DataFrame) -> pl.DataFrame:
        first = cond & (pl.int_range(pl.len()).filter(cond).min() == pl.int_range(pl.len()))
        return cells.with_columns(
            **{k: pl.when(first).then(v).otherwise(pl.col(k)) for k, v in values.items()}
        )

    return inject


SECONDARY = pl.col("suppression") == "secondary"
PRIMARY = (pl.col("suppression") == "primary") & (pl.col("measure") == "signals_received")
PUBLISHED_PART = (
    (pl.col("status") == "ok")
    & (pl.col("breakdown") != "")
    & (pl.col("measure") == "signals_received")
)
PCT_SHOWN = (pl.col("measure") == "repeat_signals_other_region_pct") & (pl.col("status") == "ok")

CASES = [
    (
        "secondary suppression undone",
        _where(SECONDARY, status=pl.lit("ok"), value=(pl.col("raw_value") / 5).round() * 5),
        ("groups", "expect_column_values_to_not_be_in_set", "suppressed"),
    ),
    (
        "small count published",
        _where(PRIMARY, status=pl.lit("ok"), value=(pl.col("raw_value") / 5).round() * 5),
        ("cells", "expect_column_values_to_be_in_set", "primary_rule"),
    ),
    (
        "count not rounded",
        _where(PUBLISHED_PART, value=pl.col("value") + 1),
        ("cells", "expect_column_values_to_be_in_set", "count_rounded"),
    ),
    (
        "suppressed value shown",
        _where(SECONDARY, value=pl.lit(15.0)),
        ("cells", "expect_column_values_to_be_in_set", "status_matches_value"),
    ),
    (
        "totals do not reconcile",
        _where(PUBLISHED_PART, raw_value=pl.col("raw_value") + 1),
        ("groups", "expect_column_values_to_be_between", "difference"),
    ),
    (
        "percentage of a small denominator",
        _where(PCT_SHOWN, denominator=pl.lit(6)),
        ("cells", "expect_column_values_to_be_in_set", "denominator_rule"),
    ),
    (
        "region missing",
        lambda c: c.filter(pl.col("region_code") != "VT05"),
        ("coverage", "expect_column_values_to_be_in_set", "complete"),
    ),
    (
        "region not valid in the period",
        lambda c: c.with_columns(region_code=pl.col("region_code").replace("VT27", "VT26")),
        ("coverage", "expect_column_values_to_be_in_set", "expected"),
    ),
    (
        "cell missing",
        lambda c: c.filter(
            ~((pl.col("region_code") == "VT07") & (pl.col("breakdown") == "kind=advies"))
        ),
        ("coverage", "expect_column_values_to_be_in_set", "complete"),
    ),
    (
        "unknown status",
        _where(SECONDARY, status=pl.lit("x")),
        ("cells", "expect_column_values_to_be_in_set", "status"),
    ),
]


@pytest.mark.parametrize(("name", "inject", "expected"), CASES, ids=[c[0] for c in CASES])
def test_injected_failure_is_caught(
    store: Store,
    docs_dir: Path,
    name: str,
    inject: Callable[[pl.DataFrame], pl.DataFrame],
    expected: tuple[str, str, str | None],
) -> None:
    result = _run(inject(store.cells), docs_dir)
    assert not result.passed
    assert expected in _failed(result), _failed(result)


def test_implausible_change_warns_but_does_not_block(store: Store, docs_dir: Path) -> None:
    a_year_earlier = pl.lit("2023") + pl.col("period").str.slice(4)
    previous = store.cells.with_columns(
        period=a_year_earlier, value=pl.when(pl.col("status") == "ok").then(pl.col("value") * 3)
    )
    result = _run(store.cells, docs_dir, previous)
    assert result.passed
    assert [o.column for o in result.warnings] == ["relative_change"]
    steady = _run(store.cells, docs_dir, store.cells.with_columns(period=a_year_earlier))
    assert steady.passed and steady.warnings == []


def test_single_period_without_halves(store: Store, docs_dir: Path) -> None:
    cells = protect(aggregate(store.linked, "2023H2"))
    result = run_gate(_gate(["2023H2"]), {"cells": cells}, docs_dir, data_docs=False)
    assert result.passed, result.failures
