"""Two worker processes, each with its own redactor (slow: each loads deduce)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from pseudonymise.redact import redact_notes
from pseudonymise.redact.parallel import RedactorPool


@pytest.mark.slow
def test_two_workers_match_one() -> None:
    notes = pl.Series(
        [f"Melding {i}: Kevin de Boer belt vanaf 06-1234567{i % 10}." for i in range(60)]
        + [None, ""]
    )
    parallel = redact_notes(notes, workers=2, chunk_size=16)
    single = redact_notes(notes, workers=1)
    assert parallel.equals(single)
    assert parallel["note_status"].value_counts().sort("note_status").rows() == [
        ("empty", 2),
        ("redacted", 60),
    ]


@pytest.mark.slow
def test_startup_is_measured_apart() -> None:
    with RedactorPool(2, chunk_size=8) as pool:
        assert pool.startup_seconds > 0
        out = pool.redact_texts(["BSN 123456782"] * 20)
    assert out == [("BSN <BSN>", None)] * 20
    assert pool.cpu_seconds > 0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_workers_end_when_their_parent_is_killed() -> None:
    """A run killed with SIGKILL must not leave its redaction workers (~1 GB each) running."""
    script = (
        "import time\n"
        "from pseudonymise.redact.parallel import RedactorPool\n"
        "RedactorPool(2).start()\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while len(workers) < 2:  # the two workers, once spawned (not the resource tracker)
            assert time.monotonic() < deadline, "the pool did not start its workers"
            time.sleep(0.2)
            workers = [pid for pid in _children(parent.pid) if b"spawn_main" in _cmdline(pid)]
        time.sleep(0.5)  # let them reach their initializer
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    leftover = [pid for pid in workers if _alive(pid)]
    for pid in leftover:  # clean up before failing
        os.kill(pid, signal.SIGKILL)
    assert not leftover, f"redaction workers outlived their killed parent: {leftover}"
