"""Splink (real, DuckDB) on a small synthetic store: plaintext rows in, person links out."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from bench.splink_synth import link_splink, splink_input
from linkage.bench import synth_store
from linkage.evaluate import evaluate


@pytest.mark.slow
def test_splink_links_a_small_store_without_putting_one_signal_twice_in_a_person(
    tmp_path: Path,
) -> None:
    store = synth_store(tmp_path, seed=5, scale=0.002, years=2, start_year=2022)
    rows = splink_input(store.persons_plain, store.signals)
    assert rows.height == store.persons_plain.height
    assert rows.get_column("unique_id").to_list() == list(range(rows.height))
    # housemates are the other persons of the signal, never the row itself
    mates = rows.filter(pl.col("housemates").is_not_null()).head(50)
    own = pl.concat_str([pl.col("first_name"), pl.col("birth_year").cast(pl.Utf8)], separator="|")
    assert not mates.select(pl.col("housemates").list.contains(own)).to_series().any()

    linked = link_splink(store.persons_plain, store.signals, u_pairs=1e6)
    links = linked.person_links
    assert links.height == store.persons_plain.height
    per_person = links.group_by("person_id", "region_code", "signal_id").len()
    assert per_person.get_column("len").max() == 1
    families = (
        links.select("region_code", "signal_id")
        .unique()
        .with_columns(pl.lit("F").alias("family_id"))
    )
    figures = evaluate(store.truth, links, families)
    assert figures["identifiable_precision"] > 0.95
    assert figures["identifiable_recall"] > 0.8
