"""Families: signals connected through shared persons (a casus), with stable keyed ids.

The graph has a node per signal and per person; every person row is an edge between its
signal and its person. A family is a connected component, restricted to its signals. A signal
without linked persons is a family of its own. ``family_id`` is the keyed HMAC of the smallest
member ``region_code|signal_id`` (see ``linkage.cluster``).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

from linkage.cluster import components, id_key, keyed_ids
from pseudonymise.keys import MasterKey

SIGNAL_KEY: Final = ["region_code", "signal_id"]


def link_families(
    person_links: pl.DataFrame, signals: pl.DataFrame, *, key: MasterKey | None = None
) -> pl.DataFrame:
    """``region_code, signal_id, family_id`` for every signal of ``signals`` (its order)."""
    sig = signals.select(*SIGNAL_KEY).with_row_index("_pos").sort(SIGNAL_KEY).with_row_index("s")
    n_signals = sig.height
    edges = (
        person_links.select(*SIGNAL_KEY, "person_id")
        .join(sig.select(*SIGNAL_KEY, "s"), on=SIGNAL_KEY, how="inner")
        .with_columns((pl.col("person_id").rank("dense").cast(pl.Int64) - 1 + n_signals).alias("p"))
    )
    n_nodes = n_signals + edges.get_column("person_id").n_unique()
    labels = components(
        n_nodes,
        edges.get_column("s").to_numpy().astype(np.int64),
        edges.get_column("p").to_numpy().astype(np.int64),
    )[:n_signals]
    hmac_key = id_key(key)
    member = pl.concat_str([pl.col("region_code"), pl.col("signal_id")], separator="|")
    return (
        sig.with_columns(pl.Series("_c", labels))
        .with_columns(pl.col("s").min().over("_c").alias("_smallest"))
        .with_columns(member.gather(pl.col("_smallest")).alias("_member"))
        .with_columns(keyed_ids(pl.col("_member"), hmac_key, "F").alias("family_id"))
        .sort("_pos")
        .select(*SIGNAL_KEY, "family_id")
    )
