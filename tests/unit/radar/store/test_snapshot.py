"""The store: atomic commits, crash leftovers, one writer at a time."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import polars as pl
import pytest

from radar.contract.schemas import TableSchema
from radar.errors import StoreError, StoreLockedError
from radar.store import DataStore
from radar.store.lock import store_lock

NUMBERS = TableSchema("numbers", 1, {"n": pl.Int64()})
WORDS = TableSchema("words", 1, {"w": pl.String()})


def test_commit_and_read_back(tmp_path: Path) -> None:
    store = DataStore(tmp_path / "data")
    store.initialise()
    assert store.current().read(NUMBERS).is_empty()
    store.commit({NUMBERS: pl.DataFrame({"n": [1, 2]}), WORDS: pl.DataFrame({"w": ["a"]})}, meta={})
    second = store.commit({NUMBERS: pl.DataFrame({"n": [3]})}, meta={})
    assert second.name == "v000002"
    current = store.current()
    assert current.read(NUMBERS)["n"].to_list() == [3]
    assert current.read(WORDS)["w"].to_list() == ["a"]  # carried over
    assert [p.name for p in store.snapshots.iterdir()] == ["v000002"]  # older ones deleted


def test_crash_before_pointer_swap_keeps_previous_snapshot(tmp_path: Path) -> None:
    store = DataStore(tmp_path / "data")
    store.initialise()
    store.commit({NUMBERS: pl.DataFrame({"n": [1]})}, meta={})
    # What a run killed mid-commit leaves behind: a half-written snapshot and work files.
    (store.snapshots / "v000002.tmp").mkdir()
    (store.snapshots / "v000002.tmp" / "numbers.parquet").write_bytes(b"partial")
    (store.snapshots / "v000002").mkdir()
    (store.work / "run").mkdir(parents=True)
    (store.path / ".CURRENT.x1y2.tmp").write_text("v0000")  # an atomic write cut short
    # the reports of the snapshot whose commit never happened, and those of the committed one
    (store.reports / "runs" / "v000002").mkdir(parents=True)
    (store.reports / "runs" / "v000002" / "summary.json").write_text("{}")
    (store.reports / "runs" / "v000001").mkdir(parents=True)
    (store.reports / "runs" / "v000001" / "summary.json").write_text("{}")
    (store.reports / "runs" / "v000001" / ".quarantine.csv.abc.tmp").write_text("x")
    assert store.current().read(NUMBERS)["n"].to_list() == [1]
    assert store.next_name() == "v000002"
    store.remove_leftovers()
    assert sorted(p.name for p in store.snapshots.iterdir()) == ["v000001"]
    assert not store.work.exists()
    assert sorted(p.name for p in store.path.iterdir()) == [
        "CURRENT",
        "radar-store.json",
        "reports",
        "snapshots",
    ]
    assert [p.name for p in (store.reports / "runs").iterdir()] == ["v000001"]
    assert [p.name for p in (store.reports / "runs" / "v000001").iterdir()] == ["summary.json"]


def test_schema_version_mismatch_is_refused(tmp_path: Path) -> None:
    store = DataStore(tmp_path / "data")
    store.initialise()
    store.commit({NUMBERS: pl.DataFrame({"n": [1]})}, meta={})
    newer = TableSchema("numbers", 2, {"n": pl.Int64()})
    with pytest.raises(StoreError, match="schema v1"):
        store.current().read(newer)


def test_refuses_a_directory_that_is_not_a_store(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "notes.txt").write_text("x")
    with pytest.raises(StoreError, match="not a Radar data store"):
        DataStore(tmp_path / "elsewhere").initialise()


def _hold_lock(path: str, ready: multiprocessing.synchronize.Event) -> None:
    with store_lock(Path(path)):
        ready.set()
        time.sleep(30)


def test_second_writer_gets_a_clear_message_and_killed_holder_frees_it(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    holder = context.Process(target=_hold_lock, args=(str(tmp_path), ready))
    holder.start()
    try:
        assert ready.wait(20)
        with (
            pytest.raises(StoreLockedError, match=f"in use by another run \\(pid {holder.pid}\\)"),
            store_lock(tmp_path),
        ):
            pass
    finally:
        assert holder.pid is not None
        os.kill(holder.pid, 9)
        holder.join()
    with store_lock(tmp_path):  # the kernel released the dead holder's lock
        pass
