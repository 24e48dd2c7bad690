"""Word lists shipped inside the deduce package, read as plain text (no deduce import needed).

deduce (3.0.6) keeps its lookup lists as ``items.txt`` files under ``deduce/data/lookup/src``:
Dutch first names (``names/lst_first_name``, with ``exceptions.txt``: names that are also
ordinary words such as ``Toon``, ``Cor``, ``Door``), common Dutch words and stop words
(``whitelist/lst_common_word``, ``lst_stop_word``) and eponymous diseases. The name-context
recognizer uses them to tell names from words. Every entry is folded the way ``known`` folds a
note (lowercase, diacritics removed), so ``Gökhan`` finds ``Gokhan``.

The lists are read once per process (``lru_cache``); a missing list raises ``LexiconError``
rather than silently weakening the redactor.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import Final

from pseudonymise.redact.known import fold_text
from radar.errors import RadarError

_LOOKUP: Final = Path("data") / "lookup" / "src"


class LexiconError(RadarError):
    """A word list of the deduce package could not be found (the package is incomplete)."""


def _deduce_dir() -> Path:
    spec = importlib.util.find_spec("deduce")
    if spec is None or not spec.submodule_search_locations:
        raise LexiconError("the deduce package is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _read(relative: str) -> list[str]:
    path = _deduce_dir() / _LOOKUP / relative
    if not path.is_file():
        raise LexiconError(f"deduce word list missing: {relative}")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _folded(lines: list[str]) -> frozenset[str]:
    return frozenset(fold_text(line) for line in lines)


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """Folded first names that are not also ordinary words (``gokhan``, ``huseyin``)."""
    return first_names_all() - ambiguous_first_names()


@lru_cache(maxsize=1)
def ambiguous_first_names() -> frozenset[str]:
    """Folded first names that are also words or places (``toon``, ``cor``, ``door``)."""
    return _folded(_read("names/lst_first_name/exceptions.txt"))


@lru_cache(maxsize=1)
def first_names_all() -> frozenset[str]:
    """Every folded first name, the ambiguous ones included."""
    return _folded(_read("names/lst_first_name/items.txt")) | ambiguous_first_names()


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Folded common Dutch words and stop words (``groep``, ``sinds``, ``heeft``)."""
    return _folded(
        _read("whitelist/lst_common_word/items.txt")
        + _read("whitelist/lst_common_word/exceptions.txt")
        + _read("whitelist/lst_stop_word/items.txt")
    )


@lru_cache(maxsize=1)
def eponym_words() -> frozenset[str]:
    """Folded capitalised words of eponymous disease names (``munchausen``, ``parkinson``)."""
    lines = _read("whitelist/lst_eponymous_disease/lst_eponymous_single/items.txt")
    return frozenset(fold_text(w) for line in lines for w in line.split() if w[:1].isupper())
