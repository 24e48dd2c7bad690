"""Time of the three gates on one million intake rows (persons; with their signals).

Run with ``pytest -m slow -s tests/unit/expectations/test_gate_timing.py`` to see the figures.
The clean synthetic tables are replicated (new signal ids per copy) up to the size.
"""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl
import pytest

from expectations import aggregates, intake
from expectations import store as store_gate
from expectations.runner import run_gate
from publish.aggregates import ADDITIVE_MEASURES, COUNT_MEASURES, PERCENT_MEASURES

from .conftest import TODAY, Store

ROWS = 1_000_000


def _replicate(frame: pl.DataFrame, copies: int) -> pl.DataFrame:
    return pl.concat(
        [frame.with_columns(signal_id=pl.col("signal_id") + f"-{i}") for i in range(copies)]
    )


@pytest.mark.slow
def test_gates_on_a_million_intake_rows(store: Store, tmp_path: Path) -> None:
    copies = -(-ROWS // store.intake.persons.height)
    persons = _replicate(store.intake.persons, copies).head(ROWS)
    signals = _replicate(store.intake.signals, copies)
    pseudo_persons = _replicate(store.persons, copies).head(ROWS)
    pseudo_signals = _replicate(store.signals, copies)
    ledger = store.ledger.with_columns(
        pl.col(
            "rows_received",
            "signals_accepted",
            "persons_accepted",
            "erasures_accepted",
            "rows_quarantined",
        )
        * copies
    )
    quarantine = pl.concat(  # the same records per copy, on distinct lines
        [
            store.intake.quarantine.with_columns(line=pl.col("line") * copies + i)
            for i in range(copies)
        ]
    )
    runs = [
        (
            "intake",
            intake.make_gate(reference_date=TODAY),
            {"signals": signals, "persons": persons, "quarantine": store.intake.quarantine},
        ),
        (
            "store",
            store_gate.GATE,
            {
                "persons": pseudo_persons,
                "signals": pseudo_signals,
                "ledger": ledger,
                "quarantine": quarantine,
            },
        ),
        (
            "aggregates",
            aggregates.make_gate(
                ["2024", "2024H1", "2024H2"],
                count_measures=COUNT_MEASURES,
                percent_measures=PERCENT_MEASURES,
                additive_measures=ADDITIVE_MEASURES,
            ),
            {"cells": store.cells},
        ),
    ]
    total_wall = total_cpu = 0.0
    print(f"\nintake rows: {persons.height:,} persons + {signals.height:,} signals")
    for name, gate, frames in runs:
        wall, cpu = time.perf_counter(), time.process_time()
        result = run_gate(gate, frames, tmp_path)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        total_wall += wall
        total_cpu += cpu
        print(
            f"gate {name:<10} wall {wall:6.1f} s  cpu {cpu:6.1f} s  passed={result.passed} "
            f"rows={result.rows}"
        )
        assert result.passed, result.failures
    print(f"all gates   wall {total_wall:6.1f} s  cpu {total_cpu:6.1f} s")
    assert total_wall < 300
