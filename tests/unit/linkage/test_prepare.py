"""Prepare: a scan of the stored table, in any row order, prepares as the frame does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from linkage.bench import SynthStore
from linkage.persons import link_persons
from linkage.prepare import KEY, Prepared, prepare


def _same_partition(left: np.ndarray, right: np.ndarray) -> bool:
    """Equal values in the same places (codes are labels: only their equality counts)."""
    both = pl.DataFrame({"a": left, "b": right})
    counts = both.select(
        pl.col("a").n_unique(), pl.col("b").n_unique(), pl.struct("a", "b").n_unique().alias("ab")
    ).row(0)
    return len(set(counts)) == 1 and bool(((left < 0) == (right < 0)).all())


def _shuffled_scan(persons: pl.DataFrame, path: Path) -> pl.LazyFrame:
    persons.sample(fraction=1.0, shuffle=True, seed=7).write_parquet(path)
    return pl.scan_parquet(path)


def test_a_scan_in_any_row_order_prepares_as_the_frame(
    small_synth: SynthStore, tmp_path: Path
) -> None:
    persons, signals = small_synth.persons, small_synth.signals
    frame = prepare(persons, signals)
    scanned = prepare(_shuffled_scan(persons, tmp_path / "persons.parquet"), signals)
    assert isinstance(scanned, Prepared)
    labels = [c for c in frame.rows.columns if c.startswith(("fc_", "salt_"))]
    assert scanned.rows.drop(labels).equals(frame.rows.drop(labels))
    for column in labels:
        values = [p.rows.get_column(column).fill_null(-1).to_numpy() for p in (frame, scanned)]
        assert _same_partition(*values), column
    assert scanned.rows.select(KEY).equals(persons.select(KEY).sort(KEY))
    for column, codes in frame.codes.items():
        assert _same_partition(codes, scanned.codes[column]), column
    for column, matrix in frame.filters.items():
        assert np.array_equal(matrix, scanned.filters[column]), column
    for name, values in frame.clear.items():
        if name in {"sex", "pc4", "municipality", "area"}:
            assert _same_partition(values, scanned.clear[name]), name
        else:
            assert np.array_equal(values, scanned.clear[name]), name
    assert scanned.name_pairs.equals(frame.name_pairs)


def test_linking_a_shuffled_scan_gives_the_links_of_the_frame(
    small_synth: SynthStore, tmp_path: Path
) -> None:
    persons, signals = small_synth.persons, small_synth.signals
    frame = link_persons(persons, signals)
    scanned = link_persons(_shuffled_scan(persons, tmp_path / "persons.parquet"), signals)
    assert frame.linked_pairs > 0
    assert scanned.person_links.equals(frame.person_links)
    assert scanned.family_links.equals(frame.family_links)
    assert scanned.pairs_per_rule == frame.pairs_per_rule
