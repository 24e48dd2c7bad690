import polars as pl
import pytest

from publish.aggregates import COUNT_MEASURES, PERCENT_MEASURES
from publish.constraints import relations
from publish.disclosure import PUBLIC_COLUMNS, protect, published, round_count


@pytest.fixture(scope="module")
def protected(cells: pl.DataFrame) -> pl.DataFrame:
    return protect(cells)


def test_rounding_to_multiples_of_five() -> None:
    raw = pl.Series([10.0, 12.0, 13.0, 17.0, 18.0, 1234.0])
    assert pl.select(round_count(pl.lit(raw))).to_series().to_list() == [
        10.0,
        10.0,
        15.0,
        15.0,
        20.0,
        1235.0,
    ]


def test_published_counts_are_rounded_and_close(protected: pl.DataFrame) -> None:
    counts = protected.filter(pl.col("measure").is_in(COUNT_MEASURES) & (pl.col("status") == "ok"))
    assert counts.height > 0
    assert (counts["value"] % 5 == 0).all()
    assert ((counts["value"] - counts["raw_value"]).abs() <= 2).all()


def test_primary_suppression(protected: pl.DataFrame) -> None:
    small = protected.filter(pl.col("measure").is_in(COUNT_MEASURES) & (pl.col("raw_value") < 10))
    assert small.height > 0
    assert (small["status"] == ".").all() and small["value"].is_null().all()
    assert (small["suppression"] == "primary").all()
    hidden = protected.filter(pl.col("status") == ".")
    assert hidden["value"].is_null().all()
    assert protected.filter(pl.col("status") == "ok")["value"].null_count() == 0


def test_percentages_follow_their_denominator(protected: pl.DataFrame) -> None:
    pct = protected.filter(pl.col("measure").is_in(PERCENT_MEASURES))
    low = pct.filter(pl.col("denominator") < 10)
    assert (low["status"] == ".").all()
    shown = pct.filter(pl.col("status") == "ok")
    assert shown.height > 0 and (shown["denominator"] >= 10).all()
    assert ((shown["value"] - shown["raw_value"]).abs() <= 0.05 + 1e-9).all()


def test_no_group_has_a_single_suppressed_member(protected: pl.DataFrame) -> None:
    hidden = (protected["status"] == ".").to_list()
    groups = [r for r in relations(protected) if r.kind == "sum"]
    assert {g.group for g in groups} >= {
        "breakdown:kind",
        "breakdown:relation_type",
        "breakdown:recurrence_category",
        "regions",
        "half-years",
    }
    singles = [g for g in groups if sum(hidden[m] for m in g.members) == 1]
    assert singles == []
    assert (protected["suppression"] == "secondary").sum() > 0


def test_deterministic_and_public_view(cells: pl.DataFrame, protected: pl.DataFrame) -> None:
    again = protect(
        cells.sample(fraction=1.0, shuffle=True, seed=1).sort(
            "period", "region_code", "measure", "breakdown"
        )
    )
    key = ["period", "region_code", "measure", "breakdown"]
    assert again.sort(key).equals(protected.sort(key))
    assert published(protected).columns == list(PUBLIC_COLUMNS)
