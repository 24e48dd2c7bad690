"""Prepare the pseudonymised persons table for linkage: row order, integer codes, filters.

Rows are sorted by ``(region_code, signal_id, person_seq)`` and numbered ``idx``; ``sig`` numbers
the signals. Every token becomes a dense integer code (``-1`` for null) so that comparisons are
integer equality on numpy arrays; the Bloom filters become ``(n, words)`` ``uint64`` matrices.
The salt groups of the filters are rebuilt from clear columns: two rows' surname filters are
comparable only under equal salts (``pseudonymise.persons.FIELD_SALTS``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

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
#: Token columns ``Prepared.rows`` keeps as strings: the term frequencies key their groups
#: and values by the tokens' stable hashes (``linkage.score``). Every other token is kept as
#: its code only.
STRING_TOKENS: Final = ("tok_birth_ym", "tok_full_name_sex")
#: The clear columns prepare reads beside the key (``delivery_id`` where the table has it).
CLEAR_COLUMNS: Final = (
    "birth_year",
    "age_estimate",
    "has_birth_month",
    "has_birth_day",
    "sex",
    "pc4",
    "municipality_code",
    "first_names_initials",
)
#: Regions merged into another: one area for comparison (``radar.reference``: VT16 and VT26
#: became VT27 in 2023, so a family of VT16 in 2021 is a family of VT27 in 2024).
MERGED_REGIONS: Final = {"VT16": "VT27", "VT26": "VT27"}
#: Width of the birth-year bands that bound name-pair blocking (``birth_band``).
BIRTH_BAND_YEARS: Final = 5
I64 = npt.NDArray[np.int64]
#: Row numbers (``idx``) of candidate pairs: 32 bits in a run's pair arrays (at ten national
#: years 85M pairs), 64 in the chunks computed on.
Rows = npt.NDArray[np.uint32] | I64


@dataclass(frozen=True, slots=True)
class Prepared:
    """The persons in linkage order, with numpy views of what comparisons read."""

    rows: pl.DataFrame  # idx, sig, key and clear columns, ``STRING_TOKENS`` (``coded_rows``)
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
        """``rows`` with every token column as its code (null for none): blocking sorts and
        groups these integers instead of the tokens' 32 characters."""
        coded = pl.DataFrame({c: self.codes[c] for c in TOKEN_COLUMNS})
        return self.rows.with_columns(
            coded.select(pl.when(pl.col(c) >= 0).then(pl.col(c)).alias(c) for c in TOKEN_COLUMNS)
        )


def _check(columns: list[str], signals: pl.DataFrame) -> None:
    missing = [
        c
        for c in (*KEY, *CLEAR_COLUMNS, *TOKEN_COLUMNS, NAME_PAIRS_COLUMN, *BLOOM_COLUMNS)
        if c not in columns
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


def prepare(persons: pl.DataFrame | pl.LazyFrame, signals: pl.DataFrame) -> Prepared:
    """Sort, number and encode ``persons``; ``signals`` gives each row its received date.

    ``persons`` may be lazy (a scan of the stored table): its columns are then read a few at a
    time and each wide one (tokens, filters, name pairs) is encoded before the next is read,
    so the whole table is never in memory at once (at ten national years it is 3.8 GiB).
    """
    source = persons.lazy()
    names = source.collect_schema().names()
    _check(names, signals)

    def read(*columns: str) -> pl.DataFrame:
        return source.select(*columns).collect()

    sig = signals.select(
        "region_code",
        "signal_id",
        pl.col("received_on").dt.year().alias("received_year"),
        pl.col("received_on").cast(pl.Int32).alias("received_day"),
    )
    provenance = ["delivery_id"] if "delivery_id" in names else []
    base = read(*KEY, *provenance, *CLEAR_COLUMNS, *STRING_TOKENS)
    # the order as positions: every column is encoded in the stored order and its codes (or
    # filter words) gathered into key order, never the columns themselves
    order = base.select(*KEY).with_row_index("_pos").sort(*KEY).get_column("_pos")
    positions = None if bool(order.diff().drop_nulls().eq(1).all()) else order.to_numpy()

    def ordered(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return values if positions is None else values[positions]

    if positions is not None:
        base = base.select(pl.all().gather(order))
    received = base.select("region_code", "signal_id").join(
        sig, on=["region_code", "signal_id"], how="left", maintain_order="left"
    )
    rows = (
        base.with_columns(received.get_column("received_year"))
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
    received_day = np.asarray(
        received.get_column("received_day").fill_null(0).to_numpy(), dtype=np.int64
    )
    del base, received
    filters: dict[str, npt.NDArray[np.uint64]] = {}
    for c in BLOOM_COLUMNS:
        filters[c] = ordered(bloom.to_numpy(read(c).to_series()))
    codes = {c: ordered(_code(read(c).to_series())) for c in TOKEN_COLUMNS if c not in SHARED_CODES}
    for column, other in SHARED_CODES.items():
        # one dictionary for both: a row's swapped date is compared with another's date
        pair = read(other, column)
        both = _code(pl.concat([pair.get_column(other), pair.get_column(column)]))
        del pair
        codes[other], codes[column] = ordered(both[: rows.height]), ordered(both[rows.height :])
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
        # the signal's received date (days since 1970): how far apart two rows were reported
        "received_day": received_day,
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
        *STRING_TOKENS,
    ]
    # each stored row's position in key order: the name-pair lists are exploded as stored
    inverse = np.arange(rows.height, dtype=np.uint32)
    if positions is not None:
        inverse[positions] = inverse.copy()
    idx = pl.Series("idx", inverse)
    name_pairs = (
        read(NAME_PAIRS_COLUMN)
        .select(idx, pl.col(NAME_PAIRS_COLUMN).alias("t"))
        .explode("t")
        .drop_nulls("t")
        # a stable 64-bit key: term frequencies are stored by it (``linkage.score``)
        .with_columns(pl.col("t").hash(TOKEN_HASH_SEED))
    )
    if positions is not None:
        name_pairs = name_pairs.sort("idx", maintain_order=True)
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
