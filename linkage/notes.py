"""What a signal's note names: persons the signal is about besides its person rows.

The pseudonymise stage keeps, of a note, the keyed tokens of the BSNs and phone numbers it
names (``pseudonymise.note_tokens``), under the keys of the person rows' ``tok_bsn`` and
``tok_phone``. A sparse advice call ("Anna, about 39") whose note says "bsn 1234.56.782" is
about the person who holds that BSN on a person row of another signal: the signal joins that
person's family, and recurrence counts the person as involved (``note_members``). This is
evidence about signals, not about person rows: which row of the signal the note means is a
guess, so no person row is linked by it, and ``person_links`` do not change.

* a **BSN** names one person: the signal is about every person holding it. A BSN no person row
  holds still ties the signals whose notes name it (a person of their own, ``N...``);
* a **phone number** is a household's line and changes hands: the signal is about the persons
  holding it on a row of a signal received within ``family_contact_days`` of its own (as a
  phone shared by person rows joins families). A number no row holds ties nothing: it may be
  the reporter's, a teacher's or a police officer's line, named in many families' notes;
* a token named or held in more than ``note_max_signals`` signals is no evidence at all.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from linkage.cluster import id_key, keyed_ids
from pseudonymise.keys import MasterKey
from pseudonymise.note_tokens import NOTE_TOKEN_COLUMNS
from radar.contract.vocabulary import PERSON_KEY, SIGNAL_KEY
from radar.settings import LinkageSettings

#: The person token columns a note's tokens are compared with (one key each).
HELD: Final = tuple(NOTE_TOKEN_COLUMNS.values())
_PHONE: Final = NOTE_TOKEN_COLUMNS["note_tok_phone"]
_BSN: Final = NOTE_TOKEN_COLUMNS["note_tok_bsn"]
_MENTIONS: Final = {"region_code": pl.String, "signal_id": pl.String, "kind": pl.String}


def mentions(signals: pl.DataFrame, s: LinkageSettings | None = None) -> pl.DataFrame:
    """``region_code, signal_id, kind, token``: a row per token a signal's note names (``kind``:
    the person token column it compares with). None when the signals carry no note tokens, or
    ``s`` switches note identifiers off."""
    on = s is None or s.note_identifiers
    present = [c for c in NOTE_TOKEN_COLUMNS if c in signals.columns and on]
    if not present:
        return pl.DataFrame(schema={**_MENTIONS, "token": pl.String})
    return pl.concat(
        [
            signals.select(
                *SIGNAL_KEY, pl.lit(NOTE_TOKEN_COLUMNS[c]).alias("kind"), pl.col(c).alias("token")
            )
            .explode("token")
            .drop_nulls("token")
            for c in present
        ]
    )


def holders(persons: pl.DataFrame | pl.LazyFrame, tokens: pl.Series) -> pl.DataFrame:
    """``region_code, signal_id, person_seq, kind, token``: a row per person row holding one of
    ``tokens`` as its BSN or phone token."""
    wanted = tokens.unique().implode()
    frame = persons.lazy().select(*PERSON_KEY, *HELD)
    return pl.concat(
        [
            frame.filter(pl.col(c).is_in(wanted))
            .select(*PERSON_KEY, pl.lit(c).alias("kind"), pl.col(c).alias("token"))
            .collect()
            for c in HELD
        ]
    )


def usable_tokens(
    mentioned: pl.DataFrame, held: pl.DataFrame, among: pl.DataFrame, cap: int
) -> pl.DataFrame:
    """``kind, token`` of the tokens of ``among`` named or held in at most ``cap`` signals
    (``mentioned`` and ``held``: of the whole store)."""
    on = ["kind", "token"]
    return (
        pl.concat(
            [f.join(among, on=on, how="semi").select(*SIGNAL_KEY, *on) for f in (mentioned, held)]
        )
        .unique()
        .group_by(on)
        .agg(pl.len().alias("_n"))
        .filter(pl.col("_n") <= cap)
        .select(on)
    )


def reached_signals(
    mentioned: pl.DataFrame, held: pl.DataFrame, signals: pl.DataFrame, s: LinkageSettings
) -> pl.DataFrame:
    """``region_code, signal_id`` of every signal sharing a usable token with ``signals``
    (named or held by either side): the signals whose families ``note_members`` of
    ``signals`` can touch. ``mentioned`` and ``held``: of the whole store."""
    mine = pl.concat(
        [
            f.join(signals, on=SIGNAL_KEY, how="semi").select("kind", "token")
            for f in (mentioned, held)
        ]
    ).unique()
    usable = usable_tokens(mentioned, held, mine, s.note_max_signals)
    return pl.concat(
        [
            f.join(usable, on=["kind", "token"], how="semi").select(SIGNAL_KEY)
            for f in (mentioned, held)
        ]
    ).unique()


def note_members(
    mentioned: pl.DataFrame,
    held: pl.DataFrame,
    person_ids: pl.DataFrame,
    signals: pl.DataFrame,
    s: LinkageSettings,
    key: MasterKey | None,
) -> pl.DataFrame:
    """``region_code, signal_id, person_id``: the persons each of ``signals`` is about by its
    note (module docstring), beside those of its person rows.

    ``mentioned`` and ``held`` (``mentions``, ``holders``) are of the whole store, so that a
    token's count of signals is the store's; ``person_ids`` (``region_code, signal_id,
    person_seq, person_id``) of the rows linked in this run; ``signals``: ``region_code,
    signal_id, received_on`` of the signals judged here (a holder row counts when its signal is
    among them).
    """
    if not s.note_identifiers or mentioned.is_empty():
        return pl.DataFrame(
            schema={"region_code": pl.String, "signal_id": pl.String, "person_id": pl.String}
        )
    day = signals.select(*SIGNAL_KEY, pl.col("received_on").cast(pl.Int32).alias("_day"))
    mine = mentioned.join(day, on=SIGNAL_KEY)
    usable = usable_tokens(mentioned, held, mine.select("kind", "token"), s.note_max_signals)
    mine = mine.join(usable, on=["kind", "token"], how="semi")
    found = (
        held.join(usable, on=["kind", "token"], how="semi")
        .join(person_ids.select(*PERSON_KEY, "person_id").drop_nulls("person_id"), on=PERSON_KEY)
        .join(day.rename({"_day": "_held_day"}), on=SIGNAL_KEY)
        .select("kind", "token", "person_id", "_held_day")
    )
    about = mine.join(found, on=["kind", "token"]).filter(
        (pl.col("kind") != _PHONE)
        | ((pl.col("_day") - pl.col("_held_day")).abs() <= s.family_contact_days)
    )
    lone = (
        mine.filter(pl.col("kind") == _BSN)
        .join(found, on=["kind", "token"], how="anti")
        .with_columns(keyed_ids(pl.col("token"), id_key(key), "N").alias("person_id"))
    )
    return pl.concat(
        [about.select(*SIGNAL_KEY, "person_id"), lone.select(*SIGNAL_KEY, "person_id")]
    ).unique()


def family_members(
    family_links: pl.DataFrame,
    signals: pl.DataFrame,
    mentioned: pl.DataFrame,
    held: pl.DataFrame | None,
    s: LinkageSettings,
    key: MasterKey | None,
) -> pl.DataFrame:
    """``region_code, signal_id, person_id``: the persons of ``signals``' rows
    (``family_links``) and those their notes name (``note_members``; none when ``held`` is
    None), which families and recurrence are judged on."""
    rows = family_links.select(*SIGNAL_KEY, "person_id")
    if held is None:
        return rows
    named = note_members(mentioned, held, family_links, signals, s, key)
    return pl.concat([rows, named.join(rows, on=[*SIGNAL_KEY, "person_id"], how="anti")])
