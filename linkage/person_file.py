"""The persons table as the link stage stores it for its own reads: laid out for a day's run.

A day's run reads the national persons table three times (``linkage.person_rows``): hashes of
the blocking keys of every row, then every column of the neighbourhood's rows, then of the
closure's. In the table as the store keeps it, two things make those reads slow:

- the Bloom filters are ``Array(UInt64, words)`` columns, which Parquet stores as nested
  lists: decoding one such column of six million rows takes about 0.6-0.8 s, and hashing it
  as an array about as long again (five filters: 5.6 of a day's 8 s hash pass);
- a read of some rows by position can filter only on a row index counted while reading,
  so every column of every row is decoded before the filter drops most of them.

The link file (``laid_out``) stores each filter as one ``UInt64`` column per word
(``word_column``), and each row's position as a column of its own (``POSITION``). Flat
words decode about three times faster and hash with plain integer arithmetic
(``PersonRows.filter_words``); a filter on a stored column lets Parquet's reader decode the
other columns of the selected rows only. ``PersonFile.scan`` gives the table exactly as it
was laid out: every other column as it is, each filter put together again (null where its
first word is: filters hold no null words, ``pseudonymise.bloom``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Final, TypeVar

import polars as pl

#: Each row's position in the link file (0, 1, ...): a stored column the day's reads filter on.
POSITION: Final = "_position"


_WORD: Final = "__w"


def word_column(column: str, word: int) -> str:
    """The link file's column of one word of the filter column ``column``."""
    return f"{column}{_WORD}{word}"


def _filters(schema: pl.Schema) -> dict[str, int]:
    """The filter columns of ``schema`` (``Array(UInt64, words)``) and their words."""
    return {
        name: dtype.size
        for name, dtype in schema.items()
        if isinstance(dtype, pl.Array) and dtype.inner == pl.UInt64
    }


Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)


def laid_out(persons: Frame) -> Frame:
    """``persons`` as the link file stores it: its position first, each filter a column per
    word in the filter's place, every other column as it is."""
    schema = persons.collect_schema()
    filters = _filters(schema)
    columns: list[pl.Expr] = [pl.col(POSITION)]
    for name in schema.names():
        if name in filters:
            columns += [
                pl.col(name).arr.get(i).alias(word_column(name, i)) for i in range(filters[name])
            ]
        else:
            columns.append(pl.col(name))
    return persons.with_row_index(POSITION).select(columns)


@dataclass(frozen=True)
class PersonFile:
    """A persons table stored at ``path`` as ``laid_out`` gives it."""

    path: Path

    def raw(self) -> pl.LazyFrame:
        """The stored columns: ``POSITION``, the filters' words, the other columns."""
        return pl.scan_parquet(self.path)

    @cached_property
    def filters(self) -> dict[str, int]:
        """The filter columns of the table and their words."""
        words: dict[str, int] = {}
        for name in self.raw().collect_schema().names():
            column, _, word = name.rpartition(_WORD)
            if column and word.isdigit():
                words[column] = max(words.get(column, 0), int(word) + 1)
        return words

    @cached_property
    def columns(self) -> tuple[pl.Expr, ...]:
        """The table's columns over ``raw``, in their order, each filter put together again."""
        out: dict[str, pl.Expr] = {}
        for name in self.raw().collect_schema().names():
            column = name.rpartition(_WORD)[0]
            if column in self.filters:
                if column not in out:
                    words = [pl.col(word_column(column, i)) for i in range(self.filters[column])]
                    together = pl.when(words[0].is_not_null()).then(pl.concat_arr(words))
                    out[column] = together.alias(column)
            elif name != POSITION:
                out[name] = pl.col(name)
        return tuple(out.values())

    def scan(self) -> pl.LazyFrame:
        """The table as it was laid out."""
        return self.raw().select(self.columns)

    def height(self) -> int:
        """The table's rows."""
        return int(self.raw().select(pl.len()).collect().item())
