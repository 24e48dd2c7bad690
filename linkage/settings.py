"""Settings of the link stage (a frozen pydantic model; the lead hangs it under RadarSettings)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LinkageSettings(BaseModel):
    """How persons are blocked, scored and clustered. Defaults were tuned on synthetic data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    match_probability: float = Field(
        0.9, gt=0.0, lt=1.0, description="posterior match probability a pair needs to link"
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
    seed: int = Field(20261, description="seed of the random pair sample and LSH bit choice")
