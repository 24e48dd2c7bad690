"""Citizen service numbers (BSN): valid ones for synthetic persons, and the typos regions make.

A BSN is valid when its nine digits d1..d9 give sum(d_i * w_i) divisible by 11 with weights
9, 8, 7, 6, 5, 4, 3, 2, -1 (the elfproef), and it is not all zeros. Changing one digit always
breaks the test: 11 is prime and every weight and digit difference is smaller than 11.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

WEIGHTS: Final = np.array([9, 8, 7, 6, 5, 4, 3, 2, -1], dtype=np.int64)
_PREFIX_LOW: Final = 10_000_000
_PREFIX_SPAN: Final = 89_999_999  # a prime, so the affine map below is a bijection
_PREFIX_PRIME: Final = 89_999_999


def _digits(numbers: np.ndarray) -> np.ndarray:
    """Nine digit columns of non-negative integers below 10**9."""
    powers = 10 ** np.arange(8, -1, -1, dtype=np.int64)
    return (numbers[:, None] // powers[None, :]) % 10


def passes_elfproef(numbers: np.ndarray) -> np.ndarray:
    """Boolean mask: which integers (as nine-digit numbers) pass the elfproef and are not 0."""
    numbers = np.asarray(numbers, dtype=np.int64)
    total = _digits(numbers) @ WEIGHTS
    ok: np.ndarray = (total % 11 == 0) & (numbers != 0)
    return ok


def elfproef_expr(column: str) -> pl.Expr:
    """Polars expression: the string column holds nine digits that pass the elfproef."""
    col = pl.col(column)
    total = pl.lit(0, dtype=pl.Int64)
    for i, w in enumerate(WEIGHTS.tolist()):
        total = total + col.str.slice(i, 1).cast(pl.Int64, strict=False) * w
    return (
        col.str.contains(r"^\d{9}$").fill_null(False)
        & (col != "000000000").fill_null(False)
        & (total % 11 == 0).fill_null(False)
    )


def generate_bsns(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` distinct valid BSNs (int64), in random order, deterministic for the generator."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    want = int(n * 1.15) + 64
    a = int(rng.integers(1_000_000, _PREFIX_PRIME - 1))
    b = int(rng.integers(0, _PREFIX_PRIME))
    out = np.zeros(0, dtype=np.int64)
    start = 0
    while out.size < n:
        i = np.arange(start, start + want, dtype=np.int64)
        start += want
        prefix = _PREFIX_LOW + (a * i + b) % _PREFIX_SPAN
        eight = _digits(prefix * 10)[:, :8]
        check = (eight @ WEIGHTS[:8]) % 11
        ok = check < 10
        out = np.concatenate([out, prefix[ok] * 10 + check[ok]])
    return out[:n]


def corrupt_one_digit(numbers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each number with one digit replaced by another digit: always fails the elfproef."""
    numbers = np.asarray(numbers, dtype=np.int64)
    pos = rng.integers(0, 9, numbers.size)
    power = 10 ** (8 - pos).astype(np.int64)
    digit = (numbers // power) % 10
    new = (digit + rng.integers(1, 10, numbers.size)) % 10
    out: np.ndarray = numbers + (new - digit) * power
    return out


def as_text(numbers: np.ndarray) -> pl.Series:
    """Nine-digit zero-padded strings."""
    return pl.Series(numbers, dtype=pl.Int64).cast(pl.Utf8).str.zfill(9)
