"""Identifiers a note names, as keyed tokens: the only thing linkage takes from a note.

A note often names who it is about more completely than the person rows do: "Slachtoffer is
mevr. Anna de Vries, bsn 1234.56.782", "Tel 06-12345678" on an advice call whose person row
holds only "Anna, about 39". Before the note is redacted, its BSNs and Dutch phone numbers are
found with the redaction's own presidio recognizers (``pseudonymise.redact.recognizers``: the
same patterns and checks, so what is tokenised here is what redaction removes), normalised as
intake normalises the person columns (a BSN must pass the 11-test; a phone number becomes
``316...``) and tokenised with the person tokens' keys (``tok_bsn``, ``tok_phone`` of
``pseudonymise.tokens``): a note naming a BSN gives the token a person row with that BSN has.

Only the tokens leave this stage (``NOTE_TOKEN_COLUMNS``, sorted lists, empty when the note
names none); the values exist in memory here and nowhere else. Names in notes are not
tokenised: which person of the signal a name belongs to is a guess, a number is not.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from pseudonymise.keys import MasterKey
from pseudonymise.redact.recognizers.bsn import BsnRecognizer
from pseudonymise.redact.recognizers.phone import PhoneRecognizer
from pseudonymise.tokens import TOKEN_SPECS, hmac_hex
from radar.intake.normalise import bsn_digits, passes_elfproef, phone

#: Signal columns of note tokens -> the person token column whose key and form they share.
NOTE_TOKEN_COLUMNS: Final[dict[str, str]] = {
    "note_tok_bsn": "tok_bsn",
    "note_tok_phone": "tok_phone",
}
_PURPOSES: Final = {spec.column: spec.purpose for spec in TOKEN_SPECS}


def note_values(notes: pl.Series) -> pl.DataFrame:
    """Per note: ``bsn`` and ``phone``, the numbers the recognizers find in it, as written
    (lists; empty for a null note). Plaintext: for this stage only."""
    bsn, tel = BsnRecognizer(), PhoneRecognizer()
    found_bsn: list[list[str]] = []
    found_phone: list[list[str]] = []
    # a note is one text for presidio's recognizers; notes are few per day (distinct ones only)
    for text in notes.to_list():
        if not text:
            found_bsn.append([])
            found_phone.append([])
            continue
        found_bsn.append(
            [text[r.start : r.end] for r in bsn.analyze(text, [bsn.supported_entities[0]])]
        )
        found_phone.append(
            [text[r.start : r.end] for r in tel.analyze(text, [tel.supported_entities[0]])]
        )
    return pl.DataFrame(
        {"bsn": found_bsn, "phone": found_phone},
        schema={"bsn": pl.List(pl.String), "phone": pl.List(pl.String)},
    )


def _tokens(values: pl.Expr, normalised: pl.Expr, column: str, key: MasterKey) -> pl.Expr:
    """The sorted distinct tokens of a list of values, each normalised as ``normalised``
    (an expression over ``pl.element()``; null drops it)."""
    hmac_key = key.derive_hmac_key(_PURPOSES[column])
    return values.list.eval(hmac_hex(normalised, hmac_key).drop_nulls().unique().sort())


def note_tokens(notes: pl.Series, key: MasterKey) -> pl.DataFrame:
    """Per note (in order): ``NOTE_TOKEN_COLUMNS``, the tokens of the valid BSNs and the
    Dutch phone numbers it names."""
    distinct = notes.unique(maintain_order=True)
    values = note_values(distinct)
    digits = bsn_digits(pl.element())
    valid_bsn = pl.when(passes_elfproef(digits)).then(digits)
    tokens = values.select(
        _tokens(pl.col("bsn"), valid_bsn, "tok_bsn", key).alias("note_tok_bsn"),
        _tokens(pl.col("phone"), phone(pl.element()), "tok_phone", key).alias("note_tok_phone"),
    ).with_columns(distinct.alias("_note"))
    return (
        notes.to_frame("_note")
        .join(tokens, on="_note", how="left", nulls_equal=True, maintain_order="left")
        .select(
            pl.col(c).fill_null(pl.lit([], dtype=pl.List(pl.String))) for c in NOTE_TOKEN_COLUMNS
        )
    )


def with_note_tokens(signals: pl.DataFrame, key: MasterKey) -> pl.DataFrame:
    """``signals`` (with their plaintext ``note``) and the ``NOTE_TOKEN_COLUMNS`` beside it."""
    return pl.concat([signals, note_tokens(signals.get_column("note"), key)], how="horizontal")
