"""The link stage's output tables (OUTPUT.md section 2), versioned like every store table."""

from __future__ import annotations

import polars as pl

from radar.contract.schemas import TableSchema

#: One row per accepted person row: the engine's pseudonymous person id.
PERSON_LINKS = TableSchema(
    "person_links",
    1,
    {
        "region_code": pl.String(),
        "signal_id": pl.String(),
        "person_seq": pl.Int32(),
        "person_id": pl.String(),
    },
)

#: One row per accepted signal: its family and its recurrence, judged on earlier signals only.
SIGNAL_FAMILIES = TableSchema(
    "signal_families",
    1,
    {
        "region_code": pl.String(),
        "signal_id": pl.String(),
        "family_id": pl.String(),
        "recurrence_category": pl.String(),
        "prior_signals": pl.Int32(),
        "prior_other_region": pl.Boolean(),
    },
)
