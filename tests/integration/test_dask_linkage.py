"""The link flow on a local Dask cluster of two workers (prefect-dask) gives the same links."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from linkage.bench import SynthStore
from linkage.pipeline import link_all
from pseudonymise.keys import MasterKey

pytestmark = [pytest.mark.slow, pytest.mark.server]

KEY_HEX = "cd" * 32
_SCRIPT = """
import sys
import polars as pl
from flows.linking import link_flow, partitions
from radar.settings import RadarSettings
settings = RadarSettings()
assert settings.linkage.dask_workers == 2
flow = link_flow(settings.linkage)
assert type(flow.task_runner).__name__ == "DaskTaskRunner"
linked = flow(sys.argv[1], sys.argv[2], partitions(settings.linkage))
assert partitions(settings.linkage) == 8
linked.person_links.write_parquet(sys.argv[3])
linked.signal_families.write_parquet(sys.argv[4])
"""


def test_two_dask_workers_link_like_one_process(
    prefect_server: dict[str, str], small_synth: SynthStore, tmp_path: Path
) -> None:
    signals, persons = tmp_path / "signals.parquet", tmp_path / "persons.parquet"
    small_synth.signals.write_parquet(signals)
    small_synth.persons.write_parquet(persons)
    out_persons, out_families = tmp_path / "p.parquet", tmp_path / "f.parquet"
    key_file = tmp_path / "key"
    key_file.write_text(KEY_HEX)
    env = prefect_server | {
        "RADAR_KEYS__MASTER_KEY_FILE": str(key_file),
        "RADAR_LINKAGE__DASK_WORKERS": "2",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _SCRIPT,
            str(signals),
            str(persons),
            str(out_persons),
            str(out_families),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    key = MasterKey(bytes.fromhex(KEY_HEX))
    local = link_all(small_synth.signals, small_synth.persons, key=key)
    assert pl.read_parquet(out_persons).equals(local.person_links)
    assert pl.read_parquet(out_families).equals(local.signal_families)
