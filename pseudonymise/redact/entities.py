"""The entity types the note redactor finds, their placeholders and their priority.

One placeholder per entity type, written as ``<TYPE>`` in Dutch:

========== ==================================================== ==============
entity     what                                                 placeholder
========== ==================================================== ==============
PERSOON    names of people (first names, surnames, initials)    ``<PERSOON>``
ADRES      street and house number                              ``<ADRES>``
POSTCODE   Dutch postcode                                       ``<POSTCODE>``
PLAATS     place names                                          ``<PLAATS>``
TELEFOON   phone numbers                                        ``<TELEFOON>``
BSN        citizen service numbers that pass the 11-test        ``<BSN>``
EMAIL      e-mail addresses                                     ``<EMAIL>``
IBAN       bank account numbers that pass mod-97                ``<IBAN>``
DATUM      dates (numeric or with Dutch month names)            ``<DATUM>``
KENTEKEN   Dutch licence plates                                 ``<KENTEKEN>``
INSTELLING schools, hospitals and care institutions             ``<INSTELLING>``
========== ==================================================== ==============

When two findings overlap, they are merged into one span (so no character of either stays
visible) that takes the type that comes first in ``PRIORITY``: structured identifiers with a
checksum or a strict format beat the dictionary-based name and place findings.
"""

from __future__ import annotations

import re
from typing import Final

PERSOON: Final = "PERSOON"
ADRES: Final = "ADRES"
POSTCODE: Final = "POSTCODE"
PLAATS: Final = "PLAATS"
TELEFOON: Final = "TELEFOON"
BSN: Final = "BSN"
EMAIL: Final = "EMAIL"
IBAN: Final = "IBAN"
DATUM: Final = "DATUM"
KENTEKEN: Final = "KENTEKEN"
INSTELLING: Final = "INSTELLING"

PRIORITY: Final[tuple[str, ...]] = (
    EMAIL,
    IBAN,
    BSN,
    TELEFOON,
    KENTEKEN,
    POSTCODE,
    DATUM,
    ADRES,
    INSTELLING,
    PERSOON,
    PLAATS,
)
ENTITY_TYPES: Final[frozenset[str]] = frozenset(PRIORITY)
PLACEHOLDERS: Final[dict[str, str]] = {entity: f"<{entity}>" for entity in PRIORITY}
LANGUAGE: Final = "nl"

# presidio compiles patterns case-insensitively by default; formats such as IBANs, postcodes
# and licence plates need capitals, so recognizers here pass these flags instead
REGEX_FLAGS: Final = re.DOTALL | re.MULTILINE
