"""Link stage as a flow: the store's pseudonymised persons and signals → links and families.

``radar-link`` takes the paths of the pseudonymised tables (a run writes them to the store's
work directory) and nothing secret: the key comes from the settings, never from a flow
parameter (the Prefect server stores parameters). Comparing the candidate pairs, the numeric
core, runs as one task per partition (``linkage.partition``) on the flow's task runner: a
local Dask cluster of ``RADAR_LINKAGE__DASK_WORKERS`` workers, or the existing cluster at
``RADAR_LINKAGE__DASK_ADDRESS``, through prefect-dask. Without either it runs in-process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl
from prefect import Flow, flow, task
from prefect.cache_policies import NO_CACHE

from linkage.incremental import ROW_KEY, LinkState, fingerprint, link_state
from linkage.partition import Partition, compare_partition
from linkage.person_file import PersonFile, laid_out
from linkage.pipeline import Linked, link_all
from linkage.schema import (
    LINK_EDGES,
    LINK_FREQUENCIES,
    LINK_MODEL,
    PERSON_LINKS,
    SIGNAL_FAMILIES,
)
from pseudonymise.keys import MasterKey
from pseudonymise.schema import PSEUDONYMISED_PERSONS
from radar import progress
from radar.intake.merge import IntakeTables
from radar.settings import LinkageSettings, RadarSettings
from radar.store.atomic import write_parquet
from radar.store.snapshot import Snapshot

I8 = npt.NDArray[np.int8]


@task(cache_policy=NO_CACHE, persist_result=False)
def compare_partition_task(part: Partition) -> dict[str, I8]:
    """Comparison levels of one partition of candidate pairs (runs on a worker)."""
    return compare_partition(part)


def _submit_all(parts: Sequence[Partition]) -> list[dict[str, I8]]:
    futures = [compare_partition_task.submit(part) for part in parts]
    return [future.result() for future in futures]


def previous_state(snapshot: Snapshot) -> LinkState | None:
    """What the links of ``snapshot`` leave for an incremental run (None: link in full)."""
    if not (snapshot.has(LINK_MODEL) and snapshot.has(LINK_EDGES)):
        return None
    return link_state(
        snapshot.read(PSEUDONYMISED_PERSONS, columns=list(ROW_KEY)),
        snapshot.read(PERSON_LINKS),
        stored_edges(snapshot),
        snapshot.read(LINK_MODEL),
        snapshot.read(LINK_FREQUENCIES),
        snapshot.read(SIGNAL_FAMILIES) if snapshot.has(SIGNAL_FAMILIES) else None,
    )


def stored_edges(snapshot: Snapshot) -> pl.DataFrame:
    """The ``LINK_EDGES`` of ``snapshot``; a v1 table (stored before the pairs kept their
    signals' hashes) as it is, and ``link_state`` derives the hashes once."""
    file = snapshot.file(LINK_EDGES)
    if file is not None and snapshot.manifest["tables"][LINK_EDGES.name]["version"] == 1:
        return pl.read_parquet(file, columns=["left", "right", "strength", "kind"])
    return snapshot.read(LINK_EDGES)


#: How a run links: extend the previous links (``incremental``, the daily run), relink every
#: row with the previous model (``relink``, a rebuild: the same partition), or relink and train
#: a new model (``retrain``). Without a usable previous model each of them trains one.
LinkMode = Literal["incremental", "relink", "retrain"]


@flow(name="radar-link", log_prints=False, persist_result=False)
def radar_link(
    signals: str,
    persons: str,
    partitions: int = 0,
    previous: str | None = None,
    mode: LinkMode = "incremental",
) -> Linked:
    """Persons, families and recurrence over the tables at ``signals`` and ``persons``;
    with ``partitions`` > 0 the pairs are compared as that many tasks on the task runner.
    ``previous``: the committed snapshot whose links or model this run starts from.
    """
    settings = RadarSettings()
    key = MasterKey.from_settings(settings.keys)
    progress.advance("link", 0, 1)
    state = previous_state(Snapshot.at(Path(previous))) if previous and mode != "retrain" else None
    same_settings = state is not None and state.fingerprint == fingerprint(settings.linkage, key)
    linked = link_all(
        pl.read_parquet(signals),
        PersonFile(Path(persons)),  # read a few columns or rows at a time
        settings.linkage,
        key=key,
        run_partitions=_submit_all if partitions else None,
        partitions=partitions,
        previous=state if mode == "incremental" else None,
        model=state.model if state is not None and same_settings and mode == "relink" else None,
    )
    progress.advance("link", 1, 1)
    return linked


def partitions(settings: LinkageSettings) -> int:
    """How many partitions the settings ask for (0: compare in-process)."""
    workers = settings.dask_workers or (1 if settings.dask_address else 0)
    return workers * settings.partitions_per_worker


def link_flow(settings: LinkageSettings) -> Flow[[str, str, int, str | None, LinkMode], Linked]:
    """``radar_link`` on the task runner the settings ask for."""
    if settings.dask_address or settings.dask_workers:
        from prefect_dask.task_runners import DaskTaskRunner

        runner = (
            DaskTaskRunner(address=settings.dask_address)
            if settings.dask_address
            else DaskTaskRunner(
                cluster_kwargs={"n_workers": settings.dask_workers, "threads_per_worker": 1}
            )
        )
        return radar_link.with_options(task_runner=runner)  # type: ignore[arg-type]
    return radar_link


@dataclass(frozen=True)
class LinkInput:
    """The pseudonymised tables a link reads, written to the work directory: the link reads
    the persons from there a few columns or rows at a time, so the run need not hold them
    meanwhile (laid out for those reads: ``linkage.person_file``)."""

    signals: Path
    persons: Path

    @classmethod
    def write(cls, tables: IntakeTables, work: Path) -> LinkInput:
        work.mkdir(parents=True, exist_ok=True)
        staged = cls(work / "link-signals.parquet", work / "link-persons.parquet")
        write_parquet(staged.signals, tables.signals)
        # the run's own file, read back within the run: lz4 writes the national table in
        # about the time zstd takes for the plain table (9.4 s against 9.0), reads as fast
        write_parquet(staged.persons, laid_out(tables.persons), compression="lz4")
        return staged

    def read_persons(self) -> pl.DataFrame:
        """The persons table as written."""
        return PersonFile(self.persons).scan().collect()

    def remove(self) -> None:
        self.signals.unlink(missing_ok=True)
        self.persons.unlink(missing_ok=True)


def link_store(
    staged: LinkInput,
    settings: LinkageSettings,
    previous: Snapshot,
    mode: LinkMode = "incremental",
) -> Linked:
    """``radar-link`` on the tables ``staged`` in the work directory, starting from the links
    or the model of ``previous`` (the committed snapshot) as ``mode`` says."""
    return link_flow(settings)(
        str(staged.signals),
        str(staged.persons),
        partitions(settings),
        str(previous.path) if previous.path else None,
        mode,
    )
