"""The bundle of a period: its files, and bundles published one by one that disclose nothing
together (the attacker sees every bundle of the year at once)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from publish import bundle as b
from publish.attack import attack
from publish.disclosure import protect, published

PROVENANCE = {"snapshot": "v000009", "input_deliveries": ["2024-01-31_VT01_01"]}


def _build(signals: pl.DataFrame, period: str, out: Path) -> b.Bundle:
    return b.build(
        signals,
        period,
        out / period,
        out_root=out,
        provenance=PROVENANCE,
        upstream_gates={"store": {"passed": True}},
    )


def _read(path: Path) -> pl.DataFrame:
    return pl.read_csv(
        path,
        schema_overrides={"period": pl.String, "breakdown": pl.String, "value": pl.String},
    ).with_columns(pl.col("breakdown").fill_null(""))


def test_bundle_files_and_metadata(linked_signals: pl.DataFrame, tmp_path: Path) -> None:
    done = _build(linked_signals, "2024", tmp_path)
    folder = tmp_path / "2024"
    assert {p.name for p in folder.iterdir()} == {"aggregates.csv", "metadata.json", "validation"}
    cells = _read(folder / "aggregates.csv")
    assert cells.columns == ["period", "region_code", "measure", "breakdown", "value", "status"]
    assert set(cells["period"]) == {"2024"} and cells.height == done.cells
    counts = cells.filter(pl.col("measure") != "repeat_signals_other_region_pct")
    shown = counts.filter(pl.col("status") == "ok")["value"]
    assert shown.str.contains(r"^\d+$").all(), "counts are written as whole numbers"
    assert (shown.cast(pl.Int64) % 5 == 0).all()
    assert cells.filter(pl.col("status") == ".")["value"].is_null().all()
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["period"] == "2024" and meta["engine"]["version"]
    assert meta["created_at"].endswith("+00:00")
    assert meta["input_deliveries"] == PROVENANCE["input_deliveries"]
    control = meta["disclosure_control"]
    assert control["protected_together"] == ["2024", "2024H1", "2024H2"]
    assert control["audit"]["recoverable"] == 0
    gates = meta["quality_gates"]
    assert gates["store"] == {"passed": True} and gates["aggregates"]["passed"] is True
    assert (folder / gates["aggregates"]["data_docs"]).is_file()
    result = json.loads((folder / gates["aggregates"]["result"]).read_text())
    assert result["passed"] is True and result["failures"] == 0


def _union(out: Path) -> pl.DataFrame:
    frames = [_read(p) for p in sorted(out.glob("*/aggregates.csv"))]
    return pl.concat(frames).with_columns(pl.col("value").cast(pl.Float64))


def test_bundles_published_one_by_one_disclose_nothing_together(
    linked_signals: pl.DataFrame, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = _build(linked_signals, "2024H1", out)  # July: the half-year alone
    assert first.metadata["disclosure_control"]["protected_together"] == ["2024H1"]
    year = _build(linked_signals, "2024", out)  # January: the year, H1's statuses kept
    assert year.metadata["disclosure_control"]["statuses_kept_from"] == ["2024H1"]
    _build(linked_signals, "2024H2", out)
    union = _union(out)
    assert set(union["period"]) == {"2024", "2024H1", "2024H2"}
    report = attack(union)
    assert len(report.intervals) > 50
    assert report.disclosed == [], [i.key for i in report.disclosed[:5]]


def test_without_kept_statuses_the_union_would_disclose(
    linked_signals: pl.DataFrame, tmp_path: Path
) -> None:
    """The control: H1 protected alone and the year protected without H1's statuses."""
    from publish.aggregates import aggregate

    h1 = published(protect(aggregate(linked_signals, "2024H1")))
    joint = published(
        protect(pl.concat([aggregate(linked_signals, p) for p in ("2024", "2024H1", "2024H2")]))
    )
    union = pl.concat([h1, joint.filter(pl.col("period") != "2024H1")])
    assert not attack(union).safe


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        ("2025-07-05", ["2025H1"]),
        ("2025-01-05", ["2024H2", "2024"]),
        ("2025-06-30", ["2024H2", "2024"]),
    ],
)
def test_latest_periods(today: str, expected: list[str]) -> None:
    import datetime as dt

    from flows.publication import periods_to_publish

    assert periods_to_publish("latest", dt.date.fromisoformat(today)) == expected
    assert periods_to_publish("2024H2") == ["2024H2"]
