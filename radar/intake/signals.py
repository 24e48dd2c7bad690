"""Intake of ``signals.csv``: normalise, check against contract v1, split accepted/quarantined."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import polars as pl

from radar.contract.schemas import FINDINGS, INTAKE_SIGNALS, QUARANTINE, conform
from radar.contract.vocabulary import KINDS, SIGNAL_CATEGORIES, VIOLENCE_FORMS
from radar.intake import normalise as norm
from radar.intake.checks import (
    SIGNAL_ID_PATTERN,
    Check,
    common_checks,
    duplicated,
    failed_column,
    key_columns,
    materialise,
    records,
    value_check,
)
from radar.intake.csvfile import LINE_COLUMN
from radar.reference import vt_regions
from radar.settings import IntakeSettings


@dataclass(frozen=True)
class TableIntake:
    """What intake made of one file: accepted rows, quarantine records, findings."""

    accepted: pl.DataFrame
    quarantine: pl.DataFrame
    findings: pl.DataFrame


def _given(name: str) -> pl.Expr:
    return pl.col(name).str.strip_chars().str.len_bytes().gt(0)


def _normalised(raw: pl.DataFrame) -> pl.DataFrame:
    """The raw frame with the normalised columns (``n_``) and the checks on single values.

    Everything that depends on one column's value only is computed once per distinct value.
    """
    regions = vt_regions()
    region = pl.col("n_region_code")

    def region_date(name: str) -> pl.Expr:
        return region.replace_strict(
            regions["vt_region_code"], regions[name], default=None, return_dtype=pl.Date
        )

    def missing(name: str) -> dict[str, pl.Expr]:
        return {failed_column(name, "missing_value"): norm.blank_to_null(pl.col(name)).is_null()}

    def invalid(name: str, reason: str = "invalid_value") -> dict[str, pl.Expr]:
        return {failed_column(name, reason): _given(name) & pl.col(f"n_{name}").is_null()}

    given_forms = (
        pl.col("violence_forms")
        .str.replace_all(r"[,|]", ";")
        .str.split(";")
        .list.eval(norm.blank_to_null(pl.element()))
        .list.drop_nulls()
        .list.unique()
        .list.len()
    )
    groups: list[norm.ByValue] = [
        (
            ["kind"],
            [
                {"n_kind": norm.category(pl.col("kind"), KINDS)},
                missing("kind") | invalid("kind"),
            ],
        ),
        *(
            ([name], [{f"n_{name}": norm.category(pl.col(name), allowed)}, invalid(name)])
            for name, allowed in SIGNAL_CATEGORIES.items()
        ),
        (
            ["violence_forms"],
            [
                {"n_violence_forms": norm.category_list(pl.col("violence_forms"), VIOLENCE_FORMS)},
                {
                    failed_column("violence_forms", "invalid_value"): given_forms
                    > pl.col("n_violence_forms").list.len()
                },
            ],
        ),
        (
            ["region_code"],
            [
                {"n_region_code": norm.code(pl.col("region_code"))},
                {"_region_from": region_date("valid_from"), "_region_to": region_date("valid_to")},
                missing("region_code")
                | {
                    failed_column("region_code", "unknown_region"): region.is_not_null()
                    & pl.col("_region_from").is_null()
                },
            ],
        ),
        (
            ["received_on"],
            [
                {"n_received_on": norm.signal_date(pl.col("received_on"))},
                missing("received_on") | invalid("received_on", "invalid_date"),
            ],
        ),
        (
            ["closed_on"],
            [
                {"n_closed_on": norm.signal_date(pl.col("closed_on"))},
                invalid("closed_on", "invalid_date"),
            ],
        ),
    ]
    signal_id = norm.blank_to_null(pl.col("signal_id"))
    return norm.with_normalised(raw, groups).with_columns(
        pl.when(signal_id.str.contains(SIGNAL_ID_PATTERN)).then(signal_id).alias("n_signal_id"),
        norm.blank_to_null(pl.col("note")).alias("n_note"),
        pl.col("delivery_id").alias("n_delivery_id"),
        pl.col(LINE_COLUMN).alias("n_source_line"),
    )


def _contract_checks(
    raw: pl.DataFrame,
    settings: IntakeSettings,
    today: dt.date,
    columns: list[str],
    formula_candidates: Collection[str] | None,
) -> list[Check]:
    received = pl.col("n_received_on")
    region_known = pl.col("_region_from").is_not_null()
    checks = [
        Check("signal_id", "missing_value", norm.blank_to_null(pl.col("signal_id")).is_null()),
        *(value_check(name, "missing_value") for name in ("region_code", "kind", "received_on")),
        Check("signal_id", "invalid_value", _given("signal_id") & pl.col("n_signal_id").is_null()),
        value_check("region_code", "unknown_region"),
        Check(
            "region_code",
            "region_not_valid_on_date",
            region_known
            & received.is_not_null()
            & (
                (received < pl.col("_region_from"))
                | (pl.col("_region_to").is_not_null() & (received > pl.col("_region_to")))
            ),
        ),
        value_check("kind", "invalid_value"),
        value_check("received_on", "invalid_date"),
        Check("received_on", "future_date", received > pl.lit(today)),
        Check("received_on", "date_before_2000", received < pl.lit(settings.earliest_date)),
    ]
    checks += common_checks(
        raw,
        columns,
        max_field_chars=settings.max_field_chars,
        long_columns={"note": settings.max_note_chars},
        formula_candidates=formula_candidates,
    )
    return checks


def _finding_checks(today: dt.date) -> list[Check]:
    closed = pl.col("n_closed_on")
    return [
        value_check("closed_on", "invalid_date"),
        Check("closed_on", "future_date", closed > pl.lit(today)),
        Check("closed_on", "closed_before_received", closed < pl.col("n_received_on")),
        *(value_check(name, "invalid_value") for name in SIGNAL_CATEGORIES),
        value_check("violence_forms", "invalid_value"),
    ]


def intake_signals(
    raw: pl.DataFrame,
    *,
    file: str,
    settings: IntakeSettings,
    formula_candidates: Collection[str] | None = None,
) -> TableIntake:
    """Normalise and check the signals rows of a batch of deliveries.

    ``raw`` holds the raw strings of every contract column, ``_line`` and ``delivery_id``;
    ``formula_candidates`` the columns that can hold a formula value (None: all).
    """
    today = settings.reference_date()
    contract_columns = [c for c in raw.columns if c not in (LINE_COLUMN, "delivery_id")]
    frame = _normalised(raw)
    keys = key_columns(region=pl.col("region_code"), signal=pl.col("signal_id"))
    row_checks = _contract_checks(raw, settings, today, contract_columns, formula_candidates)
    frame, row_checks = materialise(frame, row_checks, "_check")
    broken = pl.any_horizontal(c.failed for c in row_checks)
    frame = frame.with_columns(broken.alias("_broken"))
    # Duplicates are judged among the rows that are otherwise fine: all their copies go.
    frame = frame.with_columns(
        (
            ~pl.col("_broken")
            & duplicated(["delivery_id", "n_region_code", "n_signal_id", "_broken"])
        ).alias("_duplicate")
    )
    quarantine = pl.concat(
        [
            records(frame, row_checks, keys, file=file),
            records(
                frame,
                [Check("signal_id", "duplicate_key", pl.col("_duplicate"))],
                keys,
                file=file,
            ),
        ]
    )
    # Lazy: the findings and the accepted rows each read only the columns they need.
    good = frame.lazy().filter(~pl.col("_broken") & ~pl.col("_duplicate"))
    findings = records(good, _finding_checks(today), keys, file=file)
    accepted = (
        good.with_columns(
            pl.when(pl.col("n_closed_on") > pl.lit(today))
            .then(None)
            .otherwise(pl.col("n_closed_on"))
            .alias("n_closed_on")
        )
        .select(pl.col(f"n_{name}").alias(name) for name in INTAKE_SIGNALS.columns)
        .collect()
    )
    return TableIntake(
        conform(accepted, INTAKE_SIGNALS),
        conform(quarantine, QUARANTINE),
        conform(findings, FINDINGS),
    )
