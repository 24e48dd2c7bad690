"""Fellegi-Sunter parameters: u from random pairs, m by a vectorised EM on identity blocks.

Comparison vectors are few distinct patterns (a handful of levels per field), so EM runs on
the distinct patterns weighted by their counts: millions of pairs cost as much as a few
thousand patterns. Level 0 ("cannot compare") is left out of both likelihoods, so a missing
value is no evidence either way.

Training follows the Splink recipe that keeps housemates apart: u is the level distribution
among random pairs (nearly all non-matches) and stays fixed; m is estimated by EM in sessions
blocked on *identity* keys (first name + birth date, surname + birth date, BSN), each session
estimating only the fields it was not blocked on, and the sessions' m are averaged. Training on
household blocks (same surname and address) would let EM mistake "same household" for "same
person".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from linkage.compare import FEATURES, LEVELS

F64 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]
_EPS = 1e-9


@dataclass(frozen=True)
class EMSession:
    """What one EM training session found."""

    name: str
    pairs: int
    patterns: int
    iterations: int
    match_share: float
    m: dict[str, list[float]]


@dataclass(frozen=True)
class FSParams:
    """m and u per feature level (index 0 unused), the prior and the training trace."""

    m: dict[str, F64]
    u: dict[str, F64]
    prior: float
    sessions: list[EMSession] = field(default_factory=list)

    def weights(self) -> dict[str, F64]:
        """log2(m/u) per level; level 0 weighs 0."""
        out: dict[str, F64] = {}
        for name in FEATURES:
            w = np.log2(np.maximum(self.m[name], _EPS) / np.maximum(self.u[name], _EPS))
            w[0] = 0.0
            out[name] = w
        return out

    def to_dict(self) -> dict[str, object]:
        return {
            "prior": self.prior,
            "m": {k: v.tolist() for k, v in self.m.items()},
            "u": {k: v.tolist() for k, v in self.u.items()},
            "sessions": [s.__dict__ for s in self.sessions],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FSParams:
        """The parameters ``to_dict`` gave (the training trace included)."""
        return cls(
            m={k: np.asarray(v, dtype=np.float64) for k, v in data["m"].items()},
            u={k: np.asarray(v, dtype=np.float64) for k, v in data["u"].items()},
            prior=float(data["prior"]),
            sessions=[EMSession(**s) for s in data.get("sessions", [])],
        )


def level_distribution(levels: I8, n_levels: int, weights: F64 | None = None) -> F64:
    """Share of each level 1.. among the pairs with a level > 0 (index 0 is 0); ``weights``:
    how much each pair counts (default 1)."""
    counts = np.bincount(levels.astype(np.int64), weights=weights, minlength=n_levels).astype(
        np.float64
    )
    counts[0] = 0.0
    total = counts.sum()
    smoothed = (counts + 0.5) / (total + 0.5 * (n_levels - 1))
    smoothed[0] = 0.0
    return np.asarray(smoothed, dtype=np.float64)


def estimate_u(levels: dict[str, I8], non_match: F64 | None = None) -> dict[str, F64]:
    """u per feature from the levels of random pairs; ``non_match``: per pair, the
    probability that it is no match (the pairs weighted by it)."""
    return {name: level_distribution(levels[name], LEVELS[name], non_match) for name in FEATURES}


def _patterns(levels: dict[str, I8], names: tuple[str, ...]) -> tuple[npt.NDArray[np.int64], F64]:
    code = np.zeros(levels[names[0]].shape, dtype=np.int64)
    for name in names:
        code = code * LEVELS[name] + levels[name].astype(np.int64)
    unique, counts = np.unique(code, return_counts=True)
    table = np.zeros((unique.size, len(names)), dtype=np.int64)
    rest = unique.copy()
    for col in range(len(names) - 1, -1, -1):
        table[:, col] = rest % LEVELS[names[col]]
        rest //= LEVELS[names[col]]
    return table, counts.astype(np.float64)


def run_em(
    name: str,
    levels: dict[str, I8],
    estimate: tuple[str, ...],
    u: dict[str, F64],
    m_start: dict[str, F64],
    *,
    iterations: int,
    tolerance: float,
) -> tuple[dict[str, F64], EMSession]:
    """EM over the distinct patterns of ``levels`` for the features in ``estimate``."""
    pairs = int(levels[estimate[0]].size)
    if pairs == 0:
        return {}, EMSession(name, 0, 0, 0, 0.0, {})
    table, counts = _patterns(levels, estimate)
    m = {f: m_start[f].copy() for f in estimate}
    share = 0.5
    done = 0
    for done in range(1, iterations + 1):  # noqa: B007 - the count is reported
        log_m = np.full(counts.size, np.log(share))
        log_u = np.full(counts.size, np.log(1 - share))
        for col, f in enumerate(estimate):
            lv = table[:, col]
            known = lv > 0
            log_m[known] += np.log(np.maximum(m[f][lv[known]], _EPS))
            log_u[known] += np.log(np.maximum(u[f][lv[known]], _EPS))
        post = 1.0 / (1.0 + np.exp(np.clip(log_u - log_m, -700, 700)))
        weight = post * counts
        share = float(np.clip(weight.sum() / counts.sum(), 1e-6, 1 - 1e-6))
        moved = 0.0
        for col, f in enumerate(estimate):
            lv = table[:, col]
            new = np.bincount(lv, weights=weight, minlength=LEVELS[f]).astype(np.float64)
            new[0] = 0.0
            new = (new + 0.1) / (new.sum() + 0.1 * (LEVELS[f] - 1))
            new[0] = 0.0
            moved = max(moved, float(np.abs(new - m[f]).max()))
            m[f] = new
        if moved < tolerance:
            break
    session = EMSession(
        name, pairs, int(counts.size), done, share, {f: m[f].tolist() for f in estimate}
    )
    return m, session


def default_m() -> dict[str, F64]:
    """A starting m: level 1 likely, the last level unlikely."""
    out: dict[str, F64] = {}
    for name in FEATURES:
        n = LEVELS[name]
        start = np.linspace(0.9, 0.1, n - 1)
        start /= start.sum()
        out[name] = np.r_[0.0, start]
    return out
