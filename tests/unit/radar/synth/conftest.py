"""A small synthetic data set shared by the synth tests (built once per session)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from radar.synth import SynthConfig, SynthSummary, generate

SMALL = SynthConfig(
    seed=11,
    start_year=2021,
    years=3,
    scale=0.01,
    notes=False,
    contract_error_rate=0.002,
    end_date=dt.date(2023, 12, 31),
)


@pytest.fixture(scope="session")
def small_config() -> SynthConfig:
    return SMALL


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[SynthSummary, Path]:
    out = tmp_path_factory.mktemp("synth_small")
    return generate(SMALL, out), out
