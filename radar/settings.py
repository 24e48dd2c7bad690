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


class LinkageSettings(_Section):
    """How persons are blocked, scored and clustered. Defaults were tuned on synthetic data."""

    match_probability: float = Field(
        0.975, gt=0.0, lt=1.0, description="posterior match probability a pair needs to link"
    )
    family_match_probability: float = Field(
        0.5,
        gt=0.0,
        lt=1.0,
        description="posterior a pair sharing an address or phone needs to join families",
    )
    family_attach_probability: float = Field(
        0.8,
        gt=0.0,
        lt=1.0,
        description="probability a signal alone in its family needs to attach to another family,"
        " its best family's posterior odds against those of every family it may be about",
    )
    family_contact_days: int = Field(
        730,
        ge=0,
        description="days apart two signals may be for a shared address or phone line to join"
        " their families through a pair with no name or birth date in common",
    )
    note_identifiers: bool = Field(
        True,
        description="a signal whose note names a BSN or phone number a person row holds joins"
        " that person's family (linkage.notes)",
    )
    note_max_signals: int = Field(
        30,
        ge=2,
        description="a BSN or phone token named or held in more signals than this is no evidence",
    )
    family_member_weight: float = Field(
        5.0,
        description="weight (bits) a row pair of two signals of one family needs to be linked",
    )
    max_block_rows: int = Field(
        400, ge=2, description="blocks with more rows than this are skipped (and counted)"
    )
    max_address_block_rows: int = Field(
        40, ge=2, description="address blocks (one house) larger than this are skipped"
    )
    max_cluster_rows: int = Field(
        200, ge=2, description="a person cluster never grows beyond this many rows"
    )
    random_pairs: int = Field(
        400_000, ge=1_000, description="random pairs sampled to estimate u probabilities"
    )
    em_iterations: int = Field(60, ge=1, description="most EM iterations per training session")
    em_tolerance: float = Field(1e-6, gt=0.0, description="EM stops when m moves less than this")
    term_frequency: bool = Field(
        True, description="adjust exact name agreement by the value's frequency in the data"
    )
    lsh_bands: int = Field(
        8, ge=0, description="LSH bands over name Bloom filters (0 switches LSH blocking off)"
    )
    lsh_band_bits: int = Field(40, ge=4, le=64, description="sampled bits per LSH band")
    lsh_unresolved_only: bool = Field(
        True,
        description="LSH pairs only for rows that no identity rule (BSN, name with birth date)"
        " gave a candidate",
    )
    seed: int = Field(20261, description="seed of the random pair sample and LSH bit choice")
    dask_address: str | None = Field(
        None, description="scheduler of an existing Dask cluster to compare candidate pairs on"
    )
    dask_workers: int = Field(
        0, ge=0, description="start a local Dask cluster of this many workers (0: no Dask)"
    )
    partitions_per_worker: int = Field(
        4, ge=1, description="partitions of the candidate pairs per Dask worker"
    )
    household_min_pairs: int = Field(
        2, ge=1, description="rows of two signals that must agree to link them by context"
    )
    household_min_signal_weight: float = Field(
        29.0, description="summed weight (bits) of those rows' best pairs to link by context"
    )
    household_min_pair_weight: float = Field(
        9.0, description="weight (bits) a person pair needs to be linked by context"
    )
    incremental: bool = Field(
        True,
        description="link a run's new rows against the stored history with the stored model "
        "(False: relink and retrain every run)",
    )
    retrain_growth: float = Field(
        0.5,
        gt=0.0,
        description="retrain the model (a full relink) once the person rows have grown by "
        "this share since it was trained",
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
    linkage: LinkageSettings = LinkageSettings()
