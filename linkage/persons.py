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
boy's identity stays uncertain (he may be his brother). A signal that is then still alone in
its family attaches through its best pair of ``family_attach_probability``
(``linkage.household.lone_attachments``). Between two signals that share a person, the
other rows link at a weak weight (``family_member_weight``: sex, age and region agree), since
within one family few persons can be meant; recurrence then counts the known persons.
Families and recurrence are computed on
``family_links``; ``person_links`` is what the engine says about persons.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from linkage.blocking import candidate_pairs
from linkage.cluster import cluster, id_key, keyed_ids
from linkage.compare import FEATURES, compare
from linkage.em import FSParams
from linkage.household import family_pairs, household_links, lone_attachments
from linkage.partition import PartitionMap, compare_partitioned
from linkage.prepare import KEY, Prepared, prepare
from linkage.score import pair_weights, posterior, term_frequencies, train
from pseudonymise.keys import MasterKey
from radar.settings import LinkageSettings

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

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
        "different pc4",
    ),
    "phone": ("not comparable", "agree", "disagree"),
    "region": ("not comparable", "same region", "different regions"),
    "age": ("not comparable", "within 3 years", "further apart"),
    "full_name_token": ("not comparable", "same full name", "different full name"),
    "name_pair": ("not comparable", "first name and a housemate's agree", "no name pair agrees"),
}


@dataclass(frozen=True)
class LinkResult:
    """Person links, the statistics of the run, and what ``explain`` needs."""

    person_links: pl.DataFrame  # region_code, signal_id, person_seq, person_id
    family_links: pl.DataFrame  # the same columns, linked more loosely (module docstring)
    pairs_per_rule: dict[str, int]
    skipped_rows_per_rule: dict[str, int]
    candidate_pairs: int
    linked_pairs: int
    household_pairs: int
    params: FSParams
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
        weights = pair_weights(self.params, levels, i, j, self._frequencies)
        return pl.DataFrame(
            {
                "feature": list(FEATURES),
                "level": [int(levels[f][0]) for f in FEATURES],
                "agreement": [LEVEL_NAMES[f][int(levels[f][0])] for f in FEATURES],
                "weight": [float(weights[f][0]) for f in FEATURES],
            }
        )


def link_persons(
    persons: pl.DataFrame,
    signals: pl.DataFrame,
    settings: LinkageSettings | None = None,
    *,
    key: MasterKey | None = None,
    run_partitions: PartitionMap | None = None,
    partitions: int = 1,
) -> LinkResult:
    """Link the pseudonymised ``persons``; ``signals`` gives received dates (age estimates).

    With ``run_partitions``, the candidate pairs are compared in ``partitions`` partitions
    through it (``linkage.partition``: e.g. on Dask workers); the result is the same.
    """
    s = settings or LinkageSettings()
    clock: dict[str, float] = {}
    started = time.perf_counter()
    p = prepare(persons, signals)
    clock["prepare"] = time.perf_counter() - started
    cands = candidate_pairs(
        p.rows,
        filters={"bf_surname": p.filters["bf_surname"]},
        name_pairs=p.name_pairs,
        max_block_rows=s.max_block_rows,
        max_address_block_rows=s.max_address_block_rows,
        lsh_bands=s.lsh_bands,
        lsh_band_bits=s.lsh_band_bits,
        seed=s.seed,
    )
    clock["blocking"] = time.perf_counter() - started - sum(clock.values())
    i = cands.pairs.get_column("i").to_numpy().astype(np.int64)
    j = cands.pairs.get_column("j").to_numpy().astype(np.int64)
    rules = cands.pairs.get_column("rules").to_numpy().astype(np.uint32)
    if run_partitions is None or i.size == 0:
        levels = compare(p, i, j)
    else:
        levels = compare_partitioned(p, i, j, partitions, run_partitions)
    bsn = p.codes["tok_bsn"]
    both_bsn = (bsn[i] >= 0) & (bsn[j] >= 0)
    same_bsn = both_bsn & (bsn[i] == bsn[j])
    clock["compare"] = time.perf_counter() - started - sum(clock.values())
    params = train(p, levels, rules, cands.rule_names, s, int(same_bsn.sum()))
    frequencies = term_frequencies(p) if s.term_frequency else None
    weights = pair_weights(params, levels, i, j, frequencies)
    total = np.sum([weights[f] for f in FEATURES], axis=0) if i.size else np.zeros(0)
    prob = posterior(params.prior, total)
    # housemates share a surname, an address and a phone line: a link also needs evidence
    # about the person (a first name, a birth date, a BSN)
    names_agree = weights["first_name"] + weights["full_name_token"] + weights["name_pair"] > 0
    personal = names_agree | (weights["birth_date"] > 0)
    alone = same_bsn | ((prob >= s.match_probability) & ~both_bsn & personal)
    in_context = household_links(
        p.clear["sig"],
        i,
        j,
        # one shared name pair shows in the pairs of both its rows: counted once in the sum
        total - 0.5 * weights["name_pair"],
        # context never links two rows whose first names disagree or cannot be compared
        (same_bsn | ~both_bsn) & names_agree,
        min_pair_weight=s.household_min_pair_weight,
        min_signal_weight=s.household_min_signal_weight,
        min_pairs=s.household_min_pairs,
    )
    accept = alone | in_context
    # family context: likely the same person and reached at the same address or phone line
    contact = (levels["address"] == 1) | (levels["phone"] == 1)
    related = ~accept & ~both_bsn & contact & (prob >= s.family_match_probability)
    clock["score"] = time.perf_counter() - started - sum(clock.values())
    strength = np.where(same_bsn, np.inf, total)

    def clusters(mask: npt.NDArray[np.bool_]) -> tuple[I64, dict[str, int]]:
        return cluster(
            p.size,
            i[mask],
            j[mask],
            strength[mask],
            p.clear["sig"],
            bsn,
            max_rows=s.max_cluster_rows,
        )

    labels, stats = clusters(accept)
    loose = accept | related
    family_labels, _ = clusters(loose)
    attach = lone_attachments(
        p.clear["sig"],
        family_labels,
        i,
        j,
        total,
        ~loose & ~both_bsn & personal & (prob >= s.family_attach_probability),
    )
    if attach.any():
        loose |= attach
        family_labels, _ = clusters(loose)
    mi, mj, mw = _within_families(p, params, frequencies, family_labels, s)
    if mi.size:
        family_labels, _ = cluster(
            p.size,
            np.r_[i[loose], mi],
            np.r_[j[loose], mj],
            np.r_[strength[loose], mw],
            p.clear["sig"],
            bsn,
            max_rows=s.max_cluster_rows,
        )
    hmac_key = id_key(key)
    clock["cluster"] = time.perf_counter() - started - sum(clock.values())
    return LinkResult(
        person_links=_person_ids(p, labels, hmac_key),
        family_links=_person_ids(p, family_labels, hmac_key),
        pairs_per_rule=cands.pairs_per_rule,
        skipped_rows_per_rule=cands.skipped_rows_per_rule,
        candidate_pairs=int(i.size),
        linked_pairs=int(accept.sum()),
        household_pairs=int((in_context & ~alone).sum()),
        params=params,
        cluster_stats=stats,
        seconds=clock,
        _prepared=p,
        _frequencies=frequencies,
    )


def _within_families(
    p: Prepared,
    params: FSParams,
    frequencies: dict[str, F64] | None,
    labels: I64,
    s: LinkageSettings,
) -> tuple[I64, I64, F64]:
    """The other persons of signals that already share one: between two such signals, the
    mutual-best row pairs of at least ``family_member_weight`` bits, with their weights."""
    fi, fj = family_pairs(p.clear["sig"], labels)
    levels = compare(p, fi, fj)
    weights = pair_weights(params, levels, fi, fj, frequencies)
    total = np.sum([weights[f] for f in FEATURES], axis=0) if fi.size else np.zeros(0)
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


def _person_ids(p: Prepared, labels: I64, hmac_key: str) -> pl.DataFrame:
    """``region_code, signal_id, person_seq, person_id`` from a smallest-member label per row."""
    member = pl.concat_str(
        [pl.col("region_code"), pl.col("signal_id"), pl.col("person_seq").cast(pl.Utf8)],
        separator="|",
    )
    return (
        p.rows.select(*KEY)
        .with_columns(pl.Series("_smallest", labels))
        .with_columns(member.gather(pl.col("_smallest")).alias("_member"))
        .with_columns(keyed_ids(pl.col("_member"), hmac_key, "P").alias("person_id"))
        .select(*KEY, "person_id")
    )
