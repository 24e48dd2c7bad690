"""The persons table as a day's run reads it: a few columns of every row, or every column of
a few rows, named by their position in the table.

A national store holds six million person rows, about 4 GiB in memory with their tokens and
Bloom filters. A day's run needs all of that for a few ten thousand rows only (the
neighbourhood and its closure, ``linkage.neighbourhood``) and a few narrow columns of every
row (hashes of the blocking keys). Given the stored table, those are read in streaming
passes that hold a part of the file at a time; given a table in memory, they are selected
from it. Stored as the link stage lays it out (``linkage.person_file``), the filters are read
as flat words and the rows are selected on their stored position; a plain scan of a table
(``pl.scan_parquet``) gives the same rows, more slowly.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from linkage.person_file import POSITION, PersonFile, word_column
from pseudonymise import bloom

U64 = npt.NDArray[np.uint64]

#: Rows more than one in ``_MANY`` of the table are selected by a mask (``PersonRows._read``).
_MANY = 8


def word_matrix(filters: pl.Series) -> U64:
    """(words, rows): each word of every filter, contiguous per word (null filters all zero).
    Filled a chunk at a time (a streaming read gives several), so the filters are copied once
    and at most one chunk more: at national scale the difference between a few hundred MB and
    a few GB of fresh memory."""
    dtype = filters.dtype
    assert isinstance(dtype, pl.Array)
    words = np.empty((dtype.size, filters.len()), dtype=np.uint64)
    start = 0
    for chunk in filters.get_chunks():
        words[:, start : start + chunk.len()] = bloom.to_numpy(chunk).T
        start += chunk.len()
    return words


class PersonRows:
    """The rows of ``persons`` by position: a link file (``linkage.person_file``), a scan of
    a stored table, or the table."""

    def __init__(self, persons: pl.DataFrame | pl.LazyFrame | PersonFile):
        self._file = persons if isinstance(persons, PersonFile) else None
        self._persons = persons.scan() if isinstance(persons, PersonFile) else persons
        self.height = (
            self._persons.height
            if isinstance(self._persons, pl.DataFrame)
            else int(self._persons.select(pl.len()).collect().item())
        )
        self._taken_at = np.empty(0, dtype=np.int64)
        self._taken: pl.DataFrame | None = None

    def columns(self, *exprs: pl.Expr | str) -> pl.DataFrame:
        """Every row, in order: the expressions over the table, and over the words of its
        filters (``filter_words``)."""
        if isinstance(self._persons, pl.DataFrame):
            return self._persons.select(*exprs)
        scan = self._persons if self._file is None else self._file.raw()
        return scan.select(*exprs).collect(engine="streaming")

    def filter_words(self, column: str) -> list[pl.Expr]:
        """The words of the filter column ``column``, one expression each, for ``columns``:
        read as they are stored in a link file, taken from the filters otherwise."""
        if self._file is not None:
            return [pl.col(word_column(column, i)) for i in range(self._file.filters[column])]
        dtype = self._persons.collect_schema()[column]
        assert isinstance(dtype, pl.Array)
        return [pl.col(column).arr.get(i) for i in range(dtype.size)]

    def words(self, column: str, rows: npt.NDArray[np.integer]) -> U64:
        """(words, rows): the filters of ``column`` at the positions ``rows`` (ascending),
        contiguous per word, null filters all zero."""
        if isinstance(self._persons, pl.DataFrame):
            return word_matrix(self._persons.get_column(column)[pl.Series(rows)])
        if self._file is None:
            return word_matrix(self._read(self._persons.select(column), rows).get_column(column))
        names = [word_column(column, i) for i in range(self._file.filters[column])]
        read = self._read(self._file.raw().select(POSITION, *names), rows)
        words = np.empty((len(names), read.height), dtype=np.uint64)
        for i, name in enumerate(names):
            words[i] = read.get_column(name).fill_null(0).to_numpy()
        return words

    def take(self, rows: npt.NDArray[np.integer]) -> pl.DataFrame:
        """Every column of the rows at the positions ``rows`` (ascending), in that order.
        Rows taken before are not read again: one pass reads only the rows not yet taken."""
        wanted = np.asarray(rows, dtype=np.int64)
        assert wanted.size < 2 or bool((np.diff(wanted) > 0).all()), "positions ascend"
        if isinstance(self._persons, pl.DataFrame):
            return self._persons[pl.Series(wanted)]
        missing = np.setdiff1d(wanted, self._taken_at, assume_unique=True)
        if missing.size or self._taken is None:
            if self._file is None:
                read = self._read(self._persons, missing)
            else:
                read = self._read(self._file.raw(), missing).select(self._file.columns)
            at = np.concatenate([self._taken_at, missing])
            order = np.argsort(at, kind="stable")
            parts = [read] if self._taken is None else [self._taken, read]
            self._taken = pl.concat(parts)[pl.Series(order)]
            self._taken_at = at[order]
        assert self._taken is not None
        return self._taken[pl.Series(np.searchsorted(self._taken_at, wanted))]

    def _read(self, scan: pl.LazyFrame, rows: npt.NDArray[np.integer]) -> pl.DataFrame:
        """The rows of ``scan`` (columns of the table, or of a link file with its ``POSITION``)
        at the ascending positions ``rows``, in one streaming pass. Selected on the stored
        position, else on a row index counted while reading: a few rows by a set of their
        positions (Parquet's reader then decodes only their values of the other columns),
        many by a mask over every position (a set of millions costs more than the read:
        1.9 s against 0.35 s for half the rows of eight word columns, national scale)."""
        if POSITION not in scan.collect_schema().names():
            scan = scan.with_row_index(POSITION)
        wanted = np.asarray(rows, dtype=np.int64)
        if wanted.size * _MANY > self.height:
            mask = np.zeros(self.height, dtype=np.bool_)
            mask[wanted] = True
            chosen = pl.lit(pl.Series(mask)).gather(pl.col(POSITION))
        else:
            chosen = pl.col(POSITION).is_in(pl.Series(wanted).cast(pl.UInt32).implode())
        read = scan.filter(chosen).collect(engine="streaming")
        if not read.get_column(POSITION).is_sorted():
            read = read.sort(POSITION)
        assert read.height == wanted.size, "every position is a row of the table"
        return read.drop(POSITION)
