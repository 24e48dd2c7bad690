"""Recall and precision on synthetic notes with known spans (``radar.synth.notes``)."""

from __future__ import annotations

import pytest

from pseudonymise.redact import NoteRedactor
from pseudonymise.redact.evaluate import RedactionReport, evaluate_redaction, score
from pseudonymise.redact.redactor import Finding

THRESHOLDS = {
    "BSN": 0.99,
    "TELEFOON": 0.99,
    "EMAIL": 0.99,
    "POSTCODE": 0.99,
    "IBAN": 0.99,
    "PERSOON": 0.95,
}


@pytest.fixture(scope="module")
def report(redactor: NoteRedactor) -> RedactionReport:
    # workers=1 reuses the session's redactor (same process, same settings)
    return evaluate_redaction(400, seed=20, workers=1)


@pytest.mark.parametrize(("entity_type", "minimum"), sorted(THRESHOLDS.items()))
def test_recall(report: RedactionReport, entity_type: str, minimum: float) -> None:
    spans = next(r.spans for r in report.recall if r.entity_type == entity_type)
    assert spans >= 30
    assert report.recall_of(entity_type) >= minimum


def test_precision_and_nothing_withheld(report: RedactionReport) -> None:
    assert report.withheld == 0
    assert report.token_precision >= 0.95
    assert report.token_recall >= 0.97


def test_score_definitions() -> None:
    text = "Tel 0612345678 of Jan"
    truth = [[("TELEFOON", 4, 14), ("PERSOON", 18, 21)]]
    # phone replaced; 'of' wrongly replaced as PERSOON; 'Jan' missed
    outcomes = [
        ("Tel <TELEFOON> <PERSOON> Jan", (Finding(4, 14, "TELEFOON"), Finding(15, 17, "PERSOON")))
    ]
    recall, precision, token_precision, token_recall, withheld = score([text], truth, outcomes)
    assert {r.entity_type: r.recall for r in recall} == {"PERSOON": 0.0, "TELEFOON": 1.0}
    assert {p.placeholder: p.precision for p in precision} == {"PERSOON": 0.0, "TELEFOON": 1.0}
    assert token_precision == 0.5
    assert token_recall == 0.5
    assert withheld == 0
    # a withheld note leaks nothing: every span counts as found
    recall, *_rest, withheld = score([text], truth, [(None, None)])
    assert all(r.recall == 1.0 for r in recall) and withheld == 1
