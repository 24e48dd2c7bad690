"""Process-wide settings that must be in place before presidio, tldextract and deduce load.

* tldextract (used for e-mail validation) would download the public suffix list on first use;
  an empty URL list makes it use the snapshot bundled with the package.
* presidio's regexes give up silently after ``REGEX_TIMEOUT_SECONDS`` (60 by default); a lower
  default bounds the time one note can take (the redactor also withholds such notes).
* ``import deduce`` calls ``logging.basicConfig(level=DEBUG)`` on stdout, which would send every
  debug record of every library to stdout. ``import_deduce`` imports it with a placeholder
  handler on the root logger so that call does nothing, and removes the placeholder after.
"""

from __future__ import annotations

import logging
import os
from types import ModuleType
from typing import cast

os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
os.environ.setdefault("REGEX_TIMEOUT_SECONDS", "5")


def import_deduce() -> ModuleType:
    """Import deduce without letting it configure the root logger."""
    root = logging.getLogger()
    placeholder = logging.NullHandler()
    added = not root.handlers
    if added:
        root.addHandler(placeholder)
    try:
        import deduce
    finally:
        if added:
            root.removeHandler(placeholder)
    return cast(ModuleType, deduce)
