"""Names that deduce's lookup lists miss, found by their context and their shape.

deduce finds a name when its words are in its lists of Dutch first names and surnames. Intake
notes also name people whose names are not there: written with diacritics the lists lack
(``Gökhan``, ``Hüseyin``; the lists hold ``Gokhan``), of non-Dutch origin, or short names that
deduce leaves out because they are also words (``Toon``, ``Cor``). This recognizer finds a
*run* of capitalised words (with tussenvoegsels inside: ``Cor van Hoogstra``) and accepts it as
a name on one of these grounds:

* **cue**: it directly follows a title (``mevr.``, ``dhr.``, ``de heer``), a role (``vader``,
  ``ex-partner``, ``cliënte``, ``kind``, ``slo:``, ``pleger is``), ``<role> van`` (``leerkracht
  van``) or a phrase such as ``zorgen om``, ``betreft``, ``genaamd``;
* **age**: it is followed by an age (``Cor 16 jaar``, ``Hülya (7)``, ``Romy (16 jr)``);
* **subject**: it starts a clause and is followed by a finite verb (``Toon Tolerink heeft``),
  and its first word is a first name or has a name's shape;
* **full name**: two or more words whose first is a known first name (``Toon Tolerink``);
* **shape**: a word with letters Dutch words do not have (``ç ş ğ ı ñ ø`` ...) or an umlaut in
  a place where Dutch has no trema (after a consonant or word-initial: ``Gökhan``, ``Özdemir``,
  ``Aïcha``), or whose diacritics hide a listed first name.

Capitalised words that start sentences or name roles and institutions (``Melder``, ``Politie``,
``Zij``, ``De``) are stripped from the front of a run (``STOP``); without a title or role cue, a
run may not begin with a common Dutch word (deduce's word lists) or a tussenvoegsel, so ``De
Regenboog`` after ``leerkracht van`` stays a school. All patterns are compiled once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Final

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from pseudonymise.redact.entities import LANGUAGE, PERSOON
from pseudonymise.redact.known import fold_text
from pseudonymise.redact.lexicon import (
    common_words,
    eponym_words,
    first_names,
    first_names_all,
)


def _letters(upper: bool) -> str:
    """ASCII and Latin-1/Extended-A/B letters of one case, as a character-class body."""
    chars = [chr(c) for c in range(0x41, 0x250) if chr(c).isalpha()]
    picked = [c for c in chars if (c.isupper() if upper else c.islower())]
    return "".join(re.escape(c) for c in picked)


_UP: Final = _letters(upper=True)
_LOW: Final = _letters(upper=False)
# one name word: Jansen, McDonald, D'Souza, El-Amrani, Jansen-de (of Jansen-de Vries)
_WORD: Final = rf"(?:[{_UP}]['’])?[{_UP}][{_LOW}]+(?:[{_UP}][{_LOW}]+)?(?:-[{_UP}]?[{_LOW}]+)*"
# tussenvoegsels written in lower case inside a name
PARTICLES: Final[tuple[str, ...]] = (
    "van de la",
    "van der",
    "van den",
    "van het",
    "van 't",
    "van ter",
    "van t",
    "in 't",
    "in het",
    "in den",
    "op de",
    "op den",
    "op het",
    "op 't",
    "uit de",
    "van",
    "de",
    "der",
    "den",
    "ter",
    "ten",
    "te",
    "het",
    "'t",
    "da",
    "del",
    "della",
    "di",
    "dos",
    "du",
    "el",
    "al",
    "la",
    "le",
    "lo",
    "von",
    "zur",
    "bin",
    "ben",
    "ibn",
    "abu",
    "d'",
    "l'",
)
_PARTICLE: Final = "|".join(re.escape(p) for p in sorted(PARTICLES, key=len, reverse=True))
_GAP: Final = r"[ \t]+"
_RUN: Final = re.compile(
    rf"(?<![\w'’-]){_WORD}(?:{_GAP}(?:(?:{_PARTICLE}){_GAP})*{_WORD}){{0,4}}(?![\w'’-])"
)
_TOKEN: Final = re.compile(rf"{_WORD}|(?:{_PARTICLE})(?![\w'’])")

# capitalised words that are not names: pronouns, articles, adverbs, roles, institutions
_STOP_WORDS: Final = """
    ik jij je u hij zij ze wij we jullie hen hem haar zijn hun men wie wat waar hoe welke
    de het een die dat deze dit geen alle beide elke ieder iedereen niemand iemand
    er ook nu toen dan daar hier maar en of want omdat als verder inmiddels sindsdien vandaag
    gisteren morgen later eerder volgens tijdens na voor sinds op in bij met aan om over door
    uit naar tot van zonder wel niet nog al zo dus echter wanneer terwijl nadat voordat
    melder melders slachtoffer slachtoffers slo pleger plegers client cliente clienten kind
    kinderen kindje zoon zoons dochter dochters vader moeder ouders ouder partner partners
    ex expartner broer broers broertje zus zussen zusje oma opa oom tante neef nicht man vrouw
    meneer mevrouw mevr mw dhr heer mr dr drs ir prof fam familie betrokkene betrokkenen
    buurvrouw buurman buren gezin huisarts wijkagent agent agenten leerkracht mentor juf
    meester docent leerling baby jongen meisje stiefvader stiefmoeder pleegvader pleegmoeder
    casusregisseur hulpverlener hulpverlening jeugdverpleegkundige wijkverpleegkundige
    politie school scholen wijkteam jeugdzorg jeugdbescherming veilig thuis raad gemeente
    ziekenhuis opvang ggz ggd cjg zorg team melding adviesvraag advies adviesgesprek
    zorgmelding veiligheidsinschatting afgesproken eerdere geen telefonisch anonieme
    anoniem algemene vraag tel telefoon telefoonnummer mail email adres woonadres postcode
    woont gezin bsn geb geboren kenteken auto iban rekening sint st prins prinses koning
    koningin burgemeester dokter munchhausen munchausen curacao
    januari februari maart april mei juni juli augustus september oktober november december
    maandag dinsdag woensdag donderdag vrijdag zaterdag zondag
    nederlands nederlandse nederlander turks turkse marokkaans marokkaanse marokkaan
    surinaams surinaamse antilliaans antilliaanse pools poolse syrisch syrische eritrees
    eritrese somalisch somalische afghaans afghaanse duits duitse belgisch belgische
    engels engelse arabisch arabische islamitisch islamitische christelijk christelijke
"""
STOP: Final[frozenset[str]] = frozenset(_STOP_WORDS.split())

_STOP_HEADS: Final = STOP - frozenset(p for p in PARTICLES if " " not in p)

_TITLE = r"mevrouw|mevr|mw|mej|meneer|mijnheer|dhr|de\s+heer|heer|mr|dr|drs|fam|familie|juf|meester"
_ROLE = (
    r"(?:ex-?)?partner|(?:ex-?)?(?:man|vrouw|vriend|vriendin)|(?:stief|pleeg|schoon)?"
    r"(?:vader|moeder|zoon|dochter)|kind|kindje|baby|broer(?:tje)?|zus(?:je)?|oma|opa|oom"
    r"|tante|neef|nicht|buurman|buurvrouw|cli[eë]nte?|betrokkene|slachtoffer|slo|pleger"
    r"|melder|jongen|meisje|leerling|pati[eë]nte?"
)
# <cue> directly before the run; group "strong": a title or role (a surname may follow alone,
# with its tussenvoegsel capitalised: "mevr. Van Dijk")
_CUE: Final = re.compile(
    rf"(?<![\w-])(?:(?P<strong>(?:{_TITLE})\.?|(?:{_ROLE})(?:\s+(?:is|was|heet|genaamd))?:?)"
    r"|(?:leerkracht|juf|meester|mentor|docent|moeder|vader|ouders?|broer(?:tje)?|zus(?:je)?"
    r"|oma|opa|partner|vriend(?:in)?|zoon|dochter|klasgenoot|oppas|voogd|kind|kinderen) van"
    r"|zorgen\s+(?:om|over)|betreft|genaamd|heet|naam:?|het\s+gaat\s+om|namens)\s+\Z",
    re.IGNORECASE,
)
_AGE: Final = re.compile(
    r"\s*\(\s*(?:ca\.?\s*)?\d{1,2}\s*(?:jaar|jr\.?|j\.?)?\s*\)"
    r"|,?\s+(?:(?:ca\.?|circa|ongeveer)\s+)?\d{1,2}\s*(?:jaar|jr\.?|j\.)(?!\w)"
)
_VERB: Final = re.compile(
    r"[ \t]+(?:heeft|had|is|was|zou|zal|wordt|werd|kan|kon|wil|wilde|moet|mag|gaat|ging|komt"
    r"|kwam|zit|zat|woont|woonde|belt|belde|zegt|zei|vertelt|vertelde|geeft|gaf|slaat|sloeg"
    r"|dreigt|dreigde|verblijft|durft|loopt|liep|krijgt|kreeg|vindt|vond|laat|liet|blijft"
    r"|bleef|staat|stond|maakt|maakte|houdt|hield|weet|wist|ziet|zag|neemt|nam|pakt|pakte)"
    r"(?![\w-])"
)
_CLAUSE_START: Final = re.compile(r"(?:[.!?;:]\s+|\n\s*|\(\s*)\Z")
_NON_DUTCH: Final = frozenset("çşğıñãõøåłžščćřőűąęśźżățșđħ")
_TREMA: Final = frozenset("äöüëïÿ")
_VOWELS: Final = frozenset("aeiouy")


def foreign_shaped(word: str) -> bool:
    """Letters Dutch words lack, or an umlaut where Dutch has no trema (not after a vowel)."""
    low = word.lower()
    if any(c in _NON_DUTCH for c in low):
        return True
    for i, c in enumerate(low):
        if c in _TREMA and (i == 0 or low[i - 1] not in _VOWELS or i == 1):
            return True
    return False


def _stopped(folded: str) -> bool:
    """A stop word, also as the first part of a hyphenated word (``Ex-partner``)."""
    return folded in STOP or folded.split("-", 1)[0] in _STOP_HEADS


def _clause_start(text: str, start: int) -> bool:
    """Whether ``start`` begins the text, a sentence, a line or a parenthesis."""
    if start <= 8 and not text[:start].strip():
        return True
    return _CLAUSE_START.search(text, max(0, start - 8), start) is not None


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    start: int
    end: int
    folded: str
    particle: bool


class NameContextRecognizer(EntityRecognizer):
    """Capitalised word runs accepted as names by cue, age, subject position or shape."""

    SCORE: ClassVar[float] = 0.6
    CUE_WINDOW: ClassVar[int] = 48

    def __init__(self) -> None:
        self._first = first_names()
        self._first_all = first_names_all()
        self._common = common_words() | STOP
        self._eponyms = eponym_words()
        super().__init__(
            supported_entities=[PERSOON],
            name="NameContextRecognizer",
            supported_language=LANGUAGE,
        )

    def load(self) -> None:
        """Nothing to load: the word lists are read once per process (``lexicon``)."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Every accepted run as a ``PERSOON`` finding."""
        if entities and PERSOON not in entities:
            return []
        results: list[RecognizerResult] = []
        for run in _RUN.finditer(text):
            span = self._accept(text, self._tokens(run))
            if span is not None:
                results.append(self._result(*span))
        return results

    def _tokens(self, run: re.Match[str]) -> list[_Token]:
        out: list[_Token] = []
        for m in _TOKEN.finditer(run.string, run.start(), run.end()):
            word = m.group()
            folded = fold_text(word)
            particle = word[:1].islower() or word[:1] in "'’" or folded in PARTICLES
            out.append(_Token(word, m.start(), m.end(), folded, particle))
        return out

    def _cue(self, text: str, start: int) -> str | None:
        """``'strong'`` (title/role), ``'weak'`` (other cue) or ``None``."""
        cue = _CUE.search(text, max(0, start - self.CUE_WINDOW), start)
        if cue is None:
            return None
        return "strong" if cue.group("strong") else "weak"

    def _accept(self, text: str, tokens: list[_Token]) -> tuple[int, int] | None:
        while tokens:
            first = tokens[0]
            if first.particle:
                if len(tokens) > 1 and self._cue(text, first.start) == "strong":
                    return first.start, tokens[-1].end  # "mevr. Van Dijk", "vader El Amrani"
            elif not _stopped(first.folded):
                break
            tokens = tokens[1:]
            while tokens and tokens[0].particle and tokens[0].text[:1].islower():
                tokens = tokens[1:]
        if not tokens:
            return None
        if self._is_name(text, tokens, self._cue(text, tokens[0].start)):
            return tokens[0].start, tokens[-1].end
        return None

    def _is_name(self, text: str, tokens: list[_Token], cue: str | None) -> bool:
        first = tokens[0]
        if first.folded in self._eponyms:
            return False
        if cue == "strong":
            return True
        common = first.folded in self._common
        if common:
            return False
        if cue == "weak":
            return True
        named = first.folded in self._first_all
        shaped = any(self._shaped(t) for t in tokens if not t.particle)
        clause_start = _clause_start(text, first.start)
        if _AGE.match(text, tokens[-1].end):
            return not clause_start or named or shaped
        words = [t for t in tokens if not t.particle]
        if named and len(words) > 1 and words[-1].folded not in self._common:
            return True  # a full name: Toon Tolerink
        if clause_start and _VERB.match(text, tokens[-1].end):
            return named or shaped
        return shaped

    def _shaped(self, token: _Token) -> bool:
        if token.text.isascii() or token.folded in self._common:
            return False
        return foreign_shaped(token.text) or token.folded in self._first

    def _result(self, start: int, end: int) -> RecognizerResult:
        return RecognizerResult(
            entity_type=PERSOON,
            start=start,
            end=end,
            score=self.SCORE,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: "NameContextRecognizer",
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )
