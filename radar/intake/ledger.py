"""The ledger of deliveries: which were taken in or rejected, with what fingerprint and counts.

It makes processing idempotent: a delivery already in the ledger with the same fingerprint is
skipped. A rejected delivery is tried again only once its files have changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from radar.contract.schemas import TableSchema

DELIVERIES = TableSchema(
    "deliveries",
    1,
    {
        "delivery_id": pl.String(),
        "fingerprint": pl.String(),
        "status": pl.String(),  # accepted | rejected
        "reason": pl.String(),
        "message": pl.String(),
        "rows_received": pl.Int64(),
        "signals_accepted": pl.Int64(),
        "persons_accepted": pl.Int64(),
        "erasures_accepted": pl.Int64(),
        "rows_quarantined": pl.Int64(),
        "findings": pl.Int64(),
    },
)

Action = Literal["new", "retry", "unchanged", "changed_after_accept"]


@dataclass(frozen=True)
class InboxEntry:
    """A delivery directory in the inbox and what to do with it."""

    path: Path
    fingerprint: str
    action: Action

    @property
    def delivery_id(self) -> str:
        return self.path.name


def classify(path: Path, fingerprint: str, ledger: pl.DataFrame) -> InboxEntry:
    """Decide from the ledger whether the delivery at ``path`` needs processing."""
    row = ledger.filter(pl.col("delivery_id") == path.name)
    if row.is_empty():
        return InboxEntry(path, fingerprint, "new")
    known = row.row(0, named=True)
    if known["fingerprint"] == fingerprint:
        return InboxEntry(path, fingerprint, "unchanged")
    if known["status"] == "rejected":
        return InboxEntry(path, fingerprint, "retry")
    return InboxEntry(path, fingerprint, "changed_after_accept")


def upsert(ledger: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """The ledger with ``rows`` replacing rows of the same delivery."""
    return pl.concat(
        [ledger.join(rows.select("delivery_id"), on="delivery_id", how="anti"), rows]
    ).sort("delivery_id")
