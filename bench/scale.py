"""Scale bench of the link stage on a cached synthetic store.

``python -m bench.scale --cache DIR --scale 0.1 --years 10`` builds the pseudonymised store once
(generate, intake, pseudonymise: minutes at scale 1.0) and keeps it under ``DIR``
(``signals.parquet``, ``persons.parquet``, ``truth/``); later runs only link. Prints the link
stage's seconds per step, CPU seconds, peak RSS (this process) and candidate pairs per rule.

``--rules`` prints, per blocking rule, its candidate pairs, the true matches among them and the
true matches no other rule proposes (from the synthetic truth), to judge what a rule is worth.
``--quality`` scores the links against the truth (``linkage.evaluate``).

``--days K --day-signals N`` times the daily run at this scale: the history (every signal but
the ``K * N`` received last) is linked in full once and its state kept under ``DIR``
(``day-K-N/``); then each day of ``N`` signals is linked incrementally on the state the day
before left, from a scan of the persons as the link flow does. Prints each day's seconds (wall
and CPU), its rows, its neighbourhood and closure. ``radar bench incremental`` checks at small
scale that such a day gives the same partition as a full relink.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import time
from pathlib import Path

import numpy as np
import polars as pl

from linkage.bench import BENCH_KEY, SynthStore, synth_store
from linkage.evaluate import KEY, SIGNAL_KEY, evaluate
from linkage.incremental import ROW_KEY, LinkState, link_state
from linkage.person_file import PersonFile, laid_out
from linkage.persons import block
from linkage.pipeline import link_all
from linkage.prepare import prepare
from radar.settings import LinkageSettings


def cached_store(
    cache: Path, *, seed: int, scale: float, years: int, persons_read: bool = True
) -> SynthStore:
    """The store under ``cache``, built there first when absent (``persons_read``: with the
    persons table in memory; without, ``cache / "persons.parquet"`` is there to scan)."""
    persons = cache / "persons.parquet"
    if not persons.exists():
        cache.mkdir(parents=True, exist_ok=True)
        work = cache / "work"
        store = synth_store(work, seed=seed, scale=scale, years=years, start_year=2016)
        store.signals.write_parquet(cache / "signals.parquet")
        shutil.copytree(store.truth, cache / "truth", dirs_exist_ok=True)
        store.persons.write_parquet(persons)
        shutil.rmtree(work)
        (cache / "build.json").write_text(json.dumps(store.seconds))
    return SynthStore(
        pl.read_parquet(cache / "signals.parquet"),
        pl.DataFrame(),
        pl.read_parquet(persons) if persons_read else pl.DataFrame(),
        cache / "truth",
        {},
    )


def rule_report(store: SynthStore, settings: LinkageSettings) -> pl.DataFrame:
    """Per rule: pairs, true pairs among them, true pairs only this rule proposes."""
    p = prepare(store.persons, store.signals)
    cands = block(p, settings)
    truth = pl.read_parquet(store.truth / "persons.parquet").select(*KEY, "true_person_id")
    person = (
        p.rows.select(*KEY)
        .join(truth, on=KEY, how="left", maintain_order="left")
        .get_column("true_person_id")
        .rank("dense")
        .fill_null(0)
        .to_numpy()
        .astype(np.int64)
    )
    i = cands.pairs.get_column("i").to_numpy().astype(np.int64)
    j = cands.pairs.get_column("j").to_numpy().astype(np.int64)
    rules = cands.pairs.get_column("rules").to_numpy()
    true = (person[i] > 0) & (person[i] == person[j])
    counts = np.bincount(person)[1:]
    sig = p.clear["sig"]
    # true pairs of rows of different signals
    same_sig = (
        pl.DataFrame({"p": person, "s": sig}).filter(pl.col("p") > 0).group_by("p", "s").len()
    )
    within = int((same_sig.get_column("len") * (same_sig.get_column("len") - 1) // 2).sum())
    all_true = int((counts * (counts - 1) // 2).sum()) - within
    out = []
    for n, name in enumerate(cands.rule_names):
        has = (rules & (1 << n)) > 0
        only = rules == (1 << n)
        out.append(
            {
                "rule": name,
                "pairs": int(has.sum()),
                "true": int((has & true).sum()),
                "only": int(only.sum()),
                "only_true": int((only & true).sum()),
                "skipped_rows": cands.skipped_rows_per_rule.get(name, 0),
            }
        )
    out.append(
        {
            "rule": "ALL",
            "pairs": int(i.size),
            "true": int(true.sum()),
            "only": all_true,
            "only_true": 0,
            "skipped_rows": 0,
        }
    )
    return pl.DataFrame(out)


#: The link tables a day's state is made of, by their file names under ``day-K-N/``.
STATE_TABLES = ("person_links", "edges", "model", "frequencies", "signal_families")


def write_persons_of(
    persons: pl.LazyFrame, signals: pl.DataFrame, file: Path, *, link_file: bool = False
) -> None:
    """The rows of ``persons`` of ``signals``, in their order (the store's), at ``file``;
    with ``link_file``, laid out as the link flow writes them (``linkage.person_file``)."""
    keys = signals.lazy().select(SIGNAL_KEY)
    rows = persons.join(keys, on=SIGNAL_KEY, how="semi", maintain_order="left")
    if link_file:
        laid_out(rows).sink_parquet(file, compression="lz4")  # as ``flows.linking`` writes
    else:
        rows.sink_parquet(file)


def state_of(persons: Path, tables: list[pl.DataFrame]) -> LinkState:
    """The state a run on the persons at ``persons`` leaves for the next (``link_state``;
    ``tables``: the run's ``STATE_TABLES``)."""
    state = link_state(pl.read_parquet(persons, columns=list(ROW_KEY)), *tables)
    assert state is not None
    return state


def history_state(folder: Path, signals: pl.DataFrame, persons: pl.LazyFrame) -> LinkState:
    """The state of the history's full link, linked and kept under ``folder`` the first time
    (and again when the kept one is of other settings or an older linkage method)."""
    history = folder / "persons.parquet"
    complete = folder / "signal_families.parquet"

    def kept() -> LinkState:
        return state_of(history, [pl.read_parquet(folder / f"{t}.parquet") for t in STATE_TABLES])

    if complete.exists():
        state = kept()
        if state.usable(LinkageSettings(), state.rows.len(), BENCH_KEY):
            return state
        print("history: its kept state is of other settings or another linkage method")
        complete.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    write_persons_of(persons, signals, history)
    started = time.perf_counter()
    linked = link_all(signals, pl.scan_parquet(history), key=BENCH_KEY)
    print(f"history: {signals.height} signals linked in {time.perf_counter() - started:.1f} s")
    for table in STATE_TABLES:  # signal_families last: it marks a complete state
        getattr(linked, table).write_parquet(folder / f"{table}.parquet")
    return kept()


def day_runs(
    cache: Path, signals: pl.DataFrame, days: int, day_signals: int
) -> list[dict[str, float]]:
    """Link ``days`` days of ``day_signals`` signals each against the history, one by one;
    per day its seconds (wall and CPU) and the run's statistics."""
    ordered = signals.sort("received_on", *SIGNAL_KEY)
    cut = signals.height - days * day_signals
    folder = cache / f"day-{days}-{day_signals}"
    persons = pl.scan_parquet(cache / "persons.parquet")
    state = history_state(folder, ordered.head(cut), persons)
    figures: list[dict[str, float]] = []
    for day in range(days):
        upto = ordered.head(cut + (day + 1) * day_signals)
        file = folder / f"link-persons-day{day}.parquet"  # as the link flow writes them
        if not file.exists():
            write_persons_of(persons, upto, file, link_file=True)
        cpu, started = time.process_time(), time.perf_counter()
        linked = link_all(upto, PersonFile(file), key=BENCH_KEY, previous=state)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        received = upto.tail(day_signals).get_column("received_on").cast(pl.String)
        first, last = received.min(), received.max()
        stats = {k: v for k, v in linked.stats.items() if not k.startswith("cluster_")}
        steps = " ".join(f"{k} {v:.2f}" for k, v in linked.seconds.items() if "_cpu" not in k)
        print(
            f"day {day} ({day_signals} signals received {first!r}..{last!r}): "
            f"{wall:.1f} s wall, {cpu:.1f} s cpu; {steps}"
        )
        print({k: stats[k] for k in stats if k.endswith(("_rows", "_signals", "_rounds"))})
        state = state_of(file, [getattr(linked, table) for table in STATE_TABLES])
        figures.append({"seconds": wall, "cpu_seconds": cpu, **stats})
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak RSS of this process {rss:.2f} GiB (with the history's link when not kept)")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--rules", action="store_true")
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("--days", type=int, default=0)
    parser.add_argument("--day-signals", type=int, default=1000)
    args = parser.parse_args()
    started = time.perf_counter()
    # linking scans the persons table as the link flow does (``linkage.prepare``)
    store = cached_store(
        args.cache, seed=args.seed, scale=args.scale, years=args.years, persons_read=args.rules
    )
    persons = pl.scan_parquet(args.cache / "persons.parquet")
    rows = persons.select(pl.len()).collect().item()
    print(
        f"store: {rows} person rows, {store.signals.height} signals, "
        f"{time.perf_counter() - started:.1f} s"
    )
    if args.build_only:
        return
    if args.days:
        day_runs(args.cache, store.signals, args.days, args.day_signals)
        return
    settings = LinkageSettings()
    if args.rules:
        with pl.Config(tbl_rows=60):
            print(rule_report(store, settings))
        print("(ALL: only = true pairs of rows in different signals)")
        return
    cpu0 = time.process_time()
    started = time.perf_counter()
    linked = link_all(store.signals, persons, settings)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    steps = " ".join(f"{k} {v:.1f}" for k, v in linked.seconds.items())
    print(f"link: {wall:.1f} s wall, {cpu:.1f} s cpu, peak {rss:.2f} GiB; {steps}")
    print(f"per million rows: {wall / rows * 1e6:.1f} s, {rss / rows * 1e6:.2f} GiB")
    print({k: v for k, v in linked.stats.items() if not k.startswith("cluster_")})
    if args.quality:
        figures = evaluate(store.truth, linked.person_links, linked.signal_families)
        print({k: round(v, 4) for k, v in figures.items()})


if __name__ == "__main__":
    main()
