"""Gate 1: clean intake tables pass; each kind of contract break is caught by its expectation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from expectations import intake
from expectations.runner import GateResult, run_gate

from .conftest import TODAY, Store

Frames = dict[str, pl.DataFrame]


def _frames(store: Store, signals: int = 2000) -> Frames:
    """The clean tables, cut to the first ``signals`` signals and their persons (quicker)."""
    t = store.intake
    head = t.signals.head(signals)
    persons = t.persons.join(
        head.select("region_code", "signal_id"), on=["region_code", "signal_id"], how="semi"
    )
    return {"signals": head, "persons": persons, "quarantine": t.quarantine}


def _run(frames: Frames, docs: Path, *, data_docs: bool = False) -> GateResult:
    return run_gate(intake.make_gate(reference_date=TODAY), frames, docs, data_docs=data_docs)


def _failed(result: GateResult) -> set[tuple[str, str, str | None]]:
    return {(o.table, o.expectation, o.column) for o in result.failures}


def test_clean_intake_passes(store: Store, docs_dir: Path) -> None:
    result = _run(_frames(store, signals=10**9), docs_dir, data_docs=True)
    assert result.passed, result.failures
    assert result.json_path.is_file() and result.docs_index is not None


def _first(frame: pl.DataFrame, n: int = 3) -> pl.Expr:
    return pl.int_range(pl.len()) < n


def _set(table: str, column: str, value: object, n: int = 3) -> Callable[[Frames], Frames]:
    def inject(f: Frames) -> Frames:
        frame = f[table]
        dtype = frame.schema[column]
        f[table] = frame.with_columns(
            pl.when(_first(frame, n))
            .then(pl.lit(value, dtype=dtype))
            .otherwise(pl.col(column))
            .alias(column)
        )
        return f

    return inject


def _drop(table: str, column: str) -> Callable[[Frames], Frames]:
    def inject(f: Frames) -> Frames:
        f[table] = f[table].drop(column)
        return f

    return inject


def _retype(f: Frames) -> Frames:
    f["signals"] = f["signals"].with_columns(pl.col("received_on").cast(pl.String))
    return f


def _duplicate(f: Frames) -> Frames:
    f["signals"] = pl.concat([f["signals"], f["signals"].head(2)])
    return f


def _orphan(f: Frames) -> Frames:
    return _set("persons", "signal_id", "ZZ-404")(f)


def _closed_early(f: Frames) -> Frames:
    s = f["signals"]
    f["signals"] = s.with_columns(
        closed_on=pl.when(_first(s))
        .then(pl.col("received_on") - dt.timedelta(days=3))
        .otherwise(pl.col("closed_on"))
    )
    return f


def _invalid_share(f: Frames) -> Frames:
    p = f["persons"]
    f["persons"] = p.with_columns(
        bsn_status=pl.when(pl.int_range(pl.len()) % 4 == 0)
        .then(pl.lit("invalid"))
        .otherwise(pl.col("bsn_status"))
    )
    return f


CASES = [
    (
        "missing column",
        _drop("signals", "kind"),
        ("schema", "expect_column_values_to_not_be_in_set", "actual_type"),
    ),
    ("wrong type", _retype, ("schema", "expect_column_pair_values_to_be_equal", None)),
    (
        "extra column",
        lambda f: {**f, "persons": f["persons"].with_columns(email=pl.lit("x"))},
        ("schema", "expect_column_values_to_not_be_in_set", "expected_type"),
    ),
    (
        "unknown kind",
        _set("signals", "kind", "klacht"),
        ("signals", "expect_column_values_to_be_in_set", "kind"),
    ),
    (
        "unknown relation type",
        _set("signals", "relation_type", "ruzie"),
        ("signals", "expect_column_values_to_be_in_set", "relation_type"),
    ),
    (
        "null key",
        _set("signals", "signal_id", None),
        ("signals", "expect_column_values_to_not_be_null", "signal_id"),
    ),
    ("duplicate key", _duplicate, ("signals", "expect_compound_columns_to_be_unique", None)),
    (
        "region not valid on date",
        _set("signals", "region_code", "VT16"),
        ("signals", "expect_column_values_to_be_in_set", "region_valid_on_date"),
    ),
    (
        "future date",
        _set("signals", "received_on", dt.date(2030, 1, 1)),
        ("signals", "expect_column_values_to_be_in_set", "received_in_range"),
    ),
    (
        "closed before received",
        _closed_early,
        ("signals", "expect_column_values_to_be_in_set", "closed_after_received"),
    ),
    (
        "unknown violence form",
        _set("signals", "violence_forms", ["slaan"]),
        ("signals", "expect_column_values_to_be_in_set", "violence_forms_known"),
    ),
    (
        "person without signal",
        _orphan,
        ("persons", "expect_column_values_to_be_in_set", "has_signal"),
    ),
    (
        "bsn failing 11-test",
        _set("persons", "bsn", "123456789"),
        ("persons", "expect_column_values_to_be_valid_bsn", "bsn"),
    ),
    (
        "share of invalid bsns",
        _invalid_share,
        ("persons", "expect_column_values_to_not_be_in_set", "bsn_status"),
    ),
    (
        "unknown role",
        _set("persons", "role", "buurman"),
        ("persons", "expect_column_values_to_be_in_set", "role"),
    ),
    (
        "postcode form",
        _set("persons", "postcode", "1234 ab"),
        ("persons", "expect_column_values_to_match_regex", "postcode"),
    ),
    (
        "quarantine without reason",
        _set("quarantine", "reason", None),
        ("quarantine", "expect_column_values_to_not_be_null", "reason"),
    ),
]


@pytest.mark.parametrize(("name", "inject", "expected"), CASES, ids=[c[0] for c in CASES])
def test_injected_failure_is_caught(
    store: Store,
    docs_dir: Path,
    name: str,
    inject: Callable[[Frames], Frames],
    expected: tuple[str, str, str | None],
) -> None:
    result = _run(inject(_frames(store)), docs_dir)
    assert not result.passed
    assert expected in _failed(result), _failed(result)


def test_municipality_elsewhere_is_only_a_warning(store: Store, docs_dir: Path) -> None:
    frames = _set("persons", "municipality_code", "GM0003", n=10**9)(_frames(store))
    result = _run(frames, docs_dir)
    assert result.passed
    assert [o.column for o in result.warnings] == ["municipality_in_region"]


def test_findings_feed_quarantine(store: Store) -> None:
    frames = _set("signals", "region_code", "VT16", n=4)(_frames(store))
    prepared = intake.make_gate(reference_date=TODAY).prepare(frames)
    found = intake.findings(prepared)
    region = found.filter(pl.col("reason") == "gate:region_valid_on_date")
    assert region.height == 4 and set(region["file"]) == {"signals.csv"}
    assert region["line"].null_count() == 0 and set(region["column"]) == {"region_code"}
    # their persons now point to no accepted signal: findings of persons.csv
    assert set(found["reason"]) == {"gate:region_valid_on_date", "gate:has_signal"}
    clean = intake.make_gate(reference_date=TODAY).prepare(_frames(store))
    assert intake.findings(clean).height == 0


def test_findings_move_rows_to_quarantine_and_the_gate_then_passes(
    store: Store, docs_dir: Path
) -> None:
    frames = _set("signals", "received_on", dt.date(2030, 1, 1), n=4)(_frames(store))
    frames = _set("persons", "signal_id", "ZZ-404", n=1)(frames)
    gate = intake.make_gate(reference_date=TODAY)
    assert not _run(frames, docs_dir).passed
    found = intake.findings(gate.prepare(frames))
    signals, persons, quarantine = intake.quarantine_findings(
        frames["signals"], frames["persons"], frames["quarantine"], found
    )
    assert frames["signals"].height - signals.height == 4
    new = quarantine.tail(quarantine.height - frames["quarantine"].height)
    reasons = dict(new.group_by("reason").len().iter_rows())
    took_along = frames["persons"].join(
        frames["signals"].head(4), on=["delivery_id", "region_code", "signal_id"], how="semi"
    )
    closed = frames["signals"].head(4)["closed_on"].drop_nulls().len()  # now before received
    assert reasons == {
        "gate:received_in_range": 4,
        "gate:has_signal": 1,
        "signal_quarantined": took_along.height,
    } | ({"gate:closed_after_received": closed} if closed else {})
    assert frames["persons"].height - persons.height == 1 + took_along.height
    assert new["line"].null_count() == 0
    kept = {"signals": signals, "persons": persons, "quarantine": quarantine}
    assert _run(kept, docs_dir).passed
