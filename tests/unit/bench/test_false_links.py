"""The false-link report: wrong clusters from the contingency table, levels of accepted pairs."""

from __future__ import annotations

import numpy as np
import polars as pl

from bench.false_links import accepted_pairs, level_shares, wrong_clusters
from linkage.bench import SynthStore
from linkage.compare import FEATURES
from linkage.evaluate import KEY
from linkage.pipeline import link_all
from linkage.prepare import prepare


def test_wrong_clusters_count_the_false_pairs_of_each_cluster() -> None:
    rows = {"region_code": ["VT01"] * 6, "signal_id": list("abcdef"), "person_seq": [1] * 6}
    links = pl.DataFrame({**rows, "person_id": ["P1", "P1", "P1", "P2", "P2", "P3"]})
    truth = pl.DataFrame({**rows, "true_person_id": [1, 1, 2, 3, 3, 4]})
    report = wrong_clusters(links, truth)
    # P1 joins true persons 1 and 2: of its 3 pairs, 2 are false; P2 and P3 are right
    assert report.rows(named=True) == [
        {"true_persons": 2, "clusters": 1, "rows": 3, "false_pairs": 2}
    ]


def test_accepted_pairs_are_person_edges_kept_in_one_person(small_synth: SynthStore) -> None:
    persons, signals = small_synth.persons, small_synth.signals
    linked = link_all(signals, persons)
    p = prepare(persons, signals)
    pairs = accepted_pairs(linked.edges, linked.person_links, persons.lazy(), p)
    assert 0 < pairs.height <= linked.edges.filter(pl.col("kind") == "person").height
    # both rows of every accepted pair are in one person
    ids = p.rows.select("idx", *KEY).join(linked.person_links, on=KEY).sort("idx")["person_id"]
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    assert (ids.gather(i) == ids.gather(j)).all()
    false = np.zeros(i.size, dtype=np.bool_)
    false[: i.size // 2] = True
    shares, common = level_shares(p, i.astype(np.int64), j.astype(np.int64), false)
    sums = shares.group_by("feature").agg(pl.col("false").sum(), pl.col("true").sum())
    assert sums.height == len(FEATURES)
    assert np.allclose(sums["false"], 1.0) and np.allclose(sums["true"], 1.0)
    assert sum(n for n, _ in common) <= int(false.sum())
    assert all(set(combo) == set(FEATURES) for _, combo in common)
