"""Names of people, places, streets and care institutions found by deduce (Dutch lookup lists).

deduce (3.0.6) tags names by looking tokens up in lists of Dutch first names and surnames and
by patterns around them (initials, tussenvoegsels, titles), and places, streets with house
numbers, hospitals and care institutions by lookup. Only those annotator groups run here;
dates, phone numbers, BSNs, e-mail addresses, postcodes and URLs are left to the pattern
recognizers (cheaper, checksummed, and deduce's URL tagger would mark the domain inside an
e-mail address). deduce's own overlap resolution and redaction are skipped too: the redactor
merges all findings itself.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from pseudonymise.redact.entities import ADRES, INSTELLING, LANGUAGE, PERSOON, PLAATS


class DeduceRecognizer(EntityRecognizer):
    """Wraps one ``deduce.Deduce`` instance as a presidio recognizer."""

    ENABLED: ClassVar[frozenset[str]] = frozenset(
        {
            "names",
            "prefix_with_initial",
            "prefix_with_interfix",
            "prefix_with_name",
            "interfix_with_name",
            "initial_with_name",
            "initial_interfix",
            "first_name_lookup",
            "surname_lookup",
            "name_context",
            "eponymous_disease",
            "person_annotation_converter",
            "locations",
            "placename",
            "street_pattern",
            "street_lookup",
            "housenumber",
            "institutions",
            "hospital",
            "institution",
        }
    )
    # deduce tag -> entity; a bare street name ("straat") without a number is dropped, as deduce
    # itself does: its street pattern also fires on ordinary words
    TAGS: ClassVar[dict[str, str]] = {
        "persoon": PERSOON,
        "patient": PERSOON,
        "locatie": PLAATS,
        "straat+huisnummer": ADRES,
        "straat+huisnummer+huisnummerletter": ADRES,
        "ziekenhuis": INSTELLING,
        "zorginstelling": INSTELLING,
    }
    SCORE: ClassVar[float] = 0.85
    # deduce keeps a title or a role word in front of a name ("mevr. Jansen", "Cliënte Fatima
    # Bakker", "Vader Kevin"): those words are not personal data and are trimmed off
    TITLE: ClassVar[re.Pattern[str]] = re.compile(
        r"(?:(?:mevrouw|meneer|mevr|mw|mr|dhr|dr|drs|ir|prof|de heer|te|cliënte?|client[e]?"
        r"|vader|moeder|partner|ex-partner|zoon|dochter|kind|pleger|slachtoffer|melder|oma|opa"
        r"|broer|zus|buurman|buurvrouw|stiefvader|stiefmoeder|oom|tante)\.?\s+)+",
        re.IGNORECASE,
    )

    def __init__(self, deduce: Any) -> None:
        self._deduce = deduce
        super().__init__(
            supported_entities=sorted(set(self.TAGS.values())),
            name="DeduceRecognizer",
            supported_language=LANGUAGE,
        )

    def load(self) -> None:
        """Nothing to load: the ``Deduce`` instance is built once per process elsewhere."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Run the name, location and institution annotators of deduce on ``text``."""
        doc = self._deduce.deidentify(text, enabled=set(self.ENABLED))
        results: list[RecognizerResult] = []
        for annotation in doc.annotations:
            entity = self.TAGS.get(annotation.tag)
            if entity is None or (entities and entity not in entities):
                continue
            start, end = annotation.start_char, annotation.end_char
            if entity == PERSOON:
                title = self.TITLE.match(text, start, end)
                if title is not None and title.end() < end:
                    start = title.end()
            results.append(
                RecognizerResult(
                    entity_type=entity,
                    start=start,
                    end=end,
                    score=self.SCORE,
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: "DeduceRecognizer",
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
            )
        return results
