"""Run a quality gate: validate its tables with Great Expectations, write results and Data Docs.

A :class:`Gate` says which tables it checks (``prepare`` turns the stage's polars frames into
the frames the suites look at, computing relational checks as columns) and which expectations
each table must meet (suites defined in code). ``run_gate`` validates every table in one
ephemeral GX context per process (no files, no network, analytics off), then writes

* ``<docs_dir>/<gate>.json``: the machine-readable result (:class:`GateResult`): per
  expectation its table, type, column, severity, success and counts of rows checked and
  failing, never a value;
* ``<docs_dir>/data_docs/``: GX Data Docs, made to render offline (``offline_docs``).

Results are requested with ``partial_unexpected_count=0``: GX then keeps no failing value, so
none can reach the JSON or the pages. A gate passes when no expectation of severity
``critical`` fails; failed ``warning`` expectations are reported but do not block.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx
import polars as pl
from great_expectations.checkpoint.actions import UpdateDataDocsAction
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.expectations.expectation import Expectation

import expectations.pii as _pii  # noqa: F401  (registers the custom expectations first)
from expectations.offline_docs import make_offline

RESULT_FORMAT: Final = {"result_format": "SUMMARY", "partial_unexpected_count": 0}
_DATASOURCE: Final = "radar"


@dataclass(frozen=True)
class Gate:
    """A quality gate: how to prepare its tables and what to expect of each."""

    name: str
    prepare: Callable[[Mapping[str, pl.DataFrame]], dict[str, pl.DataFrame]]
    suites: Callable[[], dict[str, list[Expectation]]]


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's result: where, what, and how many rows failed (never which values)."""

    table: str
    expectation: str
    column: str | None
    severity: str
    success: bool
    element_count: int | None
    unexpected_count: int | None
    observed: float | int | None = None  # numeric observations only (counts, sums)
    error: str | None = None


@dataclass(frozen=True)
class GateResult:
    """The outcome of a gate run."""

    gate: str
    passed: bool
    outcomes: list[ExpectationOutcome]
    seconds: float
    json_path: Path
    docs_index: Path | None
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "critical"]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity != "critical"]

    def short(self) -> dict[str, Any]:
        """The result in short, for run summaries and bundle metadata (no values)."""
        return {
            "passed": self.passed,
            "expectations": len(self.outcomes),
            "failures": [_describe(o) for o in self.failures],
            "warnings": [_describe(o) for o in self.warnings],
            "seconds": round(self.seconds, 3),
        }

    def failure_message(self) -> str:
        """Which expectations failed and on how many rows, e.g. for a refusal."""
        return f"{self.gate} gate failed: " + "; ".join(_describe(o) for o in self.failures)

    def as_dict(self) -> dict[str, Any]:
        return {
            "gate": self.gate,
            "passed": self.passed,
            "seconds": round(self.seconds, 3),
            "rows": self.rows,
            "failures": len(self.failures),
            "warnings": len(self.warnings),
            "expectations": [asdict(o) for o in self.outcomes],
        }


def _describe(outcome: ExpectationOutcome) -> str:
    """``table.column: expectation (n of m rows)``: where and how many, never which values."""
    where = f"{outcome.table}.{outcome.column}" if outcome.column else outcome.table
    if outcome.error:
        count = outcome.error
    elif outcome.unexpected_count is not None:
        of = f" of {outcome.element_count:,}" if outcome.element_count is not None else ""
        count = f"{outcome.unexpected_count:,}{of} rows"
    else:
        count = "not met"
    return f"{where}: {outcome.expectation} ({count})"


@cache
def context() -> Any:
    """The process's ephemeral GX context (in-memory stores, analytics and progress bars off)."""
    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
    )
    ctx = gx.get_context(mode="ephemeral", project_config=config)
    ctx.data_sources.add_pandas(_DATASOURCE)
    return ctx


def _site(ctx: Any, docs_dir: Path) -> str:
    path = str(docs_dir.resolve())
    name = "radar-" + hashlib.sha256(path.encode()).hexdigest()[:8]
    if name not in (ctx.get_site_names() or []):
        ctx.add_data_docs_site(
            site_name=name,
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir.resolve()),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    return name


def _batch_definition(ctx: Any, asset_name: str) -> Any:
    source = ctx.data_sources.get(_DATASOURCE)
    try:
        asset = source.get_asset(asset_name)
    except LookupError:
        asset = source.add_dataframe_asset(asset_name)
    try:
        return asset.get_batch_definition("whole")
    except (KeyError, LookupError, ValueError):
        return asset.add_batch_definition_whole_dataframe("whole")


def _observed(result: dict[str, Any]) -> float | int | None:
    value = result.get("observed_value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _outcomes(table: str, validation: Any) -> list[ExpectationOutcome]:
    found = []
    for r in validation.results:
        config = r.expectation_config
        result = r.result or {}
        exception = r.exception_info or {}
        raised = bool(exception.get("raised_exception")) if isinstance(exception, dict) else False
        found.append(
            ExpectationOutcome(
                table=table,
                expectation=config.type,
                column=config.kwargs.get("column"),
                severity=str(getattr(config, "severity", "critical") or "critical")
                .split(".")[-1]
                .lower(),
                success=bool(r.success),
                element_count=result.get("element_count"),
                unexpected_count=result.get("unexpected_count"),
                observed=_observed(result),
                error="expectation raised an exception" if raised else None,
            )
        )
    return found


def run_gate(
    gate: Gate, frames: Mapping[str, pl.DataFrame], docs_dir: Path, *, data_docs: bool = True
) -> GateResult:
    """Validate ``frames`` against ``gate``; write its JSON result and Data Docs into ``docs_dir``.

    Docs of earlier gate runs into the same directory are kept (the index lists them all).
    ``data_docs=False`` writes only the JSON (quicker; for tests and repeated checks).
    """
    started = time.perf_counter()
    docs_dir.mkdir(parents=True, exist_ok=True)
    ctx = context()
    site = _site(ctx, docs_dir / "data_docs")
    tables = gate.prepare(frames)
    outcomes: list[ExpectationOutcome] = []
    for table, expectations in gate.suites().items():
        name = f"{gate.name}.{table}"
        suite = ctx.suites.add_or_update(gx.ExpectationSuite(name=name, expectations=expectations))
        batch_definition = _batch_definition(ctx, name)
        validation = ctx.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
        )
        checkpoint = ctx.checkpoints.add_or_update(
            gx.Checkpoint(
                name=name,
                validation_definitions=[validation],
                actions=[UpdateDataDocsAction(name="docs", site_names=[site])] if data_docs else [],
                result_format=RESULT_FORMAT,
            )
        )
        frame = tables[table].to_pandas()
        run = checkpoint.run(batch_parameters={"dataframe": frame})
        for result in run.run_results.values():
            outcomes.extend(_outcomes(table, result))
    index = make_offline(docs_dir / "data_docs") if data_docs else None
    passed = not any(not o.success and o.severity == "critical" for o in outcomes)
    result = GateResult(
        gate=gate.name,
        passed=passed,
        outcomes=outcomes,
        seconds=time.perf_counter() - started,
        json_path=docs_dir / f"{gate.name}.json",
        docs_index=index,
        rows={name: frame.height for name, frame in tables.items()},
    )
    result.json_path.write_text(json.dumps(result.as_dict(), indent=2) + "\n")
    return result
