"""What a note names: a signal joins the family of the person holding a BSN or phone it names."""

from __future__ import annotations

import datetime as dt

import polars as pl

from linkage.families import link_families
from linkage.notes import family_members, holders, mentions, reached_signals
from linkage.recurrence import recurrence
from radar.settings import LinkageSettings

S = LinkageSettings()
DAY = dt.date(2020, 1, 1)


def _signals(*rows: tuple[str, int, list[str], list[str]]) -> pl.DataFrame:
    """(signal_id, days after DAY, note BSN tokens, note phone tokens) per signal."""
    return pl.DataFrame(
        {
            "region_code": ["VT01"] * len(rows),
            "signal_id": [r[0] for r in rows],
            "received_on": [DAY + dt.timedelta(days=r[1]) for r in rows],
            "closed_on": [DAY + dt.timedelta(days=r[1] + 10) for r in rows],
            "note_tok_bsn": [r[2] for r in rows],
            "note_tok_phone": [r[3] for r in rows],
        },
        schema_overrides={"note_tok_bsn": pl.List(pl.String), "note_tok_phone": pl.List(pl.String)},
    )


def _persons(*rows: tuple[str, str, str | None, str | None]) -> pl.DataFrame:
    """(signal_id, person_id, BSN token, phone token) per person row (one row per signal)."""
    return pl.DataFrame(
        {
            "region_code": ["VT01"] * len(rows),
            "signal_id": [r[0] for r in rows],
            "person_seq": [1] * len(rows),
            "person_id": [r[1] for r in rows],
            "tok_bsn": [r[2] for r in rows],
            "tok_phone": [r[3] for r in rows],
        },
        schema_overrides={"tok_bsn": pl.String, "tok_phone": pl.String},
    )


def _judged(
    signals: pl.DataFrame, persons: pl.DataFrame, s: LinkageSettings = S
) -> dict[str, tuple[str, str]]:
    """signal_id -> (family_id, recurrence_category), as link_all judges them."""
    links = persons.select("region_code", "signal_id", "person_seq", "person_id")
    mentioned = mentions(signals, s)
    held = holders(persons, mentioned.get_column("token"))
    members = family_members(links, signals, mentioned, held, s, None)
    families = link_families(members, signals)
    judged = recurrence(signals, members, families)
    return {
        r["signal_id"]: (r["family_id"], r["recurrence_category"])
        for r in judged.iter_rows(named=True)
    }


def test_a_note_naming_a_bsn_joins_the_family_of_the_person_holding_it() -> None:
    signals = _signals(("a", 0, [], []), ("b", 400, ["bsn1"], []), ("c", 800, [], []))
    persons = _persons(("a", "P1", "bsn1", None), ("b", "P2", None, None), ("c", "P3", None, None))
    judged = _judged(signals, persons)
    assert judged["a"][0] == judged["b"][0] != judged["c"][0]
    assert judged["b"][1] == "hermelding_een_bekend"  # the person the note names was known
    assert judged["c"][1] == "eerste"
    off = _judged(signals, persons, LinkageSettings(note_identifiers=False))
    assert off["a"][0] != off["b"][0] and off["b"][1] == "eerste"


def test_a_phone_number_joins_only_within_the_contact_window() -> None:
    far = S.family_contact_days + 1
    signals = _signals(("a", 0, [], []), ("b", 300, [], ["tel1"]), ("c", 300 + far, [], ["tel2"]))
    persons = _persons(("a", "P1", None, "tel1"), ("b", "P2", None, None), ("c", "P3", None, None))
    persons = persons.vstack(_persons(("d", "P4", None, "tel2")))
    signals = signals.vstack(_signals(("d", 0, [], [])))
    judged = _judged(signals, persons)
    assert judged["a"][0] == judged["b"][0]  # 300 days apart
    assert judged["c"][0] != judged["d"][0]  # further apart than the window


def test_a_bsn_no_row_holds_ties_the_notes_naming_it_and_a_phone_does_not() -> None:
    signals = _signals(
        ("a", 0, ["bsn9"], []),
        ("b", 500, ["bsn9"], []),
        ("c", 0, [], ["tel9"]),
        ("d", 50, [], ["tel9"]),
    )
    persons = _persons(*((sid, f"P{sid}", None, None) for sid in "abcd"))
    judged = _judged(signals, persons)
    assert judged["a"][0] == judged["b"][0]
    assert judged["b"][1] == "hermelding_een_bekend"
    # a number only notes name may be the reporter's line: no evidence
    assert judged["c"][0] != judged["d"][0]


def test_a_token_named_in_too_many_signals_is_no_evidence() -> None:
    cap = 3
    s = LinkageSettings(note_max_signals=cap)
    named = [(f"n{i}", i, ["bsn1"], []) for i in range(cap)]
    signals = _signals(("a", 0, [], []), *named)
    persons = _persons(
        ("a", "P1", "bsn1", None), *((f"n{i}", f"Q{i}", None, None) for i in range(cap))
    )
    judged = _judged(signals, persons, s)
    assert len({family for family, _ in judged.values()}) == cap + 1
    within = _judged(signals, persons, LinkageSettings(note_max_signals=cap + 1))
    assert len({family for family, _ in within.values()}) == 1


def test_signals_without_note_tokens_have_no_mentions() -> None:
    signals = _signals(("a", 0, ["bsn1"], [])).drop("note_tok_bsn", "note_tok_phone")
    assert mentions(signals).is_empty()


def test_the_signals_a_note_reaches_are_those_sharing_its_usable_tokens() -> None:
    signals = _signals(
        ("a", 0, [], []), ("b", 10, ["bsn1"], []), ("c", 20, [], []), ("d", 30, ["bsn1"], [])
    )
    persons = _persons(("a", "P1", "bsn1", None), ("b", "P2", None, None), ("c", "P3", None, None))
    mentioned = mentions(signals)
    held = holders(persons, mentioned.get_column("token"))
    start = signals.filter(pl.col("signal_id") == "b").select("region_code", "signal_id")
    reached = reached_signals(mentioned, held, start, S).get_column("signal_id").sort().to_list()
    assert reached == ["a", "b", "d"]
    assert reached_signals(mentioned, held, start, LinkageSettings(note_max_signals=2)).is_empty()
