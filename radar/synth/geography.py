"""Where households live: the real municipalities of 2022 with population weights and streets.

Weights: the 32 largest municipalities get their approximate 2022 population; the others a
lognormal draw around 28,000 (fixed seed, so weights do not change with the run's seed); all
scaled to the national population. Each municipality gets streets (about one per 400
inhabitants), each street one four-digit postcode from the municipality's range, and postcode
letters that follow the house-number block, so one address always has one postcode.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from radar.reference import municipalities_2022, region_of_municipality
from radar.synth import rates
from radar.synth.names import street_pool

#: Approximate 2022 population of the largest municipalities (CBS).
LARGEST: dict[str, int] = {
    "GM0363": 882_000,
    "GM0599": 655_000,
    "GM0518": 552_000,
    "GM0344": 361_000,
    "GM0772": 238_000,
    "GM0014": 235_000,
    "GM0855": 222_000,
    "GM0034": 218_000,
    "GM0758": 184_000,
    "GM0268": 179_000,
    "GM0200": 165_000,
    "GM0202": 164_000,
    "GM0392": 162_000,
    "GM0153": 160_000,
    "GM0394": 158_000,
    "GM0307": 158_000,
    "GM0479": 157_000,
    "GM0796": 156_000,
    "GM0193": 130_000,
    "GM0637": 126_000,
    "GM0546": 125_000,
    "GM0080": 125_000,
    "GM0935": 121_000,
    "GM0505": 120_000,
    "GM0228": 119_000,
    "GM1783": 112_000,
    "GM0484": 112_000,
    "GM0361": 110_000,
    "GM0114": 107_000,
    "GM0503": 104_000,
    "GM0983": 102_000,
    "GM0150": 101_000,
}
_LETTERS = "ABCDEFGHJKLMNPRSTVWXZ"
_INHABITANTS_PER_STREET = 400


@dataclass(frozen=True)
class Geography:
    """Municipalities and streets as arrays (index = position)."""

    municipality_code: np.ndarray  # str, one per municipality
    municipality_name: np.ndarray  # str
    region_2022: np.ndarray  # str, VT region of 2022
    region_2023: np.ndarray  # str, VT region from 2023 (VT27 for VT16/VT26)
    population: np.ndarray  # float, approximate inhabitants
    weight: np.ndarray  # float, population share (sums to 1 over the allowed ones)
    allowed: np.ndarray  # bool, municipality inside the configured regions
    street_municipality: np.ndarray  # int, municipality index per street
    street_name: np.ndarray  # str
    street_pc4: np.ndarray  # int, four-digit postcode
    street_letter0: np.ndarray  # int, first letter-pair index
    first_street: np.ndarray  # int, per municipality: index of its first street
    n_streets: np.ndarray  # int, per municipality

    def population_share(self) -> float:
        """Share of the national population living in the allowed municipalities."""
        return float(self.population[self.allowed].sum() / self.population.sum())

    def region_on(self, municipality: np.ndarray, year: np.ndarray) -> np.ndarray:
        """VT region code of each municipality index in each year."""
        out: np.ndarray = np.where(
            year >= 2023, self.region_2023[municipality], self.region_2022[municipality]
        )
        return out


def build_geography(regions: tuple[str, ...] | None) -> Geography:
    """Municipalities with weights and streets, restricted to ``regions`` (2022 codes or VT27)."""
    rng = np.random.default_rng(2022)
    gm = municipalities_2022().sort("municipality_code")
    r23 = region_of_municipality(2023).sort("municipality_code")
    codes = gm["municipality_code"].to_numpy().astype(str)
    region_2022 = gm["vt_region_code_2022"].to_numpy().astype(str)
    region_2023 = r23["vt_region_code"].to_numpy().astype(str)
    pop = np.exp(rng.normal(np.log(28_000), 0.55, codes.size))
    for i, code in enumerate(codes):
        if code in LARGEST:
            pop[i] = LARGEST[code]
    pop *= rates.POPULATION_NL / pop.sum()
    if regions is None:
        allowed = np.ones(codes.size, dtype=bool)
    else:
        wanted = set(regions)
        allowed = np.isin(region_2022, list(wanted)) | np.isin(region_2023, list(wanted))
    n_streets = np.maximum(30, (pop / _INHABITANTS_PER_STREET).astype(np.int64))
    first = np.concatenate([[0], np.cumsum(n_streets)[:-1]])
    total = int(n_streets.sum())
    pool = np.asarray(street_pool())
    street_municipality = np.repeat(np.arange(codes.size), n_streets)
    # distinct names within a municipality as long as the pool lasts
    offset = rng.integers(0, pool.size, codes.size)[street_municipality]
    within = np.arange(total) - first[street_municipality]
    street_name = pool[(offset + within) % pool.size]
    pc_base = 1000 + (np.arange(codes.size) * 8000 // codes.size)
    pc_span = np.maximum(1, 8000 // codes.size)
    street_pc4 = pc_base[street_municipality] + rng.integers(0, pc_span, total)
    street_letter0 = rng.integers(0, len(_LETTERS) ** 2 - 20, total)
    weight = np.where(allowed, pop, 0.0)
    return Geography(
        municipality_code=codes,
        municipality_name=gm["municipality_name"].to_numpy().astype(str),
        region_2022=region_2022,
        region_2023=region_2023,
        population=pop,
        weight=weight / weight.sum(),
        allowed=allowed,
        street_municipality=street_municipality,
        street_name=street_name,
        street_pc4=street_pc4,
        street_letter0=street_letter0,
        first_street=first,
        n_streets=n_streets,
    )


@dataclass(frozen=True)
class Addresses:
    """A batch of addresses (arrays of equal length)."""

    municipality: np.ndarray  # int
    street: np.ndarray  # int
    number: np.ndarray  # int
    suffix: np.ndarray  # int: 0 none, 1 'A', 2 'B', 3 '2' (floor), 4 'bis', 5 'hs'


def sample_municipalities(geo: Geography, n: int, rng: np.random.Generator) -> np.ndarray:
    """Municipality indexes drawn by population weight among the allowed ones."""
    cdf = np.cumsum(geo.weight)
    out: np.ndarray = np.minimum(
        np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right"), geo.weight.size - 1
    )
    return out


def nearby_municipalities(
    geo: Geography, current: np.ndarray, other_region: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """A new municipality: in another region where asked, else in the same 2022 region.

    Falls back to the current region when the allowed municipalities hold no other region.
    """
    n = current.size
    drawn = sample_municipalities(geo, n, rng)
    same = geo.region_2022[drawn] == geo.region_2022[current]
    # redraw a few times to get the side asked for; keep what we have after that
    for _ in range(6):
        wrong = np.where(other_region, same, ~same)
        if not wrong.any():
            break
        idx = np.flatnonzero(wrong)
        drawn[idx] = sample_municipalities(geo, idx.size, rng)
        same = geo.region_2022[drawn] == geo.region_2022[current]
    still_wrong = ~other_region & ~same
    drawn[still_wrong] = current[still_wrong]
    return drawn


def sample_addresses(
    geo: Geography, municipality: np.ndarray, rng: np.random.Generator
) -> Addresses:
    """A street, house number and suffix in each given municipality."""
    n = municipality.size
    street = geo.first_street[municipality] + (rng.random(n) * geo.n_streets[municipality]).astype(
        np.int64
    )
    number = 1 + np.minimum(rng.geometric(1 / 40, n), 400)
    has_suffix = rng.random(n) < rates.HOUSE_NUMBER_SUFFIX
    suffix = np.where(has_suffix, rng.integers(1, 6, n), 0)
    return Addresses(municipality, street, number, suffix)


def postcode_of(geo: Geography, street: np.ndarray, number: np.ndarray) -> pl.Series:
    """Postcodes '1234AB': the street's four digits, letters by house-number block."""
    letters = geo.street_letter0[street] + number // 30
    n = len(_LETTERS)
    first = np.asarray(list(_LETTERS))[(letters // n) % n]
    second = np.asarray(list(_LETTERS))[letters % n]
    pc4 = pl.Series(geo.street_pc4[street]).cast(pl.Utf8)
    return pc4 + pl.Series(first) + pl.Series(second)
