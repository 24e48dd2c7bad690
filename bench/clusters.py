"""Persons from scored pairs for Splink: its clusters, split where they hold one signal twice.

Splink clusters by connected components at a threshold, so a chain of pairs can put two persons
of one signal (a mother and her daughter) into one cluster. A competent user post-processes:
``split_conflicts`` raises the weight a pair needs, inside the offending clusters only, step by
step until no cluster holds a signal twice (or two different valid BSNs); whatever still
conflicts at the last step is resolved by detaching the weaker rows of the repeated signal.
Every step is one connected-components pass over all pairs (scipy): no per-row Python.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from linkage.cluster import components, conflicting

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


def split_conflicts(
    labels: I64,
    i: I64,
    j: I64,
    weight: F64,
    sig: I64,
    bsn: I64,
    thresholds: F64,
) -> tuple[I64, dict[str, int]]:
    """New cluster labels: ``labels`` (components of pairs ``(i, j)``) with conflicts split.

    ``thresholds`` are increasing pair weights tried in turn on the pairs of conflicting
    clusters; rows are numbered ``0..n-1`` and ``sig``/``bsn`` are codes (``bsn`` -1: none).
    """
    n = labels.size
    stats = {"clusters_split": 0, "rows_detached": 0}
    bad = conflicting(labels, sig, bsn)
    stats["clusters_split"] = int(bad.sum())
    for threshold in thresholds:
        if not bad.any():
            break
        keep = ~bad[labels[i]] | (weight >= threshold)
        i, j, weight = i[keep], j[keep], weight[keep]
        labels = components(n, i, j)
        bad = conflicting(labels, sig, bsn)
    if bad.any():
        labels, detached = _detach(labels, bad, i, j, weight, sig, bsn)
        stats["rows_detached"] = detached
    return labels, stats


def _detach(
    labels: I64, bad: npt.NDArray[np.bool_], i: I64, j: I64, weight: F64, sig: I64, bsn: I64
) -> tuple[I64, int]:
    """In conflicting clusters, keep per signal (and per BSN) only the best-tied row."""
    n = labels.size
    strength = np.bincount(i, weights=weight, minlength=n) + np.bincount(
        j, weights=weight, minlength=n
    )
    rows = pl.DataFrame({"r": np.arange(n), "c": labels, "s": sig, "b": bsn, "w": strength}).filter(
        pl.Series(bad[labels])
    )
    by_signal = rows.sort(["w", "r"], descending=[True, False]).with_columns(
        (pl.col("r").rank("ordinal").over("c", "s") > 1).alias("dup_sig")
    )
    # the BSN of the cluster is the one its strongest row carries; other BSNs leave
    main_bsn = (
        by_signal.filter(pl.col("b") >= 0)
        .sort(["w", "r"], descending=[True, False])
        .group_by("c", maintain_order=True)
        .first()
        .select("c", pl.col("b").alias("main"))
    )
    judged = by_signal.join(main_bsn, on="c", how="left").with_columns(
        (pl.col("dup_sig") | ((pl.col("b") >= 0) & (pl.col("b") != pl.col("main"))))
        .fill_null(False)
        .alias("leave")
    )
    leaving = judged.filter(pl.col("leave")).get_column("r").to_numpy()
    out = labels.copy()
    out[leaving] = labels.max() + 1 + np.arange(leaving.size)
    return out, int(leaving.size)
