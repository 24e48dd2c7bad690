"""`radar publish` through the real command (real Prefect server, real GX, real files), and the
store gate stopping a real run. Failures are injected by patching the engine in the child
process before the CLI starts, as a bug in it would."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from publish.attack import attack

pytestmark = pytest.mark.slow

# Run the CLI with a publisher that forgets its secondary suppressions.
WEAK_PUBLISHER = """
import sys
import polars as pl
from publish import bundle
from publish.disclosure import round_count
original = bundle.protect_audited
def weak(cells, *, fixed=None):
    protected, report = original(cells, fixed=fixed)
    secondary = pl.col("suppression") == "secondary"
    return protected.with_columns(
        status=pl.when(secondary).then(pl.lit("ok")).otherwise("status"),
        value=pl.when(secondary).then(round_count(pl.col("raw_value"))).otherwise("value"),
    ), report
bundle.protect_audited = weak
from radar.cli.main import app
app(sys.argv[1:])
"""
# Run the CLI with a store that holds a BSN in three redacted notes (a redactor that missed it).
LEAKY_REDACTOR = """
import dataclasses, sys
import polars as pl
import flows.run as run
original = run.merge_batch
def leaky(current, batch):
    tables, stats = original.fn(current, batch)
    leak = pl.int_range(pl.len()) < 3
    signals = tables.signals.with_columns(
        note_redacted=pl.when(leak).then(pl.lit("Vader heeft BSN 111222333 opgegeven."))
        .otherwise("note_redacted"),
        note_status=pl.when(leak).then(pl.lit("redacted")).otherwise("note_status"),
    )
    return dataclasses.replace(tables, signals=signals), stats
run.merge_batch = leaky
from radar.cli.main import app
app(sys.argv[1:])
"""


def _radar(
    args: list[str], env: dict[str, str], patch: str | None = None
) -> subprocess.CompletedProcess[str]:
    head = ["-c", patch] if patch else ["-m", "radar.cli"]
    return subprocess.run(
        [sys.executable, *head, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def _tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def env(prefect_server: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    key = tmp_path_factory.mktemp("key") / "master.key"
    key.write_text("cd" * 32)
    base = {k: v for k, v in prefect_server.items() if not k.startswith("RADAR_")}
    return base | {"RADAR_KEYS__MASTER_KEY_FILE": str(key), "COLUMNS": "250"}


@pytest.fixture(scope="module")
def inbox(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth")
    args = ["synth", "--out", str(root), "--start-year", "2023", "--years", "2"]
    made = _radar([*args, "--scale", "0.004", "--seed", "11", "--no-notes"], env)
    assert made.returncode == 0, made.stdout + made.stderr
    return root / "inbox"


@pytest.fixture(scope="module")
def data(env: dict[str, str], inbox: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("store") / "data"
    done = _radar(["run", "--inbox", str(inbox), "--data", str(data)], env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "quality gate store: passed" in done.stdout
    return data


def test_store_gate_failure_blocks_the_commit(
    env: dict[str, str], inbox: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    run = ["run", "--inbox", str(inbox), "--data", str(data)]
    refused = _radar(run, env, LEAKY_REDACTOR)
    out = " ".join(refused.stdout.split())
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert (
        "store gate failed: signals.note_redacted: expect_column_values_to_not_contain_bsn" in out
    )
    assert "(3 of " in out and "nothing was committed" in out
    assert not (data / "CURRENT").exists()
    assert not any((data / "snapshots").iterdir())
    report = json.loads((data / "reports" / "quality" / "v000001" / "store.json").read_text())
    assert report["passed"] is False
    failed = [e for e in report["expectations"] if not e["success"]]
    assert [(e["expectation"], e["unexpected_count"]) for e in failed] == [
        ("expect_column_values_to_not_contain_bsn", 3)
    ]
    assert "111222333" not in json.dumps(report)


def test_publish_bundles_and_refusal(env: dict[str, str], data: Path, tmp_path: Path) -> None:
    out = tmp_path / "publication"
    for period in ("2024H1", "2024", "2024H2"):
        done = _radar(["publish", "--data", str(data), "--period", period, "--out", str(out)], env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"→ {out / period}" in " ".join(done.stdout.split())
        folder = out / period
        assert {p.name for p in folder.iterdir()} == {
            "aggregates.csv",
            "metadata.json",
            "validation",
        }
        meta = json.loads((folder / "metadata.json").read_text())
        assert meta["period"] == period and meta["snapshot"] == "v000001"
        assert meta["quality_gates"]["store"]["passed"] is True
        assert meta["quality_gates"]["aggregates"]["passed"] is True
        assert len(meta["input_deliveries"]) > 100
        assert (folder / "validation" / "data_docs" / "index.html").is_file()
    # the attacker reads all three bundles at once
    union = pl.concat(
        pl.read_csv(
            out / p / "aggregates.csv",
            schema_overrides={"period": pl.String, "breakdown": pl.String, "value": pl.Float64},
        )
        for p in ("2024", "2024H1", "2024H2")
    ).with_columns(pl.col("breakdown").fill_null(""))
    assert union.filter(pl.col("status") == ".").height > 0
    assert attack(union).disclosed == []

    before = _tree(out / "2024")
    args = ["publish", "--data", str(data), "--period", "2024", "--out", str(out)]
    refused = _radar(args, env, WEAK_PUBLISHER)
    message = " ".join(refused.stdout.split())
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "publication of 2024 refused: aggregates gate failed:" in message
    assert "groups.suppressed: expect_column_values_to_not_be_in_set (" in message
    assert "rows)" in message and "the previous bundle is unchanged" in message
    assert _tree(out / "2024") == before
    assert (out / ".refused" / "2024" / "aggregates.json").is_file()

    bad = _radar(["publish", "--data", str(data), "--period", "2024Q3", "--out", str(out)], env)
    assert bad.returncode == 2 and "period must look like 2024, 2024H1 or 2024H2" in bad.stdout
    none = _radar(
        ["publish", "--data", str(tmp_path / "x"), "--period", "2024", "--out", str(out)], env
    )
    assert none.returncode == 2 and "is not a data store" in none.stdout
