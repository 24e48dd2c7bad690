"""The attacker: recompute suppressed cells from the published table alone.

What the attacker knows: the published table (keys, ``value``, ``status``) and the rules of
``disclosure`` and ``constraints``, nothing else. So:

* a published count ``v`` is a rounded count: the true count lies in ``[v - 2, v + 2]``, and it
  is at least 10 (smaller counts are never published);
* a suppressed count is at least 0 (it may be a small cell or a secondary suppression);
* every relation of ``constraints.relations`` holds between the true counts: breakdowns add up
  to their total, regions to ``NL``, H1 + H2 to the year (equalities), and the family counts
  obey their order relations (inequalities).

For every suppressed count the attacker computes its feasible interval ``[low, high]`` under
all these constraints together, as two linear programs (minimise and maximise the cell; the LP
relaxation of the integer problem). The programs differ only in their objective, so one HiGHS
model (``highspy``) is built once and each program starts from the previous one's optimal
basis: a few simplex iterations each instead of a solve from scratch. Every solution found is
itself a feasible point for all cells, so a cell whose values seen in earlier solutions already
span the protection width needs no programs of its own.

A suppressed cell is **disclosed** when ``high - low < PROTECTION_WIDTH`` (9): the attacker can
confine it to fewer than 10 consecutive counts. That is narrower than what the "." of the
suppression rule tells anyone about a small cell (somewhere in 0-9), so the table itself leaked
it; it covers pinning a value to within the rounding base (width 4) and recovering it exactly
(width 0).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Final

import highspy
import numpy as np
import polars as pl
from scipy.sparse import csr_array, vstack

from publish.aggregates import COUNT_MEASURES
from publish.constraints import Relation, relations
from publish.rules import MIN_COUNT, ROUNDING_BASE, SUPPRESSED

#: A suppressed cell confined to a narrower interval than this counts as disclosed.
PROTECTION_WIDTH: Final = 9.0
_HALF_BASE: Final = ROUNDING_BASE // 2


@dataclass(frozen=True)
class CellInterval:
    """What the attacker learnt about one suppressed count."""

    position: int  # row in the published table
    key: tuple[str, str, str, str]  # period, region_code, measure, breakdown
    low: float
    high: float
    solved: bool  # False: the interval is what feasible points showed (the truth is wider)

    @property
    def width(self) -> float:
        return self.high - self.low


@dataclass(frozen=True)
class AttackReport:
    """Intervals of every suppressed count, and the disclosed ones among them."""

    intervals: list[CellInterval]
    disclosed: list[CellInterval]
    programs_solved: int
    seconds: float

    @property
    def safe(self) -> bool:
        return not self.disclosed


def _system(
    published: pl.DataFrame, found: list[Relation]
) -> tuple[np.ndarray, list[tuple[float, float | None]], csr_array | None, csr_array | None]:
    """Positions of count cells, their bounds, and the equality / inequality matrices."""
    is_count = published.get_column("measure").is_in(COUNT_MEASURES).to_numpy()
    cols = np.flatnonzero(is_count)
    col_of = {int(p): i for i, p in enumerate(cols)}
    values = published.get_column("value").to_numpy()
    suppressed = (published.get_column("status") == SUPPRESSED).to_numpy()
    bounds: list[tuple[float, float | None]] = []
    for p in cols:
        if suppressed[p]:
            bounds.append((0.0, None))
        else:
            v = float(values[p])
            bounds.append((max(v - _HALF_BASE, float(MIN_COUNT)), v + _HALF_BASE))

    def matrix(kind: str) -> csr_array | None:
        rows: list[int] = []
        colidx: list[int] = []
        data: list[float] = []
        r = 0
        for rel in found:
            if rel.kind != kind or not all(m in col_of for m in rel.members):
                continue
            rows.append(r)
            colidx.append(col_of[rel.left])
            data.append(1.0)
            for part in rel.right:
                rows.append(r)
                colidx.append(col_of[part])
                data.append(-1.0)
            r += 1
        if r == 0:
            return None
        return csr_array((data, (rows, colidx)), shape=(r, len(cols)))

    return cols, bounds, matrix("sum"), matrix("le")


class _Program:
    """One HiGHS model of the cells and relations; each solve changes only the objective."""

    def __init__(
        self,
        bounds: list[tuple[float, float | None]],
        a_eq: csr_array | None,
        a_ub: csr_array | None,
    ) -> None:
        inf = highspy.kHighsInf
        self._highs = highs = highspy.Highs()  # type: ignore[no-untyped-call]  # unannotated
        highs.setOptionValue("output_flag", False)
        lower = np.array([low for low, _ in bounds], dtype=np.float64)
        upper = np.array([inf if high is None else high for _, high in bounds], dtype=np.float64)
        highs.addVars(len(bounds), lower, upper)
        parts = [(a, 0.0) for a in (a_eq,) if a is not None]
        parts += [(a, -inf) for a in (a_ub,) if a is not None]
        if parts:  # equalities: sum = 0; inequalities: -inf <= left - sum of right <= 0
            matrix = csr_array(vstack([a for a, _ in parts], format="csr"))
            row_lower = np.concatenate([np.full(a.shape[0], low) for a, low in parts])
            highs.addRows(
                matrix.shape[0],
                row_lower,
                np.zeros(matrix.shape[0]),
                matrix.nnz,
                matrix.indptr[:-1].astype(np.int32),
                matrix.indices.astype(np.int32),
                matrix.data.astype(np.float64),
            )
        self._target: int | None = None

    def optimum(self, j: int, sign: float) -> np.ndarray | None:
        """The solution minimising ``sign * x[j]``, or None when that is unbounded."""
        highs = self._highs
        if self._target is not None:
            highs.changeColCost(self._target, 0.0)
        highs.changeColCost(j, sign)
        self._target = j
        highs.run()
        status = highs.getModelStatus()
        if status in (
            highspy.HighsModelStatus.kUnbounded,
            # the true counts satisfy every relation: the program is feasible, so unbounded
            highspy.HighsModelStatus.kUnboundedOrInfeasible,
        ):
            return None
        if status != highspy.HighsModelStatus.kOptimal:
            raise ArithmeticError(
                f"attack program for cell {j} failed: {highs.modelStatusToString(status)}"
            )
        return np.asarray(highs.getSolution().col_value, dtype=np.float64)


def attack(published: pl.DataFrame, *, width: float = PROTECTION_WIDTH) -> AttackReport:
    """Feasible intervals of the suppressed counts of ``published`` and the disclosed ones.

    ``published`` needs ``period, region_code, measure, breakdown, value, status`` (other
    columns are ignored: the attacker sees only what is published).
    """
    started = time.perf_counter()
    table = published.select("period", "region_code", "measure", "breakdown", "value", "status")
    cols, bounds, a_eq, a_ub = _system(table, relations(table))
    n = len(cols)
    suppressed = (table.get_column("status") == SUPPRESSED).to_numpy()[cols]
    targets = [int(j) for j in np.flatnonzero(suppressed)]
    seen_low = np.full(n, math.inf)
    seen_high = np.full(n, -math.inf)
    exact_low: dict[int, float] = {}
    exact_high: dict[int, float] = {}
    solved = 0
    program = _Program(bounds, a_eq, a_ub)

    def solve(j: int, sign: float) -> float:
        nonlocal solved, seen_low, seen_high
        x = program.optimum(j, sign)
        solved += 1
        if x is None:  # unbounded: no upper limit on this cell
            return math.inf * -sign
        seen_low = np.minimum(seen_low, x)
        seen_high = np.maximum(seen_high, x)
        return float(x[j])

    for j in targets:
        if seen_high[j] - seen_low[j] >= width:
            continue
        exact_low[j] = solve(j, 1.0)
        if seen_high[j] - exact_low[j] >= width:
            continue
        exact_high[j] = solve(j, -1.0)

    keys = list(table.select("period", "region_code", "measure", "breakdown").iter_rows())
    intervals: list[CellInterval] = []
    for j in targets:
        pos = int(cols[j])
        solved_both = j in exact_low and j in exact_high
        low = exact_low.get(j, float(seen_low[j]))
        high = exact_high.get(j, float(seen_high[j]))
        intervals.append(CellInterval(pos, keys[pos], low, high, solved_both))
    disclosed = [i for i in intervals if i.width < width]
    return AttackReport(intervals, disclosed, solved, time.perf_counter() - started)
