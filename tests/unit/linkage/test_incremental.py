"""Incremental linking: new rows linked against a stored state give what a full relink with the
same model gives, and untouched persons keep their ids."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from linkage import pipeline
from linkage.bench import BENCH_KEY, SynthStore
from linkage.blocking import RULES
from linkage.incremental import LinkState, fingerprint, link_state, row_key, signal_hash
from linkage.person_file import PersonFile, laid_out
from linkage.pipeline import Linked, _merge_at, link_all
from linkage.schema import LINK_EDGES
from pseudonymise.keys import MasterKey
from radar.settings import LinkageSettings
from radar.store.snapshot import Snapshot

SIGNAL_KEY = ["region_code", "signal_id"]
PERSON_KEY = [*SIGNAL_KEY, "person_seq"]
SETTINGS = LinkageSettings(random_pairs=20_000)


def _without(frame: pl.DataFrame, signals: pl.DataFrame) -> pl.DataFrame:
    return frame.join(signals.select(SIGNAL_KEY), on=SIGNAL_KEY, how="anti")


def _state(linked: Linked, persons: pl.DataFrame) -> LinkState:
    state = link_state(persons, linked.person_links, linked.edges, linked.model, linked.frequencies)
    assert state is not None
    return state


@pytest.fixture(scope="module")
def history(small_synth: SynthStore) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The signals of the last tenth of the period (by received date), and the store
    without them."""
    latest = small_synth.signals.sort("received_on", *SIGNAL_KEY).tail(
        small_synth.signals.height // 10
    )
    return (
        latest,
        _without(small_synth.signals, latest),
        _without(small_synth.persons, latest),
    )


def _edges(linked: Linked) -> set[tuple[str, str]]:
    """The person pairs (family pairs may differ by which lone signal attached first)."""
    person = linked.edges.filter(pl.col("kind") == "person")
    return set(person.select("left", "right").iter_rows())


def test_new_signals_link_as_a_full_relink_with_the_same_model(
    small_synth: SynthStore, history: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]
) -> None:
    latest, signals_before, persons_before = history
    before = link_all(signals_before, persons_before, SETTINGS, key=BENCH_KEY)
    state = _state(before, persons_before)
    incremental = link_all(
        small_synth.signals, small_synth.persons, SETTINGS, key=BENCH_KEY, previous=state
    )
    full = link_all(
        small_synth.signals, small_synth.persons, SETTINGS, key=BENCH_KEY, model=state.model
    )
    new_rows = small_synth.persons.join(latest.select(SIGNAL_KEY), on=SIGNAL_KEY).height
    assert incremental.stats["incremental"] == 1 and full.stats["incremental"] == 0
    assert incremental.stats["fresh_rows"] == new_rows
    assert incremental.stats["candidate_pairs"] < full.stats["candidate_pairs"]
    assert incremental.person_links.equals(full.person_links)
    assert incremental.signal_families.equals(full.signal_families)
    assert _edges(incremental) == _edges(full)
    # the new signals found earlier ones: the run links, not only carries over
    repeat = incremental.signal_families.join(latest.select(SIGNAL_KEY), on=SIGNAL_KEY).filter(
        pl.col("recurrence_category") != "eerste"
    )
    assert repeat.height > 0
    # persons whose cluster the new rows did not touch keep their ids
    kept = before.person_links.join(incremental.person_links, on=PERSON_KEY, suffix="_now").filter(
        pl.col("person_id") == pl.col("person_id_now")
    )
    assert kept.height > 0.9 * before.person_links.height


def test_replaced_and_erased_signals_are_relinked(small_synth: SynthStore) -> None:
    persons, signals = small_synth.persons, small_synth.signals
    before = link_all(signals, persons, SETTINGS, key=BENCH_KEY)
    state = _state(before, persons)
    linked_rows = pl.concat(
        [
            before.edges.select(pl.col("left").alias("k")),
            before.edges.select(pl.col("right").alias("k")),
        ]
    ).with_columns(pl.col("k").str.split("|").list.slice(0, 2).list.join("|"))
    linked_signals = linked_rows.get_column("k").unique().sort()
    erased, replaced = linked_signals[0], linked_signals[1]
    signal = pl.concat_str(SIGNAL_KEY, separator="|")
    # an erasure destroys one signal; a re-delivery gives another a new version
    persons_now = persons.filter(signal != erased).with_columns(
        pl.when(signal == replaced)
        .then(pl.lit("9999-12-31_REDELIVERY"))
        .otherwise(pl.col("delivery_id"))
        .alias("delivery_id")
    )
    signals_now = signals.filter(signal != erased)
    incremental = link_all(signals_now, persons_now, SETTINGS, key=BENCH_KEY, previous=state)
    full = link_all(signals_now, persons_now, SETTINGS, key=BENCH_KEY, model=state.model)
    assert incremental.stats["incremental"] == 1
    assert incremental.stats["fresh_rows"] == persons.filter(signal == replaced).height
    assert incremental.person_links.equals(full.person_links)
    assert _edges(incremental) == _edges(full)
    assert not any(erased in key for key in incremental.edges.get_column("left").to_list())


def test_a_state_is_not_used_after_growth_or_with_other_settings(
    small_synth: SynthStore, history: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]
) -> None:
    _, signals_before, persons_before = history
    before = link_all(signals_before, persons_before, SETTINGS, key=BENCH_KEY)
    state = _state(before, persons_before)
    rows = small_synth.persons.height
    assert state.usable(SETTINGS, rows, BENCH_KEY)
    assert not state.usable(SETTINGS.model_copy(update={"retrain_growth": 0.01}), rows, BENCH_KEY)
    assert not state.usable(SETTINGS.model_copy(update={"match_probability": 0.8}), rows, BENCH_KEY)
    assert not state.usable(SETTINGS.model_copy(update={"incremental": False}), rows, BENCH_KEY)
    assert not state.usable(SETTINGS, rows, MasterKey(b"another-key-of-32-bytes-at-least!"))
    moved = SETTINGS.model_copy(update={"dask_workers": 2, "retrain_growth": 0.9})
    assert fingerprint(SETTINGS, BENCH_KEY) == fingerprint(moved, BENCH_KEY)
    retrained = link_all(
        small_synth.signals,
        small_synth.persons,
        SETTINGS.model_copy(update={"retrain_growth": 0.01}),
        key=BENCH_KEY,
        previous=state,
    )
    assert retrained.stats["incremental"] == 0
    assert retrained.stats["fresh_rows"] == rows


#: Caps so tight that every capped rule skips blocks holding fresh rows: the day's scans must
#: judge them on the whole store as blocking every row does.
TIGHT = SETTINGS.model_copy(update={"max_block_rows": 3, "max_address_block_rows": 2})


@pytest.mark.parametrize("settings", [SETTINGS, TIGHT], ids=["default caps", "tight caps"])
@pytest.mark.parametrize("stored", [False, True], ids=["in-memory", "link-file"])
def test_a_day_linked_in_its_neighbourhood_equals_the_whole_history_link(
    small_synth: SynthStore,
    history: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
    settings: LinkageSettings,
    stored: bool,
    tmp_path: Path,
) -> None:
    """With the previous families in the state, a run links only the fresh rows'
    neighbourhood (``linkage.neighbourhood``) and carries the rest: the tables are those of
    the incremental link of the whole history, with a re-delivered and an erased signal.
    ``stored``: the day reads the persons table from the link file the link flow writes
    (``linkage.person_file``, small row groups), instead of a table in memory."""
    _, signals_before, persons_before = history
    before = link_all(signals_before, persons_before, settings, key=BENCH_KEY)
    state = link_state(
        persons_before,
        before.person_links,
        before.edges,
        before.model,
        before.frequencies,
        before.signal_families,
    )
    assert state is not None
    # one linked signal of the history erased, another re-delivered
    linked = before.edges.select(
        pl.col("left").str.split("|").list.slice(0, 2).list.join("|").alias("k")
    )
    erased, replaced = linked.get_column("k").unique().sort()[:2]
    signal = pl.concat_str(SIGNAL_KEY, separator="|")
    persons = small_synth.persons.filter(signal != erased).with_columns(
        pl.when(signal == replaced)
        .then(pl.lit("9999-12-31_REDELIVERY"))
        .otherwise(pl.col("delivery_id"))
        .alias("delivery_id")
    )
    signals = small_synth.signals.filter(signal != erased)
    source: pl.DataFrame | PersonFile = persons
    if stored:
        laid_out(persons).write_parquet(tmp_path / "persons.parquet", row_group_size=1_000)
        source = PersonFile(tmp_path / "persons.parquet")
    day = link_all(signals, source, settings, key=BENCH_KEY, previous=state)
    whole = link_all(
        signals, persons, settings, key=BENCH_KEY, previous=replace(state, families=None)
    )
    assert day.stats["incremental"] == 1 and whole.stats["incremental"] == 1
    # the day's run went through the neighbourhood (it covers the current blocking)
    assert "closure_rows" in day.stats and "closure_rows" not in whole.stats
    # the neighbourhood and its closure (whole components of the stored pairs, which may
    # reach beyond the neighbours) are a part of the store, and link as the whole history does
    assert 0 < day.stats["neighbourhood_rows"] < persons.height
    assert 0 < day.stats["closure_rows"] < persons.height
    assert day.stats["candidate_pairs"] == whole.stats["candidate_pairs"] > 0
    per_rule = {k: v for k, v in whole.stats.items() if k.startswith("pairs_")}
    assert {k: v for k, v in day.stats.items() if k.startswith("pairs_")} == per_rule
    if settings is TIGHT:  # every rule under the settings' caps skipped blocks
        assert whole.persons is not None
        skipped = whole.persons.skipped_rows_per_rule
        capped = [r.name for r in RULES if r.max_rows is None and r.right is None]
        assert all(skipped[name] > 0 for name in [*capped, "name_pair", "lsh_bf_surname"])
    # what the notes name joins families: in the day's closure as in the whole history
    assert whole.stats["note_members"] > day.stats["note_members"] > 0
    assert day.person_links.equals(whole.person_links)
    assert day.signal_families.equals(whole.signal_families)
    rows = ["left", "right", "kind"]
    assert set(day.edges.select(rows).iter_rows()) == set(whole.edges.select(rows).iter_rows())
    assert day.edges.height == whole.edges.height
    assert not day.edges.filter(pl.col("left").str.starts_with(erased + "|")).height


def test_stored_pairs_of_an_older_store_gain_their_signals_hashes(
    small_synth: SynthStore, tmp_path: Path
) -> None:
    """A store whose ``link_edges`` is v1 (no signal hashes) still links incrementally: the
    hashes are derived once when read, equal to those a new run stores."""
    from flows.linking import stored_edges

    persons, signals = small_synth.persons, small_synth.signals
    linked = link_all(signals, persons, SETTINGS, key=BENCH_KEY)
    assert linked.edges.height and linked.edges.schema == LINK_EDGES.schema
    # each pair's signal hashes are those of its rows' signals
    hashes = persons.select(row_key().alias("k"), signal_hash().alias("s"))
    for side in ("left", "right"):
        got = linked.edges.join(hashes, left_on=side, right_on="k")
        assert got.height == linked.edges.height
        assert got.get_column(f"{side}_signal").equals(got.get_column("s"), check_names=False)
    old = linked.edges.select("left", "right", "strength", "kind")
    old.write_parquet(tmp_path / "link_edges.parquet")
    snapshot = Snapshot(tmp_path, {"tables": {"link_edges": {"version": 1, "rows": old.height}}})
    read = stored_edges(snapshot)
    assert read.columns == ["left", "right", "strength", "kind"]
    state = link_state(persons, linked.person_links, read, linked.model, linked.frequencies)
    assert state is not None
    assert state.edges.equals(linked.edges)


@pytest.mark.parametrize(
    "inside",
    [
        [False, True, False, False, True],  # where the persons table holds them
        [True, False, False, True, False],  # persons out of key order: merged by key
        [False, True, True, False, False],
    ],
)
def test_new_links_are_merged_into_the_kept_ones_in_key_order(inside: list[bool]) -> None:
    def links(rows: list[tuple[str, str, int]]) -> pl.DataFrame:
        frame = pl.DataFrame(rows, schema=PERSON_KEY, orient="row")
        return frame.with_columns(
            pl.col("person_seq").cast(pl.Int32),
            pl.concat_str(PERSON_KEY).alias("person_id"),
        )

    kept = links([("VT01", "a", 1), ("VT01", "b", 2), ("VT02", "a", 1)])
    new = links([("VT01", "a", 2), ("VT02", "b", 1)])
    want = pl.concat([kept, new]).sort(PERSON_KEY)
    assert _merge_at(kept, new, np.array(inside)).equals(want)


@pytest.mark.parametrize("collide", [False, True], ids=["hashes", "every hash shared"])
def test_carried_families_follow_the_signals_order(
    monkeypatch: pytest.MonkeyPatch, collide: bool
) -> None:
    if collide:  # signals sharing a hash are joined on their keys
        monkeypatch.setattr(pipeline, "signal_hash", lambda: pl.lit(7, dtype=pl.UInt64))
    present = pl.DataFrame({"region_code": ["VT02", "VT01", "VT01"], "signal_id": ["a", "b", "c"]})
    merged = pl.DataFrame(
        {"region_code": ["VT01", "VT02"], "signal_id": ["b", "a"], "family_id": ["F1", "F2"]}
    )
    want = present.join(merged, on=SIGNAL_KEY, how="left", maintain_order="left")
    assert pipeline._in_signal_order(present, merged).equals(want)
