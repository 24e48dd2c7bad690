"""`radar run` through the real command: a real Prefect server, files in and out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from tests.corpus import PERSONS, SIGNALS, write_delivery

pytestmark = pytest.mark.slow


def _radar(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "radar.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


@pytest.fixture
def env(prefect_server: dict[str, str], tmp_path: Path) -> dict[str, str]:
    key = tmp_path / "master.key"
    key.write_text("ab" * 32)
    base = {k: v for k, v in prefect_server.items() if not k.startswith("RADAR_")}
    return base | {
        "RADAR_KEYS__MASTER_KEY_FILE": str(key),
        "RADAR_INTAKE__TODAY": "2024-06-01",
        "COLUMNS": "200",
    }


def _inbox(root: Path) -> Path:
    inbox = root / "inbox"
    write_delivery(
        inbox / "2024-01-31_VT25_01",
        manifest={"signals_rows": len(SIGNALS), "persons_rows": len(PERSONS)},
    )
    write_delivery(
        inbox / "2024-02-29_VT25_01",
        signals=[SIGNALS[0].replace("2024-01-05,,", "2024-01-05,2024-02-20,")],
        persons=PERSONS[:2],
        erasures=["VT25,S-005"],
    )
    bad = write_delivery(inbox / "2024-03-31_VT25_01")
    (bad / "signals.csv").write_text("signal_id,region_code,received_on\nS-9,VT25,2024-03-01\n")
    return inbox


def test_run_refuses_without_a_key(env: dict[str, str], tmp_path: Path) -> None:
    env = {k: v for k, v in env.items() if not k.startswith("RADAR_KEYS")}
    result = _radar(["run", "--inbox", str(_inbox(tmp_path)), "--data", str(tmp_path / "d")], env)
    assert result.returncode != 0
    assert "no pseudonymisation key is configured" in result.stdout + result.stderr
    assert not (tmp_path / "d" / "CURRENT").exists()


def test_run_processes_inbox_once_and_reports(env: dict[str, str], tmp_path: Path) -> None:
    inbox, data = _inbox(tmp_path), tmp_path / "data"
    first = _radar(["run", "--inbox", str(inbox), "--data", str(data)], env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "deliveries accepted" in first.stdout
    assert (
        "rejected: delivery 2024-03-31_VT25_01: signals.csv: line 1: missing required "
        "column(s) kind" in " ".join(first.stdout.split())
    )
    snapshot = (data / "CURRENT").read_text().strip()
    signals = pl.read_parquet(data / "snapshots" / snapshot / "pseudonymised_signals.parquet")
    persons = pl.read_parquet(data / "snapshots" / snapshot / "pseudonymised_persons.parquet")
    assert sorted(signals["signal_id"]) == ["S-001", "S-002", "S-003", "S-004"]  # S-005 erased
    assert (
        signals.filter(pl.col("signal_id") == "S-001")["closed_on"].item().isoformat()
        == "2024-02-20"
    )
    assert persons.filter(pl.col("signal_id") == "S-001").height == 2  # re-delivered with two
    ledger = pl.read_parquet(data / "snapshots" / snapshot / "deliveries.parquet")
    assert ledger.select("delivery_id", "status").rows() == [
        ("2024-01-31_VT25_01", "accepted"),
        ("2024-02-29_VT25_01", "accepted"),
        ("2024-03-31_VT25_01", "rejected"),
    ]
    summary = json.loads((data / "reports" / "runs" / snapshot / "summary.json").read_text())
    assert summary["deliveries_accepted"] == 2 and summary["deliveries_rejected"] == 1

    files_before = {p: p.read_bytes() for p in (data / "snapshots").rglob("*") if p.is_file()}
    again = _radar(["run", "--inbox", str(inbox), "--data", str(data)], env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert (data / "CURRENT").read_text().strip() == snapshot
    files_after = {p: p.read_bytes() for p in (data / "snapshots").rglob("*") if p.is_file()}
    assert files_after == files_before, "a rerun must change nothing"


def test_export_links_writes_one_row_per_accepted_row(env: dict[str, str], tmp_path: Path) -> None:
    inbox, data, out = _inbox(tmp_path), tmp_path / "data", tmp_path / "links"
    refused = _radar(["export", "links", "--data", str(data), "--out", str(out)], env)
    assert refused.returncode != 0 and "is not a data store" in refused.stdout
    assert _radar(["run", "--inbox", str(inbox), "--data", str(data)], env).returncode == 0
    result = _radar(["export", "links", "--data", str(data), "--out", str(out)], env)
    assert result.returncode == 0, result.stdout + result.stderr
    persons = pl.read_csv(out / "person_links.csv", schema_overrides={"person_seq": pl.Int32})
    families = pl.read_csv(out / "signal_families.csv")
    assert persons.columns == ["region_code", "signal_id", "person_seq", "person_id"]
    assert families.columns == [
        "region_code",
        "signal_id",
        "family_id",
        "recurrence_category",
        "prior_signals",
        "prior_other_region",
    ]
    # S-001 re-delivered with two persons, S-005 erased: 2 + 1 + 2 + 1 person rows, 4 signals
    assert persons.height == 6 and sorted(families["signal_id"]) == [
        "S-001",
        "S-002",
        "S-003",
        "S-004",
    ]
    assert persons["person_id"].str.contains(r"^P[0-9a-f]{20}$").all()
    assert families["family_id"].str.contains(r"^F[0-9a-f]{20}$").all()
    text = (out / "person_links.csv").read_text() + (out / "signal_families.csv").read_text()
    for clear in ("Anna", "Vries", "123456782", "1985", "Dorpsstraat", "6211"):
        assert clear not in text
