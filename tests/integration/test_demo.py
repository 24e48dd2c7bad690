"""`radar demo` with nothing configured: synthetic data through the whole pipeline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

pytestmark = pytest.mark.slow


def test_demo_runs_with_nothing_configured(prefect_server: dict[str, str], tmp_path: Path) -> None:
    env = {k: v for k, v in prefect_server.items() if not k.startswith("RADAR_")}
    directory = tmp_path / "demo"
    args = ["demo", "--dir", str(directory), "--scale", "0.003", "--years", "1"]
    result = subprocess.run(
        [sys.executable, "-m", "radar.cli", *args],
        capture_output=True,
        text=True,
        env=env | {"COLUMNS": "200"},
        timeout=600,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-3000:]
    assert "made a local demo key" in out
    key = directory / "demo-master.key"
    assert key.stat().st_mode & 0o077 == 0, "the demo key must be private to its owner"
    assert key.read_text().strip() not in out + result.stderr
    data = directory / "data"
    assert f"Data store:     {data}" in out
    snapshot = data / "snapshots" / (data / "CURRENT").read_text().strip()
    signals = pl.read_parquet(snapshot / "pseudonymised_signals.parquet")
    persons = pl.read_parquet(snapshot / "pseudonymised_persons.parquet")
    assert signals.height > 100 and persons.height > signals.height
    assert set(signals["note_status"]) <= {"redacted", "empty", "withheld"}
    assert "first_names" not in persons.columns and "bsn" not in persons.columns
    # A second demo replaces the first one (it only ever deletes its own directory).
    again = subprocess.run(
        [sys.executable, "-m", "radar.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert again.returncode == 0
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("x")
    refused = subprocess.run(
        [sys.executable, "-m", "radar.cli", "demo", "--dir", str(tmp_path / "other")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert refused.returncode != 0 and (tmp_path / "other" / "keep.txt").exists()
