"""The publication bundle of one period (OUTPUT.md section 3), built beside its place.

``build`` writes ``aggregates.csv``, ``metadata.json`` and ``validation/`` (the aggregates
gate's JSON result and Data Docs) into a fresh directory; ``flows.publication`` swaps it in
only when the gate passed, so a refusal or a crash leaves the previous bundle as it was.

Which periods are protected together: a year and its two halves add up (H1 + H2 = year), so a
suppressed cell of one could be recomputed from the others. A bundle is therefore protected
together with its year and halves (``joint_periods``), and the statuses of rows of those periods
already published in other bundles under the same output root stay as they were published
(``disclosure.protect(fixed=...)``): the protected pattern is that of everything published.
Only a first half-year published before its year is complete (H1 in July, with no other bundle
of that year yet) is protected alone: the empty second half would otherwise suppress it all.
The bundle holds the rows of its own period only.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Final

import polars as pl

from expectations import aggregates as aggregates_gate
from expectations.runner import GateResult, run_gate
from publish.aggregates import (
    ADDITIVE_MEASURES,
    COUNT_MEASURES,
    INPUT_COLUMNS,
    NATIONAL,
    PERCENT_MEASURES,
    SIGNALS_RECEIVED,
    Period,
    aggregate,
)
from publish.attack import PROTECTION_WIDTH
from publish.disclosure import PUBLIC_COLUMNS, protect_audited, published
from publish.rules import MIN_COUNT, PERCENT_DECIMALS, ROUNDING_BASE, SUPPRESSED
from radar.errors import DataQualityError

AGGREGATES_FILE: Final = "aggregates.csv"
METADATA_FILE: Final = "metadata.json"
VALIDATION_DIR: Final = "validation"


@dataclass(frozen=True)
class Bundle:
    """What ``build`` made (in ``path``) and the gate's result."""

    period: str
    path: Path
    cells: int
    suppressed: int
    gate: GateResult
    metadata: dict[str, Any]


def engine_version() -> str:
    try:
        return version("radar")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown"


def joint_periods(period: str, out_root: Path) -> list[str]:
    """The periods protected together with ``period`` (see the module docstring)."""
    p = Period.parse(period)
    year = p.code[:4]
    family = [year, f"{year}H1", f"{year}H2"]
    if p.code == f"{year}H1":
        others = [q for q in family if q != p.code and (out_root / q / AGGREGATES_FILE).is_file()]
        if not others:
            return [p.code]
    return family


def published_before(periods: list[str], period: str, out_root: Path) -> pl.DataFrame | None:
    """Rows of the other periods' bundles under ``out_root`` (their statuses are kept)."""
    frames = [
        pl.read_csv(
            out_root / q / AGGREGATES_FILE,
            schema_overrides={
                "period": pl.String,
                "breakdown": pl.String,
                "value": pl.Float64,
                "status": pl.String,
            },
        )
        .with_columns(pl.col("breakdown").fill_null(""))
        .select(PUBLIC_COLUMNS)
        for q in periods
        if q != period and (out_root / q / AGGREGATES_FILE).is_file()
    ]
    return pl.concat(frames) if frames else None


def _a_year_earlier(periods: list[str]) -> list[str]:
    return [f"{int(q[:4]) - 1}{q[4:]}" for q in periods]


def previous_cells(signals: pl.DataFrame, periods: list[str]) -> pl.DataFrame | None:
    """Unrounded cells of the same periods a year earlier, for plausibility (None: no data)."""
    earlier = _a_year_earlier(periods)
    first = min(Period.parse(q).first_day for q in earlier)
    last = max(Period.parse(q).last_day for q in earlier)
    if signals.filter(pl.col("received_on").is_between(first, last)).height == 0:
        return None
    cells = pl.concat([aggregate(signals, q) for q in earlier])
    return cells.with_columns(status=pl.lit("ok"))


def as_text(rows: pl.DataFrame) -> pl.DataFrame:
    """``value`` as written: counts as whole numbers, percentages with their decimals."""
    return rows.with_columns(
        value=pl.when(pl.col("measure").is_in(COUNT_MEASURES))
        .then(pl.col("value").cast(pl.Int64).cast(pl.String))
        .otherwise(pl.col("value").round(PERCENT_DECIMALS).cast(pl.String))
    )


def _rules() -> dict[str, Any]:
    return {
        "rounding": f"counts rounded to the nearest multiple of {ROUNDING_BASE}",
        "primary_suppression": f"counts below {MIN_COUNT} not published",
        "percentages": (
            f"from unrounded counts, {PERCENT_DECIMALS} decimal; not published when the "
            f"denominator is below {MIN_COUNT}"
        ),
        "secondary_suppression": (
            "further cells suppressed until no suppressed count can be confined to fewer than "
            f"{int(PROTECTION_WIDTH) + 1} consecutive values from the published cells "
            "(breakdowns, regions and NL, half-years and year; audited by linear programming)"
        ),
        "suppressed_marker": SUPPRESSED,
    }


def build(
    signals: pl.DataFrame,
    period: str,
    staging: Path,
    *,
    out_root: Path,
    provenance: dict[str, Any],
    upstream_gates: dict[str, Any],
) -> Bundle:
    """Write the bundle of ``period`` into ``staging`` (a new directory).

    ``signals``: the linked signals table (``aggregates.INPUT_COLUMNS``). ``provenance``: what
    ``metadata.json`` says about the input (snapshot, deliveries); ``upstream_gates``: the
    results in short of the gates of the run that made the snapshot. Raises
    ``DataQualityError`` naming the failed expectations when the aggregates gate fails; the
    validation report is in ``staging`` then, and no ``aggregates.csv``.
    """
    p = Period.parse(period)
    missing = [c for c in INPUT_COLUMNS if c not in signals.columns]
    if missing:
        raise DataQualityError("linked signals lack columns " + ", ".join(missing))
    periods = joint_periods(p.code, out_root)
    fixed = published_before(periods, p.code, out_root)
    cells = pl.concat([aggregate(signals, q) for q in periods])
    protected, audit = protect_audited(cells, fixed=fixed)
    if audit is None or not audit.safe:  # protect_audited raises before this; kept explicit
        raise DataQualityError("the disclosure audit did not run or found a recoverable cell")
    previous = previous_cells(signals, periods)
    gate = aggregates_gate.make_gate(
        periods,
        count_measures=COUNT_MEASURES,
        percent_measures=PERCENT_MEASURES,
        additive_measures=ADDITIVE_MEASURES,
    )
    frames = (
        {"cells": protected} if previous is None else {"cells": protected, "previous": previous}
    )
    staging.mkdir(parents=True)
    result = run_gate(gate, frames, staging / VALIDATION_DIR)
    if not result.passed:
        raise DataQualityError(result.failure_message())
    rows = published(protected).filter(pl.col("period") == p.code)
    as_text(rows).write_csv(staging / AGGREGATES_FILE)
    national = protected.filter(
        (pl.col("period") == p.code)
        & (pl.col("region_code") == NATIONAL)
        & (pl.col("measure") == SIGNALS_RECEIVED)
        & (pl.col("breakdown") == "")
    )
    metadata: dict[str, Any] = {
        "period": p.code,
        "period_days": [p.first_day.isoformat(), p.last_day.isoformat()],
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "engine": {"name": "radar", "version": engine_version()},
        **provenance,
        "cells": {
            "rows": rows.height,
            "published": rows.filter(pl.col("status") != SUPPRESSED).height,
            "suppressed": rows.filter(pl.col("status") == SUPPRESSED).height,
            "signals_received_nl": national.get_column("value").item() if national.height else None,
        },
        "disclosure_control": {
            **_rules(),
            "protected_together": periods,
            "statuses_kept_from": sorted({q for q in periods if q != p.code} & _on_disk(out_root)),
            "audit": {
                "suppressed_counts_tested": len(audit.intervals),
                "recoverable": len(audit.disclosed),
                "narrowest_interval": min((i.width for i in audit.intervals), default=None),
            },
        },
        "quality_gates": {
            **upstream_gates,
            "aggregates": {
                **result.short(),
                "result": f"{VALIDATION_DIR}/{result.json_path.name}",
                "data_docs": f"{VALIDATION_DIR}/data_docs/index.html",
            },
        },
    }
    (staging / METADATA_FILE).write_text(json.dumps(metadata, indent=2, default=str) + "\n")
    suppressed = rows.filter(pl.col("status") == SUPPRESSED).height
    return Bundle(p.code, staging, rows.height, suppressed, result, metadata)


def _on_disk(out_root: Path) -> set[str]:
    if not out_root.is_dir():
        return set()
    return {d.name for d in out_root.iterdir() if (d / AGGREGATES_FILE).is_file()}
