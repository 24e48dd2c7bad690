"""Synthetic intake notes: spans point at the values written, formats are valid, seeds repeat."""

from __future__ import annotations

import re

import polars as pl
import pytest

from radar.synth.notes import (
    NOTE_ENTITY_TYPES,
    SUBJECT_SCHEMA,
    compose_notes,
    synthetic_subjects,
)


@pytest.fixture(scope="module")
def composed() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    subjects = synthetic_subjects(3_000, seed=11)
    notes, spans = compose_notes(subjects, seed=5)
    return subjects, notes, spans


def _values(notes: pl.DataFrame, spans: pl.DataFrame) -> pl.DataFrame:
    return notes.join(spans, on="note_key").with_columns(
        value=pl.col("note").str.slice(pl.col("start"), pl.col("end") - pl.col("start"))
    )


def _elfproef(digits: str) -> bool:
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0


def _iban_ok(iban: str) -> bool:
    compact = iban.replace(" ", "")
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def test_schemas(composed: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]) -> None:
    subjects, notes, spans = composed
    assert subjects.schema == SUBJECT_SCHEMA
    assert notes.schema == pl.Schema({"note_key": pl.Int64, "note": pl.Utf8})
    assert spans.schema == pl.Schema(
        {"note_key": pl.Int64, "entity_type": pl.Utf8, "start": pl.Int32, "end": pl.Int32}
    )
    assert notes["note_key"].to_list() == subjects["note_key"].to_list()
    assert set(spans["entity_type"].unique()) == set(NOTE_ENTITY_TYPES)


def test_spans_are_exact_values(composed: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]) -> None:
    subjects, notes, spans = composed
    values = _values(notes, spans).join(subjects, on="note_key")
    assert (values["end"] > values["start"]).all()
    # no span starts or ends with white space
    assert values["value"].str.strip_chars().eq(values["value"]).all()
    emails = values.filter(pl.col("entity_type") == "EMAIL")
    assert (emails["value"] == emails["email"]).all()
    cities = values.filter(pl.col("entity_type") == "PLAATS")
    assert (cities["value"] == cities["city"]).all()
    schools = values.filter(pl.col("entity_type") == "SCHOOL")
    assert (schools["value"] == schools["school"]).all()


def test_spans_do_not_overlap(composed: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]) -> None:
    _, _, spans = composed
    ordered = spans.sort("note_key", "start").with_columns(
        next_start=pl.col("start").shift(-1).over("note_key")
    )
    assert ordered.filter(pl.col("next_start") < pl.col("end")).height == 0


@pytest.mark.parametrize(
    ("entity_type", "check"),
    [
        ("BSN", lambda v: _elfproef(re.sub(r"\D", "", v)) and len(re.sub(r"\D", "", v)) == 9),
        ("IBAN", _iban_ok),
        ("POSTCODE", lambda v: re.fullmatch(r"[1-9]\d{3} ?[A-Za-z]{2}", v) is not None),
        (
            "KENTEKEN",
            lambda v: (
                re.fullmatch(r"[A-Z0-9]{1,3}-[A-Z0-9]{2,3}-[A-Z0-9]{1,2}", v) is not None
                and len(v) == 8
            ),
        ),
        ("TELEFOON", lambda v: len(re.sub(r"\D", "", v)) in (10, 11)),
        ("EMAIL", lambda v: re.fullmatch(r"[\w.]+@[\w.]+\.[a-z]+", v) is not None),
    ],
)
def test_value_formats(
    composed: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], entity_type: str, check: object
) -> None:
    _, notes, spans = composed
    values = _values(notes, spans.filter(pl.col("entity_type") == entity_type))["value"]
    assert values.len() > 20
    assert all(check(v) for v in values)  # type: ignore[operator]


def test_formats_vary(composed: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]) -> None:
    _, notes, spans = composed
    values = _values(notes, spans)
    phones = values.filter(pl.col("entity_type") == "TELEFOON")["value"]
    assert phones.str.starts_with("+31").any() and phones.str.contains("-").any()
    dates = values.filter(pl.col("entity_type") == "DATUM")["value"]
    assert dates.str.contains("maart|april|mei|juni").any()
    assert dates.str.contains(r"^\d{2}-\d{2}-\d{4}$").any()
    bsns = values.filter(pl.col("entity_type") == "BSN")["value"]
    assert bsns.str.contains(r"\.").any()


def test_lengths_and_notes_without_pii(
    composed: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    _, notes, spans = composed
    lengths = notes["note"].str.len_chars()
    assert 150 <= lengths.median() <= 350  # type: ignore[operator]
    without = notes.join(spans, on="note_key", how="anti")
    assert 0.02 < without.height / notes.height < 0.2


def test_null_fields_leave_no_trace() -> None:
    subjects = synthetic_subjects(300, seed=3).with_columns(
        pl.lit(None, dtype=pl.Utf8).alias(c) for c in ("bsn", "phone", "email", "city")
    )
    notes, spans = compose_notes(subjects, seed=1)
    assert not {"BSN", "TELEFOON", "EMAIL", "PLAATS"} & set(spans["entity_type"].unique())
    assert not notes["note"].str.contains(r"\{|\}|\[|\]|None|null").any()


def test_deterministic() -> None:
    subjects = synthetic_subjects(500, seed=7)
    assert subjects.equals(synthetic_subjects(500, seed=7))
    first = compose_notes(subjects, seed=2)
    again = compose_notes(subjects, seed=2)
    other = compose_notes(subjects, seed=3)
    assert first[0].equals(again[0]) and first[1].equals(again[1])
    assert not first[0].equals(other[0])
