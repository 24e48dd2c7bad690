"""The neighbourhood of a day's rows: the part of the history an incremental run can change.

An incremental run (``linkage.incremental``) compares only the candidate pairs that touch a
fresh row, and re-clusters only the components those pairs or lost pairs touch. Everything it
can change lies in a small part of the history, found here with scans of a few columns
(semi-joins on the token columns, group counts) instead of preparing and blocking every row:

1. the *neighbours*: the rows that share a block with a fresh row under an exact rule
   (``linkage.blocking.RULES``, the name-pair rule) whose block in the whole history is within
   the rule's cap. The LSH pairs of the fresh rows are found here directly: their band blocks
   are counted over the whole history (a band key is the filter under the band's mask), and
   the unresolved rows judged on the whole history's identity blocks. The fresh rows and their
   neighbours are blocked (``Neighbourhood.blocking``: the exact rules with the blocks over
   their cap in the history masked, plus those LSH pairs), compared and scored with the frozen
   model (``linkage.persons.decided_pairs``): the candidate pairs and decisions of a
   whole-history run.
2. the *closure* (``Neighbourhood.close``): every signal connected to a fresh signal, to a row
   of a decisive pair (one that links, joins families or may attach a lone signal), to an
   erased or to a new signal, through the stored accepted pairs of every kind and through its
   own rows: a union of whole components, so the re-clustering, the families, the
   within-family pairs and the recurrence of those signals depend on nothing outside it.
   A neighbour whose pairs are all rejected changes nothing and stays outside.

The run then links the closure's rows with the existing incremental link and those pairs;
every row and signal outside keeps its person id, its family and its stored pairs. Ids are
keyed by row keys, not positions, so they do not depend on the subset: the result equals the
whole-history incremental link.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from linkage.blocking import (
    IDENTITY_RULES,
    LSH_FILTERS,
    RULES,
    UNGROUPED_FILTERS,
    BlockRule,
    Candidates,
    candidate_pairs,
    lsh_keys,
)
from linkage.incremental import LinkState, row_key
from linkage.persons import Blocker
from linkage.prepare import TOKEN_HASH_SEED, Prepared
from pseudonymise import bloom
from pseudonymise.tokens import NAME_PAIRS_COLUMN
from radar.settings import LinkageSettings

SIGNAL_KEY: Final = ("region_code", "signal_id")
#: The clear columns ``linkage.prepare`` derives from the Bloom filters (``fc_*``: equal
#: non-empty filters), as columns of the pseudonymised table: the filter where it is not empty.
_FILTER_COLUMNS: Final = {
    "fc_first_name": "bf_first_name",
    "fc_surname": "bf_surname",
    "fc_surname_x": "bf_surname_x",
}
#: The columns an LSH filter is banded within (``linkage.persons.block``: the surname filter
#: by birth year and month token; the filters salted by the other name across all rows).
_LSH_GROUP: Final = ("birth_year", "tok_birth_ym")
#: The blocking this module mirrors (``linkage.blocking``): rules, banded filters and the
#: parameters of ``candidate_pairs``. When blocking changes, ``mirrors_blocking`` is False and
#: a day's run links the whole history (``linkage.pipeline``) until this module follows.
_MIRRORED: Final = (
    (
        ("bsn", ("tok_bsn",), None, None),
        ("first_name_birth_date", ("tok_first_name_birth_date",), None, None),
        ("surname_birth_date", ("tok_surname_year", "tok_birth_md"), None, None),
        ("initial_birth_date", ("tok_initial_birth_date",), None, None),
        ("surname_birth_ym", ("tok_surname_year", "tok_birth_ym"), None, None),
        (
            "surname_birth_date_swapped",
            ("tok_surname_year", "tok_birth_date_swapped"),
            ("tok_surname_year", "tok_birth_date"),
            None,
        ),
        ("birth_date_sex_pc4", ("tok_birth_date_sex", "pc4"), None, None),
        ("birth_date", ("tok_birth_date", "region_code"), None, 60),
        ("address", ("tok_postcode_house",), None, None),
        ("phone", ("tok_phone",), None, None),
        ("names", ("fc_surname", "fc_first_name"), None, None),
        ("full_name", ("tok_full_name_sex",), None, None),
    ),
    ("bf_surname", "bf_surname_x"),
    ("bf_first_name_x", "bf_surname_x"),
    (
        "rows",
        "filters",
        "name_pairs",
        "max_block_rows",
        "max_address_block_rows",
        "lsh_bands",
        "lsh_band_bits",
        "seed",
        "rules",
        "lsh_unresolved_only",
        "lsh_group",
        "fresh",
    ),
)


def mirrors_blocking() -> bool:
    """True while ``linkage.blocking`` is the blocking this module reproduces."""
    rules = tuple(
        (r.name, r.left, r.right, r.max_rows)
        for r in RULES
        if not any(getattr(r, f, None) is not None for f in ("min_address_dice",))
    )
    current = (
        rules if len(rules) == len(RULES) else (),
        LSH_FILTERS,
        UNGROUPED_FILTERS,
        tuple(inspect.signature(candidate_pairs).parameters),
    )
    return current == _MIRRORED


#: The token and clear columns the exact rules block on.
_RULE_COLUMNS: Final = tuple(
    dict.fromkeys(
        c
        for rule in RULES
        for c in (*rule.left, *(rule.right or ()))
        if c not in _FILTER_COLUMNS and c not in SIGNAL_KEY
    )
)


@dataclass(frozen=True)
class Closure:
    """The part of the store a day's run re-links: whole components of the stored pairs."""

    rows: pl.Series  # per row of the persons table: in the closure
    signals: pl.DataFrame  # region_code, signal_id of the closure's current signals
    state: LinkState  # the previous state restricted to the closure
    outside_edges: pl.Series  # per stored edge: outside the closure (kept as it is)
    rounds: int  # breadth-first rounds over the stored pairs' signal graph


@dataclass(frozen=True)
class Neighbourhood:
    """The fresh rows and their neighbours, how to block them, and how to close a part of
    them over the stored pairs."""

    near: pl.Series  # per row of the persons table: fresh, or a neighbour of a fresh row
    fresh: pl.Series  # row keys of the fresh rows
    masked: dict[str, pl.Series]  # rule -> row keys in a block over its cap in the history
    name_pairs_masked: pl.DataFrame  # t (hash), region_code: name-pair blocks over the cap
    lsh: pl.DataFrame  # rule, a, b: LSH pairs of fresh rows, by row key
    erased: pl.DataFrame  # region_code, signal_id of the previous signals that are gone
    seconds: dict[str, float]
    _row_signals: pl.Series  # per row of the persons table: its signal hash
    _signals: pl.DataFrame  # region_code, signal_id, _s of the current signals
    _pair_signals: pl.DataFrame  # a, b: the signal hashes of each stored pair's rows
    _start: pl.Series  # signal hashes every closure starts from: erased and new signals
    _keys: pl.Series  # per row of the persons table: its row key
    _state: LinkState

    def close(self, rows: pl.Series) -> Closure:
        """The closure of the signals of ``rows`` (row keys), the fresh rows' signals, the
        erased signals (their pairs' other rows are re-clustered) and new signals without a
        person row, over the stored pairs of every kind."""
        start = pl.concat([_key_signal(pl.concat([rows, self.fresh])), self._start]).unique()
        graph = self._pair_signals.filter(pl.col("a") != pl.col("b")).unique()
        closed, frontier, rounds = start, start, 0
        while frontier.len():
            near_frontier = pl.col("a").is_in(frontier.implode()) | pl.col("b").is_in(
                frontier.implode()
            )
            reached = graph.filter(near_frontier)
            graph = graph.filter(~near_frontier)  # an edge reached once has done its part
            both = pl.concat([reached.get_column("a"), reached.get_column("b")]).unique()
            frontier = both.filter(~both.is_in(closed.implode()))
            closed = pl.concat([closed, frontier])
            rounds += 1
        inside = closed.implode()
        in_rows = self._row_signals.is_in(inside)
        edge_in = self._pair_signals.select(
            pl.col("a").is_in(inside) | pl.col("b").is_in(inside)
        ).to_series()
        signals = self._signals.filter(pl.col("_s").is_in(inside)).select(*SIGNAL_KEY)
        state = self._state
        keys = self._keys.filter(in_rows)
        restricted = LinkState(
            rows=keys.filter(~keys.is_in(self.fresh.implode())),
            person_links=state.person_links.join(signals, on=list(SIGNAL_KEY), how="semi"),
            edges=state.edges.filter(edge_in),
            model=state.model,
            fingerprint=state.fingerprint,
        )
        return Closure(in_rows, signals, restricted, ~edge_in, rounds)

    def blocking(self) -> Blocker:
        """Candidate pairs of the closure's prepared rows that a whole-history run finds."""
        return lambda p, s, fresh: self._block(p, s, fresh)

    def _block(
        self, p: Prepared, s: LinkageSettings, fresh: npt.NDArray[np.bool_] | None
    ) -> Candidates:
        keys = p.rows.select(row_key()).to_series()
        rows, rules = p.rows, []
        for rule in RULES:
            masked = self.masked.get(rule.name)
            if rule.right is not None or masked is None or masked.len() == 0:
                rules.append(rule)
                continue
            # a constant key column, null for the rows of the blocks over the cap
            ok = f"_ok_{rule.name}"
            hit = keys.is_in(masked.implode())
            rows = rows.with_columns(pl.when(hit).then(None).otherwise(True).alias(ok))
            rules.append(BlockRule(rule.name, (*rule.left, ok), rule.right, rule.max_rows))
        name_pairs = p.name_pairs.join(
            p.rows.select("idx", "region_code"), on="idx", how="left"
        ).join(self.name_pairs_masked, on=["t", "region_code"], how="anti")
        exact = candidate_pairs(
            rows,
            name_pairs=name_pairs.select("idx", "t"),
            max_block_rows=s.max_block_rows,
            max_address_block_rows=s.max_address_block_rows,
            lsh_bands=0,
            rules=tuple(rules),
            fresh=fresh,
        )
        names = list(exact.rule_names)
        per_rule, skipped = dict(exact.pairs_per_rule), dict(exact.skipped_rows_per_rule)
        position = pl.DataFrame({"k": keys, "p": pl.int_range(keys.len(), eager=True)})
        parts = [exact.pairs]
        if s.lsh_bands > 0:
            for column in LSH_FILTERS:
                name = f"lsh_{column}"
                names.append(name)
                found = (
                    self.lsh.filter(pl.col("rule") == name)
                    .join(position.rename({"k": "a", "p": "pa"}), on="a")
                    .join(position.rename({"k": "b", "p": "pb"}), on="b")
                    .select(
                        pl.min_horizontal("pa", "pb").cast(pl.UInt32).alias("i"),
                        pl.max_horizontal("pa", "pb").cast(pl.UInt32).alias("j"),
                        pl.lit(1 << (len(names) - 1), dtype=pl.UInt32).alias("rules"),
                    )
                    .unique()
                )
                per_rule[name], skipped[name] = found.height, 0
                parts.append(found)
        pairs = (
            pl.concat(parts)
            .group_by("i", "j")
            .agg(pl.col("rules").bitwise_or())
            .sort("i", "j")
            .select("i", "j", pl.col("rules").cast(pl.UInt32))
        )
        return Candidates(pairs, tuple(names), per_rule, skipped)


def _signal(prefix: str = "") -> pl.Expr:
    """A 64-bit hash of a signal's key (a collision only joins two closures: still exact)."""
    return pl.concat_str([pl.col(f"{prefix}{c}") for c in SIGNAL_KEY], separator="|").hash(
        TOKEN_HASH_SEED
    )


def _key_signal(keys: pl.Series) -> pl.Series:
    """The signal hashes of row keys."""
    return pl.DataFrame({"k": keys}).select(_edge_signal("k")).to_series()


def _edge_signal(column: str) -> pl.Expr:
    """The signal hash of a row key ``region|signal|seq|delivery`` (an edge's row)."""
    return pl.col(column).str.extract(r"^([^|]*\|[^|]*)\|", 1).hash(TOKEN_HASH_SEED)


def _filter_value(column: str) -> pl.Expr:
    """A Bloom filter where it has a bit set (``linkage.prepare``: an empty one is no value)."""
    return pl.when(pl.col(column).arr.max() > 0).then(pl.col(column))


def _cap(rule: BlockRule, s: LinkageSettings) -> int:
    return rule.max_rows or (
        s.max_address_block_rows if rule.name == "address" else s.max_block_rows
    )


def _exact_neighbours(
    base: pl.DataFrame, fresh: pl.DataFrame, s: LinkageSettings
) -> tuple[list[pl.Series], dict[str, pl.DataFrame]]:
    """Per exact rule: the rows (``_r``) in a block of a fresh row within the cap, and the
    keys of the fresh rows' blocks over it."""
    found: list[pl.DataFrame] = []
    oversized: dict[str, pl.DataFrame] = {}
    for rule in RULES:
        left = list(rule.left)
        if rule.right is not None:  # one tuple against another: no cap
            right = list(rule.right)
            for a, b in ((left, right), (right, left)):
                keys = fresh.select(a).drop_nulls().unique().rename(dict(zip(a, b, strict=True)))
                found.append(base.select("_r", *b).join(keys, on=b, how="semi"))
            continue
        keys = fresh.select(left).drop_nulls().unique()
        hits = base.select("_r", *left).join(keys, on=left, how="semi")
        big = (
            hits.group_by(left)
            .agg(pl.len().alias("_n"))
            .filter(pl.col("_n") > _cap(rule, s))
            .select(left)
        )
        oversized[rule.name] = big
        found.append(hits.join(big, on=left, how="anti"))
    return [f.get_column("_r") for f in found], oversized


def _name_pair_neighbours(base: pl.DataFrame, s: LinkageSettings) -> tuple[pl.Series, pl.DataFrame]:
    """Rows (``_r``) sharing a name-pair block (token and region) with a fresh row within the
    cap; and the fresh rows' blocks over it."""
    tokens = (
        base.select("_r", "_fresh", "region_code", pl.col(NAME_PAIRS_COLUMN).alias("t"))
        .explode("t")
        .drop_nulls("t")
        .with_columns(pl.col("t").hash(TOKEN_HASH_SEED))
    )
    keys = tokens.filter("_fresh").select("t", "region_code").unique()
    hits = tokens.join(keys, on=["t", "region_code"], how="semi")
    big = (
        hits.group_by("t", "region_code")
        .agg(pl.len().alias("_n"))
        .filter(pl.col("_n") > s.max_block_rows)
        .select("t", "region_code")
    )
    near = hits.join(big, on=["t", "region_code"], how="anti").get_column("_r")
    return near, big


def _unresolved(base: pl.DataFrame, rows: pl.DataFrame, s: LinkageSettings) -> pl.Series:
    """Row numbers (``_r``) of ``rows`` that no identity rule gives a candidate in the whole history
    (``lsh_unresolved_only``): no block of at most the cap holding another signal."""
    resolved: list[pl.Series] = []
    for rule in IDENTITY_RULES:
        left = list(rule.left)
        mine = rows.select("_r", *left).drop_nulls()
        blocks = (
            base.select("_s", *left)
            .join(mine.select(left).unique(), on=left, how="semi")
            .group_by(left)
            .agg(pl.len().alias("_n"), pl.col("_s").n_unique().alias("_m"))
            .filter((pl.col("_n") <= _cap(rule, s)) & (pl.col("_m") >= 2))
        )
        resolved.append(mine.join(blocks, on=left, how="semi").get_column("_r"))
    keys = rows.get_column("_r")
    return keys.filter(~keys.is_in(pl.concat(resolved).implode()))


def band_masks(words: int, bands: int, band_bits: int, seed: int) -> npt.NDArray[np.uint64]:
    """(bands, words): the bits each LSH band samples (``linkage.blocking.lsh_keys``), read
    from the band keys of the filters with one bit set: two filters agree on a band exactly
    when they agree under its mask."""
    position = np.arange(words * 64)
    unit = np.zeros((position.size, words), dtype=np.uint64)
    unit[position, position // 64] = np.left_shift(np.uint64(1), (position % 64).astype(np.uint64))
    sampled = lsh_keys(unit, bands, band_bits, seed) != np.uint64(1 << 63)
    masks = np.zeros((bands, words), dtype=np.uint64)
    for band in range(bands):
        for pos in np.flatnonzero(sampled[:, band]).tolist():
            masks[band, pos // 64] |= np.uint64(1 << (pos % 64))
    return masks


def _lsh_pairs(base: pl.DataFrame, s: LinkageSettings) -> pl.DataFrame:
    """``rule, a, b`` (row keys): the LSH pairs touching a fresh row that blocking every row
    gives (``linkage.blocking.lsh_codes``), from the band blocks of the fresh rows' filters
    counted over the whole history.

    Row pairs, not filter pairs: a band block's weight is its rows, and two rows of one filter
    pair when their filter's rows are within the cap (such a pair is in every band block of
    the filter, whose rows are at least as many)."""
    out: list[pl.DataFrame] = []
    for column in LSH_FILTERS:
        code = f"fc_{column[3:]}"
        grouped = column not in UNGROUPED_FILTERS
        group = list(_LSH_GROUP) if grouped else []
        present = pl.col(code).is_not_null()
        pool = base.select("_r", "_s", "_fresh", *group, code).filter(
            present & pl.col("birth_year").is_not_null() if grouped else present
        )
        rows = pool.select("_r", "_s", "_fresh", *group)
        salt = (
            pool.select(pl.struct(group).hash(TOKEN_HASH_SEED)).to_series().to_numpy()
            if grouped
            else np.zeros(pool.height, dtype=np.uint64)
        )
        matrix = bloom.to_numpy(pool.get_column(code))
        words = np.ascontiguousarray(matrix.T)  # a word of every row, contiguous
        del matrix
        full = np.full(words.shape[0], np.uint64(2**64 - 1))
        masks = band_masks(words.shape[0], s.lsh_bands, s.lsh_band_bits, s.seed)
        pairs = []
        for mask in (full, *masks):  # the filter itself (equal filters), then each band
            used = np.flatnonzero(mask).tolist()
            masked = [np.bitwise_and(words[w], mask[w]) for w in used]
            banded = rows.with_columns(
                pl.Series(f"_w{w}", m) for w, m in zip(used, masked, strict=True)
            )
            on = [*group, *(f"_w{w}" for w in used)]
            pairs.append(_block_pairs(banded, on, _mix(salt, masked), s.max_block_rows))
        del words
        found = pl.concat(pairs).unique()
        if s.lsh_unresolved_only:
            ends = pl.concat([found.get_column("a"), found.get_column("b")]).unique()
            candidates = base[ends.sort()]
            focus = _unresolved(base, candidates, s).implode()
            found = found.filter(pl.col("a").is_in(focus) | pl.col("b").is_in(focus))
        keys = base.get_column("_rk")
        out.append(
            pl.DataFrame(
                {
                    "rule": pl.Series([f"lsh_{column}"] * found.height, dtype=pl.String),
                    "a": keys.gather(found.get_column("a")),
                    "b": keys.gather(found.get_column("b")),
                    "ra": found.get_column("a"),
                    "rb": found.get_column("b"),
                }
            )
        )
    return pl.concat(out)


_PRIME: Final = np.uint64(0x100000001B3)


def _mix(salt: npt.NDArray[np.uint64], words: list[npt.NDArray[np.uint64]]) -> pl.Series:
    """A 64-bit mix of a row's salt and words: equal keys mix alike (a collision only makes a
    block's candidate rows more, which the exact keys then sort out)."""
    h = salt.copy()
    for w in words:
        np.bitwise_xor(h, w, out=h)
        np.multiply(h, _PRIME, out=h)
    return pl.Series(h)


def _block_pairs(rows: pl.DataFrame, on: list[str], mixed: pl.Series, cap: int) -> pl.DataFrame:
    """``a, b`` (row numbers ``_r``, ``a < b``): the pairs of rows of different signals, one of them
    fresh, in the blocks on ``on`` (null is a value) that hold a fresh row and at most ``cap``
    rows. ``mixed``: a hash of ``on`` per row, to find the candidate rows with one scan."""
    fresh = rows.get_column("_fresh")
    candidates = rows.filter(mixed.is_in(mixed.filter(fresh).unique().implode()))
    hot = candidates.filter("_fresh").select(on).unique()
    blocks = candidates.join(hot, on=on, how="semi", nulls_equal=True)
    within = blocks.group_by(on).agg(pl.len().alias("_n")).filter(pl.col("_n") <= cap)
    blocks = blocks.join(within.select(on), on=on, how="semi", nulls_equal=True)
    both = blocks.select("_r", "_s", "_fresh", *on)
    return (
        both.join(both, on=on, nulls_equal=True, suffix="_o")
        .filter(
            (pl.col("_r") < pl.col("_r_o"))
            & (pl.col("_s") != pl.col("_s_o"))
            & (pl.col("_fresh") | pl.col("_fresh_o"))
        )
        .select(pl.col("_r").alias("a"), pl.col("_r_o").alias("b"))
    )


def neighbourhood(
    persons: pl.DataFrame, signals: pl.DataFrame, state: LinkState, s: LinkageSettings
) -> Neighbourhood:
    """The fresh rows of ``persons`` under ``state`` and their neighbours (module docstring)."""
    assert state.families is not None
    clock: dict[str, float] = {}
    started = time.perf_counter()
    base = persons.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_r"),
        row_key().alias("_rk"),
        _signal().alias("_s"),
        *SIGNAL_KEY,
        *dict.fromkeys((*_RULE_COLUMNS, *_LSH_GROUP)),
        NAME_PAIRS_COLUMN,
        *(_filter_value(bf).alias(fc) for fc, bf in _FILTER_COLUMNS.items()),
    ).with_columns(pl.col("_rk").is_in(state.rows.implode()).not_().alias("_fresh"))
    fresh = base.filter("_fresh")
    clock["fresh"] = time.perf_counter() - started
    near, oversized = _exact_neighbours(base, fresh, s)
    pairs_near, np_big = _name_pair_neighbours(base, s)
    near.append(pairs_near)
    clock["exact"] = time.perf_counter() - started - sum(clock.values())
    lsh = (
        _lsh_pairs(base, s)
        if s.lsh_bands > 0
        else pl.DataFrame(
            schema={
                "rule": pl.String,
                "a": pl.String,
                "b": pl.String,
                "ra": pl.UInt32,
                "rb": pl.UInt32,
            }
        )
    )
    near.append(pl.concat([lsh.get_column("ra"), lsh.get_column("rb")]))
    clock["lsh"] = time.perf_counter() - started - sum(clock.values())
    in_near = np.zeros(base.height, dtype=np.bool_)
    in_near[pl.concat(near).cast(pl.Int64).to_numpy()] = True
    in_near |= base.get_column("_fresh").to_numpy()
    near_rows = base.filter(pl.Series(in_near))
    masked = {
        name: near_rows.join(big, on=list(big.columns), how="semi").get_column("_rk")
        for name, big in oversized.items()
        if big.height
    }
    current = signals.select(*SIGNAL_KEY, _signal().alias("_s"))
    previous = state.families.select(*SIGNAL_KEY, _signal().alias("_s"))
    erased = previous.join(current, on=list(SIGNAL_KEY), how="anti")
    unseen = current.join(previous, on=list(SIGNAL_KEY), how="anti").get_column("_s")
    pair_signals = state.edges.select(
        _edge_signal("left").alias("a"), _edge_signal("right").alias("b")
    )
    clock["signals"] = time.perf_counter() - started - sum(clock.values())
    return Neighbourhood(
        near=pl.Series(in_near),
        fresh=fresh.get_column("_rk"),
        masked=masked,
        name_pairs_masked=np_big,
        lsh=lsh,
        seconds={f"neighbourhood_{k}": v for k, v in clock.items()},
        _row_signals=base.get_column("_s"),
        _keys=base.get_column("_rk"),
        _signals=current,
        _pair_signals=pair_signals,
        erased=erased.select(*SIGNAL_KEY),
        _start=pl.concat([erased.get_column("_s"), unseen]),
        _state=state,
    )
