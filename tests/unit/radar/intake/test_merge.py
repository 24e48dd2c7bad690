"""Merge rules: re-delivery replaces, order does not matter, erasures are final."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from radar.intake.delivery import intake_batch, read_delivery_files
from radar.intake.merge import IntakeTables, merge_intakes
from radar.settings import IntakeSettings
from tests.corpus import PERSONS, SIGNALS, write_delivery

SETTINGS = IntakeSettings(today=dt.date(2024, 6, 1))


def _merge(tables: IntakeTables, *paths: Path) -> IntakeTables:
    batch = intake_batch([read_delivery_files(p) for p in paths], SETTINGS)
    return merge_intakes(tables, batch)[0]


def _closed_version(tmp_path: Path) -> Path:
    """S-001 re-delivered closed, with one person fewer and a corrected name."""
    signals = [SIGNALS[0].replace("2024-01-05,,", "2024-01-05,2024-03-01,")]
    persons = [PERSONS[0].replace("Anna", "Anne"), PERSONS[1]]
    return write_delivery(tmp_path / "2024-03-31_VT25_01", signals=signals, persons=persons)


def test_redelivery_replaces_signal_with_all_its_persons(tmp_path: Path) -> None:
    first = write_delivery(tmp_path / "2024-01-31_VT25_01")
    tables = _merge(_merge(IntakeTables.empty(), first), _closed_version(tmp_path))
    s1 = tables.signals.filter(pl.col("signal_id") == "S-001")
    assert s1.height == 1
    assert s1["closed_on"].item() == dt.date(2024, 3, 1)
    persons = tables.persons.filter(pl.col("signal_id") == "S-001")
    assert persons["person_seq"].to_list() == [1, 2]
    assert persons["first_names"].to_list() == ["anne", "kees"]
    assert tables.signals.height == len(SIGNALS)


def test_order_of_processing_does_not_matter(tmp_path: Path) -> None:
    first = write_delivery(tmp_path / "2024-01-31_VT25_01")
    later = _closed_version(tmp_path)
    in_order = _merge(_merge(IntakeTables.empty(), first), later)
    reversed_order = _merge(_merge(IntakeTables.empty(), later), first)
    one_batch = _merge(IntakeTables.empty(), later, first)
    for other in (reversed_order, one_batch):
        assert in_order.signals.equals(other.signals)
        assert in_order.persons.equals(other.persons)


def test_same_delivery_twice_changes_nothing(tmp_path: Path) -> None:
    first = write_delivery(tmp_path / "2024-01-31_VT25_01")
    once = _merge(IntakeTables.empty(), first)
    twice = _merge(once, first)
    assert once.signals.equals(twice.signals)
    assert once.persons.equals(twice.persons)


def test_erasure_destroys_everywhere_and_is_final(tmp_path: Path) -> None:
    first = write_delivery(tmp_path / "2024-01-31_VT25_01")
    tables = _merge(IntakeTables.empty(), first)
    erasure = write_delivery(
        tmp_path / "2024-02-29_VT25_01", signals=[], persons=[], erasures=["VT25,S-001"]
    )
    tables = _merge(tables, erasure)
    assert "S-001" not in tables.signals["signal_id"].to_list()
    assert "S-001" not in tables.persons["signal_id"].to_list()
    assert "S-001" not in tables.findings["signal_id"].to_list()
    # A later re-delivery of the erased signal is refused and recorded.
    tables = _merge(tables, _closed_version(tmp_path))
    assert "S-001" not in tables.signals["signal_id"].to_list()
    refused = tables.quarantine.filter(pl.col("reason") == "signal_erased")
    assert refused.height == 3  # the signal row and its two persons
    assert set(refused["delivery_id"]) == {"2024-03-31_VT25_01"}


def test_erasure_holds_in_a_rebuild_from_scratch(tmp_path: Path) -> None:
    deliveries = [
        write_delivery(tmp_path / "2024-01-31_VT25_01"),
        write_delivery(
            tmp_path / "2024-02-29_VT25_01", signals=[], persons=[], erasures=["VT25,S-002"]
        ),
        _closed_version(tmp_path),  # S-001 re-delivered (not erased)
        write_delivery(  # S-002 again after its erasure: refused and recorded
            tmp_path / "2024-04-30_VT25_01", signals=[SIGNALS[1]], persons=[PERSONS[3]]
        ),
    ]
    incremental = IntakeTables.empty()
    for delivery in deliveries:
        incremental = _merge(incremental, delivery)
    rebuild = _merge(IntakeTables.empty(), *deliveries)
    in_pairs = _merge(_merge(IntakeTables.empty(), *deliveries[:2]), *deliveries[2:])
    for other in (rebuild, in_pairs):
        assert incremental.signals.equals(other.signals)
        assert incremental.persons.equals(other.persons)
        assert incremental.erasures.equals(other.erasures)
        assert incremental.findings.equals(other.findings)
        assert incremental.quarantine.equals(other.quarantine)
    refused = rebuild.quarantine.filter(pl.col("reason") == "signal_erased")
    assert set(refused["delivery_id"]) == {"2024-04-30_VT25_01"} and refused.height == 2


def test_a_batch_without_its_records_keeps_what_the_ledger_and_summary_read(
    tmp_path: Path,
) -> None:
    raw = read_delivery_files(write_delivery(tmp_path / "2024-01-31_VT25_01"))
    batch = intake_batch([raw], SETTINGS)
    assert raw.persons.height > 0
    kept = batch.without_records()
    (stripped,) = kept.accepted
    # the plaintext records as read are gone, with their columns (schemas) kept
    for name in ("signals", "persons", "erasures"):
        assert getattr(stripped, name).height == 0
        assert getattr(stripped, name).schema == getattr(raw, name).schema
    # what the ledger and the run summary read stays
    assert (stripped.delivery_id, stripped.fingerprint) == (raw.delivery_id, raw.fingerprint)
    assert stripped.received == raw.received and stripped.warnings == raw.warnings
    assert kept.counts(raw.delivery_id) == batch.counts(raw.delivery_id)
    assert kept.persons.equals(batch.persons)  # the checked rows are the batch's own
