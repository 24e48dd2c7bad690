"""Comparison vectors: one small integer level per field for every candidate pair.

Level 0 always means "cannot compare" (a value missing on either side, or Bloom filters under
different salts); it carries no evidence. Levels only use tokens, filters and coarse clear
columns, never a value:

* ``birth_date``: 1 exact, 2 day and month swapped, 3 year+month agree and a day is unknown,
  4 month+day agree but the year differs (a typo in the year), 5 year+month agree but the days
  differ, 6 the year agrees and the months differ, 7 only a year is known and it agrees,
  8 disagree;
* ``first_name`` and ``surname``: Dice of the Bloom filters when their salts agree, in bands
  (1 >= 0.95, 2 >= 0.8, 3 >= 0.6, 4 below); first name 5 = one side is initials and the
  initial+birth-date token agrees;
* ``sex``, ``phone``: 1 agree, 2 disagree;
* ``address`` (one comparison): 1 postcode+house number agree, 2 the address filters
  (same municipality) have Dice >= 0.85, 3 same pc4, 4 pc4s one typo apart (one digit
  differs, or two adjacent digits are swapped: a typo, or a move to a neighbouring area),
  5 different pc4, or dissimilar address filters where a pc4 is missing;
* ``region``: 1 the two signals were received by the same region (merged regions count as
  their successor), 2 by different ones. Families mostly stay in one region, and a name
  that is common nationally is rare in one region's store;
* ``age``: when a side only has an age estimate, the implied birth years within 3 years:
  1 agree, 2 disagree;
* ``full_name_token``: only where neither name filter can be compared (salted by different
  birth years, or one side has no birth date): 1 the first name, surname and sex token
  agrees, 2 it differs. The name features never both carry evidence for a pair. The token
  is order-free: a pair whose compared name filters all disagree while the tokens agree has
  its names swapped; its filter levels become 0 and the token's level 1 counts instead.
  Where only the first-name filters cannot be compared (birth months differ) and the
  surnames agree, equal tokens give the first name level 1;
* ``name_pair``: where the first-name filters cannot be compared and the full names do not
  agree: 1 the two rows share a name-pair token (the same first name and sex, and a person
  of the same first name and sex in each signal), 2 both have name pairs but share none;
* ``time_apart``: the days between the two signals' receipt, in bands (``TIME_APART_DAYS``:
  1 within 90 days, 2 a year, 3 two, 4 three, 5 four, 6 six years, 7 longer). Violence
  that goes on is reported again within months or a few years, while two random signals of
  a ten-year store lie years apart: this is the evidence that tells a family seen again
  from a namesake born on the same day, a dozen years later.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from linkage.prepare import Prepared
from pseudonymise import bloom

FEATURES: Final = (
    "birth_date",
    "first_name",
    "surname",
    "sex",
    "address",
    "phone",
    "region",
    "age",
    "full_name_token",
    "name_pair",
    "time_apart",
)
#: Number of levels per feature including level 0.
LEVELS: Final = {
    "birth_date": 9,
    "first_name": 6,
    "surname": 5,
    "sex": 3,
    "address": 6,
    "phone": 3,
    "region": 3,
    "age": 3,
    "full_name_token": 3,
    "name_pair": 3,
    "time_apart": 8,
}
I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]
_DICE_BANDS: Final = (0.95, 0.8, 0.6)
#: The upper bounds (days) of ``time_apart`` levels 1 to 6; level 7 is anything longer.
TIME_APART_DAYS: Final = (90, 365, 730, 1095, 1460, 2190)
#: Address filters at least this similar are "similar address" (level 2).
SIMILAR_ADDRESS: Final = 0.85


def _eq(codes: I64, i: I64, j: I64) -> npt.NDArray[np.bool_]:
    a, b = codes[i], codes[j]
    return np.asarray((a >= 0) & (a == b), dtype=np.bool_)


def _both(codes: I64, i: I64, j: I64) -> npt.NDArray[np.bool_]:
    return (codes[i] >= 0) & (codes[j] >= 0)


def _dice_level(dice: npt.NDArray[np.float64]) -> I8:
    level = np.full(dice.shape, len(_DICE_BANDS) + 1, dtype=np.int8)
    for n, cut in reversed(list(enumerate(_DICE_BANDS, start=1))):
        level[dice >= cut] = n
    return level


def birth_date_level(p: Prepared, i: I64, j: I64) -> I8:
    c, k = p.codes, p.clear
    year = k["birth_year"]
    both_year = (year[i] >= 0) & (year[j] >= 0)
    year_eq = both_year & (year[i] == year[j])
    both_month = (k["has_month"][i] == 1) & (k["has_month"][j] == 1)
    both_day = (k["has_day"][i] == 1) & (k["has_day"][j] == 1)
    swapped = (c["tok_birth_date_swapped"][i] >= 0) & (
        c["tok_birth_date_swapped"][i] == c["tok_birth_date"][j]
    ) | (c["tok_birth_date_swapped"][j] >= 0) & (
        c["tok_birth_date_swapped"][j] == c["tok_birth_date"][i]
    )
    ym = _eq(c["tok_birth_ym"], i, j)
    md = _eq(c["tok_birth_md"], i, j)
    level = np.zeros(i.shape, dtype=np.int8)
    level[both_year] = 8
    level[both_year & ~(both_month) & year_eq] = 7
    level[year_eq & both_month] = 6
    level[ym & both_day] = 5
    level[md & both_year & ~year_eq] = 4
    level[ym & ~both_day] = 3
    level[swapped] = 2
    level[_eq(c["tok_birth_date"], i, j)] = 1
    return level


def _first_name_comparable(p: Prepared, i: I64, j: I64) -> npt.NDArray[np.bool_]:
    k = p.clear
    year = k["birth_year"]
    both_year = (year[i] >= 0) & (year[j] >= 0)
    no_year = (year[i] < 0) & (year[j] < 0)
    no_month = (k["has_month"][i] == 0) & (k["has_month"][j] == 0)
    same_ym = _eq(p.codes["tok_birth_ym"], i, j)
    same_muni = k["municipality"][i] == k["municipality"][j]
    same = (both_year & (year[i] == year[j]) & (no_month | same_ym)) | (no_year & same_muni)
    return np.asarray(same, dtype=np.bool_)


def _surname_comparable(p: Prepared, i: I64, j: I64) -> npt.NDArray[np.bool_]:
    year = p.clear["birth_year"]
    same_muni = p.clear["municipality"][i] == p.clear["municipality"][j]
    dated = (year[i] >= 0) & (year[i] == year[j])
    return np.asarray(dated | ((year[i] < 0) & (year[j] < 0) & same_muni), dtype=np.bool_)


def name_dice(p: Prepared, column: str, i: I64, j: I64) -> npt.NDArray[np.float64]:
    """Dice of the pairs' filters; NaN where either filter is empty."""
    matrix, counts = p.filters[column], p.popcount(column)
    dice = bloom.dice_pairs(matrix, matrix, i, j, counts=(counts, counts))
    dice[(counts[i] == 0) | (counts[j] == 0)] = np.nan
    return dice


def first_name_level(p: Prepared, i: I64, j: I64, dice: npt.NDArray[np.float64]) -> I8:
    initials = (p.clear["initials"][i] == 1) | (p.clear["initials"][j] == 1)
    comparable = _first_name_comparable(p, i, j) & ~np.isnan(dice) & ~initials
    level = np.where(comparable, _dice_level(np.nan_to_num(dice)), 0).astype(np.int8)
    level[initials & _eq(p.codes["tok_initial_birth_date"], i, j)] = 5
    return level


def full_name_level(p: Prepared, i: I64, j: I64, first_name: I8, surname: I8) -> I8:
    """1 equal full-name tokens, 2 different ones, where no name filter was compared.

    The token holds both names in either order, so it also agrees when one delivery swapped
    first name and surname. Such a pair has name filters that disagree (level 4) and an
    equal token: :func:`swapped_names` then takes the names' evidence from the token.
    """
    codes = p.codes["tok_full_name_sex"]
    unfiltered = (first_name == 0) & (surname == 0)
    level = np.where(_both(codes, i, j) & unfiltered, 2, 0).astype(np.int8)
    level[(level == 2) & (codes[i] == codes[j])] = 1
    return level


def swapped_names(
    p: Prepared, i: I64, j: I64, first_name: I8, surname: I8
) -> npt.NDArray[np.bool_]:
    """Pairs whose full-name tokens agree while every compared name filter disagrees: the
    same two names, delivered the other way round (first name as surname and back)."""
    last = len(_DICE_BANDS) + 1
    compared = (first_name > 0) | (surname > 0)
    disagree = (first_name == 0) | (first_name == last)
    disagree &= (surname == 0) | (surname == last)
    return np.asarray(_eq(p.codes["tok_full_name_sex"], i, j) & compared & disagree)


def crossed_names(p: Prepared, i: I64, j: I64, first_name: I8, surname: I8) -> None:
    """Names the birth-date salts kept apart, compared through the filters salted by the other
    name (``pseudonymise.persons.CROSS_SALTED``), in place.

    Where a name's own filters could not be compared (the birth years differ, or one side has
    none), a Dice of at least 0.6 between its filters salted by the other name means the other
    name is the same (under different salts filters are unrelated: Dice about 0.2) and gives
    this name its Dice level, the other name level 1. A lower Dice is no evidence either way
    (the other names may differ), so the levels stay 0 and the full-name token decides; so
    does an equal full-name token (both names the same).
    """
    initials = (p.clear["initials"][i] == 1) | (p.clear["initials"][j] == 1)
    # the same full name is the full-name token's evidence (and its term frequency)
    other = ~initials & ~_eq(p.codes["tok_full_name_sex"], i, j)
    open_first = np.flatnonzero((first_name == 0) & other)
    open_surname = np.flatnonzero((surname == 0) & other)
    cut = _DICE_BANDS[-1]
    for where, column, own, other in (
        (open_first, "bf_first_name_x", first_name, surname),
        (open_surname, "bf_surname_x", surname, first_name),
    ):
        if where.size == 0:
            continue
        dice = np.nan_to_num(name_dice(p, column, i[where], j[where]))
        hit = where[dice >= cut]
        own[hit] = _dice_level(dice[dice >= cut])
        other[hit[other[hit] == 0]] = 1


def surname_level(p: Prepared, i: I64, j: I64, dice: npt.NDArray[np.float64]) -> I8:
    comparable = _surname_comparable(p, i, j) & ~np.isnan(dice)
    return np.where(comparable, _dice_level(np.nan_to_num(dice)), 0).astype(np.int8)


def _agree_level(codes: I64, i: I64, j: I64) -> I8:
    level = np.zeros(i.shape, dtype=np.int8)
    level[_both(codes, i, j)] = 2
    level[_eq(codes, i, j)] = 1
    return level


def pc4_typo(a: I64, b: I64) -> npt.NDArray[np.bool_]:
    """Four-digit numbers (``a``, ``b``; -1: none) one typo apart: exactly one digit differs,
    or they differ only in two adjacent digits that are swapped."""
    place = np.asarray([1000, 100, 10, 1], dtype=np.int64)
    da = (a[:, None] // place) % 10
    db = (b[:, None] // place) % 10
    differ = da != db
    count = differ.sum(axis=1)
    swapped = np.zeros(a.shape, dtype=np.bool_)
    for k in range(3):
        swapped |= (
            differ[:, k]
            & differ[:, k + 1]
            & (da[:, k] == db[:, k + 1])
            & (da[:, k + 1] == db[:, k])
        )
    return np.asarray((a >= 0) & (b >= 0) & ((count == 1) | ((count == 2) & swapped)))


def address_level(p: Prepared, i: I64, j: I64) -> I8:
    pc4 = p.clear["pc4"]
    level = np.zeros(i.shape, dtype=np.int8)
    level[_both(pc4, i, j)] = 5
    value = p.clear["pc4_value"]
    level[pc4_typo(value[i], value[j])] = 4
    level[_eq(pc4, i, j)] = 3
    muni = p.clear["municipality"]
    matrix = p.filters["bf_address"]
    counts = p.popcount("bf_address")
    has_filter = counts > 0
    # the filters are salted by municipality: comparable within one (or both unknown)
    comparable = (muni[i] == muni[j]) & has_filter[i] & has_filter[j]
    if comparable.any():
        where = np.flatnonzero(comparable)
        dice = bloom.dice_pairs(matrix, matrix, i[where], j[where], counts=(counts, counts))
        # a street without a postcode still tells a different address from the same one
        level[where[(dice < SIMILAR_ADDRESS) & (level[where] == 0)]] = 5
        level[where[dice >= SIMILAR_ADDRESS]] = 2
    level[_eq(p.codes["tok_postcode_house"], i, j)] = 1
    return level


def age_level(p: Prepared, i: I64, j: I64) -> I8:
    k = p.clear
    implied = k["implied_year"]
    any_age = (k["has_age"][i] == 1) | (k["has_age"][j] == 1)
    both = any_age & (implied[i] >= 0) & (implied[j] >= 0)
    level = np.zeros(i.shape, dtype=np.int8)
    level[both] = 2
    level[both & (np.abs(implied[i] - implied[j]) <= 3)] = 1
    return level


def name_pair_level(p: Prepared, i: I64, j: I64, first_name: I8, full_name: I8) -> I8:
    """1 a shared name-pair token, 2 none shared, where no other name evidence applies."""
    counts = p.clear["name_pairs"]
    active = (counts[i] > 0) & (counts[j] > 0) & (first_name == 0) & (full_name != 1)
    level = np.where(active, 2, 0).astype(np.int8)
    where = np.flatnonzero(active)
    if where.size:
        left = pl.DataFrame({"n": where, "idx": i[where].astype(np.uint32)})
        right = pl.DataFrame({"n": where, "idx": j[where].astype(np.uint32)})
        ti = left.join(p.name_pairs, on="idx").select("n", "t")
        tj = right.join(p.name_pairs, on="idx").select("n", "t")
        shared = ti.join(tj, on=["n", "t"], how="semi").get_column("n").unique().to_numpy()
        level[shared] = 1
    return level


def time_apart_level(p: Prepared, i: I64, j: I64) -> I8:
    """The band (``TIME_APART_DAYS``) of the days between the two rows' signals."""
    day = p.clear["received_day"]
    apart = np.abs(day[i] - day[j])
    bounds = np.asarray(TIME_APART_DAYS, dtype=np.int64)
    return np.asarray(np.searchsorted(bounds, apart, side="left") + 1, dtype=np.int8)


def compare(p: Prepared, i: I64, j: I64) -> dict[str, I8]:
    """The level of every feature for the pairs ``(i[n], j[n])``."""
    first_name = first_name_level(p, i, j, name_dice(p, "bf_first_name", i, j))
    surname = surname_level(p, i, j, name_dice(p, "bf_surname", i, j))
    swapped = swapped_names(p, i, j, first_name, surname)
    first_name[swapped] = 0
    surname[swapped] = 0
    # first-name filters salted by different birth months cannot be compared; when the
    # surnames agree, equal full-name tokens say the first names agree too
    same_first = (first_name == 0) & (surname == 1) & _eq(p.codes["tok_full_name_sex"], i, j)
    first_name[same_first] = 1
    crossed_names(p, i, j, first_name, surname)
    full_name = full_name_level(p, i, j, first_name, surname)
    return {
        "birth_date": birth_date_level(p, i, j),
        "first_name": first_name,
        "surname": surname,
        "sex": _agree_level(p.clear["sex"], i, j),
        "address": address_level(p, i, j),
        "phone": _agree_level(p.codes["tok_phone"], i, j),
        "region": _agree_level(p.clear["area"], i, j),
        "age": age_level(p, i, j),
        "full_name_token": full_name,
        "name_pair": name_pair_level(p, i, j, first_name, full_name),
        "time_apart": time_apart_level(p, i, j),
    }
