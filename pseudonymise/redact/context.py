"""Context words, applied only where they can change the outcome.

Presidio raises a finding's score when a context word (``bsn``, ``kenteken``, ``tel`` ...) is
among the words before it. Every finding already at or above the redaction threshold is
replaced whatever its context, so only findings below the threshold (for example a licence
plate written without dashes, ``XX999X``) need the check. ``ThresholdContextAnalyzerEngine``
hands only those to presidio's context step (recognizer-level and the lemma enhancer); the
others pass untouched. That saves the tokenisation (see ``nlp_engine.LazyNlpArtifacts``) and
presidio's deep copy of all results for the great majority of notes.
"""

from __future__ import annotations

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts


class ThresholdContextAnalyzerEngine(AnalyzerEngine):
    """``AnalyzerEngine`` that applies context words to below-threshold findings only."""

    def _enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        threshold = self.default_score_threshold
        low = [r for r in raw_results if r.score < threshold]
        if not low:
            return raw_results
        high = [r for r in raw_results if r.score >= threshold]
        enhanced: list[RecognizerResult] = super()._enhance_using_context(
            text, low, nlp_artifacts, recognizers, context
        )
        return high + enhanced
