"""Blocking against a naive reference: every pair of rows of different signals sharing a key,
from a plain self-join, blocks over the cap skipped; LSH on every row and every band."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from linkage import blocking
from linkage.blocking import BlockRule, candidate_pairs, lsh_keys
from linkage.prepare import BIRTH_BAND_YEARS, filter_code


def _rows(n: int, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    # a few distinct filters per salt group, some near-copies of each other
    base = rng.integers(0, 2**63, size=(6, 2), dtype=np.uint64)
    pick = rng.integers(0, 6, size=n)
    shift = rng.integers(0, 63, size=n).astype(np.uint64)
    flip = np.where(rng.random(n) < 0.3, np.left_shift(np.uint64(1), shift), np.uint64(0))
    matrix = base[pick].copy()
    matrix[:, 0] ^= flip.astype(np.uint64)
    matrix[rng.random(n) < 0.1] = 0  # no surname
    rows = pl.DataFrame(
        {
            "idx": np.arange(n, dtype=np.uint32),
            "sig": rng.integers(0, n // 2, size=n),
            "a": pl.Series(rng.integers(0, 8, size=n)).scatter(rng.integers(0, n, 20), None),
            "b": rng.integers(0, 3, size=n),
            "salt_year": rng.integers(0, 3, size=n),
            "fc_surname": pl.Series(filter_code(matrix)).replace(-1, None),
        }
    )
    return rows, matrix


def _reference(frame: pl.DataFrame, keys: list[str], cap: int) -> set[tuple[int, int]]:
    f = frame.drop_nulls(keys).filter(pl.len().over(keys) <= cap)
    joined = f.join(f, on=keys, suffix="_o").filter(
        (pl.col("sig") != pl.col("sig_o")) & (pl.col("idx") < pl.col("idx_o"))
    )
    return set(zip(joined["idx"].to_list(), joined["idx_o"].to_list(), strict=True))


def _pairs(c: blocking.Candidates, rule: str) -> set[tuple[int, int]]:
    bit = 1 << c.rule_names.index(rule)
    hit = c.pairs.filter((pl.col("rules") & bit) > 0)
    return set(zip(hit["i"].to_list(), hit["j"].to_list(), strict=True))


@pytest.mark.parametrize("chunk", [1 << 24, 7])
def test_exact_rules_match_a_self_join(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(blocking, "_CHUNK_PAIRS", chunk)
    rows, _ = _rows(300, 1)
    rules = (BlockRule("a", ("a",)), BlockRule("ab", ("a", "b"), max_rows=25))
    c = candidate_pairs(rows, max_block_rows=36, max_address_block_rows=36, rules=rules)
    assert _pairs(c, "a") == _reference(rows, ["a"], 36)
    assert _pairs(c, "ab") == _reference(rows, ["a", "b"], 25)
    assert len(_pairs(c, "ab")) > 0 and c.skipped_rows_per_rule["a"] > 0
    # one row per pair, sorted, i < j
    assert c.pairs.select("i", "j").is_unique().all()
    assert (c.pairs["i"] < c.pairs["j"]).all()
    assert c.pairs.select("i", "j").equals(c.pairs.select("i", "j").sort("i", "j"))
    assert c.pairs_per_rule["a"] == len(_reference(rows, ["a"], 36))


def _lsh_found_and_expected(
    rows: pl.DataFrame, matrix: np.ndarray, column: str, group: str
) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """The LSH pairs of ``column`` from ``candidate_pairs``, and those of blocking every row
    on ``group`` and every band's key (4 bands of 12 bits, cap 60)."""
    bands, bits, cap = 4, 12, 60
    c = candidate_pairs(
        rows,
        filters={column: matrix},
        max_block_rows=cap,
        max_address_block_rows=cap,
        lsh_bands=bands,
        lsh_band_bits=bits,
        seed=3,
        rules=(),
    )
    keys = lsh_keys(matrix, bands, bits, 3)
    expected: set[tuple[int, int]] = set()
    for band in range(bands):
        frame = rows.with_columns(pl.Series("_key", keys[:, band]).replace(0, None))
        expected |= _reference(frame, [group, "_key"], cap)
    return _pairs(c, f"lsh_{column}"), expected


def test_lsh_on_distinct_filters_matches_every_row_and_band() -> None:
    rows, matrix = _rows(400, 2)
    found, expected = _lsh_found_and_expected(rows, matrix, "bf_surname", "salt_year")
    assert found == expected
    # both kinds occur: identical filters and near-copies
    fc = rows["fc_surname"].to_numpy()
    assert any(fc[i] == fc[j] for i, j in found) and any(fc[i] != fc[j] for i, j in found)


def test_name_pairs_are_one_pair_however_many_tokens_agree() -> None:
    # born 1994 and 1996 share the shifted band only, 1993 and 1994 the plain one
    years = pl.Series([1994, 1996, 1993, 1994, 1994, 2003])
    rows = pl.DataFrame(
        {
            "idx": np.arange(6, dtype=np.uint32),
            "sig": [0, 1, 1, 2, 3, 4],
            "region_code": ["VR01", "VR01", "VR01", "VR01", "VR02", "VR01"],
            "birth_band": years // BIRTH_BAND_YEARS,
            "birth_band_shifted": (years + BIRTH_BAND_YEARS // 2) // BIRTH_BAND_YEARS,
        }
    )
    tokens = pl.DataFrame(
        {"idx": np.array([0, 0, 1, 1, 2, 3, 4, 5], dtype=np.uint32), "t": [5, 6, 5, 6, 5, 7, 5, 5]}
    )
    c = candidate_pairs(
        rows, name_pairs=tokens, max_block_rows=10, max_address_block_rows=10, rules=()
    )
    # row 4 holds token 5 too, in another region; row 5 in the region, born nine years later
    assert _pairs(c, "name_pair") == {(0, 1), (0, 2)}
    assert c.pairs_per_rule["name_pair"] == 2


def test_lsh_for_unresolved_rows_only_touches_them() -> None:
    rows, matrix = _rows(400, 4)
    kwargs = {
        "filters": {"bf_surname": matrix},
        "max_block_rows": 60,
        "max_address_block_rows": 60,
        "lsh_bands": 4,
        "lsh_band_bits": 12,
        "seed": 3,
        "rules": (BlockRule("bsn", ("a", "b")),),  # an identity rule by its name
    }
    every = candidate_pairs(rows, **kwargs)  # type: ignore[arg-type]
    some = candidate_pairs(rows, lsh_unresolved_only=True, **kwargs)  # type: ignore[arg-type]
    resolved = {r for pair in _pairs(every, "bsn") for r in pair}
    expected = {(i, j) for i, j in _pairs(every, "lsh_bf_surname") if not {i, j} <= resolved}
    assert resolved and _pairs(some, "lsh_bf_surname") == expected
    assert len(expected) < len(_pairs(every, "lsh_bf_surname"))


def test_filters_salted_by_the_other_name_pair_across_years_within_a_birth_day() -> None:
    # one surname filter (salted by the first name): rows 0 and 1 share the birth day and
    # month in other years (a typo in the year); row 2 has another day, row 3 none
    matrix = np.tile(np.array([[0xF0F0, 0x0F0F]], dtype=np.uint64), (4, 1))
    rows = pl.DataFrame(
        {
            "idx": np.arange(4, dtype=np.uint32),
            "sig": [0, 1, 2, 3],
            "salt_year": [1985, 1958, 1985, -1],
            "tok_birth_md": ["0312", "0312", "0412", None],
            "fc_surname_x": pl.Series(filter_code(matrix)),
        }
    )
    c = candidate_pairs(
        rows,
        filters={"bf_surname_x": matrix},
        max_block_rows=10,
        max_address_block_rows=10,
        lsh_bands=2,
        lsh_band_bits=8,
        rules=(),
    )
    assert _pairs(c, "lsh_bf_surname_x") == {(0, 1)}


def test_birth_date_at_a_similar_address_whatever_the_names() -> None:
    rule = next(r for r in blocking.RULES if r.name == "birth_date_address")
    rng = np.random.default_rng(6)
    base = rng.integers(0, 2**63, size=8, dtype=np.uint64)
    near = base.copy()
    near[0] ^= np.uint64(1)  # one bit off: Dice close to 1
    other = rng.integers(0, 2**63, size=8, dtype=np.uint64)
    matrix = np.stack([base, near, other, base, base, base])
    rows = pl.DataFrame(
        {
            "idx": np.arange(6, dtype=np.uint32),
            "sig": np.arange(6),
            # row 3: another birth date; row 4: another municipality; row 5: no birth date
            "tok_birth_date": ["d1", "d1", "d1", "d2", "d1", None],
            "salt_address": [7, 7, 7, 7, 8, 7],
        }
    )
    kwargs = {"max_block_rows": 60, "max_address_block_rows": 60, "rules": (rule,)}
    c = candidate_pairs(rows, address=matrix, **kwargs)  # type: ignore[arg-type]
    assert _pairs(c, "birth_date_address") == {(0, 1)}  # row 2's address is another one
    without = candidate_pairs(rows, **kwargs)  # type: ignore[arg-type]
    assert "birth_date_address" not in without.rule_names


def test_lsh_of_the_first_name_under_the_surname_stays_within_a_pc4() -> None:
    rows, matrix = _rows(400, 7)
    rng = np.random.default_rng(8)
    rows = rows.rename({"fc_surname": "fc_first_name_x"}).with_columns(
        pl.Series("pc4", rng.choice(["1011", "1012", ""], size=400).tolist()).replace("", None)
    )
    found, expected = _lsh_found_and_expected(rows, matrix, "bf_first_name_x", "pc4")
    assert found == expected and found
