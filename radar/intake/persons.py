"""Intake of ``persons.csv``: normalise identifiers, check against contract v1 and the signals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import numpy as np
import polars as pl

from radar.contract.schemas import FINDINGS, INTAKE_PERSONS, QUARANTINE, conform
from radar.contract.vocabulary import ROLES
from radar.intake import normalise as norm
from radar.intake.checks import (
    Check,
    common_checks,
    failed_column,
    key_columns,
    materialise,
    records,
    value_check,
)
from radar.intake.csvfile import LINE_COLUMN
from radar.intake.signals import TableIntake
from radar.reference import municipalities_2022
from radar.settings import IntakeSettings

_PERSON_SEQ_MAX = 999


def _given(name: str) -> pl.Expr:
    return pl.col(name).str.strip_chars().str.len_bytes() > 0


def _missing(name: str) -> dict[str, pl.Expr]:
    return {failed_column(name, "missing_value"): ~_given(name).fill_null(value=False)}


def _invalid(name: str, normalised: str = "", reason: str = "invalid_value") -> dict[str, pl.Expr]:
    return {failed_column(name, reason): _given(name) & pl.col(normalised or f"n_{name}").is_null()}


def normalised_persons(raw: pl.DataFrame) -> pl.DataFrame:
    """The raw frame with the normalised columns (``n_``) and the checks on single values.

    Everything that depends on one column's value only is computed once per distinct value.
    It needs nothing from the signals: intake may compute it while the signals are checked.
    """
    year, month, day = norm.birth_date_parts(pl.col("__birth_number"))
    number, suffix = norm.house_number(pl.col("house_number"))
    prefix, surname = norm.split_surname(pl.col("surname_prefix"), pl.col("surname"))
    municipality = norm.code(pl.col("municipality_code"))
    known = municipalities_2022().get_column("municipality_code").implode()
    by_value: list[norm.ByValue] = [
        (
            ["first_names"],
            [
                {"n_first_names": norm.first_names(pl.col("first_names"))},
                {"n_first_names_initials": norm.initials_only(pl.col("n_first_names"))},
            ],
        ),
        (["surname_prefix", "surname"], [{"n_surname_prefix": prefix, "n_surname": surname}]),
        (
            ["birth_date"],
            [
                {"__birth_number": norm.birth_date_number(pl.col("birth_date"))},
                {"n_birth_year": year, "n_birth_month": month, "n_birth_day": day},
                _invalid("birth_date", "n_birth_year", "invalid_date"),
            ],
        ),
        (
            ["house_number"],
            [{"n_house_number": number, "n_house_number_suffix": suffix}, _invalid("house_number")],
        ),
        (["street"], [{"n_street": norm.fold(pl.col("street"))}]),
        (["city"], [{"n_city": norm.fold(pl.col("city"))}]),
        (
            ["role"],
            [{"n_role": norm.category(pl.col("role"), ROLES)}, _missing("role") | _invalid("role")],
        ),
        (["sex"], [{"n_sex": norm.sex(pl.col("sex"))}, _invalid("sex")]),
        (["postcode"], [{"n_postcode": norm.postcode(pl.col("postcode"))}, _invalid("postcode")]),
        (["phone"], [{"n_phone": norm.phone(pl.col("phone"))}, _invalid("phone")]),
        (
            ["municipality_code"],
            [
                {"n_municipality_code": pl.when(municipality.is_in(known)).then(municipality)},
                _invalid("municipality_code"),
            ],
        ),
        (
            ["bsn"],
            [
                {"__bsn_digits": norm.bsn_digits(pl.col("bsn"))},
                {"n_bsn_status": norm.bsn_status(pl.col("__bsn_digits"))},
                {"n_bsn": pl.when(pl.col("n_bsn_status") == "valid").then(pl.col("__bsn_digits"))},
            ],
        ),
        (
            ["region_code"],
            [{"n_region_code": norm.code(pl.col("region_code"))}, _missing("region_code")],
        ),
        (
            ["person_seq"],
            [
                {
                    "n_person_seq": norm.small_int(
                        pl.col("person_seq"), 1, _PERSON_SEQ_MAX, pl.Int32()
                    )
                },
                _missing("person_seq") | _invalid("person_seq"),
            ],
        ),
        (
            ["age_estimate"],
            [
                {"n_age_estimate": norm.small_int(pl.col("age_estimate"), 0, 120, pl.Int16())},
                _invalid("age_estimate"),
            ],
        ),
    ]
    return norm.with_normalised(raw, by_value).with_columns(
        norm.blank_to_null(pl.col("signal_id")).alias("n_signal_id"),
        pl.col("delivery_id").alias("n_delivery_id"),
        pl.col(LINE_COLUMN).alias("n_source_line"),
    )


def _repeated(keys: pl.Series) -> pl.Series:
    """True where the (non-null) integer key occurs more than once.

    Sorting the keys with numpy and comparing neighbours costs about a third of polars'
    hashed ``is_duplicated`` here (0.04 vs 0.14 s CPU on 922k rows).
    """
    rows = np.flatnonzero(keys.is_not_null().to_numpy())
    values = keys.fill_null(0).to_numpy()[rows]  # with nulls to_numpy gives floats
    order = np.argsort(values)
    ordered = values[order]
    same = ordered[1:] == ordered[:-1]
    repeated = np.zeros(ordered.size, dtype=bool)
    repeated[1:] |= same
    repeated[:-1] |= same
    result = np.zeros(keys.len(), dtype=bool)
    result[rows[order]] = repeated
    return pl.Series(keys.name, result)


def _finding_checks(today: dt.date) -> list[Check]:
    birth_year = pl.col("n_birth_year")
    future_birth = (birth_year > today.year) | (
        (birth_year == today.year) & (pl.col("n_birth_month") > today.month)
    )
    return [
        value_check("role", "missing_value"),
        Check("bsn", "bsn_elfproef", pl.col("n_bsn_status") == "invalid"),
        value_check("birth_date", "invalid_date"),
        Check("birth_date", "future_date", future_birth),
        *(
            value_check(name, "invalid_value")
            for name in (
                "role",
                "age_estimate",
                "sex",
                "house_number",
                "postcode",
                "municipality_code",
                "phone",
            )
        ),
    ]


def intake_persons(
    raw: pl.DataFrame,
    *,
    signals: pl.DataFrame,
    quarantined_signals: pl.DataFrame,
    file: str,
    settings: IntakeSettings,
    formula_candidates: Collection[str] | None = None,
    normalised: pl.DataFrame | None = None,
) -> TableIntake:
    """Normalise and check persons rows of a batch; a person needs its signal accepted in its own
    delivery. ``raw`` holds the raw strings, ``_line`` and ``delivery_id``; ``normalised`` is
    :func:`normalised_persons` of ``raw`` when it was computed already."""
    today = settings.reference_date()
    frame = normalised_persons(raw) if normalised is None else normalised
    keys = key_columns(
        region=pl.col("region_code"), signal=pl.col("signal_id"), seq=pl.col("n_person_seq")
    )
    on = ["delivery_id", "n_region_code", "n_signal_id"]
    # Accepted signals are unique by key in their delivery: the row number names the key.
    accepted_keys = signals.lazy().select(
        pl.col("delivery_id"),
        pl.col("region_code").alias("n_region_code"),
        pl.col("signal_id").alias("n_signal_id"),
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_signal_accepted"),
    )
    quarantined_keys = (
        quarantined_signals.lazy()
        .select(
            pl.col("delivery_id"),
            pl.col("region_code").alias("n_region_code"),
            pl.col("signal_id").alias("n_signal_id"),
        )
        .drop_nulls()
        .unique()
        .with_columns(pl.lit(value=True).alias("_signal_quarantined"))
    )
    # Both key tables are unique; the join carries only the keys, not the wide frame.
    signal_keys = accepted_keys.join(quarantined_keys, on=on, how="full", coalesce=True)
    frame = frame.hstack(
        frame.lazy()
        .select(on)
        .join(signal_keys, on=on, how="left", maintain_order="left")
        .select("_signal_accepted", "_signal_quarantined")
        .collect()
    )
    row_checks = [
        value_check("region_code", "missing_value"),
        Check("signal_id", "missing_value", ~_given("signal_id").fill_null(value=False)),
        value_check("person_seq", "missing_value"),
        value_check("person_seq", "invalid_value"),
    ]
    row_checks += common_checks(
        raw,
        [c for c in raw.columns if c not in (LINE_COLUMN, "delivery_id")],
        max_field_chars=settings.max_field_chars,
        long_columns={},
        formula_candidates=formula_candidates,
    )
    frame, row_checks = materialise(frame, row_checks, "_check")
    broken = pl.any_horizontal(c.failed for c in row_checks)
    frame = frame.with_columns(broken.alias("_broken"))
    orphan = ~pl.col("_broken") & pl.col("_signal_accepted").is_null()
    signal_checks = [
        Check("signal_id", "signal_quarantined", orphan & pl.col("_signal_quarantined")),
        Check("signal_id", "unknown_signal", orphan & pl.col("_signal_quarantined").is_null()),
    ]
    # Duplicates are judged among the rows that are neither broken nor orphans. Such a row
    # has its signal's row number, which stands for its (delivery_id, region, signal_id), and
    # a person_seq of 1..999: one integer holds its whole key (cheaper than grouping strings).
    fine = ~pl.col("_broken") & ~pl.col("_orphan")
    key = pl.col("_signal_accepted").cast(pl.UInt64) * (_PERSON_SEQ_MAX + 1) + pl.col(
        "n_person_seq"
    ).cast(pl.UInt64)
    frame = frame.with_columns((orphan).alias("_orphan"))
    frame = frame.with_columns(
        _repeated(frame.select(pl.when(fine).then(key)).to_series()).alias("_duplicate")
    )
    quarantine = pl.concat(
        [
            records(frame, row_checks + signal_checks, keys, file=file),
            records(
                frame,
                [Check("person_seq", "duplicate_key", pl.col("_duplicate"))],
                keys,
                file=file,
            ),
        ]
    )
    good = frame.lazy().filter(~pl.col("_broken") & ~pl.col("_orphan") & ~pl.col("_duplicate"))
    findings = records(good, _finding_checks(today), keys, file=file)
    accepted = (
        good.with_columns(
            pl.when(pl.col("n_birth_year") > today.year).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("n_birth_year", "n_birth_month", "n_birth_day")
        )
        .select(pl.col(f"n_{name}").alias(name) for name in INTAKE_PERSONS.columns)
        .collect()
    )
    return TableIntake(
        conform(accepted, INTAKE_PERSONS),
        conform(quarantine, QUARANTINE),
        conform(findings, FINDINGS),
    )
