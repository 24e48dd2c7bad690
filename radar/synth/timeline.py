"""The signals each household gets over time, and who is named in each of them.

A chain's first signal falls on its start day; after each signal the chain continues with
``CHAIN_CONTINUE``, after a short gap (a new report while the case is open) or a long one.
Signals before the first simulated day (burn-in) or after the last are dropped: the burn-in only
makes volumes steady and leaves the engine families it cannot know about.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from radar.synth import rates
from radar.synth.geography import Addresses, Geography, nearby_municipalities, sample_addresses
from radar.synth.population import (
    CHILD_SLOTS,
    NEW_CHILD,
    NEW_PARTNER,
    PERPETRATOR,
    SLOTS,
    VICTIM,
    Chains,
)

_EPOCH = np.datetime64("1970-01-01", "D")
HOME, PERP_OWN, MOVED, SWITCHED = 0, 1, 2, 3
_ROLES = np.asarray(
    [
        ["slachtoffer", "pleger", "kind", "kind", "kind", "kind", "slachtoffer", "kind"],
        [
            "overig",
            "pleger",
            "slachtoffer",
            "slachtoffer",
            "slachtoffer",
            "slachtoffer",
            "overig",
            "slachtoffer",
        ],
        ["slachtoffer", "pleger", "kind", "kind", "kind", "kind", "slachtoffer", "kind"],
        ["slachtoffer", "pleger", "overig", "overig", "overig", "overig", "slachtoffer", "overig"],
    ]
)


def year_of(days: np.ndarray) -> np.ndarray:
    """Calendar year of days since 1970."""
    return (_EPOCH + days).astype("datetime64[Y]").astype(np.int64) + 1970


@dataclass(frozen=True)
class ChainAddresses:
    """The four addresses of every chain: home, perpetrator's own, after a move, new partner's."""

    table: tuple[Addresses, Addresses, Addresses, Addresses]
    perpetrator_elsewhere: np.ndarray  # bool per chain


def make_chain_addresses(
    chains: Chains, geo: Geography, home_municipality: np.ndarray, rng: np.random.Generator
) -> ChainAddresses:
    """Addresses per chain; moves and new partners may cross regions."""
    n = chains.kind.size
    home = sample_addresses(geo, home_municipality, rng)
    own = sample_addresses(geo, home_municipality, rng)
    moved_m = nearby_municipalities(
        geo, home_municipality, rng.random(n) < rates.MOVE_OTHER_REGION, rng
    )
    same_town = rng.random(n) < 0.5
    moved_m = np.where(
        same_town & (geo.region_2022[moved_m] == geo.region_2022[home_municipality]),
        home_municipality,
        moved_m,
    )
    moved = sample_addresses(geo, moved_m, rng)
    switch_m = nearby_municipalities(
        geo, home_municipality, rng.random(n) < rates.NEW_PARTNER_OTHER_REGION, rng
    )
    switched = sample_addresses(geo, switch_m, rng)
    elsewhere = rng.random(n) < rates.PERPETRATOR_ELSEWHERE
    return ChainAddresses((home, own, moved, switched), elsewhere)


def make_signals(
    chains: Chains, first_day: int, last_day: int, rng: np.random.Generator
) -> pl.DataFrame:
    """Signals of all chains inside [first_day, last_day]: sig, chain, j, melding, days."""
    n_sig = int(chains.length.sum())
    chain = np.repeat(np.arange(chains.kind.size, dtype=np.int64), chains.length)
    begin = np.concatenate([[0], np.cumsum(chains.length)[:-1]])
    j = np.arange(n_sig, dtype=np.int64) - begin[chain]
    short = rng.random(n_sig) < rates.SHORT_GAP_SHARE
    gap = np.where(
        short,
        1 + rng.exponential(rates.SHORT_GAP_MEAN_DAYS, n_sig),
        rng.lognormal(np.log(rates.LONG_GAP_MEDIAN_DAYS), rates.LONG_GAP_SIGMA, n_sig),
    ).astype(np.int64)
    gap[j == 0] = 0
    cum = np.cumsum(gap)
    received = chains.start[chain] + cum - cum[begin[chain]]
    melding = rng.random(n_sig) < rates.MELDING_SHARE
    open_days = np.where(
        melding,
        rng.lognormal(np.log(rates.MELDING_OPEN_MEDIAN_DAYS), rates.MELDING_OPEN_SIGMA, n_sig),
        np.where(
            rng.random(n_sig) < rates.ADVIES_QUICK_CLOSE,
            rng.integers(0, 15, n_sig),
            rng.lognormal(np.log(rates.ADVIES_OPEN_MEDIAN_DAYS), 0.7, n_sig),
        ),
    ).astype(np.int64)
    keep = (received >= first_day) & (received <= last_day)
    return (
        pl.DataFrame(
            {
                "chain": chain[keep],
                "j": j[keep],
                "melding": melding[keep],
                "received_day": received[keep],
                "closed_day": received[keep] + open_days[keep],
            }
        )
        .sort("received_day", "chain", "j")
        .with_row_index("sig")
        .with_columns(pl.col("sig").cast(pl.Int64))
    )


def signal_places(
    signals: pl.DataFrame, chains: Chains, addr: ChainAddresses, geo: Geography
) -> pl.DataFrame:
    """Adds the household municipality and the region code valid on the received day."""
    chain = signals["chain"].to_numpy()
    j = signals["j"].to_numpy()
    after_switch = j >= chains.switch_j[chain]
    after_move = j >= chains.move_j[chain]
    home, _, moved, switched = addr.table
    muni = np.where(
        after_switch,
        switched.municipality[chain],
        np.where(after_move, moved.municipality[chain], home.municipality[chain]),
    )
    region = geo.region_on(muni, year_of(signals["received_day"].to_numpy()))
    return signals.with_columns(
        chain_kind=pl.Series(chains.kind[chain]),
        after_switch=pl.Series(after_switch),
        municipality=pl.Series(muni),
        region_code=pl.Series(region),
    )


def make_members(
    signals: pl.DataFrame, chains: Chains, addr: ChainAddresses, rng: np.random.Generator
) -> pl.DataFrame:
    """Who is named in each signal: sig, person, slot, role, unborn, address parts."""
    chain = signals["chain"].to_numpy()
    n = chain.size
    kind = chains.kind[chain].astype(np.int64)
    melding = signals["melding"].to_numpy()
    after_switch = signals["after_switch"].to_numpy()
    received = signals["received_day"].to_numpy()
    p = np.zeros((n, SLOTS))
    is_child = kind == 1
    p[:, VICTIM] = np.where(is_child, 0.85, rates.MELDING_NAMES_VICTIM)
    p[:, PERPETRATOR] = np.where(is_child, 0.85, rates.MELDING_NAMES_PERPETRATOR)
    for slot in (*CHILD_SLOTS, NEW_CHILD):
        p[:, slot] = np.where(is_child, 0.85, rates.MELDING_NAMES_CHILD)
    p[after_switch, VICTIM] = rates.FORMER_VICTIM_NAMED
    for slot in CHILD_SLOTS:
        p[after_switch, slot] = rates.FORMER_VICTIM_NAMED
    p[after_switch, PERPETRATOR] = 0.95
    p[after_switch, NEW_PARTNER] = 0.97
    p[~melding] *= rates.ADVIES_NAMING_FACTOR
    p *= chains.exists[chain]
    p[:, NEW_CHILD] *= received >= chains.birth_day[chain] - rates.UNBORN_DAYS
    take = rng.random((n, SLOTS)) < p
    none = melding & ~take.any(axis=1)
    main = np.where(after_switch, PERPETRATOR, VICTIM)
    take[np.flatnonzero(none), main[none]] = True
    sig_i, slot_i = np.nonzero(take)
    slot_of = slot_i.astype(np.int64)
    ch = chain[sig_i]
    sw = after_switch[sig_i]
    mv = signals["j"].to_numpy()[sig_i] >= chains.move_j[ch]
    household = np.where(mv, MOVED, HOME)
    which = np.select(
        [
            slot_of == NEW_PARTNER,
            (slot_of == NEW_CHILD) & sw,
            (slot_of == PERPETRATOR) & sw,
            (slot_of == PERPETRATOR) & addr.perpetrator_elsewhere[ch],
        ],
        [SWITCHED, SWITCHED, SWITCHED, PERP_OWN],
        household,
    )
    parts = {}
    for name in ("municipality", "street", "number", "suffix"):
        stacked = np.stack([getattr(a, name) for a in addr.table])
        parts[name] = stacked[which, ch]
    return pl.DataFrame(
        {
            "sig": signals["sig"].to_numpy()[sig_i],
            "person": ch * SLOTS + slot_of,
            "slot": slot_of.astype(np.int8),
            "role": _ROLES[kind[sig_i], slot_of],
            "unborn": (slot_of == NEW_CHILD) & (received[sig_i] < chains.birth_day[ch]),
            **{f"addr_{k}": v for k, v in parts.items()},
        }
    )
