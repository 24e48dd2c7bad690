"""The neighbourhood of a day's rows: the part of the history an incremental run can change.

An incremental run (``linkage.incremental``) compares only the candidate pairs that touch a
fresh row, and re-clusters only the components those pairs or lost pairs touch. Everything it
can change lies in a small part of the history, found here with scans of a few columns
(semi-joins on the token columns, group counts) instead of preparing and blocking every row:

1. the *neighbours*: the rows that share a block with a fresh row under an exact rule
   (``linkage.blocking.RULES``) whose block in the whole history is within the rule's cap
   (``linkage.blocking.rule_cap``). The name-pair pairs (``NAME_PAIR_BLOCKS``) and the LSH
   pairs (``linkage.persons.LSH_RULES``: each filter's group and rows) of the fresh rows are
   found here directly: their blocks are counted over the whole history (a band key is the
   filter under the band's mask), and the unresolved rows judged on the whole history's
   identity blocks. The fresh rows and their neighbours are blocked
   (``Neighbourhood.blocking``: the exact rules with the blocks over their cap in the history
   masked, plus those pairs), compared and scored with the frozen model
   (``linkage.persons.decided_pairs``): the candidate pairs and decisions of a whole-history
   run.
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

The scans read what blocking declares, never a copy of its rules: the rules, caps, name-pair
blocks and LSH rules come from ``linkage.blocking`` and ``linkage.persons``, so a new rule on
existing columns is covered as it is. The columns ``linkage.prepare`` derives (salts, birth
bands, filter values) are derived here from the persons table (``DERIVED``, ``with_bands``;
tested to be equal exactly where prepare's are); a rule reading a column this module cannot
derive makes ``uncovered`` non-empty: day runs then link the whole history and the unit
tests fail.

The scans run on one streaming read of the persons table (``linkage.person_rows``) that
keeps row numbers and 64-bit hashes of the signal, the row key and every blocking token and
filter value (``_hashed``; a filter's from its words, ``_filter_hash``), about 1.2 GiB for
six million rows instead of the 4 GiB of the table; a hash collision merges two blocks,
about 1e-9 a day. Only the Bloom filters the LSH rules band are read again, one column at a
time and for the rows of a fresh row's group (``PersonRows.words``), and every column only
for the neighbourhood's and the closure's rows (``PersonRows.take``).
The day's rows are named by their position in the persons table from the scans to the
merge: no row key is built for them (``prepared_positions``), and the stored pairs carry
their signals' hashes (``LINK_EDGES`` v2).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from linkage.blocking import (
    BIRTH_BANDS,
    IDENTITY_RULES,
    NAME_PAIR_BLOCKS,
    RULES,
    BlockRule,
    Candidates,
    LshRule,
    candidate_pairs,
    lsh_keys,
    rule_cap,
)
from linkage.incremental import I64, LinkState, local_rows, row_hash, signal_hash
from linkage.notes import HELD
from linkage.person_rows import PersonRows
from linkage.persons import LSH_RULES, Blocker
from linkage.prepare import BIRTH_BAND_YEARS, TOKEN_HASH_SEED, Prepared
from pseudonymise.schema import PSEUDONYMISED_PERSONS
from pseudonymise.tokens import NAME_PAIRS_COLUMN
from radar.contract.vocabulary import PERSON_KEY
from radar.settings import LinkageSettings

SIGNAL_KEY: Final = ("region_code", "signal_id")


def _salt_year() -> pl.Expr:
    """``salt_year`` of ``linkage.prepare`` up to its values: the birth year, else a negative
    value of the municipality's own (null a municipality of its own)."""
    other = pl.col("municipality_code").hash(TOKEN_HASH_SEED) // 4
    return (
        pl.when(pl.col("birth_year").is_not_null())
        .then(pl.col("birth_year").cast(pl.Int64))
        .otherwise(-1 - other.cast(pl.Int64))
    )


def _filter_value(column: str) -> pl.Expr:
    """A Bloom filter where it has a bit set (``linkage.prepare``: an empty one is no value)."""
    return pl.when(pl.col(column).arr.max() > 0).then(pl.col(column))


#: The columns ``linkage.prepare`` derives that blocking reads, as expressions over the
#: pseudonymised persons table that give equal values exactly where prepare's are equal
#: (tested against ``prepare``): the neighbourhood scans the persons table, not prepared rows.
#: The birth bands need each signal's received year: ``with_bands``.
DERIVED: Final[dict[str, pl.Expr]] = {
    "salt_year": _salt_year(),
    # the municipality, null a value of its own (prepare: code -1)
    "salt_address": pl.col("municipality_code").fill_null("\x00"),
    **{
        f"fc_{bf[3:]}": _filter_value(bf)
        for bf in ("bf_first_name", "bf_surname", "bf_surname_x", "bf_first_name_x", "bf_address")
    },
}

#: The filter values the scans carry as 64-bit hashes (``_hashed``).
_HASHED: Final = {name: f"bf_{name[3:]}" for name in DERIVED if name.startswith("fc_")}


def _hashed(value: pl.Expr) -> pl.Expr:
    """A 64-bit hash of a token or filter value, null where the value is: the scans carry
    these instead of the values (8 bytes a row, not 48 for a token or 64 for a filter).
    Rows with equal values have equal hashes; two different values sharing a hash merge
    their blocks, about (a day's values x the store's values) / 2**64 a rule: 1e-9 for a
    day's few thousand against six million, as for the row hashes (``row_hash``)."""
    return pl.when(value.is_not_null()).then(value.hash(TOKEN_HASH_SEED))


_PRIME: Final = np.uint64(0x100000001B3)


def _filter_hash(words: list[pl.Expr]) -> pl.Expr:
    """A 64-bit hash of a filter value (``DERIVED``) from its words, null where the filter is
    or has no bit set: the words mixed one after the other (``(h ^ word) * prime``, wrapping),
    so filters with equal words have equal hashes and other filters share one as rarely as
    for ``_hashed``. Plain integer arithmetic on the words: a fifth of the time of hashing the
    filter as an array (``linkage.person_file``)."""
    mixed, bits = pl.lit(TOKEN_HASH_SEED, dtype=pl.UInt64), pl.lit(0, dtype=pl.UInt64)
    for word in words:
        mixed = (mixed ^ word) * pl.lit(int(_PRIME), dtype=pl.UInt64)
        bits = bits | word
    return pl.when(bits != 0).then(mixed)


def _scanned(column: str) -> pl.Expr:
    """A blocking column as the scans carry it: token columns hashed, except the BSN and
    phone tokens, which the notes' holders are found by (``linkage.notes.holders``)."""
    if column.startswith("tok_") and column not in HELD:
        return _hashed(pl.col(column)).alias(column)
    return pl.col(column)


#: The name-pair token column of the name-pair blocks (a row per token, ``t``).
_NAME_PAIR: Final = "t"


def blocking_columns() -> set[str]:
    """Every column the day's blocking reads: the exact rules', the name-pair blocks' and the
    LSH rules' (``linkage.blocking``, ``linkage.persons.LSH_RULES``)."""
    columns = {c for rule in RULES for c in (*rule.left, *(rule.right or ()))}
    columns |= {c for keys in NAME_PAIR_BLOCKS for c in keys}
    for lsh in LSH_RULES:
        columns |= {*lsh.group, *lsh.where.meta.root_names(), lsh.code}
    return columns


def uncovered() -> set[str]:
    """The blocking columns the neighbourhood cannot derive from the persons table (a new
    derived column in ``linkage.prepare`` that a rule reads): while any, day runs link the
    whole history, and the unit tests fail."""
    known = {*PSEUDONYMISED_PERSONS.columns, *DERIVED, *BIRTH_BANDS, _NAME_PAIR}
    return blocking_columns() - known


class Laps:
    """Wall and CPU seconds of consecutive steps: ``seconds[step]`` and
    ``seconds[step + "_cpu"]`` (the CPU of every thread of the process)."""

    def __init__(self, prefix: str = "") -> None:
        self.seconds: dict[str, float] = {}
        self._prefix = prefix
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def lap(self, step: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.seconds[f"{self._prefix}{step}"] = wall - self._wall
        self.seconds[f"{self._prefix}{step}_cpu"] = cpu - self._cpu
        self._wall, self._cpu = wall, cpu


U32 = npt.NDArray[np.uint32]


@dataclass(frozen=True)
class Closure:
    """The part of the store a day's run re-links: whole components of the stored pairs."""

    rows: pl.Series  # per row of the persons table: in the closure
    signals: pl.DataFrame  # region_code, signal_id of the closure's current signals
    state: LinkState  # the previous state restricted to the closure
    outside_edges: pl.Series  # per stored edge: outside the closure (kept as it is)
    rounds: int  # breadth-first rounds over the stored pairs' signal graph


#: What else signals of a closure reach: (the signals, per row of the persons table whether
#: it is one of theirs) -> the signals they reach (``SIGNAL_KEY``), inside or not.
Grow = Callable[[pl.DataFrame, pl.Series], pl.DataFrame]


@dataclass(frozen=True)
class Neighbourhood:
    """The fresh rows and their neighbours, how to block them, and how to close a part of
    them over the stored pairs. Rows are named by their position in the persons table."""

    near: pl.Series  # per row of the persons table: fresh, or a neighbour of a fresh row
    fresh: npt.NDArray[np.bool_]  # per row of the persons table: fresh
    masked: dict[str, U32]  # rule -> rows in a block over its cap in the history
    pairs: pl.DataFrame  # rule, a, b: name-pair and LSH pairs of fresh rows (positions)
    erased: pl.DataFrame  # region_code, signal_id of the previous signals that are gone
    holdings: pl.DataFrame  # per row of the persons table: PERSON_KEY and ``linkage.notes.HELD``
    seconds: dict[str, float]
    _row_signals: pl.Series  # per row of the persons table: its signal hash
    _row_hashes: pl.Series  # per row of the persons table: its row hash
    _signals: pl.DataFrame  # region_code, signal_id, _s of the current signals
    _pair_signals: pl.DataFrame  # a, b: the signal hashes of each stored pair's rows
    _start: pl.Series  # signal hashes every closure starts from: erased and new signals
    _state: LinkState

    def close(self, rows: npt.NDArray[np.integer], grow: Grow | None = None) -> Closure:
        """The closure of the signals of ``rows`` (positions), the fresh rows' signals, the
        erased signals (their pairs' other rows are re-clustered) and new signals without a
        person row, over the stored pairs of every kind; and, with ``grow``, over what it
        says the signals inside reach (``linkage.notes``), until neither adds a signal.
        ``grow`` is asked about each signal once: (the signals closed since it was last asked,
        per row of the persons table whether it is one of theirs) -> the signals they reach."""
        seeds = np.zeros(self.fresh.size, dtype=np.bool_)
        seeds[np.asarray(rows, dtype=np.int64)] = True
        seeds |= self.fresh
        start = pl.concat([self._row_signals.filter(pl.Series(seeds)), self._start]).unique()
        graph = self._pair_signals.filter(pl.col("a") != pl.col("b"))
        closed, frontier, rounds, grown = start, start, 0, start.clear()
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
            if not frontier.len() and grow is not None:
                # what the signals closed since the last growth reach (earlier ones' is in)
                new = closed.filter(~closed.is_in(grown.implode())).implode()
                grown = closed
                now = self._signals.filter(pl.col("_s").is_in(new)).select(*SIGNAL_KEY)
                more = grow(now, self._row_signals.is_in(new)).select(signal_hash()).to_series()
                frontier = more.filter(~more.is_in(closed.implode())).unique().alias("_s")
                closed = pl.concat([closed, frontier])
        inside = closed.implode()
        in_rows = self._row_signals.is_in(inside)
        edge_in = self._pair_signals.select(
            pl.col("a").is_in(inside) | pl.col("b").is_in(inside)
        ).to_series()
        signals = self._signals.filter(pl.col("_s").is_in(inside)).select(*SIGNAL_KEY)
        state = self._state
        restricted = LinkState(
            rows=self._row_hashes.filter(in_rows & pl.Series(~self.fresh)),
            person_links=state.person_links.join(signals, on=list(SIGNAL_KEY), how="semi"),
            edges=state.edges.filter(edge_in),
            model=state.model,
            fingerprint=state.fingerprint,
        )
        return Closure(in_rows, signals, restricted, ~edge_in, rounds)

    def blocking(self, positions: I64) -> Blocker:
        """Candidate pairs of the prepared rows at ``positions`` (``prepared_positions``) that a
        whole-history run finds."""
        return lambda p, s, fresh: self._block(p, s, fresh, positions)

    def _block(
        self,
        p: Prepared,
        s: LinkageSettings,
        fresh: npt.NDArray[np.bool_] | None,
        positions: I64,
    ) -> Candidates:
        assert positions.size == p.size
        rows, rules = p.coded_rows(), []
        for rule in RULES:
            masked = self.masked.get(rule.name)
            if rule.right is not None or masked is None or masked.size == 0:
                rules.append(rule)
                continue
            # a constant key column, null for the rows of the blocks over the cap
            ok = f"_ok_{rule.name}"
            local = local_rows(positions, masked)
            off = np.zeros(p.size, dtype=np.bool_)
            off[local[local >= 0]] = True
            rows = rows.with_columns(pl.when(pl.Series(off)).then(None).otherwise(True).alias(ok))
            rules.append(replace(rule, left=(*rule.left, ok)))
        exact = candidate_pairs(
            rows,
            max_block_rows=s.max_block_rows,
            max_address_block_rows=s.max_address_block_rows,
            lsh_bands=0,
            rules=tuple(rules),
            fresh=fresh,
            address=p.filters["bf_address"],
        )
        names = list(exact.rule_names)
        per_rule, skipped = dict(exact.pairs_per_rule), dict(exact.skipped_rows_per_rule)
        parts = [exact.pairs]
        given = ["name_pair", *(f"lsh_{lsh.column}" for lsh in LSH_RULES if s.lsh_bands > 0)]
        for name in given:
            names.append(name)
            mine = self.pairs.filter(pl.col("rule") == name)
            pa = local_rows(positions, mine.get_column("a").to_numpy())
            pb = local_rows(positions, mine.get_column("b").to_numpy())
            assert (pa >= 0).all() and (pb >= 0).all()  # the pairs' rows are all near
            found = pl.DataFrame(
                {
                    "i": np.minimum(pa, pb).astype(np.uint32),
                    "j": np.maximum(pa, pb).astype(np.uint32),
                    "rules": np.full(pa.size, 1 << (len(names) - 1), dtype=np.uint32),
                }
            ).unique()
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


def without_signals(frame: pl.DataFrame, signals: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``frame`` of none of ``signals`` (``SIGNAL_KEY``, a few): the rows whose
    signal hash is one of theirs are compared on the keys, the others kept by the hash."""
    hashes = frame.select(signal_hash()).to_series()
    maybe = pl.Series(
        np.flatnonzero(hashes.is_in(signals.select(signal_hash()).to_series().implode()).to_numpy())
    )
    drop = (
        frame.select(SIGNAL_KEY)[maybe]
        .with_columns(maybe.alias("_p"))
        .join(signals, on=list(SIGNAL_KEY), how="semi")
        .get_column("_p")
        .to_numpy()
    )
    keep = np.ones(frame.height, dtype=np.bool_)
    keep[drop] = False
    return frame.filter(pl.Series(keep))


def _cap(rule: BlockRule, s: LinkageSettings) -> int:
    return rule_cap(rule, s.max_block_rows, s.max_address_block_rows)


def _exact_neighbours(
    base: pl.DataFrame, fresh: pl.DataFrame, s: LinkageSettings
) -> tuple[list[pl.Series], dict[str, pl.Series]]:
    """Per exact rule: the rows (``_r``) in a block of a fresh row within the cap, and the rows
    in a fresh row's block over it (masked in the day's blocking)."""
    found: list[pl.Series] = []
    oversized: dict[str, pl.Series] = {}
    for rule in RULES:
        left = list(rule.left)
        if rule.right is not None:  # one tuple against another: no cap
            right = list(rule.right)
            for a, b in ((left, right), (right, left)):
                found.append(_hits(base, fresh, a, b).get_column("_r"))
            continue
        hits = _hits(base, fresh, left, left)
        big = (
            hits.group_by(left)
            .agg(pl.len().alias("_n"))
            .filter(pl.col("_n") > _cap(rule, s))
            .select(left)
        )
        if big.height:
            oversized[rule.name] = hits.join(big, on=left, how="semi").get_column("_r")
        found.append(hits.join(big, on=left, how="anti").get_column("_r"))
    return found, oversized


def _hits(base: pl.DataFrame, fresh: pl.DataFrame, a: list[str], b: list[str]) -> pl.DataFrame:
    """``_r`` and ``b``: the rows whose ``b`` columns (none null) equal a fresh row's ``a``."""
    keys = fresh.select(a).drop_nulls().unique().rename(dict(zip(a, b, strict=True)))
    return _semi(base.select("_r", *b), keys)


def _semi(frame: pl.DataFrame, keys: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``frame`` whose ``keys`` columns equal a row of ``keys`` (no nulls). A key of
    several columns is joined on only among the rows whose every column holds one of the
    keys' values: per row scanned, a join on several columns costs several times a lookup of
    one column's values."""
    on = keys.columns
    if len(on) > 1:
        frame = frame.filter(
            pl.all_horizontal(pl.col(c).is_in(keys.get_column(c).unique().implode()) for c in on)
        )
    return frame.join(keys, on=on, how="semi")


def with_bands(rows: pl.DataFrame, signals: pl.DataFrame) -> pl.DataFrame:
    """``rows`` with the birth bands of ``linkage.prepare``: of the birth year, else of the
    year the signal was received less the age estimate."""
    received = signals.select(*SIGNAL_KEY, pl.col("received_on").dt.year().alias("_ry"))
    known = pl.coalesce(
        pl.col("birth_year").cast(pl.Int64),
        pl.col("_ry").cast(pl.Int64) - pl.col("age_estimate").cast(pl.Int64),
    )
    return (
        rows.join(received, on=list(SIGNAL_KEY), how="left")
        .with_columns(
            (known // BIRTH_BAND_YEARS).alias(BIRTH_BANDS[0]),
            ((known + BIRTH_BAND_YEARS // 2) // BIRTH_BAND_YEARS).alias(BIRTH_BANDS[1]),
        )
        .drop("_ry")
    )


def _name_pair_pairs(base: pl.DataFrame, signals: pl.DataFrame, s: LinkageSettings) -> pl.DataFrame:
    """``a, b`` (row numbers ``_r``): the name-pair pairs touching a fresh row that blocking
    every row gives (``linkage.blocking.name_pair_codes``): blocks of ``NAME_PAIR_BLOCKS``
    holding a fresh row and at most ``max_block_rows`` rows of the whole store."""
    # only the row number beside each token: the store's tokens are many, the fresh rows'
    # few (the other columns join the hits alone)
    tokens = (
        base.select("_r", pl.col(NAME_PAIRS_COLUMN).alias(_NAME_PAIR))
        .explode(_NAME_PAIR)
        .drop_nulls(_NAME_PAIR)
    )
    fresh_rows = base.filter("_fresh").get_column("_r")
    fresh_tokens = tokens.filter(pl.col("_r").is_in(fresh_rows.implode())).get_column(_NAME_PAIR)
    hits = tokens.filter(pl.col(_NAME_PAIR).is_in(fresh_tokens.unique().implode()))
    columns = base.select("_r", "_s", "_fresh", *SIGNAL_KEY, "birth_year", "age_estimate")
    hits = hits.join(columns, on="_r")
    shared = [c for c in ("t", "region_code") if all(c in keys for keys in NAME_PAIR_BLOCKS)]
    hits = hits.join(hits.filter("_fresh").select(shared).unique(), on=shared, how="semi")
    hits = with_bands(hits, signals)
    pairs = [
        _block_pairs(hits.drop_nulls(list(keys)), list(keys), s.max_block_rows)
        for keys in NAME_PAIR_BLOCKS
    ]
    return pl.concat(pairs).unique()


def _unresolved(base: pl.DataFrame, rows: pl.DataFrame, s: LinkageSettings) -> pl.Series:
    """Row numbers (``_r``) of ``rows`` that no identity rule gives a candidate in the whole history
    (``lsh_unresolved_only``): no block of at most the cap holding another signal."""
    resolved: list[pl.Series] = []
    for rule in IDENTITY_RULES:
        left = list(rule.left)
        mine = rows.select("_r", *left).drop_nulls()
        blocks = (
            _semi(base.select("_s", *left), mine.select(left).unique())
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


def _lsh_rule_pairs(
    base: pl.DataFrame, persons: PersonRows, lsh: LshRule, s: LinkageSettings
) -> pl.DataFrame:
    """``a, b`` (row numbers ``_r``): the pairs of one LSH rule touching a fresh row that
    blocking every row gives (``linkage.blocking.lsh_codes``), from the band blocks of the
    fresh rows' filters counted over the whole store.

    Row pairs, not filter pairs: a band block's weight is its rows, and two rows of one filter
    pair when their filter's rows are within the cap (such a pair is in every band block of
    the filter, whose rows are at least as many). Only rows of a group holding a fresh row's
    filter can pair, so only those are banded."""
    group = list(lsh.group)
    reads = dict.fromkeys([*group, *lsh.where.meta.root_names()])
    pool = base.select("_r", "_s", "_fresh", *reads, lsh.code).filter(
        lsh.where & pl.col(lsh.code).is_not_null()
    )
    # a hash of the group: only rows of a fresh row's group can pair (exact keys: below)
    salts = pool.select(pl.struct(group).hash(TOKEN_HASH_SEED)).to_series()
    keep = salts.is_in(salts.filter(pool.get_column("_fresh")).unique().implode())
    pool = pool.filter(keep)
    salt = salts.filter(keep).to_numpy()
    words = persons.words(lsh.column, pool.get_column("_r").to_numpy())
    valued = words.any(axis=0)  # an all-zero filter is no value (``linkage.prepare``)
    if not valued.all():
        pool, salt, words = pool.filter(pl.Series(valued)), salt[valued], words[:, valued]
    fresh_rows = pool.get_column("_fresh").to_numpy()
    rows = pool.select("_r", "_s", "_fresh", *group)
    full = np.full(words.shape[0], np.uint64(2**64 - 1))
    masks = band_masks(words.shape[0], s.lsh_bands, s.lsh_band_bits, s.seed)
    word, mixed = np.empty(pool.height, dtype=np.uint64), np.empty(pool.height, dtype=np.uint64)
    pairs = []
    for mask in (full, *masks):  # the filter itself (equal filters), then each band
        used = np.flatnonzero(mask).tolist()
        # a 64-bit mix of the group and the masked words: the rows mixing as a fresh row
        # does are the only ones that may share its band block (a collision only adds rows
        # that the exact keys then sort out)
        np.copyto(mixed, salt)
        for w in used:
            np.bitwise_and(words[w], mask[w], out=word)
            np.bitwise_xor(mixed, word, out=mixed)
            np.multiply(mixed, _PRIME, out=mixed)
        hashes = pl.Series(mixed)
        hot = hashes.is_in(pl.Series(np.unique(mixed[fresh_rows])).implode()).to_numpy()
        at = np.flatnonzero(hot)
        banded = rows[at].with_columns(
            pl.Series(f"_w{w}", np.bitwise_and(words[w][at], mask[w])) for w in used
        )
        on = [*group, *(f"_w{w}" for w in used)]
        pairs.append(_block_pairs(banded, on, s.max_block_rows))
    return pl.concat(pairs).unique()


def _lsh_pairs(base: pl.DataFrame, persons: PersonRows, s: LinkageSettings) -> pl.DataFrame:
    """``rule, a, b`` (row numbers ``_r``): the LSH pairs of fresh rows of every rule, with
    the focus of ``lsh_unresolved_only`` judged on the whole store."""
    found = pl.concat(
        [
            _lsh_rule_pairs(base, persons, lsh, s).select(
                pl.lit(f"lsh_{lsh.column}").alias("rule"), "a", "b"
            )
            for lsh in LSH_RULES
        ]
    )
    if s.lsh_unresolved_only and found.height:
        ends = pl.concat([found.get_column("a"), found.get_column("b")]).unique().sort()
        identity = dict.fromkeys(c for rule in IDENTITY_RULES for c in rule.left)
        focus = _unresolved(base, base.select("_r", *identity)[ends], s).implode()
        found = found.filter(pl.col("a").is_in(focus) | pl.col("b").is_in(focus))
    return found


def _no_pairs() -> pl.DataFrame:
    return pl.DataFrame(schema={"rule": pl.String, "a": pl.UInt32, "b": pl.UInt32})


def _block_pairs(rows: pl.DataFrame, on: list[str], cap: int) -> pl.DataFrame:
    """``a, b`` (row numbers ``_r``, ``a < b``): the pairs of rows of different signals, one of
    them fresh, in the blocks on ``on`` (null is a value) that hold a fresh row and at most
    ``cap`` rows (``rows``: every row of those blocks, and maybe others)."""
    candidates = rows
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
    persons: PersonRows, signals: pl.DataFrame, state: LinkState, s: LinkageSettings
) -> Neighbourhood:
    """The fresh rows of ``persons`` under ``state`` and their neighbours (module docstring),
    from one scan of the columns blocking reads, the keys hashed (``_scanned``)."""
    assert state.families is not None
    clock = Laps("neighbourhood_")
    read = blocking_columns() - {*DERIVED, *BIRTH_BANDS, _NAME_PAIR}
    base = persons.columns(
        signal_hash().alias("_s"),
        row_hash().alias("_h"),
        *dict.fromkeys((*PERSON_KEY, *HELD)),
        *(_scanned(c) for c in sorted(read - {*PERSON_KEY, *HELD})),
        "birth_year",
        "age_estimate",
        pl.col(NAME_PAIRS_COLUMN).list.eval(_hashed(pl.element())),
        *(expr.alias(name) for name, expr in DERIVED.items() if name not in _HASHED),
        *(_filter_hash(persons.filter_words(bf)).alias(fc) for fc, bf in _HASHED.items()),
    ).with_row_index("_r")
    base = base.with_columns(pl.col("_h").is_in(state.rows.implode()).not_().alias("_fresh"))
    fresh = base.filter("_fresh")
    clock.lap("fresh")
    near, oversized = _exact_neighbours(base, fresh, s)
    clock.lap("exact")
    named = _name_pair_pairs(base, signals, s).select(pl.lit("name_pair").alias("rule"), "a", "b")
    clock.lap("name_pairs")
    lsh = _lsh_pairs(base, persons, s) if s.lsh_bands > 0 else _no_pairs()
    clock.lap("lsh")
    found = pl.concat([named, lsh])
    near += [found.get_column("a"), found.get_column("b")]
    in_near = np.zeros(base.height, dtype=np.bool_)
    in_near[pl.concat(near).cast(pl.Int64).to_numpy()] = True
    in_near |= base.get_column("_fresh").to_numpy()
    masked = {name: rows.to_numpy() for name, rows in oversized.items()}
    current = signals.select(*SIGNAL_KEY, signal_hash().alias("_s"))
    previous = state.families.select(*SIGNAL_KEY, signal_hash().alias("_s"))
    # by the signals' hashes (a gone signal whose hash a current one shares would be missed:
    # about gone x current signals / 2**64)
    erased = previous.filter(pl.col("_s").is_in(current.get_column("_s").implode()).not_())
    unseen = current.filter(pl.col("_s").is_in(previous.get_column("_s").implode()).not_())
    pair_signals = state.edges.select(
        pl.col("left_signal").alias("a"), pl.col("right_signal").alias("b")
    )
    clock.lap("signals")
    return Neighbourhood(
        near=pl.Series(in_near),
        fresh=base.get_column("_fresh").to_numpy(),
        masked=masked,
        pairs=found,
        erased=erased.select(*SIGNAL_KEY),
        holdings=base.select(*PERSON_KEY, *HELD),
        seconds=clock.seconds,
        _row_signals=base.get_column("_s"),
        _row_hashes=base.get_column("_h"),
        _signals=current,
        _pair_signals=pair_signals,
        _start=pl.concat([erased.get_column("_s"), unseen.get_column("_s")]),
        _state=state,
    )
