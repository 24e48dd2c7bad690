"""Splink's clusters post-processed: never one signal twice, never two valid BSNs."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bench.clusters import conflicting, split_conflicts
from linkage.cluster import components

STEPS = np.arange(1.0, 10.0, 1.0)


I64 = npt.NDArray[np.int64]


def _arr(*values: int) -> I64:
    return np.asarray(values, dtype=np.int64)


def _split(i: I64, j: I64, w: list[float], sig: I64, bsn: I64) -> tuple[I64, dict[str, int]]:
    n = sig.size
    return split_conflicts(components(n, i, j), i, j, np.asarray(w, float), sig, bsn, STEPS)


def test_conflicting_flags_a_repeated_signal_and_two_bsns() -> None:
    labels = _arr(0, 0, 1, 1, 2, 2)
    sig = _arr(5, 5, 6, 7, 8, 9)
    bsn = _arr(-1, -1, 1, 2, 3, 3)
    assert conflicting(labels, sig, bsn).tolist() == [True, True, False]


def test_a_chain_through_a_weak_pair_is_cut_there() -> None:
    # mother (0) and daughter (2) of signal 7 chained through row 1 of signal 8
    labels, stats = _split(_arr(0, 1), _arr(1, 2), [6.0, 2.5], _arr(7, 8, 7), _arr(-1, -1, -1))
    assert labels[0] == labels[1] != labels[2]
    assert stats == {"clusters_split": 1, "rows_detached": 0}


def test_clean_clusters_keep_their_weak_pairs() -> None:
    # rows 3-4 form a clean cluster on a weak pair; only the conflicting cluster is touched
    sig, bsn = _arr(7, 8, 7, 9, 10), _arr(-1, -1, -1, -1, -1)
    labels, _ = _split(_arr(0, 1, 3), _arr(1, 2, 4), [6.0, 2.5, 0.5], sig, bsn)
    assert labels[3] == labels[4]
    assert labels[0] == labels[1] != labels[2]


def test_two_valid_bsns_are_split() -> None:
    labels, _ = _split(_arr(0, 1), _arr(1, 2), [8.0, 3.0], _arr(1, 2, 3), _arr(11, -1, 12))
    assert labels[0] == labels[1] != labels[2]


def test_conflicts_above_every_step_detach_the_weaker_row() -> None:
    # every pair is stronger than the last step: row 2 (weaker ties) leaves, rows 0-1 stay
    labels, stats = _split(_arr(0, 1), _arr(1, 2), [50.0, 20.0], _arr(7, 8, 7), _arr(-1, -1, -1))
    assert labels[0] == labels[1] != labels[2]
    assert stats["rows_detached"] == 1
    assert not conflicting(labels, _arr(7, 8, 7), _arr(-1, -1, -1)).any()
