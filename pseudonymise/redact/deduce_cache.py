"""Load deduce once per process, with its lookup cache in a directory Radar controls.

deduce builds its lookup structures (all Dutch first names, surnames, streets, places ...) on
first use, which takes about 80 seconds, and pickles them (about 83 MB) into
``<cache_path>/cache/lookup_structs.pickle``; by default ``cache_path`` is inside site-packages.
Passing ``cache_path`` works: a later ``Deduce(cache_path=...)`` loads the pickle in 7-11 s.
(deduce checks the pickle against its version; it also compares file times of
``<cache_path>/src``, which does not exist outside the package, so that check is skipped.)

The cache directory is, in order: the argument, ``$RADAR_REDACT__DEDUCE_CACHE_DIR``,
``$XDG_CACHE_HOME/radar/deduce-<version>``, ``~/.cache/radar/deduce-<version>``. Build it once at
install time::

    python -m pseudonymise.redact.setup_cache [--cache-dir DIR]

A missing cache is built on first use, under a file lock and written to a temporary directory
first, so parallel workers never read a half-written pickle. The pickle is trusted code: keep
the directory writable only by the service account.
"""

from __future__ import annotations

import fcntl
import gc
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from pseudonymise.redact._offline import import_deduce

CACHE_DIR_ENV = "RADAR_REDACT__DEDUCE_CACHE_DIR"
_PICKLE = Path("cache") / "lookup_structs.pickle"
_LOADED: dict[Path, Any] = {}
logger = logging.getLogger(__name__)


def deduce_version() -> str:
    """The installed deduce version (part of the default cache directory name)."""
    return str(import_deduce().__version__)


def cache_dir(explicit: Path | None = None) -> Path:
    """Where the deduce lookup cache lives (see the module docstring for the order)."""
    if explicit is not None:
        return explicit
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "radar" / f"deduce-{deduce_version()}"


def cache_ready(directory: Path | None = None) -> bool:
    """True when the lookup pickle exists (a load then takes seconds, not minutes)."""
    return (cache_dir(directory) / _PICKLE).is_file()


def build_cache(directory: Path | None = None, *, force: bool = False) -> Any:
    """Build the lookup cache (about 80 s) unless present; return a ready ``Deduce``."""
    target = cache_dir(directory)
    target.mkdir(parents=True, exist_ok=True)
    deduce = import_deduce()
    with (target / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if cache_ready(target) and not force:
            return deduce.Deduce(cache_path=target)
        started = time.perf_counter()
        logger.warning("building the deduce lookup cache in %s (about 80 s, once)", target)
        with tempfile.TemporaryDirectory(dir=target) as scratch:
            instance = deduce.Deduce(cache_path=Path(scratch), build_lookup_structs=True)
            (target / _PICKLE).parent.mkdir(exist_ok=True)
            (Path(scratch) / _PICKLE).replace(target / _PICKLE)
        logger.info("deduce cache built in %.0f s", time.perf_counter() - started)
        return instance


def load_deduce(directory: Path | None = None) -> Any:
    """The process's ``Deduce`` instance for this cache directory, built at most once.

    The lookup structures are millions of small objects that live as long as the process.
    The cyclic garbage collector is paused while they load and then told to leave them alone
    (``gc.freeze``): otherwise every full collection walks them all, which tripled the load
    time and made interpreter exit take 20 s or more on a busy machine.
    """
    target = cache_dir(directory)
    if target not in _LOADED:
        enabled = gc.isenabled()
        gc.disable()
        try:
            if cache_ready(target):
                _LOADED[target] = import_deduce().Deduce(cache_path=target)
            else:
                _LOADED[target] = build_cache(target)
        finally:
            if enabled:
                gc.enable()
        gc.freeze()
    return _LOADED[target]
