"""Export the link files of the store's current snapshot (OUTPUT.md section 2)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prefect import flow

from linkage.schema import PERSON_LINKS, SIGNAL_FAMILIES
from radar.errors import StoreError
from radar.settings import RadarSettings
from radar.store import DataStore
from radar.store.atomic import write_csv
from radar.store.lock import store_lock


@dataclass(frozen=True)
class ExportedLinks:
    snapshot: str
    person_links: Path
    signal_families: Path
    person_rows: int
    signals: int


@flow(name="radar-export-links", log_prints=False)
def export_links(data: str, out: str) -> ExportedLinks:
    """Write ``person_links.csv`` and ``signal_families.csv`` of the current snapshot to ``out``."""
    store = DataStore(Path(data))
    if not store.path.is_dir():
        raise StoreError(f"{data} is not a data store")
    # the lock keeps a concurrent run from deleting this snapshot while it is read
    with store_lock(store.path, timeout_seconds=RadarSettings().store.lock_timeout_seconds):
        snapshot = store.current()
        if not (snapshot.has(PERSON_LINKS) and snapshot.has(SIGNAL_FAMILIES)):
            raise StoreError(f"{data} holds no linked snapshot yet: run `radar run` first")
        persons = snapshot.read(PERSON_LINKS).sort("region_code", "signal_id", "person_seq")
        families = snapshot.read(SIGNAL_FAMILIES).sort("region_code", "signal_id")
    folder = Path(out)
    write_csv(folder / "person_links.csv", persons)
    write_csv(folder / "signal_families.csv", families)
    return ExportedLinks(
        snapshot=snapshot.name,
        person_links=folder / "person_links.csv",
        signal_families=folder / "signal_families.csv",
        person_rows=persons.height,
        signals=families.height,
    )
