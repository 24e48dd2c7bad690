"""The publication: the current snapshot's linked signals → a bundle per period, or a refusal.

``radar publish --data DIR --period P --out DIR`` and the ``half-yearly-publication``
deployment run this flow. It reads the snapshot under the store lock (a concurrent run cannot
delete it meanwhile), builds the bundle in a temporary sibling of ``OUT/<P>`` and swaps it in
only when the aggregates gate passed: a refusal or a crash leaves the previous bundle as it
was. A refused attempt's validation report (never its aggregates) is kept in
``OUT/.refused/<P>/`` for the data team; the error names each failed expectation and its count.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from linkage.schema import SIGNAL_FAMILIES
from pseudonymise.signals import PSEUDONYMISED_SIGNALS
from publish.aggregates import Period
from publish.bundle import VALIDATION_DIR, Bundle, build
from radar.errors import DataQualityError, SchemaError, StoreError
from radar.intake.ledger import DELIVERIES
from radar.settings import RadarSettings
from radar.store import DataStore
from radar.store.atomic import swap_directory
from radar.store.lock import store_lock

REFUSED = ".refused"
LATEST = "latest"
_SIGNAL_COLUMNS = ("region_code", "signal_id", "kind", "received_on", "relation_type")
_FAMILY_COLUMNS = ("family_id", "recurrence_category", "prior_signals", "prior_other_region")


@dataclass(frozen=True)
class PublishedBundle:
    """One bundle written (counts and paths only)."""

    period: str
    path: str
    aggregates: str
    metadata: str
    data_docs: str
    cells: int
    suppressed: int
    warnings: list[str]
    snapshot: str


@dataclass(frozen=True)
class PublicationInput:
    snapshot: str
    signals: pl.DataFrame
    provenance: dict[str, Any]
    upstream_gates: dict[str, Any]


def periods_to_publish(period: str, today: dt.date | None = None) -> list[str]:
    """``P`` itself, or for ``latest`` the last complete half-year (and its year after H2).

    ``latest`` is judged in Europe/Amsterdam: from July the first half of this year, until
    July the second half of last year and last year as a whole.
    """
    if period != LATEST:
        return [Period.parse(period).code]
    today = today or dt.datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    if today.month >= 7:
        return [f"{today.year}H1"]
    return [f"{today.year - 1}H2", str(today.year - 1)]


def _upstream_gates(store: DataStore, snapshot: str) -> dict[str, Any]:
    folder = store.reports / "quality" / snapshot
    found: dict[str, Any] = {}
    for name in ("intake", "store"):
        path = folder / f"{name}.json"
        if path.is_file():
            result = json.loads(path.read_text())
            found[name] = {
                "passed": result["passed"],
                "failures": result["failures"],
                "warnings": result["warnings"],
                "result": str(path),
            }
    return found


@task(cache_policy=NO_CACHE)
def read_linked(data: Path) -> PublicationInput:
    """The linked signals of the current snapshot, read under the store lock."""
    store = DataStore(data)
    if not store.path.is_dir():
        raise StoreError(f"{data} is not a data store")
    with store_lock(store.path, timeout_seconds=RadarSettings().store.lock_timeout_seconds):
        snapshot = store.current()
        if not (snapshot.has(SIGNAL_FAMILIES) and snapshot.has(PSEUDONYMISED_SIGNALS)):
            raise StoreError(f"{data} holds no linked snapshot yet: run `radar run` first")
        signals = snapshot.read(PSEUDONYMISED_SIGNALS).select(*_SIGNAL_COLUMNS, "delivery_id")
        families = snapshot.read(SIGNAL_FAMILIES)
        ledger = snapshot.read(DELIVERIES)
        gates = _upstream_gates(store, snapshot.name)
    key = ["region_code", "signal_id"]
    linked = signals.join(
        families.select(*key, *_FAMILY_COLUMNS), on=key, how="left", maintain_order="left"
    )
    unlinked = linked.filter(pl.col("family_id").is_null()).height
    if unlinked or families.height != signals.height:
        raise DataQualityError(
            f"snapshot {snapshot.name}: {unlinked} signals have no family and "
            f"{families.height - signals.height + unlinked} family rows no signal; "
            "run `radar run` to relink"
        )
    accepted = ledger.filter(pl.col("status") == "accepted").get_column("delivery_id")
    provenance = {
        "snapshot": snapshot.name,
        "input_deliveries": sorted(accepted.to_list()),
        "signals_in_snapshot": linked.height,
    }
    return PublicationInput(snapshot.name, linked, provenance, gates)


def _keep_refused(staging: Path, target: Path) -> Path:
    """Keep the refused attempt's validation report (not its aggregates) for the data team."""
    refused = target.parent / REFUSED / target.name
    shutil.rmtree(refused, ignore_errors=True)
    refused.parent.mkdir(parents=True, exist_ok=True)
    if (staging / VALIDATION_DIR).is_dir():
        (staging / VALIDATION_DIR).rename(refused)
    return refused


@task(cache_policy=NO_CACHE)
def publish_period(source: PublicationInput, period: str, out: Path) -> PublishedBundle:
    """Build the bundle of ``period`` beside ``out/<period>`` and swap it in, or refuse."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / period
    staging = Path(tempfile.mkdtemp(prefix=f".{period}.", suffix=".tmp", dir=out)) / "bundle"
    try:
        try:
            bundle: Bundle = build(
                source.signals,
                period,
                staging,
                out_root=out,
                provenance=source.provenance,
                upstream_gates=source.upstream_gates,
            )
        except DataQualityError as error:
            refused = _keep_refused(staging, target)
            previous = "the previous bundle is unchanged" if target.exists() else "none written"
            raise DataQualityError(
                f"publication of {period} refused: {error}; {previous} "
                f"(validation report: {refused})"
            ) from error
        swap_directory(staging, target)
    finally:
        shutil.rmtree(staging.parent, ignore_errors=True)
    shutil.rmtree(out / REFUSED / period, ignore_errors=True)
    return PublishedBundle(
        period=bundle.period,
        path=str(target),
        aggregates=str(target / "aggregates.csv"),
        metadata=str(target / "metadata.json"),
        data_docs=str(target / VALIDATION_DIR / "data_docs" / "index.html"),
        cells=bundle.cells,
        suppressed=bundle.suppressed,
        warnings=bundle.gate.short()["warnings"],
        snapshot=source.snapshot,
    )


@task(cache_policy=NO_CACHE)
def publication_artifact(bundles: list[PublishedBundle]) -> None:
    rows = "\n".join(
        f"| {b.period} | {b.cells:,} | {b.suppressed:,} | {len(b.warnings)} | `{b.path}` |"
        for b in bundles
    )
    create_markdown_artifact(
        key="radar-publication",
        markdown="# Radar publication\n\n| period | cells | suppressed | gate warnings | bundle |\n"
        f"|---|---:|---:|---:|---|\n{rows}\n",
        description="bundles written by radar-publish (aggregate counts only)",
    )


@flow(name="radar-publish", log_prints=False)
def radar_publish(data: str, period: str, out: str) -> list[PublishedBundle]:
    """Write the bundle of ``period`` (``2024``, ``2024H1``, ``2024H2``, ``latest``) to ``out``."""
    try:
        periods = periods_to_publish(period)
    except SchemaError as error:
        raise SchemaError(f"{error} (or latest); got {period!r}") from error
    source = read_linked(Path(data))
    bundles = [publish_period(source, p, Path(out)) for p in periods]
    publication_artifact(bundles)
    return bundles
