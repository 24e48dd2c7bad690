"""Clean tables for the gate tests, from one small synthetic data set (built once per session).

``GX`` runs in one ephemeral context per process (``expectations.runner.context``), so the
context is created once for the whole session as well.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pseudonymise.keys import MasterKey
from pseudonymise.persons import pseudonymise_persons
from pseudonymise.signals import PSEUDONYMISED_SIGNALS
from publish.aggregates import aggregate
from publish.disclosure import protect
from radar.contract.schemas import conform
from radar.intake.delivery import BatchIntake, RawDelivery, intake_batch, read_deliveries
from radar.intake.ledger import DELIVERIES
from radar.intake.merge import IntakeTables, merge_intakes
from radar.settings import IntakeSettings
from radar.synth import SynthConfig, generate

TODAY = dt.date(2025, 6, 1)
CONFIG = SynthConfig(
    seed=3,
    start_year=2023,
    years=2,
    scale=0.02,
    notes=False,
    contract_error_rate=0.002,
    end_date=dt.date(2024, 12, 31),
)
REDACTED_NOTES = (
    "Melding over <PERSOON> (geboren <DATUM>), woont <ADRES> in <PLAATS>.",
    "Advies gevraagd door school <INSTELLING>; moeder bereikbaar op <TELEFOON>.",
    "BSN <BSN> bekend, mail <EMAIL>; 3 kinderen, 2 keer eerder gemeld in 2021.",
    "Politie meldt incident op 12 juni, 4 personen betrokken, postcode <POSTCODE>.",
)


@dataclass(frozen=True)
class Store:
    intake: IntakeTables
    ledger: pl.DataFrame
    persons: pl.DataFrame
    signals: pl.DataFrame
    cells: pl.DataFrame  # protected aggregates of 2024, 2024H1, 2024H2
    linked: pl.DataFrame


def ledger_rows(batch: BatchIntake) -> pl.DataFrame:
    rows = [
        {
            "delivery_id": raw.delivery_id,
            "fingerprint": raw.fingerprint,
            "status": "accepted",
            "reason": None,
            "message": None,
            "rows_received": sum(raw.received.values()),
            **batch.counts(raw.delivery_id),
        }
        for raw in batch.accepted
    ]
    return pl.DataFrame(rows, schema=DELIVERIES.schema)


def redacted_signals(signals: pl.DataFrame) -> pl.DataFrame:
    rng = np.random.default_rng(1)
    pick = rng.integers(0, len(REDACTED_NOTES) + 1, signals.height)
    notes = [REDACTED_NOTES[i] if i < len(REDACTED_NOTES) else None for i in pick]
    out = (
        signals.drop("note")
        .with_columns(
            note_redacted=pl.Series(notes, dtype=pl.String),
        )
        .with_columns(
            note_status=pl.when(pl.col("note_redacted").is_null())
            .then(pl.lit("empty"))
            .otherwise(pl.lit("redacted"))
        )
    )
    return conform(out, PSEUDONYMISED_SIGNALS)


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    summary = generate(CONFIG, tmp_path_factory.mktemp("gates_synth"))
    paths = sorted(p for p in summary.inbox.iterdir() if p.is_dir())
    raws = [r for r in read_deliveries(paths) if isinstance(r, RawDelivery)]
    batch = intake_batch(raws, IntakeSettings(today=TODAY))
    tables, _ = merge_intakes(IntakeTables.empty(), batch)
    key = MasterKey(b"k" * 32, label="test")
    persons = pseudonymise_persons(tables.persons, key, workers=1)
    truth = pl.read_parquet(summary.truth / "signals.parquet")
    linked = truth.join(
        tables.signals.select("region_code", "signal_id", "relation_type"),
        on=["region_code", "signal_id"],
    ).rename({"true_family_id": "family_id"})
    cells = protect(pl.concat([aggregate(linked, p) for p in ("2024", "2024H1", "2024H2")]))
    return Store(
        tables, ledger_rows(batch), persons, redacted_signals(tables.signals), cells, linked
    )


@pytest.fixture(scope="session")
def docs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gate_docs")
