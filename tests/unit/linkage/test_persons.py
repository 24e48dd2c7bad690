"""link_persons on tiny hand-built persons: hard constraints, ids, explanations."""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
from typing import Any

import polars as pl
import pytest

from linkage.persons import block, link_persons
from linkage.prepare import KEY as ROW_KEY
from linkage.prepare import STRING_TOKENS, Prepared, prepare
from pseudonymise.keys import MasterKey
from pseudonymise.persons import INPUT_COLUMNS, pseudonymise_persons
from pseudonymise.schema import TOKEN_COLUMNS
from radar.settings import LinkageSettings

KEY = MasterKey(b"k" * 32)
# valid BSNs (elfproef): 111222333, 123456782
BASE: dict[str, Any] = {
    "role": "slachtoffer",
    "bsn": None,
    "bsn_status": "missing",
    "first_names": "johanna",
    "first_names_initials": False,
    "surname_prefix": "de",
    "surname": "vries",
    "birth_year": 1985,
    "birth_month": 4,
    "birth_day": 12,
    "age_estimate": None,
    "sex": "V",
    "street": "dorpsstraat",
    "house_number": 12,
    "house_number_suffix": None,
    "postcode": "1234AB",
    "city": "ergens",
    "municipality_code": "GM0363",
    "phone": None,
}


def _persons(rows: list[dict[str, Any]]) -> pl.DataFrame:
    full = [BASE | r for r in rows]
    return pl.DataFrame(full, schema=INPUT_COLUMNS)


def _signals(persons: pl.DataFrame) -> pl.DataFrame:
    keys = persons.select("region_code", "signal_id").unique(maintain_order=True)
    return keys.with_columns(
        kind=pl.lit("melding"),
        received_on=pl.lit(dt.date(2024, 1, 1)),
        closed_on=pl.lit(None, dtype=pl.Date),
    )


def _background(n: int = 400) -> list[dict[str, Any]]:
    """Unrelated persons, so that u probabilities are those of a population."""
    rng = random.Random(5)
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = []
    for k in range(n):
        out.append(
            {
                "region_code": "VT02",
                "signal_id": f"bg{k // 2}",
                "person_seq": k % 2 + 1,
                "first_names": "".join(rng.choices(letters, k=6)),
                "surname": "".join(rng.choices(letters, k=7)),
                "surname_prefix": None,
                "birth_year": rng.randint(1940, 2020),
                "birth_month": rng.randint(1, 12),
                "birth_day": rng.randint(1, 28),
                "sex": rng.choice("MV"),
                "house_number": rng.randint(1, 300),
                "postcode": f"{rng.randint(1000, 9999)}XY",
                "bsn": None,
                "bsn_status": "missing",
            }
        )
    return out


def _link(rows: list[dict[str, Any]]) -> tuple[dict[tuple[str, int], str], Any]:
    persons = pseudonymise_persons(_persons(rows + _background()), KEY, workers=1)
    result = link_persons(persons, _signals(persons), LinkageSettings(random_pairs=2_000), key=KEY)
    ids = {
        (r["signal_id"], r["person_seq"]): r["person_id"]
        for r in result.person_links.iter_rows(named=True)
    }
    return ids, result


def _row(signal: str, seq: int = 1, **extra: Any) -> dict[str, Any]:
    return {"region_code": "VT01", "signal_id": signal, "person_seq": seq, **extra}


def test_same_person_in_three_signals_links_with_stable_ids() -> None:
    rows = [_row("s1"), _row("s2"), _row("s3", first_names="johana")]
    rows += [_row(f"x{n}", first_names=f"anna{n}", birth_day=n + 1) for n in range(8)]
    ids, result = _link(rows)
    assert ids[("s1", 1)] == ids[("s2", 1)] == ids[("s3", 1)]
    assert ids[("x0", 1)] != ids[("s1", 1)]
    again, _ = _link(list(reversed(rows)))
    assert again == ids
    assert all(value.startswith("P") and len(value) == 21 for value in ids.values())
    assert result.pairs_per_rule["first_name_birth_date"] >= 1


def test_two_rows_of_one_signal_never_link() -> None:
    ids, _ = _link([_row("s1", 1), _row("s1", 2), _row("s2", 1)])
    assert ids[("s1", 1)] != ids[("s1", 2)]


def test_different_valid_bsns_never_link() -> None:
    rows = [
        _row("s1", bsn="111222333", bsn_status="valid"),
        _row("s2", bsn="123456782", bsn_status="valid"),
    ]
    ids, _ = _link(rows)
    assert ids[("s1", 1)] != ids[("s2", 1)]


def test_same_valid_bsn_always_links() -> None:
    rows = [
        _row("s1", bsn="111222333", bsn_status="valid"),
        _row(
            "s2",
            bsn="111222333",
            bsn_status="valid",
            first_names="piet",
            surname="bakker",
            birth_year=1960,
            street=None,
            house_number=None,
            postcode=None,
        ),
    ]
    ids, _ = _link(rows)
    assert ids[("s1", 1)] == ids[("s2", 1)]


def test_housemates_with_other_birth_dates_stay_apart() -> None:
    rows = [_row("s1"), _row("s2", first_names="pieter", sex="M", birth_year=1983, birth_day=3)]
    ids, _ = _link(rows)
    assert ids[("s1", 1)] != ids[("s2", 1)]


def test_explain_names_fields_and_weights_never_values() -> None:
    _, result = _link([_row("s1"), _row("s2")])
    table = result.explain(("VT01", "s1", 1), ("VT01", "s2", 1))
    assert table.columns == ["feature", "level", "agreement", "weight"]
    birth = table.filter(pl.col("feature") == "birth_date").row(0, named=True)
    assert birth["agreement"] == "exact" and birth["weight"] > 0
    text = str(table.to_dicts())
    for value in ("johanna", "vries", "1985", "dorpsstraat", "1234"):
        assert value not in text


def test_linkage_does_not_import_prefect() -> None:
    code = (
        "import sys, linkage.persons, linkage.recurrence, linkage.evaluate; "
        "sys.exit('prefect' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.parametrize("probability", [0.5, 0.99])
def test_settings_are_frozen(probability: float) -> None:
    settings = LinkageSettings(match_probability=probability)
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error type
        settings.match_probability = 0.1  # type: ignore[misc]


def _advice(signal: str, seq: int, **extra: Any) -> dict[str, Any]:
    """An advice-call row: names, a sex and an age; no birth date and no address."""
    blank = {
        "surname": None,
        "surname_prefix": None,
        "birth_year": None,
        "birth_month": None,
        "birth_day": None,
        "street": None,
        "house_number": None,
        "postcode": None,
        "city": None,
        "municipality_code": None,
    }
    return _row(signal, seq, **(blank | extra))


def test_weak_rows_link_through_their_household() -> None:
    family = [
        _row("m1", 1, first_names="anna", birth_year=1984, birth_month=3, birth_day=2),
        _row("m1", 2, first_names="daan", sex="M", birth_year=2015, birth_month=6, birth_day=1),
        _advice("a1", 1, first_names="anna", surname="vries", age_estimate=40),
        _row("m1", 3, first_names="lotte", birth_year=2017, birth_month=9, birth_day=4),
        _advice("a1", 2, first_names="daan", surname="vries", sex="M", age_estimate=8),
        _advice("a1", 3, first_names="lotte", surname="vries", age_estimate=6),
        _advice("a2", 1, first_names="anna", age_estimate=39),  # a first name alone: too weak
    ]
    ids, result = _link(family)
    assert ids[("a1", 1)] == ids[("m1", 1)]
    assert ids[("a1", 2)] == ids[("m1", 2)]
    assert ids[("a1", 3)] == ids[("m1", 3)]
    assert ids[("a2", 1)] not in {ids[("m1", 1)], ids[("a1", 1)]}
    assert result.household_pairs >= 2


def test_a_housemate_without_personal_evidence_stays_apart() -> None:
    ids, _ = _link(
        [
            _row("s1", first_names="johanna"),
            # same surname, address and sex, but no first name and no birth date
            _row("s2", first_names=None, birth_year=None, birth_month=None, birth_day=None),
        ]
    )
    assert ids[("s1", 1)] != ids[("s2", 1)]


def test_swapped_first_name_and_surname_count_as_the_same_full_name() -> None:
    swapped = {"first_names": "vries", "surname": "johanna", "surname_prefix": None}
    rows = [_row("s1", surname_prefix=None), _row("s2", **swapped)]
    ids, result = _link(rows)
    levels = result.explain(("VT01", "s1", 1), ("VT01", "s2", 1))
    level = dict(zip(levels["feature"], levels["agreement"], strict=True))
    assert level["full_name_token"] == "same full name"
    assert level["first_name"] == level["surname"] == "not comparable"
    assert ids[("s1", 1)] == ids[("s2", 1)]


def test_time_apart_weighs_nothing_in_a_store_of_one_season() -> None:
    # every signal of this store is received on one day: its random pairs cannot tell what
    # time apart says, and a few pairs' smoothed m would count against every pair
    _, result = _link([_row("s1"), _row("s2")])
    levels = result.explain(("VT01", "s1", 1), ("VT01", "s2", 1))
    row = levels.filter(pl.col("feature") == "time_apart").row(0, named=True)
    assert row["agreement"] == "within 90 days"
    assert row["weight"] == 0.0


def test_first_names_compare_through_the_full_name_when_birth_months_differ() -> None:
    rows = [_row("s1"), _row("s2", birth_month=5)]
    _, result = _link(rows)
    levels = result.explain(("VT01", "s1", 1), ("VT01", "s2", 1))
    level = dict(zip(levels["feature"], levels["agreement"], strict=True))
    assert level["first_name"] == "dice >= 0.95"
    assert level["surname"] == "dice >= 0.95"


def test_a_typo_in_the_birth_year_keeps_a_name_comparable_through_the_other_name() -> None:
    rows = [_row("s1"), _row("s2", birth_year=1958, surname="vriess")]
    ids, result = _link(rows)
    levels = result.explain(("VT01", "s1", 1), ("VT01", "s2", 1))
    level = dict(zip(levels["feature"], levels["agreement"], strict=True))
    assert level["first_name"] == "dice >= 0.95"
    assert level["surname"] in ("dice >= 0.8", "dice >= 0.6")
    assert level["full_name_token"] == "not comparable"
    assert ids[("s1", 1)] == ids[("s2", 1)]


def test_without_bsns_the_prior_counts_the_expected_matches_among_candidates() -> None:
    people = [
        {"first_names": first, "surname": last, "birth_year": 1950 + 7 * n, "house_number": n}
        for n, (first, last) in enumerate(
            [
                ("anna", "bakker"),
                ("piet", "visser"),
                ("kees", "smit"),
                ("truus", "mulder"),
                ("ahmed", "yilmaz"),
                ("sanne", "dekker"),
            ]
        )
    ]
    rows = [_row(f"s{n}", **person) for n, person in enumerate(people)]
    # the second records of half of them have another birth day and a typo in the first
    # name: no identity block holds them
    rows += [
        _row(f"t{n}", **(person | {"birth_day": 20, "first_names": person["first_names"] + "h"}))
        if n % 2
        else _row(f"t{n}", **person)
        for n, person in enumerate(people)
    ]
    ids, result = _link(rows)
    assert all(ids[(f"s{n}", 1)] == ids[(f"t{n}", 1)] for n in range(6))
    sessions = [s for s in result.model.params.sessions if s.name != "bsn"]
    lower = max(s.match_share * s.pairs for s in sessions)
    assert lower < 5  # the identity sessions see only some of the six pairs
    pairs = result._prepared.size * (result._prepared.size - 1) / 2
    assert 5.5 <= result.model.params.prior * pairs <= 6 + 2  # the six true pairs, and little else


def test_a_likely_match_at_the_same_address_joins_the_family_only() -> None:
    home = {"postcode": "1234AB", "house_number": 12, "phone": "0612345678"}
    rows = [
        _row("s1", first_names="johanna", phone="0612345678"),
        # no first name and no birth date: reached at the same address and phone it joins
        # the family (the row may be a housemate), never the person; elsewhere it joins neither
        _advice("s2", 1, first_names=None, age_estimate=38, **home),
        _advice("s3", 1, first_names=None, age_estimate=38, postcode="9999ZZ", house_number=1),
    ]
    persons = pseudonymise_persons(_persons(rows + _background()), KEY, workers=1)
    # a few hundred rows estimate weak weights: the family threshold is set for them
    settings = LinkageSettings(random_pairs=2_000, family_match_probability=0.1)
    result = link_persons(persons, _signals(persons), settings, key=KEY)

    def ids(frame: pl.DataFrame) -> dict[str, str]:
        first = frame.filter(pl.col("person_seq") == 1)
        return dict(zip(first["signal_id"], first["person_id"], strict=True))

    person, family = ids(result.person_links), ids(result.family_links)
    assert person["s1"] != person["s2"]
    assert family["s1"] == family["s2"]
    assert family["s3"] != family["s1"]
    assert family["s3"] == person["s3"]


@pytest.mark.parametrize(("contact_days", "joins"), [(730, False), (5000, True)])
def test_an_address_years_later_joins_no_family_without_a_name_or_birth_date(
    contact_days: int, joins: bool
) -> None:
    home = {"postcode": "1234AB", "house_number": 12, "phone": "0612345678"}
    rows = [
        _row("s1", first_names="johanna", phone="0612345678"),
        # the address and phone of s1, with a sex and an age only: half a year later a
        # housemate perhaps, three years later perhaps whoever lives there then
        _advice("s2", 1, first_names=None, age_estimate=38, **home),
        _advice("s3", 1, first_names=None, age_estimate=41, **home),
    ]
    persons = pseudonymise_persons(_persons(rows + _background()), KEY, workers=1)
    received = {"s1": dt.date(2020, 1, 1), "s2": dt.date(2020, 7, 1), "s3": dt.date(2023, 1, 1)}
    signals = _signals(persons).with_columns(
        pl.col("signal_id")
        .replace_strict(received, default=dt.date(2024, 1, 1))
        .alias("received_on")
    )
    settings = LinkageSettings(
        random_pairs=2_000, family_match_probability=0.1, family_contact_days=contact_days
    )
    result = link_persons(persons, signals, settings, key=KEY)
    family = {
        r["signal_id"]: r["person_id"]
        for r in result.family_links.filter(pl.col("person_seq") == 1).iter_rows(named=True)
    }
    assert family["s1"] == family["s2"]
    assert (family["s3"] == family["s1"]) is joins


def test_the_other_persons_of_two_signals_of_one_family_link_for_families() -> None:
    child = {"sex": "M", "first_names": None, "birth_year": None, "birth_month": None}
    rows = [
        _row("s1", 1),
        _row("s2", 1),
        # the same boy without a name in both signals: only the family tells who he is
        _advice("s1", 2, **child, age_estimate=8, birth_day=None),
        _advice("s2", 2, **child, age_estimate=9, birth_day=None),
    ]
    persons = pseudonymise_persons(_persons(rows + _background()), KEY, workers=1)
    # a few hundred rows estimate weak weights (sex, age, region): the threshold is set for them
    settings = LinkageSettings(random_pairs=2_000, family_member_weight=2.0)
    result = link_persons(persons, _signals(persons), settings, key=KEY)

    def ids(frame: pl.DataFrame) -> dict[tuple[str, int], str]:
        return {
            (r["signal_id"], r["person_seq"]): r["person_id"] for r in frame.iter_rows(named=True)
        }

    person, family = ids(result.person_links), ids(result.family_links)
    assert person[("s1", 1)] == person[("s2", 1)]
    assert person[("s1", 2)] != person[("s2", 2)]
    assert family[("s1", 2)] == family[("s2", 2)] != family[("s1", 1)]


def test_a_birth_date_with_day_and_month_swapped_compares_as_swapped() -> None:
    # the swapped date's token is coded in the birth dates' dictionary (linkage.prepare)
    rows = [_row("s1"), _row("s2", birth_month=12, birth_day=4)]
    _, result = _link(rows)
    levels = result.explain(("VT01", "s1", 1), ("VT01", "s2", 1))
    level = dict(zip(levels["feature"], levels["agreement"], strict=True))
    assert level["birth_date"] == "day and month swapped"
    unrelated = result.explain(("VT01", "s1", 1), ("VT02", "bg0", 1))
    assert "day and month swapped" not in unrelated.get_column("agreement").to_list()


def test_blocking_on_token_codes_gives_the_pairs_of_blocking_on_tokens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    swapped = _row("s2", birth_month=12, birth_day=4, surname="vries")
    rows = [_row("s1"), swapped, _row("s3", first_names="johana"), *_background(600)]
    persons = pseudonymise_persons(_persons(rows), KEY, workers=1)
    p = prepare(persons, _signals(persons))
    settings = LinkageSettings()
    coded = block(p, settings)
    # the same rows with the tokens themselves (in key order, the prepared rows' order)
    tokens_in_order = persons.sort(*ROW_KEY).select(TOKEN_COLUMNS)
    with_tokens = p.rows.drop(STRING_TOKENS).hstack(tokens_in_order)
    monkeypatch.setattr(Prepared, "coded_rows", lambda self: with_tokens)
    tokens = block(p, settings)
    assert coded.pairs_per_rule["surname_birth_date_swapped"] >= 1
    assert coded.pairs_per_rule == tokens.pairs_per_rule
    assert coded.pairs.equals(tokens.pairs)
