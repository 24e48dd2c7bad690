"""u without the matches among the random pairs (``linkage.score``)."""

from __future__ import annotations

import numpy as np

from linkage import score
from linkage.compare import FEATURES, LEVELS
from linkage.em import estimate_u


def _levels(n: int, birth_date: list[int]) -> dict[str, np.ndarray]:
    out = {f: np.zeros(n, dtype=np.int8) for f in FEATURES}
    out["birth_date"] = np.asarray(birth_date, dtype=np.int8)
    return out


def test_weighted_u_leaves_out_the_matches() -> None:
    # 1,000 random pairs: 10 equal birth dates, 8 of them matches
    dates = [1] * 10 + [8] * 990
    levels = _levels(1000, dates)
    non_match = np.ones(1000)
    non_match[:8] = 0.0
    raw = estimate_u(levels)["birth_date"]
    weighted = estimate_u(levels, non_match)["birth_date"]
    assert raw[1] == (10 + 0.5) / (1000 + 0.5 * (LEVELS["birth_date"] - 1))
    assert weighted[1] == (2 + 0.5) / (992 + 0.5 * (LEVELS["birth_date"] - 1))
    u = score._without_matches(estimate_u(levels), estimate_u(levels, non_match), levels)
    assert np.isclose(u["birth_date"].sum(), 1.0)
    assert u["birth_date"][1] < raw[1] / 3


def test_a_level_seen_only_in_matches_keeps_one_pair_and_a_small_sample_keeps_raw_u() -> None:
    dates = [1] + [8] * 999
    levels = _levels(1000, dates)
    non_match = np.ones(1000)
    non_match[0] = 0.0
    u = score._without_matches(estimate_u(levels), estimate_u(levels, non_match), levels)
    # the one equal birth date was a match: still no rarer than one pair in 1,000
    assert u["birth_date"][1] >= 0.999 / 1000
    small = _levels(100, [1] + [8] * 99)
    raw = estimate_u(small)
    weights = np.ones(100)
    weights[0] = 0.0
    kept = score._without_matches(raw, estimate_u(small, weights), small)
    assert np.array_equal(kept["birth_date"], raw["birth_date"])
