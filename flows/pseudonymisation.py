"""Pseudonymise task: the batch's plaintext ends here.

The intake → pseudonymise hand-off stays in memory on purpose: it is the only hand-off that
holds plaintext identifiers, and Radar never writes those to disk. Every later hand-off is a
versioned Parquet table in the store.
"""

from __future__ import annotations

import dataclasses

from prefect import task
from prefect.cache_policies import NO_CACHE

from pseudonymise.keys import MasterKey
from pseudonymise.persons import pseudonymise_persons
from pseudonymise.signals import pseudonymise_signals
from radar import progress
from radar.intake.delivery import BatchIntake
from radar.settings import RedactSettings


@task(cache_policy=NO_CACHE)
def pseudonymise_batch(batch: BatchIntake, key: MasterKey, redact: RedactSettings) -> BatchIntake:
    """The batch with signals and persons pseudonymised (tokens, encodings, redacted notes)."""
    progress.advance("pseudonymise", 0, 2)
    signals = pseudonymise_signals(
        batch.signals,
        batch.persons,
        key,
        workers=redact.workers,
        deduce_cache_dir=redact.deduce_cache_dir,
    )
    progress.advance("pseudonymise", 1, 2)
    persons = pseudonymise_persons(batch.persons, key)
    progress.advance("pseudonymise", 2, 2)
    return dataclasses.replace(batch, signals=signals, persons=persons)
