"""``NoteRedactor``: find personal data in one note and replace it with typed placeholders.

Built once per process (``NoteRedactor.build()``): a presidio ``AnalyzerEngine`` for ``nl`` on a
blank spaCy pipeline with Radar's own recognizer registry (the pattern recognizers and deduce),
and a presidio ``AnonymizerEngine`` that writes ``<PERSOON>``, ``<BSN>`` ... (see ``entities``).

Between the two, findings are merged: overlapping findings become one span covering both (so
no character of either stays visible) with the type of higher ``PRIORITY``; an address span is
extended over a house-number addition that follows it (``12-2``, ``12 bis``).

Identifiers already known about the note's signal (``known``: names, street, place, postcode,
phone, BSN, birth date from its person rows) are found by ``known.KnownMatcher`` and merged with
the other findings; after anonymising, the redacted text is searched for them again and a note
in which one survives raises ``ResidualIdentifierError``.

``redact`` raises ``RedactionError`` when anything goes wrong, including a note that takes
longer than ``timeout_seconds`` or a regex that presidio gave up on (presidio logs that and
carries on, which would let the value through): callers withhold such notes.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import ClassVar

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig
from presidio_anonymizer.entities import RecognizerResult as AnonymizerResult

from pseudonymise.redact.context import ThresholdContextAnalyzerEngine
from pseudonymise.redact.deduce_cache import load_deduce
from pseudonymise.redact.entities import ADRES, LANGUAGE, PLACEHOLDERS, PRIORITY
from pseudonymise.redact.known import KnownIdentifier, KnownMatcher
from pseudonymise.redact.nlp_engine import BlankDutchNlpEngine
from pseudonymise.redact.recognizers import DeduceRecognizer, pattern_recognizers
from radar.errors import RadarError

SCORE_THRESHOLD = 0.4
DEFAULT_TIMEOUT_SECONDS = 10.0
_RANK = {entity: rank for rank, entity in enumerate(PRIORITY)}
_HOUSE_NUMBER_TAIL = re.compile(r"(?:[a-zA-Z]{1,2}|\s[A-Z]|-\d{1,3}|\s(?:bis|hs|huis))(?![\w-])")


class RedactionError(RadarError):
    """A note could not be redacted; it must be withheld, never passed on."""


class RedactionTimeoutError(RedactionError):
    """Redacting a note took too long (or a regex inside presidio timed out)."""


class ResidualIdentifierError(RedactionError):
    """A known identifier of the note is still written in its redacted text."""


def _known_results(matcher: KnownMatcher | None, text: str) -> list[RecognizerResult]:
    if matcher is None:
        return []
    return [RecognizerResult(entity, start, end, 1.0) for entity, start, end in matcher.spans(text)]


@dataclass(frozen=True, slots=True)
class Finding:
    """A span of a note replaced by the placeholder of ``entity``."""

    start: int
    end: int
    entity: str


def merge_findings(text: str, results: Sequence[RecognizerResult]) -> list[Finding]:
    """Union of overlapping findings, typed by priority; address spans take their addition."""
    merged: list[Finding] = []
    for result in sorted(results, key=lambda r: (r.start, -r.end)):
        start, end, entity = result.start, result.end, result.entity_type
        if merged and start < merged[-1].end:
            last = merged.pop()
            best = min(last.entity, entity, key=lambda e: _RANK.get(e, len(_RANK)))
            start, end, entity = last.start, max(last.end, end), best
        merged.append(Finding(start, end, entity))
    out: list[Finding] = []
    for index, finding in enumerate(merged):
        end = finding.end
        if finding.entity == ADRES:
            tail = _HOUSE_NUMBER_TAIL.match(text, end)
            limit = merged[index + 1].start if index + 1 < len(merged) else len(text)
            if tail is not None and tail.end() <= limit:
                end = tail.end()
        out.append(Finding(finding.start, end, finding.entity))
    return out


class _RegexTimeoutWatch(logging.Handler):
    """Counts presidio's 'Regex pattern ... timed out' warnings (it skips the pattern)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "timed out" in str(record.msg):
            self.count += 1


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise ``RedactionTimeoutError`` after ``seconds`` (main thread only; elsewhere no limit)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise RedactionTimeoutError("redacting a note took longer than the time limit")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class NoteRedactor:
    """Analyzer, anonymizer and deduce, built once per process; ``redact`` one note at a time."""

    OPERATORS: ClassVar[dict[str, OperatorConfig]] = {
        entity: OperatorConfig("replace", {"new_value": placeholder})
        for entity, placeholder in PLACEHOLDERS.items()
    }

    def __init__(
        self,
        analyzer: AnalyzerEngine,
        anonymizer: AnonymizerEngine,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self.analyzer = analyzer
        self.anonymizer = anonymizer
        self.timeout_seconds = timeout_seconds
        self._watch = _RegexTimeoutWatch()
        logging.getLogger("presidio-analyzer").addHandler(self._watch)

    @classmethod
    def build(
        cls,
        deduce_cache_dir: Path | None = None,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> NoteRedactor:
        """Load deduce (seconds with its cache, ~80 s without) and assemble the engines."""
        registry = RecognizerRegistry(supported_languages=[LANGUAGE])
        for recognizer in pattern_recognizers():
            registry.add_recognizer(recognizer)
        registry.add_recognizer(DeduceRecognizer(load_deduce(deduce_cache_dir)))
        analyzer = ThresholdContextAnalyzerEngine(
            registry=registry,
            nlp_engine=BlankDutchNlpEngine(),
            supported_languages=[LANGUAGE],
            default_score_threshold=SCORE_THRESHOLD,
            context_aware_enhancer=LemmaContextAwareEnhancer(),
        )
        anonymizer = AnonymizerEngine()  # type: ignore[no-untyped-call]
        return cls(analyzer, anonymizer, timeout_seconds)

    def find(self, text: str, known: Sequence[KnownIdentifier] | None = None) -> list[Finding]:
        """The spans that ``redact`` replaces, merged and sorted."""
        return self._find(text, KnownMatcher.build(known) if known else None)

    def _find(self, text: str, matcher: KnownMatcher | None) -> list[Finding]:
        results = self.analyzer.analyze(text=text, language=LANGUAGE)
        return merge_findings(text, [*results, *_known_results(matcher, text)])

    def redact_with_findings(
        self, text: str, known: Sequence[KnownIdentifier] | None = None
    ) -> tuple[str, list[Finding]]:
        """The redacted note and the spans replaced; raises ``RedactionError`` on any failure.

        ``known`` lists ``(entity type, normalised value)`` known about the note's signal: they
        are redacted wherever written, and if one survives, ``ResidualIdentifierError``.
        """
        timeouts = self._watch.count
        started = time.perf_counter()
        try:
            with _deadline(self.timeout_seconds):
                matcher = KnownMatcher.build(known) if known else None
                findings = self._find(text, matcher)
                redacted = self.anonymizer.anonymize(
                    text=text,
                    analyzer_results=[
                        AnonymizerResult(f.entity, f.start, f.end, 1.0) for f in findings
                    ],
                    operators={f.entity: self.OPERATORS[f.entity] for f in findings},
                ).text
                residual = matcher is not None and matcher.occurs(str(redacted))
        except RedactionError:
            raise
        except Exception as error:  # any failure: the caller withholds the note
            raise RedactionError(f"redaction failed: {type(error).__name__}") from error
        if residual:
            raise ResidualIdentifierError("a known identifier remained after redaction")
        if self._watch.count != timeouts:
            raise RedactionTimeoutError("a pattern timed out; the note may hold undetected values")
        if time.perf_counter() - started > self.timeout_seconds > 0:
            raise RedactionTimeoutError("redacting a note took longer than the time limit")
        return str(redacted), findings

    def redact(self, text: str, known: Sequence[KnownIdentifier] | None = None) -> str:
        """``text`` with every finding replaced by its placeholder; raises on failure."""
        return self.redact_with_findings(text, known)[0]
