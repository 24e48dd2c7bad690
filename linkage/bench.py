"""``radar bench linkage``: link quality and speed against the synthetic generator's truth.

For each seed: generate deliveries, take them in (re-deliveries and erasures applied),
pseudonymise the persons with a throwaway key and tokenise what the notes name
(``pseudonymise.note_tokens``; the notes are not redacted here: linkage never sees them), link,
and score against the truth (``linkage.evaluate``: pairwise metrics from contingency tables).
"""

from __future__ import annotations

import itertools
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from linkage.evaluate import evaluate
from linkage.incremental import link_state
from linkage.pipeline import Linked, link_all
from pseudonymise.keys import MasterKey
from pseudonymise.note_tokens import with_note_tokens
from pseudonymise.persons import pseudonymise_persons
from radar.intake.delivery import RawDelivery, intake_batch, read_deliveries
from radar.intake.merge import IntakeTables, merge_intakes
from radar.settings import IntakeSettings, LinkageSettings
from radar.synth import SynthConfig, generate

BENCH_KEY = MasterKey(b"radar-linkage-benchmark-key-0001")
#: Signals whose notes are tokenised at a time (a note is a Python string while its numbers
#: are found).
_NOTE_SLICE = 200_000


@dataclass(frozen=True)
class SynthStore:
    """A synthetic store as the link stage sees it, with the plaintext and the truth beside."""

    signals: pl.DataFrame  # intake signals (kind, dates; the note's tokens, not the note)
    persons_plain: pl.DataFrame  # intake persons, normalised plaintext (for Splink only)
    persons: pl.DataFrame  # pseudonymised persons
    truth: Path
    seconds: dict[str, float]


def synth_store(
    root: Path, *, seed: int, scale: float, years: int, start_year: int, notes: bool = True
) -> SynthStore:
    """Generate, take in and pseudonymise one synthetic data set under ``root`` (``notes``:
    with notes, whose identifiers' tokens the signals then carry)."""
    clock: dict[str, float] = {}
    started = time.perf_counter()
    synth = generate(
        SynthConfig(seed=seed, start_year=start_year, years=years, scale=scale, notes=notes), root
    )
    clock["generate"] = time.perf_counter() - started
    started = time.perf_counter()
    directories = sorted(p for p in synth.inbox.iterdir() if p.is_dir())
    tables = IntakeTables.empty()
    # a year of deliveries at a time, in the order daily runs take them in: ten national
    # years of raw files do not fit in memory beside their intake
    for _, year in itertools.groupby(directories, key=lambda p: p.name[:4]):
        raws = [r for r in read_deliveries(list(year)) if isinstance(r, RawDelivery)]
        tables, _ = merge_intakes(tables, intake_batch(raws, IntakeSettings()))
        del raws
    clock["intake"] = time.perf_counter() - started
    started = time.perf_counter()
    persons = pseudonymise_persons(tables.persons, BENCH_KEY)
    signals = pl.concat(
        with_note_tokens(part, BENCH_KEY).drop("note")
        for part in tables.signals.iter_slices(_NOTE_SLICE)
    )
    clock["pseudonymise"] = time.perf_counter() - started
    return SynthStore(signals, tables.persons, persons, synth.truth, clock)


def link_and_score(
    store: SynthStore, settings: LinkageSettings | None = None
) -> tuple[Linked, dict[str, float]]:
    """Link ``store`` and score the result; figures include seconds per step."""
    started = time.perf_counter()
    linked = link_all(store.signals, store.persons, settings, key=BENCH_KEY)
    seconds = time.perf_counter() - started
    figures = evaluate(store.truth, linked.person_links, linked.signal_families)
    figures |= {f"seconds_{step}": s for step, s in linked.seconds.items()}
    figures["link_seconds"] = seconds
    figures["candidate_pairs"] = float(linked.stats["candidate_pairs"])
    figures["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return linked, figures


def bench_synth(
    *,
    seeds: tuple[int, ...],
    scale: float,
    years: int,
    start_year: int = 2016,
    settings: LinkageSettings | None = None,
) -> list[dict[str, float]]:
    """Figures per seed (see ``link_and_score``)."""
    out = []
    for seed in seeds:
        with tempfile.TemporaryDirectory(prefix="radar-bench-linkage-") as tmp:
            store = synth_store(
                Path(tmp), seed=seed, scale=scale, years=years, start_year=start_year
            )
            _, figures = link_and_score(store, settings)
            out.append({"seed": float(seed), **figures})
    return out


def bench_incremental(
    *, seed: int, scale: float, years: int, day_signals: int, start_year: int = 2016
) -> dict[str, float]:
    """One day's delivery linked against the history, and checked against a full relink.

    The history (every signal but the ``day_signals`` received last) is linked in full; then
    the day is linked incrementally on that state, and the whole store relinked in full with
    the same model. Figures: seconds of each, the day's rows, and how many person ids, family
    ids and accepted person pairs the two disagree on (0: the same partition).
    """
    with tempfile.TemporaryDirectory(prefix="radar-bench-incremental-") as tmp:
        store = synth_store(Path(tmp), seed=seed, scale=scale, years=years, start_year=start_year)
    key = ["region_code", "signal_id"]
    day = store.signals.sort("received_on", *key).tail(day_signals).select(key)
    signals = store.signals.join(day, on=key, how="anti")
    persons = store.persons.join(day, on=key, how="anti")
    started = time.perf_counter()
    history = link_all(signals, persons, key=BENCH_KEY)
    history_seconds = time.perf_counter() - started
    state = link_state(
        persons,
        history.person_links,
        history.edges,
        history.model,
        history.frequencies,
        history.signal_families,
    )
    assert state is not None
    started, cpu = time.perf_counter(), time.process_time()
    daily = link_all(store.signals, store.persons, key=BENCH_KEY, previous=state)
    daily_seconds = time.perf_counter() - started
    daily_cpu = time.process_time() - cpu
    started = time.perf_counter()
    full = link_all(store.signals, store.persons, key=BENCH_KEY, model=state.model)
    full_seconds = time.perf_counter() - started

    def differ(a: pl.DataFrame, b: pl.DataFrame, on: list[str], column: str) -> float:
        both = a.join(b, on=on, how="full", suffix="_b")
        return float(both.filter(pl.col(column).ne_missing(pl.col(f"{column}_b"))).height)

    edges = ["left", "right"]
    return {
        "history_person_rows": float(persons.height),
        "day_signals": float(day.height),
        "day_person_rows": float(daily.stats["fresh_rows"]),
        "history_link_seconds": history_seconds,
        "day_link_seconds": daily_seconds,
        "day_link_cpu_seconds": daily_cpu,
        "day_neighbourhood_rows": float(daily.stats.get("neighbourhood_rows", 0)),
        **{f"day_seconds_{step}": s for step, s in daily.seconds.items()},
        "day_candidate_pairs": float(daily.stats["candidate_pairs"]),
        "full_relink_seconds": full_seconds,
        "person_ids_differing": differ(
            daily.person_links,
            full.person_links,
            ["region_code", "signal_id", "person_seq"],
            "person_id",
        ),
        "family_ids_differing": differ(
            daily.signal_families, full.signal_families, key, "family_id"
        ),
        "person_pairs_differing": differ(
            daily.edges.filter(pl.col("kind") == "person").with_columns(pl.lit(1).alias("x")),
            full.edges.filter(pl.col("kind") == "person").with_columns(pl.lit(1).alias("x")),
            edges,
            "x",
        ),
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    }
