"""Constrained clustering of linked pairs into persons, and stable pseudonymous ids.

First the connected components of all accepted pairs (scipy, vectorised). A component is
accepted as it is unless it breaks a guard: two rows of one signal (never the same person),
two different valid BSN tokens, or more rows than ``max_rows`` (a runaway chain). Only the
components that break a guard are rebuilt by a union-find that takes their pairs strongest
first and refuses every merge that would break a guard; that loop touches few pairs.

Ids are HMAC-SHA256 (a key derived for linkage ids) of the smallest member key
``region_code|signal_id|person_seq`` (persons) or ``region_code|signal_id`` (families): the
same partition always gives the same ids, a new row only changes an id when it becomes the
smallest member of its cluster, and nobody without the key can derive an id from a row.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from pseudonymise.keys import MasterKey
from pseudonymise.tokens import hmac_hex

I64 = npt.NDArray[np.int64]
ID_PURPOSE: Final = "linkage/ids"
#: Used when no key is given (unit tests, benchmarks): ids are then pseudonymous to nobody.
#: Production runs always pass the master key.
_UNKEYED: Final = "radar-linkage-unkeyed-ids"


def components(n: int, i: I64, j: I64) -> I64:
    """Component label per node of the graph with edges ``(i, j)``."""
    graph = coo_matrix((np.ones(i.size, dtype=np.int8), (i, j)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.int64)


def conflicting(labels: I64, sig: I64, bsn: I64) -> npt.NDArray[np.bool_]:
    """Per cluster label: True when the cluster holds a signal twice or two valid BSNs."""
    n_labels = int(labels.max()) + 1 if labels.size else 0
    bad = np.zeros(n_labels, dtype=np.bool_)
    frame = pl.DataFrame({"c": labels, "s": sig, "b": bsn})
    found = (
        frame.group_by("c")
        .agg(
            (pl.col("s").n_unique() < pl.len()).alias("dup"),
            (pl.col("b").filter(pl.col("b") >= 0).n_unique() > 1).alias("bsn"),
        )
        .filter(pl.col("dup") | pl.col("bsn"))
        .get_column("c")
        .to_numpy()
    )
    bad[found] = True
    return bad


def _conflicting(labels: I64, sig: I64, bsn: I64, max_rows: int) -> npt.NDArray[np.bool_]:
    """Per component label: True when the component breaks a guard."""
    n_labels = int(labels.max()) + 1 if labels.size else 0
    size = np.bincount(labels, minlength=n_labels)
    return np.asarray((size > max_rows) | conflicting(labels, sig, bsn), dtype=np.bool_)


def _find(parent: list[int], x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def _guarded_union(n: int, i: I64, j: I64, sig: I64, bsn: I64, max_rows: int) -> tuple[I64, int]:
    """Union-find over pairs in the given order, refusing merges that break a guard."""
    parent = list(range(n))
    sigs: list[set[int]] = [{int(s)} for s in sig]
    bsns: list[set[int]] = [{int(b)} if b >= 0 else set() for b in bsn]
    refused = 0
    for a, b in zip(i.tolist(), j.tolist(), strict=True):
        ra, rb = _find(parent, a), _find(parent, b)
        if ra == rb:
            continue
        if len(sigs[ra]) + len(sigs[rb]) > max_rows or not sigs[ra].isdisjoint(sigs[rb]):
            refused += 1
            continue
        if len(bsns[ra] | bsns[rb]) > 1:
            refused += 1
            continue
        if len(sigs[ra]) < len(sigs[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        sigs[ra] |= sigs[rb]
        bsns[ra] |= bsns[rb]
    roots = np.fromiter((_find(parent, x) for x in range(n)), dtype=np.int64, count=n)
    return roots, refused


def cluster(
    n: int,
    i: I64,
    j: I64,
    strength: npt.NDArray[np.float64],
    sig: I64,
    bsn: I64,
    *,
    max_rows: int,
) -> tuple[I64, dict[str, int]]:
    """A cluster label per row (the smallest row index of its cluster) and guard counts."""
    labels = components(n, i, j)
    bad = _conflicting(labels, sig, bsn, max_rows)
    stats = {"components_rebuilt": int(bad.sum()), "merges_refused": 0}
    if bad.any():
        nodes = np.flatnonzero(bad[labels])
        local = np.full(n, -1, dtype=np.int64)
        local[nodes] = np.arange(nodes.size)
        keep = bad[labels[i]]
        order = np.argsort(-strength[keep], kind="stable")
        li, lj = local[i[keep][order]], local[j[keep][order]]
        roots, refused = _guarded_union(nodes.size, li, lj, sig[nodes], bsn[nodes], max_rows)
        stats["merges_refused"] = refused
        labels = labels.copy()
        labels[nodes] = labels.max() + 1 + roots
    smallest = (
        pl.DataFrame({"c": labels, "r": np.arange(n)})
        .with_columns(pl.col("r").min().over("c").alias("m"))
        .get_column("m")
        .to_numpy()
    )
    return np.asarray(smallest, dtype=np.int64), stats


def keyed_ids(keys: pl.Expr, hmac_key: str, prefix: str) -> pl.Expr:
    """``prefix`` + 20 hex digits of HMAC-SHA256(key, member key)."""
    return pl.lit(prefix) + hmac_hex(keys, hmac_key, hex_chars=20)


def id_key(key: MasterKey | None) -> str:
    """The HMAC key of person and family ids: derived from the master key for that purpose."""
    return key.derive_hmac_key(ID_PURPOSE) if key is not None else _UNKEYED
