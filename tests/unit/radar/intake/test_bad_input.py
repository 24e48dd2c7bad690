"""The bad-input corpus: each defect gets the outcome INPUT.md defines, and no value leaks."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import polars as pl
import pytest

from radar.errors import ContractError
from radar.intake.delivery import BatchIntake, intake_batch, read_delivery_files
from radar.settings import IntakeSettings
from tests.corpus import CASES, MARKER, BadCase

SETTINGS = IntakeSettings(today=dt.date(2024, 6, 1))


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(path.iterdir()):
        digest.update(file.name.encode() + file.read_bytes())
    return digest.hexdigest()


def _intake(path: Path) -> BatchIntake:
    try:
        raw = read_delivery_files(path)
    except ContractError as error:
        from radar.intake.delivery import Rejection

        rejection = Rejection(path.name, "", error.reason, str(error))
        empty = intake_batch([], SETTINGS)
        return BatchIntake(
            empty.signals,
            empty.persons,
            empty.erasures,
            empty.quarantine,
            empty.findings,
            [],
            [rejection],
        )
    return intake_batch([raw], SETTINGS)


def _no_value_leaks(batch: BatchIntake) -> None:
    texts = [r.message for r in batch.rejections]
    for frame in (batch.quarantine, batch.findings, batch.signals, batch.persons):
        texts += [str(v) for row in frame.rows() for v in row]
    assert not any(MARKER in text for text in texts)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_outcome(case: BadCase, tmp_path: Path) -> None:
    delivery = case.build(tmp_path / "2024-01-31_VT25_01")
    before = _digest(delivery)
    batch = _intake(delivery)
    assert _digest(delivery) == before, "intake must never change a delivery"
    _no_value_leaks(batch)
    if case.rejected:
        assert [r.reason for r in batch.rejections] == [case.reason]
        message = batch.rejections[0].message
        assert "2024-01-31_VT25_01" in message
        assert case.file in message
        if case.column:
            assert case.column in message
        if case.line is not None:
            assert f"line {case.line}" in message
        assert batch.signals.is_empty() and batch.persons.is_empty()
        return
    assert batch.rejections == []
    assert batch.signals.height == case.valid_signals, "a valid signal row was lost"
    assert batch.persons.height == case.valid_persons, "a valid person row was lost"
    if not case.reason:
        assert batch.quarantine.is_empty()
        return
    hits = batch.quarantine.filter(
        (pl.col("file") == case.file) & (pl.col("reason") == case.reason)
    )
    assert hits.height >= 1, batch.quarantine
    if case.column:
        assert case.column in hits["column"].to_list()
    if case.line is not None:
        assert case.line in hits["line"].to_list()
    # Everything received is accounted for: accepted or quarantined, nothing else.
    received = sum(batch.accepted[0].received.values())
    quarantined = batch.quarantine.select(pl.struct("file", "line").n_unique()).item()
    assert batch.signals.height + batch.persons.height + quarantined == received


def test_corpus_covers_what_the_issue_lists() -> None:
    names = {c.name for c in CASES}
    required = {
        "non_utf8",
        "missing_required_column",
        "manifest_mismatch",
        "duplicate_signal_keys",
        "person_of_unknown_signal",
        "future_date",
        "unknown_region",
        "region_not_valid_on_date",
        "empty_file",
        "header_only_persons",
        "five_megabyte_field",
        "spreadsheet_formula",
        "unbalanced_quotes",
        "binary_file",
        "nul_bytes",
    }
    assert required <= names
