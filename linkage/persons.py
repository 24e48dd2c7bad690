"""Link person rows: block, compare, score (Fellegi-Sunter, EM), cluster with guards.

``link_persons`` works on the pseudonymised persons table only (tokens, Bloom filters, coarse
clear columns) and the signals' dates. Hard rules on top of the scores: rows of one signal are
never the same person; rows with different valid BSN tokens never link; rows with the same
valid BSN token always link (a typo makes a BSN fail the elfproef, so it never becomes another
valid one).

Two clusterings come out. ``person_links`` holds the person identity: a pair links at
``match_probability``. ``family_links`` also joins pairs that are only likely the same person
(``family_match_probability``) and share an address or a phone line: an advice call that names
"a boy of about 8" at the family's address links the call to the family's case, even when the
boy's identity stays uncertain (he may be his brother). With no name or birth date in common,
the two signals must lie within ``family_contact_days``: a dwelling changes hands. A signal
that is then still alone in its family attaches to the family of its best pair when that
family's odds, against those of every family it has a likely pair with, reach
``family_attach_probability`` (``linkage.household.lone_attachments``). Between two signals
that share a person, the other rows link at a weak weight (``family_member_weight``: sex, age
and region agree), since within one family few persons can be meant; recurrence then counts
the known persons.
Families and recurrence are computed on
``family_links``; ``person_links`` is what the engine says about persons.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from linkage.blocking import LSH_FILTERS, Candidates, candidate_pairs, lsh_rules
from linkage.cluster import cluster, id_key, keyed_ids
from linkage.compare import FEATURES, compare
from linkage.em import FSParams
from linkage.household import family_pairs, household_links, lone_attachments
from linkage.incremental import (
    Edges,
    LinkState,
    edges_table,
    local_rows,
    map_edges,
    recluster,
    row_hash,
    row_key,
    touched_rows,
)
from linkage.partition import PartitionMap, compare_partitioned
from linkage.prepare import KEY, Prepared, Rows, prepare
from linkage.score import (
    LinkModel,
    frequency_table,
    pair_weights,
    posterior,
    prior_odds_bits,
    term_frequencies,
    train,
)
from pseudonymise.keys import MasterKey
from radar.settings import LinkageSettings

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]

LEVEL_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "birth_date": (
        "not comparable",
        "exact",
        "day and month swapped",
        "year and month (day unknown)",
        "month and day (year differs)",
        "year and month (day differs)",
        "year only",
        "year (month unknown)",
        "disagree",
    ),
    "first_name": (
        "not comparable",
        "dice >= 0.95",
        "dice >= 0.8",
        "dice >= 0.6",
        "dice < 0.6",
        "initial with birth date",
    ),
    "surname": ("not comparable", "dice >= 0.95", "dice >= 0.8", "dice >= 0.6", "dice < 0.6"),
    "sex": ("not comparable", "agree", "disagree"),
    "address": (
        "not comparable",
        "postcode and house number",
        "similar address",
        "same pc4",
        "pc4 one typo apart",
        "different pc4",
    ),
    "phone": ("not comparable", "agree", "disagree"),
    "region": ("not comparable", "same region", "different regions"),
    "age": ("not comparable", "within 3 years", "further apart"),
    "full_name_token": ("not comparable", "same full name", "different full name"),
    "name_pair": ("not comparable", "first name and a housemate's agree", "no name pair agrees"),
    "time_apart": (
        "not comparable",
        "within 90 days",
        "within a year",
        "within two years",
        "within three years",
        "within four years",
        "within six years",
        "further apart",
    ),
}


@dataclass(frozen=True)
class LinkResult:
    """Person links, the statistics of the run, and what ``explain`` needs."""

    person_links: pl.DataFrame  # region_code, signal_id, person_seq, person_id
    family_links: pl.DataFrame  # the same columns, linked more loosely (module docstring)
    edges: pl.DataFrame  # LINK_EDGES: every accepted pair, for the next incremental run
    incremental: bool  # linked against a stored state rather than from scratch
    fresh_rows: int  # rows compared in this run (all of them in a full link)
    pairs_per_rule: dict[str, int]
    skipped_rows_per_rule: dict[str, int]
    candidate_pairs: int
    linked_pairs: int
    household_pairs: int
    model: LinkModel
    cluster_stats: dict[str, int]
    seconds: dict[str, float]
    _prepared: Prepared = field(repr=False)
    _frequencies: dict[str, F64] | None = field(repr=False)

    def explain(self, left: tuple[str, str, int], right: tuple[str, str, int]) -> pl.DataFrame:
        """Per feature: the agreement level and the weight it adds; never a value."""
        rows = self._prepared.rows
        found = []
        for region, signal, seq in (left, right):
            hit = rows.filter(
                (pl.col("region_code") == region)
                & (pl.col("signal_id") == signal)
                & (pl.col("person_seq") == seq)
            ).get_column("idx")
            if hit.len() != 1:
                raise KeyError("person row not in this link result")
            found.append(int(hit[0]))
        i = np.asarray([found[0]], dtype=np.int64)
        j = np.asarray([found[1]], dtype=np.int64)
        levels = compare(self._prepared, i, j)
        weights = pair_weights(self.model.params, levels, i, j, self._frequencies)
        return pl.DataFrame(
            {
                "feature": list(FEATURES),
                "level": [int(levels[f][0]) for f in FEATURES],
                "agreement": [LEVEL_NAMES[f][int(levels[f][0])] for f in FEATURES],
                "weight": [float(weights[f][0]) for f in FEATURES],
            }
        )


#: Features about a pair's two signals rather than its two persons: the same for every pair
#: of two signals, counted once when household context adds their pairs up.
SIGNAL_FEATURES: Final = ("region", "time_apart")
#: Pairs that compete with a lone signal's best family without attaching it themselves
#: (``linkage.household.lone_attachments``) from this posterior on: below, a family's odds
#: hardly count.
ATTACH_COMPETITOR_PROBABILITY: Final = 0.05
#: Pairs compared and weighed per step: bounds the temporaries (a few arrays of this length).
_CHUNK: Final = 1 << 22


def compare_chunked(p: Prepared, i: Rows, j: Rows, chunk: int = _CHUNK) -> dict[str, I8]:
    """``compare`` in chunks of pairs: the same levels, with bounded temporaries."""
    if i.size <= chunk:
        return compare(p, _wide(i), _wide(j))
    out = {f: np.empty(i.size, dtype=np.int8) for f in FEATURES}
    for start in range(0, i.size, chunk):
        part = compare(p, _wide(i[start : start + chunk]), _wide(j[start : start + chunk]))
        for f in FEATURES:
            out[f][start : start + chunk] = part[f]
    return out


@dataclass(frozen=True, slots=True)
class _Scores:
    total: F64  # summed weight
    # single precision: at ten national years each array of the pairs is 85M long
    context: F32  # the weight household context sees
    shared: F32  # the part of it about the two signals (``household_links``)
    names_agree: npt.NDArray[np.bool_]  # evidence that the names agree
    personal: npt.NDArray[np.bool_]  # evidence about the person (a name or the birth date)


def _score(
    params: FSParams,
    levels: dict[str, I8],
    i: Rows,
    j: Rows,
    frequencies: dict[str, F64] | None,
    chunk: int = _CHUNK,
) -> _Scores:
    """What the link decisions read from the feature weights, without keeping the weights of
    every feature of every pair (a float array per feature, the length of the candidate pairs)."""
    n = i.size
    out = _Scores(
        np.zeros(n),
        np.zeros(n, np.float32),
        np.zeros(n, np.float32),
        np.zeros(n, np.bool_),
        np.zeros(n, np.bool_),
    )
    for start in range(0, n, chunk):
        part = slice(start, start + chunk)
        weights = pair_weights(
            params,
            {f: levels[f][part] for f in FEATURES},
            _wide(i[part]),
            _wide(j[part]),
            frequencies,
        )
        total = np.sum([weights[f] for f in FEATURES], axis=0)
        out.total[part] = total
        # one shared name pair shows in the pairs of both its rows: counted once in the sum
        out.context[part] = total - 0.5 * weights["name_pair"]
        out.shared[part] = sum(weights[f] for f in SIGNAL_FEATURES)
        # housemates share a surname, an address and a phone line: a link also needs evidence
        # about the person (a first name, a birth date, a BSN)
        names = weights["first_name"] + weights["full_name_token"] + weights["name_pair"] > 0
        out.names_agree[part] = names
        out.personal[part] = names | (weights["birth_date"] > 0)
    return out


#: The columns the surname filter is banded within: a surname typo is looked for among rows
#: born in the same month (similar common surnames of one birth year, Jansen and Janssen,
#: would otherwise pair by the thousand).
LSH_GROUP: Final = ("salt_year", "tok_birth_ym")
#: The column the filters salted by the other name are banded within, across birth years.
CROSS_YEAR_GROUP: Final = "tok_birth_md"
#: How ``block`` bands each filter (``linkage.neighbourhood`` finds a day's LSH pairs by it).
LSH_RULES: Final = lsh_rules(LSH_FILTERS, LSH_GROUP, CROSS_YEAR_GROUP)


def block(
    p: Prepared, s: LinkageSettings, fresh: npt.NDArray[np.bool_] | None = None
) -> Candidates:
    """The candidate pairs of ``p`` under the settings (``fresh``: see ``candidate_pairs``)."""
    return candidate_pairs(
        p.coded_rows(),
        filters={f: p.filters[f] for f in LSH_FILTERS},
        name_pairs=p.name_pairs,
        max_block_rows=s.max_block_rows,
        max_address_block_rows=s.max_address_block_rows,
        lsh_bands=s.lsh_bands,
        lsh_band_bits=s.lsh_band_bits,
        seed=s.seed,
        lsh_unresolved_only=s.lsh_unresolved_only,
        lsh_group=LSH_GROUP,
        cross_year_group=CROSS_YEAR_GROUP,
        fresh=fresh,
        address=p.filters["bf_address"],
    )


#: Blocking of prepared rows: ``(prepared, settings, fresh) -> candidates`` (default ``block``).
Blocker = Callable[[Prepared, LinkageSettings, npt.NDArray[np.bool_] | None], Candidates]


def link_persons(
    persons: pl.DataFrame | pl.LazyFrame,
    signals: pl.DataFrame,
    settings: LinkageSettings | None = None,
    *,
    key: MasterKey | None = None,
    run_partitions: PartitionMap | None = None,
    partitions: int = 1,
    previous: LinkState | None = None,
    model: LinkModel | None = None,
    blocking: Blocker | None = None,
) -> LinkResult:
    """Link the pseudonymised ``persons`` (a frame, or a scan that ``prepare`` reads a few
    columns at a time); ``signals`` gives received dates (age estimates).

    With ``run_partitions``, the candidate pairs are compared in ``partitions`` partitions
    through it (``linkage.partition``: e.g. on Dask workers); the result is the same.
    With a usable ``previous`` state, only the rows that are new since then are linked
    (``linkage.incremental``); ``model`` scores a full link with given parameters instead of
    training them; ``blocking`` replaces ``block`` (``linkage.neighbourhood``: a day's subset
    blocked as the whole history would be).
    """
    s = settings or LinkageSettings()
    clock: dict[str, float] = {}
    started = time.perf_counter()
    p = prepare(persons, signals)
    keys = p.rows.select(row_key()).to_series()
    state = previous if previous is not None and previous.usable(s, p.size, key) else None
    fresh = (
        None
        if state is None
        else ~p.rows.select(row_hash().is_in(state.rows.implode())).to_series().to_numpy()
    )
    clock["prepare"] = time.perf_counter() - started
    cands = (blocking or block)(p, s, fresh)
    clock["blocking"] = time.perf_counter() - started - sum(clock.values())
    d = _decide(p, s, cands, state, model, run_partitions, partitions, clock, started)
    del cands
    i, j, model, frequencies = d.i, d.j, d.model, d.frequencies
    total, bsn, same_bsn = d.total, d.bsn, d.same_bsn
    alone, in_context, accept, related = d.alone, d.in_context, d.accept, d.related
    per_rule, skipped = d.per_rule, d.skipped

    def edges(pairs: npt.NDArray[np.bool_]) -> Edges:
        # these pairs with their weight, infinite for the same valid BSN
        return (
            _wide(i[pairs]),
            _wide(j[pairs]),
            np.where(same_bsn[pairs], np.inf, total[pairs]),
        )

    sig = p.clear["sig"]
    person = edges(accept)
    if state is None:
        labels, stats = cluster(p.size, *person, sig, bsn, max_rows=s.max_cluster_rows)
        links = _person_ids(p.rows, labels, key)
        seeds = None
    else:
        assert fresh is not None
        found = recluster(state, keys, fresh, person, sig, bsn, max_rows=s.max_cluster_rows)
        stats, seeds = found.stats, found.seeds
        person = (found.i, found.j, found.strength)
        links = _carry_person_ids(_person_ids(p.rows, found.smallest, key), state.person_links)
    # families: also likely matches at the same address or phone, lone signals attached
    related_edges = edges(related)
    old_family, old_member = _EMPTY, _EMPTY
    if state is not None and seeds is not None:
        old_family, lost_family = map_edges(state.edges, keys, "family")
        old_member, lost_member = map_edges(state.edges, keys, "member")
        seeds[lost_family] = True
        seeds[lost_member] = True
    family = _concat(old_family, related_edges)

    def clusters(*parts: Edges) -> I64:
        # in (i, j) order whatever the parts: ties in strength resolve alike in every run
        ci, cj, cs = _concat(*parts)
        order = np.lexsort((cj, ci))
        return cluster(
            p.size, ci[order], cj[order], cs[order], sig, bsn, max_rows=s.max_cluster_rows
        )[0]

    family_labels = clusters(person, family)
    attach = lone_attachments(
        sig,
        family_labels,
        i,
        j,
        total,
        d.attachable,
        prior_odds_bits=prior_odds_bits(model.params.prior),
        min_probability=s.family_attach_probability,
    )
    if attach.any():
        family = _concat(family, edges(attach))
        family_labels = clusters(person, family)
    # the other persons of two signals that share one: only where the families changed
    changed = None if seeds is None else touched_rows(family_labels, seeds)
    member = _within_families(p, model.params, frequencies, family_labels, s, changed)
    if changed is not None:
        keep = ~changed[old_member[0]]
        member = _concat((old_member[0][keep], old_member[1][keep], old_member[2][keep]), member)
    if member[0].size:
        family_labels = clusters(person, family, member)
    clock["cluster"] = time.perf_counter() - started - sum(clock.values())
    return LinkResult(
        person_links=links,
        family_links=_person_ids(p.rows, family_labels, key),
        edges=pl.concat(
            [
                edges_table(keys, *person, "person"),
                edges_table(keys, *family, "family"),
                edges_table(keys, *member, "member"),
            ]
        ),
        incremental=state is not None,
        fresh_rows=int(fresh.sum()) if fresh is not None else p.size,
        pairs_per_rule=per_rule,
        skipped_rows_per_rule=skipped,
        candidate_pairs=int(i.size),
        linked_pairs=int(accept.sum()),
        household_pairs=int((in_context & ~alone).sum()),
        model=model,
        cluster_stats=stats,
        seconds=clock,
        _prepared=p,
        _frequencies=frequencies,
    )


@dataclass(frozen=True)
class Decided:
    """The candidate pairs of a day's fresh rows, by their position in the persons table,
    and whether each decides anything: accepted as one person, joining families, or able to
    attach a lone signal."""

    pairs: pl.DataFrame  # a, b (positions), rules, decisive
    rule_names: tuple[str, ...]
    pairs_per_rule: dict[str, int]
    skipped_rows_per_rule: dict[str, int]

    def blocking(self, positions: I64) -> Blocker:
        """These pairs as the candidates of the prepared rows at ``positions``
        (``linkage.incremental.prepared_positions``; the pairs with both rows there)."""

        def given(
            p: Prepared, s: LinkageSettings, fresh: npt.NDArray[np.bool_] | None
        ) -> Candidates:
            assert positions.size == p.size
            a = local_rows(positions, self.pairs.get_column("a").to_numpy())
            b = local_rows(positions, self.pairs.get_column("b").to_numpy())
            both = (a >= 0) & (b >= 0)
            pairs = pl.DataFrame(
                {
                    "i": np.minimum(a, b)[both].astype(np.uint32),
                    "j": np.maximum(a, b)[both].astype(np.uint32),
                    "rules": self.pairs.get_column("rules").filter(pl.Series(both)),
                }
            ).sort("i", "j")
            return Candidates(
                pairs, self.rule_names, self.pairs_per_rule, self.skipped_rows_per_rule
            )

        return given


def decided_pairs(
    persons: pl.DataFrame,
    signals: pl.DataFrame,
    s: LinkageSettings,
    previous: LinkState,
    positions: I64,
    fresh: npt.NDArray[np.bool_],
    blocking: Blocker,
) -> Decided:
    """Block, compare and score the pairs of the fresh rows of ``persons`` with the model of
    ``previous``; the decisions are those of ``link_persons`` for the same pairs (pairwise
    scores, and household context per pair of signals). ``positions``: each prepared row's
    position in the persons table (``linkage.incremental.prepared_positions``); ``fresh``:
    per row of the persons table, whether it is fresh."""
    clock: dict[str, float] = {}
    started = time.perf_counter()
    p = prepare(persons, signals)
    assert positions.size == p.size
    cands = blocking(p, s, fresh[positions])
    rules = cands.pairs.get_column("rules")
    d = _decide(p, s, cands, previous, previous.model, None, 1, clock, started)
    decisive = d.accept | d.related | d.attachable
    return Decided(
        pl.DataFrame(
            {"a": positions[d.i], "b": positions[d.j], "rules": rules, "decisive": decisive}
        ),
        cands.rule_names,
        d.per_rule,
        d.skipped,
    )


@dataclass(frozen=True)
class _Decisions:
    """The candidate pairs of a run and what the scores decide about each (only what the
    clustering reads: at ten national years each array of the pairs is 85M long)."""

    i: Rows
    j: Rows
    model: LinkModel
    frequencies: dict[str, F64] | None
    total: F64  # summed weight
    bsn: I64
    same_bsn: npt.NDArray[np.bool_]
    alone: npt.NDArray[np.bool_]
    in_context: npt.NDArray[np.bool_]
    accept: npt.NDArray[np.bool_]  # the same person
    related: npt.NDArray[np.bool_]  # joins families
    #: may attach a lone signal to a family (``lone_attachments``)
    attachable: npt.NDArray[np.bool_]
    per_rule: dict[str, int]
    skipped: dict[str, int]


def _decide(
    p: Prepared,
    s: LinkageSettings,
    cands: Candidates,
    state: LinkState | None,
    model: LinkModel | None,
    run_partitions: PartitionMap | None,
    partitions: int,
    clock: dict[str, float],
    started: float,
) -> _Decisions:
    """Compare and score the candidate pairs (training the model in a full link without one)."""
    # 32-bit row numbers (4 bytes a pair each, not 8): widened chunk by chunk where used
    i = np.asarray(cands.pairs.get_column("i").to_numpy(), dtype=np.uint32)
    j = np.asarray(cands.pairs.get_column("j").to_numpy(), dtype=np.uint32)
    rules = cands.pairs.get_column("rules").to_numpy().astype(np.uint32)
    rule_names, per_rule, skipped = (
        cands.rule_names,
        cands.pairs_per_rule,
        cands.skipped_rows_per_rule,
    )
    del cands  # the pairs frame: i and j hold its columns
    if run_partitions is None or i.size == 0:
        levels = compare_chunked(p, i, j)
    else:
        levels = compare_partitioned(p, i, j, partitions, run_partitions)
    bsn = p.codes["tok_bsn"]
    both_bsn = (bsn[i] >= 0) & (bsn[j] >= 0)
    same_bsn = both_bsn & (bsn[i] == bsn[j])
    clock["compare"] = time.perf_counter() - started - sum(clock.values())
    if state is not None:
        model = state.model
    elif model is None:
        params = train(p, levels, rules, rule_names, s, int(same_bsn.sum()))
        model = LinkModel(params, frequency_table(p) if s.term_frequency else None, p.size)
    del rules
    params = model.params
    frequencies = None if model.frequencies is None else term_frequencies(p, model.frequencies)
    score = _score(params, levels, i, j, frequencies)
    total = score.total
    # what the decisions read of the posterior and the levels, as masks: neither is kept
    # beside the household context's temporaries
    prob = posterior(params.prior, total)
    alone = same_bsn | ((prob >= s.match_probability) & ~both_bsn & score.personal)
    family_likely = prob >= s.family_match_probability
    # the families a lone signal may attach to compete (``lone_attachments``): a pair too
    # weak to attach still counts against the others
    attach_likely = prob >= min(ATTACH_COMPETITOR_PROBABILITY, s.family_attach_probability)
    del prob
    # family context: likely the same person and reached at the same address or phone line
    contact = (levels["address"] == 1) | (levels["phone"] == 1)
    del levels
    in_context = household_links(
        p.clear["sig"],
        i,
        j,
        score.context,
        # context never links two rows whose first names disagree or cannot be compared
        (same_bsn | ~both_bsn) & score.names_agree,
        min_pair_weight=s.household_min_pair_weight,
        min_signal_weight=s.household_min_signal_weight,
        min_pairs=s.household_min_pairs,
        shared=score.shared,
    )
    accept = alone | in_context
    related = ~accept & ~both_bsn & contact & family_likely
    # an address or a phone line ties a pair with nothing personal in common (sex and age)
    # only while the household may still live there: dwellings change hands
    impersonal = np.flatnonzero(related & ~score.personal)
    day = p.clear["received_day"]
    apart = np.abs(day[i[impersonal]] - day[j[impersonal]])
    related[impersonal[apart > s.family_contact_days]] = False
    del impersonal, apart, contact, family_likely
    attachable = ~accept & ~related & ~both_bsn & score.personal & attach_likely
    clock["score"] = time.perf_counter() - started - sum(clock.values())
    return _Decisions(
        i,
        j,
        model,
        frequencies,
        total,
        bsn,
        same_bsn,
        alone,
        in_context,
        accept,
        related,
        attachable,
        per_rule,
        skipped,
    )


def _wide(rows: Rows) -> I64:
    """Row numbers as ``int64`` (a chunk of a run's 32-bit pair arrays)."""
    return np.asarray(rows, dtype=np.int64)


def _concat(*parts: Edges) -> Edges:
    """Edge lists one after the other."""
    return (
        np.concatenate([e[0] for e in parts]).astype(np.int64),
        np.concatenate([e[1] for e in parts]).astype(np.int64),
        np.concatenate([e[2] for e in parts]).astype(np.float64),
    )


_EMPTY: Final[Edges] = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64))


def _within_families(
    p: Prepared,
    params: FSParams,
    frequencies: dict[str, F64] | None,
    labels: I64,
    s: LinkageSettings,
    only: npt.NDArray[np.bool_] | None = None,
) -> Edges:
    """The other persons of signals that already share one: between two such signals, the
    mutual-best row pairs of at least ``family_member_weight`` bits, with their weights.
    ``only``: among these rows only (the families an incremental run changed)."""
    if only is not None:  # every other row a cluster of its own: it shares no person
        labels = np.where(only, labels, -1 - np.arange(labels.size))
    fi, fj = family_pairs(p.clear["sig"], labels)
    total = _score(params, compare_chunked(p, fi, fj), fi, fj, frequencies).total
    bsn = p.codes["tok_bsn"]
    different_bsn = (bsn[fi] >= 0) & (bsn[fj] >= 0) & (bsn[fi] != bsn[fj])
    member = household_links(
        p.clear["sig"],
        fi,
        fj,
        total,
        ~different_bsn,
        min_pair_weight=s.family_member_weight,
        min_signal_weight=s.family_member_weight,
        min_pairs=1,
    )
    return fi[member], fj[member], total[member]


def _person_ids(rows: pl.DataFrame, smallest: I64, key: MasterKey | None) -> pl.DataFrame:
    """``KEY, person_id``: the keyed id of each row's smallest cluster member (null where
    ``smallest`` is -1)."""
    member = pl.concat_str(
        [pl.col("region_code"), pl.col("signal_id"), pl.col("person_seq").cast(pl.Utf8)],
        separator="|",
    )
    return (
        rows.select(*KEY)
        .with_columns(pl.Series("_smallest", smallest).replace(-1, None))
        .with_columns(member.gather(pl.col("_smallest")).alias("_member"))
        .with_columns(keyed_ids(pl.col("_member"), id_key(key), "P").alias("person_id"))
        .select(*KEY, "person_id")
    )


def _carry_person_ids(links: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """Fill the rows whose cluster was not touched with the id they had."""
    return (
        links.join(
            previous.select(*KEY, pl.col("person_id").alias("_old")),
            on=list(KEY),
            how="left",
            maintain_order="left",
        )
        .with_columns(pl.coalesce("person_id", "_old").alias("person_id"))
        .drop("_old")
    )
