"""The scale bench's daily runs: days linked one by one on the state the day before left."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from bench.scale import cached_store, day_runs, write_persons_of
from linkage.evaluate import SIGNAL_KEY


def test_persons_of_some_signals_keep_the_store_order(tmp_path: Path) -> None:
    persons = pl.DataFrame(
        {"region_code": ["VT01"] * 4, "signal_id": ["d", "a", "c", "a"], "person_seq": [1, 1, 1, 2]}
    )
    signals = pl.DataFrame({"region_code": ["VT01", "VT01"], "signal_id": ["a", "d"]})
    write_persons_of(persons.lazy(), signals, tmp_path / "p.parquet")
    kept = pl.read_parquet(tmp_path / "p.parquet")
    assert kept.select(*SIGNAL_KEY, "person_seq").rows() == [
        ("VT01", "d", 1),
        ("VT01", "a", 1),
        ("VT01", "a", 2),
    ]


def test_each_day_links_only_its_neighbourhood_and_the_history_is_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = cached_store(tmp_path, seed=3, scale=0.005, years=2)
    days = day_runs(tmp_path, store.signals, 2, 30)
    assert "history:" in capsys.readouterr().out
    day_rows = store.persons.join(
        store.signals.sort("received_on", *SIGNAL_KEY).tail(60).select(SIGNAL_KEY),
        on=SIGNAL_KEY,
        how="semi",
    ).height
    assert len(days) == 2
    assert sum(day["fresh_rows"] for day in days) == day_rows
    for day in days:
        # the day path: a neighbourhood of the fresh rows, not the whole history
        assert 0 < day["neighbourhood_rows"] < store.persons.height
    assert days[1]["person_rows"] == store.persons.height
    again = day_runs(tmp_path, store.signals, 2, 30)
    assert "history:" not in capsys.readouterr().out  # the history's state was kept
    assert [d["fresh_rows"] for d in again] == [d["fresh_rows"] for d in days]
    # a state of another linkage method (or other settings) is not extended: relinked
    model = tmp_path / "day-2-30" / "model.parquet"
    pl.read_parquet(model).with_columns(fingerprint=pl.lit("older")).write_parquet(model)
    relinked = day_runs(tmp_path, store.signals, 2, 30)
    assert "of other settings" in capsys.readouterr().out
    assert all(day["neighbourhood_rows"] > 0 for day in relinked)
