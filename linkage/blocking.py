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
years within one birth day and month (the same first name and a similar surname, across a typo
in the birth year).

Rows are addressed by their position ``idx`` in the prepared frame (``linkage.prepare``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from linkage.compare import SIMILAR_ADDRESS
from pseudonymise import bloom


@dataclass(frozen=True, slots=True)
class BlockRule:
    """Rows whose ``left`` columns equal another row's ``right`` columns (default: ``left``)."""

    name: str
    left: tuple[str, ...]
    right: tuple[str, ...] | None = None
    max_rows: int | None = None  # None: the settings' default cap
    #: keep only the pairs whose address filters have at least this Dice (None: every pair)
    min_address_dice: float | None = None


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
    # a birth date alone identifies only in small stores: within a region (nationally some
    # 200 rows share a birth date; a region holds a few of them), capped tight
    BlockRule("birth_date", ("tok_birth_date", "region_code"), max_rows=60),
    # the same birth date at a similar address (address level 2 of ``linkage.compare``),
    # whatever the region: both names may fail (swapped and misspelt, or replaced). Blocked
    # within the address filters' salt (the municipality), so a block is a few rows at any
    # scale, and only pairs with similar addresses are kept
    BlockRule(
        "birth_date_address",
        ("tok_birth_date", "salt_address"),
        max_rows=60,
        min_address_dice=SIMILAR_ADDRESS,
    ),
    # no surname + birth year rule: its blocks grow with the store (a common surname in one
    # birth year); at scale 0.1 its 1.5M pairs held 769 true pairs no other rule found, and
    # the linkage bench at scale 0.02 gives the same figures to four decimals without it
    BlockRule("address", ("tok_postcode_house",)),
    # the same address line (street, number, and the place where no municipality salts it),
    # whatever the postcode says: a typo in the postcode or none
    BlockRule("address_line", ("salt_address", "fc_address")),
    BlockRule("phone", ("tok_phone",)),
    BlockRule("names", ("fc_surname", "fc_first_name")),
    # the whole name and sex, nationally and across years, capped tight: a common name makes
    # blocks of hundreds nationally over ten years (at scale 0.3, three years, cap 400: 8.8M
    # pairs). Not within a birth-year band: many of its true pairs join a row with no birth
    # year or age to one with (the linkage bench: family F1 0.908 -> 0.897 with bands)
    BlockRule("full_name", ("tok_full_name_sex",), max_rows=60),
)
#: The two overlapping birth-year bands (``linkage.prepare``); name-pair blocks lie within one.
BIRTH_BANDS: tuple[str, ...] = ("birth_band", "birth_band_shifted")
#: The key columns of the name-pair blocks (``name_pair_codes``; ``t``: the token's hash):
#: one block per token, region and birth band, capped by ``max_block_rows``.
NAME_PAIR_BLOCKS: tuple[tuple[str, ...], ...] = tuple(
    ("t", "region_code", band) for band in BIRTH_BANDS
)


U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
#: Rules whose block is one address (capped by ``max_address_block_rows``).
_ADDRESS_RULES: tuple[str, ...] = ("address", "address_line")
#: Filters salted by the other name, not the birth year: LSH compares them across years.
UNGROUPED_FILTERS: tuple[str, ...] = ("bf_first_name_x", "bf_surname_x")
#: The filters ``link_persons`` bands.
LSH_FILTERS: tuple[str, ...] = ("bf_surname", "bf_surname_x", "bf_first_name_x")
#: Filters banded within one pc4: the first name salted by the surname pairs the same
#: surname with a similar first name across birth years (or without one) in one area; across
#: all areas a common surname's similar first names would pair by the thousand.
PC4_FILTERS: tuple[str, ...] = ("bf_first_name_x",)
#: Pairs generated per step inside ``_pairs_in_blocks`` (bounds the temporary arrays).
_CHUNK_PAIRS = 1 << 24


def rule_cap(rule: BlockRule, max_block_rows: int, max_address_block_rows: int) -> int:
    """The most rows a block of ``rule`` may hold (larger blocks are skipped)."""
    return rule.max_rows or (
        max_address_block_rows if rule.name in _ADDRESS_RULES else max_block_rows
    )


@dataclass(frozen=True, slots=True)
class LshRule:
    """How one filter is banded: among the rows where ``where`` holds, within groups of rows
    equal on ``group`` (null equal to null); band blocks capped by ``max_block_rows``."""

    column: str  # the bf_* filter (its distinct values: ``fc_*`` of ``linkage.prepare``)
    group: tuple[str, ...]
    where: pl.Expr

    @property
    def code(self) -> str:
        """The column of the filter's distinct values (``linkage.prepare``)."""
        return f"fc_{self.column[3:]}"


def lsh_rules(
    filters: tuple[str, ...], lsh_group: tuple[str, ...], cross_year_group: str
) -> tuple[LshRule, ...]:
    """The banding of each of ``filters`` (``candidate_pairs``): the filters salted by the
    birth year within ``lsh_group`` among rows with a birth year; those salted by the other
    name (``UNGROUPED_FILTERS``) across years within ``cross_year_group``, except those banded
    within one pc4 (``PC4_FILTERS``)."""
    out = []
    for column in filters:
        if column in PC4_FILTERS:
            out.append(LshRule(column, ("pc4",), pl.col("pc4").is_not_null()))
        elif column in UNGROUPED_FILTERS:
            out.append(LshRule(column, (cross_year_group,), pl.col(cross_year_group).is_not_null()))
        else:
            # only rows with a birth year: without one the filters are salted by
            # municipality, and similar surnames of one municipality carry too little identity
            # (at scale 0.1 they made 6.2M of 6.7M LSH pairs, and 0.1% of them true)
            out.append(LshRule(column, lsh_group, pl.col("salt_year") >= 0))
    return tuple(out)


def _pairs_in_blocks(idx: I64, sig: I64 | None, starts: I64, sizes: I64) -> U64:
    """Every pair of positions inside each block, as codes ``i << 32 | j`` of ``idx``.

    The rows are sorted so that each block is the run ``starts[b] .. starts[b] + sizes[b]`` and
    ``idx`` increases inside a run: the earlier row is always the smaller ``i``. Pairs of one
    signal (``sig``) are dropped. Generated in chunks of blocks, so no temporary holds more
    than about ``_CHUNK_PAIRS`` pairs beyond the result.
    """
    cum = np.cumsum(sizes * (sizes - 1) // 2)
    total_pairs = int(cum[-1]) if cum.size else 0
    cuts = np.searchsorted(cum, np.arange(_CHUNK_PAIRS, total_pairs, _CHUNK_PAIRS), side="right")
    edges = np.unique(np.concatenate([[0], cuts, [sizes.size]])).tolist()
    out: list[U64] = []
    for first, last in itertools.pairwise(edges):
        b_starts, b_sizes = starts[first:last], sizes[first:last]
        # positions of the rows of these blocks and how many later rows share their block
        row_block = np.repeat(np.arange(b_sizes.size), b_sizes)
        offset_in_block = np.arange(row_block.size) - np.repeat(
            np.cumsum(b_sizes) - b_sizes, b_sizes
        )
        pos = b_starts[row_block] + offset_in_block
        later = b_sizes[row_block] - offset_in_block - 1
        total = int(later.sum())
        if total == 0:
            continue
        left = np.repeat(pos, later)
        step = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(later) - later, later)
        right = left + step + 1
        if sig is not None:
            keep = sig[left] != sig[right]
            left, right = left[keep], right[keep]
        out.append((idx[left].astype(np.uint64) << np.uint64(32)) | idx[right].astype(np.uint64))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.uint64)


def _blocks(
    frame: pl.DataFrame, keys: list[str], cap: int, weight: str | None = None
) -> tuple[pl.DataFrame, I64, I64, int]:
    """``frame`` (non-null keys) sorted into blocks of 2..``cap`` rows, the blocks' starts and
    sizes, and the rows skipped in larger blocks. ``weight``: a column counting the rows each
    row of ``frame`` stands for (the cap applies to their sum).

    One sort; the blocks are the runs of equal keys, sized with numpy (no grouping passes)."""
    ordered = frame.drop_nulls(keys).sort(*keys, "idx")
    if ordered.height == 0:
        return ordered, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0
    change = pl.any_horizontal(pl.col(k) != pl.col(k).shift() for k in keys).fill_null(True)
    run_starts = np.flatnonzero(ordered.select(change).to_series().to_numpy()).astype(np.int64)
    run_sizes = np.diff(np.append(run_starts, ordered.height)).astype(np.int64)
    stands_for = (
        np.add.reduceat(ordered.get_column(weight).to_numpy().astype(np.int64), run_starts)
        if weight
        else run_sizes
    )
    skipped = int(stands_for[stands_for > cap].sum())
    keep = (stands_for <= cap) & (run_sizes >= 2)
    kept = ordered.filter(pl.Series(np.repeat(keep, run_sizes)))
    sizes = run_sizes[keep]
    starts = (np.cumsum(sizes) - sizes).astype(np.int64)
    return kept, starts, sizes, skipped


def _rule_codes(rows: pl.DataFrame, rule: BlockRule, cap: int) -> tuple[U64, int]:
    """Pair codes (``i << 32 | j``, i < j, different signals) of one rule, and the rows
    skipped in oversized blocks."""
    if rule.right is not None:
        pairs = _cross_pairs(rows, rule)
        codes = (
            pairs.get_column("i").cast(pl.UInt64) * (1 << 32) + pairs.get_column("j")
        ).to_numpy()
        return np.asarray(codes, dtype=np.uint64), 0
    kept, starts, sizes, skipped = _blocks(
        rows.select("idx", "sig", *rule.left), list(rule.left), cap
    )
    idx = kept.get_column("idx").to_numpy().astype(np.int64)
    sig = kept.get_column("sig").to_numpy().astype(np.int64)
    return _pairs_in_blocks(idx, sig, starts, sizes), skipped


def _cross_pairs(rows: pl.DataFrame, rule: BlockRule) -> pl.DataFrame:
    """Pairs of rows whose ``left`` columns equal another row's ``right`` columns."""
    right_cols = rule.right or rule.left
    left = rows.select("idx", "sig", *rule.left).drop_nulls()
    right = rows.select("idx", "sig", *right_cols).drop_nulls()
    keys_r = [f"_k{n}" for n in range(len(right_cols))]
    right = right.rename({"idx": "j", "sig": "sig_r", **dict(zip(right_cols, keys_r, strict=True))})
    joined = left.rename({"idx": "i"}).join(
        right, left_on=list(rule.left), right_on=keys_r, how="inner"
    )
    return (
        joined.filter(pl.col("sig") != pl.col("sig_r"))
        .select(pl.min_horizontal("i", "j").alias("i"), pl.max_horizontal("i", "j").alias("j"))
        .unique()
    )


def name_pair_codes(name_pairs: pl.DataFrame, sig: pl.DataFrame, cap: int) -> tuple[U64, int]:
    """Household blocking: rows of two signals of one region (``sig``: ``idx``, ``sig``,
    ``region_code`` and the ``BIRTH_BANDS``) holding the same name-pair token (the same first
    name, and a housemate of the same first name in each), born at most two years apart (one
    birth band). Blocks of more than ``cap`` rows are skipped. A pair sharing several tokens,
    or both bands, appears once per token and band.

    Within a region and a band: a first-name pair is common nationally (its block grows with
    the store and is quadratic in it), while the households it stands for mostly stay in one
    region, and a person's birth year (or age) stays what it was."""
    rows = name_pairs.join(sig, on="idx")
    out: list[U64] = []
    skipped = 0
    for keys in NAME_PAIR_BLOCKS:
        kept, starts, sizes, band_skipped = _blocks(rows, list(keys), cap)
        idx = kept.get_column("idx").to_numpy().astype(np.int64)
        sig_codes = kept.get_column("sig").to_numpy().astype(np.int64)
        out.append(_pairs_in_blocks(idx, sig_codes, starts, sizes))
        skipped = max(skipped, band_skipped)
    return np.concatenate(out), skipped


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


def lsh_codes(
    rows: pl.DataFrame,
    column: str,
    matrix: U64,
    group: str,
    bands: int,
    band_bits: int,
    seed: int,
    cap: int,
    focus: npt.NDArray[np.bool_] | None = None,
) -> tuple[U64, int]:
    """Pairs of rows of one ``group`` (salt) whose filters agree on every bit of a band;
    with ``focus`` (per ``idx``), only pairs touching a focus row.

    Works on the distinct filters of each group: rows with identical filters agree on every
    band, so they pair directly (one block per distinct filter, once, instead of once per
    band); distinct filters are paired by band, and each pair of filters stands for the pairs
    of their rows. A band block is capped by the rows its filters stand for, so the pairs are
    exactly those of blocking every row on every band.
    """
    code = f"fc_{column[3:]}"
    present = rows.select("idx", "sig", group, code).drop_nulls()
    same, skipped = _rule_codes(present, BlockRule("same", (group, code)), cap)
    if focus is not None:
        same = same[_touches(same, focus)]
    distinct = (
        present.group_by(group, code)
        .agg(pl.len().alias("_w"), pl.col("idx").first().alias("_rep"))
        .sort(group, code)
    )
    rep = distinct.get_column("_rep").to_numpy().astype(np.int64)
    keys = lsh_keys(matrix[rep], bands, band_bits, seed)
    frame = distinct.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("idx"), group, "_w", code)
    filter_pairs: list[U64] = []
    for band in range(bands):
        banded = frame.with_columns(pl.Series("_key", keys[:, band]).replace(0, None))
        kept, starts, sizes, skipped_band = _blocks(banded, [group, "_key"], cap, weight="_w")
        skipped += skipped_band
        ids = kept.get_column("idx").to_numpy().astype(np.int64)
        filter_pairs.append(_pairs_in_blocks(ids, None, starts, sizes))
    unique = np.unique(np.concatenate(filter_pairs)) if filter_pairs else np.zeros(0, np.uint64)
    if unique.size == 0:
        return same, skipped
    fpairs = pl.DataFrame(
        {
            "a": (unique >> np.uint64(32)).astype(np.uint32),
            "b": (unique & np.uint64(0xFFFFFFFF)).astype(np.uint32),
        }
    )
    members = present.join(
        frame.select(pl.col("idx").alias("f"), group, code), on=[group, code]
    ).select("f", "idx", "sig")
    if focus is not None:
        # only filter pairs of which a side stands for a focus row
        members = members.with_columns(pl.Series("_focus", focus)[members.get_column("idx")])
        hot = members.group_by("f").agg(pl.col("_focus").any()).filter("_focus").get_column("f")
        fpairs = fpairs.filter(pl.col("a").is_in(hot.implode()) | pl.col("b").is_in(hot.implode()))
        members = members.drop("_focus")
    expanded = (
        fpairs.join(members.rename({"f": "a", "idx": "i", "sig": "si"}), on="a")
        .join(members.rename({"f": "b", "idx": "j", "sig": "sj"}), on="b")
        .filter(pl.col("si") != pl.col("sj"))
        .select(
            pl.min_horizontal("i", "j").cast(pl.UInt64) * (1 << 32)
            + pl.max_horizontal("i", "j").cast(pl.UInt64)
        )
        .to_series()
        .to_numpy()
    )
    cross = np.asarray(expanded, dtype=np.uint64)
    if focus is not None:
        cross = cross[_touches(cross, focus)]
    return np.concatenate([same, cross]), skipped


#: Bits below a pair code that carry the index of the rule that proposed it (32 rules at most:
#: the rules column is a 32-bit mask).
_RULE_BITS: Final = 5


def _merge_rules(
    parts: list[tuple[str, U64, int]], names: tuple[str, ...], rows: int
) -> pl.DataFrame:
    """One row per distinct pair of every rule's codes: ``i``, ``j`` and the mask of its rules.

    Each code is tagged with its rule's index in the low bits of one array that is sorted in
    place; a pair's mask is the OR over its run. ``parts`` is emptied on the way. No hashing,
    and no copy of the codes beyond the one array (at ten national years some 120M codes, of
    which 85M distinct pairs).
    """
    if len(names) > 1 << _RULE_BITS or rows >= 1 << (64 - 32 - _RULE_BITS):
        raise ValueError("too many blocking rules or rows to tag pair codes with their rule")
    index = {name: n for n, name in enumerate(names)}
    tagged = np.empty(sum(codes.size for _, codes, _ in parts), dtype=np.uint64)
    at = 0
    while parts:  # consumed: each rule's codes are freed once copied
        name, codes, _ = parts.pop()
        np.left_shift(codes, np.uint64(_RULE_BITS), out=tagged[at : at + codes.size])
        tagged[at : at + codes.size] |= np.uint64(index[name])
        at += codes.size
    tagged.sort()
    rule = (tagged & np.uint64((1 << _RULE_BITS) - 1)).astype(np.uint8)
    pair = np.right_shift(tagged, np.uint64(_RULE_BITS), out=tagged)  # in place
    del tagged
    first = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]]) if pair.size else pair[:0]
    bits = np.left_shift(np.uint32(1), rule, dtype=np.uint32)
    del rule
    masks = np.bitwise_or.reduceat(bits, first) if pair.size else bits
    del bits
    pair = pair[first]
    del first
    i = np.right_shift(pair, np.uint64(32)).astype(np.uint32)
    j = pair.astype(np.uint32)  # the low 32 bits
    del pair
    return pl.DataFrame({"i": i, "j": j, "rules": masks.astype(np.uint32, copy=False)})


def _split(codes: U64) -> tuple[I64, I64]:
    """The rows ``i`` and ``j`` of pair codes ``i << 32 | j``."""
    i = (codes >> np.uint64(32)).astype(np.int64)
    j = (codes & np.uint64(0xFFFFFFFF)).astype(np.int64)
    return i, j


def _touches(codes: U64, focus: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Pairs (codes ``i << 32 | j``) with a focus row on either side."""
    i, j = _split(codes)
    return np.asarray(focus[i] | focus[j], dtype=np.bool_)


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
    lsh_unresolved_only: bool = False,
    lsh_group: tuple[str, ...] = ("salt_year",),
    cross_year_group: str = "tok_birth_md",
    fresh: npt.NDArray[np.bool_] | None = None,
    address: U64 | None = None,
) -> Candidates:
    """Every candidate pair of ``rows`` (columns ``idx``, ``sig`` and the rule columns).

    ``address``: the address filters (by ``idx``) that rules with ``min_address_dice`` keep
    their pairs by; without them, those rules are left out.

    ``lsh_unresolved_only``: LSH pairs only touch rows that no identity rule (``IDENTITY_RULES``)
    gave a candidate: LSH is there for the typos that exact tokens miss, and a row with an
    identity candidate already reaches its person through that. ``lsh_group``: the columns
    (the filters' salt first) within which LSH bands are compared; null is a value here.
    ``cross_year_group``: the column within which the ``UNGROUPED_FILTERS`` are banded across
    years; rows where it is null take no part there.

    LSH runs over each of ``filters`` within its salt group: the birth year (``salt_year``)
    for filters salted by it, the ``cross_year_group`` for those salted by the other name
    (``UNGROUPED_FILTERS``), except those banded within one ``pc4`` (``PC4_FILTERS``).

    ``fresh`` (a flag per ``idx``): only the pairs with at least one fresh row, the pairs an
    incremental run adds to those found before (``linkage.incremental``). Blocks are built
    from every row and the pairs filtered, so block caps and the LSH focus are those of a
    full run.
    """
    parts: list[tuple[str, U64, int]] = []
    for rule in rules:
        cap = rule_cap(rule, max_block_rows, max_address_block_rows)
        if rule.min_address_dice is not None and address is None:
            continue
        codes, skipped = _rule_codes(rows, rule, cap)
        if rule.min_address_dice is not None and address is not None:
            codes = codes[
                bloom.dice_pairs(address, address, *_split(codes)) >= rule.min_address_dice
            ]
        parts.append((rule.name, codes, skipped))
    if name_pairs is not None:
        codes, skipped = name_pair_codes(
            name_pairs, rows.select("idx", "sig", "region_code", *BIRTH_BANDS), max_block_rows
        )
        # a pair sharing several name-pair tokens is one pair of this rule
        parts.append(("name_pair", np.unique(codes), skipped))
    if lsh_bands > 0 and filters:
        focus = None
        if lsh_unresolved_only:
            identity = {r.name for r in IDENTITY_RULES}
            focus = np.ones(rows.height, dtype=np.bool_)
            for name, codes, _ in parts:
                if name in identity:
                    focus[(codes >> np.uint64(32)).astype(np.int64)] = False
                    focus[(codes & np.uint64(0xFFFFFFFF)).astype(np.int64)] = False
        # filters salted by the other name are banded across every year (a typo in the year)
        # within a birth day and month: across all dates, one common first name would pair
        # every similar surname of ten years (at scale 0.3 and three years, 21M pairs)
        for lsh in lsh_rules(tuple(filters), lsh_group, cross_year_group):
            matrix = filters[lsh.column]
            frame = rows.filter(lsh.where).with_columns(
                pl.struct(*lsh.group).rank("dense").cast(pl.Int64).alias("_lsh_group")
            )
            column = lsh.column
            codes, skipped = lsh_codes(
                frame,
                column,
                matrix,
                "_lsh_group",
                lsh_bands,
                lsh_band_bits,
                seed,
                max_block_rows,
                focus,
            )
            parts.append((f"lsh_{column}", np.unique(codes), skipped))
    if fresh is not None:
        parts = [(name, codes[_touches(codes, fresh)], skip) for name, codes, skip in parts]
    names = tuple(dict.fromkeys(name for name, _, _ in parts))
    per_rule: dict[str, int] = {}
    skipped_per_rule: dict[str, int] = {}
    for name, codes, skipped in parts:
        per_rule[name] = per_rule.get(name, 0) + int(codes.size)
        skipped_per_rule[name] = skipped_per_rule.get(name, 0) + skipped
    merged = _merge_rules(parts, names, rows.height)
    return Candidates(merged, names, per_rule, skipped_per_rule)
