"""The neighbourhood of a day's rows: the part of the history an incremental run can change.

An incremental run (``linkage.incremental``) compares only the candidate pairs that touch a
fresh row, and re-clusters only the components those pairs or lost pairs touch. Everything it
can change lies in a small part of the history, found here with cheap scans (semi-joins on the
token columns, group counts) instead of preparing and blocking every row:

1. the *neighbours*: the rows that share a block with a fresh row under an exact rule
   (``linkage.blocking.RULES``, the name-pair rule), whose block in the whole history is within
   the rule's cap; the LSH pairs of the fresh rows are found here directly (their band blocks
   are judged on the whole history's weights, and the unresolved rows on the whole history's
   identity blocks), since LSH blocks are far larger than the pairs they give;
2. the *closure*: every signal connected to a fresh, neighbouring, erased or new signal through
   the stored accepted pairs of every kind (persons, families, members) and through its own
   rows; a union of whole components, so the re-clustering, the families, the within-family
   pairs and recurrence of those signals depend on nothing outside it.

The run then links the closure's rows with the existing incremental link, blocking with
``Neighbourhood.blocking`` (the exact rules with the blocks that are over their cap in the whole
history masked, plus the LSH pairs found here); every row and signal outside keeps its person
id, its family and its stored pairs. Ids are keyed by row keys, not positions, so they do not
depend on the subset: the result equals the whole-history incremental link.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Neighbourhood:
    """The closed part of the store a day's run links, and how to block it."""

    rows: pl.Series  # per row of the persons table: in the closure
    signals: pl.DataFrame  # region_code, signal_id of the closure's current signals
    state: LinkState  # the previous state restricted to the closure
    masked: dict[str, pl.Series]  # rule -> row keys in a block over its cap in the history
    name_pairs_masked: pl.DataFrame  # t (hash), region_code: name-pair blocks over the cap
    lsh: pl.DataFrame  # rule, a, b: LSH pairs of fresh rows, by row key
    outside_edges: pl.Series  # per stored edge: outside the closure (kept as it is)
    fresh_rows: int
    seconds: dict[str, float]

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


def _edge_signal(column: str) -> pl.Expr:
    """The signal hash of an edge's row key ``region|signal|seq|delivery``."""
    parts = pl.col(column).str.split_exact("|", 2)
    return pl.concat_str(
        [parts.struct.field("field_0"), parts.struct.field("field_1")], separator="|"
    ).hash(TOKEN_HASH_SEED)


def _filter_value(column: str) -> pl.Expr:
    """A Bloom filter where it has a bit set (``linkage.prepare``: an empty one is no value)."""
    return pl.when(pl.col(column).arr.max() > 0).then(pl.col(column))


def _with_filters(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(_filter_value(bf).alias(fc) for fc, bf in _FILTER_COLUMNS.items())


def _cap(rule: BlockRule, s: LinkageSettings) -> int:
    return rule.max_rows or (
        s.max_address_block_rows if rule.name == "address" else s.max_block_rows
    )


def _exact_neighbours(
    base: pl.DataFrame, fresh: pl.DataFrame, s: LinkageSettings
) -> tuple[list[pl.DataFrame], dict[str, pl.DataFrame]]:
    """Per exact rule: the rows in a block of a fresh row within the cap, and the keys of the
    fresh rows' blocks over it."""
    found: list[pl.DataFrame] = []
    oversized: dict[str, pl.DataFrame] = {}
    for rule in RULES:
        left = list(rule.left)
        if rule.right is not None:  # one tuple against another: no cap
            right = list(rule.right)
            for a, b in ((left, right), (right, left)):
                keys = fresh.select(a).drop_nulls().unique().rename(dict(zip(a, b, strict=True)))
                found.append(base.select("_rk", "_s", *b).join(keys, on=b, how="semi"))
            continue
        keys = fresh.select(left).drop_nulls().unique()
        hits = base.select("_rk", "_s", *left).join(keys, on=left, how="semi")
        big = (
            hits.group_by(left)
            .agg(pl.len().alias("_n"))
            .filter(pl.col("_n") > _cap(rule, s))
            .select(left)
        )
        oversized[rule.name] = big
        found.append(hits.join(big, on=left, how="anti"))
    return [f.select("_rk", "_s") for f in found], oversized


def _name_pair_neighbours(
    base: pl.DataFrame, s: LinkageSettings
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows sharing a name-pair block (token and region) with a fresh row within the cap; and
    the fresh rows' blocks over it."""
    tokens = (
        base.select("_rk", "_s", "_fresh", "region_code", pl.col(NAME_PAIRS_COLUMN).alias("t"))
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
    near = hits.join(big, on=["t", "region_code"], how="anti").select("_rk", "_s")
    return near, big


def _unresolved(base: pl.DataFrame, rows: pl.DataFrame, s: LinkageSettings) -> pl.Series:
    """Row keys of ``rows`` that no identity rule gives a candidate in the whole history
    (``lsh_unresolved_only``): no block of at most the cap holding another signal."""
    resolved: list[pl.Series] = []
    for rule in IDENTITY_RULES:
        left = list(rule.left)
        mine = rows.select("_rk", *left).drop_nulls()
        blocks = (
            base.select("_s", *left)
            .join(mine.select(left).unique(), on=left, how="semi")
            .group_by(left)
            .agg(pl.len().alias("_n"), pl.col("_s").n_unique().alias("_m"))
            .filter((pl.col("_n") <= _cap(rule, s)) & (pl.col("_m") >= 2))
        )
        resolved.append(mine.join(blocks, on=left, how="semi").get_column("_rk"))
    keys = rows.get_column("_rk")
    return keys.filter(~keys.is_in(pl.concat(resolved).implode()))


def _lsh_pairs(base: pl.DataFrame, s: LinkageSettings) -> pl.DataFrame:
    """``rule, a, b`` (row keys): the LSH pairs touching a fresh row that blocking every row
    gives (``linkage.blocking.lsh_codes``), from the band blocks of the fresh rows' filters
    weighed over the whole history."""
    out: list[pl.DataFrame] = []
    for column in LSH_FILTERS:
        code = f"fc_{column[3:]}"
        if column in UNGROUPED_FILTERS:
            group: list[str] = []
            pool = base.filter(pl.col(code).is_not_null())
        else:
            group = list(_LSH_GROUP)
            pool = base.filter(pl.col("birth_year").is_not_null() & pl.col(code).is_not_null())
            groups = pool.filter("_fresh").select(group).unique()
            pool = pool.join(groups, on=group, how="semi", nulls_equal=True)
        members = pool.select("_rk", "_s", "_fresh", *group, code)
        distinct = (
            members.group_by(*group, code)
            .agg(pl.len().alias("_w"), pl.col("_fresh").any())
            .with_row_index("_d")
        )
        members = members.drop("_fresh").join(
            distinct.select("_d", *group, code), on=[*group, code], nulls_equal=True
        )
        pairs = [_same_filter_pairs(distinct, members, s.max_block_rows)]
        keys = lsh_keys(
            bloom.to_numpy(distinct.get_column(code)), s.lsh_bands, s.lsh_band_bits, s.seed
        )
        frame = distinct.select("_d", *group, "_w", "_fresh")
        for band in range(s.lsh_bands):
            banded = frame.with_columns(pl.Series("_key", keys[:, band]).replace(0, None))
            on = [*group, "_key"]
            hot = banded.filter("_fresh").select(on).drop_nulls("_key").unique()
            blocks = banded.join(hot, on=on, how="semi", nulls_equal=True)
            ok = (
                blocks.group_by(on)
                .agg(pl.col("_w").sum().alias("_n"))
                .filter(pl.col("_n") <= s.max_block_rows)
                .select(on)
            )
            blocks = blocks.join(ok, on=on, how="semi", nulls_equal=True)
            pairs.append(
                blocks.join(blocks, on=on, nulls_equal=True, suffix="_o")
                .filter((pl.col("_d") < pl.col("_d_o")) & (pl.col("_fresh") | pl.col("_fresh_o")))
                .select(pl.col("_d").alias("da"), pl.col("_d_o").alias("db"))
            )
        filter_pairs = pl.concat(pairs).unique()
        rows = (
            filter_pairs.join(members.select("_d", "_rk", "_s"), left_on="da", right_on="_d")
            .join(members.select("_d", "_rk", "_s"), left_on="db", right_on="_d", suffix="_o")
            .filter(pl.col("_s") != pl.col("_s_o"))
            .select(pl.col("_rk").alias("a"), pl.col("_rk_o").alias("b"))
        )
        fresh = base.filter("_fresh").get_column("_rk")
        rows = rows.filter(pl.col("a").is_in(fresh.implode()) | pl.col("b").is_in(fresh.implode()))
        if s.lsh_unresolved_only:
            ends = pl.concat([rows.get_column("a"), rows.get_column("b")]).unique()
            candidates = base.join(pl.DataFrame({"_rk": ends}), on="_rk", how="semi")
            focus = _unresolved(base, candidates, s).implode()
            rows = rows.filter(pl.col("a").is_in(focus) | pl.col("b").is_in(focus))
        out.append(rows.select(pl.lit(f"lsh_{column}").alias("rule"), "a", "b"))
    return pl.concat(out) if out else pl.DataFrame(schema={"rule": pl.String, "a": pl.String})


def _same_filter_pairs(distinct: pl.DataFrame, members: pl.DataFrame, cap: int) -> pl.DataFrame:
    """Rows of one group with the same filter (a block of at most ``cap`` rows) pair directly:
    returned as a pair ``(d, d)`` of the filter with itself, expanded with the others."""
    same = distinct.filter(pl.col("_fresh") & (pl.col("_w") >= 2) & (pl.col("_w") <= cap))
    return same.select(pl.col("_d").alias("da"), pl.col("_d").alias("db"))


def neighbourhood(
    persons: pl.DataFrame, signals: pl.DataFrame, state: LinkState, s: LinkageSettings
) -> Neighbourhood:
    """The closure of the fresh rows of ``persons`` under ``state`` (module docstring)."""
    assert state.families is not None
    clock: dict[str, float] = {}
    started = time.perf_counter()
    base = _with_filters(
        persons.with_columns(row_key().alias("_rk"), _signal().alias("_s"))
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
        else pl.DataFrame(schema={"rule": pl.String, "a": pl.String, "b": pl.String})
    )
    ends = pl.concat([lsh.get_column("a"), lsh.get_column("b")]).unique()
    near.append(base.join(pl.DataFrame({"_rk": ends}), on="_rk", how="semi").select("_rk", "_s"))
    clock["lsh"] = time.perf_counter() - started - sum(clock.values())
    # signals that start the closure: the neighbourhood's, the erased ones (their pairs' other
    # rows are re-clustered), and new signals without a person row
    current = signals.select(*SIGNAL_KEY, _signal().alias("_s"))
    previous = state.families.select(*SIGNAL_KEY, _signal().alias("_s"))
    erased = previous.join(current, on=list(SIGNAL_KEY), how="anti").get_column("_s")
    unseen = current.join(previous, on=list(SIGNAL_KEY), how="anti").get_column("_s")
    start = pl.concat([*(f.get_column("_s") for f in near), erased, unseen]).unique()
    graph = (
        state.edges.select(_edge_signal("left").alias("a"), _edge_signal("right").alias("b"))
        .filter(pl.col("a") != pl.col("b"))
        .unique()
    )
    closed, frontier = start, start
    while frontier.len():
        reached = graph.filter(
            pl.col("a").is_in(frontier.implode()) | pl.col("b").is_in(frontier.implode())
        )
        both = pl.concat([reached.get_column("a"), reached.get_column("b")]).unique()
        frontier = both.filter(~both.is_in(closed.implode()))
        closed = pl.concat([closed, frontier])
    inside = closed.implode()
    clock["closure"] = time.perf_counter() - started - sum(clock.values())
    rows = base.get_column("_s").is_in(inside)
    edge_in = state.edges.select(
        _edge_signal("left").is_in(inside) | _edge_signal("right").is_in(inside)
    ).to_series()
    in_rows = base.filter(rows)
    masked = {
        name: in_rows.join(big, on=list(big.columns), how="semi").get_column("_rk")
        for name, big in oversized.items()
        if big.height
    }
    restricted = LinkState(
        rows=in_rows.filter(~pl.col("_fresh")).get_column("_rk"),
        person_links=state.person_links.join(
            in_rows.select(*SIGNAL_KEY).unique(), on=list(SIGNAL_KEY), how="semi"
        ),
        edges=state.edges.filter(edge_in),
        model=state.model,
        fingerprint=state.fingerprint,
        families=None,
    )
    clock["restrict"] = time.perf_counter() - started - sum(clock.values())
    return Neighbourhood(
        rows=rows,
        signals=current.filter(pl.col("_s").is_in(inside)).select(*SIGNAL_KEY),
        state=restricted,
        masked=masked,
        name_pairs_masked=np_big,
        lsh=lsh,
        outside_edges=~edge_in,
        fresh_rows=fresh.height,
        seconds={f"neighbourhood_{k}": v for k, v in clock.items()},
    )
