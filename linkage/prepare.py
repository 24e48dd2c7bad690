"""Prepare the pseudonymised persons table for linkage: row order, integer codes, filters.

Rows are sorted by ``(region_code, signal_id, person_seq)`` and numbered ``idx``; ``sig`` numbers
the signals. Every token becomes a dense integer code (``-1`` for null) so that comparisons are
integer equality on numpy arrays; the Bloom filters become ``(n, words)`` ``uint64`` matrices.
The salt groups of the filters are rebuilt from clear columns: two rows' surname filters are
comparable only under equal salts (``pseudonymise.persons.FIELD_SALTS``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from pseudonymise import bloom
from pseudonymise.schema import BLOOM_COLUMNS, TOKEN_COLUMNS
from pseudonymise.tokens import NAME_PAIRS_COLUMN
from radar.errors import SchemaError

KEY: Final = ("region_code", "signal_id", "person_seq")
#: Seed of polars' 64-bit hashes of tokens and filters; stable for one polars version.
TOKEN_HASH_SEED: Final = 20261
SIGNAL_COLUMNS: Final = ("region_code", "signal_id", "kind", "received_on", "closed_on")
#: Regions merged into another: one area for comparison (``radar.reference``: VT16 and VT26
#: became VT27 in 2023, so a family of VT16 in 2021 is a family of VT27 in 2024).
MERGED_REGIONS: Final = {"VT16": "VT27", "VT26": "VT27"}
#: Width of the birth-year bands that bound name-pair blocking (``birth_band``).
BIRTH_BAND_YEARS: Final = 5
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Prepared:
    """The persons in linkage order, with numpy views of what comparisons read."""

    rows: pl.DataFrame  # idx, sig, key columns, tokens, clear columns (no filters)
    codes: dict[str, I64]  # token column -> code, -1 for null (``SHARED_CODES``: one dictionary)
    filters: dict[str, npt.NDArray[np.uint64]]  # bf_* -> (n, words)
    clear: dict[str, I64]  # birth_year, has_birth_month, has_birth_day, sex, pc4, area, ...
    name_pairs: pl.DataFrame  # idx UInt32, t UInt64 (token hash): a row per name-pair token

    #: each filter column's set bits per row, counted once (``popcount``)
    counts: dict[str, I64] = field(default_factory=dict, repr=False, compare=False)

    @property
    def size(self) -> int:
        return self.rows.height

    def popcount(self, column: str) -> I64:
        """Set bits of each row's filter in ``column`` (0: no filter), counted on first use."""
        if column not in self.counts:
            self.counts[column] = bloom.popcount(self.filters[column])
        return self.counts[column]

    def coded_rows(self) -> pl.DataFrame:
        """``rows`` with each token column as its code (null for none): blocking sorts and
        groups these integers instead of the tokens' 44 characters."""
        coded = pl.DataFrame({c: self.codes[c] for c in TOKEN_COLUMNS})
        return self.rows.with_columns(
            coded.select(pl.when(pl.col(c) >= 0).then(pl.col(c)).alias(c) for c in TOKEN_COLUMNS)
        )


def _check(persons: pl.DataFrame, signals: pl.DataFrame) -> None:
    missing = [
        c
        for c in (*KEY, *TOKEN_COLUMNS, NAME_PAIRS_COLUMN, *BLOOM_COLUMNS)
        if c not in persons.columns
    ]
    missing += [f"signals.{c}" for c in SIGNAL_COLUMNS if c not in signals.columns]
    if missing:
        raise SchemaError("linkage input lacks columns: " + ", ".join(missing))


#: Token columns coded in the dictionary of another column, because linkage compares them
#: with it (``linkage.compare``: the day and month swapped).
SHARED_CODES: Final = {"tok_birth_date_swapped": "tok_birth_date"}


def _code(series: pl.Series) -> I64:
    """Each distinct value's code (0, 1, ... by first appearance); null is -1.

    A hashed dictionary encoding (Arrow): codes are compared for equality only, so they need
    not follow the values' order, and it costs a quarter of a dense rank (a string sort).
    """
    values = series.rechunk().to_arrow(compat_level=pl.CompatLevel.newest())
    codes = pl.Series(pc.dictionary_encode(values).indices).fill_null(-1).to_numpy()
    return np.ascontiguousarray(codes, dtype=np.int64)


def _flag(series: pl.Series) -> I64:
    return np.asarray(series.fill_null(False).to_numpy(), dtype=np.int64)


def prepare(persons: pl.DataFrame, signals: pl.DataFrame) -> Prepared:
    """Sort, number and encode ``persons``; ``signals`` gives each row its received date."""
    _check(persons, signals)
    sig = signals.select(
        "region_code", "signal_id", pl.col("received_on").dt.year().alias("received_year")
    )
    # the order as positions: the wide columns (filters, name-pair lists) are gathered once
    # each, straight into what linkage reads, never copied as a whole sorted frame
    order = persons.select(*KEY).with_row_index("_pos").sort(*KEY).get_column("_pos")
    in_order = bool(order.diff().drop_nulls().eq(1).all())
    wide = {*BLOOM_COLUMNS, NAME_PAIRS_COLUMN}

    def ordered(frame: pl.DataFrame) -> pl.DataFrame:
        return frame if in_order else frame.select(pl.all().gather(order))

    received = (
        persons.select("region_code", "signal_id")
        .join(sig, on=["region_code", "signal_id"], how="left", maintain_order="left")
        .get_column("received_year")
    )
    rows = (
        ordered(persons.select(c for c in persons.columns if c not in wide))
        .with_columns(ordered(received.to_frame()).to_series())
        .with_row_index("idx")
        .with_columns(
            pl.col("idx").cast(pl.UInt32),
            # the signal's number (1, 2, ...): the rows are in key order, so a new signal
            # starts wherever the region or the signal id changes
            (
                (pl.col("region_code") != pl.col("region_code").shift())
                | (pl.col("signal_id") != pl.col("signal_id").shift())
            )
            .fill_null(value=True)
            .cum_sum()
            .cast(pl.Int64)
            .alias("sig"),
        )
    )
    positions = None if in_order else order.to_numpy()
    filters: dict[str, npt.NDArray[np.uint64]] = {}
    for c in BLOOM_COLUMNS:
        matrix = bloom.to_numpy(persons.get_column(c))
        filters[c] = matrix if positions is None else matrix[positions]
    codes = {c: _code(rows.get_column(c)) for c in TOKEN_COLUMNS if c not in SHARED_CODES}
    for column, other in SHARED_CODES.items():
        # one dictionary for both: a row's swapped date is compared with another's date
        both = _code(pl.concat([rows.get_column(other), rows.get_column(column)]))
        codes[other], codes[column] = both[: rows.height], both[rows.height :]
    year = rows.get_column("birth_year").cast(pl.Int64).fill_null(-1).to_numpy()
    implied = (
        rows.select(
            pl.coalesce(
                pl.col("birth_year").cast(pl.Int64),
                pl.col("received_year").cast(pl.Int64) - pl.col("age_estimate").cast(pl.Int64),
            )
        )
        .to_series()
        .fill_null(-1)
        .to_numpy()
    )
    clear = {
        "birth_year": np.asarray(year, dtype=np.int64),
        "implied_year": np.asarray(implied, dtype=np.int64),
        "has_age": _flag(rows.get_column("age_estimate").is_not_null()),
        "has_month": _flag(rows.get_column("has_birth_month")),
        "has_day": _flag(rows.get_column("has_birth_day")),
        "sex": _code(rows.get_column("sex").replace("O", None)),
        "pc4": _code(rows.get_column("pc4")),
        "pc4_value": np.asarray(
            rows.get_column("pc4").cast(pl.Int64, strict=False).fill_null(-1).to_numpy(),
            dtype=np.int64,
        ),
        "municipality": _code(rows.get_column("municipality_code")),
        "initials": _flag(rows.get_column("first_names_initials")),
        "sig": rows.get_column("sig").to_numpy().astype(np.int64),
        "area": _code(rows.get_column("region_code").replace(MERGED_REGIONS)),
    }
    salt = np.where(year >= 0, year, -10_000 - clear["municipality"])
    known = pl.Series(implied).replace(-1, None)
    rows = rows.with_columns(
        pl.Series("salt_year", salt),
        # two overlapping five-year bands of the (implied) birth year: two rows born at most
        # two years apart share one of them (``linkage.blocking``: name-pair blocks lie in one)
        (known // BIRTH_BAND_YEARS).alias("birth_band"),
        ((known + BIRTH_BAND_YEARS // 2) // BIRTH_BAND_YEARS).alias("birth_band_shifted"),
        # the address filters' salt: the municipality (-1: none, one salt of its own)
        pl.Series("salt_address", clear["municipality"]),
        *(
            pl.Series(f"fc_{c[3:]}", filter_code(filters[c])).replace(-1, None)
            for c in (
                "bf_first_name",
                "bf_surname",
                "bf_surname_x",
                "bf_first_name_x",
                "bf_address",
            )
        ),
    )
    keep = [
        "idx",
        "sig",
        *KEY,
        *(["delivery_id"] if "delivery_id" in rows.columns else []),
        "received_year",
        "birth_year",
        "salt_year",
        "birth_band",
        "birth_band_shifted",
        "salt_address",
        "pc4",
        "municipality_code",
        "sex",
        "fc_first_name",
        "fc_surname",
        "fc_surname_x",
        "fc_first_name_x",
        "fc_address",
        *TOKEN_COLUMNS,
    ]
    name_pairs = (
        ordered(persons.select(pl.col(NAME_PAIRS_COLUMN).alias("t")))
        .with_columns(rows.get_column("idx"))
        .select("idx", "t")
        .explode("t")
        .drop_nulls("t")
        # a stable 64-bit key: term frequencies are stored by it (``linkage.score``)
        .with_columns(pl.col("t").hash(TOKEN_HASH_SEED))
    )
    clear["name_pairs"] = np.bincount(
        name_pairs.get_column("idx").to_numpy().astype(np.int64), minlength=rows.height
    ).astype(np.int64)
    return Prepared(rows.select(keep), codes, filters, clear, name_pairs)


def filter_code(matrix: npt.NDArray[np.uint64]) -> I64:
    """Code of each distinct filter (equal filters: same value under the same salt), by first
    appearance; an empty filter is -1. Each filter's words are one fixed-size binary value,
    dictionary-encoded by hash (a quarter of the cost of ranking a struct of the words)."""
    rows = np.ascontiguousarray(matrix)
    width = rows.shape[1] * rows.itemsize
    values = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(width), rows.shape[0], [None, pa.py_buffer(rows)]
    )
    out: I64 = np.asarray(pc.dictionary_encode(values).indices.to_numpy(), dtype=np.int64)
    out[~rows.any(axis=1)] = -1
    return out
