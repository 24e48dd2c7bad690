"""Progress of long steps, reported by stages and shown by whoever installed a reporter.

Stages call :func:`advance`; it does nothing unless an entry point (the CLI) installed a
reporter with :func:`reporting`. A plain module-level hook, so it works from Prefect task
threads too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Protocol


class Reporter(Protocol):
    def __call__(self, step: str, done: int, total: int) -> None: ...


_reporter: Reporter | None = None


def advance(step: str, done: int, total: int) -> None:
    """Say that ``done`` of ``total`` units of ``step`` are finished."""
    if _reporter is not None:
        _reporter(step, done, total)


@contextlib.contextmanager
def reporting(reporter: Reporter) -> Iterator[None]:
    """Send progress to ``reporter`` for the duration of the block."""
    global _reporter
    previous, _reporter = _reporter, reporter
    try:
        yield
    finally:
        _reporter = previous
