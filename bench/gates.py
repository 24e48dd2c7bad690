"""`radar bench gates`: seconds of the three quality gates on a million intake rows.

The clean tables come from one small synthetic data set (generated, taken in, pseudonymised,
aggregated and protected here); the gate tests use the same tables (``gate_tables``). For the
bench they are replicated with new signal ids per copy up to the number of person rows asked.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from rich.console import Console

from pseudonymise.keys import MasterKey
from pseudonymise.note_tokens import with_note_tokens
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
#: Notes as the redactor leaves them (placeholders only): the store gate's PII checks pass.
REDACTED_NOTES = (
    "Melding over <PERSOON> (geboren <DATUM>), woont <ADRES> in <PLAATS>.",
    "Advies gevraagd door school <INSTELLING>; moeder bereikbaar op <TELEFOON>.",
    "BSN <BSN> bekend, mail <EMAIL>; 3 kinderen, 2 keer eerder gemeld in 2021.",
    "Politie meldt incident op 12 juni, 4 personen betrokken, postcode <POSTCODE>.",
)
PERIODS = ("2024", "2024H1", "2024H2")


@dataclass(frozen=True)
class GateTables:
    """The tables each gate checks, clean (every gate passes on them)."""

    intake: IntakeTables
    ledger: pl.DataFrame
    persons: pl.DataFrame
    signals: pl.DataFrame
    cells: pl.DataFrame  # protected aggregates of PERIODS
    linked: pl.DataFrame


def ledger_rows(batch: BatchIntake) -> pl.DataFrame:
    """The delivery ledger rows of an intake batch's accepted deliveries."""
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


def redacted_signals(signals: pl.DataFrame, key: MasterKey) -> pl.DataFrame:
    """``signals`` as the pseudonymise stage stores them, with placeholder-only notes (and the
    tokens of the identifiers the synthetic notes name)."""
    signals = with_note_tokens(signals, key)
    rng = np.random.default_rng(1)
    pick = rng.integers(0, len(REDACTED_NOTES) + 1, signals.height)
    notes = [REDACTED_NOTES[i] if i < len(REDACTED_NOTES) else None for i in pick]
    out = (
        signals.drop("note")
        .with_columns(note_redacted=pl.Series(notes, dtype=pl.String))
        .with_columns(
            note_status=pl.when(pl.col("note_redacted").is_null())
            .then(pl.lit("empty"))
            .otherwise(pl.lit("redacted"))
        )
    )
    return conform(out, PSEUDONYMISED_SIGNALS)


def gate_tables(workdir: Path, config: SynthConfig = CONFIG) -> GateTables:
    """Generate ``config``'s data under ``workdir`` and build every gate's clean tables."""
    summary = generate(config, workdir)
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
    cells = protect(pl.concat([aggregate(linked, p) for p in PERIODS]))
    return GateTables(
        tables, ledger_rows(batch), persons, redacted_signals(tables.signals, key), cells, linked
    )


def _replicate(frame: pl.DataFrame, copies: int) -> pl.DataFrame:
    return pl.concat(
        [frame.with_columns(signal_id=pl.col("signal_id") + f"-{i}") for i in range(copies)]
    )


def _gate_inputs(tables: GateTables, rows: int) -> list[tuple[str, Any, dict[str, pl.DataFrame]]]:
    from expectations import aggregates, intake
    from expectations import store as store_gate
    from publish.aggregates import ADDITIVE_MEASURES, COUNT_MEASURES, PERCENT_MEASURES

    copies = -(-rows // tables.intake.persons.height)
    counts = ["rows_received", "signals_accepted", "persons_accepted"]
    counts += ["erasures_accepted", "rows_quarantined"]
    quarantine = pl.concat(  # the same records per copy, on distinct lines
        [
            tables.intake.quarantine.with_columns(line=pl.col("line") * copies + i)
            for i in range(copies)
        ]
    )
    intake_frames = {
        "signals": _replicate(tables.intake.signals, copies),
        "persons": _replicate(tables.intake.persons, copies).head(rows),
        "quarantine": tables.intake.quarantine,
    }
    store_frames = {
        "persons": _replicate(tables.persons, copies).head(rows),
        "signals": _replicate(tables.signals, copies),
        "ledger": tables.ledger.with_columns(pl.col(*counts) * copies),
        "quarantine": quarantine,
    }
    aggregates_gate = aggregates.make_gate(
        list(PERIODS),
        count_measures=COUNT_MEASURES,
        percent_measures=PERCENT_MEASURES,
        additive_measures=ADDITIVE_MEASURES,
    )
    return [
        ("intake", intake.make_gate(reference_date=TODAY), intake_frames),
        ("store", store_gate.GATE, store_frames),
        ("aggregates", aggregates_gate, {"cells": tables.cells}),
    ]


def bench_gates(console: Console, *, rows: int = 1_000_000) -> dict[str, float]:
    """Time each gate on ``rows`` intake (and pseudonymised) person rows; print the figures."""
    from expectations.runner import run_gate
    from radar.bench import figures_table

    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="radar-bench-gates-") as tmp:
        tables = gate_tables(Path(tmp) / "synth")
        runs = _gate_inputs(tables, rows)
        figures["person_rows"] = float(runs[0][2]["persons"].height)
        figures["signal_rows"] = float(runs[0][2]["signals"].height)
        for name, gate, frames in runs:
            wall, cpu = time.perf_counter(), time.process_time()
            result = run_gate(gate, frames, Path(tmp) / name)
            figures[f"{name}_seconds"] = time.perf_counter() - wall
            figures[f"{name}_cpu_seconds"] = time.process_time() - cpu
            figures[f"{name}_passed"] = float(result.passed)
    figures["all_gates_seconds"] = sum(figures[f"{name}_seconds"] for name, _, _ in runs)
    console.print(figures_table(f"radar bench gates ({rows:,} person rows)", figures))
    return figures
