"""Build deduce's lookup cache once, at install time (about 80 s; later loads take seconds).

    python -m pseudonymise.redact.setup_cache [--cache-dir DIR] [--force]

Without ``--cache-dir`` the directory is ``$RADAR_REDACT__DEDUCE_CACHE_DIR`` or
``~/.cache/radar/deduce-<version>`` (see ``deduce_cache``).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from pseudonymise.redact.deduce_cache import build_cache, cache_dir

logger = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> None:
    """Command line: build the cache unless present (or always with ``--force``)."""
    parser = argparse.ArgumentParser(description="Build deduce's lookup cache for Radar.")
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--force", action="store_true", help="rebuild even when present")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    build_cache(args.cache_dir, force=args.force)
    logger.info("deduce cache ready in %s", cache_dir(args.cache_dir))


if __name__ == "__main__":
    main()
