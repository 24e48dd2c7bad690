"""Incremental linking: a run links its new rows against the whole history without relinking it.

The store keeps, beside the link tables, what the next run needs (``linkage.schema``): the model
the links were scored with (``LINK_MODEL``: m, u and the prior of a full link's training) and
every accepted pair (``LINK_EDGES``). A run with that state

- blocks, compares and scores only the candidate pairs that touch a *fresh* row (new, or a
  re-delivered version), with the stored model, so old pairs keep the decisions they had;
- drops the accepted pairs of rows that are gone (erased, or replaced by a later version);
- re-clusters only the connected components of the accepted-pair graph that hold a fresh row
  or lost a pair; every other row keeps its person id.

Clustering depends on each component's pairs alone (``linkage.cluster``), and the model, term
frequencies included, is frozen, so the partition is the one a full relink with the same model
finds; the one exception is a block that grows past its cap, which keeps the pairs it gave
before. A full link (the first run, ``radar rebuild``, changed linkage settings, or the
history grown by ``retrain_growth`` since training) trains the model anew.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from linkage.cluster import cluster, components, id_key
from linkage.compare import LEVELS
from linkage.em import FSParams
from linkage.prepare import KEY, TOKEN_HASH_SEED
from linkage.schema import LINK_EDGES, LINK_MODEL
from linkage.score import LinkModel
from pseudonymise.keys import MasterKey
from pseudonymise.schema import PSEUDONYMISED_PERSONS
from radar.settings import LinkageSettings

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
ROW_KEY: Final = ("region_code", "signal_id", "person_seq", "delivery_id")
#: Settings that say where and when the work runs: they never change a link.
_PLACEMENT: Final = {
    "dask_address",
    "dask_workers",
    "partitions_per_worker",
    "incremental",
    "retrain_growth",
}
#: polars' hashes key the stored term frequencies: a new polars version retrains.
_HASHES: Final = f"polars {pl.__version__}"
#: What a run links beyond the settings (blocking rules, comparisons, scoring): bumped when
#: that changes, so that a store linked before relinks and retrains once.
LINKAGE_METHOD: Final = 6


def row_key() -> pl.Expr:
    """``region|signal|seq|delivery``: one version of a person row."""
    return pl.concat_str([pl.col(c).cast(pl.String) for c in ROW_KEY], separator="|")


def row_hash() -> pl.Expr:
    """A 64-bit hash of a row's ``ROW_KEY`` (no key string built). A new row is taken for a
    previous one only if its hash equals one of theirs: about new x previous rows / 2**64,
    1e-9 for a day of 2,500 rows against six million."""
    typed = (pl.col(c).cast(pl.Int64 if c == "person_seq" else pl.String) for c in ROW_KEY)
    return pl.struct(*typed).hash(TOKEN_HASH_SEED)


def signal_hash() -> pl.Expr:
    """A 64-bit hash of a row's signal (``region_code``, ``signal_id``); polars' hashes are
    stable within one polars version, which the model's fingerprint holds."""
    return pl.struct("region_code", "signal_id").hash(TOKEN_HASH_SEED)


def key_signal_hash(column: str) -> pl.Expr:
    """``signal_hash`` of the row keys ``region|signal|seq|delivery`` in ``column``."""
    parts = pl.col(column).str.splitn("|", 3)
    return pl.struct(
        parts.struct.field("field_0").alias("region_code"),
        parts.struct.field("field_1").alias("signal_id"),
    ).hash(TOKEN_HASH_SEED)


def prepared_positions(taken: pl.DataFrame, rows: npt.NDArray[np.integer]) -> I64:
    """The positions ``rows`` of the persons table's rows ``taken`` (``persons[rows]``), in
    the order ``linkage.prepare`` numbers them (by ``KEY``): ``idx`` of the prepared rows of
    ``taken`` -> position in the persons table."""
    order = taken.select(KEY).with_row_index("_p").sort(KEY).get_column("_p")
    return np.asarray(np.asarray(rows, dtype=np.int64)[order.to_numpy()], dtype=np.int64)


def local_rows(positions: I64, rows: npt.NDArray[np.integer]) -> I64:
    """The indices in ``positions`` of the positions ``rows`` (-1 where absent)."""
    wanted = np.asarray(rows, dtype=np.int64)
    if positions.size == 0:
        return np.full(wanted.size, -1, dtype=np.int64)
    order = np.argsort(positions, kind="stable")
    ranked = positions[order]
    at = np.searchsorted(ranked, wanted).clip(max=ranked.size - 1)
    return np.where(ranked[at] == wanted, order[at], -1).astype(np.int64)


def with_edge_signals(edges: pl.DataFrame) -> pl.DataFrame:
    """``edges`` with the signal hashes of ``LINK_EDGES`` v2, derived where it lacks them (a
    v1 table, stored before they were kept)."""
    if {"left_signal", "right_signal"} <= set(edges.columns):
        return edges
    return edges.with_columns(
        key_signal_hash("left").alias("left_signal"),
        key_signal_hash("right").alias("right_signal"),
    )


def fingerprint(settings: LinkageSettings, key: MasterKey | None) -> str:
    """What a stored model belongs to: the settings that shape links, the token schema and
    the key (its term frequencies are keyed by token hashes: a rotated key retrains)."""
    shaping: dict[str, object] = settings.model_dump(exclude=_PLACEMENT)
    shaping["persons_schema"] = PSEUDONYMISED_PERSONS.version
    shaping["hashes"] = _HASHES
    shaping["method"] = LINKAGE_METHOD
    # a model holds m and u per comparison level: other levels need another model
    shaping["levels"] = dict(LEVELS)
    # one-way: a hash of the key derived for linkage ids
    shaping["key"] = hashlib.sha256(id_key(key).encode()).hexdigest()
    return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class LinkState:
    """What the previous run left for this one."""

    rows: pl.Series  # row hashes (``row_hash``) of every row the previous run linked
    person_links: pl.DataFrame  # region_code, signal_id, person_seq, person_id
    edges: pl.DataFrame  # LINK_EDGES
    model: LinkModel
    fingerprint: str
    #: SIGNAL_FAMILIES of the previous run: with it a day's run links only the neighbourhood
    #: of its fresh rows (``linkage.neighbourhood``) and carries every other signal's family
    families: pl.DataFrame | None = None

    def usable(self, settings: LinkageSettings, rows: int, key: MasterKey | None) -> bool:
        """True when this run may link incrementally on this state."""
        return (
            settings.incremental
            and self.fingerprint == fingerprint(settings, key)
            and rows <= self.model.trained_rows * (1.0 + settings.retrain_growth)
        )


def link_state(
    persons: pl.DataFrame,
    person_links: pl.DataFrame,
    edges: pl.DataFrame,
    model: pl.DataFrame,
    frequencies: pl.DataFrame,
    families: pl.DataFrame | None = None,
) -> LinkState | None:
    """The state in a snapshot's tables (its persons, links, edges, model and term
    frequencies, and its signal families where the snapshot has them); None when the snapshot
    holds no model (a new store, or one linked before models were kept)."""
    if model.height != 1 or persons.height != person_links.height:
        return None
    record = model.row(0, named=True)
    params = FSParams.from_dict(json.loads(record["model"]))
    return LinkState(
        rows=persons.select(row_hash()).to_series(),
        person_links=person_links,
        edges=with_edge_signals(edges),
        model=LinkModel(
            params,
            frequencies if record["term_frequency"] else None,
            int(record["trained_rows"]),
        ),
        fingerprint=record["fingerprint"],
        families=families,
    )


def model_table(model: LinkModel, settings: LinkageSettings, key: MasterKey | None) -> pl.DataFrame:
    """The one-row ``LINK_MODEL`` table of ``model`` (its frequencies: ``LINK_FREQUENCIES``)."""
    return pl.DataFrame(
        {
            "model": [json.dumps(model.params.to_dict())],
            "term_frequency": [model.frequencies is not None],
            "fingerprint": [fingerprint(settings, key)],
            "trained_rows": [model.trained_rows],
        },
        schema=LINK_MODEL.schema,
    )


#: Pairs of rows ``(i, j, strength)``.
Edges = tuple[I64, I64, F64]


def edges_table(keys: pl.Series, i: I64, j: I64, strength: F64, kind: str) -> pl.DataFrame:
    """``LINK_EDGES`` of the pairs ``(i, j)`` of rows whose keys are ``keys``."""
    return with_edge_signals(
        pl.DataFrame(
            {
                "left": keys.gather(i),
                "right": keys.gather(j),
                "strength": strength,
                "kind": pl.Series([kind] * i.size, dtype=pl.String),
            }
        )
    ).cast(LINK_EDGES.schema)


def map_edges(edges: pl.DataFrame, keys: pl.Series, kind: str) -> tuple[Edges, I64]:
    """The stored pairs of ``kind`` whose two rows are still there, as row positions in
    ``keys`` sorted by ``(i, j)``; and the rows still there of the pairs that lost a row."""
    position = pl.DataFrame({"key": keys, "idx": np.arange(keys.len(), dtype=np.int64)})
    mapped = (
        edges.filter(pl.col("kind") == kind)
        .join(position.rename({"key": "left", "idx": "i"}), on="left", how="left")
        .join(position.rename({"key": "right", "idx": "j"}), on="right", how="left")
        .select("i", "j", "strength")
    )
    kept = mapped.drop_nulls(["i", "j"]).sort("i", "j")
    lost = mapped.filter(pl.col("i").is_null() | pl.col("j").is_null())
    survivors = pl.concat([lost.get_column("i"), lost.get_column("j")]).drop_nulls()
    return (
        (
            kept.get_column("i").to_numpy().astype(np.int64),
            kept.get_column("j").to_numpy().astype(np.int64),
            kept.get_column("strength").to_numpy().astype(np.float64),
        ),
        survivors.to_numpy().astype(np.int64),
    )


def touched_rows(labels: I64, seeds: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Per row: its cluster (``labels``) holds a seed row."""
    touched = np.zeros(int(labels.max()) + 1 if labels.size else 0, dtype=np.bool_)
    touched[labels[seeds]] = True
    return np.asarray(touched[labels], dtype=np.bool_)


@dataclass(frozen=True)
class Reclustered:
    """Cluster labels after an incremental run, and the accepted pairs to keep."""

    smallest: I64  # per row: the smallest row of its cluster, -1 where the old id stands
    i: I64  # every accepted pair now: the kept old ones and the new ones, (i, j) sorted
    j: I64
    strength: F64
    stats: dict[str, int]
    seeds: npt.NDArray[np.bool_]  # fresh rows, and rows that lost a pair


def recluster(
    state: LinkState,
    keys: pl.Series,
    fresh: npt.NDArray[np.bool_],
    new: tuple[I64, I64, F64],
    sig: I64,
    bsn: I64,
    *,
    max_rows: int,
) -> Reclustered:
    """Clusters of the rows ``keys`` from the kept old pairs and the ``new`` accepted ones.

    Only the components of the accepted-pair graph that hold a fresh row or lost a pair are
    clustered again; ``smallest`` is -1 for the rows of the others.
    """
    n = keys.len()
    (old_i, old_j, old_s), lost = map_edges(state.edges, keys, "person")
    # a pair that lost a row: the rows it still had are clustered again
    seeds = fresh.copy()
    seeds[lost] = True
    new_i, new_j, new_s = new
    i, j = np.concatenate([old_i, new_i]), np.concatenate([old_j, new_j])
    order = np.lexsort((j, i))  # no pair is both: old pairs never hold a fresh row
    i, j = i[order], j[order]
    strength = np.concatenate([old_s, new_s])[order]
    labels = components(n, i, j)
    inside_rows = touched_rows(labels, seeds)
    nodes = np.flatnonzero(inside_rows)
    local = np.full(n, -1, dtype=np.int64)
    local[nodes] = np.arange(nodes.size)
    inside = inside_rows[i]
    smallest_local, stats = cluster(
        nodes.size,
        local[i[inside]],
        local[j[inside]],
        strength[inside],
        sig[nodes],
        bsn[nodes],
        max_rows=max_rows,
    )
    smallest = np.full(n, -1, dtype=np.int64)
    smallest[nodes] = nodes[smallest_local]  # nodes ascend: the local smallest is the global one
    stats["rows_reclustered"] = int(nodes.size)
    return Reclustered(smallest, i, j, strength, stats, seeds)
