"""Households (chains) and the persons in them: identities that stay the same over the years.

Each chain is one household that Veilig Thuis hears about one or more times. Person slots per
chain: 0 the adult victim (or the mother, or the elderly parent), 1 the perpetrator, 2-5
children, 6 the perpetrator's new partner, 7 a child born during the chain. A person's id is
``chain * 8 + slot``; only the slots that exist are used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from radar.synth import rates
from radar.synth.bsn import generate_bsns
from radar.synth.names import (
    MODERN_FEMALE,
    MODERN_MALE,
    TRADITIONAL_FEMALE,
    TRADITIONAL_MALE,
    surname_pool,
)

SLOTS = 8
VICTIM, PERPETRATOR, NEW_PARTNER, NEW_CHILD = 0, 1, 6, 7
CHILD_SLOTS = (2, 3, 4, 5)
CHAIN_TYPES = ("partner", "child", "elder", "other")
_EPOCH = np.datetime64("1970-01-01", "D")
_DAY = 365.25


@dataclass(frozen=True)
class Chains:
    """Chain-level arrays (index = chain id)."""

    kind: np.ndarray  # int8 index into CHAIN_TYPES
    start: np.ndarray  # int days since 1970 of the first signal
    length: np.ndarray  # int number of signals (before cutting at the end date)
    switch_j: np.ndarray  # int signal index from which the perpetrator has a new partner
    move_j: np.ndarray  # int signal index from which the household lives elsewhere
    marriage_j: np.ndarray  # int signal index from which the victim uses the double surname
    birth_day: np.ndarray  # int day a child is born (slot 7), or a huge number
    exists: np.ndarray  # bool (chains, 8): which person slots exist


def make_chains(n: int, first_day: int, last_day: int, rng: np.random.Generator) -> Chains:
    """``n`` chains starting uniformly between two days (days since 1970)."""
    never = np.full(n, 1 << 40, dtype=np.int64)
    kind = rng.choice(len(CHAIN_TYPES), n, p=list(rates.CHAIN_TYPE_SHARES.values())).astype(np.int8)
    start = rng.integers(first_day, last_day + 1, n)
    length = np.minimum(rng.geometric(1 - rates.CHAIN_CONTINUE, n), rates.CHAIN_MAX_SIGNALS)

    def later_index(p: float, eligible: np.ndarray) -> np.ndarray:
        hit = eligible & (rng.random(n) < p) & (length >= 2)
        idx = 1 + (rng.random(n) * np.maximum(length - 1, 1)).astype(np.int64)
        return np.where(hit, idx, never)

    switch_j = later_index(rates.NEW_PARTNER, kind != 2)
    move_j = later_index(rates.MOVE, np.ones(n, dtype=bool))
    marriage_j = later_index(rates.MARRIAGE, kind == 0)
    birth = (rng.random(n) < rates.BIRTH) & (kind != 2)
    birth_day = np.where(birth, start + rng.integers(60, 1500, n), never)
    n_children = np.minimum(rng.poisson(rates.CHILDREN_MEAN, n), 4)
    n_children = np.where(kind == 1, np.maximum(n_children, 1), n_children)
    n_children = np.where(kind == 2, 0, n_children)
    exists = np.zeros((n, SLOTS), dtype=bool)
    exists[:, VICTIM] = True
    exists[:, PERPETRATOR] = True
    for k, slot in enumerate(CHILD_SLOTS):
        exists[:, slot] = n_children > k
    exists[:, NEW_PARTNER] = switch_j < never
    exists[:, NEW_CHILD] = birth
    return Chains(kind, start, length, switch_j, move_j, marriage_j, birth_day, exists)


def _first_name_pool(
    traditional: tuple[tuple[str, tuple[str, ...]], ...], modern: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(traditional official, traditional call, modern names, traditional official list)."""
    official = [o for o, calls in traditional for _ in calls]
    call = [c for _, calls in traditional for c in calls]
    return (
        np.asarray(official),
        np.asarray(call),
        np.asarray(modern),
        np.asarray([o for o, _ in traditional]),
    )


def _draw_first_names(
    sex_female: np.ndarray, birth_year: np.ndarray, rng: np.random.Generator
) -> tuple[pl.Series, pl.Series]:
    """Official given names (one to three) and the call name, by sex and era."""
    n = sex_female.size
    given = np.empty(n, dtype=object)
    call = np.empty(n, dtype=object)
    extra1 = np.empty(n, dtype=object)
    extra2 = np.empty(n, dtype=object)
    p_trad = np.where(birth_year < 1970, 0.65, np.where(birth_year < 1990, 0.3, 0.08))
    trad = rng.random(n) < p_trad
    n_given = (
        np.where(trad, rng.choice(3, n, p=[0.3, 0.45, 0.25]), rng.choice(3, n, p=[0.6, 0.3, 0.1]))
        + 1
    )
    for female, pools in (
        (True, _first_name_pool(TRADITIONAL_FEMALE, MODERN_FEMALE)),
        (False, _first_name_pool(TRADITIONAL_MALE, MODERN_MALE)),
    ):
        off, cal, mod, offs = pools
        sel = sex_female == female
        t = sel & trad
        i = rng.integers(0, off.size, n)
        given[t] = off[i[t]]
        call[t] = cal[i[t]]
        m = sel & ~trad
        k = rng.integers(0, mod.size, n)
        given[m] = mod[k[m]]
        call[m] = mod[k[m]]
        e1 = offs[rng.integers(0, offs.size, n)]
        e2 = offs[rng.integers(0, offs.size, n)]
        extra1[sel] = e1[sel]
        extra2[sel] = e2[sel]
    g = pl.Series(given.astype(str))
    x1 = pl.Series(extra1.astype(str))
    x2 = pl.Series(extra2.astype(str))
    ng = pl.Series(n_given)
    full = (
        pl.DataFrame({"g": g, "x1": x1, "x2": x2, "n": ng})
        .select(
            pl.when(pl.col("n") == 1)
            .then(pl.col("g"))
            .when(pl.col("n") == 2)
            .then(pl.col("g") + " " + pl.col("x1"))
            .otherwise(pl.col("g") + " " + pl.col("x1") + " " + pl.col("x2"))
        )
        .to_series()
    )
    return full, pl.Series(call.astype(str))


def make_persons(chains: Chains, used: np.ndarray, rng: np.random.Generator) -> pl.DataFrame:
    """One row per existing person slot of the ``used`` chains: identity that stays the same.

    Columns: person (Int64), chain, slot, female (bool), birth_day (days since 1970),
    given_names, call_name, surname_prefix, surname, bsn (Int64), mobile, landline, email.
    """
    n = chains.kind.size
    kind = chains.kind
    age = np.zeros((n, SLOTS))
    age[:, VICTIM] = np.select(
        [kind == 0, kind == 1, kind == 2],
        [rng.uniform(19, 55, n), rng.uniform(21, 46, n), rng.uniform(68, 92, n)],
        rng.uniform(18, 70, n),
    )
    age[:, PERPETRATOR] = np.where(
        kind == 2, rng.uniform(35, 60, n), np.clip(age[:, VICTIM] + rng.normal(2, 5, n), 17, 80)
    )
    for slot in CHILD_SLOTS:
        age[:, slot] = rng.uniform(0, 1, n) * np.clip(age[:, VICTIM] - 17, 0.5, 17.5)
    age[:, NEW_PARTNER] = np.clip(age[:, PERPETRATOR] - rng.normal(3, 6, n), 18, 75)
    birth_day = (chains.start[:, None] - age * _DAY).astype(np.int64)
    birth_day[:, NEW_CHILD] = chains.birth_day
    female = np.zeros((n, SLOTS), dtype=bool)
    female[:, VICTIM] = rng.random(n) < np.select(
        [kind == 0, kind == 1, kind == 2], [0.85, 0.9, 0.7], 0.55
    )
    female[:, PERPETRATOR] = np.where(rng.random(n) < 0.92, ~female[:, VICTIM], female[:, VICTIM])
    for slot in (*CHILD_SLOTS, NEW_CHILD):
        female[:, slot] = rng.random(n) < 0.5
    female[:, NEW_PARTNER] = np.where(
        rng.random(n) < 0.92, ~female[:, PERPETRATOR], female[:, PERPETRATOR]
    )
    prefixes, names, weights = surname_pool(np.random.default_rng(1))
    cdf = np.cumsum(weights)
    draw = np.minimum(np.searchsorted(cdf, rng.random((n, SLOTS)), side="right"), len(names) - 1)
    # children carry the father's name (perpetrator when male, else the victim's)
    father = np.where(~female[:, PERPETRATOR], draw[:, PERPETRATOR], draw[:, VICTIM])
    for slot in CHILD_SLOTS:
        draw[:, slot] = np.where(kind == 2, draw[:, slot], father)
    draw[:, PERPETRATOR] = np.where(
        (kind == 2) & (rng.random(n) < 0.6), draw[:, VICTIM], draw[:, PERPETRATOR]
    )
    draw[:, NEW_CHILD] = np.where(
        chains.exists[:, NEW_PARTNER] & female[:, PERPETRATOR], draw[:, NEW_PARTNER], father
    )
    flat = (chains.exists & used[:, None]).ravel()
    person = np.flatnonzero(flat)
    m = person.size
    f_female = female.ravel()[person]
    f_birth = birth_day.ravel()[person]
    birth_year = (_EPOCH + f_birth).astype("datetime64[Y]").astype(np.int64) + 1970
    given, call = _draw_first_names(f_female, birth_year, rng)
    sur_idx = draw.ravel()[person]
    bsn = generate_bsns(m, rng)
    mobile = pl.Series(rng.integers(10_000_000, 100_000_000, m)).cast(pl.Utf8)
    area = np.asarray(
        [
            "20",
            "10",
            "70",
            "30",
            "40",
            "50",
            "13",
            "15",
            "24",
            "26",
            "38",
            "43",
            "45",
            "53",
            "58",
            "71",
            "72",
            "73",
            "76",
            "77",
            "78",
            "79",
        ]
    )
    landline_digits = pl.Series(rng.integers(1_000_000, 10_000_000, m)).cast(pl.Utf8)
    has_landline = rng.random(m) < 0.2
    pref = np.asarray(prefixes)
    nam = np.asarray(names)
    domains = np.asarray(
        [
            "gmail.com",
            "hotmail.com",
            "outlook.com",
            "ziggo.nl",
            "kpnmail.nl",
            "live.nl",
            "icloud.com",
            "yahoo.com",
        ]
    )
    frame = pl.DataFrame(
        {
            "person": pl.Series(person, dtype=pl.Int64),
            "chain": pl.Series(person // SLOTS, dtype=pl.Int64),
            "slot": pl.Series(person % SLOTS, dtype=pl.Int8),
            "female": f_female,
            "birth_day": pl.Series(f_birth, dtype=pl.Int32),
            "given_names": given,
            "call_name": call,
            "surname_prefix": pl.Series(pref[sur_idx]),
            "surname": pl.Series(nam[sur_idx]),
            "bsn": pl.Series(bsn, dtype=pl.Int64),
            "mobile_digits": mobile,
            "landline_area": pl.Series(area[rng.integers(0, area.size, m)]),
            "landline_digits": landline_digits,
            "has_landline": has_landline,
            "email_domain": pl.Series(domains[rng.integers(0, domains.size, m)]),
            "email_n": pl.Series(rng.integers(1, 99, m)),
        }
    )
    return frame.with_columns(
        mobile=pl.lit("06") + pl.col("mobile_digits"),
        landline=pl.when(pl.col("has_landline")).then(
            pl.lit("0") + pl.col("landline_area") + pl.col("landline_digits")
        ),
    ).drop("mobile_digits", "landline_area", "landline_digits", "has_landline")
