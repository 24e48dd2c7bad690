"""The redactor end to end: placeholders, overlaps, and safe failure (withheld, never passed)."""

from __future__ import annotations

import logging
import time
from typing import Any

import polars as pl
import pytest
from presidio_analyzer import RecognizerResult

from pseudonymise.redact import (
    PLACEHOLDERS,
    NoteRedactor,
    RedactionError,
    RedactionTimeoutError,
    redact_notes,
)
from pseudonymise.redact.redactor import Finding, merge_findings

NOTE = (
    "Melding van politie: mevr. Fatima el Amrani (geb. 12-03-1988, BSN 123456782) belt dat haar "
    "partner Kevin de Boer haar heeft geslagen. Adres Dorpsstraat 12A, 6211 AB Maastricht. "
    "Tel 06-12345678, mail fatima.elamrani@gmail.com. Zoon Daan zit op OBS De Regenboog. "
    "Rekening NL91 ABNA 0417 1643 00, auto XX-999-X."
)
SECRETS = (
    "Fatima",
    "Amrani",
    "1988",
    "123456782",
    "Kevin",
    "Boer",
    "Dorpsstraat",
    "12A",
    "6211",
    "Maastricht",
    "12345678",
    "fatima.elamrani",
    "Daan",
    "Regenboog",
    "0417",
    "XX-999-X",
)


def test_placeholders_are_typed_and_complete() -> None:
    assert set(PLACEHOLDERS) == {
        "PERSOON",
        "ADRES",
        "POSTCODE",
        "PLAATS",
        "TELEFOON",
        "BSN",
        "EMAIL",
        "IBAN",
        "DATUM",
        "KENTEKEN",
        "INSTELLING",
    }
    assert all(v == f"<{k}>" for k, v in PLACEHOLDERS.items())


def test_redacts_every_value_with_its_placeholder(redactor: NoteRedactor) -> None:
    out = redactor.redact(NOTE)
    for secret in SECRETS:
        assert secret not in out
    assert out == (
        "Melding van politie: mevr. <PERSOON> (geb. <DATUM>, BSN <BSN>) belt dat haar partner "
        "<PERSOON> haar heeft geslagen. Adres <ADRES>, <POSTCODE> <PLAATS>. Tel <TELEFOON>, "
        "mail <EMAIL>. Zoon <PERSOON> zit op <INSTELLING>. Rekening <IBAN>, auto <KENTEKEN>."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # deduce's place lookup and URL-like domains must not split an e-mail address
        ("mail naar j.jansen@maastricht.nl graag", "mail naar <EMAIL> graag"),
        # the digits of a spaced IBAN look like a landline number: the IBAN wins
        ("rekening NL91 ABNA 0417 1643 00", "rekening <IBAN>"),
        ("Kerkstraat 12-2 te Utrecht", "<ADRES> te <PLAATS>"),
        ("Geen gegevens bekend, melder belt terug.", "Geen gegevens bekend, melder belt terug."),
        ("kenteken XX999X", "kenteken <KENTEKEN>"),  # context word lifts a compact plate
        ("referentie XX999X", "referentie XX999X"),  # without context it stays
    ],
)
def test_overlaps_and_context(redactor: NoteRedactor, text: str, expected: str) -> None:
    assert redactor.redact(text) == expected


def test_merge_findings_unions_overlaps_by_priority() -> None:
    text = "x" * 40
    results = [
        RecognizerResult("PLAATS", 10, 20, 0.85),
        RecognizerResult("EMAIL", 5, 25, 1.0),
        RecognizerResult("PERSOON", 24, 30, 0.85),
        RecognizerResult("DATUM", 32, 35, 1.0),
    ]
    assert merge_findings(text, results) == [Finding(5, 30, "EMAIL"), Finding(32, 35, "DATUM")]


def test_failure_raises(redactor: NoteRedactor, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**_: Any) -> list[RecognizerResult]:
        raise ValueError("boom")

    monkeypatch.setattr(redactor.analyzer, "analyze", broken)
    with pytest.raises(RedactionError):
        redactor.redact(NOTE)


def test_failed_note_is_withheld(redactor: NoteRedactor, monkeypatch: pytest.MonkeyPatch) -> None:
    original = redactor.analyzer.analyze

    def flaky(**kwargs: Any) -> list[RecognizerResult]:
        if "BOEM" in str(kwargs["text"]):
            raise RuntimeError("recognizer crashed")
        return list(original(**kwargs))

    monkeypatch.setattr(redactor.analyzer, "analyze", flaky)
    notes = pl.Series(["Tel 06-12345678", None, "BOEM Kevin de Boer 06-12345678", "  ", "Daan"])
    out = redact_notes(notes, workers=1)
    assert out.schema == pl.Schema({"note_redacted": pl.Utf8, "note_status": pl.Utf8})
    assert out["note_status"].to_list() == ["redacted", "empty", "withheld", "empty", "redacted"]
    assert out["note_redacted"].to_list() == ["Tel <TELEFOON>", None, None, "  ", "<PERSOON>"]


def test_slow_note_is_withheld(redactor: NoteRedactor, monkeypatch: pytest.MonkeyPatch) -> None:
    original = redactor.analyzer.analyze

    def slow(**kwargs: Any) -> list[RecognizerResult]:
        time.sleep(1.0)
        return list(original(**kwargs))

    monkeypatch.setattr(redactor.analyzer, "analyze", slow)
    monkeypatch.setattr(redactor, "timeout_seconds", 0.2)
    started = time.perf_counter()
    with pytest.raises(RedactionTimeoutError):
        redactor.redact(NOTE)
    assert time.perf_counter() - started < 0.9  # interrupted, not waited out


def test_presidio_regex_timeout_is_a_failure(
    redactor: NoteRedactor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # presidio logs "Regex pattern ... timed out" and skips the pattern: that must not pass
    original = redactor.analyzer.analyze

    def skipping(**kwargs: Any) -> list[RecognizerResult]:
        logging.getLogger("presidio-analyzer").warning(
            "Regex pattern '%s' timed out after %s seconds, skipping.", "bsn", 5
        )
        return list(original(**kwargs))

    monkeypatch.setattr(redactor.analyzer, "analyze", skipping)
    with pytest.raises(RedactionTimeoutError):
        redactor.redact(NOTE)
