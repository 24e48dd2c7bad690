import datetime as dt

import polars as pl
import pytest

from publish.aggregates import (
    DIMENSIONS,
    FAMILIES_INVOLVED,
    FAMILIES_NEW_SIGNAL_12M,
    MEASURES,
    NATIONAL,
    REPEAT_OTHER_REGION_PCT,
    SIGNALS_RECEIVED,
    Period,
    aggregate,
    breakdowns,
    expected_regions,
)
from radar.errors import DataQualityError, SchemaError

D = dt.date


def _value(
    cells: pl.DataFrame, period: str, region: str, measure: str, breakdown: str = ""
) -> float:
    row = cells.filter(
        (pl.col("period") == period)
        & (pl.col("region_code") == region)
        & (pl.col("measure") == measure)
        & (pl.col("breakdown") == breakdown)
    )
    assert row.height == 1
    return float(row.item(0, "value"))


def test_period_parsing() -> None:
    assert Period.parse("2024H1") == Period("2024H1", D(2024, 1, 1), D(2024, 6, 30))
    assert Period.parse("2024H2").first_day == D(2024, 7, 1)
    assert Period.parse("2024").last_day == D(2024, 12, 31)
    assert Period.parse("2024").halves == ("2024H1", "2024H2")
    for bad in ("2024H3", "24", "2024-H1", ""):
        with pytest.raises(SchemaError):
            Period.parse(bad)


def test_regions_follow_reference_validity() -> None:
    assert "VT27" in expected_regions(Period.parse("2024"))
    assert "VT16" not in expected_regions(Period.parse("2024"))
    assert "VT16" in expected_regions(Period.parse("2022"))


def test_every_cell_present_once(cells: pl.DataFrame) -> None:
    per_area = sum(len(breakdowns(m)) for m in MEASURES)
    for period in ("2024", "2024H1", "2024H2"):
        sub = cells.filter(pl.col("period") == period)
        areas = [*expected_regions(Period.parse(period)), NATIONAL]
        assert sub.height == len(areas) * per_area
        assert sorted(sub["region_code"].unique().to_list()) == sorted(areas)
    assert cells.select("period", "region_code", "measure", "breakdown").is_duplicated().sum() == 0


def test_signals_add_up(cells: pl.DataFrame) -> None:
    sig = cells.filter(pl.col("measure") == SIGNALS_RECEIVED)
    totals = sig.filter(pl.col("breakdown") == "").select("period", "region_code", "value")
    for dim in DIMENSIONS:
        sums = (
            sig.filter(pl.col("breakdown").str.starts_with(f"{dim}="))
            .group_by("period", "region_code")
            .agg(pl.col("value").sum().alias("parts"))
        )
        joined = totals.join(sums, on=["period", "region_code"])
        assert joined.height == totals.height
        assert (joined["value"] == joined["parts"]).all(), dim
    regional = (
        sig.filter(pl.col("region_code") != NATIONAL)
        .group_by("period", "breakdown")
        .agg(pl.col("value").sum().alias("regions"))
    )
    national = sig.filter(pl.col("region_code") == NATIONAL).join(
        regional, on=["period", "breakdown"]
    )
    assert (national["value"] == national["regions"]).all()
    year = sig.filter(pl.col("period") == "2024")
    halves = (
        sig.filter(pl.col("period") != "2024")
        .group_by("region_code", "breakdown")
        .agg(pl.col("value").sum().alias("halves"))
    )
    joined = year.join(halves, on=["region_code", "breakdown"])
    assert joined.height == year.height and (joined["value"] == joined["halves"]).all()


def test_matches_a_direct_count(linked_signals: pl.DataFrame, cells: pl.DataFrame) -> None:
    h1 = linked_signals.filter(pl.col("received_on").is_between(D(2024, 1, 1), D(2024, 6, 30)))
    vt01 = h1.filter(pl.col("region_code") == "VT01")
    assert _value(cells, "2024H1", "VT01", SIGNALS_RECEIVED) == vt01.height
    assert _value(cells, "2024H1", "VT01", SIGNALS_RECEIVED, "kind=melding") == (
        vt01.filter(pl.col("kind") == "melding").height
    )
    assert _value(cells, "2024H1", "VT01", FAMILIES_INVOLVED) == vt01["family_id"].n_unique()
    assert _value(cells, "2024H1", NATIONAL, FAMILIES_INVOLVED) == h1["family_id"].n_unique()
    repeat = h1.filter(pl.col("prior_signals") > 0)
    share = 100 * repeat["prior_other_region"].sum() / repeat.height
    assert _value(cells, "2024H1", NATIONAL, REPEAT_OTHER_REGION_PCT) == pytest.approx(share)
    # families are not additive: a family seen by two regions counts once nationally
    regions_sum = cells.filter(
        (pl.col("period") == "2024H1")
        & (pl.col("measure") == FAMILIES_INVOLVED)
        & (pl.col("region_code") != NATIONAL)
    )["value"].sum()
    assert _value(cells, "2024H1", NATIONAL, FAMILIES_INVOLVED) <= regions_sum


def _tiny(rows: list[tuple[str, str, dt.date, int, int, bool, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "region_code": r[0],
                "signal_id": r[1],
                "kind": "melding",
                "received_on": r[2],
                "relation_type": r[6],
                "family_id": r[3],
                "recurrence_category": "eerste" if r[4] == 0 else "vervolgmelding",
                "prior_signals": r[4],
                "prior_other_region": r[5],
            }
            for r in rows
        ]
    )


def test_families_new_signal_within_12_months() -> None:
    signals = _tiny(
        [
            ("VT01", "a1", D(2023, 3, 1), 1, 0, False, "partnergeweld"),
            ("VT02", "a2", D(2024, 2, 1), 1, 1, True, None),  # 11 months later, other region
            ("VT01", "b1", D(2022, 1, 1), 2, 0, False, "partnergeweld"),
            ("VT01", "b2", D(2024, 3, 1), 2, 1, False, "partnergeweld"),  # 26 months later
            ("VT01", "c1", D(2024, 4, 1), 3, 0, False, "partnergeweld"),
            ("VT01", "c2", D(2024, 5, 1), 3, 1, False, "partnergeweld"),  # 1 month later
        ]
    )
    cells = aggregate(signals, "2024H1")
    assert _value(cells, "2024H1", "VT02", FAMILIES_NEW_SIGNAL_12M) == 1
    assert _value(cells, "2024H1", "VT01", FAMILIES_NEW_SIGNAL_12M) == 1  # family 3 only
    assert _value(cells, "2024H1", NATIONAL, FAMILIES_NEW_SIGNAL_12M) == 2
    assert _value(cells, "2024H1", "VT01", FAMILIES_INVOLVED) == 2
    assert _value(cells, "2024H1", "VT02", SIGNALS_RECEIVED, "relation_type=onbekend") == 1
    assert _value(cells, "2024H1", NATIONAL, REPEAT_OTHER_REGION_PCT) == pytest.approx(100 / 3)
    assert _value(cells, "2024H1", "VT03", SIGNALS_RECEIVED) == 0  # every region, even empty
    empty = cells.filter(
        (pl.col("region_code") == "VT03") & (pl.col("measure") == REPEAT_OTHER_REGION_PCT)
    )
    assert empty.item(0, "value") is None and empty.item(0, "denominator") == 0


def test_rejects_bad_input() -> None:
    signals = _tiny([("VT16", "x", D(2024, 1, 5), 1, 0, False, None)])
    with pytest.raises(DataQualityError, match="region_code"):
        aggregate(signals, "2024")
    with pytest.raises(SchemaError, match="family_id"):
        aggregate(signals.drop("family_id"), "2024")
    bad_kind = _tiny([("VT01", "x", D(2024, 1, 5), 1, 0, False, None)]).with_columns(
        kind=pl.lit("klacht")
    )
    with pytest.raises(DataQualityError, match="kind"):
        aggregate(bad_kind, "2024")
