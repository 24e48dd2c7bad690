"""Which version of which signal goes into which delivery; contract errors and erasures.

Every signal is delivered in the period it was received (``<period end>_<region>_01``). When it
closes in a later period (and before the last day) it is re-delivered then, with ``closed_on``
and all its persons. Every few years a national re-delivery (``<date>_NL_01``) repeats a small
sample of the past year's signals of several regions, as they stood on that day.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
import polars as pl

from radar.synth import rates

Period = Literal["week", "month", "quarter"]
ERROR_KINDS = (
    "missing_kind",
    "invalid_region",
    "future_date",
    "date_before_2000",
    "orphan_person",
    "duplicate_key",
)


def period_end(day: pl.Expr, period: Period, last: dt.date) -> pl.Expr:
    """The last day of the period holding ``day`` (a Date expression), capped at ``last``."""
    if period == "month":
        end = day.dt.month_end()
    elif period == "quarter":
        end = pl.date(day.dt.year(), (day.dt.month() - 1) // 3 * 3 + 3, 1).dt.month_end()
    else:
        end = day + pl.duration(days=7 - day.dt.weekday().cast(pl.Int64))
    return pl.min_horizontal(end, pl.lit(last))


def delivering_region(region: pl.Expr, day: pl.Expr) -> pl.Expr:
    """The region that delivers on ``day``: VT16/VT26 signals come from VT27 from 2023."""
    return (
        pl.when(region.is_in(["VT16", "VT26"]) & (day.dt.year() >= 2023))
        .then(pl.lit("VT27"))
        .otherwise(region)
    )


def make_versions(
    signals: pl.DataFrame, period: Period, last: dt.date, start_year: int, rng: np.random.Generator
) -> pl.DataFrame:
    """One row per delivered version: sig, delivery, delivery_day, version, closed_on."""
    s = signals.select(
        "sig",
        "region_code",
        pl.col("received_day").cast(pl.Int32).cast(pl.Date).alias("received_on"),
        pl.col("closed_day").cast(pl.Int32).cast(pl.Date).alias("closed"),
    ).with_columns(d1=period_end(pl.col("received_on"), period, last))
    s = s.with_columns(
        d2=pl.when(pl.col("closed") <= pl.lit(last)).then(
            period_end(pl.col("closed"), period, last)
        ),
    )
    v1 = s.select(
        "sig",
        "region_code",
        pl.col("d1").alias("delivery_day"),
        pl.lit(1).alias("version"),
        pl.when(pl.col("closed") <= pl.col("d1")).then(pl.col("closed")).alias("closed_on"),
        pl.lit(False).alias("national"),
    )
    v2 = s.filter(pl.col("d2") > pl.col("d1")).select(
        "sig",
        "region_code",
        pl.col("d2").alias("delivery_day"),
        pl.lit(2).alias("version"),
        pl.col("closed").alias("closed_on"),
        pl.lit(False).alias("national"),
    )
    parts = [v1, v2]
    years = last.year - start_year + 1
    every = rates.NATIONAL_REDELIVERY_EVERY_YEARS
    regions = sorted(signals["region_code"].unique().to_list())
    for k in range(1, years // every + 1):
        year = start_year + k * every - 1
        day = min(dt.date(year, 6, 30), last)
        pick_regions = rng.choice(
            regions, min(len(regions), int(rng.integers(3, 7))), replace=False
        ).tolist()
        cand = s.filter(
            (pl.col("d1") < pl.lit(day))
            & (pl.col("d1") >= pl.lit(day - dt.timedelta(days=365)))
            & pl.col("region_code").is_in(pick_regions)
            & (pl.col("d2").is_null() | (pl.col("d2") != pl.lit(day)))
        )
        if cand.height == 0:
            continue
        take = rng.random(cand.height) < max(rates.NATIONAL_REDELIVERY_SHARE, 5 / cand.height)
        parts.append(
            cand.filter(pl.Series(take)).select(
                "sig",
                "region_code",
                pl.lit(day).alias("delivery_day"),
                pl.lit(3).alias("version"),
                pl.when(pl.col("closed") <= pl.lit(day)).then(pl.col("closed")).alias("closed_on"),
                pl.lit(True).alias("national"),
            )
        )
    v = pl.concat(parts)
    region = (
        pl.when(pl.col("national"))
        .then(pl.lit("NL"))
        .otherwise(delivering_region(pl.col("region_code"), pl.col("delivery_day")))
    )
    return (
        v.with_columns(
            delivery_region=region,
        )
        .with_columns(
            delivery=pl.col("delivery_day").dt.strftime("%Y-%m-%d")
            + "_"
            + pl.col("delivery_region")
            + "_01",
        )
        .sort("delivery", "sig")
    )


def final_versions(versions: pl.DataFrame) -> pl.DataFrame:
    """The version of each signal the engine ends up with (the last delivery by name)."""
    return versions.sort("sig", "delivery").group_by("sig", maintain_order=True).last()


def pick_errors(
    versions: pl.DataFrame, rate: float, n_signals: int, rng: np.random.Generator
) -> pl.DataFrame:
    """Signals whose only version is broken on purpose: sig, error (one of ERROR_KINDS)."""
    if rate <= 0:
        return pl.DataFrame(schema={"sig": pl.Int64, "error": pl.Utf8})
    once = versions.group_by("sig").len().filter(pl.col("len") == 1).select("sig").sort("sig")
    want = min(once.height, max(1, round(rate * n_signals)))
    idx = np.sort(rng.choice(once.height, want, replace=False)) if want else np.zeros(0, int)
    kinds = np.asarray(ERROR_KINDS)[np.arange(want) % len(ERROR_KINDS)]
    rng.shuffle(kinds)
    return pl.DataFrame({"sig": once["sig"].to_numpy()[idx], "error": kinds})


def pick_erasures(
    finals: pl.DataFrame,
    excluded: pl.Series,
    n_signals: int,
    period: Period,
    last: dt.date,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """Signals erased later: sig, region_code, erasure delivery name."""
    cand = finals.filter(~pl.col("national") & ~pl.col("sig").is_in(excluded.implode()))
    cand = (
        cand.with_columns(
            erase_day=period_end(pl.col("delivery_day") + pl.duration(days=1), period, last),
        )
        .filter(pl.col("erase_day") > pl.col("delivery_day"))
        .sort("sig")
    )
    want = min(cand.height, max(rates.ERASURES_MIN, round(rates.ERASURE_RATE * n_signals)))
    if want == 0:
        return pl.DataFrame(schema={"sig": pl.Int64, "region_code": pl.Utf8, "delivery": pl.Utf8})
    idx = np.sort(rng.choice(cand.height, want, replace=False))
    return cand[idx].select(
        "sig",
        "region_code",
        delivery=pl.col("erase_day").dt.strftime("%Y-%m-%d")
        + "_"
        + delivering_region(pl.col("region_code"), pl.col("erase_day"))
        + "_01",
    )
