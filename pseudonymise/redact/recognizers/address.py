"""Street and house number (``Dorpsstraat 12A``, ``Molenweg 4-2``, ``Kerkpad 7 bis``).

Deduce finds streets from its list of all Dutch street names (also multi-word ones such as
``Laan van Meerdervoort``); this pattern is a second net for one-word street names with a
common ending, and it includes house-number additions that deduce leaves out (``-2``, ``bis``).
"""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer

from pseudonymise.redact.entities import ADRES, LANGUAGE, REGEX_FLAGS

_ENDINGS = (
    r"straat|laan|weg|plein|kade|gracht|singel|dijk|dreef|hof|park|pad|steeg|markt|haven|veld"
    r"|baan|wal|plantsoen|erf|ring|boulevard|allee|hoek|straatweg|burcht|daal|berg|dam|vaart"
    r"|donk|akker|wei|hout|laantje|pleintje|poort|schans|weide"
)
# words that open many street names ("Van Goghlaan", "Burgemeester de Withstraat")
_PREFIX_WORDS = (
    r"(?:(?:Van|De|Den|Der|Het|Sint|St\.|Prins|Prinses|Koning|Koningin|Burgemeester|Burg\."
    r"|Dokter|Dr\.|Generaal|Graaf|Hoge|Lage|Oude|Nieuwe|Grote|Kleine|Korte|Lange)"
    r"\s+(?:(?:van|de|der|den|het|'t)\s+)*)+"
)
# number with an addition: glued letters (12A, 12hs), a spaced capital (12 A), -2, bis
HOUSE_NUMBER = (
    r"\d{1,5}(?:[a-zA-Z]{1,2}(?![\w-])|\s[A-Z](?![\w-])|-\d{1,3}(?![\w-])"
    r"|\s(?:bis|hs|huis)(?![\w-]))?"
)


class AddressRecognizer(PatternRecognizer):
    """A capitalised word with a street ending, followed by a house number and addition."""

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern(
            "street_number",
            rf"(?<![\w-])(?:{_PREFIX_WORDS})?[A-Z][\w'-]*(?:{_ENDINGS})\s+{HOUSE_NUMBER}(?![\w-])",
            0.5,
        ),
    ]
    CONTEXT: ClassVar[list[str]] = ["adres", "woonadres", "woont", "woonachtig", "verblijft"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity=ADRES,
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=LANGUAGE,
            global_regex_flags=REGEX_FLAGS,
            name="AddressRecognizer",
        )
