"""The persons table as a day's run reads it: a few columns of every row, or every column of
a few rows, named by their position in the table.

A national store holds six million person rows, about 4 GiB in memory with their tokens and
Bloom filters. A day's run needs all of that for a few ten thousand rows only (the
neighbourhood and its closure, ``linkage.neighbourhood``) and a few narrow columns of every
row (hashes of the blocking keys). Given the stored table as a scan, those are read in
streaming passes that hold a part of the file at a time; given a table in memory, they are
selected from it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

_POSITION = "_position"


class PersonRows:
    """The rows of ``persons`` (a scan of the stored table, or the table) by position."""

    def __init__(self, persons: pl.DataFrame | pl.LazyFrame, height: int | None = None):
        self._persons = persons
        if height is None:
            height = (
                persons.height
                if isinstance(persons, pl.DataFrame)
                else int(persons.select(pl.len()).collect().item())
            )
        self.height = height
        self._taken_at = np.empty(0, dtype=np.int64)
        self._taken: pl.DataFrame | None = None

    def columns(self, *exprs: pl.Expr | str) -> pl.DataFrame:
        """Every row, in order: the expressions over the table."""
        if isinstance(self._persons, pl.DataFrame):
            return self._persons.select(*exprs)
        return self._persons.select(*exprs).collect(engine="streaming")

    def column(self, name: str, rows: npt.NDArray[np.integer]) -> pl.Series:
        """The values of the column ``name`` at the positions ``rows`` (ascending)."""
        if isinstance(self._persons, pl.DataFrame):
            return self._persons.get_column(name)[pl.Series(rows)]
        return self._read(self._persons.select(name), rows).get_column(name)

    def take(self, rows: npt.NDArray[np.integer]) -> pl.DataFrame:
        """Every column of the rows at the positions ``rows`` (ascending), in that order.
        Rows taken before are not read again: one pass reads only the rows not yet taken."""
        wanted = np.asarray(rows, dtype=np.int64)
        assert wanted.size < 2 or bool((np.diff(wanted) > 0).all()), "positions ascend"
        if isinstance(self._persons, pl.DataFrame):
            return self._persons[pl.Series(wanted)]
        missing = np.setdiff1d(wanted, self._taken_at, assume_unique=True)
        if missing.size or self._taken is None:
            read = self._read(self._persons, missing)
            at = np.concatenate([self._taken_at, missing])
            order = np.argsort(at, kind="stable")
            parts = [read] if self._taken is None else [self._taken, read]
            self._taken = pl.concat(parts)[pl.Series(order)]
            self._taken_at = at[order]
        assert self._taken is not None
        return self._taken[pl.Series(np.searchsorted(self._taken_at, wanted))]

    @staticmethod
    def _read(scan: pl.LazyFrame, rows: npt.NDArray[np.integer]) -> pl.DataFrame:
        """The rows of ``scan`` at the ascending positions ``rows``, in one streaming pass."""
        wanted = pl.Series(np.asarray(rows, dtype=np.int64)).cast(pl.UInt32)
        read = (
            scan.with_row_index(_POSITION)
            .filter(pl.col(_POSITION).is_in(wanted.implode()))
            .collect(engine="streaming")
        )
        if not read.get_column(_POSITION).is_sorted():
            read = read.sort(_POSITION)
        assert read.height == wanted.len(), "every position is a row of the table"
        return read.drop(_POSITION)
