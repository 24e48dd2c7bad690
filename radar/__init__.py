"""Radar core: settings, errors, the delivery contract, intake, the data store and the CLI.

The stage packages (`pseudonymise`, `linkage`, `expectations`) build on this one; `flows`
orchestrates them. Importing this package has no side effects (no logging handlers, no I/O).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("radar")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
