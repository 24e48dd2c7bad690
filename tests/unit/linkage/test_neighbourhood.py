"""The day's neighbourhood scans follow the blocking: every column a rule reads is derived
from the persons table as ``linkage.prepare`` derives it (the same equal values), and a new
kind of rule setting makes these tests fail until ``linkage.neighbourhood`` handles it."""

from __future__ import annotations

import dataclasses
import inspect
import logging

import polars as pl
import pytest

from linkage import pipeline
from linkage.bench import SynthStore
from linkage.blocking import BlockRule, LshRule, candidate_pairs
from linkage.neighbourhood import DERIVED, blocking_columns, uncovered, with_bands
from linkage.prepare import KEY, prepare
from pseudonymise.schema import PSEUDONYMISED_PERSONS


def test_every_column_blocking_reads_is_one_the_neighbourhood_derives() -> None:
    assert uncovered() == set()
    # the columns of prepared rows that blocking reads but the persons table lacks
    derived = blocking_columns() - set(PSEUDONYMISED_PERSONS.columns)
    assert {"salt_year", "salt_address", "birth_band", "fc_address"} <= derived


def test_derived_columns_are_equal_exactly_where_prepares_are(small_synth: SynthStore) -> None:
    persons, signals = small_synth.persons, small_synth.signals
    prepared = prepare(persons, signals).rows
    ours = with_bands(persons.select(*KEY, "birth_year", "age_estimate", **DERIVED), signals)
    both = prepared.join(ours, on=list(KEY), suffix="_n")
    assert both.height == persons.height
    columns = [c for c in blocking_columns() if f"{c}_n" in both.columns]
    assert set(columns) >= {*DERIVED, "birth_band", "birth_band_shifted"}
    for c in columns:
        # the same partition of the rows (null a value): as many distinct values on each side
        # as distinct pairs of them
        distinct = both.select(
            pl.col(c).n_unique().alias("prepare"),
            pl.col(f"{c}_n").n_unique().alias("ours"),
            pl.struct(c, f"{c}_n").n_unique().alias("pairs"),
            pl.col(c).is_null().eq(pl.col(f"{c}_n").is_null()).all().alias("nulls"),
        ).row(0, named=True)
        assert distinct["prepare"] == distinct["ours"] == distinct["pairs"] > 1, c
        assert distinct["nulls"], c


def test_blocking_has_no_setting_the_neighbourhood_does_not_know() -> None:
    """A new field of a rule, or a new parameter of ``candidate_pairs``, may change which
    pairs a block gives: ``linkage.neighbourhood`` must handle it (then extend these)."""
    assert [f.name for f in dataclasses.fields(BlockRule)] == [
        "name",
        "left",
        "right",
        "max_rows",
        "min_address_dice",
    ]
    assert [f.name for f in dataclasses.fields(LshRule)] == ["column", "group", "where"]
    assert list(inspect.signature(candidate_pairs).parameters) == [
        "rows",
        "filters",
        "name_pairs",
        "max_block_rows",
        "max_address_block_rows",
        "lsh_bands",
        "lsh_band_bits",
        "seed",
        "rules",
        "lsh_unresolved_only",
        "lsh_group",
        "cross_year_group",
        "fresh",
        "address",
    ]


def test_a_fallback_to_the_whole_history_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """While the neighbourhood cannot follow the blocking, day runs link the whole history
    and say so (column names and a count, never a value)."""
    assert not pipeline._uncovered_logged()
    assert not caplog.records
    monkeypatch.setattr(pipeline, "uncovered", lambda: {"fc_new", "salt_new"})
    with caplog.at_level(logging.WARNING, logger="linkage.pipeline"):
        assert pipeline._uncovered_logged()
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert "2 blocking column(s) (fc_new, salt_new)" in record.getMessage()
    assert "whole history" in record.getMessage()
