"""prefect.yaml on a real server: a process work pool, the deployments, a worker, runs on demand.

What an operator does (README, Operations), command by command: create the pool, deploy from
the project root, start a worker, run the daily deployment and the full rebuild and watch them;
then the worker is stopped by its pid and nothing it started is left running.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from radar.synth import SynthConfig, generate
from tests.stores import assert_no_leftovers, assert_same_tables, committed_tables

pytestmark = [pytest.mark.slow, pytest.mark.server]

PROJECT = Path(__file__).resolve().parents[2]
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _prefect(
    args: list[str], env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prefect", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def _descendants(root: int) -> set[int]:
    """Live processes below ``root`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if fields[0] != "Z":
                    parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@contextlib.contextmanager
def _worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``prefect worker start --pool radar`` in its own process group; stopped by its pid."""
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "prefect", "worker", "start", "--pool", "radar"],
            cwd=PROJECT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield worker
        finally:
            started = _descendants(worker.pid)
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
                raise
            deadline = time.monotonic() + 10
            while any(_alive(pid) for pid in started) and time.monotonic() < deadline:
                time.sleep(0.2)
            left = [pid for pid in started if _alive(pid)]
            for pid in left:
                os.kill(pid, signal.SIGKILL)
            assert not left, f"the worker left processes behind: {left}"


def _flow_runs(api: str, deployment: str) -> list[dict[str, object]]:
    request = urllib.request.Request(
        f"{api}/flow_runs/filter",
        data=json.dumps({"deployments": {"name": {"any_": [deployment]}}}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        runs: list[dict[str, object]] = json.load(response)
    return runs


def test_deployments_run_on_a_worker(prefect_server: dict[str, str], tmp_path: Path) -> None:
    synth = generate(
        SynthConfig(
            seed=11,
            start_year=2023,
            years=1,
            scale=0.02,
            regions=("VT25", "VT27"),
            delivery_period="quarter",
            notes=False,
        ),
        tmp_path / "synth",
    )
    data = tmp_path / "data"
    key = tmp_path / "master.key"
    key.write_text("ef" * 32)
    base = {k: v for k, v in prefect_server.items() if not k.startswith("RADAR_")}
    api = base["PREFECT_API_URL"]
    # the deployment's parameters come from the environment of `prefect deploy`
    deploy_env = base | {
        "RADAR_PROJECT_DIR": str(PROJECT),
        "RADAR_INBOX": str(synth.inbox),
        "RADAR_DATA": str(data),
    }
    # settings and the key come from the worker's environment, never from the server
    worker_env = base | {
        "RADAR_KEYS__MASTER_KEY_FILE": str(key),
        "RADAR_INTAKE__TODAY": "2024-06-01",
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "PREFECT_LOGGING_LEVEL": "INFO",
    }

    pool = _prefect(["work-pool", "create", "radar", "--type", "process"], base)
    assert pool.returncode == 0, pool.stdout + pool.stderr
    deploy = _prefect(
        ["--no-prompt", "deploy", "--name", "daily-intake", "--name", "full-rebuild"], deploy_env
    )
    assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-3000:]
    for name in ("radar-run/daily-intake", "radar-rebuild/full-rebuild"):
        assert f"Deployment '{name}' successfully created" in " ".join(deploy.stdout.split())
    with urllib.request.urlopen(f"{api}/deployments/name/radar-run/daily-intake") as response:
        stored = json.load(response)
    assert stored["parameters"] == {"inbox": str(synth.inbox), "data": str(data)}
    assert [s["schedule"] for s in stored["schedules"]] == [
        {"cron": "0 6 * * *", "timezone": "Europe/Amsterdam", "day_or": True}
    ]
    assert str(key) not in json.dumps(stored)  # the key never reaches the server

    log = tmp_path / "worker.log"
    with _worker(worker_env, log):
        started = time.monotonic()
        run = _prefect(["deployment", "run", "radar-run/daily-intake", "--watch"], base, 600)
        seconds = time.monotonic() - started
        assert run.returncode == 0, run.stdout[-3000:] + log.read_text()[-3000:]
        assert "Flow run finished successfully in 'Completed'" in run.stdout
        print(f"daily-intake deployment, end to end (run --watch): {seconds:.1f} s")
        snapshot = (data / "CURRENT").read_text().strip()
        assert snapshot == "v000001"
        tables = committed_tables(data)
        assert tables["pseudonymised_signals"].height > 100
        persons = tables["pseudonymised_persons"].height
        assert persons > tables["pseudonymised_signals"].height
        assert tables["person_links"].height == persons
        assert tables["person_links"]["person_id"].n_unique() < persons  # it linked something
        assert (data / "reports" / "runs" / snapshot / "summary.json").is_file()
        kept = tmp_path / "daily"
        subprocess.run(["cp", "-a", str(data), str(kept)], check=True)

        rebuild = _prefect(
            ["deployment", "run", "radar-rebuild/full-rebuild", "--watch"], base, 600
        )
        assert rebuild.returncode == 0, rebuild.stdout[-3000:] + log.read_text()[-3000:]
        assert (data / "CURRENT").read_text().strip() == "v000002"
        assert_same_tables(data, kept)
        assert_no_leftovers(data)
    for deployment in ("daily-intake", "full-rebuild"):
        runs = _flow_runs(api, deployment)
        ran = [r["state_type"] for r in runs if r["state_type"] != "SCHEDULED"]
        assert ran == ["COMPLETED"], (deployment, ran)
    # the scheduler's own runs of the daily deployment: at 06:00 in Amsterdam, none for the rebuild
    scheduled = [
        dt.datetime.fromisoformat(str(r["expected_start_time"])).astimezone(AMSTERDAM)
        for r in _flow_runs(api, "daily-intake")
        if r["state_type"] == "SCHEDULED"
    ]
    assert scheduled and {(t.hour, t.minute) for t in scheduled} == {(6, 0)}
    assert all(r["state_type"] != "SCHEDULED" for r in _flow_runs(api, "full-rebuild"))
