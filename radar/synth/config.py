"""The generator's configuration and the summary it returns."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SynthConfig(BaseModel):
    """What to generate. The same configuration always gives byte-identical files."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 7
    start_year: int = Field(2016, ge=2000, le=2100)
    years: int = Field(10, ge=1, le=50, description="calendar years simulated")
    scale: float = Field(1.0, gt=0.0, le=10.0, description="1.0 = national volumes")
    regions: tuple[str, ...] | None = Field(
        None, description="restrict to VT regions (2022 codes and VT27); None = all"
    )
    delivery_period: Literal["week", "month", "quarter"] = "month"
    notes: bool = True
    contract_error_rate: float = Field(0.0005, ge=0.0, le=0.2)
    end_date: dt.date | None = None

    @model_validator(mode="after")
    def _check(self) -> SynthConfig:
        if self.end_date is not None and self.end_date.year < self.start_year:
            raise ValueError("end_date lies before start_year")
        return self

    def last_day(self, today: dt.date | None = None) -> dt.date:
        """Nothing is dated after this day."""
        end = dt.date(self.start_year + self.years - 1, 12, 31)
        if self.end_date is not None:
            end = min(end, self.end_date)
        return min(end, today or dt.date.today())


class SynthSummary(BaseModel):
    """What ``generate`` wrote."""

    model_config = ConfigDict(frozen=True)

    signals: int
    person_rows: int
    deliveries: int
    seconds: float
    inbox: Path
    truth: Path
