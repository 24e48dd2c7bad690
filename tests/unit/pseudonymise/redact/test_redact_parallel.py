"""Two worker processes, each with its own redactor (slow: each loads deduce)."""

from __future__ import annotations

import polars as pl
import pytest

from pseudonymise.redact import redact_notes
from pseudonymise.redact.parallel import RedactorPool


@pytest.mark.slow
def test_two_workers_match_one() -> None:
    notes = pl.Series(
        [f"Melding {i}: Kevin de Boer belt vanaf 06-1234567{i % 10}." for i in range(60)]
        + [None, ""]
    )
    parallel = redact_notes(notes, workers=2, chunk_size=16)
    single = redact_notes(notes, workers=1)
    assert parallel.equals(single)
    assert parallel["note_status"].value_counts().sort("note_status").rows() == [
        ("empty", 2),
        ("redacted", 60),
    ]


@pytest.mark.slow
def test_startup_is_measured_apart() -> None:
    with RedactorPool(2, chunk_size=8) as pool:
        assert pool.startup_seconds > 0
        out = pool.redact_texts(["BSN 123456782"] * 20)
    assert out == [("BSN <BSN>", None)] * 20
    assert pool.cpu_seconds > 0
