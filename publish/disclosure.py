"""Disclosure control: rounding, primary and secondary suppression of the aggregate cells.

``protect`` takes the unrounded cells of one or more periods (``aggregates.AGGREGATES``; give a
year together with its two half-years so the H1 + H2 = year relation is protected too) and
returns them with the published ``value`` and ``status`` (rules in ``rules``).

Algorithm (deterministic: every choice is by smallest unrounded value, then row order):

1. *Primary*: counts below 10 are suppressed; percentages whose denominator is below 10 too.
2. *Secondary, by groups*: for every equality of ``constraints`` (a total and its parts: a
   breakdown dimension, the regions of ``NL``, the halves of a year) with suppressed members:
   when exactly one member is suppressed, the smallest published part (or, when no part is
   left, the total) is suppressed as well; when the total is published and the suppressed
   parts together count fewer than 10, the smallest published part is added (otherwise the
   pair could be bounded to a small range). Repeated over all groups until nothing changes.
3. *Audit*: the ``attack`` runs on the published view, with every equality and inequality at
   once. For each cell it discloses, the relation through it with the fewest suppressed
   members gets its smallest published member suppressed; repeated until the attack finds
   nothing. (Step 2 usually leaves the audit nothing to do; the audit is the guarantee.)

*Fixed* cells (``fixed``: rows already published in an earlier bundle, e.g. the first half-year
when the year is published) keep their published status: the steps above never suppress a cell
published earlier nor publish one suppressed earlier, so the suppression pattern protected is
that of the union of what was and what will be published.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

from publish.aggregates import AGGREGATES, COUNT_MEASURES, PERCENT_MEASURES
from publish.attack import AttackReport, attack
from publish.constraints import Relation, relations
from publish.rules import MIN_COUNT, PERCENT_DECIMALS, PUBLISHED, ROUNDING_BASE, SUPPRESSED
from radar.contract.schemas import TableSchema, conform
from radar.errors import DataQualityError

PROTECTED: Final = TableSchema(
    "protected_aggregates",
    1,
    {
        "period": pl.String(),
        "region_code": pl.String(),
        "measure": pl.String(),
        "breakdown": pl.String(),
        "value": pl.Float64(),  # published: rounded count or percentage; null when suppressed
        "status": pl.String(),  # ok | .
        "raw_value": pl.Float64(),  # internal, never published
        "denominator": pl.Int64(),  # internal, percentages only
        "suppression": pl.String(),  # none | primary | denominator | secondary
    },
)
#: The columns of ``aggregates.csv``.
PUBLIC_COLUMNS: Final = ("period", "region_code", "measure", "breakdown", "value", "status")
MAX_AUDIT_ROUNDS: Final = 200


def round_count(raw: pl.Expr) -> pl.Expr:
    """Nearest multiple of the rounding base, halves up (12 -> 10, 13 -> 15)."""
    return ((raw + ROUNDING_BASE // 2) // ROUNDING_BASE * ROUNDING_BASE).cast(pl.Float64)


def _primary(cells: pl.DataFrame) -> np.ndarray:
    """Reason codes after step 1: 0 none, 1 primary, 2 denominator."""
    measure = pl.col("measure")
    reason = cells.select(
        pl.when(measure.is_in(COUNT_MEASURES) & (pl.col("value") < MIN_COUNT))
        .then(1)
        .when(
            measure.is_in(PERCENT_MEASURES)
            & ((pl.col("denominator").fill_null(0) < MIN_COUNT) | pl.col("value").is_null())
        )
        .then(2)
        .otherwise(0)
    ).to_series()
    return reason.to_numpy().astype(np.int8)


def _pick(candidates: list[int], raw: np.ndarray, rank: np.ndarray) -> int:
    """The candidate with the smallest unrounded value; ties by the order of the cell keys."""
    return min(candidates, key=lambda i: (raw[i], rank[i]))


def _secondary_by_groups(
    found: list[Relation], raw: np.ndarray, rank: np.ndarray, hidden: np.ndarray, fixed: np.ndarray
) -> None:
    """Step 2, in place on ``hidden`` (``fixed`` cells are never chosen)."""
    groups = [r for r in found if r.kind == "sum"]
    changed = True
    while changed:
        changed = False
        for rel in groups:
            members = rel.members
            n_hidden = sum(bool(hidden[m]) for m in members)
            if n_hidden == 0:
                continue
            open_parts = [p for p in rel.right if not hidden[p] and not fixed[p]]
            hidden_parts = [p for p in rel.right if hidden[p]]
            need = n_hidden == 1 or (
                not hidden[rel.left] and sum(raw[p] for p in hidden_parts) < MIN_COUNT
            )
            if not need:
                continue
            if open_parts:
                hidden[_pick(open_parts, raw, rank)] = True
                changed = True
            elif not hidden[rel.left] and not fixed[rel.left]:
                hidden[rel.left] = True
                changed = True


def _repair(
    found: list[Relation],
    disclosed: list[int],
    raw: np.ndarray,
    rank: np.ndarray,
    hidden: np.ndarray,
    fixed: np.ndarray,
) -> int:
    """Step 3: one more suppression per disclosed cell; returns how many were added."""
    added = 0
    by_cell: dict[int, list[Relation]] = {}
    for rel in found:
        for m in rel.members:
            by_cell.setdefault(m, []).append(rel)
    for cell in disclosed:
        options = [
            (rel.kind != "sum", sum(bool(hidden[m]) for m in rel.members), i, rel)
            for i, rel in enumerate(by_cell.get(cell, []))
            if any(not hidden[m] and not fixed[m] for m in rel.members)
        ]
        if not options:
            continue
        rel = min(options, key=lambda o: (o[0], o[1], o[2]))[3]
        hidden[_pick([m for m in rel.members if not hidden[m] and not fixed[m]], raw, rank)] = True
        added += 1
    return added


def _with_status(cells: pl.DataFrame, reason: np.ndarray) -> pl.DataFrame:
    labels = np.array(["none", "primary", "denominator", "secondary"])
    hidden = reason > 0
    value = pl.col("value")
    return cells.with_columns(
        raw_value=value,
        suppression=pl.Series(labels[reason]),
        status=pl.Series(np.where(hidden, SUPPRESSED, PUBLISHED)),
    ).with_columns(
        value=pl.when(pl.col("status") == SUPPRESSED)
        .then(None)
        .when(pl.col("measure").is_in(COUNT_MEASURES))
        .then(round_count(pl.col("raw_value")))
        .otherwise(pl.col("raw_value").round(PERCENT_DECIMALS))
    )


_KEY = ["period", "region_code", "measure", "breakdown"]


def _fixed(cells: pl.DataFrame, fixed: pl.DataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the cells published earlier and of those among them that were suppressed."""
    if fixed is None or fixed.height == 0:
        none = np.zeros(cells.height, dtype=bool)
        return none, none
    status = (
        cells.select(_KEY)
        .join(
            fixed.select(*_KEY, pl.col("status").alias("_status")),
            on=_KEY,
            how="left",
            maintain_order="left",
        )
        .get_column("_status")
    )
    return status.is_not_null().to_numpy(), (status == SUPPRESSED).fill_null(False).to_numpy()


def protect(
    cells: pl.DataFrame, *, audit: bool = True, fixed: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The cells with published ``value``, ``status`` and internal ``suppression`` reason.

    See ``protect_audited``, which also returns the final audit.
    """
    return protect_audited(cells, audit=audit, fixed=fixed)[0]


def protect_audited(
    cells: pl.DataFrame, *, audit: bool = True, fixed: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, AttackReport | None]:
    """The cells with published ``value``, ``status`` and internal ``suppression`` reason.

    ``fixed``: rows published earlier (``PUBLIC_COLUMNS``); the cells of ``cells`` with their
    keys keep that status (their values come from ``cells``: data may have been revised).
    ``audit=False`` stops after step 2 (for tests that measure what the group rules achieve).
    Raises ``DataQualityError`` when the audit cannot close every disclosure.
    """
    cells = conform(cells, AGGREGATES)
    raw = cells.get_column("value").fill_null(0.0).to_numpy()
    rank = (
        cells.select(pl.struct("period", "region_code", "measure", "breakdown").rank("ordinal"))
        .to_series()
        .to_numpy()
    )
    is_fixed, fixed_hidden = _fixed(cells, fixed)
    reason = _primary(cells)
    reason = np.where(is_fixed & ~fixed_hidden, 0, reason).astype(np.int8)
    hidden = (reason > 0) | fixed_hidden
    found = relations(cells)
    _secondary_by_groups(found, raw, rank, hidden, is_fixed)
    reason = np.where(hidden & (reason == 0), 3, reason).astype(np.int8)
    out = _with_status(cells, reason)
    safe = not audit
    report: AttackReport | None = None
    for _ in range(MAX_AUDIT_ROUNDS if audit else 0):
        report = attack(out)
        if report.safe:
            safe = True
            break
        if not _repair(
            found,
            sorted((c.position for c in report.disclosed), key=lambda p: rank[p]),
            raw,
            rank,
            hidden,
            is_fixed,
        ):
            break
        _secondary_by_groups(found, raw, rank, hidden, is_fixed)
        reason = np.where(hidden & (reason == 0), 3, reason).astype(np.int8)
        out = _with_status(cells, reason)
    if not safe:
        raise DataQualityError("suppressed cells remain recoverable from the published table")
    return conform(out, PROTECTED), report


def published(protected: pl.DataFrame) -> pl.DataFrame:
    """The public columns only (what ``aggregates.csv`` holds)."""
    return protected.select(PUBLIC_COLUMNS)
