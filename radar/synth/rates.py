"""Every rate and size the synthetic generator uses, as named constants with their source or reason.

Volumes and recurrence shares come from CBS StatLine (see ``shared/reference/README.md``); the
rest are plausible guesses, chosen so that the realised recurrence shares of the last simulated
year come near the CBS 2023 figures. Noise rates are per eligible field (a rate for BSN typos is
a share of the BSNs that are written, not of all rows).
"""

from __future__ import annotations

from typing import Final

# --- volumes ---------------------------------------------------------------------------------
#: Meldingen a year, the Netherlands, 2023 (CBS).
MELDINGEN_PER_YEAR: Final = 127_340
#: Adviezen (advice calls) a year, the Netherlands, 2023 (CBS).
ADVIEZEN_PER_YEAR: Final = 143_210
#: Share of meldingen among all signals (127,340 / 270,550).
MELDING_SHARE: Final = MELDINGEN_PER_YEAR / (MELDINGEN_PER_YEAR + ADVIEZEN_PER_YEAR)
#: Population of the Netherlands (2022) that municipality weights are scaled to.
POPULATION_NL: Final = 17_590_000
#: Years simulated before ``start_year`` and not delivered: families already known to the
#: chain process (so volumes are steady from the first year) but unknown to the engine.
BURN_IN_YEARS: Final = 8

# --- chains of signals about one household ----------------------------------------------------
#: After each signal, the chance the household gets another one (mean chain length 1/(1-p)).
CHAIN_CONTINUE: Final = 0.70
#: Longest chain.
CHAIN_MAX_SIGNALS: Final = 40
#: Share of follow-up gaps that are short (a new report while the case is still being handled).
SHORT_GAP_SHARE: Final = 0.5
#: Mean of a short gap in days (exponential).
SHORT_GAP_MEAN_DAYS: Final = 22.0
#: Median and log-sigma of a long gap in days (lognormal): the household comes back later.
LONG_GAP_MEDIAN_DAYS: Final = 300.0
LONG_GAP_SIGMA: Final = 0.9
#: Melding case duration in days: lognormal median and log-sigma (investigation up to 10 weeks,
#: monitoring after).
MELDING_OPEN_MEDIAN_DAYS: Final = 90.0
MELDING_OPEN_SIGMA: Final = 0.6
#: Advice calls: share closed within two weeks, else lognormal median days.
ADVIES_QUICK_CLOSE: Final = 0.7
ADVIES_OPEN_MEDIAN_DAYS: Final = 25.0

#: Household type shares: partner violence, child abuse, elder abuse, other domestic violence.
CHAIN_TYPE_SHARES: Final = {"partner": 0.52, "child": 0.36, "elder": 0.05, "other": 0.07}
#: Mean number of children in a household (Poisson, capped at 4).
CHILDREN_MEAN: Final = 1.3
#: Chance the perpetrator leaves and returns with a new partner at a later signal.
NEW_PARTNER: Final = 0.12
#: Chance the new partner lives in another region (else in the same municipality's region).
NEW_PARTNER_OTHER_REGION: Final = 0.35
#: Chance the household moves at some later signal.
MOVE: Final = 0.15
#: Chance a move crosses into another region.
MOVE_OTHER_REGION: Final = 0.25
#: Chance a child is born during the chain.
BIRTH: Final = 0.12
#: Days before birth an unborn child may already be named in a signal (BSN 999999999).
UNBORN_DAYS: Final = 150
#: Chance the victim marries the perpetrator and uses the double surname from a later signal.
MARRIAGE: Final = 0.08
#: Chance the perpetrator lives at another address than the household.
PERPETRATOR_ELSEWHERE: Final = 0.4

# --- who is named in a signal ------------------------------------------------------------------
#: Chance each household member is named in a melding (victim, perpetrator, child).
MELDING_NAMES_VICTIM: Final = 0.97
MELDING_NAMES_PERPETRATOR: Final = 0.9
MELDING_NAMES_CHILD: Final = 0.55
#: Advice calls name each of them with this factor times the melding chance.
ADVIES_NAMING_FACTOR: Final = 0.7
#: After the perpetrator left, chance the former victim is still named.
FORMER_VICTIM_NAMED: Final = 0.03

# --- reporters ---------------------------------------------------------------------------------
#: Share of meldingen from police/justice (CBS: about two thirds).
MELDING_FROM_POLICE: Final = 0.66

# --- what a person row carries (before noise) ------------------------------------------------
#: Chance a field is written in a melding's person row: BSN, birth date, surname, address, phone.
MELDING_HAS_BSN: Final = 0.82
MELDING_HAS_BIRTH_DATE: Final = 0.9
MELDING_HAS_SURNAME: Final = 0.96
MELDING_HAS_ADDRESS: Final = 0.7
MELDING_HAS_PHONE: Final = 0.45
#: The same for advice calls: far less identifying data.
ADVIES_HAS_BSN: Final = 0.08
ADVIES_HAS_BIRTH_DATE: Final = 0.3
ADVIES_HAS_SURNAME: Final = 0.45
ADVIES_HAS_ADDRESS: Final = 0.2
ADVIES_HAS_PHONE: Final = 0.15
#: Advice-call rows without birth date that carry an age estimate.
ADVIES_AGE_ESTIMATE: Final = 0.6
#: Share of rows that write the municipality code.
HAS_MUNICIPALITY_CODE: Final = 0.5
#: Share of unwritten BSNs written as the placeholder 000000000 instead of left empty.
BSN_PLACEHOLDER_UNKNOWN: Final = 0.3

# --- noise (per written field) ---------------------------------------------------------------
NOISE_RATES: Final[dict[str, float]] = {
    # a written BSN with one digit wrong (fails the elfproef)
    "bsn_typo": 0.01,
    # surname or first name with one letter substituted, swapped or dropped
    "name_typo": 0.02,
    # first names written as the call name (Johannes -> Hans)
    "call_name": 0.25,
    # first names written as initials (J.P.)
    "initials": 0.06,
    # only the first of several given names
    "first_given_name_only": 0.2,
    # tussenvoegsel written inside the surname column, prefix empty
    "prefix_in_surname": 0.35,
    # name written in capitals
    "all_caps": 0.08,
    # diacritics dropped (Muller for Müller)
    "missing_diacritics": 0.4,
    # birth date as YYYYMM00 (day unknown)
    "birth_date_year_month": 0.03,
    # birth date as YYYY0000 (only the year)
    "birth_date_year_only": 0.02,
    # birth date as YYYYMMDD
    "birth_date_compact": 0.15,
    # day and month swapped (only where the day is 12 or less, so the date stays valid)
    "birth_date_swapped": 0.01,
    # postcode as '1234 ab'
    "postcode_spaced_lower": 0.2,
    # house number suffix written as '12-2' / '12 bis' style instead of '12A'
    "house_number_style": 0.3,
    # city in capitals
    "city_caps": 0.1,
    # a re-delivered version corrects a wrong or missing field
    "redelivery_correction": 0.3,
    # signal category value in another case or with spaces
    "category_case": 0.3,
}
#: Share of house numbers with a suffix (A, B, 2, bis, hs).
HOUSE_NUMBER_SUFFIX: Final = 0.12

# --- export profiles per region (what the region's case system writes) ------------------------
EXPORT_PROFILE_RATES: Final[dict[str, float]] = {
    "semicolon": 0.3,  # ';' delimiter (Dutch Excel default)
    "bom": 0.3,  # UTF-8 byte order mark
    "crlf": 0.4,  # CRLF line ends
    "dd_mm_yyyy": 0.2,  # signal dates as DD-MM-YYYY
    "category_case": 0.3,  # category values in varying case / with spaces
    "extra_columns": 0.25,  # unknown extra columns
    "column_order": 0.35,  # columns in another order
}
#: Share of deliveries that come with a manifest (delivery.json).
MANIFEST_SHARE: Final = 0.85

# --- re-deliveries, erasures ------------------------------------------------------------------
#: Roughly every this many years, one national re-delivery of signals of several regions.
NATIONAL_REDELIVERY_EVERY_YEARS: Final = 3
#: Share of the chosen regions' signals of the past year that a national re-delivery repeats.
NATIONAL_REDELIVERY_SHARE: Final = 0.02
#: Erased signals per signal (at least ERASURES_MIN when the data allow).
ERASURE_RATE: Final = 0.0001
ERASURES_MIN: Final = 3
