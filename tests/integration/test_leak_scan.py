"""Leak scan: after a real run, no plaintext identifier of the input is anywhere Radar wrote."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from expectations.leakscan import scan_run
from radar.synth import SynthConfig, generate

pytestmark = pytest.mark.slow


def _artifacts(api: str) -> dict[str, str]:
    """Every artifact the Prefect server holds, by id."""
    request = urllib.request.Request(
        f"{api}/artifacts/filter", data=b"{}", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        found = json.loads(response.read())
    return {f"artifact {a['id']}": json.dumps(a) for a in found}


def test_no_identifier_of_the_input_leaks(prefect_server: dict[str, str], tmp_path: Path) -> None:
    synth = generate(SynthConfig(seed=5, start_year=2024, years=1, scale=0.004), tmp_path / "s")
    key = tmp_path / "master.key"
    key.write_text("cd" * 32)
    env = prefect_server | {
        "RADAR_KEYS__MASTER_KEY_FILE": str(key),
        "PREFECT_LOGGING_LEVEL": "INFO",  # the logs are searched too
    }
    data = tmp_path / "data"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "radar.cli",
            "run",
            "--inbox",
            str(synth.inbox),
            "--data",
            str(data),
            "--verbose",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    report = scan_run(
        synth.inbox, data, truth=synth.truth, extra={"stdout": run.stdout, "stderr": run.stderr}
    )
    assert report.identifiers > 1000, "the scan must actually search something"
    assert report.places >= 8
    assert report.clean, (
        report.summary()
        + "\n"
        + "\n".join(f"{kind} in {place}" for kind, place in report.hits[:50])
    )


def test_the_scan_finds_planted_leaks(tmp_path: Path) -> None:
    """The scanner itself can fail: plant identifiers in a table, a note and a log."""
    import polars as pl

    from tests.corpus import write_delivery

    inbox = tmp_path / "inbox"
    write_delivery(inbox / "2024-01-31_VT25_01")
    data = tmp_path / "data"
    data.mkdir()
    pl.DataFrame({"message": ["rij van mevrouw Jansen overgeslagen"]}).write_parquet(
        data / "table.parquet"
    )
    pl.DataFrame(
        {
            "delivery_id": ["2024-01-31_VT25_01"] * 2,
            "region_code": ["VT25"] * 2,
            "signal_id": ["S-001", "S-003"],
            # S-001's own victim is Anna de Vries: a leak. S-003's note names 'Anna' too, but
            # Anna is not one of S-003's persons: a word there, not a leak of S-003's data.
            "note_redacted": ["<PERSOON> en Anna belden", "Anna (buurvrouw) belde"],
        }
    ).write_parquet(data / "signals.parquet")
    report = scan_run(inbox, data, extra={"log": "bsn 123456782 gezien"})
    assert ("name", "table.parquet") in report.hits
    assert ("bsn", "log") in report.hits
    assert ("name", "signals.parquet:note_redacted") in report.hits
    assert len([h for h in report.hits if h[1].endswith("note_redacted")]) == 1
    assert "Jansen" not in report.summary() and "123456782" not in report.summary()
