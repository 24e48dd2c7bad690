"""FEBRL4 as two regions' deliveries: the files INPUT.md describes, taken in by real intake."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from bench.febrl import (
    MISS_CLASSES,
    MISS_FIELDS,
    PERSON_COLUMNS,
    Postcodes,
    delivery_frames,
    load,
    miss_summary,
    radar_febrl,
    record_number,
    write_deliveries,
)
from radar.intake.delivery import RawDelivery, intake_batch, read_deliveries
from radar.intake.merge import IntakeTables, merge_intakes
from radar.settings import IntakeSettings

Files = tuple[pl.DataFrame, pl.DataFrame]


def _share(flags: pl.Series) -> float:
    return int(flags.fill_null(False).sum()) / max(flags.len(), 1)


@pytest.fixture(scope="module")
def febrl() -> Files:
    return load()


def test_febrl4_ships_two_files_of_5000_with_one_duplicate_each(febrl: Files) -> None:
    a, b = febrl
    assert (a.height, b.height) == (5000, 5000)
    numbers_a = a.select(record_number(pl.col("rec_id"))).to_series()
    numbers_b = b.select(record_number(pl.col("rec_id"))).to_series()
    assert numbers_a.n_unique() == 5000
    assert set(numbers_a) == set(numbers_b)


def test_record_number() -> None:
    ids = pl.Series(["rec-1070-org", "rec-1070-dup-0", "rec-7-dup-3"])
    assert pl.select(record_number(pl.lit(ids))).to_series().to_list() == [1070, 1070, 7]


def test_delivery_rows_hide_the_truth_and_the_social_security_id(febrl: Files) -> None:
    a, _ = febrl
    head = a.head(50)
    signals, persons, truth = delivery_frames(head, "VT01", "A")
    assert persons.columns == list(PERSON_COLUMNS)
    assert signals.get_column("signal_id").to_list()[:2] == ["A00001", "A00002"]
    written = " ".join(str(v) for row in persons.rows() for v in row)
    assert "rec-" not in written
    assert not any(ssid in written for ssid in head.get_column("soc_sec_id").to_list())
    assert (
        truth.get_column("true_id").to_list()
        == head.select(record_number(pl.col("rec_id"))).to_series().to_list()
    )


@pytest.mark.parametrize("postcodes", ["drop", "pc4"])
def test_deliveries_pass_intake_with_fields_mapped(
    febrl: Files, tmp_path: Path, postcodes: Postcodes
) -> None:
    a, b = febrl
    a, b = a.head(200), b.head(200)
    truth = write_deliveries(a, b, tmp_path, postcodes=postcodes)
    raws = [r for r in read_deliveries(sorted(tmp_path.iterdir())) if isinstance(r, RawDelivery)]
    assert len(raws) == 2
    tables, _ = merge_intakes(IntakeTables.empty(), intake_batch(raws, IntakeSettings()))
    assert tables.signals.height == 400
    assert tables.persons.height == 400
    assert truth.height == 400
    got = tables.persons.join(truth, on=["region_code", "signal_id"]).filter(
        pl.col("region_code") == "VT01"
    )
    source = a.with_columns(record_number(pl.col("rec_id")).alias("true_id"))
    both = got.join(source, on="true_id")
    dated = both.filter(pl.col("date_of_birth").str.contains(r"^(19|20)\d{2}(0[1-9]|1[0-2])\d{2}$"))
    assert dated.height > 150
    rebuilt = dated.select(
        (
            pl.col("birth_year").cast(pl.Int32) * 10_000
            + pl.col("birth_month").cast(pl.Int32) * 100
            + pl.col("birth_day").cast(pl.Int32)
        ).cast(pl.Utf8)
    ).to_series()
    assert _share(rebuilt == dated.get_column("date_of_birth")) > 0.95
    assert _share(both.get_column("surname") == both.get_column("surname_right")) > 0.95
    postcode = got.get_column("postcode")
    if postcodes == "drop":
        assert postcode.null_count() == got.height
    else:
        expected = source.join(got.select("true_id"), on="true_id").get_column("postcode")
        valid = expected.str.contains(r"^[1-9]\d{3}$")
        assert postcode.null_count() == int((~valid).sum())
        assert set(postcode.drop_nulls().str.slice(4)) == {"AA"}


def test_missed_pairs_are_the_true_pairs_not_linked_each_with_a_cause(febrl: Files) -> None:
    a, b = febrl
    a = a.head(300)
    kept = a.select(record_number(pl.col("rec_id"))).to_series().implode()
    b = b.filter(record_number(pl.col("rec_id")).is_in(kept))
    figures, missed = radar_febrl(a, b, misses=True)
    assert figures["predicted_pairs"] == figures["tp_pairs"]  # no false link on this sample
    assert missed.height == 300 - figures["tp_pairs"] > 0
    assert set(missed.get_column("why")) <= set(MISS_CLASSES)
    summary = miss_summary(missed)
    assert summary.get_column("pairs").sum() == missed.height
    assert set(summary.columns) == {"why", "pairs", "swapped", *MISS_FIELDS}
