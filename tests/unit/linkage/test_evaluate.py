"""Contingency-table pair metrics agree with brute-force pair enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest

from linkage.evaluate import pair_counts, pair_metrics


def _brute(pred: list[int], true: list[int]) -> dict[str, int]:
    tp = predicted = actual = 0
    for a, b in itertools.combinations(range(len(pred)), 2):
        same_p, same_t = pred[a] == pred[b], true[a] == true[b]
        predicted += same_p
        actual += same_t
        tp += same_p and same_t
    return {"tp": tp, "predicted": predicted, "true": actual}


@pytest.mark.parametrize("seed", range(8))
def test_pair_counts_match_enumeration(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    pred = rng.integers(0, max(1, n // 3), size=n).tolist()
    true = rng.integers(0, max(1, n // 2), size=n).tolist()
    frame = pl.DataFrame({"p": pred, "t": true})
    assert pair_counts(frame, "p", "t") == _brute(pred, true)


def test_pair_metrics_values() -> None:
    frame = pl.DataFrame({"p": [1, 1, 1, 2], "t": [1, 1, 2, 2]})
    m = pair_metrics(frame, "p", "t")
    assert m["precision"] == pytest.approx(1 / 3)
    assert m["recall"] == pytest.approx(1 / 2)
