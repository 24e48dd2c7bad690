"""The cells of the publication, unrounded: one row per (period, region, measure, breakdown).

Input: the linked signals table, one row per accepted signal over all time (history is needed for
the 12-month look-back), with ``region_code, signal_id, kind, received_on, relation_type,
family_id, recurrence_category, prior_signals, prior_other_region`` (OUTPUT.md section 2).

A period is ``YYYY`` (the calendar year), ``YYYYH1`` (January-June) or ``YYYYH2``
(July-December). "In P" means ``received_on`` falls in P. Regions are every Veilig Thuis region
valid on some day of P (reference data), each emitted even without signals, plus ``NL``.

Measures (``breakdown`` is ``''`` for the total of a measure):

``signals_received`` (count, additive)
    Signals received in P. Breakdowns, each a full partition of the total:
    ``kind=<melding|advies>``; ``relation_type=<value>`` over the seven contract values, a
    missing relation type counted as ``onbekend``; ``recurrence_category=<value>`` over the four
    categories of OUTPUT.md (judged for every signal, meldingen and adviezen alike).
``families_involved`` (count, not additive)
    Distinct families with at least one signal received in P in the region. A family seen by two
    regions counts in both, and once in ``NL``; a family seen in both half-years counts once in
    the year.
``families_new_signal_12m`` (count, not additive)
    Distinct families with a signal received in P in the region whose family had an earlier
    signal (any region) received at most 12 months before it: families that came back within a
    year. A subset of ``families_involved``.
``repeat_signals_other_region_pct`` (percentage)
    Of the repeat signals received in P (``prior_signals > 0``), the share (0-100) whose family
    had an earlier signal in another region (``prior_other_region``). ``denominator`` holds the
    number of repeat signals; the value is null when it is 0.

``value`` is unrounded and internal: ``disclosure.protect`` makes the publishable table.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final

import polars as pl

from radar.contract.schemas import TableSchema
from radar.contract.vocabulary import KINDS, RELATION_TYPES
from radar.errors import DataQualityError, SchemaError
from radar.reference import vt_regions

NATIONAL: Final = "NL"
RECURRENCE_CATEGORIES: Final = (
    "eerste",
    "hermelding_een_bekend",
    "hermelding_meerdere_bekend",
    "vervolgmelding",
)
SIGNALS_RECEIVED: Final = "signals_received"
FAMILIES_INVOLVED: Final = "families_involved"
FAMILIES_NEW_SIGNAL_12M: Final = "families_new_signal_12m"
REPEAT_OTHER_REGION_PCT: Final = "repeat_signals_other_region_pct"
#: Count measures whose cells add up (over breakdowns, regions and half-years).
ADDITIVE_MEASURES: Final = (SIGNALS_RECEIVED,)
COUNT_MEASURES: Final = (SIGNALS_RECEIVED, FAMILIES_INVOLVED, FAMILIES_NEW_SIGNAL_12M)
PERCENT_MEASURES: Final = (REPEAT_OTHER_REGION_PCT,)
MEASURES: Final = COUNT_MEASURES + PERCENT_MEASURES
#: The breakdown dimensions of ``signals_received`` and their categories, in publication order.
DIMENSIONS: Final[dict[str, tuple[str, ...]]] = {
    "kind": KINDS,
    "relation_type": RELATION_TYPES,
    "recurrence_category": RECURRENCE_CATEGORIES,
}

AGGREGATES: Final = TableSchema(
    "aggregates",
    1,
    {
        "period": pl.String(),
        "region_code": pl.String(),
        "measure": pl.String(),
        "breakdown": pl.String(),
        "value": pl.Float64(),
        "denominator": pl.Int64(),  # percentages only: the count the share is taken of
    },
)

INPUT_COLUMNS: Final = (
    "region_code",
    "signal_id",
    "kind",
    "received_on",
    "relation_type",
    "family_id",
    "recurrence_category",
    "prior_signals",
    "prior_other_region",
)
_PERIOD = re.compile(r"^(\d{4})(H[12])?$")


@dataclass(frozen=True)
class Period:
    """A publication period: a calendar year or one of its halves."""

    code: str
    first_day: dt.date
    last_day: dt.date

    @classmethod
    def parse(cls, code: str) -> Period:
        match = _PERIOD.match(code)
        if match is None:
            raise SchemaError("period must look like 2024, 2024H1 or 2024H2")
        year, half = int(match.group(1)), match.group(2)
        first = dt.date(year, 7 if half == "H2" else 1, 1)
        last = dt.date(year, 6, 30) if half == "H1" else dt.date(year, 12, 31)
        return cls(code, first, last)

    @property
    def halves(self) -> tuple[str, str] | None:
        """The two half-year codes of a year period, else None."""
        return (f"{self.code}H1", f"{self.code}H2") if len(self.code) == 4 else None


def expected_regions(period: Period) -> list[str]:
    """Region codes valid on some day of the period, sorted (``NL`` not included)."""
    regions = vt_regions().filter(
        (pl.col("valid_from") <= period.last_day)
        & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= period.first_day))
    )
    return sorted(regions.get_column("vt_region_code").to_list())


def breakdowns(measure: str) -> list[str]:
    """The breakdown strings a measure is published with, total first."""
    if measure != SIGNALS_RECEIVED:
        return [""]
    return [""] + [f"{dim}={cat}" for dim, cats in DIMENSIONS.items() for cat in cats]


def cell_keys(period: str) -> pl.DataFrame:
    """Every cell of a period, in publication order (regions sorted, ``NL`` last)."""
    regions = [*expected_regions(Period.parse(period)), NATIONAL]
    rows = [
        (period, region, measure, breakdown)
        for region in regions
        for measure in MEASURES
        for breakdown in breakdowns(measure)
    ]
    return pl.DataFrame(
        rows, schema=["period", "region_code", "measure", "breakdown"], orient="row"
    )


def _check_input(signals: pl.DataFrame) -> None:
    missing = [c for c in INPUT_COLUMNS if c not in signals.columns]
    if missing:
        raise SchemaError("linked signals table lacks columns " + ", ".join(missing))


def _with_lookback(signals: pl.DataFrame) -> pl.DataFrame:
    """Adds ``new_within_12m``: the family's previous signal was at most 12 months earlier."""
    ordered = signals.sort("family_id", "received_on", "region_code", "signal_id")
    previous = pl.col("received_on").shift(1).over("family_id")
    return ordered.with_columns(
        new_within_12m=(previous >= pl.col("received_on").dt.offset_by("-12mo")).fill_null(False)
    )


def _count_cells(in_period: pl.DataFrame, region: pl.Expr) -> pl.DataFrame:
    """signals_received cells (total and every breakdown) per region expression."""
    parts = [
        in_period.group_by(region.alias("region_code")).agg(
            pl.lit("").alias("breakdown"), pl.len().alias("n")
        )
    ]
    for dim in DIMENSIONS:
        parts.append(
            in_period.group_by(
                region.alias("region_code"),
                (pl.lit(f"{dim}=") + pl.col(dim)).alias("breakdown"),
            ).agg(pl.len().alias("n"))
        )
    return pl.concat(parts).with_columns(measure=pl.lit(SIGNALS_RECEIVED))


def _family_cells(in_period: pl.DataFrame, region: pl.Expr) -> pl.DataFrame:
    return (
        in_period.group_by(region.alias("region_code"))
        .agg(
            pl.col("family_id").n_unique().alias(FAMILIES_INVOLVED),
            pl.col("family_id")
            .filter(pl.col("new_within_12m"))
            .n_unique()
            .alias(FAMILIES_NEW_SIGNAL_12M),
        )
        .unpivot(index="region_code", variable_name="measure", value_name="n")
        .with_columns(breakdown=pl.lit(""))
    )


def _share_cells(in_period: pl.DataFrame, region: pl.Expr) -> pl.DataFrame:
    repeat = pl.col("prior_signals") > 0
    return (
        in_period.group_by(region.alias("region_code"))
        .agg(
            (repeat & pl.col("prior_other_region")).sum().alias("numerator"),
            repeat.sum().cast(pl.Int64).alias("denominator"),
        )
        .with_columns(measure=pl.lit(REPEAT_OTHER_REGION_PCT), breakdown=pl.lit(""))
    )


def aggregate(signals: pl.DataFrame, period: str) -> pl.DataFrame:
    """The unrounded cells of ``period`` (schema ``AGGREGATES``), in publication order."""
    _check_input(signals)
    p = Period.parse(period)
    frame = _with_lookback(
        signals.select(INPUT_COLUMNS).with_columns(
            pl.col("relation_type").fill_null("onbekend"),
            pl.col("prior_other_region").fill_null(False),
        )
    )
    in_period = frame.filter(pl.col("received_on").is_between(p.first_day, p.last_day))
    regions = expected_regions(p)
    unknown = in_period.filter(~pl.col("region_code").is_in(regions)).height
    if unknown:
        raise DataQualityError(
            f"period {period}: {unknown} signals have a region_code not valid in the period"
        )
    for dim, cats in DIMENSIONS.items():
        bad = in_period.filter(~pl.col(dim).is_in(cats) | pl.col(dim).is_null()).height
        if bad:
            raise DataQualityError(f"period {period}: {bad} signals have an unknown {dim}")
    counts: list[pl.DataFrame] = []
    for region in (pl.col("region_code"), pl.lit(NATIONAL)):
        counts.append(_count_cells(in_period, region))
        counts.append(_family_cells(in_period, region))
    shares = pl.concat(
        [_share_cells(in_period, r) for r in (pl.col("region_code"), pl.lit(NATIONAL))]
    )
    key = ["region_code", "measure", "breakdown"]
    counted = pl.concat([c.select(*key, pl.col("n").cast(pl.Int64)) for c in counts])
    cells = (
        cell_keys(period)
        .join(counted, on=key, how="left", maintain_order="left")
        .join(
            shares.select(*key, "numerator", "denominator"),
            on=key,
            how="left",
            maintain_order="left",
        )
        .with_columns(
            value=pl.when(pl.col("measure") == REPEAT_OTHER_REGION_PCT)
            .then(
                pl.when(pl.col("denominator").fill_null(0) > 0).then(
                    100.0 * pl.col("numerator") / pl.col("denominator")
                )
            )
            .otherwise(pl.col("n").fill_null(0).cast(pl.Float64)),
            denominator=pl.when(pl.col("measure") == REPEAT_OTHER_REGION_PCT).then(
                pl.col("denominator").fill_null(0)
            ),
        )
    )
    return pl.DataFrame(cells.select(AGGREGATES.columns.keys()), schema=AGGREGATES.schema)
