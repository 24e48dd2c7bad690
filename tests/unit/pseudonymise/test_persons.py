"""The pseudonymised persons table: schema, no clear identifiers, rotation, partitioning."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pseudonymise import bloom, schema
from pseudonymise.bench import synthetic_persons
from pseudonymise.keys import MasterKey
from pseudonymise.persons import INPUT_COLUMNS, pseudonymise_persons
from radar.errors import SchemaError

KEY = MasterKey(bytes(range(32)), label="k1")
NEW_KEY = MasterKey(bytes(range(100, 132)), label="k2")


@pytest.fixture(scope="module")
def persons() -> pl.DataFrame:
    return synthetic_persons(3000, seed=5)


@pytest.fixture(scope="module")
def out(persons: pl.DataFrame) -> pl.DataFrame:
    return pseudonymise_persons(persons, KEY)


def test_conforms_to_the_versioned_schema(out: pl.DataFrame) -> None:
    assert out.schema == schema.PSEUDONYMISED_PERSONS_SCHEMA
    # v5: order-free full-name token without a known sex, the place in the address filter
    # without a municipality, name filters salted by the other name
    assert schema.SCHEMA_VERSION == 5
    assert out["key_id"].unique().to_list() == [KEY.key_id]
    assert out.height == 3000


def test_no_clear_identifier_survives(persons: pl.DataFrame, out: pl.DataFrame) -> None:
    for dropped in (
        "bsn",
        "first_names",
        "surname_prefix",
        "surname",
        "birth_month",
        "birth_day",
        "street",
        "house_number",
        "house_number_suffix",
        "postcode",
        "city",
        "phone",
    ):
        assert dropped not in out.columns
    clear = set()
    for column in ("bsn", "first_names", "surname", "street", "postcode", "city", "phone"):
        clear |= set(persons[column].drop_nulls().to_list())
    kept = set()
    for column, dtype in out.schema.items():
        if dtype == pl.String:
            kept |= set(out[column].drop_nulls().to_list())
    assert not clear & kept
    assert out["pc4"].drop_nulls().str.len_chars().unique().to_list() == [4]


def test_coarse_columns(persons: pl.DataFrame, out: pl.DataFrame) -> None:
    assert out["birth_year"].equals(persons["birth_year"])
    assert out["has_birth_day"].to_list() == persons["birth_day"].is_not_null().to_list()
    assert out["municipality_code"].equals(persons["municipality_code"])


def test_partitioning_and_threads_do_not_change_the_result(
    persons: pl.DataFrame, out: pl.DataFrame
) -> None:
    again = pseudonymise_persons(persons, KEY, workers=2, partition_rows=700)
    for column in out.columns:
        assert again[column].equals(out[column], null_equal=True), column


def test_rotation_changes_every_token_but_keeps_equalities(
    persons: pl.DataFrame, out: pl.DataFrame
) -> None:
    rotated = pseudonymise_persons(persons, NEW_KEY)
    assert rotated["key_id"][0] == NEW_KEY.key_id != KEY.key_id
    for column in ("tok_birth_date", "tok_surname_year", "tok_postcode_house", "tok_bsn"):
        old, new = out[column], rotated[column]
        assert not set(old.drop_nulls().to_list()) & set(new.drop_nulls().to_list()), column
        # the same rows share a token under either key: links computed under both agree
        pairs = pl.DataFrame({"old": old, "new": new}).drop_nulls().unique()
        assert pairs["old"].n_unique() == pairs["new"].n_unique() == pairs.height, column
    old_bf = bloom.to_numpy(out["bf_surname"])
    new_bf = bloom.to_numpy(rotated["bf_surname"])
    filled = out["bf_surname"].is_not_null().to_numpy()
    assert (bloom.dice(old_bf, new_bf)[filled] < 0.9).all()


def test_equal_persons_get_equal_encodings_and_name_filters_compare(persons: pl.DataFrame) -> None:
    row = persons.head(1).with_columns(
        first_names=pl.lit("johannes pieter"),
        surname=pl.lit("jansen"),
        birth_year=pl.lit(1980, pl.Int16),
        birth_month=pl.lit(5, pl.Int8),
        birth_day=pl.lit(9, pl.Int8),
        street=pl.lit("kerkstraat"),
    )
    typo = row.with_columns(
        first_names=pl.lit("johanes"), surname=pl.lit("jansem"), person_seq=pl.lit(2, pl.Int32)
    )
    other_year = row.with_columns(birth_year=pl.lit(1981, pl.Int16))
    out = pseudonymise_persons(pl.concat([row, row, typo, other_year]), KEY)
    for column in ("bf_first_name", "bf_surname", "bf_address"):
        m = bloom.to_numpy(out[column])
        assert np.array_equal(m[0], m[1])
    first, last = bloom.to_numpy(out["bf_first_name"]), bloom.to_numpy(out["bf_surname"])
    assert bloom.dice(first[[0]], first[[2]])[0] > 0.7
    assert bloom.dice(last[[0]], last[[2]])[0] > 0.6
    assert bloom.dice(last[[0]], last[[3]])[0] < 0.5  # names are salted with the birth year
    assert out["tok_initial_birth_date"][0] == out["tok_initial_birth_date"][2]


def test_the_place_tells_addresses_apart_only_without_a_municipality(
    persons: pl.DataFrame,
) -> None:
    row = persons.head(1).with_columns(
        street=pl.lit("kerkstraat"), house_number=pl.lit(12, pl.Int32), city=pl.lit("ergens")
    )
    elsewhere = row.with_columns(city=pl.lit("nergenshuizen"))
    unsalted = pl.concat([row, elsewhere]).with_columns(
        municipality_code=pl.lit(None, pl.Utf8), person_seq=pl.Series([3, 4], dtype=pl.Int32)
    )
    out = pseudonymise_persons(pl.concat([row, elsewhere, unsalted]), KEY)
    m = bloom.to_numpy(out["bf_address"])
    assert np.array_equal(m[0], m[1])  # the municipality salts the filter; the place adds nothing
    # without it, the place is part of the address: below the "similar address" cut (0.85)
    assert bloom.dice(m[[2]], m[[3]])[0] < 0.85


def test_empty_row_gives_nulls_not_errors(persons: pl.DataFrame) -> None:
    empty = pl.DataFrame(
        {"region_code": ["VT01"], "signal_id": ["S9"], "person_seq": [1], "bsn_status": ["missing"]}
    ).with_columns(
        *(
            pl.lit(None, dtype).alias(name)
            for name, dtype in INPUT_COLUMNS.items()
            if name not in ("region_code", "signal_id", "person_seq", "bsn_status")
        )
    )
    out = pseudonymise_persons(empty, KEY)
    assert out.height == 1
    for column in (*schema.TOKEN_COLUMNS, *schema.BLOOM_COLUMNS, "pc4", "birth_year"):
        assert out[column][0] is None, column
    assert pseudonymise_persons(empty.clear(), KEY).schema == schema.PSEUDONYMISED_PERSONS_SCHEMA


def test_input_problems_are_listed_together(persons: pl.DataFrame) -> None:
    broken = persons.drop("surname", "phone").with_columns(birth_year=pl.lit("x"))
    with pytest.raises(SchemaError) as info:
        pseudonymise_persons(broken, KEY)
    message = str(info.value)
    assert "surname" in message and "phone" in message and "birth_year" in message


def test_conform_lists_every_mismatch_without_values(out: pl.DataFrame) -> None:
    bad = out.with_columns(
        tok_phone=pl.lit("0612345678"), key_id=pl.lit(None, pl.Utf8), city=pl.lit("utrecht")
    ).drop("pc4")
    with pytest.raises(SchemaError) as info:
        schema.conform(bad)
    message = str(info.value)
    for part in ("city", "pc4", "tok_phone", "key_id"):
        assert part in message
    assert "0612345678" not in message and "utrecht" not in message
    assert schema.conform(out.select(reversed(out.columns))).columns == out.columns
