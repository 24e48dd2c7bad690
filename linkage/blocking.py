"""Blocking: candidate pairs of person rows from equal tokens, token combinations and LSH.

Each rule joins the rows on a tuple of key columns (all non-null) and keeps pairs of rows from
different signals (two rows of one signal are never the same person, so they are never
candidates). A rule may join one tuple of columns against another (the swapped birth date
against the birth date). Blocks larger than the rule's cap are skipped and counted: a huge
block means a key carries no identity (a placeholder, a very common name in one year).

Locality-sensitive blocking covers what exact tokens miss (a typo in the surname together with
a call name): the name Bloom filters are cut into bands of sampled bit positions; rows of the
same birth year whose filters agree on every sampled bit of a band become candidates. The
filters are salted (surname by birth year, first name by birth year and month), so the birth
year is part of the key anyway; the filters salted by the other name are banded across all
years (the same first name and a similar surname, across a typo in the birth year).

Rows are addressed by their position ``idx`` in the prepared frame (``linkage.prepare``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from pseudonymise import bloom


@dataclass(frozen=True, slots=True)
class BlockRule:
    """Rows whose ``left`` columns equal another row's ``right`` columns (default: ``left``)."""

    name: str
    left: tuple[str, ...]
    right: tuple[str, ...] | None = None
    max_rows: int | None = None  # None: the settings' default cap


@dataclass(frozen=True, slots=True)
class Candidates:
    """Candidate pairs ``i < j`` with the bitmask of rules that proposed them."""

    pairs: pl.DataFrame  # i UInt32, j UInt32, rules UInt32
    rule_names: tuple[str, ...]
    pairs_per_rule: dict[str, int]
    skipped_rows_per_rule: dict[str, int]


IDENTITY_RULES: tuple[BlockRule, ...] = (
    BlockRule("bsn", ("tok_bsn",)),
    BlockRule("first_name_birth_date", ("tok_first_name_birth_date",)),
    BlockRule("surname_birth_date", ("tok_surname_year", "tok_birth_md")),
)
RULES: tuple[BlockRule, ...] = (
    *IDENTITY_RULES,
    BlockRule("initial_birth_date", ("tok_initial_birth_date",)),
    BlockRule("surname_birth_ym", ("tok_surname_year", "tok_birth_ym")),
    BlockRule(
        "surname_birth_date_swapped",
        ("tok_surname_year", "tok_birth_date_swapped"),
        ("tok_surname_year", "tok_birth_date"),
    ),
    BlockRule("birth_date_sex_pc4", ("tok_birth_date_sex", "pc4")),
    # a birth date alone identifies only in small stores: its blocks are capped tight
    BlockRule("birth_date", ("tok_birth_date",), max_rows=60),
    BlockRule("surname_year", ("tok_surname_year",)),
    BlockRule("address", ("tok_postcode_house",)),
    BlockRule("phone", ("tok_phone",)),
    BlockRule("names", ("fc_surname", "fc_first_name")),
    # household context: a first name with sex and an implied birth year (advice calls with
    # only an age), within a region so that common names stay small blocks nationally
    BlockRule("full_name", ("tok_full_name_sex",)),
)


#: Filters salted by the other name, not the birth year: LSH compares them across years.
UNGROUPED_FILTERS: tuple[str, ...] = ("bf_first_name_x", "bf_surname_x")
#: The filters ``link_persons`` bands.
LSH_FILTERS: tuple[str, ...] = ("bf_surname", "bf_surname_x")


def _rule_pairs(
    rows: pl.DataFrame, rule: BlockRule, cap: int, restricted: bool = False
) -> tuple[pl.DataFrame, int]:
    """Pairs (i < j, different signals) of one rule, and the rows skipped in oversized blocks.

    ``restricted``: only pairs with at least one fresh row (column ``_fresh``); block sizes
    still count every row, so a block is skipped exactly when it would be without the
    restriction.
    """
    right_cols = rule.right or rule.left
    base = ["idx", "sig", *(["_fresh"] if restricted else [])]
    left = rows.select(*base, *rule.left).drop_nulls()
    if rule.right is None:
        size = pl.len().over(list(rule.left))
        sized = left.with_columns(size.alias("_n"))
        skipped = int(sized.filter(pl.col("_n") > cap).height)
        left = sized.filter(pl.col("_n") <= cap).drop("_n")
        right = left
    else:
        right = rows.select(*base, *right_cols).drop_nulls()
        skipped = 0
    keys_r = [f"_k{n}" for n in range(len(right_cols))]
    right = right.rename(
        {"idx": "j", "sig": "sig_r", **dict(zip(right_cols, keys_r, strict=True))}
    ).drop("_fresh", strict=False)
    left = left.rename({"idx": "i"})
    if restricted:
        # fresh rows against every row; for a two-sided rule also every row against fresh ones
        sides = [(left.filter(pl.col("_fresh")), right)]
        if rule.right is not None:
            fresh_right = rows.filter(pl.col("_fresh")).select("idx", "sig", *right_cols)
            fresh_right = fresh_right.drop_nulls().rename(
                {"idx": "j", "sig": "sig_r", **dict(zip(right_cols, keys_r, strict=True))}
            )
            sides.append((left, fresh_right))
        joined = pl.concat(
            [
                a.drop("_fresh").join(b, left_on=list(rule.left), right_on=keys_r, how="inner")
                for a, b in sides
            ]
        )
    else:
        joined = left.join(right, left_on=list(rule.left), right_on=keys_r, how="inner")
    pairs = joined.filter(pl.col("sig") != pl.col("sig_r")).select(
        pl.min_horizontal("i", "j").alias("i"), pl.max_horizontal("i", "j").alias("j")
    )
    if rule.right is None and not restricted:
        return pairs.filter(pl.col("i") < pl.col("j")), skipped
    return pairs.unique(), skipped


def name_pair_pairs(
    name_pairs: pl.DataFrame, sig: pl.DataFrame, cap: int
) -> tuple[pl.DataFrame, int]:
    """Household blocking: rows of two signals holding the same name-pair token (the same
    first name, and a housemate of the same first name in each). Tokens held by more than
    ``cap`` rows are skipped. With a ``_fresh`` column in ``sig``, only pairs touching a fresh
    row."""
    rows = name_pairs.join(sig, on="idx").with_columns(pl.len().over("t").alias("_n"))
    skipped = int(rows.filter(pl.col("_n") > cap).height)
    rows = rows.filter(pl.col("_n") <= cap).drop("_n")
    left = rows.filter(pl.col("_fresh")) if "_fresh" in rows.columns else rows
    pairs = (
        left.join(rows, on="t", suffix="_o")
        .filter(pl.col("sig") != pl.col("sig_o"))
        .select(
            pl.min_horizontal("idx", "idx_o").alias("i"),
            pl.max_horizontal("idx", "idx_o").alias("j"),
        )
        .unique()
    )
    return pairs, skipped


def lsh_keys(
    filters: npt.NDArray[np.uint64], bands: int, band_bits: int, seed: int
) -> npt.NDArray[np.uint64]:
    """(n, bands) band keys: the sampled bits of each band packed into one integer.

    A band of an all-zero (null) filter gets key 0; callers treat 0 as "no key".
    """
    n, words = filters.shape
    rng = np.random.default_rng(seed)
    columns = np.ascontiguousarray(filters.T)  # a word of every row, contiguous
    out = np.zeros((n, bands), dtype=np.uint64)
    one, bit_of = np.uint64(1), np.empty(n, dtype=np.uint64)
    for band in range(bands):
        positions = rng.choice(words * 64, size=band_bits, replace=False)
        key = np.full(n, 1 << 63, dtype=np.uint64)  # never 0 for a real filter
        for bit, pos in enumerate(positions):  # in place: no temporaries per bit
            np.right_shift(columns[pos // 64], np.uint64(pos % 64), out=bit_of)
            np.bitwise_and(bit_of, one, out=bit_of)
            np.left_shift(bit_of, np.uint64(bit), out=bit_of)
            np.bitwise_or(key, bit_of, out=key)
        out[:, band] = key
    empty = bloom.popcount(filters) == 0
    out[empty] = 0
    return out


def _lsh_frame(
    rows: pl.DataFrame,
    column: str,
    matrix: npt.NDArray[np.uint64],
    group: str,
    bands: int,
    band_bits: int,
    seed: int,
) -> tuple[pl.DataFrame, list[BlockRule]]:
    keys = lsh_keys(matrix, bands, band_bits, seed)
    names = [f"_lsh_{column}_{b}" for b in range(bands)]
    grouping = pl.col(group) if group in rows.columns else pl.lit(0).alias(group)
    frame = rows.select(
        "idx", "sig", grouping, *(["_fresh"] if "_fresh" in rows.columns else [])
    ).with_columns(pl.Series(name, keys[:, b]).replace(0, None) for b, name in enumerate(names))
    rules = [BlockRule(f"lsh_{column}", (group, name)) for name in names]
    return frame, rules


def candidate_pairs(
    rows: pl.DataFrame,
    *,
    filters: dict[str, npt.NDArray[np.uint64]] | None = None,
    name_pairs: pl.DataFrame | None = None,
    max_block_rows: int,
    max_address_block_rows: int,
    lsh_bands: int = 0,
    lsh_band_bits: int = 24,
    seed: int = 0,
    rules: tuple[BlockRule, ...] = RULES,
    fresh: npt.NDArray[np.bool_] | None = None,
) -> Candidates:
    """Every candidate pair of ``rows`` (columns ``idx``, ``sig`` and the rule columns).

    LSH runs over each of ``filters`` within its salt group: the birth year (``salt_year``)
    for filters salted by it, everything at once for those salted by the other name
    (``UNGROUPED_FILTERS``). ``fresh`` (a flag per ``idx``): only the pairs with at least one
    fresh row, the pairs an incremental run adds to those found before (``linkage.incremental``).
    """
    restricted = fresh is not None
    if fresh is not None:
        rows = rows.with_columns(pl.Series("_fresh", fresh, dtype=pl.Boolean))
    parts: list[tuple[str, pl.DataFrame, int]] = []
    for rule in rules:
        cap = rule.max_rows or (
            max_address_block_rows if rule.name == "address" else max_block_rows
        )
        pairs, skipped = _rule_pairs(rows, rule, cap, restricted)
        parts.append((rule.name, pairs, skipped))
    if name_pairs is not None:
        sig_cols = ["idx", "sig", *(["_fresh"] if restricted else [])]
        pairs, skipped = name_pair_pairs(name_pairs, rows.select(sig_cols), max_block_rows)
        parts.append(("name_pair", pairs, skipped))
    if lsh_bands > 0 and filters:
        for column, matrix in filters.items():
            group = "_all" if column in UNGROUPED_FILTERS else "salt_year"
            frame, lsh_rules = _lsh_frame(
                rows, column, matrix, group, lsh_bands, lsh_band_bits, seed
            )
            for rule in lsh_rules:
                pairs, skipped = _rule_pairs(frame, rule, max_block_rows, restricted)
                parts.append((rule.name, pairs, skipped))
    names = tuple(dict.fromkeys(name for name, _, _ in parts))
    bit = {name: 1 << n for n, name in enumerate(names)}
    tagged = [
        pairs.with_columns(pl.lit(bit[name], dtype=pl.UInt32).alias("rules"))
        for name, pairs, _ in parts
    ]
    schema = {"i": pl.UInt32, "j": pl.UInt32, "rules": pl.UInt32}
    stacked = pl.concat([t.cast(schema) for t in tagged]) if tagged else pl.DataFrame(schema=schema)  # type: ignore[arg-type]
    merged = stacked.group_by("i", "j").agg(pl.col("rules").bitwise_or()).sort("i", "j")
    per_rule: dict[str, int] = {}
    skipped_per_rule: dict[str, int] = {}
    for name, pairs, skipped in parts:
        per_rule[name] = per_rule.get(name, 0) + pairs.height
        skipped_per_rule[name] = skipped_per_rule.get(name, 0) + skipped
    return Candidates(merged, names, per_rule, skipped_per_rule)
