"""Scoring candidate pairs: training the Fellegi-Sunter model and the match weight per pair.

Term-frequency awareness: the names themselves are unseen, so the frequency of a Bloom filter
value inside its salt group (same filter = same name under the same salt) stands in for the
name's frequency. For exact agreement (level 1) on a name, u becomes the larger of the
trained u and that frequency: agreeing on a name every tenth person of that birth year carries
is weaker evidence than agreeing on a rare one. Only common values are affected (at least
``_TF_MIN_ROWS`` rows), so a small data set's noisy counts do not inflate rare names.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from linkage.compare import FEATURES, compare
from linkage.em import EMSession, FSParams, default_m, estimate_u, run_em
from linkage.prepare import Prepared
from radar.settings import LinkageSettings

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]
_TF_MIN_ROWS: Final = 5
_MIN_BSN_ROWS: Final = 200
#: Training sessions: the blocking rule and the features it may estimate.
SESSIONS: Final = (
    ("first_name_birth_date", ("surname", "sex", "address", "phone", "region")),
    ("surname_birth_date", ("first_name", "sex", "address", "phone", "region")),
    ("bsn", FEATURES),
    ("full_name", ("birth_date", "sex", "address", "phone", "region", "age")),
)
#: Features whose estimate comes from one session, best first: the first that ran wins
#: (averaging would mix in biased estimates). Without BSNs (FEBRL, some regions) the birth
#: date is trained on full-name blocks.
_PREFER: Final = {
    "birth_date": ("bsn", "full_name"),
    "age": ("bsn", "full_name"),
    "full_name_token": ("bsn",),
    "name_pair": ("bsn",),
}
#: The other features average the identity sessions that estimate them.
_AVERAGED: Final = ("first_name_birth_date", "surname_birth_date", "bsn")


def random_pairs(p: Prepared, count: int, seed: int) -> tuple[I64, I64]:
    """About ``count`` random pairs of rows from different signals."""
    rng = np.random.default_rng(seed)
    n = p.size
    if n < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    i = rng.integers(0, n, size=count, dtype=np.int64)
    j = rng.integers(0, n, size=count, dtype=np.int64)
    sig = p.clear["sig"]
    keep = sig[i] != sig[j]
    return i[keep], j[keep]


def name_frequency(p: Prepared, column: str, groups: list[I64]) -> F64:
    """Per row: share of its salt group's rows carrying the same filter (NaN without one)."""
    matrix = p.filters[column]
    words = {f"w{k}": matrix[:, k] for k in range(matrix.shape[1])}
    salt = {f"g{k}": g for k, g in enumerate(groups)}
    frame = pl.DataFrame({**words, **salt})
    counted = frame.select(
        pl.len().over([*salt, *words]).alias("n"),
        pl.len().over(list(salt)).alias("total"),
    )
    n = counted.get_column("n").to_numpy().astype(np.float64)
    total = counted.get_column("total").to_numpy().astype(np.float64)
    freq = np.where(n >= _TF_MIN_ROWS, n / total, 0.0)
    freq[matrix.sum(axis=1) == 0] = np.nan
    return np.asarray(freq, dtype=np.float64)


def token_frequency(codes: I64) -> F64:
    """Per row: share of the rows with a token carrying its token (NaN without one)."""
    present = codes >= 0
    counts = np.bincount(codes[present]).astype(np.float64) if present.any() else np.zeros(1)
    n = np.where(present, counts[np.where(present, codes, 0)], 0.0)
    freq = np.where(n >= _TF_MIN_ROWS, n / max(float(present.sum()), 1.0), 0.0)
    freq[~present] = np.nan
    return np.asarray(freq, dtype=np.float64)


def name_pair_frequency(p: Prepared) -> F64:
    """Per row: the share of rows holding its most common name-pair token (NaN without one);
    the most common is the cautious choice, as the pair that matched is not known here."""
    pairs = p.name_pairs
    with_pairs = max(pairs.get_column("idx").n_unique(), 1)
    per_row = (
        pairs.with_columns(pl.len().over("t").alias("n")).group_by("idx").agg(pl.col("n").max())
    )
    freq = np.full(p.size, np.nan)
    n = per_row.get_column("n").to_numpy().astype(np.float64)
    freq[per_row.get_column("idx").to_numpy().astype(np.int64)] = np.where(
        n >= _TF_MIN_ROWS, n / with_pairs, 0.0
    )
    return freq


def term_frequencies(p: Prepared) -> dict[str, F64]:
    """Name frequencies per row within the filters' salt groups, keyed by feature name."""
    year = p.clear["birth_year"]
    surname_salt = np.where(year >= 0, year, -10_000 - p.clear["municipality"])
    month = np.where(year >= 0, p.codes["tok_birth_ym"], -1)
    return {
        "surname": name_frequency(p, "bf_surname", [surname_salt]),
        "first_name": name_frequency(p, "bf_first_name", [surname_salt, month]),
        "full_name_token": token_frequency(p.codes["tok_full_name_sex"]),
        "name_pair": name_pair_frequency(p),
    }


def train(
    p: Prepared,
    levels: dict[str, I8],
    rules: npt.NDArray[np.uint32],
    rule_names: tuple[str, ...],
    settings: LinkageSettings,
    bsn_pairs: int,
) -> FSParams:
    """u from random pairs, m by EM per identity session, the prior from BSN agreement."""
    ri, rj = random_pairs(p, settings.random_pairs, settings.seed)
    u = estimate_u(compare(p, ri, rj))
    start = default_m()
    found: dict[str, list[tuple[str, F64]]] = {f: [] for f in FEATURES}
    sessions: list[EMSession] = []
    for rule, features in SESSIONS:
        if rule not in rule_names:
            continue
        mask = (rules & np.uint32(1 << rule_names.index(rule))) > 0
        subset = {f: levels[f][mask] for f in features}
        m, session = run_em(
            rule,
            subset,
            features,
            u,
            start,
            iterations=settings.em_iterations,
            tolerance=settings.em_tolerance,
        )
        sessions.append(session)
        for f, values in m.items():
            found[f].append((rule, values))
    m_final: dict[str, F64] = {}
    for f in FEATURES:
        by_rule = dict(found[f])
        if f in _PREFER:
            chosen = [by_rule[r] for r in _PREFER[f] if r in by_rule][:1]
        else:
            chosen = [v for r, v in found[f] if r in _AVERAGED]
        m_final[f] = np.mean(chosen, axis=0) if chosen else start[f]
    _initial_no_stronger_than_a_similar_name(m_final, u)
    return FSParams(m_final, u, _prior(p, bsn_pairs, sessions), sessions)


def _initial_no_stronger_than_a_similar_name(m: dict[str, F64], u: dict[str, F64]) -> None:
    """First-name level 5 (the initial+birth-date token agrees) implies an equal birth date,
    which ``birth_date`` already counts; among random pairs it is therefore far rarer than an
    agreeing initial is, and its trained weight would count the birth date twice. Its u is
    set so that it weighs what a similar name (level 3, Dice >= 0.6) weighs."""
    fm, fu = m["first_name"], u["first_name"]
    fu[5] = fm[5] * fu[3] / max(fm[3], 1e-9)


def _prior(p: Prepared, bsn_pairs: int, sessions: list[EMSession]) -> float:
    """Chance that two random rows are the same person.

    From the rows with a valid BSN (equal tokens = same person) when there are enough of
    them; otherwise from the matches EM found in the identity sessions (a lower bound).
    """
    with_bsn = int((p.codes["tok_bsn"] >= 0).sum())
    if with_bsn >= _MIN_BSN_ROWS and bsn_pairs > 0:
        prior = bsn_pairs / (with_bsn * (with_bsn - 1) / 2)
    else:
        found = max((s.match_share * s.pairs for s in sessions if s.name != "bsn"), default=1.0)
        prior = max(found, 1.0) / max(p.size * (p.size - 1) / 2, 1.0)
    return float(np.clip(prior, 1e-12, 0.5))


def pair_weights(
    params: FSParams,
    levels: dict[str, I8],
    i: I64,
    j: I64,
    frequencies: dict[str, F64] | None,
) -> dict[str, F64]:
    """The weight (log2 Bayes factor) each feature contributes to each pair."""
    weights = params.weights()
    out = {f: weights[f][levels[f].astype(np.int64)] for f in FEATURES}
    if frequencies:
        for f, freq in frequencies.items():
            exact = levels[f] == 1
            if not exact.any():
                continue
            fr = np.fmax(freq[i[exact]], freq[j[exact]])
            u_tf = np.fmax(np.nan_to_num(fr), params.u[f][1])
            w = np.log2(max(params.m[f][1], 1e-9) / u_tf)
            out[f][exact] = w
    return out


def posterior(prior: float, total_weight: F64) -> F64:
    """Match probability from the prior and the summed weight."""
    log_odds = np.log2(prior / (1 - prior)) + total_weight
    return np.asarray(1.0 / (1.0 + np.exp2(-np.clip(log_odds, -60, 60))), dtype=np.float64)
