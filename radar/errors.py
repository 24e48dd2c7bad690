"""The exceptions Radar raises.

Every message names where a problem is (delivery, file, line, column), never the value found
there: values may be personal data, and error messages end up in logs and Prefect artifacts.
"""

from __future__ import annotations


class RadarError(Exception):
    """Base of every error Radar raises on purpose."""


class ConfigError(RadarError):
    """The configuration is missing something or is inconsistent."""


class ContractError(RadarError):
    """A delivery (or one of its files) breaks the input contract and is rejected whole."""

    def __init__(self, message: str, *, delivery: str | None = None, reason: str = "") -> None:
        self.delivery = delivery
        self.reason = reason
        prefix = f"delivery {delivery}: " if delivery else ""
        super().__init__(prefix + message)


class SchemaError(RadarError):
    """A frame does not conform to a stage's versioned schema."""


class StoreError(RadarError):
    """The data store is unreadable, of an unknown version, or in use by another run."""


class StoreLockedError(StoreError):
    """Another run holds the store's lock."""


class DataQualityError(RadarError):
    """A quality gate failed; nothing was published."""
