"""Recurrence categories, prior counts and families on hand-built timelines."""

from __future__ import annotations

import datetime as dt

import polars as pl

from linkage.families import link_families
from linkage.recurrence import recurrence


def _signals(rows: list[tuple[str, str, str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "region_code": [r[0] for r in rows],
            "signal_id": [r[1] for r in rows],
            "received_on": [dt.date.fromisoformat(r[2]) for r in rows],
            "closed_on": [dt.date.fromisoformat(r[3]) if r[3] else None for r in rows],
        }
    )


def _links(rows: list[tuple[str, str, int, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "region_code": [r[0] for r in rows],
            "signal_id": [r[1] for r in rows],
            "person_seq": [r[2] for r in rows],
            "person_id": [r[3] for r in rows],
        },
        schema_overrides={"person_seq": pl.Int32},
    )


def test_categories() -> None:
    signals = _signals(
        [
            ("VT01", "a", "2024-01-01", "2024-02-01"),  # eerste
            ("VT01", "b", "2024-03-01", None),  # hermelding_een_bekend (x known, a closed)
            ("VT02", "c", "2024-03-10", "2024-04-01"),  # vervolgmelding (b open), other region
            ("VT01", "d", "2024-05-01", None),  # hermelding_meerdere_bekend? no: b open
            ("VT03", "e", "2024-01-01", None),  # eerste, same day as a, shares nobody
            ("VT03", "f", "2024-01-01", None),  # same day as e, shares z: does not see e
        ]
    )
    links = _links(
        [
            ("VT01", "a", 1, "x"),
            ("VT01", "a", 2, "y"),
            ("VT01", "b", 1, "x"),
            ("VT02", "c", 1, "x"),
            ("VT02", "c", 2, "w"),
            ("VT01", "d", 1, "w"),
            ("VT01", "d", 2, "y"),
            ("VT03", "e", 1, "z"),
            ("VT03", "f", 1, "z"),
        ]
    )
    families = link_families(links, signals)
    out = recurrence(signals, links, families)
    cat = dict(zip(out["signal_id"], out["recurrence_category"], strict=True))
    prior = dict(zip(out["signal_id"], out["prior_signals"], strict=True))
    other = dict(zip(out["signal_id"], out["prior_other_region"], strict=True))
    assert cat == {
        "a": "eerste",
        "b": "hermelding_een_bekend",
        "c": "vervolgmelding",
        "d": "vervolgmelding",
        "e": "eerste",
        "f": "eerste",
    }
    assert prior == {"a": 0, "b": 1, "c": 2, "d": 3, "e": 0, "f": 0}
    assert other["b"] is False and other["c"] is True and other["d"] is True
    fam = dict(zip(out["signal_id"], out["family_id"], strict=True))
    assert fam["a"] == fam["b"] == fam["c"] == fam["d"] != fam["e"] == fam["f"]


def test_meerdere_bekend_after_closed_case() -> None:
    signals = _signals(
        [("VT01", "a", "2024-01-01", "2024-01-20"), ("VT01", "b", "2024-02-01", None)]
    )
    links = _links(
        [("VT01", "a", 1, "x"), ("VT01", "a", 2, "y"), ("VT01", "b", 1, "x"), ("VT01", "b", 2, "y")]
    )
    out = recurrence(signals, links, link_families(links, signals))
    assert out["recurrence_category"].to_list() == ["eerste", "hermelding_meerdere_bekend"]


def test_closed_on_the_received_day_counts_as_open() -> None:
    signals = _signals(
        [("VT01", "a", "2024-01-01", "2024-02-01"), ("VT01", "b", "2024-02-01", None)]
    )
    links = _links([("VT01", "a", 1, "x"), ("VT01", "b", 1, "x")])
    out = recurrence(signals, links, link_families(links, signals))
    assert out["recurrence_category"].to_list() == ["eerste", "vervolgmelding"]


def test_path_through_later_signal_is_not_seen() -> None:
    # a (day 1) and c (day 3) are connected only through b (day 5): c must not see a
    signals = _signals(
        [
            ("VT01", "a", "2024-01-01", "2024-01-02"),
            ("VT01", "c", "2024-01-03", "2024-01-04"),
            ("VT01", "b", "2024-01-05", None),
        ]
    )
    links = _links(
        [("VT01", "a", 1, "x"), ("VT01", "c", 1, "y"), ("VT01", "b", 1, "x"), ("VT01", "b", 2, "y")]
    )
    out = recurrence(signals, links, link_families(links, signals))
    got = dict(zip(out["signal_id"], out["recurrence_category"], strict=True))
    assert got == {"a": "eerste", "c": "eerste", "b": "hermelding_meerdere_bekend"}
    assert out.filter(pl.col("signal_id") == "b")["prior_signals"].item() == 2


def test_family_ids_are_stable_and_keyed() -> None:
    signals = _signals([("VT01", "a", "2024-01-01", None), ("VT01", "b", "2024-01-02", None)])
    links = _links([("VT01", "a", 1, "x"), ("VT01", "b", 1, "x")])
    one = link_families(links, signals)
    two = link_families(links.reverse(), signals.reverse())
    assert one.sort("signal_id").equals(two.sort("signal_id"))
    assert one["family_id"].n_unique() == 1
