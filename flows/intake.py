"""Intake tasks: scan the inbox, read the new deliveries, check them as a batch, merge."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from prefect import task
from prefect.cache_policies import NO_CACHE

from radar.intake.delivery import (
    BatchIntake,
    RawDelivery,
    Rejection,
    fingerprint,
    intake_batch,
    read_deliveries,
)
from radar.intake.ledger import DELIVERIES, InboxEntry, classify
from radar.intake.merge import IntakeTables, MergeStats, merge_intakes
from radar.settings import IntakeSettings


@dataclass
class InboxRead:
    """The deliveries read from the inbox in one run, and those left alone."""

    raws: list[RawDelivery] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    changed_after_accept: list[str] = field(default_factory=list)


@task(cache_policy=NO_CACHE)
def scan_inbox(inbox: Path, ledger: pl.DataFrame) -> list[InboxEntry]:
    """Every delivery directory of the inbox, in name order, classified against the ledger."""
    directories = sorted(p for p in inbox.iterdir() if p.is_dir() and not p.name.startswith("."))
    return [classify(path, fingerprint(path), ledger) for path in directories]


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def read_inbox(entries: list[InboxEntry]) -> InboxRead:
    """Read the deliveries that need it; an unreadable delivery is rejected, the rest go on."""
    read = InboxRead(
        unchanged=[e.delivery_id for e in entries if e.action == "unchanged"],
        changed_after_accept=[e.delivery_id for e in entries if e.action == "changed_after_accept"],
    )
    todo = [e.path for e in entries if e.action in ("new", "retry")]
    for result in read_deliveries(todo):
        if isinstance(result, Rejection):
            read.rejections.append(result)
        else:
            read.raws.append(result)
    return read


@task(cache_policy=NO_CACHE)
def check_batch(read: InboxRead, settings: IntakeSettings) -> BatchIntake:
    """Normalise and check the batch; rejections from reading are carried along."""
    batch = intake_batch(read.raws, settings)
    return dataclasses.replace(batch, rejections=read.rejections + batch.rejections)


@task(cache_policy=NO_CACHE)
def merge_batch(current: IntakeTables, batch: BatchIntake) -> tuple[IntakeTables, MergeStats]:
    """Merge the accepted deliveries of the batch into the intake tables."""
    return merge_intakes(current, batch)


def ledger_rows(batch: BatchIntake) -> pl.DataFrame:
    """One ledger row per delivery processed in this run."""
    rows: list[dict[str, object]] = [
        {
            "delivery_id": raw.delivery_id,
            "fingerprint": raw.fingerprint,
            "status": "accepted",
            "reason": None,
            "message": "; ".join(raw.warnings) or None,
            "rows_received": sum(raw.received.values()),
            **batch.counts(raw.delivery_id),
        }
        for raw in batch.accepted
    ]
    rows += [
        {
            "delivery_id": r.delivery_id,
            "fingerprint": r.fingerprint,
            "status": "rejected",
            "reason": r.reason,
            "message": r.message,
            "rows_received": None,
            "signals_accepted": 0,
            "persons_accepted": 0,
            "erasures_accepted": 0,
            "rows_quarantined": None,
            "findings": 0,
        }
        for r in batch.rejections
    ]
    return pl.DataFrame(rows, schema=DELIVERIES.schema)
