"""Pseudonymised signals: analytic fields stay clear, the free-text note is redacted.

Region, dates and categories are what analysts and statistics need and identify no one; the
note is the only field with personal data, and it leaves this stage only redacted (or withheld
when redaction failed). A note delivered again unchanged (re-deliveries repeat notes) is
redacted once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl

from pseudonymise.redact import redact_notes
from radar.contract.schemas import TableSchema, conform

PSEUDONYMISED_SIGNALS: Final = TableSchema(
    "pseudonymised_signals",
    1,
    {
        "region_code": pl.String(),
        "signal_id": pl.String(),
        "kind": pl.String(),
        "received_on": pl.Date(),
        "closed_on": pl.Date(),
        "relation_type": pl.String(),
        "violence_forms": pl.List(pl.String()),
        "reporter_type": pl.String(),
        "reporter_sector": pl.String(),
        "safety_assessment": pl.String(),
        "note_redacted": pl.String(),
        "note_status": pl.String(),  # empty | redacted | withheld
        "delivery_id": pl.String(),
        "source_line": pl.Int64(),
    },
)


def pseudonymise_signals(
    signals: pl.DataFrame, *, workers: int, deduce_cache_dir: Path | None = None
) -> pl.DataFrame:
    """The intake signals with ``note`` replaced by ``note_redacted`` and ``note_status``."""
    distinct = signals.select(pl.col("note").unique(maintain_order=True).drop_nulls())
    redacted = pl.concat(
        [
            distinct,
            redact_notes(
                distinct.get_column("note"), workers=workers, deduce_cache_dir=deduce_cache_dir
            ),
        ],
        how="horizontal",
    )
    out = signals.join(redacted, on="note", how="left", maintain_order="left").with_columns(
        pl.col("note_status").fill_null("empty")
    )
    return conform(out.drop("note"), PSEUDONYMISED_SIGNALS)
