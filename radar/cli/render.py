"""How the CLI shows progress and summaries (Rich)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeElapsedColumn
from rich.table import Table

from radar import progress

if TYPE_CHECKING:
    from flows.publication import PublishedBundle
    from flows.run import RunSummary


@contextlib.contextmanager
def progress_reporter(console: Console) -> Iterator[None]:
    """Show a bar per long step while the block runs."""
    bars = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    )
    tasks: dict[str, TaskID] = {}

    def report(step: str, done: int, total: int) -> None:
        if step not in tasks:
            tasks[step] = bars.add_task(step, total=total)
        bars.update(tasks[step], completed=done, total=total)

    with bars, progress.reporting(report):
        yield


def show_run_summary(console: Console, summary: RunSummary) -> None:
    table = Table(title=f"Radar run → snapshot {summary.snapshot}", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    for what, count in summary.counts():
        table.add_row(what, f"{count:,}")
    console.print(table)
    for warning in summary.warnings[:10]:
        console.print(f"[yellow]warning:[/] {warning}")
    if len(summary.warnings) > 10:
        console.print(
            f"[yellow]... and {len(summary.warnings) - 10} more warnings (see the run report)[/]"
        )


def show_rejections(console: Console, summary: RunSummary) -> None:
    for rejection in summary.rejected:
        console.print(f"[red]rejected:[/] {rejection['message']}")


def show_quality(console: Console, summary: RunSummary) -> None:
    """One line per gate of the run, and where its report is."""
    for gate, result in summary.quality.items():
        state = "[green]passed[/]" if result["passed"] else "[red]failed[/]"
        warnings = result["warnings"]
        extra = f", {len(warnings)} warnings" if isinstance(warnings, list) and warnings else ""
        console.print(
            f"quality gate {gate}: {state} ({result['expectations']} expectations{extra})"
        )
    if summary.quality_report:
        console.print(f"Quality report: {summary.quality_report}")


def show_bundle(console: Console, bundle: PublishedBundle) -> None:
    console.print(
        f"{bundle.period} (snapshot {bundle.snapshot}): {bundle.cells:,} cells, "
        f"{bundle.suppressed:,} not published (.) → {bundle.path}"
    )
    for warning in bundle.warnings:
        console.print(f"[yellow]gate warning:[/] {warning}")
    console.print(f"  aggregates:     {bundle.aggregates}\n  metadata:       {bundle.metadata}")
    console.print(f"  quality report: {bundle.data_docs}")
