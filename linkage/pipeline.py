"""The whole link stage in one call: persons, then families, then recurrence.

``link_all`` takes the pseudonymised store tables and returns the two link tables
(``linkage.schema``) with the statistics a run reports: candidate pairs per blocking rule,
linked pairs, clustering guards and the seconds each step took. It sees tokens, Bloom filters
and coarse clear columns only.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl

from linkage.families import link_families
from linkage.incremental import LinkState, model_table, prepared_positions, signal_hash
from linkage.neighbourhood import (
    SIGNAL_KEY,
    Laps,
    neighbourhood,
    uncovered,
    without_signals,
)
from linkage.notes import HELD, family_members, holders, mentions, reached_signals
from linkage.partition import PartitionMap
from linkage.person_file import PersonFile
from linkage.person_rows import PersonRows
from linkage.persons import LinkResult, decided_pairs, link_persons
from linkage.prepare import KEY
from linkage.recurrence import recurrence
from linkage.schema import LINK_EDGES, LINK_FREQUENCIES, PERSON_LINKS, SIGNAL_FAMILIES
from linkage.score import LinkModel
from pseudonymise.keys import MasterKey
from radar.contract.schemas import conform
from radar.settings import LinkageSettings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Linked:
    """The link tables of one run and what the run reports about them (counts only)."""

    person_links: pl.DataFrame
    signal_families: pl.DataFrame
    edges: pl.DataFrame  # LINK_EDGES, for the next incremental run
    model: pl.DataFrame  # LINK_MODEL
    frequencies: pl.DataFrame  # LINK_FREQUENCIES
    stats: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    persons: LinkResult | None = field(default=None, repr=False)


def link_all(
    signals: pl.DataFrame,
    persons: pl.DataFrame | pl.LazyFrame | PersonFile,
    settings: LinkageSettings | None = None,
    *,
    key: MasterKey | None = None,
    run_partitions: PartitionMap | None = None,
    partitions: int = 1,
    previous: LinkState | None = None,
    model: LinkModel | None = None,
) -> Linked:
    """Link every person row of ``persons`` and judge every signal of ``signals``.

    ``persons`` may be stored: a link file (``linkage.person_file``, as the link flow writes
    it) or a scan of a table (``pl.scan_parquet``). A full link then reads it a few columns at
    a time (``linkage.prepare``) and never holds all of it, and a day's run hashes of a few
    columns of every row and every column of a few rows (``linkage.person_rows``).

    ``run_partitions``, ``partitions``, ``previous`` and ``model``: see
    ``linkage.persons.link_persons``. Families and recurrence are judged on all signals; with a
    usable ``previous`` state that holds its families, only on the signals of the fresh rows'
    neighbourhood (``linkage.neighbourhood``), and every other signal keeps what it had.
    """
    s = settings or LinkageSettings()
    rows = PersonRows(persons)
    height = rows.height
    table = persons.scan() if isinstance(persons, PersonFile) else persons
    if (
        previous is not None
        and previous.families is not None
        and previous.usable(s, height, key)
        and not _uncovered_logged()
    ):
        return _link_day(
            signals,
            rows,
            s,
            key=key,
            run_partitions=run_partitions,
            partitions=partitions,
            previous=previous,
        )
    result = link_persons(
        table,
        signals,
        s,
        key=key,
        run_partitions=run_partitions,
        partitions=partitions,
        previous=previous,
        model=model,
    )
    started = time.perf_counter()
    mentioned = mentions(signals, s)
    held = holders(table, mentioned.get_column("token")) if mentioned.height else None
    members = family_members(result.family_links, signals, mentioned, held, s, key)
    families = link_families(members, signals, key=key)
    judged = recurrence(signals, members, families)
    seconds = {**result.seconds, "families": time.perf_counter() - started}
    linked = _linked(
        result,
        s,
        key,
        height,
        conform(result.person_links, PERSON_LINKS),
        conform(judged, SIGNAL_FAMILIES),
        conform(result.edges, LINK_EDGES),
        seconds,
    )
    linked.stats["note_members"] = members.height - result.family_links.height
    return linked


def _uncovered_logged() -> bool:
    """True, with a warning, when the neighbourhood cannot follow the current blocking
    (``linkage.neighbourhood.uncovered``): the day then links against the whole history."""
    missing = uncovered()
    if missing:
        logger.warning(
            "day link: the neighbourhood cannot derive %d blocking column(s) (%s); linking "
            "the fresh rows against the whole history instead",
            len(missing),
            ", ".join(sorted(missing)),
        )
    return bool(missing)


def _link_day(
    signals: pl.DataFrame,
    persons: PersonRows,
    s: LinkageSettings,
    *,
    key: MasterKey | None,
    run_partitions: PartitionMap | None,
    partitions: int,
    previous: LinkState,
) -> Linked:
    """The incremental link of the fresh rows' neighbourhood, merged with what every other
    row and signal had: the same tables as the incremental link of the whole history."""
    assert previous.families is not None
    laps = Laps()
    near = neighbourhood(persons, signals, previous, s)
    laps.lap("neighbourhood")
    # the day's rows by their position in ``persons``, in prepare's order
    near_rows = np.flatnonzero(near.near.to_numpy())
    near_persons = persons.take(near_rows)
    near_positions = prepared_positions(near_persons, near_rows)
    decided = decided_pairs(
        near_persons,
        signals.join(near_persons.select(SIGNAL_KEY).unique(), on=list(SIGNAL_KEY), how="semi"),
        s,
        previous,
        near_positions,
        near.fresh,
        near.blocking(near_positions),
    )
    laps.lap("decide")
    # only the components a decisive pair reaches are linked again
    ends = decided.pairs.filter("decisive")
    ends_rows = np.concatenate([ends.get_column("a"), ends.get_column("b")])
    mentioned = mentions(signals, s)
    if mentioned.height:
        reach = _NoteReach(mentioned, near.holdings, s)
        closure, held = near.close(ends_rows, reach), reach.held()
    else:
        closure, held = near.close(ends_rows), None
    inside = closure.signals
    sub_signals = signals.join(inside, on=list(SIGNAL_KEY), how="semi")
    closure_rows = np.flatnonzero(closure.rows.to_numpy())
    closure_persons = persons.take(closure_rows)
    laps.lap("closure")
    result = link_persons(
        closure_persons,
        sub_signals,
        s,
        key=key,
        run_partitions=run_partitions,
        partitions=partitions,
        previous=closure.state,
        blocking=decided.blocking(prepared_positions(closure_persons, closure_rows)),
    )
    assert result.incremental
    laps.lap("link")
    members = family_members(result.family_links, sub_signals, mentioned, held, s, key)
    families = link_families(members, sub_signals, key=key)
    judged = recurrence(sub_signals, members, families)
    laps.lap("families")
    present = signals.select(*SIGNAL_KEY)
    gone = pl.concat([inside, near.erased])  # re-linked here, or no longer there

    def outside(frame: pl.DataFrame) -> pl.DataFrame:
        return without_signals(frame, gone)

    person_links = _merge_at(
        conform(outside(previous.person_links), PERSON_LINKS),
        conform(result.person_links, PERSON_LINKS),
        closure.rows.to_numpy(),
    )
    merged = pl.concat(
        [conform(outside(previous.families), SIGNAL_FAMILIES), conform(judged, SIGNAL_FAMILIES)]
    )
    signal_families = _in_signal_order(present, merged)
    edges = pl.concat(
        [
            conform(previous.edges.filter(closure.outside_edges), LINK_EDGES),
            conform(result.edges, LINK_EDGES),
        ]
    )
    laps.lap("merge")
    seconds = {**near.seconds, **result.seconds, **laps.seconds}
    linked = _linked(result, s, key, persons.height, person_links, signal_families, edges, seconds)
    laps.lap("stats")
    seconds |= laps.seconds
    linked.stats["fresh_rows"] = int(near.fresh.sum())
    linked.stats["note_members"] = members.height - result.family_links.height
    linked.stats["candidate_pairs"] = decided.pairs.height
    linked.stats["neighbourhood_rows"] = int(near.near.sum())
    linked.stats["closure_rows"] = int(closure.rows.sum())
    linked.stats["closure_signals"] = inside.height
    linked.stats["closure_rounds"] = closure.rounds
    return linked


def _closure_tokens(
    mentioned: pl.DataFrame, holdings: pl.DataFrame, inside: pl.DataFrame, in_rows: pl.Series
) -> pl.Series:
    """The BSN and phone tokens the notes of the signals ``inside`` name or their rows hold
    (``holdings``: ``Neighbourhood.holdings``)."""
    own = holdings.filter(in_rows).select(pl.concat_list(*HELD).alias("t")).explode("t")
    named = mentioned.join(inside, on=SIGNAL_KEY, how="semi").get_column("token")
    return pl.concat([named, own.get_column("t")]).drop_nulls()


class _NoteReach:
    """How a day's closure grows over note tokens (``Grow`` of ``Neighbourhood.close``): to
    every signal sharing a usable one with a signal inside (``linkage.notes.reached_signals``),
    so that the families ``note_members`` joins lie inside it whole, as in a whole-history
    run. ``held``: the person rows holding the tokens of every signal it was asked about."""

    def __init__(self, mentioned: pl.DataFrame, holdings: pl.DataFrame, s: LinkageSettings):
        self._mentioned, self._holdings, self._s = mentioned, holdings, s
        self._held: list[pl.DataFrame] = []

    def __call__(self, inside: pl.DataFrame, in_rows: pl.Series) -> pl.DataFrame:
        tokens = _closure_tokens(self._mentioned, self._holdings, inside, in_rows)
        self._held.append(holders(self._holdings, tokens))
        return reached_signals(self._mentioned, self._held[-1], inside, self._s)

    def held(self) -> pl.DataFrame:
        empty = holders(self._holdings.clear(), pl.Series([], dtype=pl.String))
        return pl.concat([empty, *self._held]).unique()


def _merge_at(kept: pl.DataFrame, new: pl.DataFrame, inside: npt.NDArray[np.bool_]) -> pl.DataFrame:
    """The rows of both in the order of ``KEY`` (a full link's order), placed where the
    persons table holds them: ``new`` (the closure's links, in ``KEY`` order) at the rows
    ``inside`` the closure, ``kept`` (the previous links of every other row, in ``KEY`` order:
    every run writes them so) at the others. That is the order of ``KEY`` when the persons
    table is (intake writes it so); checked on each pair of neighbours a new row has, one
    gather and a few thousand comparisons instead of merging by a key of strings. Otherwise
    merged by key."""
    n = inside.size
    if new.height != int(inside.sum()) or kept.height + new.height != n:
        return _merge_in_order(kept, new)
    order = np.empty(n, dtype=np.int64)
    order[~inside] = np.arange(kept.height)
    order[inside] = kept.height + np.arange(new.height)
    placed = pl.concat([kept, new]).select(pl.all().gather(order))
    # every pair of neighbours with a new row in it ascends (the others are kept's own)
    at = np.flatnonzero(inside)
    first = np.unique(np.concatenate([at - 1, at]).clip(0, max(n - 2, 0)))
    if n > 1 and not _ascending(placed.select(KEY)[first], placed.select(KEY)[first + 1]):
        return _merge_in_order(kept, new)
    return placed


def _ascending(a: pl.DataFrame, b: pl.DataFrame) -> bool:
    """Whether each row of ``a`` comes before the row of ``b`` beside it in ``KEY`` order."""
    both = a.with_columns(b.select(pl.all().name.suffix("_b")))
    before = pl.lit(False)
    for column in reversed(KEY):
        left, right = pl.col(column), pl.col(f"{column}_b")
        before = (left < right) | ((left == right) & before)
    return bool(both.select(before.all()).item())


def _in_signal_order(present: pl.DataFrame, merged: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``merged`` (one per signal) for the signals ``present``, in their order, null
    where none: joined on the signals' hashes, and the keys checked equal (else by the keys)."""
    left = present.with_columns(signal_hash().alias("_s"))
    right = merged.with_columns(signal_hash().alias("_s"))
    joined = left.join(right, on="_s", how="left", maintain_order="left", suffix="_m")
    names = [f"{c}_m" for c in SIGNAL_KEY]
    same = joined.height == present.height and bool(
        joined.select(
            pl.all_horizontal(
                pl.col(c).eq(pl.col(m)) | pl.col(m).is_null()
                for c, m in zip(SIGNAL_KEY, names, strict=True)
            ).all()
        ).item()
    )
    if not same:  # a hash shared by two signals
        return present.join(merged, on=list(SIGNAL_KEY), how="left", maintain_order="left")
    return joined.select(merged.columns)


def _merge_in_order(kept: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """The rows of both in the order of ``KEY`` (a full link's order): the previous links are
    in that order already (checked), so the new ones are merged in, not the whole sorted."""
    key = pl.struct(*KEY).alias("_key")
    ordered = [kept.with_columns(key), new.with_columns(key)]
    ordered = [f if f.get_column("_key").is_sorted() else f.sort("_key") for f in ordered]
    return ordered[0].merge_sorted(ordered[1], key="_key").drop("_key")


def _linked(
    result: LinkResult,
    s: LinkageSettings,
    key: MasterKey | None,
    person_rows: int,
    person_links: pl.DataFrame,
    judged: pl.DataFrame,
    edges: pl.DataFrame,
    seconds: dict[str, float],
) -> Linked:
    """The tables and the statistics of one run."""
    repeat = judged.filter(pl.col("recurrence_category") != "eerste").height
    stats = {
        "person_rows": person_rows,
        "incremental": int(result.incremental),
        "fresh_rows": result.fresh_rows,
        "persons": person_links.get_column("person_id").n_unique(),
        "candidate_pairs": result.candidate_pairs,
        "linked_pairs": result.linked_pairs,
        "household_pairs": result.household_pairs,
        **{f"pairs_{rule}": n for rule, n in result.pairs_per_rule.items()},
        **{f"cluster_{name}": n for name, n in result.cluster_stats.items()},
        "signals": judged.height,
        "families": judged.get_column("family_id").n_unique(),
        "repeat_signals": repeat,
    }
    return Linked(
        person_links=person_links,
        signal_families=judged,
        edges=edges,
        model=model_table(result.model, s, key),
        frequencies=conform(
            result.model.frequencies
            if result.model.frequencies is not None
            else LINK_FREQUENCIES.empty(),
            LINK_FREQUENCIES,
        ),
        stats=stats,
        seconds=seconds,
        persons=result,
    )
