"""The daily run: inbox → intake (+ gate) → pseudonymise → link → store gate → one atomic commit.

Quality gates (``flows.quality``) write their results and Data Docs into
``DATA/reports/quality/<snapshot>/``; a failing store gate stops the run before the commit.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import polars as pl
from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from expectations.runner import GateResult
from flows.intake import InboxRead, check_batch, ledger_rows, merge_batch, read_inbox, scan_inbox
from flows.linking import LinkInput, LinkMode, link_store
from flows.pseudonymisation import pseudonymise_batch
from flows.quality import intake_gate, store_gate
from linkage.pipeline import Linked
from linkage.schema import (
    LINK_EDGES,
    LINK_FREQUENCIES,
    LINK_MODEL,
    PERSON_LINKS,
    SIGNAL_FAMILIES,
)
from pseudonymise.keys import MasterKey
from pseudonymise.schema import PSEUDONYMISED_PERSONS
from pseudonymise.signals import PSEUDONYMISED_SIGNALS
from radar.contract.schemas import FINDINGS, INTAKE_ERASURES, QUARANTINE, TableSchema
from radar.errors import ConfigError
from radar.intake.delivery import BatchIntake
from radar.intake.ledger import DELIVERIES, upsert
from radar.intake.merge import IntakeTables, MergeStats
from radar.settings import RadarSettings
from radar.store import DataStore, Snapshot
from radar.store.atomic import write_csv, write_text
from radar.store.lock import store_lock


@dataclass(frozen=True)
class RunSummary:
    """What one run did; holds counts and delivery names only, never row values."""

    snapshot: str
    deliveries_accepted: int
    deliveries_rejected: int
    deliveries_unchanged: int
    rows_received: int
    signals_accepted: int
    persons_accepted: int
    rows_quarantined: int
    findings: int
    signals_erased: int
    store_signals: int
    store_persons: int
    families: int
    repeat_signals: int
    link_stats: dict[str, int] = field(default_factory=dict)
    rows_quarantined_by_gate: int = 0
    rejected: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    report: str = ""
    #: per gate (intake, store): passed, expectations, failures and warnings in short
    quality: dict[str, dict[str, object]] = field(default_factory=dict)
    #: the Data Docs index of this run's gates, and the directory of their JSON results
    quality_report: str = ""
    quality_results: str = ""

    def counts(self) -> list[tuple[str, int]]:
        """The counts worth showing, labelled, in the order people read them."""
        return [
            ("deliveries accepted", self.deliveries_accepted),
            ("deliveries rejected", self.deliveries_rejected),
            ("deliveries already processed", self.deliveries_unchanged),
            ("rows received", self.rows_received),
            ("signal versions accepted (new and re-delivered)", self.signals_accepted),
            ("person rows accepted", self.persons_accepted),
            ("rows quarantined", self.rows_quarantined),
            ("  of which by the intake gate", self.rows_quarantined_by_gate),
            ("quality findings", self.findings),
            ("signals erased", self.signals_erased),
            ("signals in store", self.store_signals),
            ("person rows in store", self.store_persons),
            ("families in store", self.families),
            ("repeat signals (hermelding or vervolgmelding)", self.repeat_signals),
        ]


def _intake_tables(snapshot: Snapshot) -> IntakeTables:
    return IntakeTables(
        signals=snapshot.read(PSEUDONYMISED_SIGNALS),
        persons=snapshot.read(PSEUDONYMISED_PERSONS),
        erasures=snapshot.read(INTAKE_ERASURES),
        quarantine=snapshot.read(QUARANTINE),
        findings=snapshot.read(FINDINGS),
    )


@task(cache_policy=NO_CACHE)
def commit_store(
    store: DataStore,
    tables: IntakeTables,
    linked: Linked,
    ledger: pl.DataFrame,
    meta: dict[str, object],
) -> Snapshot:
    """Commit the next snapshot atomically."""
    written: dict[TableSchema, pl.DataFrame | None] = {
        PERSON_LINKS: linked.person_links,
        SIGNAL_FAMILIES: linked.signal_families,
        LINK_EDGES: linked.edges,
        LINK_MODEL: linked.model,
        LINK_FREQUENCIES: linked.frequencies,
        PSEUDONYMISED_SIGNALS: tables.signals,
        PSEUDONYMISED_PERSONS: tables.persons,
        INTAKE_ERASURES: tables.erasures,
        QUARANTINE: tables.quarantine,
        FINDINGS: tables.findings,
        DELIVERIES: ledger,
    }
    return store.commit(written, meta=meta)


def _quality_dir(store: DataStore) -> Path:
    """``reports/quality/<next snapshot>/``, emptied: what a failed attempt left is replaced."""
    folder = store.reports / "quality" / store.next_name()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def _summary(
    snapshot: str,
    read: InboxRead,
    batch: BatchIntake,
    stats: MergeStats | None,
    tables: IntakeTables,
    families: pl.DataFrame,
    link_stats: dict[str, int],
    gates: list[GateResult],
    gate_quarantined: int,
) -> RunSummary:
    by_text = Counter(w for raw in batch.accepted for w in raw.warnings)
    warnings = [f"{text} ({n} deliveries)" if n > 1 else text for text, n in by_text.items()]
    warnings += [
        f"{name}: changed after it was taken in; deliver corrections as a new delivery"
        for name in read.changed_after_accept
    ]
    warnings += [f"{g.gate} gate warning: {w}" for g in gates for w in g.short()["warnings"]]
    docs = next((g.docs_index for g in gates if g.docs_index is not None), None)
    return RunSummary(
        snapshot=snapshot,
        deliveries_accepted=len(batch.accepted),
        deliveries_rejected=len(batch.rejections),
        deliveries_unchanged=len(read.unchanged),
        rows_received=sum(sum(raw.received.values()) for raw in batch.accepted),
        signals_accepted=batch.signals.height,
        persons_accepted=batch.persons.height,
        rows_quarantined=batch.quarantine.select(
            pl.struct("delivery_id", "file", "line").n_unique()
        ).item(),
        findings=batch.findings.height,
        signals_erased=stats.erased_signals if stats else 0,
        store_signals=tables.signals.height,
        store_persons=tables.persons.height,
        families=families.get_column("family_id").n_unique(),
        repeat_signals=families.filter(pl.col("recurrence_category") != "eerste").height,
        link_stats=link_stats,
        rows_quarantined_by_gate=gate_quarantined,
        quality={g.gate: g.short() for g in gates},
        quality_report=str(docs) if docs else "",
        quality_results=str(gates[0].json_path.parent) if gates else "",
        rejected=[
            {"delivery": r.delivery_id, "reason": r.reason, "message": r.message}
            for r in batch.rejections
        ],
        warnings=warnings,
    )


def _write_reports(store: DataStore, summary: RunSummary, tables: IntakeTables) -> Path:
    """The run summary (JSON) and the quarantine list (CSV: where and why, never values)."""
    folder = store.reports / "runs" / summary.snapshot
    write_csv(folder / "quarantine.csv", tables.quarantine)
    report = folder / "summary.json"
    write_text(report, json.dumps(asdict(summary), indent=2) + "\n")
    return report


@task(cache_policy=NO_CACHE)
def publish_summary(summary: RunSummary) -> None:
    """A Prefect artifact with the run's counts (no values: delivery names, counts, reasons)."""
    table = "\n".join(f"| {what} | {count:,} |" for what, count in summary.counts())
    rejected = "\n".join(f"- {r['delivery']}: {r['reason']}" for r in summary.rejected)
    gates = "\n".join(
        f"| {name} | {'passed' if q['passed'] else 'FAILED'} | {q['expectations']} "
        f"| {len(q['warnings'])} |"  # type: ignore[arg-type]
        for name, q in summary.quality.items()
    )
    links = "\n".join(f"| {what} | {count:,} |" for what, count in summary.link_stats.items())
    create_markdown_artifact(
        key="radar-run-summary",
        markdown=f"# Radar run → {summary.snapshot}\n\n| what | count |\n|---|---:|\n{table}\n"
        + (f"\n## Rejected deliveries\n{rejected}\n" if rejected else "")
        + (f"\n## Linkage\n\n| what | count |\n|---|---:|\n{links}\n" if links else "")
        + (
            "\n## Quality gates\n\n| gate | result | expectations | warnings |\n"
            f"|---|---|---:|---:|\n{gates}\n\nData Docs: `{summary.quality_report}`  \n"
            f"results (JSON): `{summary.quality_results}`\n"
            if gates
            else ""
        ),
        description="counts of one Radar run (no personal data)",
    )


@flow(name="radar-run", log_prints=False)
def radar_run(inbox: str, data: str) -> RunSummary:
    """Process every delivery in ``inbox`` not yet processed into the data store ``data``."""
    return process_inbox(inbox, data, rebuild=False)


def process_inbox(inbox: str, data: str, *, rebuild: bool, retrain: bool = False) -> RunSummary:
    """The body of a run; with ``rebuild``, from an empty store over every delivery of the inbox
    (committed as the next snapshot, like any run), relinked with the current model or, with
    ``retrain``, a newly trained one."""
    settings = RadarSettings()
    if not settings.keys.configured():
        raise ConfigError(
            "no pseudonymisation key is configured: set RADAR_KEYS__MASTER_KEY_FILE "
            "(or RADAR_KEYS__MASTER_KEY); `radar keys new FILE` makes one"
        )
    key = MasterKey.from_settings(settings.keys)  # refuses an unreadable or too short key
    inbox_path = Path(inbox)
    if not inbox_path.is_dir():
        raise ConfigError(f"inbox {inbox} is not a directory")
    store = DataStore(Path(data))
    with store_lock(store.path, timeout_seconds=settings.store.lock_timeout_seconds):
        store.initialise()
        store.remove_leftovers()
        snapshot = Snapshot(None) if rebuild else store.current()
        ledger = snapshot.read(DELIVERIES)
        current = _intake_tables(snapshot)
        entries = scan_inbox(inbox_path, ledger)
        if rebuild and not entries:
            raise ConfigError(f"inbox {inbox} holds no delivery: nothing to rebuild from")
        read = read_inbox(entries)
        batch = check_batch(read, settings.intake)
        if not (batch.accepted or batch.rejections):
            # nothing new: the store and its last report stay as they are
            families = snapshot.read(SIGNAL_FAMILIES)
            return _summary(snapshot.name, read, batch, None, current, families, {}, [], 0)
        quality = _quality_dir(store)
        batch, checked, gate_quarantined = intake_gate(batch, settings.intake, quality)
        batch = pseudonymise_batch(batch, key, settings.redact)  # plaintext ends here
        # and the run holds none of it while it links and commits: the records as read go
        batch, read = batch.without_records(), replace(read, raws=[])
        tables, stats = merge_batch(current, batch)
        del current  # merged into ``tables``
        mode: LinkMode = ("retrain" if retrain else "relink") if rebuild else "incremental"
        # the run holds no copy of the persons while they are linked (at national scale the
        # table is 3.8 GiB beside the link's own memory): the link reads them from the work
        # directory, and the run reads them back for the store gate and the commit
        staged = LinkInput.write(tables, store.work)
        tables = replace(tables, persons=tables.persons.clear())
        try:
            linked = link_store(staged, settings.linkage, store.current(), mode)
            tables = replace(tables, persons=staged.read_persons())
        finally:
            staged.remove()
        new_ledger = upsert(ledger, ledger_rows(batch))
        gates = [checked, store_gate(tables, new_ledger, quality)]  # raises: no commit
        summary = _summary(
            store.next_name(),
            read,
            batch,
            stats,
            tables,
            linked.signal_families,
            linked.stats,
            gates,
            gate_quarantined,
        )
        # the report first: a run killed in between leaves a report the next run replaces,
        # never a committed snapshot without its report
        report = _write_reports(store, summary, tables)
        meta: dict[str, object] = {"engine": "radar", **({"rebuild": True} if rebuild else {})}
        commit_store(store, tables, linked, new_ledger, meta)
        publish_summary(summary)
        return RunSummary(**{**asdict(summary), "report": str(report)})
