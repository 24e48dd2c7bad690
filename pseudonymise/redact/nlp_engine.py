"""A presidio NLP engine on a blank spaCy ``nl`` pipeline: tokens and lemmas, no model download.

Presidio's ``SpacyNlpEngine`` loads a trained model by name (and downloads it when missing). Here
the pipeline is ``spacy.blank("nl")``, which only tokenises, plus one component that sets each
token's lemma to its lower-case form: a blank pipeline leaves lemmas empty, and presidio compares
context words against lemmas, so without it context words would never raise a score. Named
entities come from the recognizers (deduce for names and places), not from spaCy.

Two economies, because notes come by the million:

* ``process_text`` returns ``LazyNlpArtifacts``: the pipeline runs only when something reads the
  tokens, which in Radar is the context enhancer, and only for a finding whose score depends on
  a context word (see ``context``). Most notes are never tokenised by spaCy.
* spaCy adds every new string it sees to its vocabulary, which would grow without bound over
  millions of notes full of names and numbers; the pipeline is rebuilt every
  ``RENEW_AFTER_DOCS`` documents.
"""

from __future__ import annotations

from typing import Any, ClassVar

import spacy
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from spacy.language import Language
from spacy.tokens import Doc

from pseudonymise.redact.entities import LANGUAGE

LEMMA_COMPONENT = "radar_lower_lemma"


@Language.component(LEMMA_COMPONENT)
def _lower_lemma(doc: Doc) -> Doc:
    for token in doc:
        token.lemma_ = token.lower_
    return doc


def blank_dutch_pipeline() -> Language:
    """``spacy.blank("nl")`` with lower-case lemmas."""
    nlp = spacy.blank(LANGUAGE)
    nlp.add_pipe(LEMMA_COMPONENT)
    return nlp


class LazyNlpArtifacts(NlpArtifacts):
    """``NlpArtifacts`` that run the pipeline on first access to tokens, lemmas or keywords."""

    _LAZY: ClassVar[frozenset[str]] = frozenset(
        {"entities", "tokens", "lemmas", "tokens_indices", "keywords", "scores"}
    )

    def __init__(self, text: str, nlp_engine: BlankDutchNlpEngine, language: str) -> None:
        # the base __init__ would tokenise at once: store what is needed to do it later
        self.__dict__["_text"] = text
        self.__dict__["nlp_engine"] = nlp_engine
        self.__dict__["_language"] = language

    def __getattr__(self, name: str) -> Any:
        """Only called for attributes not set yet: the lazy ones trigger the pipeline."""
        if name not in self._LAZY:
            raise AttributeError(name)
        real = self.__dict__["nlp_engine"].process_now(self._text, self._language)
        self.__dict__.update(real.__dict__)
        return self.__dict__[name]

    @property
    def processed(self) -> bool:
        """True once the pipeline has run for this text."""
        return "tokens" in self.__dict__


class BlankDutchNlpEngine(SpacyNlpEngine):
    """``SpacyNlpEngine`` whose ``load`` builds a blank Dutch pipeline, not ``spacy.load``."""

    RENEW_AFTER_DOCS: ClassVar[int] = 20_000

    def __init__(self) -> None:
        super().__init__(
            models=[{"lang_code": LANGUAGE, "model_name": "blank"}],
            ner_model_configuration=NerModelConfiguration(),
        )
        self.docs_processed = 0

    def load(self) -> None:
        """Build the pipeline in memory; nothing is read from disk or the network."""
        pipelines: Any = {LANGUAGE: blank_dutch_pipeline()}
        self.nlp = pipelines

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        """Artifacts that tokenise ``text`` only when first read."""
        return LazyNlpArtifacts(text, self, language)

    def process_now(self, text: str, language: str) -> NlpArtifacts:
        """Run the pipeline (the eager ``process_text`` of presidio)."""
        self.docs_processed += 1
        if self.docs_processed % self.RENEW_AFTER_DOCS == 0:
            self.load()
        return super().process_text(text, language)
