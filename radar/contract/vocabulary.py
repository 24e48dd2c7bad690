"""Columns and category value sets of input contract v1 (``shared/contract/INPUT.md``)."""

from __future__ import annotations

from typing import Final

CONTRACT_VERSION: Final = 1

SIGNALS_FILE: Final = "signals.csv"
PERSONS_FILE: Final = "persons.csv"
ERASURES_FILE: Final = "erasures.csv"
MANIFEST_FILE: Final = "delivery.json"

SIGNAL_KEY: Final = ("region_code", "signal_id")
PERSON_KEY: Final = ("region_code", "signal_id", "person_seq")

SIGNAL_REQUIRED: Final = ("signal_id", "region_code", "kind", "received_on")
SIGNAL_OPTIONAL: Final = (
    "closed_on",
    "relation_type",
    "violence_forms",
    "reporter_type",
    "reporter_sector",
    "safety_assessment",
    "note",
)
PERSON_REQUIRED: Final = ("region_code", "signal_id", "person_seq", "role")
PERSON_OPTIONAL: Final = (
    "bsn",
    "first_names",
    "surname_prefix",
    "surname",
    "birth_date",
    "age_estimate",
    "sex",
    "street",
    "house_number",
    "postcode",
    "city",
    "municipality_code",
    "phone",
)
ERASURE_REQUIRED: Final = ("region_code", "signal_id")

KINDS: Final = ("melding", "advies")
RELATION_TYPES: Final = (
    "kindermishandeling",
    "partnergeweld",
    "geweld_tegen_ouders",
    "ouderenmishandeling",
    "huiselijk_geweld_overig",
    "andere_problematiek",
    "onbekend",
)
VIOLENCE_FORMS: Final = (
    "lichamelijke_mishandeling",
    "lichamelijke_verwaarlozing",
    "psychisch_geweld",
    "affectieve_verwaarlozing",
    "pedagogische_verwaarlozing",
    "seksueel_misbruik",
    "financiele_uitbuiting",
    "getuige_huiselijk_geweld",
    "munchhausen_by_proxy",
    "vrouwelijke_genitale_verminking",
    "anders",
)
REPORTER_TYPES: Final = ("beroepsmatig", "niet_beroepsmatig", "anoniem", "onbekend")
REPORTER_SECTORS: Final = (
    "politie_justitie",
    "gezondheidszorg",
    "ggz",
    "onderwijs",
    "kinderopvang",
    "jeugdzorg",
    "wijkteam",
    "veilig_thuis_andere_regio",
    "overig",
)
SAFETY_ASSESSMENTS: Final = (
    "acute_onveiligheid",
    "structurele_onveiligheid",
    "geen_onveiligheid",
    "nog_niet_beoordeeld",
)
ROLES: Final = ("slachtoffer", "pleger", "kind", "overig")
SEXES: Final = ("M", "V", "O")

#: BSN placeholders of the Veilig Thuis information protocol.
BSN_UNKNOWN: Final = "000000000"
BSN_UNBORN: Final = "999999999"

#: Optional signal columns holding one category value, with their value sets.
SIGNAL_CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "relation_type": RELATION_TYPES,
    "reporter_type": REPORTER_TYPES,
    "reporter_sector": REPORTER_SECTORS,
    "safety_assessment": SAFETY_ASSESSMENTS,
}
