"""Keyed tokens: equal to the standard library's HMAC, deterministic, unrelated across keys."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudonymise import schema
from pseudonymise.keys import MasterKey
from pseudonymise.tokens import SEP, TOKEN_COLUMNS, hmac_hex, token_exprs

KEY_A = MasterKey(bytes(range(32)))
KEY_B = MasterKey(bytes(range(1, 33)))
texts = st.text(min_size=0, max_size=40)


def _tokens(values: Sequence[str | None], hmac_key: str, hex_chars: int = 32) -> list[str | None]:
    frame = pl.DataFrame({"v": list(values)}, schema={"v": pl.Utf8})
    return frame.select(hmac_hex(pl.col("v"), hmac_key, hex_chars=hex_chars)).to_series().to_list()


@settings(max_examples=200, deadline=None)
@given(st.lists(texts, min_size=1, max_size=20))
def test_equals_stdlib_hmac(values: list[str]) -> None:
    key = KEY_A.derive_hmac_key("token/test")
    expected = [hmac.new(key.encode(), v.encode(), hashlib.sha256).hexdigest() for v in values]
    assert _tokens(list(values), key, hex_chars=64) == expected
    assert _tokens(list(values), key) == [e[:32] for e in expected]


@settings(max_examples=100, deadline=None)
@given(st.lists(texts, min_size=2, max_size=30, unique=True))
def test_same_key_same_token_other_key_unrelated(values: list[str]) -> None:
    a = _tokens(values + values, KEY_A.derive_hmac_key("token/test"))
    b = _tokens(values, KEY_B.derive_hmac_key("token/test"))
    assert a[: len(values)] == a[len(values) :]  # deterministic
    assert len(set(a[: len(values)])) == len(values)  # distinct inputs, distinct tokens
    assert not set(a) & set(b)  # no token of one key equals any token of the other


def test_about_half_the_bits_differ_across_keys() -> None:
    values = [f"value {i}" for i in range(2000)]
    a = _tokens(values, KEY_A.derive_hmac_key("token/test"))
    b = _tokens(values, KEY_B.derive_hmac_key("token/test"))
    distances = [
        bin(int(str(x), 16) ^ int(str(y), 16)).count("1") for x, y in zip(a, b, strict=True)
    ]
    mean = sum(distances) / len(distances)
    assert 62 < mean < 66  # 128 bits, binomial(128, 1/2): mean 64, sd of the mean 0.13


def test_null_input_gives_null_token() -> None:
    assert _tokens([None, "x"], "k" * 64)[0] is None


def _persons(**columns: list[object]) -> pl.DataFrame:
    base: dict[str, list[object]] = {
        "bsn": [None],
        "bsn_status": ["missing"],
        "first_names": [None],
        "surname": [None],
        "birth_year": [None],
        "birth_month": [None],
        "birth_day": [None],
        "sex": [None],
        "postcode": [None],
        "house_number": [None],
        "phone": [None],
    }
    n = len(next(iter(columns.values())))
    data = {name: (columns.get(name) or values * n) for name, values in base.items()}
    return pl.DataFrame(
        data,
        schema_overrides={
            "birth_year": pl.Int16,
            "birth_month": pl.Int8,
            "birth_day": pl.Int8,
            "house_number": pl.Int32,
            "bsn": pl.Utf8,
            "first_names": pl.Utf8,
            "surname": pl.Utf8,
            "sex": pl.Utf8,
            "postcode": pl.Utf8,
            "phone": pl.Utf8,
            "bsn_status": pl.Utf8,
        },
    )


def test_birth_date_tokens_allow_partial_agreement_without_clear_values() -> None:
    frame = _persons(
        birth_year=[1985, 1985, 1958, 1985, 1985],
        birth_month=[3, 7, 3, 3, None],
        birth_day=[7, 3, 7, 7, None],
    )
    out = frame.select(token_exprs(KEY_A))
    date, swapped = out["tok_birth_date"].to_list(), out["tok_birth_date_swapped"].to_list()
    assert swapped[0] == date[1] and swapped[1] == date[0]  # day and month swapped
    assert date[0] == date[3] and date[0] != date[2]
    assert out["tok_birth_md"][0] == out["tok_birth_md"][2]  # survives the year typo
    assert out["tok_birth_ym"][0] == out["tok_birth_ym"][3] != out["tok_birth_ym"][1]
    assert date[4] is None and out["tok_birth_ym"][4] is None  # partial date: no full token


def test_swapped_only_when_plausible() -> None:
    frame = _persons(birth_year=[1990, 1990], birth_month=[4, 4], birth_day=[25, 4])
    assert frame.select(token_exprs(KEY_A))["tok_birth_date_swapped"].to_list() == [None, None]


def test_bsn_token_only_for_valid_bsn_and_blocking_tokens() -> None:
    frame = _persons(
        bsn=["111222333", "111222333"],
        bsn_status=["valid", "invalid"],
        first_names=["jan pieter", "jan"],
        surname=["jong", "jong"],
        birth_year=[1985, 1985],
        birth_month=[3, 3],
        birth_day=[7, 7],
        postcode=["1234AB", "1234 ab"],
        house_number=[12, 12],
        phone=["31612345678", None],
    )
    out = frame.select(token_exprs(KEY_A))
    assert out["tok_bsn"].to_list()[1] is None and out["tok_bsn"][0] is not None
    for column in (
        "tok_first_name_birth_date",
        "tok_surname_year",
        "tok_postcode_house",
        "tok_initial_birth_date",
    ):
        assert out[column][0] == out[column][1], column


def test_kinds_use_separate_keys() -> None:
    frame = _persons(phone=["111222333"], bsn=["111222333"], bsn_status=["valid"])
    out = frame.select(token_exprs(KEY_A))
    assert out["tok_phone"][0] != out["tok_bsn"][0]  # equal values, different kinds
    assert SEP not in "".join(TOKEN_COLUMNS)
    assert set(TOKEN_COLUMNS) <= set(schema.PSEUDONYMISED_PERSONS_SCHEMA.names())


def _household(signal: str, people: list[tuple[str | None, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "region_code": ["VT01"] * len(people),
            "signal_id": [signal] * len(people),
            "person_seq": list(range(1, len(people) + 1)),
            "first_names": [p[0] for p in people],
            "sex": [p[1] for p in people],
        },
        schema_overrides={"person_seq": pl.Int32},
    )


def test_name_pair_tokens_are_directional_and_shared_only_by_the_same_names() -> None:
    from pseudonymise.tokens import NAME_PAIRS_COLUMN, name_pair_tokens

    frame = pl.concat(
        [
            _household("a", [("anna maria", "V"), ("daan", "M"), (None, "M")]),
            _household("b", [("daan", "M"), ("Anna", "V")]),  # the same two, other order
            _household("c", [("anna", "V"), ("sem", "M")]),
        ]
    )
    out = name_pair_tokens(frame, KEY_A)
    tokens = {
        (r["signal_id"], r["person_seq"]): set(r[NAME_PAIRS_COLUMN])
        for r in out.iter_rows(named=True)
    }
    assert out.height == frame.height
    assert tokens[("a", 3)] == set()  # no first name: no pair
    assert tokens[("a", 1)] == tokens[("b", 2)]  # anna with daan, in both signals
    assert tokens[("a", 2)] == tokens[("b", 1)]  # daan with anna
    assert not tokens[("a", 1)] & tokens[("a", 2)]  # directional
    assert not tokens[("c", 1)] & tokens[("a", 1)]  # anna with sem is another pair
    other = name_pair_tokens(frame, KEY_B)
    assert set(other.get_column(NAME_PAIRS_COLUMN).explode().drop_nulls()).isdisjoint(
        out.get_column(NAME_PAIRS_COLUMN).explode().drop_nulls()
    )


def test_name_pairs_stay_within_one_version_of_a_signal() -> None:
    """A batch holding a signal and its re-delivery gives each version the tokens it gets
    alone (incremental runs and a rebuild must give the same store)."""
    from pseudonymise.tokens import NAME_PAIRS_COLUMN, name_pair_tokens

    first = _household("a", [("anna", "V"), ("daan", "M")]).with_columns(
        delivery_id=pl.lit("2024-01-31_VT01_01")
    )
    again = _household("a", [("anna", "V"), ("sem", "M"), ("lotte", "V")]).with_columns(
        delivery_id=pl.lit("2024-02-29_VT01_01")
    )
    together = name_pair_tokens(pl.concat([first, again]), KEY_A)
    alone = pl.concat([name_pair_tokens(first, KEY_A), name_pair_tokens(again, KEY_A)])
    assert together.columns == ["region_code", "signal_id", "person_seq", NAME_PAIRS_COLUMN]
    assert together.equals(alone)
    assert together.get_column(NAME_PAIRS_COLUMN).list.len().to_list() == [1, 1, 2, 2, 2]


def test_full_name_token_is_order_free_and_needs_no_sex() -> None:
    frame = _persons(
        first_names=["jan", "smit", "jan", "jan", "j", "jan"],
        surname=["smit", "jan", "smit", "smit", "smit", "smits"],
        sex=["M", "M", None, "O", "M", "M"],
    )
    token = frame.select(token_exprs(KEY_A))["tok_full_name_sex"].to_list()
    assert token[0] is not None and token[0] == token[1]  # names swapped: the same token
    assert token[2] is not None and token[2] != token[0]  # an unknown sex is a field, not null
    assert token[3] == token[2]  # sex O counts as unknown
    assert token[4] is None  # an initial is no first name
    assert token[5] != token[0]
