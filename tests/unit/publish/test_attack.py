"""The attacker recovers nothing from the protected table, and does break a weak protection."""

import numpy as np
import polars as pl
import pytest
from scipy.optimize import linprog

from publish.attack import PROTECTION_WIDTH, _system, attack
from publish.constraints import relations
from publish.disclosure import protect, published, round_count


@pytest.fixture(scope="module")
def protected(cells: pl.DataFrame) -> pl.DataFrame:
    return protect(cells)


def _primary_only(protected: pl.DataFrame) -> pl.DataFrame:
    """The same table with every secondary suppression undone (published, rounded)."""
    secondary = pl.col("suppression") == "secondary"
    return protected.with_columns(
        status=pl.when(secondary).then(pl.lit("ok")).otherwise("status"),
        value=pl.when(secondary).then(round_count(pl.col("raw_value"))).otherwise("value"),
    )


def _contains_truth(report_intervals: list, truth: pl.Series) -> bool:
    """Solved intervals are the attacker's exact bounds: the true value must lie inside."""
    solved = [i for i in report_intervals if i.solved]
    return all(i.low - 1e-6 <= truth[i.position] <= i.high + 1e-6 for i in solved)


def test_protected_table_discloses_nothing(protected: pl.DataFrame) -> None:
    report = attack(published(protected))
    assert (
        len(report.intervals)
        == (protected["status"] == ".").sum() - (protected["suppression"] == "denominator").sum()
    )
    assert report.disclosed == []
    assert all(i.width >= PROTECTION_WIDTH for i in report.intervals)
    assert _contains_truth(report.intervals, protected["raw_value"])


def test_group_rules_alone_already_suffice(cells: pl.DataFrame) -> None:
    assert attack(published(protect(cells, audit=False))).safe


def test_primary_suppression_only_is_broken(protected: pl.DataFrame) -> None:
    weak = _primary_only(protected)
    report = attack(published(weak))
    assert len(report.disclosed) >= 5
    assert all(i.solved for i in report.disclosed)
    assert _contains_truth(report.intervals, weak["raw_value"])
    groups_hit = {i.key[3].split("=")[0] for i in report.disclosed}
    assert groups_hit  # breakdown dimensions whose single suppressed cell was recomputed


def test_warm_started_bounds_equal_programs_solved_from_scratch(protected: pl.DataFrame) -> None:
    """The attack's one HiGHS model, re-solved per objective, gives what scipy's linprog gives."""
    table = published(_primary_only(protected))
    report = attack(table)
    cols, bounds, a_eq, a_ub = _system(table, relations(table))
    column = {int(position): j for j, position in enumerate(cols)}
    solved = [i for i in report.intervals if i.solved][:12]
    assert len(solved) >= 5
    for interval in solved:
        j = column[interval.position]
        found = []
        for sign in (1.0, -1.0):
            c = np.zeros(len(cols))
            c[j] = sign
            result = linprog(
                c,
                A_eq=a_eq,
                b_eq=None if a_eq is None else np.zeros(a_eq.shape[0]),
                A_ub=a_ub,
                b_ub=None if a_ub is None else np.zeros(a_ub.shape[0]),
                bounds=bounds,
                method="highs",
            )
            found.append(np.inf if result.status == 3 else sign * result.fun)
        assert interval.low == pytest.approx(found[0], abs=1e-6)
        assert interval.high == pytest.approx(found[1], abs=1e-6)


def _table(rows: list[tuple[str, str, str, float | None, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema=["period", "region_code", "measure", "breakdown", "value", "status"],
        orient="row",
    ).with_columns(pl.col("value").cast(pl.Float64))


def test_exact_recovery_through_half_years() -> None:
    """Year published, one half suppressed, the other published: the half is pinned."""
    rows = [
        ("2024", "NL", "signals_received", "kind=melding", 40.0, "ok"),
        ("2024H1", "NL", "signals_received", "kind=melding", None, "."),
        ("2024H2", "NL", "signals_received", "kind=melding", 35.0, "ok"),
    ]
    report = attack(_table(rows))
    assert [i.key[0] for i in report.disclosed] == ["2024H1"]
    (cell,) = report.disclosed
    assert cell.low == pytest.approx(1.0) and cell.high == pytest.approx(9.0)


def test_two_suppressed_halves_with_a_large_year_are_safe() -> None:
    rows = [
        ("2024", "NL", "signals_received", "kind=melding", 40.0, "ok"),
        ("2024H1", "NL", "signals_received", "kind=melding", None, "."),
        ("2024H2", "NL", "signals_received", "kind=melding", None, "."),
    ]
    report = attack(_table(rows))
    assert report.safe and all(i.width >= 38 for i in report.intervals)
