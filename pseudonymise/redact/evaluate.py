"""Measure the note redactor on synthetic notes with known personal data (``radar.synth.notes``).

Definitions (``evaluate_redaction`` and the tests use the same):

* **recall** per true entity type: the share of true spans *found*, a span being found when
  every one of its non-space characters lies inside a replaced span (so the value no longer
  appears in the redacted note). A note that was withheld counts as found (nothing leaks).
* **precision** per placeholder type, on word tokens (runs of letters and digits of the
  original note): of the tokens that were (partly) replaced under that placeholder, the share
  that overlaps some true span of any type. Over all types together: ``token_precision``.
* **token recall**: the share of word tokens inside true spans that were replaced.
* **notes/s**: notes redacted per second of wall-clock time once the workers are up;
  ``startup_seconds`` is reported apart (each worker loads deduce once); notes per CPU-second
  too (the machine may be shared).

With ``known`` (``--known``), each note also gets the identifiers Radar knows from the
structured fields of its subject (``known_from_subjects``: names, street, place, postcode,
phone, BSN, birth date, normalised as the intake does); ``residual_withheld`` counts the notes
withheld because one of them survived redaction.

Run it: ``python -m pseudonymise.redact.evaluate --notes 5000 --workers 2 [--min-chars 280]
[--known]`` (``--known`` prints the report without and with known identifiers).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from pseudonymise.redact.known import KnownIdentifier
from pseudonymise.redact.parallel import Outcome, RedactorPool
from radar.intake.normalise import fold
from radar.synth.notes import NOTE_ENTITY_TYPES, compose_notes, synthetic_subjects

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class TypeRecall:
    """Recall of one true entity type."""

    entity_type: str
    spans: int
    found: int

    @property
    def recall(self) -> float:
        return self.found / self.spans if self.spans else 1.0


@dataclass(frozen=True)
class TypePrecision:
    """Token precision of one placeholder type."""

    placeholder: str
    tokens: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.tokens if self.tokens else 1.0


@dataclass(frozen=True)
class RedactionReport:
    """Recall per true type, precision per placeholder, and speed."""

    notes: int
    mean_chars: float
    withheld: int
    workers: int
    startup_seconds: float
    seconds: float
    cpu_seconds: float
    recall: tuple[TypeRecall, ...]
    precision: tuple[TypePrecision, ...]
    token_precision: float
    token_recall: float
    with_known: bool = False
    residual_withheld: int = 0

    @property
    def notes_per_second(self) -> float:
        return self.notes / self.seconds if self.seconds else 0.0

    @property
    def notes_per_cpu_second(self) -> float:
        """Throughput of one core, free of other load on the machine."""
        return self.notes / self.cpu_seconds if self.cpu_seconds else 0.0

    def recall_of(self, entity_type: str) -> float:
        """Recall of one true entity type (1.0 when the notes held none)."""
        return next((r.recall for r in self.recall if r.entity_type == entity_type), 1.0)

    def table(self) -> str:
        """A plain-text summary."""
        known = (
            f"with known identifiers (withheld with a surviving one: {self.residual_withheld})"
            if self.with_known
            else "without known identifiers"
        )
        lines = [
            known,
            f"notes {self.notes} (mean {self.mean_chars:.0f} chars), withheld {self.withheld}, "
            f"workers {self.workers}: {self.notes_per_second:.0f} notes/s "
            f"({self.seconds:.1f} s, start-up {self.startup_seconds:.1f} s apart); "
            f"{self.notes_per_cpu_second:.0f} notes per CPU-second",
            f"{'true type':<11}{'spans':>8}{'found':>8}{'recall':>9}",
        ]
        lines += [
            f"{r.entity_type:<11}{r.spans:>8}{r.found:>8}{r.recall:>9.4f}" for r in self.recall
        ]
        lines.append(f"{'placeholder':<11}{'tokens':>8}{'correct':>8}{'precision':>10}")
        lines += [
            f"{p.placeholder:<11}{p.tokens:>8}{p.correct:>8}{p.precision:>10.4f}"
            for p in self.precision
        ]
        lines.append(
            f"token precision {self.token_precision:.4f}, token recall {self.token_recall:.4f}"
        )
        return "\n".join(lines)


def score(
    texts: Sequence[str],
    true_spans: Sequence[Sequence[tuple[str, int, int]]],
    outcomes: Sequence[Outcome],
) -> tuple[list[TypeRecall], list[TypePrecision], float, float, int]:
    """Recall, precision, token precision, token recall and withheld count (see module doc)."""
    spans_by_type: Counter[str] = Counter()
    found_by_type: Counter[str] = Counter()
    tokens_by_placeholder: Counter[str] = Counter()
    correct_by_placeholder: Counter[str] = Counter()
    true_tokens = covered_true_tokens = withheld = 0
    for text, truth, (redacted, findings) in zip(texts, true_spans, outcomes, strict=True):
        if redacted is None:
            withheld += 1
        covered = [""] * len(text)  # placeholder type per character, "" when kept
        for finding in findings or ():
            for i in range(finding.start, finding.end):
                covered[i] = finding.entity
        is_true = [False] * len(text)
        for entity_type, start, end in truth:
            spans_by_type[entity_type] += 1
            hidden = redacted is None or all(
                covered[i] or text[i].isspace() for i in range(start, end)
            )
            found_by_type[entity_type] += hidden
            for i in range(start, end):
                is_true[i] = True
        for word in _WORD.finditer(text):
            chars = range(word.start(), word.end())
            placeholder = next((covered[i] for i in chars if covered[i]), "")
            true_word = any(is_true[i] for i in chars)
            true_tokens += true_word
            covered_true_tokens += true_word and (bool(placeholder) or redacted is None)
            if placeholder:
                tokens_by_placeholder[placeholder] += 1
                correct_by_placeholder[placeholder] += true_word
    recall = [
        TypeRecall(t, spans_by_type[t], found_by_type[t])
        for t in NOTE_ENTITY_TYPES
        if spans_by_type[t]
    ]
    precision = [
        TypePrecision(p, tokens_by_placeholder[p], correct_by_placeholder[p])
        for p in sorted(tokens_by_placeholder)
    ]
    all_tokens = sum(tokens_by_placeholder.values())
    token_precision = sum(correct_by_placeholder.values()) / all_tokens if all_tokens else 1.0
    token_recall = covered_true_tokens / true_tokens if true_tokens else 1.0
    return recall, precision, token_precision, token_recall, withheld


def _birth_dates(subjects: pl.DataFrame, seed: int) -> pl.Series:
    """The victims' birth dates ``compose_notes(subjects, seed)`` writes.

    They are not a subject field: ``compose_notes`` draws the age as the first draw of its
    generator (``radar.synth.notes._format_values``); this repeats that draw.
    """
    days_old = np.random.default_rng(seed).integers(18 * 365, 70 * 365, subjects.height)
    return subjects.select(
        pl.col("received_on") - pl.duration(days=pl.lit(pl.Series(days_old)))
    ).to_series()


def known_from_subjects(subjects: pl.DataFrame, seed: int) -> list[list[KnownIdentifier]]:
    """Per subject, the identifiers its structured fields give, normalised like the intake.

    Names lowercase ASCII (``fold``), phones in international form (``31...``), postcodes
    ``1234AB``, birth dates ``YYYY-MM-DD``. The surname is given whole (with its tussenvoegsel);
    the matcher finds its words on their own too.
    """
    national = pl.col("phone").str.replace_all(r"\D", "")
    frame = subjects.with_columns(_geb=_birth_dates(subjects, seed)).select(
        pl.concat_list(
            pl.struct(e=pl.lit(entity), v=value)
            for entity, value in (
                ("PERSOON", fold(pl.col("victim_first_name"))),
                ("PERSOON", fold(pl.col("victim_surname"))),
                ("PERSOON", fold(pl.col("perpetrator_first_name"))),
                ("PERSOON", fold(pl.col("perpetrator_surname"))),
                ("PERSOON", fold(pl.col("child_first_name"))),
                ("ADRES", fold(pl.col("street"))),
                ("PLAATS", fold(pl.col("city"))),
                ("POSTCODE", pl.col("postcode").str.replace_all(r"\s", "").str.to_uppercase()),
                ("TELEFOON", pl.lit("31") + national.str.slice(1)),
                ("BSN", pl.col("bsn")),
                ("DATUM", pl.col("_geb").dt.to_string("%Y-%m-%d")),
            )
        )
        .list.eval(pl.element().filter(pl.element().struct.field("v").is_not_null()))
        .alias("known")
    )
    return [[(k["e"], k["v"]) for k in row] for row in frame["known"].to_list()]


def evaluate_redaction(
    n: int, seed: int, workers: int, min_chars: int = 0, *, with_known: bool = False
) -> RedactionReport:
    """Redact ``n`` synthetic notes (``seed``) with ``workers`` processes and score the result.

    ``min_chars`` keeps only notes at least that long (for speed figures on longer notes);
    ``with_known`` gives every note the identifiers of its subject (``known_from_subjects``).
    """
    subjects = synthetic_subjects(n * (4 if min_chars else 1), seed)
    notes, spans = compose_notes(subjects, seed)
    known_by_key = (
        dict(zip(subjects["note_key"].to_list(), known_from_subjects(subjects, seed), strict=True))
        if with_known
        else {}
    )
    if min_chars:
        notes = notes.filter(pl.col("note").str.len_chars() >= min_chars).head(n)
    n = notes.height
    texts: list[str] = notes["note"].to_list()
    by_key: dict[int, list[tuple[str, int, int]]] = {}
    for key, entity_type, start, end in spans.iter_rows():
        by_key.setdefault(key, []).append((entity_type, start, end))
    truth = [by_key.get(key, []) for key in notes["note_key"].to_list()]
    known = [known_by_key[key] for key in notes["note_key"].to_list()] if with_known else None
    with RedactorPool(workers) as pool:
        started = time.perf_counter()
        outcomes = pool.redact_texts(texts, with_findings=True, known=known)
        seconds = time.perf_counter() - started
        startup = pool.startup_seconds
        cpu = pool.cpu_seconds
        residual = pool.residual_withheld
    recall, precision, token_precision, token_recall, withheld = score(texts, truth, outcomes)
    return RedactionReport(
        notes=n,
        mean_chars=sum(map(len, texts)) / max(1, n),
        withheld=withheld,
        workers=workers,
        startup_seconds=startup,
        seconds=seconds,
        cpu_seconds=cpu,
        recall=tuple(recall),
        precision=tuple(precision),
        token_precision=token_precision,
        token_recall=token_recall,
        with_known=with_known,
        residual_withheld=residual,
    )


def main(argv: list[str] | None = None) -> None:
    """Command line for benchmarks: prints the report table."""
    parser = argparse.ArgumentParser(description="Recall/precision/speed of note redaction.")
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--min-chars", type=int, default=0, help="only notes this long or longer")
    parser.add_argument(
        "--known", action="store_true", help="also with the subjects' known identifiers"
    )
    args = parser.parse_args(argv)
    for with_known in (False, True) if args.known else (False,):
        report = evaluate_redaction(
            args.notes, args.seed, args.workers, args.min_chars, with_known=with_known
        )
        sys.stdout.write(report.table() + "\n\n")


if __name__ == "__main__":
    main()
