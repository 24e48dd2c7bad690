"""Schools (and similar institutions) by their type word: ``OBS De Regenboog``, ``X College``."""

from __future__ import annotations

from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer

from pseudonymise.redact.entities import INSTELLING, LANGUAGE, REGEX_FLAGS

_TYPES = (
    r"OBS|CBS|RKBS|PCBS|SBO|SBAO|IKC|KC|SO|VSO|Basisschool|Montessorischool|Daltonschool"
    r"|Jenaplanschool|Vrije School|Kindcentrum|Praktijkschool|Brede School|Speciale School"
    r"|Openbare Basisschool|Christelijke Basisschool|Katholieke Basisschool|Kinderdagverblijf"
    r"|Peuterspeelzaal|BSO|KDV"
)
# a name word: capitalised, or a lower-case article/preposition inside the name
_NAME = r"(?:(?:de|het|van|der|den|'t|in|op|aan)\s+)*(?:[A-Z0-9][\w'&-]*)"


class SchoolRecognizer(PatternRecognizer):
    """Type word followed by its name, or a name ending in college/lyceum/gymnasium/school.

    The type words are matched with capitals as written (``school`` alone is not a name).
    """

    PATTERNS: ClassVar[list[Pattern]] = [
        Pattern("school_type_first", rf"(?<![\w-])(?:{_TYPES})(?:\s+{_NAME})+", 0.6),
        Pattern(
            "school_type_last",
            r"(?<![\w-])(?:(?:Het|De)\s+)?(?:[A-Z][\w'-]*\s+){1,3}"
            r"(?:College|Lyceum|Gymnasium|Scholengemeenschap|Scholengroep)"
            r"(?:\s+[A-Z][\w'-]*)?(?![\w-])",
            0.5,
        ),
        Pattern(
            "school_compound",
            r"(?<![\w-])[A-Z][\w'-]+(?:college|lyceum|gymnasium|school)(?![\w-])"
            r"(?:\s+(?:[A-Z][\w'-]*))*",
            0.5,
        ),
    ]
    CONTEXT: ClassVar[list[str]] = ["school", "zit", "leerkracht", "klas", "groep", "leerling"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity=INSTELLING,
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=LANGUAGE,
            global_regex_flags=REGEX_FLAGS,
            name="SchoolRecognizer",
        )
