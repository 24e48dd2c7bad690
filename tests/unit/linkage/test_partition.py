"""Partitioned comparison: every pair in one partition, the same levels as one process."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from linkage.bench import SynthStore
from linkage.compare import FEATURES, compare
from linkage.partition import Partition, compare_partition, compare_partitioned, partitions
from linkage.persons import link_persons
from linkage.prepare import prepare


def _serial(parts: Sequence[Partition]) -> list[dict[str, np.ndarray]]:
    return [compare_partition(p) for p in parts]


@pytest.mark.parametrize("count", [1, 3, 7])
def test_partitioned_levels_equal_one_process(small_synth: SynthStore, count: int) -> None:
    p = prepare(small_synth.persons, small_synth.signals)
    rng = np.random.default_rng(1)
    i = rng.integers(0, p.size, 5_000).astype(np.int64)
    j = rng.integers(0, p.size, 5_000).astype(np.int64)
    whole = compare(p, i, j)
    parts = partitions(p, i, j, count)
    assert len(parts) == count
    assert sum(part.i.size for part in parts) == i.size
    for part in parts:  # a partition holds exactly the rows its pairs touch
        assert part.rows.size == np.unique(np.concatenate([part.i, part.j])).size
    split = compare_partitioned(p, i, j, count, _serial)
    for f in FEATURES:
        assert np.array_equal(whole[f], split[f]), f


def test_partitioned_link_gives_the_same_persons(small_synth: SynthStore, tmp_path: Path) -> None:
    one = link_persons(small_synth.persons, small_synth.signals)
    four = link_persons(
        small_synth.persons, small_synth.signals, run_partitions=_serial, partitions=4
    )
    assert one.person_links.equals(four.person_links)
    assert pl.DataFrame(one.pairs_per_rule).equals(pl.DataFrame(four.pairs_per_rule))
