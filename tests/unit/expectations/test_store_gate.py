"""Gate 2: the clean pseudonymised store passes; leaks, bad encodings and lost rows are caught."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from expectations import store as gate
from expectations.runner import GateResult, run_gate

from .conftest import Store

Frames = dict[str, pl.DataFrame]
#: kind -> (redacted note that still leaks, the leaked value, the expectation that catches it)
LEAKS = {
    "bsn": (
        "Vader heeft BSN 111222333 opgegeven.",
        "111222333",
        "expect_column_values_to_not_contain_bsn",
    ),
    "bsn split": (
        "bsn 1112.22.333 bekend",
        "1112.22.333",
        "expect_column_values_to_not_contain_bsn",
    ),
    "phone": (
        "Bel moeder op 06-12345678.",
        "06-12345678",
        "expect_column_values_to_not_contain_phone",
    ),
    "phone +31": (
        "Bereikbaar via +31 20 123 4567.",
        "+31 20 123 4567",
        "expect_column_values_to_not_contain_phone",
    ),
    "email": (
        "Mail naar j.jansen@example.nl graag.",
        "j.jansen@example.nl",
        "expect_column_values_to_not_contain_email",
    ),
    "postcode": (
        "Woont op 1234 AB in het centrum.",
        "1234 AB",
        "expect_column_values_to_not_contain_postcode",
    ),
}


def _frames(store: Store, n: int = 3000) -> Frames:
    signals = store.signals.head(n)
    persons = store.persons.join(
        signals.select("region_code", "signal_id"), on=["region_code", "signal_id"], how="semi"
    )
    deliveries = signals.get_column("delivery_id").unique()
    return {
        "persons": persons,
        "signals": signals,
        "quarantine": store.intake.quarantine,
        "ledger": store.ledger.filter(pl.col("delivery_id").is_in(deliveries.implode())),
    }


def _run(frames: Frames, docs: Path, *, data_docs: bool = False) -> GateResult:
    return run_gate(gate.GATE, frames, docs, data_docs=data_docs)


def _failed(result: GateResult) -> set[tuple[str, str, str | None]]:
    return {(o.table, o.expectation, o.column) for o in result.failures}


def test_clean_store_passes(store: Store, docs_dir: Path) -> None:
    frames = {
        "persons": store.persons,
        "signals": store.signals,
        "quarantine": store.intake.quarantine,
        "ledger": store.ledger,
    }
    result = _run(frames, docs_dir, data_docs=True)
    assert result.passed, result.failures
    assert result.rows["ledger"] == store.ledger.height


def _note(text: str) -> Callable[[Frames], Frames]:
    def inject(f: Frames) -> Frames:
        s = f["signals"]
        f["signals"] = s.with_columns(
            note_redacted=pl.when(pl.int_range(pl.len()) == 7)
            .then(pl.lit(text))
            .otherwise(pl.col("note_redacted")),
            note_status=pl.when(pl.int_range(pl.len()) == 7)
            .then(pl.lit("redacted"))
            .otherwise(pl.col("note_status")),
        )
        return f

    return inject


@pytest.mark.parametrize("kind", sorted(LEAKS))
def test_residual_pii_in_notes_is_caught(store: Store, tmp_path: Path, kind: str) -> None:
    text, secret, expectation = LEAKS[kind]
    result = _run(_note(text)(_frames(store)), tmp_path, data_docs=True)
    assert not result.passed
    failed = [o for o in result.failures if o.expectation == expectation]
    assert len(failed) == 1 and failed[0].unexpected_count == 1
    # the offending text reaches neither the JSON result nor any Data Docs page
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix in {".json", ".html"}:
            assert secret not in path.read_text(encoding="utf-8"), path


def test_numbers_failing_the_11_test_are_not_bsns(store: Store, docs_dir: Path) -> None:
    result = _run(_note("Dossier 123456789, 3 kinderen, 2024.")(_frames(store)), docs_dir)
    assert result.passed, result.failures


def _clear_column(f: Frames) -> Frames:
    f["persons"] = f["persons"].with_columns(surname=pl.lit("jansen"))
    return f


def _set(table: str, column: str, value: object) -> Callable[[Frames], Frames]:
    def inject(f: Frames) -> Frames:
        frame = f[table]
        f[table] = frame.with_columns(
            pl.when(pl.int_range(pl.len()) < 2)
            .then(pl.lit(value, dtype=frame.schema[column]))
            .otherwise(pl.col(column))
            .alias(column)
        )
        return f

    return inject


def _empty_bloom(f: Frames) -> Frames:
    p = f["persons"]
    zeros = pl.Series([[0] * 8] * p.height, dtype=p.schema["bf_surname"])
    f["persons"] = p.with_columns(bf_surname=zeros)
    return f


def _lost_rows(f: Frames) -> Frames:
    return _set("ledger", "rows_received", 10**6)(f)


def _dropped_quarantine(f: Frames) -> Frames:
    ledger = f["ledger"]
    f["ledger"] = ledger.with_columns(
        rows_quarantined=pl.col("rows_quarantined") + 1,
        rows_received=pl.col("rows_received") + 1,
    )
    return f


CASES = [
    (
        "clear identifier column",
        _clear_column,
        ("columns", "expect_column_values_to_not_be_in_set", "column"),
    ),
    (
        "malformed token",
        _set("persons", "tok_bsn", "ABC123"),
        ("persons", "expect_column_values_to_match_regex", "tok_bsn"),
    ),
    (
        "malformed key id",
        _set("persons", "key_id", "nokey"),
        ("persons", "expect_column_values_to_match_regex", "key_id"),
    ),
    (
        "full postcode as pc4",
        _set("persons", "pc4", "1234AB"),
        ("persons", "expect_column_values_to_match_regex", "pc4"),
    ),
    (
        "empty bloom filter",
        _empty_bloom,
        ("persons", "expect_column_values_to_be_between", "bf_surname_bits"),
    ),
    (
        "unknown note status",
        _set("signals", "note_status", "done"),
        ("signals", "expect_column_values_to_be_in_set", "note_status"),
    ),
    (
        "note kept although withheld",
        _set("signals", "note_status", "withheld"),
        ("signals", "expect_column_values_to_be_in_set", "note_matches_status"),
    ),
    (
        "a note's number kept in the clear",
        _set("signals", "note_tok_bsn", ["111222333"]),
        ("signals", "expect_column_values_to_be_in_set", "note_tokens_are_tokens"),
    ),
    ("rows lost", _lost_rows, ("ledger", "expect_column_values_to_be_in_set", "nothing_lost")),
    (
        "quarantine records missing",
        _dropped_quarantine,
        ("ledger", "expect_column_values_to_be_in_set", "quarantine_reconciles"),
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
    frames = inject(_frames(store))
    if name == "note kept although withheld":
        frames["signals"] = frames["signals"].with_columns(
            note_redacted=pl.when(pl.int_range(pl.len()) < 2)
            .then(pl.lit("<PERSOON> belde"))
            .otherwise(pl.col("note_redacted"))
        )
    result = _run(frames, docs_dir)
    assert not result.passed
    assert expected in _failed(result), _failed(result)
