"""``radar bench dask``: link time of the ``radar-link`` flow on local Dask clusters of n workers.

Run it against a real Prefect server (``PREFECT_API_URL``): without one every Dask worker
starts a temporary server of its own, which is timed too.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from flows.linking import link_flow, partitions
from linkage.bench import BENCH_KEY, synth_store
from radar.settings import LinkageSettings


def bench_dask(*, scale: float, years: int, workers: tuple[int, ...]) -> list[dict[str, float]]:
    """Seconds to link one synthetic store in-process and with each number of Dask workers."""
    os.environ["RADAR_KEYS__MASTER_KEY"] = BENCH_KEY.export_text()
    out: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="radar-bench-dask-") as tmp:
        store = synth_store(Path(tmp), seed=1, scale=scale, years=years, start_year=2016)
        signals, persons = Path(tmp) / "signals.parquet", Path(tmp) / "persons.parquet"
        store.signals.write_parquet(signals)
        store.persons.write_parquet(persons)
        reference = None
        for n in (0, *workers):
            settings = LinkageSettings(dask_workers=n)
            started = time.perf_counter()
            linked = link_flow(settings)(
                str(signals), str(persons), partitions(settings), None, "retrain"
            )
            seconds = time.perf_counter() - started
            same = reference is None or linked.person_links.equals(reference)
            reference = linked.person_links if reference is None else reference
            out.append(
                {
                    "dask_workers": float(n),
                    "person_rows": float(store.persons.height),
                    "candidate_pairs": float(linked.stats["candidate_pairs"]),
                    "seconds": seconds,
                    "compare_seconds": linked.seconds["compare"],
                    "same_links_as_in_process": float(same),
                }
            )
    return out
