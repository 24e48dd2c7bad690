"""Note tokens: a number a note names gets the token a person row holding it has, never a value."""

from __future__ import annotations

import polars as pl
import pytest

from pseudonymise.keys import MasterKey
from pseudonymise.note_tokens import NOTE_TOKEN_COLUMNS, note_tokens, with_note_tokens
from pseudonymise.tokens import TOKEN_SPECS, token_exprs
from radar.intake.normalise import bsn_digits, bsn_status, phone

KEY = MasterKey(bytes(range(32)))
OTHER_KEY = MasterKey(bytes(range(1, 33)))
BSN = "111222333"  # passes the 11-test
MOBILE = "0612345678"
HEX32 = r"^[0-9a-f]{32}$"


def _person_tokens(bsn: str | None, number: str | None, key: MasterKey = KEY) -> dict[str, str]:
    """``tok_bsn`` and ``tok_phone`` of a person row delivered with ``bsn`` and ``number``,
    normalised as intake normalises them."""
    raw = pl.DataFrame({"bsn": [bsn], "phone": [number]}, schema={"bsn": pl.Utf8, "phone": pl.Utf8})
    row = raw.select(bsn_digits(pl.col("bsn")).alias("bsn"), phone(pl.col("phone")).alias("phone"))
    row = row.with_columns(bsn_status(pl.col("bsn")).alias("bsn_status"))
    others = {
        "first_names": pl.Utf8,
        "surname": pl.Utf8,
        "birth_year": pl.Int16,
        "birth_month": pl.Int8,
        "birth_day": pl.Int8,
        "sex": pl.Utf8,
        "postcode": pl.Utf8,
        "house_number": pl.Int32,
    }
    row = row.with_columns(pl.lit(None, dtype=t).alias(c) for c, t in others.items())
    tokens = row.select(token_exprs(key)).row(0, named=True)
    return {"tok_bsn": tokens["tok_bsn"], "tok_phone": tokens["tok_phone"]}


def _one(note: str | None, key: MasterKey = KEY) -> dict[str, list[str]]:
    frame = note_tokens(pl.Series([note], dtype=pl.Utf8), key)
    return {c: frame.get_column(c)[0].to_list() for c in NOTE_TOKEN_COLUMNS}


def test_note_tokens_share_the_person_tokens_keys() -> None:
    purposes = {spec.column: spec.purpose for spec in TOKEN_SPECS}
    assert set(NOTE_TOKEN_COLUMNS.values()) <= set(purposes)


@pytest.mark.parametrize("written", ["111222333", "1112.22.333", "111 222 333", "111.222.333"])
def test_a_bsn_a_note_names_gets_the_token_of_a_person_row_with_it(written: str) -> None:
    found = _one(f"Slachtoffer is mevr. De Vries, bsn {written}, geeft aan bang te zijn.")
    assert found["note_tok_bsn"] == [_person_tokens(BSN, None)["tok_bsn"]]
    assert found["note_tok_phone"] == []


@pytest.mark.parametrize(
    "written", ["06-12345678", "0612345678", "+31 6 1234 5678", "06 1234 56 78", "0031612345678"]
)
def test_a_phone_number_a_note_names_gets_the_token_of_a_person_row_with_it(written: str) -> None:
    found = _one(f"Terugbellen op {written}, liefst na 15 uur.")
    assert found["note_tok_phone"] == [_person_tokens(None, MOBILE)["tok_phone"]]
    assert found["note_tok_bsn"] == []


def test_one_number_written_twice_is_one_token_and_two_numbers_are_two() -> None:
    found = _one(f"Tel {MOBILE} of +31 6 1234 5678; bsn {BSN}, partner bsn 123456782.")
    assert len(found["note_tok_phone"]) == 1
    assert len(found["note_tok_bsn"]) == 2
    assert found["note_tok_bsn"] == sorted(found["note_tok_bsn"])


def test_a_number_failing_the_11_test_is_no_bsn() -> None:
    assert _one("Dossiernummer 123456789 (geen bsn).")["note_tok_bsn"] == []


def test_notes_without_numbers_and_missing_notes_name_nothing() -> None:
    for note in (None, "", "Adviesvraag over zorgen om de thuissituatie."):
        assert _one(note) == {c: [] for c in NOTE_TOKEN_COLUMNS}


def test_tokens_are_keyed_and_hold_no_value() -> None:
    note = f"Slo: A. de Vries BSN {BSN}. Tel {MOBILE}."
    mine, other = _one(note), _one(note, OTHER_KEY)
    for column in NOTE_TOKEN_COLUMNS:
        assert mine[column] and not set(mine[column]) & set(other[column])
        for token in mine[column]:
            assert pl.Series([token]).str.contains(HEX32).all()
            assert BSN not in token and MOBILE[1:] not in token


def test_signals_keep_their_order_and_repeated_notes_their_tokens() -> None:
    notes = [f"bsn {BSN}", None, "Tel 06-12345678", f"bsn {BSN}"]
    signals = pl.DataFrame({"signal_id": ["a", "b", "c", "d"], "note": notes})
    out = with_note_tokens(signals, KEY)
    assert out.get_column("signal_id").to_list() == ["a", "b", "c", "d"]
    bsn = out.get_column("note_tok_bsn").to_list()
    assert bsn[0] == bsn[3] == [_person_tokens(BSN, None)["tok_bsn"]]
    assert bsn[1] == bsn[2] == []
    assert out.get_column("note_tok_phone").to_list()[2] == [
        _person_tokens(None, MOBILE)["tok_phone"]
    ]
