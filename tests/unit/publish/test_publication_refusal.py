"""A failed aggregates gate refuses the publication and leaves the previous bundle as it was.

The flow's task runs without a Prefect server (``.fn``). Failures are injected into what the
publisher hands the gate (a protection with its secondary suppressions undone, a region
dropped, a count left unrounded), as a bug in ``publish`` would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from flows.publication import REFUSED, PublicationInput, publish_period
from publish import bundle
from publish.attack import AttackReport
from publish.disclosure import protect_audited, round_count
from radar.errors import DataQualityError

Inject = Callable[[pl.DataFrame], pl.DataFrame]


def _tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _undo_secondary(cells: pl.DataFrame) -> pl.DataFrame:
    secondary = pl.col("suppression") == "secondary"
    return cells.with_columns(
        status=pl.when(secondary).then(pl.lit("ok")).otherwise("status"),
        value=pl.when(secondary).then(round_count(pl.col("raw_value"))).otherwise("value"),
    )


def _drop_region(cells: pl.DataFrame) -> pl.DataFrame:
    return cells.filter(pl.col("region_code") != "VT05")


def _unrounded(cells: pl.DataFrame) -> pl.DataFrame:
    shown = (pl.col("status") == "ok") & (pl.col("measure") == "signals_received")
    return cells.with_columns(value=pl.when(shown).then(pl.col("raw_value")).otherwise("value"))


CASES: list[tuple[str, Inject, str]] = [
    ("secondary suppression missing", _undo_secondary, "groups.suppressed"),
    ("region missing", _drop_region, "coverage.complete"),
    ("counts not rounded", _unrounded, "cells.count_rounded"),
]


@pytest.fixture(scope="module")
def source(linked_signals: pl.DataFrame) -> PublicationInput:
    return PublicationInput(
        snapshot="v000001",
        signals=linked_signals,
        provenance={"snapshot": "v000001", "input_deliveries": []},
        upstream_gates={},
    )


@pytest.fixture(scope="module")
def previous(source: PublicationInput, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundles")
    publish_period.fn(source, "2024H1", out)
    return out


@pytest.mark.parametrize(("name", "inject", "expected"), CASES, ids=[c[0] for c in CASES])
def test_refusal_leaves_previous_bundle_untouched(
    source: PublicationInput,
    previous: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    inject: Inject,
    expected: str,
) -> None:
    before = _tree(previous / "2024H1")
    assert "aggregates.csv" in before

    def broken(
        cells: pl.DataFrame, *, fixed: pl.DataFrame | None = None
    ) -> tuple[pl.DataFrame, AttackReport | None]:
        protected, report = protect_audited(cells, fixed=fixed)
        return inject(protected), report

    monkeypatch.setattr(bundle, "protect_audited", broken)
    with pytest.raises(DataQualityError) as refused:
        publish_period.fn(source, "2024H1", previous)
    message = str(refused.value)
    assert "publication of 2024H1 refused" in message and "aggregates gate failed" in message
    assert expected in message and " rows)" in message, message
    assert "previous bundle is unchanged" in message
    assert _tree(previous / "2024H1") == before, "the previous bundle changed"
    kept = previous / REFUSED / "2024H1"
    assert (kept / "aggregates.json").is_file() and (kept / "data_docs" / "index.html").is_file()
    assert not list(kept.rglob("aggregates.csv")), "a refused table must not be left behind"
    assert sorted(p.name for p in previous.iterdir()) == [REFUSED, "2024H1"], "leftovers"


def test_a_later_success_replaces_the_bundle_and_clears_the_refusal(
    source: PublicationInput, previous: Path
) -> None:
    (previous / REFUSED / "2024H1").mkdir(parents=True, exist_ok=True)
    done = publish_period.fn(source, "2024H1", previous)
    assert Path(done.aggregates).is_file()
    assert not (previous / REFUSED / "2024H1").exists()
    assert sorted(p.name for p in previous.iterdir()) == [REFUSED, "2024H1"]
