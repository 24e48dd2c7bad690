"""The persons table read by position from its Parquet file gives the rows and columns the
table in memory gives, and a row taken twice is read once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from linkage.person_rows import PersonRows


@pytest.fixture
def table(tmp_path: Path) -> tuple[pl.DataFrame, Path]:
    rng = np.random.default_rng(7)
    n = 5_000
    frame = pl.DataFrame(
        {
            "token": [f"{v:032x}" for v in rng.integers(0, 2**62, n)],
            "filter": rng.integers(0, 2**63, (n, 4), dtype=np.uint64),
            "year": rng.integers(1950, 2020, n).astype(np.int16),
        },
        schema_overrides={"filter": pl.Array(pl.UInt64, 4)},
    ).with_columns(pl.when(pl.col("year") > 2000).then(pl.col("token")).alias("token"))
    path = tmp_path / "persons.parquet"
    frame.write_parquet(path, row_group_size=700)
    return frame, path


def test_stored_rows_equal_the_table_in_memory(table: tuple[pl.DataFrame, Path]) -> None:
    frame, path = table
    stored, in_memory = PersonRows(pl.scan_parquet(path)), PersonRows(frame)
    assert stored.height == in_memory.height == frame.height
    exprs = (pl.col("token").str.len_bytes().alias("n"), "year")
    assert stored.columns(*exprs).equals(in_memory.columns(*exprs))
    rows = np.flatnonzero(np.random.default_rng(1).random(frame.height) < 0.1)
    assert stored.column("filter", rows).equals(frame.get_column("filter")[rows])
    assert stored.take(rows).equals(frame[rows])
    assert in_memory.take(rows).equals(frame[rows])


def test_rows_taken_before_are_not_read_again(
    table: tuple[pl.DataFrame, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    frame, path = table
    stored = PersonRows(pl.scan_parquet(path))
    read: list[int] = []
    reader = PersonRows._read

    def counted(scan: pl.LazyFrame, rows: np.ndarray) -> pl.DataFrame:
        read.append(len(rows))
        return reader(scan, rows)

    monkeypatch.setattr(PersonRows, "_read", staticmethod(counted))
    first = np.arange(0, 3_000, 3)
    second = np.arange(1_000, 5_000, 2)  # overlaps the first
    assert stored.take(first).equals(frame[first])
    assert stored.take(second).equals(frame[second])
    assert stored.take(first[:10]).equals(frame[first[:10]])
    assert read == [first.size, np.setdiff1d(second, first).size]
    with pytest.raises(AssertionError, match="ascend"):
        stored.take(first[::-1])
