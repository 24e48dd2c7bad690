"""Counting what noise was injected, for ``truth/noise.json``."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl


@dataclass
class NoiseLog:
    """Configured rate and injected count per noise kind."""

    rates: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, rate: float, count: int | np.integer | pl.Series) -> None:
        """Record ``count`` injections of ``kind`` (a boolean Series is summed)."""
        if isinstance(count, pl.Series):
            count = int(count.sum() or 0)
        self.rates[kind] = rate
        self.counts[kind] = self.counts.get(kind, 0) + int(count)

    def as_dict(self) -> dict[str, dict[str, float | int]]:
        """Sorted mapping kind -> {rate, count}."""
        return {k: {"rate": self.rates[k], "count": self.counts[k]} for k in sorted(self.rates)}
