"""Quality gate tasks of the run: intake (before pseudonymisation) and the pseudonymised store.

Both write their machine-readable result (``<gate>.json``) and one Data Docs site into the
run's quality directory ``DATA/reports/quality/<snapshot>/``.

* **intake**: the rows a row-level check fails (a region not valid on the date, a signal date
  out of range, a person without an accepted signal, ...) go to quarantine with reason
  ``gate:<check>`` (a signal takes its persons along) and the run goes on; the gate is then
  validated on what is left. Any other critical failure (schema, keys, value sets, BSN format
  or share) means intake itself broke its contract: the run stops before pseudonymisation and
  nothing is committed.
* **store**: validated on the tables about to be committed. A critical failure (a clear
  identifier column, a malformed token, rows lost, residual PII in a redacted note) stops the
  run before the commit: the previous snapshot stays in force and the error names each failed
  expectation and its row count. Warnings are reported and do not block.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import polars as pl
from prefect import task
from prefect.cache_policies import NO_CACHE

from expectations import intake as intake_gate_def
from expectations import store as store_gate_def
from expectations.runner import GateResult, run_gate
from radar.errors import DataQualityError
from radar.intake.delivery import BatchIntake
from radar.intake.merge import IntakeTables
from radar.settings import IntakeSettings


def _refuse(result: GateResult, what: str) -> DataQualityError:
    where = result.docs_index or result.json_path
    return DataQualityError(f"{result.failure_message()}; {what} (report: {where})")


@task(cache_policy=NO_CACHE)
def intake_gate(
    batch: BatchIntake, settings: IntakeSettings, docs_dir: Path
) -> tuple[BatchIntake, GateResult, int]:
    """The batch with the gate's row-level findings quarantined, the result, rows quarantined."""
    gate = intake_gate_def.make_gate(
        reference_date=settings.reference_date(), earliest_date=settings.earliest_date
    )
    frames = {"signals": batch.signals, "persons": batch.persons, "quarantine": batch.quarantine}
    found = intake_gate_def.findings(gate.prepare(frames))
    signals, persons, quarantine = intake_gate_def.quarantine_findings(
        batch.signals, batch.persons, batch.quarantine, found
    )
    moved = quarantine.height - batch.quarantine.height
    batch = dataclasses.replace(batch, signals=signals, persons=persons, quarantine=quarantine)
    result = run_gate(
        gate, {"signals": signals, "persons": persons, "quarantine": quarantine}, docs_dir
    )
    if not result.passed:
        raise _refuse(result, "the run stopped before pseudonymisation; nothing was committed")
    return batch, result, moved


@task(cache_policy=NO_CACHE)
def store_gate(tables: IntakeTables, ledger: pl.DataFrame, docs_dir: Path) -> GateResult:
    """Validate the tables about to be committed; raises (no commit) when the gate fails."""
    frames = {
        "persons": tables.persons,
        "signals": tables.signals,
        "quarantine": tables.quarantine,
        "ledger": ledger,
    }
    result = run_gate(store_gate_def.GATE, frames, docs_dir)
    if not result.passed:
        raise _refuse(result, "nothing was committed; the previous snapshot stays in force")
    return result
