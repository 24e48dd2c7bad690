"""Redact a column of notes across worker processes; failures are withheld, never passed on.

Each worker process builds one ``NoteRedactor`` in the pool initializer (deduce takes seconds
to load from its cache and ~1 GB of memory per process) and then redacts chunks of notes. A
note whose redaction raises or times out becomes null with status ``withheld``; if a worker
dies, every note of its unfinished chunks is withheld. ``workers=1`` runs in this process with
one redactor kept for the life of the process.

``known`` (optional) gives each note the identifiers already known about its signal (see
``known``); it travels with the note's chunk as tuples of short strings. A note in which one of
them survives redaction is withheld too, and counted in ``RedactorPool.residual_withheld``.

Workers start with the ``spawn`` method: forking a process that already runs polars' thread
pool can deadlock. A worker ends itself when the process that started it dies (a run killed
with SIGKILL would otherwise leave its workers, about 1 GB each, running for good).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Final

import polars as pl

from pseudonymise.redact.deduce_cache import build_cache, cache_ready
from pseudonymise.redact.known import KnownIdentifier, KnownIdentifierError, check_types
from pseudonymise.redact.redactor import (
    DEFAULT_TIMEOUT_SECONDS,
    Finding,
    NoteRedactor,
    RedactionError,
    ResidualIdentifierError,
)

REDACTED: Final = "redacted"
EMPTY: Final = "empty"
WITHHELD: Final = "withheld"
NOTE_STATUSES: Final = (REDACTED, EMPTY, WITHHELD)
REDACTED_SCHEMA: Final = pl.Schema({"note_redacted": pl.Utf8, "note_status": pl.Utf8})
DEFAULT_CHUNK_SIZE: Final = 200

# (redacted text or None when withheld, findings when asked for)
Outcome = tuple[str | None, tuple[Finding, ...] | None]
# per note: the (entity type, normalised value) pairs known about its signal
Known = Sequence[Sequence[KnownIdentifier]]
_KnownChunk = tuple[tuple[KnownIdentifier, ...], ...] | None

logger = logging.getLogger(__name__)
_REDACTORS: dict[tuple[Path | None, float], NoteRedactor] = {}
_WORKER: list[NoteRedactor] = []


def local_redactor(
    deduce_cache_dir: Path | None = None, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
) -> NoteRedactor:
    """This process's redactor for these settings, built on first use."""
    key = (deduce_cache_dir, timeout_seconds)
    if key not in _REDACTORS:
        _REDACTORS[key] = NoteRedactor.build(deduce_cache_dir, timeout_seconds)
    return _REDACTORS[key]


def _exit_when_orphaned(parent: int, interval_seconds: float = 1.0) -> None:
    """Poll for the parent's death (this process is then re-parented) and exit at once."""
    while os.getppid() == parent:
        time.sleep(interval_seconds)
    os._exit(1)


def _init_worker(parent: int, deduce_cache_dir: Path | None, timeout_seconds: float) -> None:
    # first, so that a parent killed while this worker loads deduce does not leave it behind;
    # the parent's pid comes from the parent: it may be dead already when this runs
    threading.Thread(
        target=_exit_when_orphaned, args=(parent,), name="orphan-watch", daemon=True
    ).start()
    _WORKER.append(local_redactor(deduce_cache_dir, timeout_seconds))


def _redact_all(
    redactor: NoteRedactor, texts: Sequence[str], with_findings: bool, known: Known | None
) -> tuple[list[Outcome], int]:
    """Outcomes, and how many notes were withheld because a known identifier survived."""
    out: list[Outcome] = []
    residual = 0
    for i, text in enumerate(texts):
        try:
            redacted, findings = redactor.redact_with_findings(
                text, known[i] if known is not None else None
            )
        except ResidualIdentifierError:
            residual += 1
            out.append((None, None))
            continue
        except RedactionError:
            out.append((None, None))
            continue
        out.append((redacted, tuple(findings) if with_findings else None))
    return out, residual


def _redact_chunk(
    texts: list[str], with_findings: bool, known: _KnownChunk = None
) -> tuple[list[Outcome], float, int]:
    started = time.process_time()
    outcomes, residual = _redact_all(_WORKER[0], texts, with_findings, known)
    return outcomes, time.process_time() - started, residual


def _chunk_known(known: Known | None, start: int, stop: int) -> _KnownChunk:
    if known is None:
        return None
    return tuple(tuple((str(e), str(v)) for e, v in known[i]) for i in range(start, stop))


def check_known(known: Known | None, notes: int) -> None:
    """``known`` has one entry per note and only supported entity types (else an error)."""
    if known is None:
        return
    if len(known) != notes:
        raise KnownIdentifierError(
            f"known identifiers given for {len(known)} notes, expected {notes}"
        )
    for row in known:
        check_types(row)


def _ready() -> int:
    time.sleep(0.05)  # long enough that one worker cannot answer every call alone
    return os.getpid()


class RedactorPool:
    """Worker processes, each with its own ``NoteRedactor``, kept for several batches.

    ``start()`` (or ``with RedactorPool(...) as pool``) waits until every worker has built its
    redactor, so the start-up cost (seconds per worker) can be told apart from throughput.
    """

    def __init__(
        self,
        workers: int = 2,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        deduce_cache_dir: Path | None = None,
    ) -> None:
        self.workers = max(1, workers)
        self.chunk_size = chunk_size
        self.timeout_seconds = timeout_seconds
        self.deduce_cache_dir = deduce_cache_dir
        self._pool: ProcessPoolExecutor | None = None
        self.startup_seconds = 0.0
        self.cpu_seconds = 0.0  # CPU time spent redacting, summed over workers
        self.residual_withheld = 0  # notes withheld because a known identifier survived

    def start(self) -> RedactorPool:
        """Start the workers and wait until each has built its redactor."""
        started = time.perf_counter()
        if self.workers == 1:
            local_redactor(self.deduce_cache_dir, self.timeout_seconds)
        elif self._pool is None:
            if not cache_ready(self.deduce_cache_dir):
                build_cache(self.deduce_cache_dir)  # here once, not in every worker at once
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(os.getpid(), self.deduce_cache_dir, self.timeout_seconds),
            )
            seen: set[int] = set()
            for _ in range(20):
                pings = [self._pool.submit(_ready) for _ in range(self.workers)]
                seen.update(p.result() for p in pings)
                if len(seen) >= self.workers:
                    break
        self.startup_seconds = time.perf_counter() - started
        return self

    def close(self) -> None:
        """Stop the workers."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __enter__(self) -> RedactorPool:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def redact_texts(
        self, texts: Sequence[str], *, with_findings: bool = False, known: Known | None = None
    ) -> list[Outcome]:
        """Redact every text (none may be null); a failed one comes back as ``(None, None)``.

        ``known[i]`` (optional) lists the identifiers known about text ``i``.
        """
        check_known(known, len(texts))
        if self.workers == 1:
            redactor = local_redactor(self.deduce_cache_dir, self.timeout_seconds)
            started = time.process_time()
            done, residual = _redact_all(redactor, texts, with_findings, known)
            self.cpu_seconds += time.process_time() - started
            self.residual_withheld += residual
            return done
        if self._pool is None:
            self.start()
        assert self._pool is not None
        size = self.chunk_size
        starts = range(0, len(texts), size)
        chunks = [list(texts[i : i + size]) for i in starts]
        futures: list[Future[tuple[list[Outcome], float, int]]] = [
            self._pool.submit(
                _redact_chunk, chunk, with_findings, _chunk_known(known, i, i + len(chunk))
            )
            for i, chunk in zip(starts, chunks, strict=True)
        ]
        outcomes: list[Outcome] = []
        for number, (chunk, future) in enumerate(zip(chunks, futures, strict=True)):
            try:
                done, cpu, residual = future.result(timeout=len(chunk) * self.timeout_seconds + 60)
            except Exception as error:  # a dead worker: withhold the whole chunk
                logger.error(
                    "note chunk %d withheld (%d notes): %s",
                    number,
                    len(chunk),
                    type(error).__name__,
                )
                outcomes.extend((None, None) for _ in chunk)
                continue
            outcomes.extend(done)
            self.cpu_seconds += cpu
            self.residual_withheld += residual
        return outcomes


def redact_texts(
    texts: Sequence[str],
    workers: int = 2,
    *,
    with_findings: bool = False,
    known: Known | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    deduce_cache_dir: Path | None = None,
) -> list[Outcome]:
    """Redact every text with a pool started for this call (in-process for few texts)."""
    return _redact_counted(
        texts,
        workers,
        with_findings=with_findings,
        known=known,
        chunk_size=chunk_size,
        timeout_seconds=timeout_seconds,
        deduce_cache_dir=deduce_cache_dir,
    )[0]


def _redact_counted(
    texts: Sequence[str],
    workers: int,
    *,
    with_findings: bool,
    known: Known | None,
    chunk_size: int,
    timeout_seconds: float,
    deduce_cache_dir: Path | None,
) -> tuple[list[Outcome], int]:
    check_known(known, len(texts))
    if not texts:  # no note to redact: do not load a redactor (seconds, ~1 GB per process)
        return [], 0
    if len(texts) <= chunk_size:
        workers = 1
    with RedactorPool(
        workers,
        chunk_size=chunk_size,
        timeout_seconds=timeout_seconds,
        deduce_cache_dir=deduce_cache_dir,
    ) as pool:
        outcomes = pool.redact_texts(texts, with_findings=with_findings, known=known)
        return outcomes, pool.residual_withheld


def status_frame(
    values: Sequence[str | None], outcomes: Sequence[Outcome], residual: int = 0
) -> pl.DataFrame:
    """``note_redacted``/``note_status`` from the notes and the outcomes of the non-blank ones.

    ``residual``: how many of the withheld notes were withheld because a known identifier
    survived redaction (for the log line).
    """
    todo = _non_blank(values)
    redacted: list[str | None] = list(values)
    status = [EMPTY] * len(values)
    withheld = 0
    for i, (text, _) in zip(todo, outcomes, strict=True):
        redacted[i] = text
        status[i] = REDACTED if text is not None else WITHHELD
        withheld += text is None
    if withheld:
        logger.warning(
            "withheld %d of %d notes: redaction failed (%d: a known identifier survived)",
            withheld,
            len(todo),
            residual,
        )
    return pl.DataFrame({"note_redacted": redacted, "note_status": status}, schema=REDACTED_SCHEMA)


def _non_blank(values: Sequence[str | None]) -> list[int]:
    return [i for i, v in enumerate(values) if v is not None and v.strip()]


def redact_notes(
    notes: pl.Series,
    workers: int = 2,
    *,
    known: Known | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    deduce_cache_dir: Path | None = None,
) -> pl.DataFrame:
    """``note_redacted`` (null when withheld or the note is null) and ``note_status``.

    Status ``empty`` for a null or blank note (a blank note is returned as it is), ``redacted``
    when redaction succeeded (also when nothing was found), ``withheld`` when it failed or when
    one of the note's ``known`` identifiers survived it.

    ``known`` (optional, one entry per element of ``notes``): the ``(entity type, normalised
    value)`` pairs known about the note's signal, types ``PERSOON``, ``ADRES``, ``PLAATS``,
    ``POSTCODE``, ``TELEFOON``, ``BSN``, ``DATUM`` (see ``known``); raises
    ``KnownIdentifierError`` for a wrong length or an unsupported type.
    """
    values: list[str | None] = notes.cast(pl.Utf8).to_list()
    check_known(known, len(values))
    todo = _non_blank(values)
    outcomes, residual = _redact_counted(
        [values[i] or "" for i in todo],
        workers,
        with_findings=False,
        known=[known[i] for i in todo] if known is not None else None,
        chunk_size=chunk_size,
        timeout_seconds=timeout_seconds,
        deduce_cache_dir=deduce_cache_dir,
    )
    return status_frame(values, outcomes, residual)
