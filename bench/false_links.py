"""Where the false person links of a synthetic store are, and which evidence made them.

``python -m bench.false_links --cache DIR --scale 0.2 --years 10`` links the cached store of
``bench.scale`` (built there first when absent) and compares the links with the truth:

1. the person clusters that join rows of several true persons: how many, by how many true
   persons they join, and the false pairs in them (from the contingency table);
2. per feature, the agreement levels of the accepted person pairs (``LINK_EDGES`` of kind
   ``person`` whose rows ended in one person) that join two true persons against those of
   true pairs, as shares, and the most
   common level combinations of the false ones.

Counts and level names only, never a value: what to weigh differently is read from here.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from bench.scale import cached_store
from linkage.compare import FEATURES, compare
from linkage.evaluate import KEY
from linkage.incremental import row_key
from linkage.persons import LEVEL_NAMES
from linkage.pipeline import link_all
from linkage.prepare import Prepared, prepare


def wrong_clusters(person_links: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """Per number of true persons a predicted person joins (2 or more): the clusters, their
    rows and their false pairs (pairs of rows of different true persons)."""
    cells = (
        person_links.select(*KEY, "person_id")
        .join(truth.select(*KEY, "true_person_id"), on=KEY)
        .group_by("person_id", "true_person_id")
        .len("n")
    )
    clusters = cells.group_by("person_id").agg(
        rows=pl.col("n").sum(),
        true_persons=pl.len(),
        same=(pl.col("n") * (pl.col("n") - 1) // 2).sum(),
    )
    return (
        clusters.filter(pl.col("true_persons") > 1)
        .with_columns(false_pairs=pl.col("rows") * (pl.col("rows") - 1) // 2 - pl.col("same"))
        .group_by("true_persons")
        .agg(pl.len().alias("clusters"), pl.col("rows").sum(), pl.col("false_pairs").sum())
        .sort("true_persons")
    )


def accepted_pairs(
    edges: pl.DataFrame, person_links: pl.DataFrame, persons: pl.LazyFrame, p: Prepared
) -> pl.DataFrame:
    """``i, j``: the prepared rows (``idx``) of each accepted person pair whose rows the
    clustering kept in one person (a guard may have cut the others)."""
    keys = (
        persons.select(*KEY, row_key().alias("key"))
        .collect()
        .join(p.rows.select("idx", *KEY), on=KEY)
        .join(person_links.select(*KEY, "person_id"), on=KEY)
        .select("key", "idx", "person_id")
    )
    pairs = edges.filter(pl.col("kind") == "person").select("left", "right")
    return (
        pairs.join(keys.rename({"key": "left", "idx": "i"}), on="left")
        .join(keys.rename({"key": "right", "idx": "j"}), on="right", suffix="_j")
        .filter(pl.col("person_id") == pl.col("person_id_j"))
        .select("i", "j")
    )


def level_shares(
    p: Prepared, i: npt.NDArray[np.int64], j: npt.NDArray[np.int64], false: npt.NDArray[np.bool_]
) -> tuple[pl.DataFrame, list[tuple[int, dict[str, str]]]]:
    """Per feature and level: its share among the false pairs and among the true pairs; and
    the eight most common level combinations of the false pairs, with their counts."""
    levels = compare(p, i, j)
    rows = []
    for feature in FEATURES:
        names = LEVEL_NAMES[feature]
        at = levels[feature].astype(np.int64)
        in_false = np.bincount(at[false], minlength=len(names)) / max(int(false.sum()), 1)
        in_true = np.bincount(at[~false], minlength=len(names)) / max(int((~false).sum()), 1)
        rows += [
            {"feature": feature, "level": name, "false": in_false[k], "true": in_true[k]}
            for k, name in enumerate(names)
            if in_false[k] or in_true[k]
        ]
    combos = Counter(
        tuple(int(levels[f][k]) for f in FEATURES) for k in np.flatnonzero(false).tolist()
    )
    common = [
        (n, {f: LEVEL_NAMES[f][c] for f, c in zip(FEATURES, combo, strict=True)})
        for combo, n in combos.most_common(8)
    ]
    return pl.DataFrame(rows), common


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    store = cached_store(
        args.cache, seed=args.seed, scale=args.scale, years=args.years, persons_read=False
    )
    persons = pl.scan_parquet(args.cache / "persons.parquet")
    truth = pl.read_parquet(store.truth / "persons.parquet").filter(~pl.col("expect_quarantine"))
    linked = link_all(store.signals, persons)
    with pl.Config(tbl_rows=40, tbl_width_chars=140, fmt_str_lengths=40):
        print(wrong_clusters(linked.person_links, truth))
        p = prepare(persons, store.signals)
        pairs = accepted_pairs(linked.edges, linked.person_links, persons, p)
        i = pairs.get_column("i").to_numpy().astype(np.int64)
        j = pairs.get_column("j").to_numpy().astype(np.int64)
        person = (
            p.rows.select("idx", *KEY)
            .join(truth.select(*KEY, "true_person_id"), on=KEY, how="left")
            .sort("idx")
            .get_column("true_person_id")
            .fill_null(-1)
            .to_numpy()
        )
        false = person[i] != person[j]
        print(f"accepted person pairs {i.size}, joining two true persons {int(false.sum())}")
        shares, common = level_shares(p, i, j, false)
        print(shares)
        for n, combo in common:
            print(n, {f: level for f, level in combo.items() if level != "not comparable"})


if __name__ == "__main__":
    main()
