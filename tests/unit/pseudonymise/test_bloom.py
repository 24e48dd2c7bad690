"""Keyed per-field Bloom filters: bigrams, determinism, salts, and vectorised Dice."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudonymise import bloom

PARAMS = bloom.BloomParams(512, 10)
KEY = "0123456789abcdef" * 4
OTHER_KEY = "fedcba9876543210" * 4


def _enc(
    values: Sequence[str | None], key: str = KEY, salts: list[str] | None = None
) -> np.ndarray:
    series = pl.Series("v", list(values), dtype=pl.Utf8)
    salt = None if salts is None else pl.Series(salts, dtype=pl.Utf8)
    return bloom.to_numpy(bloom.encode(series, key, PARAMS, salts=salt))


def _names(codes: np.ndarray) -> list[str]:
    return [bloom._CODE_CHAR[c // 64] + bloom._CODE_CHAR[c % 64] for c in codes]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("jan", ["^j", "ja", "an", "n^"]),
        ("a", ["^a", "a^"]),
        ("de boer", ["^d", "de", "e ", " b", "bo", "oe", "er", "r^"]),
        ("JAN", ["^j", "ja", "an", "n^"]),
    ],
)
def test_padded_bigrams(value: str, expected: list[str]) -> None:
    rows, codes = bloom.bigrams(pl.Series([None, "", value]))
    assert rows.tolist() == [2] * len(expected)
    assert _names(codes) == expected


def test_null_and_empty_give_null_filters_and_shape() -> None:
    series = bloom.encode(pl.Series("v", ["jan", None, ""]), KEY, PARAMS)
    assert series.dtype == pl.Array(pl.UInt64, 8)
    assert series.is_null().to_list() == [False, True, True]
    matrix = bloom.to_numpy(series)
    assert matrix.shape == (3, 8) and matrix.dtype == np.uint64
    assert bloom.popcount(matrix)[1:].tolist() == [0, 0]
    assert 10 < bloom.popcount(matrix)[0] <= 40  # 4 bigrams x 10 positions, some coincide


def test_deterministic_keyed_and_chunking_invariant() -> None:
    values = [f"naam{i % 97}" for i in range(5000)]
    one = _enc(values)
    assert np.array_equal(one, _enc(values))
    chunked = bloom.encode(pl.Series("v", values), KEY, PARAMS, chunk_rows=333)
    assert np.array_equal(one, bloom.to_numpy(chunked))
    other = _enc(values, OTHER_KEY)
    assert bloom.dice(one, other).mean() < 0.45  # another key: unrelated positions
    assert np.array_equal(one[0], one[97])


def test_salt_separates_equal_values() -> None:
    m = _enc(["jansen", "jansen", "jansen"], salts=["1985", "1985", "1986"])
    assert bloom.dice(m[[0]], m[[1]])[0] == 1.0
    assert bloom.dice(m[[0]], m[[2]])[0] < 0.5


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=6, max_size=14)


@settings(max_examples=150, deadline=None)
@given(names, st.integers(min_value=1, max_value=4), st.sampled_from("abcdefghijklmnopqrstuvwxyz"))
def test_one_typo_keeps_dice_high(name: str, position: int, letter: str) -> None:
    variant = name[:position] + letter + name[position + 1 :]
    m = _enc([name, variant])
    assert bloom.dice(m[[0]], m[[1]])[0] >= 0.55


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet="abcdefghijklm", min_size=4, max_size=10),
    st.text(alphabet="nopqrstuvwxyz", min_size=4, max_size=10),
)
def test_unrelated_names_have_low_dice(a: str, b: str) -> None:
    m = _enc([a, b])
    assert bloom.dice(m[[0]], m[[1]])[0] < 0.45  # no shared bigram: only collisions


def test_dice_matches_a_reference_and_pairs_match_rows() -> None:
    rng = np.random.default_rng(3)
    left = rng.integers(0, 2**63, (200, 8), dtype=np.int64).view(np.uint64)
    right = rng.integers(0, 2**63, (300, 8), dtype=np.int64).view(np.uint64)
    i, j = rng.integers(0, 200, 1000), rng.integers(0, 300, 1000)

    def ref(a: np.ndarray, b: np.ndarray) -> float:
        ones = [bin(int(x)).count("1") for x in a], [bin(int(x)).count("1") for x in b]
        both = sum(bin(int(x) & int(y)).count("1") for x, y in zip(a, b, strict=True))
        return 2 * both / (sum(ones[0]) + sum(ones[1]))

    pairs = bloom.dice_pairs(left, right, i, j, chunk=77)
    assert np.allclose(pairs, bloom.dice(left[i], right[j]))
    assert np.allclose(
        pairs[:20], [ref(left[a], right[b]) for a, b in zip(i[:20], j[:20], strict=True)]
    )
    zero = np.zeros((1, 8), dtype=np.uint64)
    assert bloom.dice(zero, zero).tolist() == [0.0]


@pytest.mark.parametrize(("bits", "hashes"), [(500, 10), (32, 2), (512, 0), (512, 17)])
def test_rejects_impossible_parameters(bits: int, hashes: int) -> None:
    with pytest.raises(bloom.EncodingError):
        bloom.BloomParams(bits, hashes)


def test_rejects_salts_of_other_length() -> None:
    with pytest.raises(bloom.EncodingError):
        bloom.encode(pl.Series(["a", "b"]), KEY, PARAMS, salts=pl.Series(["1"]))


def test_many_salts_give_the_same_filters_as_few(monkeypatch: pytest.MonkeyPatch) -> None:
    values = pl.Series(["jansen", "jansem", "de vries", None, "bakker", "jansen"])
    salts = pl.Series(["jan", "jan", "piet", "kees", "", "anna"])
    params = bloom.BloomParams()
    dense = bloom.to_numpy(bloom.encode(values, "k", params, salts=salts))
    monkeypatch.setattr(bloom, "_DENSE_COMBOS", 0)  # the sorted path, as for a salt per name
    sparse = bloom.to_numpy(bloom.encode(values, "k", params, salts=salts))
    assert np.array_equal(dense, sparse)
    assert bloom.dice(sparse[[0]], sparse[[1]])[0] > 0.6  # same salt: a typo stays similar
    assert bloom.dice(sparse[[0]], sparse[[5]])[0] < 0.5  # another salt: unrelated
