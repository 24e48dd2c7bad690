"""The ``radar`` command: a convenience over the Prefect flows (the same functions deployments run).

Settings are built once here (``RadarSettings``, env prefix ``RADAR_``). Flows read the same
environment, so what the CLI sets for a flow it sets in the environment, never as a flow
parameter (parameters are stored by the Prefect server; secrets must not be).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from radar.cli.render import (
    progress_reporter,
    show_bundle,
    show_quality,
    show_rejections,
    show_run_summary,
)
from radar.errors import RadarError

app = typer.Typer(
    name="radar",
    help="Radar: privacy-preserving signal linking and data quality for Veilig Thuis.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
bench_app = typer.Typer(help="Benchmarks that print figures.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
keys_app = typer.Typer(help="The pseudonymisation master key.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
export_app = typer.Typer(help="Files for analysts.", no_args_is_help=True)
app.add_typer(export_app, name="export")

console = Console()
DEMO_MARKER = ".radar-demo"


def _quiet_prefect(verbose: bool) -> None:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "WARNING")


class _WithoutRadarErrors(logging.Filter):
    """Drops Prefect's log (with traceback) of a flow that failed with a :class:`RadarError`:
    the command says what went wrong in one line, and the server still gets the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], RadarError))


def _console_without_radar_errors(verbose: bool) -> None:
    """Call after importing the flows (Prefect sets up its logging on import)."""
    if not verbose:
        for handler in logging.getLogger().handlers:
            handler.addFilter(_WithoutRadarErrors())


def _fail(error: RadarError) -> typer.Exit:
    console.print(f"[bold red]error:[/] {error}")
    return typer.Exit(code=2)


@app.command()
def run(
    inbox: Annotated[Path, typer.Option(help="directory of deliveries (one subdirectory each)")],
    data: Annotated[Path, typer.Option(help="the data store directory")],
    verbose: Annotated[bool, typer.Option(help="show Prefect's logs")] = False,
) -> None:
    """Process every delivery in INBOX not yet processed into the data store DATA."""
    _quiet_prefect(verbose)
    from flows.run import radar_run

    _console_without_radar_errors(verbose)
    try:
        with progress_reporter(console):
            summary = radar_run(inbox=str(inbox), data=str(data))
    except RadarError as error:
        raise _fail(error) from error
    show_run_summary(console, summary)
    show_rejections(console, summary)
    show_quality(console, summary)


@app.command()
def publish(
    data: Annotated[Path, typer.Option(help="the data store directory")],
    period: Annotated[str, typer.Option(help="2024, 2024H1, 2024H2, or latest")],
    out: Annotated[Path, typer.Option(help="the bundles' directory (OUT/<period>/)")],
    verbose: Annotated[bool, typer.Option(help="show Prefect's logs")] = False,
) -> None:
    """Write the publication bundle of PERIOD, or refuse (exit code 2) when a gate fails."""
    _quiet_prefect(verbose)
    from flows.publication import radar_publish

    try:
        bundles = radar_publish(data=str(data), period=period, out=str(out))
    except RadarError as error:
        raise _fail(error) from error
    for bundle in bundles:
        show_bundle(console, bundle)


@app.command()
def rebuild(
    inbox: Annotated[Path, typer.Option(help="directory of deliveries (one subdirectory each)")],
    data: Annotated[Path, typer.Option(help="the data store directory")],
    retrain: Annotated[
        bool, typer.Option(help="train a new linkage model instead of relinking with the current")
    ] = False,
    verbose: Annotated[bool, typer.Option(help="show Prefect's logs")] = False,
) -> None:
    """Rebuild the data store DATA from every delivery in INBOX (a new snapshot, atomically)."""
    _quiet_prefect(verbose)
    from flows.rebuild import radar_rebuild

    _console_without_radar_errors(verbose)
    try:
        with progress_reporter(console):
            summary = radar_rebuild(inbox=str(inbox), data=str(data), retrain=retrain)
    except RadarError as error:
        raise _fail(error) from error
    show_run_summary(console, summary)
    show_rejections(console, summary)


@export_app.command("links")
def export_links(
    data: Annotated[Path, typer.Option(help="the data store directory")],
    out: Annotated[Path, typer.Option(help="where to write the two link files")],
    verbose: Annotated[bool, typer.Option(help="show Prefect's logs")] = False,
) -> None:
    """Write person_links.csv and signal_families.csv of the store's current snapshot."""
    _quiet_prefect(verbose)
    from flows.export import export_links as export

    _console_without_radar_errors(verbose)
    try:
        done = export(data=str(data), out=str(out))
    except RadarError as error:
        raise _fail(error) from error
    console.print(
        f"snapshot {done.snapshot}: {done.person_rows:,} person rows → {done.person_links}"
    )
    console.print(f"snapshot {done.snapshot}: {done.signals:,} signals → {done.signal_families}")


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="output directory (inbox/ and truth/)")],
    seed: int = 7,
    start_year: int = 2016,
    years: int = 10,
    scale: Annotated[float, typer.Option(help="1.0 = national volumes")] = 1.0,
    notes: Annotated[bool, typer.Option(help="write free-text notes")] = True,
) -> None:
    """Write synthetic national deliveries and their ground truth."""
    from radar.synth import SynthConfig, generate

    summary = generate(
        SynthConfig(seed=seed, start_year=start_year, years=years, scale=scale, notes=notes), out
    )
    console.print(
        f"{summary.signals:,} signals, {summary.person_rows:,} person rows in "
        f"{summary.deliveries:,} deliveries, {summary.seconds:.1f} s\n"
        f"inbox: {summary.inbox}\ntruth: {summary.truth}"
    )


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="where the demo writes")] = Path(
        "radar-demo"
    ),
    seed: int = 7,
    years: int = 2,
    scale: Annotated[float, typer.Option(help="share of national volumes")] = 0.02,
    verbose: bool = False,
) -> None:
    """Make a synthetic national data set and run the whole pipeline on it."""
    from radar.settings import RadarSettings
    from radar.synth import SynthConfig, generate

    _quiet_prefect(verbose)
    if directory.exists():
        if not (directory / DEMO_MARKER).exists():
            raise _fail(RadarError(f"{directory} exists and is not a demo directory"))
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    (directory / DEMO_MARKER).write_text("made by radar demo; safe to delete\n")
    settings = RadarSettings()
    if not settings.keys.configured():
        key_file = directory / "demo-master.key"
        _write_demo_key(key_file)
        os.environ["RADAR_KEYS__MASTER_KEY_FILE"] = str(key_file)
        console.print(
            f"[yellow]No key configured: made a local demo key at {key_file} "
            "(for synthetic data only).[/]"
        )
    console.print(f"Generating synthetic deliveries ({years} years, scale {scale}) ...")
    synthetic = generate(
        SynthConfig(seed=seed, start_year=2023, years=years, scale=scale), directory / "synth"
    )
    console.print(
        f"  {synthetic.signals:,} signals, {synthetic.person_rows:,} person rows, "
        f"{synthetic.deliveries:,} deliveries ({synthetic.seconds:.1f} s)"
    )
    from flows.run import radar_run

    _console_without_radar_errors(verbose)
    data = directory / "data"
    try:
        with progress_reporter(console):
            summary = radar_run(inbox=str(synthetic.inbox), data=str(data))
    except RadarError as error:
        raise _fail(error) from error
    show_run_summary(console, summary)
    show_quality(console, summary)
    from flows.publication import radar_publish

    period = str(2023 + years - 1)  # the last full year of the synthetic data
    publications = directory / "publication"
    try:
        (bundle,) = radar_publish(data=str(data), period=period, out=str(publications))
    except RadarError as error:
        raise _fail(error) from error
    show_bundle(console, bundle)
    console.print(
        f"\nData store:     {data}\nRun report:     {summary.report}\n"
        f"Quality report: {summary.quality_report}\n"
        f"Published:      {bundle.path} ({period})\n"
        f"Bundle quality: {bundle.data_docs}\n"
        f"Ground truth:   {synthetic.truth}"
    )


def _write_demo_key(path: Path) -> None:
    from pseudonymise.keys import new_key_file

    new_key_file(path, label="demo")


@keys_app.command("new")
def keys_new(
    path: Annotated[Path, typer.Argument(help="the key file to create (mode 0600)")],
    label: Annotated[str, typer.Option(help="public version name of the key, e.g. 2026-11")] = "k1",
    overwrite: bool = False,
) -> None:
    """Make a new random master key file; prints its key id, never the key."""
    from pseudonymise.keys import new_key_file

    try:
        key = new_key_file(path, label=label, overwrite=overwrite)
    except RadarError as error:
        raise _fail(error) from error
    console.print(
        f"new key {key.key_id} written to {path}\n"
        f"use it with: export RADAR_KEYS__MASTER_KEY_FILE={path}"
    )


@keys_app.command("id")
def keys_id() -> None:
    """Print the key id of the configured master key (safe to share; the key stays secret)."""
    from pseudonymise.keys import MasterKey
    from radar.settings import RadarSettings

    try:
        key = MasterKey.from_settings(RadarSettings().keys)
    except RadarError as error:
        raise _fail(error) from error
    console.print(key.key_id)


@bench_app.command("intake")
def bench_intake(
    scale: Annotated[float, typer.Option(help="share of national volumes")] = 1.0,
    years: int = 1,
) -> None:
    """Person rows per second of the generator and of intake."""
    from radar.bench import bench_intake as measure

    measure(console, scale=scale, years=years)


@bench_app.command("gates")
def bench_gates(
    rows: Annotated[int, typer.Option(help="person rows the gates check")] = 1_000_000,
) -> None:
    """Seconds of the intake, store and aggregates quality gates on clean replicated tables."""
    from bench.gates import bench_gates as measure

    figures = measure(console, rows=rows)
    if not all(figures[f"{name}_passed"] for name in ("intake", "store", "aggregates")):
        raise typer.Exit(1)


@bench_app.command("linkage")
def bench_linkage(
    scale: Annotated[float, typer.Option(help="share of national volumes")] = 0.02,
    years: Annotated[int, typer.Option(help="calendar years simulated")] = 10,
    seeds: Annotated[str, typer.Option(help="comma-separated generator seeds")] = "1,2,3",
    splink: Annotated[
        bool, typer.Option(help="also link the plaintext with Splink 5 and print both")
    ] = False,
) -> None:
    """Link quality against the synthetic truth (pairwise, from contingency tables) and speed."""
    from radar.bench import figures_table

    seed_list = tuple(int(s) for s in seeds.split(","))
    if splink:
        from bench.side_by_side import bench_side_by_side, side_by_side_table

        for seed in seed_list:
            both = bench_side_by_side(seed=seed, scale=scale, years=years)
            title = f"radar bench linkage --splink (seed {seed}, scale {scale}, {years} years)"
            console.print(side_by_side_table(title, both))
        return
    from linkage.bench import bench_synth

    for figures in bench_synth(seeds=seed_list, scale=scale, years=years):
        title = f"radar bench linkage (seed {figures['seed']:.0f}, scale {scale}, {years} years)"
        console.print(figures_table(title, figures))


@bench_app.command("incremental")
def bench_incremental(
    scale: Annotated[float, typer.Option(help="share of national volumes")] = 0.02,
    years: Annotated[int, typer.Option(help="calendar years of history")] = 10,
    seed: Annotated[int, typer.Option(help="generator seed")] = 1,
    day: Annotated[int, typer.Option(help="signals in the day's delivery")] = 1000,
) -> None:
    """One day's delivery linked against the history, and the same partition as a full relink."""
    from linkage.bench import bench_incremental as measure
    from radar.bench import figures_table

    figures = measure(seed=seed, scale=scale, years=years, day_signals=day)
    title = f"radar bench incremental (seed {seed}, scale {scale}, {years} years, day {day})"
    console.print(figures_table(title, figures))


@bench_app.command("dask")
def bench_dask(
    scale: Annotated[float, typer.Option(help="share of national volumes")] = 0.02,
    years: Annotated[int, typer.Option(help="calendar years simulated")] = 10,
    workers: Annotated[str, typer.Option(help="comma-separated Dask worker counts")] = "1,2",
) -> None:
    """Link time of the radar-link flow in-process and on local Dask clusters (set
    PREFECT_API_URL to a running server, or every Dask worker starts a temporary one)."""
    _quiet_prefect(False)
    from flows.bench import bench_dask as measure
    from radar.bench import figures_table

    for figures in measure(
        scale=scale, years=years, workers=tuple(int(w) for w in workers.split(","))
    ):
        title = f"radar bench dask ({figures['dask_workers']:.0f} workers, scale {scale})"
        console.print(figures_table(title, figures))


@bench_app.command("febrl")
def bench_febrl(
    postcodes: Annotated[
        str, typer.Option(help="Australian postcodes: 'pc4' (NNNN + AA) or 'drop'")
    ] = "pc4",
    splink: Annotated[bool, typer.Option(help="also run Splink 5 on the raw files")] = True,
) -> None:
    """FEBRL4 (file A as VT01, file B as VT02, no soc_sec_id) through the whole pipeline."""
    from bench.febrl import FEBRL_ROWS, misses_table
    from bench.febrl import bench_febrl as measure
    from bench.side_by_side import side_by_side_table

    if postcodes not in ("drop", "pc4"):
        raise typer.BadParameter("postcodes must be 'drop' or 'pc4'")
    figures, misses = measure(postcodes="pc4" if postcodes == "pc4" else "drop", splink=splink)
    title = f"radar bench febrl (postcodes {postcodes})"
    console.print(side_by_side_table(title, figures, FEBRL_ROWS))
    console.print(
        "Radar's missed true pairs by cause; per field: differs/missing (counts, no values)"
    )
    console.print(misses_table(misses))


@bench_app.command("pseudonymise")
def bench_pseudonymise(
    persons: Annotated[
        int, typer.Option(help="structured person rows to pseudonymise")
    ] = 1_000_000,
    notes: Annotated[int, typer.Option(help="synthetic notes to redact")] = 4_000,
    note_chars: Annotated[int, typer.Option(help="only notes at least this long")] = 280,
    workers: Annotated[int, typer.Option(help="note redaction processes")] = 2,
    attack: Annotated[bool, typer.Option(help="also run the frequency attack (~2 min)")] = False,
) -> None:
    """Person rows/s, notes/s with recall and precision per type, and the frequency attack."""
    from pseudonymise.bench import bench_persons
    from pseudonymise.redact.evaluate import evaluate_redaction
    from radar.bench import figures_table

    structured = bench_persons(persons)
    console.print(figures_table("structured person rows", structured))
    report = evaluate_redaction(notes, seed=7, workers=workers, min_chars=note_chars)
    console.print(
        figures_table(
            "note redaction",
            {
                "notes": report.notes,
                "mean_chars": report.mean_chars,
                "workers": report.workers,
                "startup_seconds": report.startup_seconds,
                "seconds": report.seconds,
                "notes_per_second": report.notes / report.seconds if report.seconds else 0.0,
                "notes_per_cpu_second": report.notes / report.cpu_seconds
                if report.cpu_seconds
                else 0.0,
                "withheld": report.withheld,
                "token_precision": report.token_precision,
                "token_recall": report.token_recall,
                **{f"recall_{r.entity_type}": r.found / r.spans for r in report.recall if r.spans},
            },
        )
    )
    if attack:
        from pseudonymise.attack import format_report, run_attacks

        console.print(format_report(run_attacks()))


def main() -> None:  # pragma: no cover - console script entry
    app()
