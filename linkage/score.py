"""Scoring candidate pairs: training the Fellegi-Sunter model and the match weight per pair.

Term-frequency awareness: the names themselves are unseen, so the frequency of a Bloom filter
value inside its salt group (same filter = same name under the same salt) stands in for the
name's frequency. For exact agreement (level 1) on a name, u becomes the larger of the
trained u and that frequency: agreeing on a name every tenth person of that birth year carries
is weaker evidence than agreeing on a rare one. Only common values are affected (at least
``_TF_MIN_ROWS`` rows), so a small data set's noisy counts do not inflate rare names.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from linkage.compare import FEATURES, compare
from linkage.em import EMSession, FSParams, default_m, estimate_u, run_em
from linkage.prepare import TOKEN_HASH_SEED, Prepared
from radar.settings import LinkageSettings

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]
_TF_MIN_ROWS: Final = 5
_FREQUENCY_SCHEMA: Final = {"feature": pl.String, "key": pl.UInt64, "freq": pl.Float64}
_MIN_BSN_ROWS: Final = 200
_PRIOR_ITERATIONS: Final = 50
#: Rounds of re-estimating u without the matches among the random pairs.
_U_ROUNDS: Final = 2
#: Random pairs that must compare a feature (level > 0) for its u to be re-estimated.
_U_MIN_PAIRS: Final = 200
#: Training sessions: the blocking rule and the features it may estimate.
SESSIONS: Final = (
    ("first_name_birth_date", ("surname", "sex", "address", "phone", "region", "time_apart")),
    ("surname_birth_date", ("first_name", "sex", "address", "phone", "region", "time_apart")),
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
#: Features that weigh nothing until a session estimates their m, or while the random pairs
#: fall nearly all (``_ONE_LEVEL``) in one level: a store of one season's signals cannot tell
#: what time apart says, and the starting m of ``default_m`` or a few pairs' smoothed m
#: would make up evidence (two bits against every pair).
_NEUTRAL_UNTRAINED: Final = ("time_apart",)
_ONE_LEVEL: Final = 0.99


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


def _hashed(frame: pl.DataFrame, columns: list[str]) -> pl.Series:
    """A 64-bit hash per row of ``columns`` (null where the last column, the value, is null).

    polars' hash is stable for one polars version; the model's fingerprint names the version.
    """
    value = columns[-1]
    return frame.select(
        pl.when(pl.col(value).is_not_null()).then(pl.struct(columns).hash(TOKEN_HASH_SEED))
    ).to_series()


def _salts(p: Prepared) -> pl.DataFrame:
    """The filters' salt groups in stable terms: the birth year, or the municipality without
    one (surname); with the year, also the year and month token (first name)."""
    rows = p.rows
    no_year = pl.col("birth_year").is_null()
    return rows.select(
        pl.col("birth_year").cast(pl.Int64).alias("year"),
        pl.when(no_year).then(pl.col("municipality_code")).alias("muni"),
        pl.when(~no_year).then(pl.col("tok_birth_ym")).alias("ym"),
    )


def _filter_values(p: Prepared, column: str) -> pl.DataFrame:
    """The filter of each row as columns ``w0..`` (null rows: all-zero filters)."""
    matrix = p.filters[column]
    words = pl.DataFrame({f"w{k}": matrix[:, k] for k in range(matrix.shape[1])})
    present = pl.Series("present", matrix.any(axis=1))
    return words.with_columns(pl.struct(words.columns).alias("value")).select(
        pl.when(present).then(pl.col("value")).alias("value")
    )


def _value_keys(p: Prepared) -> dict[str, pl.DataFrame]:
    """Per feature: per row the salt-group key ``g`` and the value key ``k`` (null: no value)."""
    salts = _salts(p)
    out: dict[str, pl.DataFrame] = {}
    for feature, column, salt in (
        ("surname", "bf_surname", ["year", "muni"]),
        ("first_name", "bf_first_name", ["year", "muni", "ym"]),
    ):
        frame = pl.concat([salts.select(salt), _filter_values(p, column)], how="horizontal")
        out[feature] = pl.DataFrame(
            {
                "g": frame.select(pl.struct(salt).hash(TOKEN_HASH_SEED)).to_series(),
                "k": _hashed(frame, [*salt, "value"]),
            }
        )
    token = p.rows.select("tok_full_name_sex")
    out["full_name_token"] = pl.DataFrame(
        {"g": pl.Series([0] * p.size, dtype=pl.UInt64), "k": _hashed(token, ["tok_full_name_sex"])}
    )
    return out


def frequency_table(p: Prepared) -> pl.DataFrame:
    """``feature, key, freq``: the share of its group that each common value (at least
    ``_TF_MIN_ROWS`` rows) takes, for the names (within their filters' salt groups), the
    full-name token and the name-pair tokens. It holds hashes and shares, never a value."""
    parts = []
    for feature, keys in _value_keys(p).items():
        counted = keys.with_columns(
            pl.len().over("g").alias("total"),
            pl.col("k").is_not_null().sum().over("g").alias("with_value"),
        ).drop_nulls("k")
        # names: share of the salt group's rows; tokens: share of the rows holding one
        total = "with_value" if feature == "full_name_token" else "total"
        parts.append(
            counted.group_by("k")
            .agg(pl.len().alias("n"), pl.col(total).first().alias("total"))
            .filter(pl.col("n") >= _TF_MIN_ROWS)
            .select(
                pl.lit(feature).alias("feature"),
                pl.col("k").alias("key"),
                (pl.col("n") / pl.col("total")).alias("freq"),
            )
        )
    pairs = p.name_pairs
    with_pairs = max(pairs.get_column("idx").n_unique(), 1)
    parts.append(
        pairs.rename({"t": "k"})
        .group_by("k")
        .agg(pl.len().alias("n"))
        .filter(pl.col("n") >= _TF_MIN_ROWS)
        .select(
            pl.lit("name_pair").alias("feature"),
            pl.col("k").alias("key"),
            (pl.col("n") / with_pairs).alias("freq"),
        )
    )
    return pl.concat(parts).cast(_FREQUENCY_SCHEMA).sort("feature", "key")  # type: ignore[arg-type]


def term_frequencies(p: Prepared, table: pl.DataFrame) -> dict[str, F64]:
    """Per feature, per row: the share of its value in ``table`` (0 for a value the table
    does not hold, a rare one; NaN for a row without a value). For name pairs, the most common
    of the row's pairs: the pair that matched is not known here, and the most common is the
    cautious choice."""
    out: dict[str, F64] = {}
    for feature, keys in _value_keys(p).items():
        found = keys.join(
            table.filter(pl.col("feature") == feature).select("key", "freq"),
            left_on="k",
            right_on="key",
            how="left",
            maintain_order="left",
        )
        freq = found.select(
            pl.when(pl.col("k").is_not_null()).then(pl.col("freq").fill_null(0.0))
        ).to_series()
        out[feature] = freq.fill_null(np.nan).to_numpy().astype(np.float64)
    pairs = p.name_pairs
    per_row = (
        pairs.rename({"t": "k"})
        .join(
            table.filter(pl.col("feature") == "name_pair").select("key", "freq"),
            left_on="k",
            right_on="key",
            how="left",
        )
        .group_by("idx")
        .agg(pl.col("freq").fill_null(0.0).max())
    )
    pair_freq = np.full(p.size, np.nan)
    pair_freq[per_row.get_column("idx").to_numpy().astype(np.int64)] = per_row.get_column(
        "freq"
    ).to_numpy()
    out["name_pair"] = pair_freq
    return out


@dataclass(frozen=True)
class LinkModel:
    """What scores pairs: the Fellegi-Sunter parameters and the term-frequency table
    (``frequency_table``; None: no term-frequency adjustment), trained on ``trained_rows``."""

    params: FSParams
    frequencies: pl.DataFrame | None
    trained_rows: int


def train(
    p: Prepared,
    levels: dict[str, I8],
    rules: npt.NDArray[np.uint32],
    rule_names: tuple[str, ...],
    settings: LinkageSettings,
    bsn_pairs: int,
) -> FSParams:
    """u from random pairs, m by EM per identity session, the prior from BSN agreement;
    then u again from the random pairs without their matches (``_without_matches``)."""
    ri, rj = random_pairs(p, settings.random_pairs, settings.seed)
    random_levels = compare(p, ri, rj)
    u_raw = estimate_u(random_levels)
    u = {f: values.copy() for f, values in u_raw.items()}
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
    untrained = [f for f in _NEUTRAL_UNTRAINED if not found[f] or u_raw[f].max() >= _ONE_LEVEL]
    if not any(rule == "bsn" for rule, _ in found["full_name_token"]):
        _full_name_from_the_names(m_final)
    _initial_no_stronger_than_a_similar_name(m_final, u)
    _neutral(m_final, u, untrained)
    params = FSParams(m_final, u, _prior(p, bsn_pairs, sessions), sessions)
    if not _bsn_prior(p, bsn_pairs):
        params = replace(params, prior=_prior_from_candidates(params, levels, p.size))
    # the random pairs hold matches too (a share of about the prior), and for a rare
    # agreement level (an equal birth date: u ~ 1e-4) they make up much of its count: u is
    # estimated again with every random pair weighted by the chance that it is no match
    lower = _prior(p, bsn_pairs, sessions)
    for _ in range(_U_ROUNDS):
        non_match = 1.0 - posterior(params.prior, _weight_sum(params, random_levels))
        u = _without_matches(u_raw, estimate_u(random_levels, non_match), random_levels)
        _initial_no_stronger_than_a_similar_name(m_final, u)
        _neutral(m_final, u, untrained)
        params = replace(params, u=u)
        if not _bsn_prior(p, bsn_pairs):
            params = replace(params, prior=lower)
            params = replace(params, prior=_prior_from_candidates(params, levels, p.size))
    return params


def _without_matches(
    raw: dict[str, F64], weighted: dict[str, F64], levels: dict[str, I8]
) -> dict[str, F64]:
    """u from the random pairs weighted by their chance of being no match (``weighted``),
    where the sample can tell: a feature that fewer than ``_U_MIN_PAIRS`` random pairs
    compare keeps its ``raw`` u, and a level seen among them is no rarer than one pair of
    those compared (a sample of n pairs cannot tell a rarer level from one pair, and the
    weights would take a level seen only in one family's pairs to zero)."""
    out: dict[str, F64] = {}
    for f in FEATURES:
        compared = int((levels[f] > 0).sum())
        if compared < _U_MIN_PAIRS:
            out[f] = raw[f].copy()
            continue
        floor = np.minimum(raw[f], 1.0 / compared)
        u = np.maximum(weighted[f], floor)
        u[0] = 0.0
        out[f] = np.asarray(u / u.sum(), dtype=np.float64)
    return out


def _weight_sum(params: FSParams, levels: dict[str, I8]) -> F64:
    """The summed weight of each pair (without term frequencies)."""
    weights = params.weights()
    return np.asarray(
        np.sum([weights[f][levels[f].astype(np.int64)] for f in FEATURES], axis=0),
        dtype=np.float64,
    )


def _full_name_from_the_names(m: dict[str, F64]) -> None:
    """Without BSNs no session trains the full-name token (every other identity block fixes a
    name or compares the filters instead). Its m then follows from the name features: a
    person's two records carry the same full name when both the first name and the surname
    agree (level 1), which the identity sessions did estimate."""
    same = float(m["first_name"][1] * m["surname"][1])
    m["full_name_token"] = np.asarray([0.0, same, 1.0 - same], dtype=np.float64)


def _initial_no_stronger_than_a_similar_name(m: dict[str, F64], u: dict[str, F64]) -> None:
    """First-name level 5 (the initial+birth-date token agrees) implies an equal birth date,
    which ``birth_date`` already counts; among random pairs it is therefore far rarer than an
    agreeing initial is, and its trained weight would count the birth date twice. Its u is
    set so that it weighs what a similar name (level 3, Dice >= 0.6) weighs."""
    fm, fu = m["first_name"], u["first_name"]
    fu[5] = fm[5] * fu[3] / max(fm[3], 1e-9)


def _neutral(m: dict[str, F64], u: dict[str, F64], features: list[str]) -> None:
    """m equal to u for ``features``: every level weighs 0 bits."""
    for f in features:
        m[f] = u[f].copy()


def _bsn_prior(p: Prepared, bsn_pairs: int) -> bool:
    """Enough rows with a valid BSN to count the prior from BSN agreement."""
    return int((p.codes["tok_bsn"] >= 0).sum()) >= _MIN_BSN_ROWS and bsn_pairs > 0


def _prior_from_candidates(params: FSParams, levels: dict[str, I8], rows: int) -> float:
    """Without BSNs: the prior at which the expected matches among the candidate pairs (the
    sum of their posteriors, weights without term frequencies) equal prior x all pairs.

    Pairs that are no candidate count as non-matches. The fixed point starts from the lower
    bound of the identity sessions and only moves up from it.
    """
    weights = params.weights()
    total = np.sum([weights[f][levels[f].astype(np.int64)] for f in FEATURES], axis=0)
    pairs = max(rows * (rows - 1) / 2, 1.0)
    prior = params.prior
    for _ in range(_PRIOR_ITERATIONS):
        moved = float(np.clip(posterior(prior, total).sum() / pairs, params.prior, 0.5))
        if abs(moved - prior) <= 1e-3 * prior:
            return moved
        prior = moved
    return prior


def _prior(p: Prepared, bsn_pairs: int, sessions: list[EMSession]) -> float:
    """Chance that two random rows are the same person.

    From the rows with a valid BSN (equal tokens = same person) when there are enough of
    them; otherwise from the matches EM found in the identity sessions (a lower bound, which
    ``_prior_from_candidates`` then raises).
    """
    with_bsn = int((p.codes["tok_bsn"] >= 0).sum())
    if _bsn_prior(p, bsn_pairs):
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


def prior_odds_bits(prior: float) -> float:
    """The prior match odds in bits: a pair's posterior odds are ``2 ** (this + weight)``."""
    return float(np.log2(prior / (1 - prior)))


def posterior(prior: float, total_weight: F64) -> F64:
    """Match probability from the prior and the summed weight.

    Computed in place in one array: at ten national years the weights are 85M pairs, and
    each temporary of the expression would be another 680 MB."""
    out = np.asarray(prior_odds_bits(prior) + total_weight, dtype=np.float64)
    np.clip(out, -60, 60, out=out)
    np.negative(out, out=out)
    np.exp2(out, out=out)
    out += 1.0
    np.divide(1.0, out, out=out)
    return out
