"""One frozen settings object, built once at the entry point and passed down.

Environment variables use the prefix ``RADAR_`` and ``__`` between a section and its field,
for example ``RADAR_INTAKE__MAX_BAD_ROW_SHARE=0.1`` or ``RADAR_KEYS__MASTER_KEY_FILE=/run/key``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IntakeSettings(_Section):
    """How tolerant intake is before it rejects a delivery whole."""

    max_bad_row_share: float = Field(
        0.25,
        ge=0.0,
        le=1.0,
        description="reject a delivery whole when more than this share of its rows is quarantined",
    )
    max_field_chars: int = Field(500, gt=0, description="longest accepted structured field")
    max_note_chars: int = Field(20_000, gt=0, description="longest accepted free-text note")
    earliest_date: dt.date = Field(
        dt.date(2000, 1, 1), description="signal dates before it break the contract"
    )
    today: dt.date | None = Field(
        None, description="the date 'future' is judged against; today when not set (tests, replays)"
    )

    def reference_date(self) -> dt.date:
        return self.today or dt.date.today()


class KeySettings(_Section):
    """Where the pseudonymisation master key comes from (a file path or the value itself)."""

    master_key: SecretStr | None = None
    master_key_file: Path | None = None

    def configured(self) -> bool:
        return self.master_key is not None or self.master_key_file is not None


class RedactSettings(_Section):
    """Redaction of free-text notes."""

    workers: int = Field(2, ge=1, description="worker processes (about 1 GiB each)")
    deduce_cache_dir: Path | None = Field(
        None, description="deduce's lookup cache; ~/.cache/radar/deduce-<version> when not set"
    )


class StoreSettings(_Section):
    """The embedded data store."""

    lock_timeout_seconds: float = Field(
        0.0, ge=0.0, description="how long a run waits for the lock"
    )


class RadarSettings(BaseSettings):
    """All of Radar's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="RADAR_", env_nested_delimiter="__", frozen=True, extra="forbid"
    )

    intake: IntakeSettings = IntakeSettings()
    keys: KeySettings = KeySettings()
    redact: RedactSettings = RedactSettings()
    store: StoreSettings = StoreSettings()
