"""Known identifiers of a signal: found however the note writes them, and never let through."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from pseudonymise.redact import (
    KnownIdentifierError,
    KnownMatcher,
    NoteRedactor,
    ResidualIdentifierError,
    redact_notes,
)
from pseudonymise.redact.evaluate import evaluate_redaction, known_from_subjects
from pseudonymise.redact.known import fold_text
from radar.synth.notes import compose_notes, synthetic_subjects


def _found(known: list[tuple[str, str]], text: str) -> list[str]:
    """The texts of the found spans, overlapping ones united."""
    matcher = KnownMatcher.build(known)
    if matcher is None:  # nothing long enough to search for
        return []
    merged: list[list[int]] = []
    for _, start, end in sorted(matcher.spans(text), key=lambda s: (s[1], -s[2])):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return sorted(text[start:end] for start, end in merged)


def test_fold_keeps_length_and_offsets() -> None:
    text = "Müller, D’Souza, Kübra Öztürk, Şahin, İlkay, Łukasz"
    folded = fold_text(text)
    assert len(folded) == len(text)
    assert folded == "muller, d'souza, kubra ozturk, sahin, ilkay, lukasz"


@pytest.mark.parametrize(
    ("known", "text", "expected"),
    [
        ([("PERSOON", "kubra")], "Cliënte KÜBRA belt.", ["KÜBRA"]),
        ([("PERSOON", "ali")], "De kwaliteit van Ali's zorg; alibi.", ["Ali"]),
        ([("PERSOON", "el amrani")], "mevr. El Amrani en Amrani", ["Amrani", "El Amrani"]),
        ([("PERSOON", "t hart")], "dhr. 't Hart is bekend", ["'t Hart"]),
        ([("PERSOON", "dsouza")], "mw. D'Souza belt", ["D'Souza"]),
        ([("PERSOON", "van der berg")], "Van der Berg, ook Berg", ["Berg", "Van der Berg"]),
        ([("PERSOON", "van der berg")], "zij ging naar de berg van der", ["berg"]),
        ([("PERSOON", "strasser")], "Herr Straßer", ["Straßer"]),
        ([("PERSOON", "j")], "J. Jansen", []),  # initials are ignored
        ([("ADRES", "dorpsstraat")], "Woont Dorpsstraat 12A.", ["Dorpsstraat 12A"]),
        ([("PLAATS", "s-hertogenbosch")], "in 's-Hertogenbosch", ["'s-Hertogenbosch"]),
        (
            [("POSTCODE", "6211AB")],
            "6211 ab, 6211AB, 6211-AB, 16211AB",
            ["6211 ab", "6211-AB", "6211AB"],
        ),
        (
            [("TELEFOON", "31612345678")],
            "06-12345678 / +31 6 1234 5678 / 0031612345678 / 06 12 34 56 78 / 106123456789",
            ["31 6 1234 5678", "0031612345678", "06 12 34 56 78", "06-12345678"],
        ),
        ([("TELEFOON", "31433214567")], "bel (043) 321 45 67", ["043) 321 45 67"]),
        ([("BSN", "123456782")], "BSN 1234.56.782 of 123 456 782", ["123 456 782", "1234.56.782"]),
        (
            [("DATUM", "1988-03-12")],
            "geb. 12 maart 1988, 12-3-88, 12/03/1988, 1988-03-12, 12 mrt. '88; niet 13-03-1988",
            ["12 maart 1988", "12 mrt. '88", "12-3-88", "12/03/1988", "1988-03-12"],
        ),
    ],
)
def test_written_forms_are_found(
    known: list[tuple[str, str]], text: str, expected: list[str]
) -> None:
    assert _found(known, text) == sorted(expected)


def test_unknown_type_is_an_error_without_value() -> None:
    with pytest.raises(KnownIdentifierError) as error:
        KnownMatcher.build([("IBAN", "nl91abna0417164300")])
    assert "nl91" not in str(error.value)
    with pytest.raises(KnownIdentifierError):
        redact_notes(pl.Series(["x", "y"]), workers=1, known=[[]])


def test_names_deduce_misses_are_redacted_when_known(redactor: NoteRedactor) -> None:
    note = "Kübra belt vanaf huis. Het gaat goed met Zyrella op school, zegt Kwaliteit."
    # the name-context recognizer sees 'Kübra' by its shape and verb, but nothing finds
    # 'Zyrella' (no list, no cue): the reason for ``known``
    assert redactor.redact(note) == "<PERSOON>" + note.removeprefix("Kübra")
    known = [("PERSOON", "kubra"), ("PERSOON", "zyrella"), ("PERSOON", "ali")]
    out = redactor.redact(note, known)
    assert (
        out == "<PERSOON> belt vanaf huis. Het gaat goed met <PERSOON> op school, zegt Kwaliteit."
    )


def test_variants_are_redacted(redactor: NoteRedactor) -> None:
    note = (
        "Geboren 12 maart 1988, woont Qwertystraat 7 in 6211 ab Zwxdorp. "
        "Tel 06 1234 5678, bsn 1234.56.782. Kwaliteit van zorg goed."
    )
    known = [
        ("DATUM", "1988-03-12"),
        ("ADRES", "qwertystraat"),
        ("POSTCODE", "6211AB"),
        ("PLAATS", "zwxdorp"),
        ("TELEFOON", "31612345678"),
        ("BSN", "123456782"),
        ("PERSOON", "ali"),
    ]
    out = redactor.redact(note, known)
    for secret in ("1988", "Qwerty", "6211", "Zwxdorp", "5678", "782"):
        assert secret not in out
    assert "Kwaliteit" in out  # 'ali' inside a word stays


def test_surviving_known_value_is_withheld(
    redactor: NoteRedactor, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Unchanged:
        def __init__(self, text: str) -> None:
            self.text = text

    def anonymize(**kwargs: Any) -> Unchanged:
        return Unchanged(str(kwargs["text"]))

    monkeypatch.setattr(redactor.anonymizer, "anonymize", anonymize)
    with pytest.raises(ResidualIdentifierError):
        redactor.redact("Xiomara belt", [("PERSOON", "xiomara")])
    assert redactor.redact("Xiomara belt") == "Xiomara belt"  # no known values: no check
    notes = pl.Series(["Xiomara belt", "niets bijzonders", None])
    out = redact_notes(
        notes, workers=1, known=[[("PERSOON", "xiomara")], [("PERSOON", "xiomara")], []]
    )
    assert out["note_status"].to_list() == ["withheld", "redacted", "empty"]
    assert out["note_redacted"].to_list() == [None, "niets bijzonders", None]


def test_known_none_or_empty_changes_nothing(redactor: NoteRedactor) -> None:
    notes = pl.Series(
        ["Kevin de Boer belt vanaf 06-12345678.", None, "Zyrella zit op school.", " "]
    )
    before = redact_notes(notes, workers=1)
    assert redact_notes(notes, workers=1, known=None).equals(before)
    assert redact_notes(notes, workers=1, known=[[], [], [], []]).equals(before)
    assert before["note_redacted"][2] == "Zyrella zit op school."


@pytest.mark.slow
def test_two_workers_match_one_with_known() -> None:
    notes = pl.Series(
        [f"Melding {i}: Zyrella Brumsel belt vanaf 06-1234567{i % 10}." for i in range(40)] + [None]
    )
    known = [[("PERSOON", "zyrella"), ("PERSOON", "brumsel")] if i % 2 else [] for i in range(41)]
    parallel = redact_notes(notes, workers=2, chunk_size=8, known=known)
    single = redact_notes(notes, workers=1, known=known)
    assert parallel.equals(single)
    assert parallel["note_redacted"][1] == "Melding 1: <PERSOON> belt vanaf <TELEFOON>."
    assert parallel["note_redacted"][0] == "Melding 0: Zyrella Brumsel belt vanaf <TELEFOON>."


def test_evaluation_with_known_identifiers() -> None:
    subjects = synthetic_subjects(60, 5)
    notes, spans = compose_notes(subjects, 5)
    known = known_from_subjects(subjects, 5)
    # the derived birth dates are the ones written in the notes
    births = spans.filter(pl.col("entity_type") == "DATUM").join(notes, on="note_key")
    hits = 0
    for key, _, start, end, note in births.iter_rows():
        matcher = KnownMatcher.build([kv for kv in known[key] if kv[0] == "DATUM"])
        assert matcher is not None
        hits += any(s <= start and end <= e for _, s, e in matcher.spans(note))
    assert hits > 20
    report = evaluate_redaction(60, 5, 1, with_known=True)
    assert report.with_known and report.residual_withheld == 0
    assert report.recall_of("PERSOON") == 1.0
