"""Household context: weak person matches between two signals add up.

A first name with an age ("her son, about 8") links to nobody on its own: too many rows share
it. But when two signals each hold a woman of about 39 called Anna *and* a boy of about 8
called Daan, the two signals are very likely about one family, and then each of those rows
is very likely the same person as its counterpart. So after scoring person pairs, the pairs
are grouped by their two signals; within a signal pair each row keeps only its best partner,
and the pairs that are each other's best (a one-to-one assignment) add their weights. When at
least ``min_pairs`` rows agree and the summed weight reaches ``min_signal_weight`` bits, the
mutual-best pairs of at least ``min_pair_weight`` bits are accepted as person links. Every
link still goes through the clustering guards (never two rows of one signal, never two valid
BSNs), and pairs with two different valid BSN tokens are never eligible.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from linkage.cluster import components
from linkage.prepare import Rows

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
#: Pair weights in bits, in double or (the long arrays of a national link) single precision.
Weights = npt.NDArray[np.float64] | npt.NDArray[np.float32]


def household_links(
    sig: I64,
    i: Rows,
    j: Rows,
    weight: Weights,
    eligible: npt.NDArray[np.bool_],
    *,
    min_pair_weight: float,
    min_signal_weight: float,
    min_pairs: int,
    shared: Weights | None = None,
) -> npt.NDArray[np.bool_]:
    """Per candidate pair ``(i[n], j[n])``: accepted through its two signals' context.

    ``shared``: the part of each pair's ``weight`` that is evidence about its two signals, not
    about its persons (the region that received them, the time between them). Every pair of
    two signals carries it, so it counts once in their sum."""
    accepted = np.zeros(i.size, dtype=np.bool_)
    chosen = np.flatnonzero(eligible & (weight >= min_pair_weight))
    if chosen.size == 0:
        return accepted
    si, sj = sig[i[chosen]], sig[j[chosen]]
    first = si < sj
    a, b = np.where(first, si, sj), np.where(first, sj, si)
    ra, rb = np.where(first, i[chosen], j[chosen]), np.where(first, j[chosen], i[chosen])
    del si, sj, first
    # a row lies in one signal, so (a, b, ra) is (b, ra), and each key packs into 64 bits
    frame = pl.DataFrame(
        {
            "n": chosen.astype(np.uint32),
            "ab": _packed(a, b),
            "bra": _packed(b, ra),
            "arb": _packed(a, rb),
            "w": weight[chosen],
            "s": np.zeros(chosen.size) if shared is None else shared[chosen],
        }
    )
    del a, b, ra, rb, chosen
    w = pl.col("w")
    mutual = frame.filter((w == w.max().over("bra")) & (w == w.max().over("arb")))
    del frame
    signal_pairs = (
        mutual.group_by("ab")
        .agg(((w - pl.col("s")).sum() + pl.col("s").max()).alias("total"), pl.len().alias("rows"))
        .filter((pl.col("total") >= min_signal_weight) & (pl.col("rows") >= min_pairs))
    )
    keep = mutual.join(signal_pairs, on="ab", how="semi").get_column("n").to_numpy()
    accepted[keep] = True
    return accepted


def _packed(high: Rows, low: Rows) -> npt.NDArray[np.uint64]:
    """One 64-bit key of two numbers below 2**32 (signals, rows)."""
    return (high.astype(np.uint64) << np.uint64(32)) | low.astype(np.uint64)


def lone_attachments(
    sig: I64,
    labels: I64,
    i: Rows,
    j: Rows,
    weight: F64,
    eligible: npt.NDArray[np.bool_],
    *,
    prior_odds_bits: float,
    min_probability: float,
) -> npt.NDArray[np.bool_]:
    """Per candidate pair: it attaches a signal that is alone in its family to another family.

    ``labels`` are the person clusters so far; a signal is alone when no person of it occurs
    in another signal. A likely match attaches such a signal (an advice call naming one
    person) to a family, but never merges two families that each hold more signals: a wrong
    merge of two families costs far more than a signal left alone. Each lone signal keeps
    only its strongest such pair, so it joins one family at most.

    The families compete: a lone signal is about one family at most, so the probability
    that its best family is the one is that family's match odds over one plus the odds of
    every family it has an ``eligible`` pair with (each family at its strongest pair; the
    odds are ``2 ** (prior_odds_bits + weight)``). It attaches when that reaches
    ``min_probability``: "a woman called Anna in this region" may score well against one
    family, but not when three families of the region hold such a woman.
    """
    accepted = np.zeros(i.size, dtype=np.bool_)
    if not eligible.any():
        return accepted
    n_signals = int(sig.max()) + 1
    family = components(n_signals + labels.size, sig, n_signals + labels)[:n_signals]
    lone = np.bincount(family)[family] == 1
    eligible_pairs = np.flatnonzero(eligible)
    si, sj = sig[i[eligible_pairs]], sig[j[eligible_pairs]]
    touch = lone[si] | lone[sj]
    chosen, si, sj = eligible_pairs[touch], si[touch], sj[touch]
    if chosen.size == 0:
        return accepted
    alone_side = lone[si]
    frame = pl.DataFrame(
        {
            "n": chosen,
            "s": np.where(alone_side, si, sj),
            "f": family[np.where(alone_side, sj, si)],
            "w": weight[chosen],
        }
    )
    w = pl.col("w")
    per_family = frame.group_by("s", "f").agg(w.max())
    # log2 of the summed odds of a signal's families, from their largest (no overflow)
    odds = (
        per_family.with_columns((w + prior_odds_bits).alias("bits"))
        .group_by("s")
        .agg(
            pl.col("bits").max().alias("top"),
            _exp2(pl.col("bits") - pl.col("bits").max()).sum().alias("scaled"),
        )
        .select("s", (pl.col("top") + pl.col("scaled").log(2)).alias("all_bits"))
    )
    best = (
        frame.filter(w == w.max().over("s"))
        .unique("s", keep="first")
        .join(odds, on="s")
        .filter(
            pl.lit(prior_odds_bits, dtype=pl.Float64) + w - _log2_one_plus(pl.col("all_bits"))
            >= np.log2(min_probability)
        )
    )
    accepted[best.get_column("n").to_numpy()] = True
    return accepted


def _log2_one_plus(bits: pl.Expr) -> pl.Expr:
    """``log2(1 + 2 ** bits)`` without overflow."""
    return (
        pl.when(bits > 0).then(bits + (1 + _exp2(-bits)).log(2)).otherwise((1 + _exp2(bits)).log(2))
    )


def _exp2(bits: pl.Expr) -> pl.Expr:
    """``2 ** bits``."""
    return pl.lit(2.0, dtype=pl.Float64).pow(bits)


def family_pairs(sig: I64, labels: I64) -> tuple[I64, I64]:
    """Every pair of rows (i < j) of two signals that already share a person under ``labels``,
    where the two rows are not yet one person: the rows a family's signals may have in common
    beyond the person that joined them."""
    rows = pl.DataFrame(
        {
            "idx": np.arange(sig.size, dtype=np.uint32),
            "s": sig.astype(np.int32),
            "c": labels.astype(np.int64),
        }
    )
    shared = (
        rows.join(rows, on="c", suffix="_o")
        .filter(pl.col("s") < pl.col("s_o"))
        .select("s", "s_o")
        .unique()
    )
    # each row lies in one signal: the pairs of distinct signal pairs are distinct
    pairs = (
        shared.join(rows, on="s")
        .join(rows.rename({"idx": "idx_o", "s": "s_o", "c": "c_o"}), on="s_o")
        .filter(pl.col("c") != pl.col("c_o"))
        .select(
            pl.min_horizontal("idx", "idx_o").alias("i"),
            pl.max_horizontal("idx", "idx_o").alias("j"),
        )
        .sort("i", "j")
    )
    return (
        pairs.get_column("i").to_numpy().astype(np.int64),
        pairs.get_column("j").to_numpy().astype(np.int64),
    )
