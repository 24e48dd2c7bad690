"""Pseudonymised signals: analytic fields stay clear, the free-text note is redacted.

Region, dates and categories are what analysts and statistics need and identify no one; the
note is the only field with personal data, and it leaves this stage only redacted (or withheld
when redaction failed), with the keyed tokens of the BSNs and phone numbers it names
(``pseudonymise.note_tokens``). A note delivered again unchanged (re-deliveries repeat notes) is
redacted once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl

from pseudonymise.keys import MasterKey
from pseudonymise.note_tokens import NOTE_TOKEN_COLUMNS, note_tokens
from pseudonymise.redact import redact_notes
from radar.contract.schemas import INTAKE_SIGNALS, TableSchema, conform


def _without_note() -> dict[str, pl.DataType]:
    """The intake signal columns with ``note`` replaced by its redacted form, its status and
    the tokens of the identifiers it names."""
    columns: dict[str, pl.DataType] = {}
    for name, dtype in INTAKE_SIGNALS.columns.items():
        if name == "note":
            columns["note_redacted"] = pl.String()
            columns["note_status"] = pl.String()  # empty | redacted | withheld
            columns |= {column: pl.List(pl.String()) for column in NOTE_TOKEN_COLUMNS}
        else:
            columns[name] = dtype
    return columns


#: v2: the note's identifier tokens (``NOTE_TOKEN_COLUMNS``).
PSEUDONYMISED_SIGNALS: Final = TableSchema("pseudonymised_signals", 2, _without_note())


def known_per_note(
    signals: pl.DataFrame, persons: pl.DataFrame, notes: pl.Series
) -> list[list[tuple[str, str]]]:
    """For each note, the identifiers the signals carrying it know from their person rows.

    Notes are redacted once per distinct text, so a note shared by several signals (a
    re-delivery) gets the union of their persons' identifiers.
    """
    surname = pl.concat_str("surname_prefix", "surname", separator=" ", ignore_nulls=True)
    birth = pl.date("birth_year", "birth_month", "birth_day").dt.to_string("%Y-%m-%d")
    fields = [
        ("PERSOON", pl.when(~pl.col("first_names_initials")).then(pl.col("first_names"))),
        ("PERSOON", pl.col("surname")),
        ("PERSOON", surname),
        ("ADRES", pl.col("street")),
        ("PLAATS", pl.col("city")),
        ("POSTCODE", pl.col("postcode")),
        ("TELEFOON", pl.col("phone")),
        ("BSN", pl.col("bsn")),
        ("DATUM", birth),
    ]
    values = (
        persons.select(
            "delivery_id",
            "region_code",
            "signal_id",
            known=pl.concat_list(pl.struct(e=pl.lit(t), v=x) for t, x in fields),
        )
        .explode("known")
        .unnest("known")
        .drop_nulls("v")
    )
    per_note = (
        signals.select("delivery_id", "region_code", "signal_id", "note")
        .drop_nulls("note")
        .join(values, on=["delivery_id", "region_code", "signal_id"])
        .group_by("note")
        .agg(pl.struct("e", "v").unique())
    )
    lookup = dict(zip(per_note["note"].to_list(), per_note["e"].to_list(), strict=True))
    return [[(k["e"], k["v"]) for k in lookup.get(note, [])] for note in notes.to_list()]


def pseudonymise_signals(
    signals: pl.DataFrame,
    persons: pl.DataFrame,
    key: MasterKey,
    *,
    workers: int,
    deduce_cache_dir: Path | None = None,
) -> pl.DataFrame:
    """The intake signals with ``note`` replaced by ``note_redacted``, ``note_status`` and the
    tokens of the BSNs and phone numbers it names (``NOTE_TOKEN_COLUMNS``, under ``key``).

    ``persons`` (the normalised intake persons of the same batch) tell the redactor which
    names, addresses and numbers each note may hold; a note in which one of them survives
    redaction is withheld.
    """
    notes = signals.select(pl.col("note").unique(maintain_order=True).drop_nulls()).get_column(
        "note"
    )
    redacted = pl.concat(
        [
            notes.to_frame(),
            redact_notes(
                notes,
                workers=workers,
                known=known_per_note(signals, persons, notes),
                deduce_cache_dir=deduce_cache_dir,
            ),
        ],
        how="horizontal",
    )
    out = signals.join(redacted, on="note", how="left", maintain_order="left").with_columns(
        pl.col("note_status").fill_null("empty")
    )
    out = pl.concat([out, note_tokens(signals.get_column("note"), key)], how="horizontal")
    return conform(out.drop("note"), PSEUDONYMISED_SIGNALS)
