"""End to end on a small synthetic set: synth -> intake -> pseudonymise -> link -> evaluate."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkage.evaluate import evaluate
from linkage.families import link_families
from linkage.persons import link_persons
from linkage.recurrence import recurrence
from pseudonymise.keys import MasterKey
from pseudonymise.persons import pseudonymise_persons
from radar.intake.delivery import RawDelivery, intake_batch, read_deliveries
from radar.intake.merge import IntakeTables, merge_intakes
from radar.settings import IntakeSettings
from radar.synth import SynthConfig, generate


@pytest.mark.slow
def test_quality_on_synthetic_data(tmp_path: Path) -> None:
    synth = generate(
        SynthConfig(seed=1, start_year=2023, years=2, scale=0.02, notes=False), tmp_path
    )
    directories = sorted(p for p in synth.inbox.iterdir() if p.is_dir())
    raws = [r for r in read_deliveries(directories) if isinstance(r, RawDelivery)]
    tables, _ = merge_intakes(IntakeTables.empty(), intake_batch(raws, IntakeSettings()))
    key = MasterKey.generate()
    persons = pseudonymise_persons(tables.persons, key)
    result = link_persons(persons, tables.signals, key=key)
    families = link_families(result.person_links, tables.signals, key=key)
    judged = recurrence(tables.signals, result.person_links, families)
    m = evaluate(synth.truth, result.person_links, judged)
    # targets met (this set: 0.997 and 0.999)
    assert m["person_precision"] >= 0.995
    assert m["identifiable_precision"] >= 0.998
    # below target (0.99 / 0.90 / 0.90): floors under what this version reaches on this set
    # (0.985 / 0.801 / 0.822), so that a regression fails; see the issue note
    assert m["identifiable_recall"] >= 0.975
    assert m["family_f1"] >= 0.78
    assert m["recurrence_accuracy"] >= 0.80
