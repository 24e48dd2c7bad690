"""Radar and Splink on the same synthetic store in one run, printed side by side.

Both engines get the same intake tables: Radar the pseudonymised persons (tokens and Bloom
filters), Splink the plaintext intake persons. Families and recurrence come from each engine's
person links through the same ``linkage.families`` and ``linkage.recurrence``; both are scored
by ``linkage.evaluate`` against the generator's truth. Times are wall and CPU (user + sys, all
threads of this process) of each engine's link stage, persons through recurrence.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Final

from rich.table import Table

from linkage.bench import link_and_score, synth_store
from linkage.evaluate import evaluate
from linkage.families import link_families
from linkage.recurrence import recurrence
from radar.bench import machine
from radar.settings import LinkageSettings

#: Figures shown side by side, in this order (others are left out of the table).
ROWS: Final = (
    "person_rows",
    "identifiable_precision",
    "identifiable_recall",
    "identifiable_f1",
    "person_precision",
    "person_recall",
    "person_f1",
    "family_precision",
    "family_recall",
    "family_f1",
    "recurrence_accuracy",
    "prior_signals_exact",
    "prior_other_region_accuracy",
    "candidate_pairs",
    "pairs_above_threshold",
    "link_seconds",
    "link_cpu_seconds",
)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench_side_by_side(
    *,
    seed: int,
    scale: float,
    years: int,
    start_year: int = 2016,
    settings: LinkageSettings | None = None,
    splink_threshold: float = 0.9,
) -> dict[str, dict[str, float]]:
    """Figures per engine (``radar``, ``splink``) on one synthetic store."""
    from bench.splink_synth import link_splink

    with tempfile.TemporaryDirectory(prefix="radar-bench-linkage-") as tmp:
        store = synth_store(Path(tmp), seed=seed, scale=scale, years=years, start_year=start_year)
        cpu = _cpu()
        _, radar = link_and_score(store, settings)
        radar["link_cpu_seconds"] = _cpu() - cpu
        wall, cpu = time.perf_counter(), _cpu()
        linked = link_splink(store.persons_plain, store.signals, threshold=splink_threshold)
        families = link_families(linked.person_links, store.signals)
        judged = recurrence(store.signals, linked.person_links, families)
        seconds, cpu_seconds = time.perf_counter() - wall, _cpu() - cpu
        splink = evaluate(store.truth, linked.person_links, judged)
    splink |= {f"seconds_{step}": s for step, s in linked.seconds.items()}
    splink |= linked.stats
    splink |= {
        "link_seconds": seconds,
        "link_cpu_seconds": cpu_seconds,
        "pairs_above_threshold": linked.stats["scored_pairs"],
    }
    return {"radar": radar, "splink": splink}


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes), as ``uptime`` prints them."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def _cell(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value > 1 and not value % 1 else f"{value:,.4f}"


def side_by_side_table(
    title: str, figures: dict[str, dict[str, float]], rows: tuple[str, ...] = ROWS
) -> Table:
    """One table: a row per figure, a column per engine."""
    table = Table(title=f"{title} on {machine()}, {load()}")
    table.add_column("figure")
    engines = list(figures)
    for engine in engines:
        table.add_column(engine, justify="right")
    names = [r for r in rows if any(r in figures[e] for e in engines)]
    for name in names:
        table.add_row(name, *(_cell(figures[e].get(name)) for e in engines))
    return table
