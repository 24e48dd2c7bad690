"""Helpers for tests that compare data stores and run the ``radar`` command as a real process."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

# the key of each table (a row may not occur twice under it)
KEYS = {
    "pseudonymised_signals": ["region_code", "signal_id"],
    "pseudonymised_persons": ["region_code", "signal_id", "person_seq"],
    "person_links": ["region_code", "signal_id", "person_seq"],
    "signal_families": ["region_code", "signal_id"],
    "deliveries": ["delivery_id"],
    "erasures": ["region_code", "signal_id"],
}


def current_snapshot(data: Path) -> Path:
    return data / "snapshots" / (data / "CURRENT").read_text().strip()


def committed_tables(data: Path) -> dict[str, pl.DataFrame]:
    """Every table of the committed snapshot, rows sorted (by every column that sorts)."""
    snapshot = current_snapshot(data)
    manifest = json.loads((snapshot / "manifest.json").read_text())
    tables: dict[str, pl.DataFrame] = {}
    for name, info in manifest["tables"].items():
        frame = pl.read_parquet(snapshot / f"{name}.parquet")
        assert frame.height == info["rows"], f"{name}: manifest says {info['rows']} rows"
        flat = [c for c, t in frame.schema.items() if not t.is_nested()]
        tables[name] = frame.sort(flat, nulls_last=True, maintain_order=True)
    return tables


def assert_same_tables(
    actual: Path, expected: Path, *, except_tables: frozenset[str] = frozenset()
) -> None:
    """The committed snapshots of two stores hold the same tables with the same rows (all but
    ``except_tables``, which both must hold)."""
    got, want = committed_tables(actual), committed_tables(expected)
    assert sorted(got) == sorted(want)
    for name, frame in want.items():
        if name in except_tables:
            continue
        try:
            assert_frame_equal(got[name], frame)
        except AssertionError as error:
            raise AssertionError(f"table {name} differs: {error}") from None
        key = KEYS.get(name)
        if key:
            assert not frame.select(key).is_duplicated().any(), f"{name}: duplicate keys"


#: The tables of the link stage: an incremental history and one run over everything train
#: their models on different data, so only their intake tables must agree.
LINK_TABLES = frozenset(
    {"person_links", "signal_families", "link_edges", "link_model", "link_frequencies"}
)


def assert_no_leftovers(data: Path) -> None:
    """One committed snapshot, no staging or temporary files, no work directory, and a
    report for the committed snapshot only if reports exist at all."""
    current = (data / "CURRENT").read_text().strip()
    assert [p.name for p in (data / "snapshots").iterdir()] == [current]
    assert not (data / "work").exists()
    temporary = [p for p in data.rglob("*") if p.name.endswith(".tmp")]
    assert not temporary, temporary
    runs = data / "reports" / "runs"
    newer = [p.name for p in runs.iterdir() if p.name > current] if runs.is_dir() else []
    assert not newer, f"reports of uncommitted snapshots: {newer}"


def radar(
    args: list[str], env: dict[str, str], timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "radar.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


@dataclass
class Killed:
    """A ``radar`` process killed with SIGKILL when a condition held."""

    returncode: int
    lines: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def output(self) -> str:
        return "".join(self.lines)


def _process_group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def run_and_kill(
    args: list[str], env: dict[str, str], when: Callable[[list[str]], bool], timeout: float = 600
) -> Killed:
    """Run ``radar ARGS --verbose``; SIGKILL the process (not its group) as soon as ``when``
    holds for the output so far. Fails if the run ended before, or left processes behind."""
    process = subprocess.Popen(
        [sys.executable, "-m", "radar.cli", *args, "--verbose"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env | {"PYTHONUNBUFFERED": "1", "PREFECT_LOGGING_LEVEL": "INFO"},
        start_new_session=True,
    )
    lines: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or []), daemon=True)
    reader.start()
    started = time.monotonic()
    try:
        while not when(lines):
            assert process.poll() is None, "the run ended before the kill point:\n" + "".join(
                lines[-30:]
            )
            assert time.monotonic() - started < timeout, "the kill point was never reached"
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)
        seconds = time.monotonic() - started
        returncode = process.wait()
    finally:
        if process.poll() is None:  # a failed assertion: do not leave the run behind
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
    reader.join(10)
    deadline = time.monotonic() + 10
    while _process_group_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _process_group_members(process.pid), "the killed run left processes behind"
    return Killed(returncode, lines, seconds)


def task_finished(name: str) -> Callable[[list[str]], bool]:
    """The Prefect log says task ``name`` finished (the next one has started)."""
    return lambda lines: any(
        f"Task run '{name}-" in line and "Finished in state" in line for line in lines
    )


def path_exists(predicate: Callable[[], bool]) -> Callable[[list[str]], bool]:
    return lambda _lines: predicate()


@contextlib.contextmanager
def temporary_env(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the block (for flows run in this process)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
