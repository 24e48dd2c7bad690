"""The whole link stage in one call: persons, then families, then recurrence.

``link_all`` takes the pseudonymised store tables and returns the two link tables
(``linkage.schema``) with the statistics a run reports: candidate pairs per blocking rule,
linked pairs, clustering guards and the seconds each step took. It sees tokens, Bloom filters
and coarse clear columns only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import polars as pl

from linkage.families import link_families
from linkage.incremental import LinkState, model_table
from linkage.partition import PartitionMap
from linkage.persons import LinkResult, link_persons
from linkage.recurrence import recurrence
from linkage.schema import LINK_EDGES, LINK_FREQUENCIES, PERSON_LINKS, SIGNAL_FAMILIES
from linkage.score import LinkModel
from pseudonymise.keys import MasterKey
from radar.contract.schemas import conform
from radar.settings import LinkageSettings


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
    persons: pl.DataFrame,
    settings: LinkageSettings | None = None,
    *,
    key: MasterKey | None = None,
    run_partitions: PartitionMap | None = None,
    partitions: int = 1,
    previous: LinkState | None = None,
    model: LinkModel | None = None,
) -> Linked:
    """Link every person row of ``persons`` and judge every signal of ``signals``.

    ``run_partitions``, ``partitions``, ``previous`` and ``model``: see
    ``linkage.persons.link_persons``. Families and recurrence are always judged on all signals.
    """
    s = settings or LinkageSettings()
    result = link_persons(
        persons,
        signals,
        s,
        key=key,
        run_partitions=run_partitions,
        partitions=partitions,
        previous=previous,
        model=model,
    )
    started = time.perf_counter()
    families = link_families(result.family_links, signals, key=key)
    judged = recurrence(signals, result.family_links, families)
    seconds = {**result.seconds, "families": time.perf_counter() - started}
    repeat = judged.filter(pl.col("recurrence_category") != "eerste").height
    stats = {
        "person_rows": persons.height,
        "incremental": int(result.incremental),
        "fresh_rows": result.fresh_rows,
        "persons": result.person_links.get_column("person_id").n_unique(),
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
        person_links=conform(result.person_links, PERSON_LINKS),
        signal_families=conform(judged, SIGNAL_FAMILIES),
        edges=conform(result.edges, LINK_EDGES),
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
