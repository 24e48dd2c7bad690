"""`radar demo` with nothing configured: synthetic data through the whole pipeline, a published
bundle, and Data Docs that render styled in a real browser with the network blocked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from tests.browser import chromium, probe

pytestmark = pytest.mark.slow
ARGS = ["--scale", "0.003", "--years", "1"]
BOOTSTRAP_FONT = "-apple-system"  # the first family of Bootstrap 4's font stack


def _demo(directory: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "radar.cli", "demo", "--dir", str(directory), *ARGS],
        capture_output=True,
        text=True,
        env=env | {"COLUMNS": "200"},
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="module")
def demo(
    prefect_server: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, subprocess.CompletedProcess[str], dict[str, str]]:
    env = {k: v for k, v in prefect_server.items() if not k.startswith("RADAR_")}
    directory = tmp_path_factory.mktemp("demo") / "demo"
    return directory, _demo(directory, env), env


def _line(out: str, label: str) -> Path:
    """The path on the last line starting with ``label`` (the demo's closing list)."""
    line = [x for x in out.splitlines() if x.startswith(label)][-1]
    return Path(line.removeprefix(label).strip().split(" (")[0])


# Runs before the test below, which replaces the demo directory with a second demo.
def test_demo_data_docs_render_styled_offline(
    demo: tuple[Path, subprocess.CompletedProcess[str], dict[str, str]],
) -> None:
    if chromium() is None:
        if os.environ.get("RADAR_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is not installed (Debian: apt-get install chromium)")
        pytest.skip("chromium is not installed; `make test` installs it")
    _, result, _ = demo
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    run_docs = _line(result.stdout, "Quality report:")
    bundle_docs = _line(result.stdout, "Bundle quality:")
    validation = sorted((run_docs.parent / "validations").rglob("*.html"))
    assert validation, "the run's Data Docs hold no validation page"
    for page in (run_docs, bundle_docs, validation[0]):
        styled = probe(page)
        assert styled["body"]["fontFamily"].startswith(BOOTSTRAP_FONT), (page, styled["body"])
        assert styled["body"]["color"] == "rgb(33, 37, 41)", page  # Bootstrap's body colour
        assert styled["jquery"] is True, page
        assert any("Font Awesome" in f for f in styled["fontsLoaded"]), (page, styled)
        assert styled["tableRows"] > 0, page
    # the control: the same page without its stylesheets renders in the browser's defaults
    bare = probe(run_docs, strip_styles=True)
    assert not bare["body"]["fontFamily"].startswith(BOOTSTRAP_FONT)
    assert bare["body"]["color"] != "rgb(33, 37, 41)"


def test_demo_runs_with_nothing_configured(
    demo: tuple[Path, subprocess.CompletedProcess[str], dict[str, str]],
) -> None:
    directory, result, env = demo
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-3000:]
    assert "made a local demo key" in out
    key = directory / "demo-master.key"
    assert key.stat().st_mode & 0o077 == 0, "the demo key must be private to its owner"
    assert key.read_text().strip() not in out + result.stderr
    data = directory / "data"
    assert f"Data store:     {data}" in out
    snapshot_name = (data / "CURRENT").read_text().strip()
    snapshot = data / "snapshots" / snapshot_name
    signals = pl.read_parquet(snapshot / "pseudonymised_signals.parquet")
    persons = pl.read_parquet(snapshot / "pseudonymised_persons.parquet")
    assert signals.height > 100 and persons.height > signals.height
    assert set(signals["note_status"]) <= {"redacted", "empty", "withheld"}
    assert "first_names" not in persons.columns and "bsn" not in persons.columns
    # the run's gates and the published bundle, where the demo says they are
    quality = data / "reports" / "quality" / snapshot_name
    assert _line(out, "Quality report:") == quality / "data_docs" / "index.html"
    for gate in ("intake", "store"):
        assert json.loads((quality / f"{gate}.json").read_text())["passed"] is True
    summary = json.loads((data / "reports" / "runs" / snapshot_name / "summary.json").read_text())
    assert summary["quality_report"] == str(quality / "data_docs" / "index.html")
    assert set(summary["quality"]) == {"intake", "store"}
    bundle = _line(out, "Published:")
    assert bundle == directory / "publication" / "2023"
    assert {p.name for p in bundle.iterdir()} == {"aggregates.csv", "metadata.json", "validation"}
    cells = pl.read_csv(bundle / "aggregates.csv", schema_overrides={"value": pl.String})
    assert set(cells["period"].cast(pl.String)) == {"2023"}
    assert set(cells["status"]) == {"ok", "."}
    # A second demo replaces the first one (it only ever deletes its own directory).
    again = _demo(directory, env)
    assert again.returncode == 0
    parent = directory.parent
    (parent / "other").mkdir()
    (parent / "other" / "keep.txt").write_text("x")
    refused = subprocess.run(
        [sys.executable, "-m", "radar.cli", "demo", "--dir", str(parent / "other")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert refused.returncode != 0 and (parent / "other" / "keep.txt").exists()
