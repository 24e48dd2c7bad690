"""Reruns and restarts: runs killed with SIGKILL mid-stage, two runs at once, a full rebuild.

All through the real ``radar`` command against the session's Prefect server, on one synthetic
inbox (three regions including the 2023 merger, quarterly deliveries with re-deliveries and
erasures, no notes). The store of an uninterrupted run is the reference every other store is
compared with: the same tables with the same rows (person and family ids included), compared
as sorted table contents, not file bytes.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from radar.errors import ConfigError
from radar.synth import SynthConfig, generate
from tests.stores import (
    LINK_TABLES,
    assert_no_leftovers,
    assert_same_tables,
    committed_tables,
    path_exists,
    radar,
    run_and_kill,
    task_finished,
    temporary_env,
)

pytestmark = [pytest.mark.slow, pytest.mark.server]


@dataclass(frozen=True)
class Setup:
    deliveries: list[Path]  # every delivery of the synthetic inbox, in name order
    inbox: Path
    env: dict[str, str]  # for the command: the session's server, the key, the date
    root: Path


@pytest.fixture(scope="module")
def setup(prefect_server: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Setup:
    root = tmp_path_factory.mktemp("recovery")
    synth = generate(
        SynthConfig(
            seed=7,
            start_year=2022,
            years=2,
            scale=0.02,
            regions=("VT16", "VT26", "VT25"),
            delivery_period="quarter",
            notes=False,
        ),
        root / "synth",
    )
    key = root / "master.key"
    key.write_text("cd" * 32)
    base = {k: v for k, v in prefect_server.items() if not k.startswith("RADAR_")}
    env = base | {
        "RADAR_KEYS__MASTER_KEY_FILE": str(key),
        "RADAR_INTAKE__TODAY": "2025-01-01",
        "COLUMNS": "200",
    }
    deliveries = sorted(p for p in synth.inbox.iterdir() if p.is_dir())
    assert len(deliveries) == 20 and any((p / "erasures.csv").exists() for p in deliveries)
    return Setup(deliveries, synth.inbox, env, root)


@contextlib.contextmanager
def in_process(setup: Setup) -> Iterator[None]:
    """Run flows in this process against the session's server, with the command's settings."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    radar_env = {k: v for k, v in setup.env.items() if k.startswith("RADAR_")}
    with (
        temporary_settings({PREFECT_API_URL: setup.env["PREFECT_API_URL"]}),
        temporary_env(radar_env),
    ):
        yield


def _inbox(folder: Path, deliveries: list[Path]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for delivery in deliveries:
        shutil.copytree(delivery, folder / delivery.name)
    return folder


@dataclass(frozen=True)
class Race:
    results: list[subprocess.CompletedProcess[str]]
    pids: list[int]
    data: Path


@pytest.fixture(scope="module")
def race(setup: Setup) -> Race:
    """Two ``radar run`` started at once on one new store. Whichever takes the lock first is
    frozen (SIGSTOP) while it holds it, until the other has ended, so the race always overlaps
    however the two start-ups are timed; then it goes on. The winner's store is the reference:
    an uninterrupted run over the whole inbox."""
    data = setup.root / "race"
    command = [sys.executable, "-m", "radar.cli", "run", "--inbox", str(setup.inbox)]
    processes = [
        subprocess.Popen(
            [*command, "--data", str(data)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=setup.env,
        )
        for _ in range(2)
    ]
    pids = [p.pid for p in processes]
    try:
        deadline = time.monotonic() + 300
        holder = ""
        while holder not in {str(pid) for pid in pids}:  # the lock's holder writes its pid
            assert time.monotonic() < deadline, "no run took the lock"
            assert all(p.poll() is None for p in processes), "a run ended before the lock"
            with contextlib.suppress(OSError):
                holder = (data / ".lock").read_text().strip()
            time.sleep(0.005)
        winner = pids.index(int(holder))
        os.kill(pids[winner], signal.SIGSTOP)
        try:
            other = processes[1 - winner]
            outputs = {1 - winner: other.communicate(timeout=300)[0]}
        finally:
            os.kill(pids[winner], signal.SIGCONT)
        outputs[winner] = processes[winner].communicate(timeout=600)[0]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    results = [
        subprocess.CompletedProcess(p.args, p.returncode, outputs[i], "")
        for i, p in enumerate(processes)
    ]
    return Race(results, pids, data)


def test_two_runs_at_once_one_wins_the_other_is_refused(setup: Setup, race: Race) -> None:
    codes = [r.returncode for r in race.results]
    assert sorted(codes) == [0, 2], [r.stdout[-2000:] for r in race.results]
    winner, loser = (0, 1) if codes[0] == 0 else (1, 0)
    message = " ".join(race.results[loser].stdout.split())
    assert (
        f"error: the data store {race.data} is in use by another run (pid {race.pids[winner]}); "
        "wait for it to finish, then run again" in message
    ), message
    assert "Traceback" not in race.results[loser].stdout
    tables = committed_tables(race.data)
    ledger = tables["deliveries"]
    assert ledger["delivery_id"].to_list() == [p.name for p in setup.deliveries]
    assert_no_leftovers(race.data)
    assert (race.data / "CURRENT").read_text().strip() == "v000001"
    # the refused run wrote nothing; a rerun completes and finds nothing new
    again = radar(["run", "--inbox", str(setup.inbox), "--data", str(race.data)], setup.env)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "deliveries already processed" in again.stdout
    assert (race.data / "CURRENT").read_text().strip() == "v000001"


def test_runs_killed_mid_stage_leave_a_store_a_rerun_completes(setup: Setup, race: Race) -> None:
    """A store with one committed snapshot; runs over new deliveries killed with SIGKILL
    while reading, while linking, while committing and right after the commit; then a run to
    the end. The result equals the uninterrupted run's store."""
    data = setup.root / "killed"
    inbox = setup.root / "killed-inbox"
    first_year = [p for p in setup.deliveries if p.name < "2023"]
    _inbox(inbox, first_year)
    from flows.run import radar_run

    with in_process(setup):
        radar_run(inbox=str(inbox), data=str(data))  # v000001: the first year
    before = committed_tables(data)
    _inbox(inbox, [p for p in setup.deliveries if p.name >= "2023"])
    args = ["run", "--inbox", str(inbox), "--data", str(data)]
    snapshots = data / "snapshots"
    kill_points = {
        "reading the inbox": task_finished("scan_inbox"),
        "linking": task_finished("merge_batch"),
        "writing the new snapshot": path_exists(lambda: any(snapshots.glob("*.tmp"))),
    }
    for where, when in kill_points.items():
        killed = run_and_kill(args, setup.env, when)
        assert killed.returncode == -9, where
        assert (data / "CURRENT").read_text().strip() == "v000001", f"killed {where}"
        print(f"killed {where} after {killed.seconds:.1f} s")
        for name, frame in committed_tables(data).items():  # the committed snapshot holds
            assert frame.equals(before[name]), f"killed {where}: {name} changed"
    staged = [p.name for p in snapshots.iterdir()]
    assert "v000002.tmp" in staged, f"the last kill did not land mid-commit: {staged}"
    committed = run_and_kill(
        args, setup.env, path_exists(lambda: (data / "CURRENT").read_text().strip() != "v000001")
    )
    assert committed.returncode == -9
    print(f"killed after the commit after {committed.seconds:.1f} s")
    summary = json.loads((data / "reports" / "runs" / "v000002" / "summary.json").read_text())
    assert summary["snapshot"] == "v000002"  # the report was written before the commit

    final = radar(args, setup.env)
    assert final.returncode == 0, final.stdout[-3000:] + final.stderr[-3000:]
    assert_same_tables(data, race.data)
    assert_no_leftovers(data)


def test_rebuild_equals_the_daily_runs(setup: Setup, race: Race) -> None:
    """Daily runs over the deliveries as they arrive (each delivery date one run, linked
    incrementally) give the intake tables of one run over the whole inbox; a rebuild, which
    replaces the snapshot atomically, relinks with the daily runs' model and gives their
    persons and person pairs (families but for lone signals attached earlier); a rebuild that
    retrains gives the one run's tables."""
    from flows.rebuild import radar_rebuild
    from flows.run import radar_run

    daily, inbox = setup.root / "daily", setup.root / "daily-inbox"
    inbox.mkdir()
    with in_process(setup):
        with pytest.raises(ConfigError, match="holds no delivery"):
            radar_rebuild(inbox=str(inbox), data=str(daily))
        for _date, arrived in groupby(setup.deliveries, key=lambda p: p.name[:10]):
            _inbox(inbox, list(arrived))
            radar_run(inbox=str(inbox), data=str(daily))
    assert (daily / "CURRENT").read_text().strip() == "v000008"
    summaries = sorted((daily / "reports" / "runs").glob("*/summary.json"))
    modes = [json.loads(p.read_text())["link_stats"]["incremental"] for p in summaries]
    assert modes[0] == 0 and 1 in modes, modes  # the first run trains; later ones extend
    assert_same_tables(daily, race.data, except_tables=LINK_TABLES)

    rebuilt = setup.root / "rebuilt"
    shutil.copytree(daily, rebuilt)
    result = radar(["rebuild", "--inbox", str(setup.inbox), "--data", str(rebuilt)], setup.env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    snapshot = rebuilt / "snapshots" / "v000009"
    manifest = json.loads((snapshot / "manifest.json").read_text())
    assert manifest["parent"] == "v000008" and manifest["rebuild"] is True
    # the same persons and person pairs; a family may differ where a signal attached while it
    # was alone keeps that attachment in the daily runs (README, linkage: incremental)
    assert_same_tables(rebuilt, daily, except_tables=frozenset({"link_edges", "signal_families"}))
    got, want = committed_tables(rebuilt), committed_tables(daily)
    person = pl.col("kind") == "person"
    assert_frame_equal(got["link_edges"].filter(person), want["link_edges"].filter(person))
    families = got["signal_families"].join(
        want["signal_families"], on=["region_code", "signal_id"], suffix="_daily"
    )
    assert families.height == want["signal_families"].height
    same = families.filter(pl.col("family_id") == pl.col("family_id_daily")).height
    assert same >= 0.99 * families.height, f"{families.height - same} families differ"
    assert_no_leftovers(rebuilt)

    with in_process(setup):
        radar_rebuild(inbox=str(setup.inbox), data=str(rebuilt), retrain=True)
    assert_same_tables(rebuilt, race.data)
