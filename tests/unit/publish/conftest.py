"""Linked signals for the publish tests, from a small synthetic national data set (per session).

The linkage engine is not needed: the synthetic ground truth holds each signal's family,
recurrence category and prior signals; the relation type comes from the delivered rows, read
through intake.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from publish.aggregates import aggregate
from radar.intake.delivery import RawDelivery, intake_batch, read_deliveries
from radar.settings import IntakeSettings
from radar.synth import SynthConfig, generate

CONFIG = SynthConfig(
    seed=5,
    start_year=2023,
    years=2,
    scale=0.04,
    notes=False,
    contract_error_rate=0.0,
    end_date=dt.date(2024, 12, 31),
)
PERIODS = ("2024", "2024H1", "2024H2")


@pytest.fixture(scope="session")
def linked_signals(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    summary = generate(CONFIG, tmp_path_factory.mktemp("publish_synth"))
    paths = sorted(p for p in summary.inbox.iterdir() if p.is_dir())
    raws = [r for r in read_deliveries(paths) if isinstance(r, RawDelivery)]
    batch = intake_batch(raws, IntakeSettings(today=dt.date(2025, 6, 1)))
    latest = batch.signals.sort("delivery_id").unique(
        subset=["region_code", "signal_id"], keep="last"
    )
    truth = pl.read_parquet(summary.truth / "signals.parquet").filter(~pl.col("expect_quarantine"))
    return truth.join(
        latest.select("region_code", "signal_id", "relation_type"),
        on=["region_code", "signal_id"],
        how="left",
    ).rename({"true_family_id": "family_id"})


@pytest.fixture(scope="session")
def cells(linked_signals: pl.DataFrame) -> pl.DataFrame:
    """Unrounded cells of 2024 and its two half-years."""
    return pl.concat([aggregate(linked_signals, p) for p in PERIODS])
