"""Redact personal data from Dutch free-text intake notes, fully offline.

A note goes through presidio (pattern recognizers with checksums, plus deduce for names, places
and addresses) and comes out with typed placeholders (``<PERSOON>``, ``<BSN>`` ...). A note whose
redaction fails or times out is withheld (null, status ``withheld``), never passed through.

    redactor = NoteRedactor.build()          # once per process (loads deduce: seconds)
    redactor.redact("Tel 06-12345678")        # 'Tel <TELEFOON>'
    redact_notes(notes, workers=2)            # polars Series in, note_redacted/note_status out
    redact_notes(notes, known=[[("PERSOON", "kubra")], ...])  # plus what the signal tells

Build deduce's lookup cache once at install time: ``python -m pseudonymise.redact.setup_cache``.
"""

from __future__ import annotations

from pseudonymise.redact import _offline  # noqa: F401  (first: offline tldextract, logging)
from pseudonymise.redact.entities import ENTITY_TYPES, PLACEHOLDERS
from pseudonymise.redact.known import (
    KNOWN_TYPES,
    KnownIdentifier,
    KnownIdentifierError,
    KnownMatcher,
)
from pseudonymise.redact.parallel import NOTE_STATUSES, redact_notes
from pseudonymise.redact.redactor import (
    Finding,
    NoteRedactor,
    RedactionError,
    RedactionTimeoutError,
    ResidualIdentifierError,
)

__all__ = [
    "ENTITY_TYPES",
    "KNOWN_TYPES",
    "NOTE_STATUSES",
    "PLACEHOLDERS",
    "Finding",
    "KnownIdentifier",
    "KnownIdentifierError",
    "KnownMatcher",
    "NoteRedactor",
    "RedactionError",
    "RedactionTimeoutError",
    "ResidualIdentifierError",
    "redact_notes",
]
