"""Clustering guards: one signal never twice in a person, different BSNs never merged."""

from __future__ import annotations

import numpy as np

from linkage.cluster import cluster


def _arr(*values: int) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def test_plain_components() -> None:
    labels, stats = cluster(
        4,
        _arr(0, 2),
        _arr(1, 3),
        np.ones(2),
        _arr(0, 1, 2, 3),
        _arr(-1, -1, -1, -1),
        max_rows=10,
    )
    assert labels.tolist() == [0, 0, 2, 2]
    assert stats["components_rebuilt"] == 0


def test_two_rows_of_one_signal_stay_apart() -> None:
    # rows 0 and 2 belong to signal 7; the chain 0-1-2 would merge them: the weaker edge loses
    labels, stats = cluster(
        3,
        _arr(0, 1),
        _arr(1, 2),
        np.asarray([5.0, 1.0]),
        _arr(7, 8, 7),
        _arr(-1, -1, -1),
        max_rows=10,
    )
    assert labels[0] == labels[1] != labels[2]
    assert stats["merges_refused"] == 1


def test_different_bsn_tokens_stay_apart() -> None:
    labels, _ = cluster(
        3,
        _arr(0, 1),
        _arr(1, 2),
        np.asarray([1.0, 9.0]),
        _arr(1, 2, 3),
        _arr(5, -1, 6),
        max_rows=10,
    )
    assert labels[1] == labels[2] != labels[0]


def test_cluster_size_guard() -> None:
    n = 6
    i, j = np.arange(n - 1, dtype=np.int64), np.arange(1, n, dtype=np.int64)
    labels, _ = cluster(n, i, j, np.ones(n - 1), np.arange(n), np.full(n, -1), max_rows=3)
    assert np.bincount(np.unique(labels, return_inverse=True)[1]).max() <= 3
