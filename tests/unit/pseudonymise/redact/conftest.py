"""One ``NoteRedactor`` for the whole test session (deduce loads in seconds from its cache).

In a fresh environment, build deduce's cache once first (about 80 s):
``python -m pseudonymise.redact.setup_cache``.
"""

from __future__ import annotations

import pytest

from pseudonymise.redact import NoteRedactor
from pseudonymise.redact.parallel import local_redactor


@pytest.fixture(scope="session")
def redactor() -> NoteRedactor:
    return local_redactor()
