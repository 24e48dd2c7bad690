"""Benchmarks that print figures (`radar bench ...`): speed is checked here, not in tests."""

from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from radar.intake.delivery import RawDelivery, intake_batch, read_deliveries
from radar.intake.merge import IntakeTables, merge_intakes
from radar.settings import IntakeSettings


def machine() -> str:
    """The machine's size, to print beside every figure."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}"


def bench_intake(console: Console, *, scale: float, years: int, seed: int = 11) -> dict[str, float]:
    """Generate deliveries, then time intake on them: person rows per second of each."""
    from radar.synth import SynthConfig, generate

    with tempfile.TemporaryDirectory(prefix="radar-bench-") as tmp:
        synth = generate(
            SynthConfig(seed=seed, start_year=2023, years=years, scale=scale), Path(tmp)
        )
        directories = sorted(p for p in synth.inbox.iterdir() if p.is_dir())
        settings = IntakeSettings()
        load = os.getloadavg()[0]
        started, cpu_started = time.perf_counter(), time.process_time()
        raws = [r for r in read_deliveries(directories) if isinstance(r, RawDelivery)]
        read_seconds = time.perf_counter() - started
        read_cpu = time.process_time() - cpu_started
        batch = intake_batch(raws, settings)
        check_seconds = time.perf_counter() - started - read_seconds
        check_cpu = time.process_time() - cpu_started - read_cpu
        merge_intakes(IntakeTables.empty(), batch)
        intake_seconds = time.perf_counter() - started
        intake_cpu = time.process_time() - cpu_started
    person_rows = sum(raw.received.get("persons.csv", 0) for raw in raws)
    # CPU seconds (all threads) beside the wall seconds: on a shared machine the wall time
    # says as much about the other processes as about intake.
    figures = {
        "signals": float(synth.signals),
        "person_rows": float(person_rows),
        "deliveries": float(len(directories)),
        "generator_seconds": synth.seconds,
        "generator_person_rows_per_s": synth.person_rows / synth.seconds,
        "load_average_1m": load,
        "intake_read_seconds": read_seconds,
        "intake_read_cpu_seconds": read_cpu,
        "intake_check_seconds": check_seconds,
        "intake_check_cpu_seconds": check_cpu,
        "intake_merge_seconds": intake_seconds - read_seconds - check_seconds,
        "intake_merge_cpu_seconds": intake_cpu - read_cpu - check_cpu,
        "intake_seconds": intake_seconds,
        "intake_cpu_seconds": intake_cpu,
        "intake_person_rows_per_s": person_rows / intake_seconds,
    }
    console.print(figures_table(f"radar bench intake (scale {scale}, {years} year(s))", figures))
    return figures


def figures_table(title: str, figures: dict[str, float]) -> Table:
    """Figures as a table titled with what was measured and on which machine."""
    table = Table(title=f"{title} on {machine()}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in figures.items():
        table.add_row(name, f"{value:,.3f}" if value % 1 else f"{value:,.0f}")
    return table
