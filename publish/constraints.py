"""The relations between cells that a reader of the publication knows from its layout alone.

Cells are rows of a long table keyed by ``period, region_code, measure, breakdown``; relations
refer to them by row position. Nothing here looks at a value: the same relations hold for the
unrounded cells the protector sees and for the published table the attacker sees.

Equalities (``kind="sum"``: total = sum of parts), for the additive measure
``signals_received`` only:

1. *breakdown*: per period and region, the total equals the sum of the categories of each
   dimension (kind, relation type, recurrence category);
2. *regions*: per period and breakdown, ``NL`` equals the sum of the regions;
3. *half-years*: per region and breakdown, the year equals H1 + H2 (when all three are in the
   table).

Inequalities (``kind="le"``: left <= sum of right), for the family counts, which are not
additive (a family seen by two regions or in both halves counts once in the larger unit):

4. ``families_new_signal_12m`` <= ``families_involved`` (same period and region);
5. a region's families <= ``NL`` families; ``NL`` families <= sum of the regions' families;
6. a half-year's families <= the year's; the year's <= H1 + H2.

Family counts also relate to signal counts (every family involved has a signal), an
inequality (families <= signals received) that is included as well (7).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

import polars as pl

from publish.aggregates import (
    DIMENSIONS,
    FAMILIES_INVOLVED,
    FAMILIES_NEW_SIGNAL_12M,
    NATIONAL,
    SIGNALS_RECEIVED,
)

Key = tuple[str, str, str, str]  # period, region_code, measure, breakdown


@dataclass(frozen=True)
class Relation:
    """``sum``: cell ``left`` equals the sum of ``right``; ``le``: ``left`` <= sum of ``right``."""

    kind: Literal["sum", "le"]
    left: int
    right: tuple[int, ...]
    group: str  # which rule of the module docstring made it, for reports

    @property
    def members(self) -> tuple[int, ...]:
        return (self.left, *self.right)


def _index(cells: pl.DataFrame) -> dict[Key, int]:
    keys = cells.select("period", "region_code", "measure", "breakdown").iter_rows()
    return {key: i for i, key in enumerate(keys)}


def relations(cells: pl.DataFrame) -> list[Relation]:
    """Every relation among the rows of ``cells`` (positions refer to its row order)."""
    at = _index(cells)
    periods = sorted({k[0] for k in at})
    regions: dict[str, list[str]] = defaultdict(list)
    for period, region, _, _ in sorted(at):
        if region != NATIONAL and region not in regions[period]:
            regions[period].append(region)
    found: list[Relation] = []

    def add(kind: Literal["sum", "le"], left: Key, right: list[Key], group: str) -> None:
        if left in at and right and all(k in at for k in right):
            found.append(Relation(kind, at[left], tuple(at[k] for k in right), group))

    breakdown_list = [""] + [f"{d}={c}" for d, cats in DIMENSIONS.items() for c in cats]
    for period in periods:
        areas = [*regions[period], NATIONAL]
        for region in areas:
            total = (period, region, SIGNALS_RECEIVED, "")
            for dim, cats in DIMENSIONS.items():
                parts = [(period, region, SIGNALS_RECEIVED, f"{dim}={c}") for c in cats]
                add("sum", total, parts, f"breakdown:{dim}")
            fam = (period, region, FAMILIES_INVOLVED, "")
            add("le", (period, region, FAMILIES_NEW_SIGNAL_12M, ""), [fam], "families:subset")
            add("le", fam, [total], "families:signals")
        for breakdown in breakdown_list:
            add(
                "sum",
                (period, NATIONAL, SIGNALS_RECEIVED, breakdown),
                [(period, r, SIGNALS_RECEIVED, breakdown) for r in regions[period]],
                "regions",
            )
        for measure in (FAMILIES_INVOLVED, FAMILIES_NEW_SIGNAL_12M):
            national = (period, NATIONAL, measure, "")
            for region in regions[period]:
                add("le", (period, region, measure, ""), [national], "families:region<=NL")
            add(
                "le",
                national,
                [(period, r, measure, "") for r in regions[period]],
                "families:NL<=regions",
            )
    for year in (p for p in periods if len(p) == 4):
        h1, h2 = f"{year}H1", f"{year}H2"
        if h1 not in periods or h2 not in periods:
            continue
        for region in [*regions[year], NATIONAL]:
            for breakdown in breakdown_list:
                add(
                    "sum",
                    (year, region, SIGNALS_RECEIVED, breakdown),
                    [(h, region, SIGNALS_RECEIVED, breakdown) for h in (h1, h2)],
                    "half-years",
                )
            for measure in (FAMILIES_INVOLVED, FAMILIES_NEW_SIGNAL_12M):
                whole = (year, region, measure, "")
                for h in (h1, h2):
                    add("le", (h, region, measure, ""), [whole], "families:half<=year")
                add(
                    "le",
                    whole,
                    [(h, region, measure, "") for h in (h1, h2)],
                    "families:year<=halves",
                )
    return found
