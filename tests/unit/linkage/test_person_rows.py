"""The persons table read by position from its Parquet file, plain or laid out as the link
stage writes it (``linkage.person_file``), gives the rows and columns the table in memory
gives, and a row taken twice is read once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from flows.linking import LinkInput
from linkage.bench import SynthStore
from linkage.person_file import POSITION, PersonFile, laid_out, word_column
from linkage.person_rows import PersonRows, word_matrix
from pseudonymise import bloom
from radar.intake.merge import IntakeTables


@pytest.fixture
def table() -> pl.DataFrame:
    rng = np.random.default_rng(7)
    n = 5_000
    filters = rng.integers(0, 2**63, (n, 4), dtype=np.uint64)
    filters[rng.random(n) < 0.1] = 0  # filters with no bit set: a value, not a null
    return pl.DataFrame(
        {
            "token": [f"{v:032x}" for v in rng.integers(0, 2**62, n)],
            "filter": filters,
            "year": rng.integers(1950, 2020, n).astype(np.int16),
            "other": rng.integers(0, 2**63, (n, 2), dtype=np.uint64),
        },
        schema_overrides={"filter": pl.Array(pl.UInt64, 4), "other": pl.Array(pl.UInt64, 2)},
    ).with_columns(
        pl.when(pl.col("year") > 2000).then(pl.col("token")).alias("token"),
        pl.when(pl.col("year") < 1960).then(pl.col("filter")).alias("filter"),  # nulls
    )


def stored_forms(frame: pl.DataFrame, folder: Path) -> dict[str, PersonRows]:
    """The table as rows in memory, a plain Parquet file and a link file (small row groups)."""
    frame.write_parquet(folder / "plain.parquet", row_group_size=700)
    laid_out(frame).write_parquet(folder / "link.parquet", row_group_size=700)
    return {
        "memory": PersonRows(frame),
        "plain": PersonRows(pl.scan_parquet(folder / "plain.parquet")),
        "link": PersonRows(PersonFile(folder / "link.parquet")),
    }


def test_a_link_file_gives_back_the_table_as_it_was_laid_out(
    table: pl.DataFrame, tmp_path: Path
) -> None:
    laid_out(table).write_parquet(tmp_path / "link.parquet", row_group_size=700)
    stored = PersonFile(tmp_path / "link.parquet")
    names = stored.raw().collect_schema().names()
    # every filter stored as flat words beside each row's position; the rest as it was
    assert names[0] == POSITION and "filter" not in names and "other" not in names
    assert {word_column("filter", i) for i in range(4)} <= set(names)
    assert stored.filters == {"filter": 4, "other": 2}
    back = stored.scan().collect()
    assert back.schema == table.schema
    assert back.equals(table)  # null filters null again, filters with no bit set kept
    assert stored.height() == table.height
    assert stored.raw().select(POSITION).collect().to_series().to_list() == list(range(5_000))


@pytest.mark.parametrize("share", [0.02, 0.5], ids=["few rows", "many rows"])
def test_stored_rows_equal_the_table_in_memory(
    table: pl.DataFrame, tmp_path: Path, share: float
) -> None:
    """Few rows are read by a set of their positions, many by a mask (``PersonRows._read``)."""
    forms = stored_forms(table, tmp_path)
    rows = np.flatnonzero(np.random.default_rng(1).random(table.height) < share)
    every_word = bloom.to_numpy(table.get_column("filter")).T
    nulls = table.get_column("filter").is_null().sum()
    exprs = (pl.col("token").str.len_bytes().alias("n"), "year")
    for name, form in forms.items():
        assert form.height == table.height, name
        assert form.columns(*exprs).equals(table.select(*exprs)), name
        named = (word.alias(f"w{i}") for i, word in enumerate(form.filter_words("filter")))
        words = form.columns(*named)
        assert np.array_equal(words.fill_null(0).to_numpy().T, every_word), name
        assert words.get_column("w0").null_count() == nulls, name  # a null filter's words
        assert np.array_equal(form.words("filter", rows), every_word[:, rows]), name
        assert form.take(rows).equals(table[rows]), name


def test_a_word_matrix_is_contiguous_per_word_across_chunks() -> None:
    filters = pl.Series(np.arange(24, dtype=np.uint64).reshape(6, 4)).cast(pl.Array(pl.UInt64, 4))
    chunked = pl.concat([filters[:2], filters[2:]], rechunk=False)
    assert chunked.n_chunks() == 2
    words = word_matrix(chunked)
    assert words.shape == (4, 6) and words[1].flags["C_CONTIGUOUS"]
    assert words[:, 3].tolist() == [12, 13, 14, 15]


@pytest.mark.parametrize("form", ["plain", "link"])
def test_rows_taken_before_are_not_read_again(
    table: pl.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    stored = stored_forms(table, tmp_path)[form]
    read: list[int] = []
    reader = PersonRows._read

    def counted(self: PersonRows, scan: pl.LazyFrame, rows: np.ndarray) -> pl.DataFrame:
        read.append(len(rows))
        return reader(self, scan, rows)

    monkeypatch.setattr(PersonRows, "_read", counted)
    first = np.arange(0, 3_000, 3)
    second = np.arange(1_000, 5_000, 2)  # overlaps the first
    assert stored.take(first).equals(table[first])
    assert stored.take(second).equals(table[second])
    assert stored.take(first[:10]).equals(table[first[:10]])
    assert read == [first.size, np.setdiff1d(second, first).size]
    with pytest.raises(AssertionError, match="ascend"):
        stored.take(first[::-1])


def test_the_link_flow_stages_the_persons_as_a_link_file(
    small_synth: SynthStore, tmp_path: Path
) -> None:
    """The run writes the persons it links as a link file and reads back the same table."""
    persons = small_synth.persons
    tables = IntakeTables(
        small_synth.signals, persons, pl.DataFrame(), pl.DataFrame(), pl.DataFrame()
    )
    staged = LinkInput.write(tables, tmp_path)
    stored = PersonFile(staged.persons)
    filters = {c for c, dtype in persons.schema.items() if isinstance(dtype, pl.Array)}
    assert filters and set(stored.filters) == filters
    assert staged.read_persons().equals(persons)
    staged.remove()
    assert not staged.persons.exists() and not staged.signals.exists()
