"""Synthetic Veilig Thuis intake notes with exact ground-truth PII spans.

``compose_notes`` turns one row of subject data per signal into a short Dutch note in the style of
an intake worker ("Melding van politie: mevr. El Amrani (geb. 12-03-1988) ...") and records, for
every piece of personal data it wrote, the entity type and its character offsets. The notes serve
two purposes: realistic ``note`` columns for synthetic deliveries, and labelled data to measure
the recall and precision of the note redaction stage.

How it is built, for speed (millions of notes):

* every PII value is formatted vectorised (polars/numpy), each row drawing one of several
  notations (phones ``06-12345678`` / ``+31 6 1234 5678`` / ``043-3214567``, dates ``12-03-1988``
  / ``12 maart 1988``, BSNs with dots or spaces, spaced IBANs ...);
* templates are parsed once at import into parts (literal text, a slot, or an optional group
  ``[...]`` that is left out when one of its slots is null); a sentence whose required slot is
  null is left out whole, so null subject fields never leave traces;
* each template is rendered for all rows that chose it as one polars expression, which also
  yields the offset of every slot; sentences are joined per note and the offsets shifted by the
  sentence's position. No per-row Python: ~55,000 notes/s on one core (~250 characters each).

Everything is deterministic for a given ``seed``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl

NOTE_ENTITY_TYPES: Final[tuple[str, ...]] = (
    "PERSOON",
    "ADRES",
    "POSTCODE",
    "PLAATS",
    "TELEFOON",
    "BSN",
    "EMAIL",
    "IBAN",
    "DATUM",
    "KENTEKEN",
    "SCHOOL",
)

SUBJECT_SCHEMA: Final = pl.Schema(
    {
        "note_key": pl.Int64,
        "kind": pl.Utf8,
        "received_on": pl.Date,
        "victim_first_name": pl.Utf8,
        "victim_surname": pl.Utf8,
        "perpetrator_first_name": pl.Utf8,
        "perpetrator_surname": pl.Utf8,
        "child_first_name": pl.Utf8,
        "street": pl.Utf8,
        "house_number": pl.Utf8,
        "postcode": pl.Utf8,
        "city": pl.Utf8,
        "phone": pl.Utf8,
        "bsn": pl.Utf8,
        "email": pl.Utf8,
        "school": pl.Utf8,
    }
)
NOTES_SCHEMA: Final = pl.Schema({"note_key": pl.Int64, "note": pl.Utf8})
SPANS_SCHEMA: Final = pl.Schema(
    {"note_key": pl.Int64, "entity_type": pl.Utf8, "start": pl.Int32, "end": pl.Int32}
)

# --- slots: name -> entity type (None: text that is not personal data) -----------------------

SLOT_TYPES: Final[dict[str, str | None]] = {
    "V_FULL": "PERSOON",  # Fatima el Amrani
    "V_INIT": "PERSOON",  # F. el Amrani
    "V_SURC": "PERSOON",  # El Amrani (after a title: prefix capitalised)
    "V_FIRST": "PERSOON",
    "P_FULL": "PERSOON",
    "P_SURC": "PERSOON",
    "P_FIRST": "PERSOON",
    "C_FIRST": "PERSOON",
    "ADRES": "ADRES",  # Dorpsstraat 12A
    "POSTCODE": "POSTCODE",
    "PLAATS": "PLAATS",
    "TEL": "TELEFOON",
    "BSN": "BSN",
    "EMAIL": "EMAIL",
    "SCHOOL": "SCHOOL",
    "GEB": "DATUM",  # birth date of the victim
    "DATUM": "DATUM",  # date of the incident
    "IBAN": "IBAN",
    "KENTEKEN": "KENTEKEN",
    "AGE": None,  # age of the child in years
}
_SLOT_NAMES: Final = tuple(SLOT_TYPES)
_SLOT_INDEX: Final = {name: i for i, name in enumerate(_SLOT_NAMES)}

# --- templates --------------------------------------------------------------------------------
# {SLOT} is a value; [ ... ] is left out when one of its slots is null; a sentence is left out
# when one of its slots outside brackets is null.

_OPENERS_MELDING: Final = (
    "Melding van politie:",
    "Zorgmelding politie (ZSM).",
    "Melding via huisarts.",
    "Melding door school.",
    "Melding van wijkteam.",
    "Melding na huisverbod.",
    "Op {DATUM} melding van politie ontvangen.",
    "Melding buurvrouw (wil anoniem blijven).",
    "Melding ggz-behandelaar:",
    "Melding kinderopvang, ontvangen {DATUM}.",
)
_OPENERS_ADVIES: Final = (
    "Adviesvraag van leerkracht.",
    "Advies gevraagd door huisarts.",
    "Telefonisch advies:",
    "Adviesgesprek met wijkverpleegkundige.",
    "Anonieme adviesvraag van familielid.",
    "Advies aan jeugdverpleegkundige CJG.",
)
_VICTIM: Final = (
    "mevr. {V_FULL} (geb. {GEB}[, BSN {BSN}]) geeft aan dat zij wordt bedreigd.",
    "Slachtoffer is {V_FULL}[, geboren {GEB}][, bsn {BSN}].",
    "Betreft mevr. {V_SURC}[, BSN: {BSN}][, geb.datum {GEB}].",
    "Het gaat om {V_INIT}[ (bsn {BSN})], die zich onveilig voelt.",
    "Melder maakt zich zorgen om {V_FIRST} {AGE} jaar[, geboren op {GEB}].",
    "Slo: {V_FULL}[ geb {GEB}][ BSN {BSN}].",
    "Cliënte {V_FULL} belt zelf[, haar BSN is {BSN}].",
    "Mw. {V_SURC} is volgens melder al langere tijd bang thuis.",
)
_INCIDENT: Final = (
    "Partner {P_FULL} zou haar[ op {DATUM}] hebben geslagen en gewurgd.",
    "Ex-partner {P_FULL} blijft haar stalken[ en reed op {DATUM} langs in auto {KENTEKEN}].",
    "dhr. {P_SURC} is agressief onder invloed van alcohol.",
    "Pleger is {P_FIRST}, zij zijn sinds kort uit elkaar.",
    "Volgens politie heeft {P_FULL} de voordeur ingetrapt[ (auto met kenteken {KENTEKEN})].",
    "Er zijn zorgen over psychisch geweld door partner {P_FIRST}.",
    "Vader {P_FULL} zou [op {DATUM} ]de kinderen hebben geslagen.",
    "{P_FULL} heeft haar telefoon afgepakt en haar opgesloten.",
)
_ADDRESS: Final = (
    "Adres {ADRES}[, {POSTCODE}] {PLAATS}.",
    "Woont op {ADRES}[ te {PLAATS}].",
    "Adres: {ADRES}[ {POSTCODE}][ {PLAATS}].",
    "Zij verblijft tijdelijk bij haar moeder in {PLAATS}.",
    "Gezin woont {ADRES}[, {PLAATS}].",
    "Postcode {POSTCODE}[, huisnr. onbekend].",
    "Woonadres: {ADRES}[, {POSTCODE}][ {PLAATS}].",
)
_CONTACT: Final = (
    "Tel {TEL}.",
    "Bereikbaar op {TEL}[ of via {EMAIL}].",
    "Telefoonnummer melder: {TEL}.",
    "Mail: {EMAIL}[, tel. {TEL}].",
    "Terugbellen op {TEL}, liefst na 15 uur.",
    "Contact via {EMAIL}.",
    "Tel.nr. {TEL}[, e-mail {EMAIL}].",
)
_CHILD: Final = (
    "Kind {C_FIRST} ({AGE}) zit op {SCHOOL}.",
    "Oudste kind {C_FIRST}[ ({AGE} jr)] was getuige[, zit op {SCHOOL}].",
    "Kind {C_FIRST} gaat naar {SCHOOL}, school maakt zich zorgen.",
    "Er is een kind in huis: {C_FIRST}[, {AGE} jaar].",
    "Leerkracht van {C_FIRST}[ ({SCHOOL})] ziet blauwe plekken.",
    "{C_FIRST} ({AGE}) is na schooltijd vaak alleen thuis.",
)
_EXTRA: Final = (
    "Pleger beheert haar rekening {IBAN} en geeft haar geen geld.",
    "Uitkering wordt gestort op rekening {IBAN} van de partner.",
    "Auto van pleger: {KENTEKEN}.",
    "Politie heeft op {DATUM} een huisverbod opgelegd.",
    "Veiligheidsinschatting: acute onveiligheid, plan volgt.",
    "Afgesproken dat casusregisseur contact opneemt met wijkteam.",
    "Eerdere melding bekend bij Veilig Thuis.",
    "Melder wil graag teruggebeld worden.",
    "Zorgen over drugsgebruik in huis.",
    "Geen acute onveiligheid, doorverwijzing naar wijkteam.",
)
_CONTEXT: Final = (
    "Melder hoorde gegil en gestommel in de woning.",
    "Er zijn eerder meldingen geweest over geluidsoverlast en ruzies.",
    "Slachtoffer heeft letsel aan arm en gezicht, is niet naar de huisarts geweest.",
    "Kinderen waren aanwezig tijdens het incident en zijn erg angstig.",
    "Pleger heeft een alcoholprobleem en is werkloos sinds vorig jaar.",
    "Zij durft niet naar huis en wil advies over opvang.",
    "Wijkagent is op de hoogte en rijdt extra surveillance.",
    "School meldt dat kind vaak te laat komt, zonder ontbijt en met vieze kleren.",
    "Er is sprake van financiële problemen en schulden.",
    "Melder twijfelt of het om huiselijk geweld gaat en wil overleggen.",
)
_NO_PII: Final = (
    "Adviesvraag over zorgen om de thuissituatie, geen gegevens bekend. "
    "Melder belt zo nodig terug.",
    "Anonieme melding over harde ruzies bij de buren, melder wil geen gegevens geven. "
    "Advies gegeven om bij acuut gevaar 112 te bellen.",
    "Vraag van leerkracht over signalen van verwaarlozing; besproken welke stappen de school "
    "kan zetten. Geen persoonsgegevens genoteerd.",
    "Algemene adviesvraag van huisarts over de meldcode. Uitleg gegeven over de afwegingskader "
    "stappen. Geen casus.",
)


@dataclass(frozen=True)
class _Group:
    """Template parts left out together when one of their slots is null."""

    parts: tuple[_Part, ...]


_Part = str | int | _Group  # literal text, slot index, optional group


def _parse(template: str) -> tuple[_Part, ...]:
    """Parse ``{SLOT}`` and ``[optional]`` into parts."""
    stack: list[list[_Part]] = [[]]
    for token in re.split(r"(\{[A-Z_]+\}|\[|\])", template):
        if not token:
            continue
        if token == "[":  # noqa: S105
            stack.append([])
        elif token == "]":  # noqa: S105
            group = _Group(tuple(stack.pop()))
            stack[-1].append(group)
        elif token.startswith("{"):
            stack[-1].append(_SLOT_INDEX[token[1:-1]])
        else:
            stack[-1].append(token)
    if len(stack) != 1:
        raise ValueError("unbalanced brackets in a note template")
    return tuple(stack[0])


def _compile(templates: Sequence[str]) -> tuple[tuple[_Part, ...], ...]:
    return tuple(_parse(t) for t in templates)


_SECTIONS: Final = {
    "opener_melding": _compile(_OPENERS_MELDING),
    "opener_advies": _compile(_OPENERS_ADVIES),
    "victim": _compile(_VICTIM),
    "incident": _compile(_INCIDENT),
    "address": _compile(_ADDRESS),
    "contact": _compile(_CONTACT),
    "child": _compile(_CHILD),
    "extra": _compile(_EXTRA),
    "context": _compile(_CONTEXT),
    "no_pii": _compile(_NO_PII),
}
# share of notes in which a section appears (openers always; no_pii replaces everything)
_SECTION_PROB: Final = {
    "victim": 0.9,
    "incident": 0.85,
    "address": 0.8,
    "contact": 0.75,
    "child": 0.55,
    "extra": 0.5,
    "context": 0.6,
}
_NO_PII_SHARE: Final = 0.05
_BODY_ORDERS: Final = (
    ("victim", "incident", "context", "address", "contact", "child", "extra"),
    ("victim", "address", "contact", "incident", "context", "child", "extra"),
    ("incident", "context", "victim", "child", "address", "contact", "extra"),
    ("victim", "incident", "child", "context", "extra", "address", "contact"),
    ("context", "victim", "incident", "address", "child", "contact", "extra"),
)

_MONTHS: Final = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
_MONTHS_SHORT: Final = (
    "jan",
    "feb",
    "mrt",
    "apr",
    "mei",
    "jun",
    "jul",
    "aug",
    "sep",
    "okt",
    "nov",
    "dec",
)
# area codes of three digits (incl. the 0); every other Dutch area code has four
_AREA3: Final = (
    "010",
    "013",
    "015",
    "020",
    "023",
    "024",
    "026",
    "030",
    "033",
    "035",
    "036",
    "038",
    "040",
    "043",
    "045",
    "046",
    "050",
    "053",
    "055",
    "058",
    "070",
    "071",
    "072",
    "073",
    "074",
    "075",
    "076",
    "077",
    "078",
    "079",
)
_BANKS: Final = ("ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ", "RBRB")
_PLATE_LETTERS: Final = "BDFGHJKLNPRSTVXZ"
# sidecodes 4-11 (X letter, 9 digit), the ones on the road today
_SIDECODES: Final = (
    "XX-99-XX",
    "XX-XX-99",
    "99-XX-XX",
    "99-XXX-9",
    "9-XXX-99",
    "XX-999-X",
    "X-999-XX",
    "XXX-99-X",
)


def _pick(rng: np.random.Generator, n: int, k: int) -> pl.Series:
    return pl.Series(rng.integers(0, k, n), dtype=pl.Int64)


def _choose(choice: pl.Expr, options: Sequence[pl.Expr]) -> pl.Expr:
    expr = options[-1]
    for i in range(len(options) - 2, -1, -1):
        expr = pl.when(choice == i).then(options[i]).otherwise(expr)
    return expr


def _cap_first(col: pl.Expr) -> pl.Expr:
    return pl.concat_str(col.str.slice(0, 1).str.to_uppercase(), col.str.slice(1))


def _national_phone() -> pl.Expr:
    """The digits of ``phone`` in national form (``0612345678``)."""
    digits = pl.col("phone").str.replace_all(r"\D", "")
    return (
        pl.when(digits.str.starts_with("0031"))
        .then(pl.lit("0") + digits.str.slice(4))
        .when(digits.str.starts_with("31"))
        .then(pl.lit("0") + digits.str.slice(2))
        .otherwise(digits)
    )


def _phone_expr(choice: pl.Expr) -> pl.Expr:
    """Write ``_national`` in one of several Dutch notations (by ``choice`` 0..3)."""
    national = pl.col("_national")
    mobile = _choose(
        choice,
        [
            national.str.slice(0, 2) + "-" + national.str.slice(2),
            national,
            pl.lit("+31 6 ") + national.str.slice(2, 4) + " " + national.str.slice(6),
            pl.lit("06 ")
            + national.str.slice(2, 4)
            + " "
            + national.str.slice(6, 2)
            + " "
            + national.str.slice(8),
        ],
    )
    area3 = national.str.slice(0, 3).is_in(_AREA3)
    landline_by_area = []
    for k in (3, 4):
        area, local = national.str.slice(0, k), national.str.slice(k)
        landline_by_area.append(
            _choose(
                choice,
                [
                    area + "-" + local,
                    area + " " + local,
                    pl.lit("+31 ") + national.str.slice(1, k - 1) + " " + local,
                    pl.lit("(") + area + ") " + local,
                ],
            )
        )
    return (
        pl.when(national.str.len_chars() != 10)
        .then(pl.col("phone"))
        .when(national.str.starts_with("06"))
        .then(mobile)
        .when(area3)
        .then(landline_by_area[0])
        .otherwise(landline_by_area[1])
    )


def _date_expr(date: pl.Expr, choice: pl.Expr, with_year: bool = True) -> pl.Expr:
    day = date.dt.day().cast(pl.Utf8)
    month = date.dt.month()
    numbers = list(range(1, 13))
    month_name = month.replace_strict(numbers, list(_MONTHS), return_dtype=pl.Utf8)
    month_short = month.replace_strict(numbers, list(_MONTHS_SHORT), return_dtype=pl.Utf8)
    year = date.dt.year().cast(pl.Utf8)
    options = [
        date.dt.strftime("%d-%m-%Y"),
        pl.concat_str(day, pl.lit(" "), month_name, pl.lit(" "), year),
        date.dt.strftime("%d/%m/%Y"),
        pl.concat_str(day, pl.lit("-"), month.cast(pl.Utf8), pl.lit("-"), year),
        pl.concat_str(day, pl.lit(" "), month_short, pl.lit(" "), year),
    ]
    if not with_year:
        options[3] = pl.concat_str(day, pl.lit(" "), month_name)
    return _choose(choice, options)


def _ibans(rng: np.random.Generator, n: int) -> np.ndarray:
    """Valid Dutch IBANs (mod-97), as a numpy array of str, some written in groups of four."""
    bank_idx = rng.integers(0, len(_BANKS), n)
    account = rng.integers(0, 10, (n, 10))
    # mod 97 of BBAN + "NL00" with letters as two digits (A=10), digit by digit, vectorised
    bank_codes = np.array([[ord(c) - 55 for c in b] for b in _BANKS], dtype=np.int64)[bank_idx]
    rem = np.zeros(n, dtype=np.int64)
    for j in range(4):
        rem = (rem * 100 + bank_codes[:, j]) % 97
    for j in range(10):
        rem = (rem * 10 + account[:, j]) % 97
    for letter in (23, 21):  # N, L
        rem = (rem * 100 + letter) % 97
    rem = (rem * 100) % 97  # "00"
    check = 98 - rem
    banks = np.array(_BANKS)[bank_idx]
    acc = (account + 48).astype(np.uint32)
    accounts = np.ascontiguousarray(acc).view("<U10").ravel()
    out = np.char.add(
        np.char.add(np.char.add("NL", np.char.zfill(check.astype(str), 2)), banks), accounts
    )
    spaced = rng.random(n) < 0.3
    grouped = [" ".join(s[i : i + 4] for i in range(0, 18, 4)) for s in out[spaced].tolist()]
    out = out.astype("<U22")
    out[spaced] = grouped
    return out


def _plates(rng: np.random.Generator, n: int) -> np.ndarray:
    """Dutch licence plates of the current sidecodes, vectorised over code points."""
    pattern_idx = rng.integers(0, len(_SIDECODES), n)
    patterns = np.array([[ord(c) for c in p] for p in _SIDECODES], dtype=np.uint32)[pattern_idx]
    letters = np.frombuffer(_PLATE_LETTERS.encode(), dtype=np.uint8).astype(np.uint32)
    rand_letters = letters[rng.integers(0, len(letters), (n, 8))]
    rand_digits = rng.integers(48, 58, (n, 8)).astype(np.uint32)
    chars = np.where(
        patterns == ord("X"), rand_letters, np.where(patterns == ord("9"), rand_digits, patterns)
    )
    return np.ascontiguousarray(chars).view("<U8").ravel()


def _format_values(subjects: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """One formatted string column per slot (null where the subject field is null)."""
    n = subjects.height
    days_old = rng.integers(18 * 365, 70 * 365, n)
    days_ago = rng.integers(0, 10, n)
    pc = pl.col("postcode").str.replace_all(r"\s", "").str.to_uppercase()
    bsn = pl.col("bsn")
    frame = subjects.with_columns(
        _national=_national_phone(),
        _c_phone=_pick(rng, n, 4),
        _c_geb=_pick(rng, n, 5),
        _c_dat=_pick(rng, n, 5),
        _c_pc=_pick(rng, n, 20),
        _c_bsn=_pick(rng, n, 10),
        _geb=pl.col("received_on") - pl.duration(days=pl.lit(pl.Series(days_old))),
        _dat=pl.col("received_on") - pl.duration(days=pl.lit(pl.Series(days_ago))),
        _age=pl.Series(rng.integers(4, 17, n)).cast(pl.Utf8),
        _iban=pl.Series(_ibans(rng, n), dtype=pl.Utf8),
        _plate=pl.Series(_plates(rng, n), dtype=pl.Utf8),
    )
    v_sur, p_sur = pl.col("victim_surname"), pl.col("perpetrator_surname")
    v_first, p_first = pl.col("victim_first_name"), pl.col("perpetrator_first_name")
    exprs = {
        "V_FULL": pl.concat_str(v_first, pl.lit(" "), v_sur),
        "V_INIT": pl.concat_str(v_first.str.slice(0, 1), pl.lit(". "), v_sur),
        "V_SURC": _cap_first(v_sur),
        "V_FIRST": v_first,
        "P_FULL": pl.concat_str(p_first, pl.lit(" "), p_sur),
        "P_SURC": _cap_first(p_sur),
        "P_FIRST": p_first,
        "C_FIRST": pl.col("child_first_name"),
        "ADRES": pl.concat_str(pl.col("street"), pl.lit(" "), pl.col("house_number")),
        "POSTCODE": pl.when(pl.col("_c_pc") < 12)
        .then(pc.str.slice(0, 4) + " " + pc.str.slice(4))
        .when(pl.col("_c_pc") < 19)
        .then(pc)
        .otherwise(pc.str.to_lowercase()),
        "PLAATS": pl.col("city"),
        "TEL": _phone_expr(pl.col("_c_phone")),
        "BSN": pl.when(pl.col("_c_bsn") < 6)
        .then(bsn)
        .when(pl.col("_c_bsn") < 8)
        .then(bsn.str.slice(0, 4) + "." + bsn.str.slice(4, 2) + "." + bsn.str.slice(6))
        .when(pl.col("_c_bsn") < 9)
        .then(bsn.str.slice(0, 3) + " " + bsn.str.slice(3, 3) + " " + bsn.str.slice(6))
        .otherwise(bsn.str.slice(0, 3) + "." + bsn.str.slice(3, 3) + "." + bsn.str.slice(6)),
        "EMAIL": pl.col("email"),
        "SCHOOL": pl.col("school"),
        "GEB": _date_expr(pl.col("_geb"), pl.col("_c_geb")),
        "DATUM": _date_expr(pl.col("_dat"), pl.col("_c_dat"), with_year=False),
        "IBAN": pl.col("_iban"),
        "KENTEKEN": pl.col("_plate"),
        "AGE": pl.col("_age"),
    }
    return frame.select([exprs[name].alias(name) for name in _SLOT_NAMES])


@dataclass(frozen=True)
class _Occurrence:
    """Where a slot lands inside a rendered sentence (expressions over the value columns)."""

    slot: int
    start: pl.Expr
    present: pl.Expr


def _slots(parts: Sequence[_Part]) -> list[int]:
    return [p for p in parts if isinstance(p, int)]


def _render(
    parts: Sequence[_Part], base: pl.Expr, present: pl.Expr
) -> tuple[pl.Expr, pl.Expr, list[_Occurrence]]:
    """Text, length and slot occurrences of ``parts`` starting at offset ``base``."""
    texts: list[pl.Expr] = []
    pos = base
    occurrences: list[_Occurrence] = []
    for part in parts:
        if isinstance(part, str):
            texts.append(pl.lit(part))
            pos = pos + len(part)
        elif isinstance(part, int):
            column = pl.col(_SLOT_NAMES[part])
            occurrences.append(_Occurrence(part, pos, present))
            texts.append(column)
            pos = pos + column.str.len_chars()
        else:
            inner = _slots(part.parts)
            ok = pl.all_horizontal(
                pl.lit(True), *(pl.col(_SLOT_NAMES[i]).is_not_null() for i in inner)
            )
            text, end, occ = _render(part.parts, pos, present & ok)
            occurrences.extend(occ)
            texts.append(pl.when(ok).then(text).otherwise(pl.lit("")))
            pos = pl.when(ok).then(end).otherwise(pos)
    return pl.concat_str(texts), pos, occurrences


def _sentences(
    values: pl.DataFrame, templates: tuple[tuple[_Part, ...], ...], choice: np.ndarray
) -> tuple[list[pl.DataFrame], list[pl.DataFrame]]:
    """Render the chosen template of every row of ``values`` (with ``_row`` and ``_pos``)."""
    texts: list[pl.DataFrame] = []
    spans: list[pl.DataFrame] = []
    for index, parts in enumerate(templates):
        rows = values.filter(pl.Series(choice == index))
        if rows.height == 0:
            continue
        text, _, occurrences = _render(parts, pl.lit(0, dtype=pl.Int32), pl.lit(True))
        rendered = rows.select("_row", "_pos", text.alias("text"))
        texts.append(rendered)
        for occ in occurrences:
            spans.append(
                rows.with_columns(_text=text)
                .filter(pl.col("_text").is_not_null() & occ.present)
                .select(
                    "_row",
                    "_pos",
                    pl.lit(occ.slot, dtype=pl.Int32).alias("slot"),
                    occ.start.cast(pl.Int32).alias("start"),
                    (occ.start + pl.col(_SLOT_NAMES[occ.slot]).str.len_chars())
                    .cast(pl.Int32)
                    .alias("end"),
                )
            )
    return texts, spans


def compose_notes(subjects: pl.DataFrame, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Write one note per subject row and return ``(notes, spans)``.

    ``subjects`` has the columns of ``SUBJECT_SCHEMA`` (one row per signal, ``note_key``
    unique). ``notes`` has ``note_key, note``; ``spans`` has ``note_key, entity_type, start,
    end`` with character offsets (``note[start:end]`` is the value) of every PII value written.
    """
    subjects = subjects.select([pl.col(c).cast(t) for c, t in SUBJECT_SCHEMA.items()])
    n = subjects.height
    rng = np.random.default_rng(seed)
    values = _format_values(subjects, rng).with_columns(_row=pl.int_range(n, dtype=pl.Int64))
    melding = (subjects["kind"] == "melding").to_numpy()
    no_pii = rng.random(n) < _NO_PII_SHARE
    order = rng.integers(0, len(_BODY_ORDERS), n)
    body = tuple(_SECTION_PROB)
    position = np.array([[o.index(s) + 1 for s in body] for o in _BODY_ORDERS])[order]

    texts: list[pl.DataFrame] = []
    spans: list[pl.DataFrame] = []

    def add(name: str, mask: np.ndarray, pos: np.ndarray | int) -> None:
        templates = _SECTIONS[name]
        choice = rng.integers(0, len(templates), n)
        choice[~mask] = -1
        frame = values.with_columns(_pos=pl.Series(np.broadcast_to(pos, n), dtype=pl.Int32))
        t, s = _sentences(frame, templates, choice)
        texts.extend(t)
        spans.extend(s)

    add("no_pii", no_pii, 0)
    add("opener_melding", ~no_pii & melding, 0)
    add("opener_advies", ~no_pii & ~melding, 0)
    for k, name in enumerate(body):
        add(name, ~no_pii & (rng.random(n) < _SECTION_PROB[name]), position[:, k])

    sentences = (
        pl.concat(texts)
        .drop_nulls("text")
        .sort("_row", "_pos")
        .with_columns(_len=pl.col("text").str.len_chars().cast(pl.Int32) + 1)
        .with_columns(_offset=pl.col("_len").cum_sum().over("_row") - pl.col("_len"))
    )
    keys = values.select("_row").with_columns(note_key=subjects["note_key"])
    notes = (
        keys.join(
            sentences.group_by("_row").agg(note=pl.col("text").sort_by("_pos").str.join(" ")),
            on="_row",
            how="left",
        )
        .sort("_row")
        .select("note_key", pl.col("note").fill_null(""))
    )
    slot_types = pl.Series([SLOT_TYPES[s] for s in _SLOT_NAMES], dtype=pl.Utf8)
    spans_df = (
        pl.concat(spans)
        .join(sentences.select("_row", "_pos", "_offset"), on=["_row", "_pos"])
        .join(keys, on="_row")
        .sort("_row", "_pos", "start")
        .select(
            "note_key",
            pl.col("slot")
            .map_batches(lambda s: slot_types.gather(s), return_dtype=pl.Utf8)
            .alias("entity_type"),
            (pl.col("start") + pl.col("_offset")).cast(pl.Int32).alias("start"),
            (pl.col("end") + pl.col("_offset")).cast(pl.Int32).alias("end"),
        )
        .drop_nulls("entity_type")
    )
    return notes, spans_df


# --- stand-alone subjects for tests and benchmarks ---------------------------------------------

_FIRST_NAMES_F: Final = (
    "Fatima",
    "Anna",
    "Sanne",
    "Lotte",
    "Emma",
    "Julia",
    "Sophie",
    "Lisa",
    "Eva",
    "Fleur",
    "Anouk",
    "Naima",
    "Yasmina",
    "Kim",
    "Linda",
    "Petra",
    "Marieke",
    "Ingrid",
    "Priya",
    "Aylin",
    "Esra",
    "Chantal",
    "Samira",
    "Monique",
    "Wendy",
    "Nicole",
    "Saskia",
    "Joyce",
    "Demi",
    "Ilse",
    "Mila",
    "Tess",
    "Noor",
    "Zoë",
    "Sara",
    "Iris",
    "Hanneke",
    "Annemiek",
    "Mirjam",
    "Gerda",
    "Kübra",
    "Shanice",
    "Ayşe",
    "Malika",
    "Agnieszka",
    "Renée",
    "Dewi",
    "Femke",
    "Rianne",
    "Nadia",
)
_FIRST_NAMES_M: Final = (
    "Kevin",
    "Daan",
    "Sem",
    "Lucas",
    "Levi",
    "Finn",
    "Milan",
    "Jesse",
    "Thijs",
    "Bram",
    "Mohammed",
    "Ahmed",
    "Youssef",
    "Mehmet",
    "Emre",
    "Dennis",
    "Mark",
    "Peter",
    "Johan",
    "Henk",
    "Jeroen",
    "Bas",
    "Ruud",
    "Sander",
    "Patrick",
    "Ricardo",
    "Jurgen",
    "Wim",
    "Gerrit",
    "Tom",
    "Noah",
    "Liam",
    "Luuk",
    "Jayden",
    "Stijn",
    "Ruben",
    "Hamza",
    "Bilal",
    "Rachid",
    "Mustafa",
    "Dirk",
    "Martijn",
    "Niels",
    "Jorrit",
    "Sjoerd",
    "Wouter",
    "Koen",
    "Tim",
    "Rick",
    "Marco",
)
_SURNAMES: Final = (
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "Mulder",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "Dekker",
    "Brouwer",
    "Dijkstra",
    "Smits",
    "Willems",
    "Kok",
    "Jacobs",
    "Verhoeven",
    "Schouten",
    "Hoekstra",
    "Koster",
    "Prins",
    "Huisman",
    "Kuipers",
    "Postma",
    "Wouters",
    "Maas",
    "Vermeulen",
    "Boer",
    "Berg",
    "Vries",
    "Jong",
    "Wit",
    "Graaf",
    "Brink",
    "Haan",
    "Leeuw",
    "Heuvel",
    "Beek",
    "Amrani",
    "Yilmaz",
    "Kaya",
    "Öztürk",
    "Bouzid",
    "Ait Taleb",
    "Demir",
    "Şahin",
    "Nguyen",
    "Kowalski",
    "Nowak",
    "Pinas",
    "Martina",
    "Sardjoe",
    "Ramdin",
    "Lambrechts",
    "Claessens",
    "Hermans",
    "Geurts",
    "Wijnands",
    "Vonk",
    "Ploeg",
    "Tol",
    "Zanten",
    "Kampen",
    "Gorp",
    "Lindeman",
    "Oosterhuis",
    "Stroeve",
    "Bruinsma",
    "Terpstra",
)
_PREFIXES: Final = (
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "de",
    "de",
    "van",
    "van",
    "van der",
    "van den",
    "van de",
    "el",
    "ter",
    "'t",
    "in 't",
    "van 't",
)
_STREETS: Final = (
    "Dorpsstraat",
    "Kerkstraat",
    "Schoolstraat",
    "Molenweg",
    "Stationsweg",
    "Julianastraat",
    "Beatrixlaan",
    "Wilhelminastraat",
    "Nieuwstraat",
    "Marktplein",
    "Hoofdstraat",
    "Kastanjelaan",
    "Eikenlaan",
    "Lindelaan",
    "Meidoornstraat",
    "Parallelweg",
    "Burgemeester de Withstraat",
    "Van Goghlaan",
    "Rembrandtstraat",
    "Prins Hendrikkade",
    "Oranjestraat",
    "Akerstraat",
    "Brusselsestraat",
    "Sint Pieterstraat",
    "Heerderweg",
    "Vijverdalseweg",
    "Nassaulaan",
    "Industrieweg",
    "Koestraat",
    "Zuidsingel",
    "Noorderhaven",
    "Westerstraat",
    "Oosterparkweg",
    "Tulpstraat",
    "Rozenstraat",
    "Irisstraat",
    "Merelstraat",
    "Spreeuwenpark",
    "Kwartelstraat",
    "Havikweg",
    "Zwanenveld",
    "Boerhaavelaan",
    "Laan van Meerdervoort",
    "Kerkpad",
)
# city, lowest and highest postcode digits, area code
_CITIES: Final = (
    ("Maastricht", 6211, 6229, "043"),
    ("Heerlen", 6411, 6422, "045"),
    ("Sittard", 6131, 6137, "046"),
    ("Venlo", 5911, 5928, "077"),
    ("Roermond", 6041, 6045, "0475"),
    ("Eindhoven", 5611, 5658, "040"),
    ("Tilburg", 5011, 5049, "013"),
    ("Breda", 4811, 4839, "076"),
    ("'s-Hertogenbosch", 5211, 5236, "073"),
    ("Nijmegen", 6511, 6546, "024"),
    ("Arnhem", 6811, 6846, "026"),
    ("Utrecht", 3511, 3585, "030"),
    ("Amsterdam", 1011, 1109, "020"),
    ("Rotterdam", 3011, 3089, "010"),
    ("Den Haag", 2491, 2597, "070"),
    ("Leiden", 2311, 2334, "071"),
    ("Haarlem", 2011, 2037, "023"),
    ("Zwolle", 8011, 8043, "038"),
    ("Groningen", 9711, 9747, "050"),
    ("Leeuwarden", 8911, 8939, "058"),
    ("Enschede", 7511, 7548, "053"),
    ("Apeldoorn", 7311, 7339, "055"),
    ("Amersfoort", 3811, 3829, "033"),
    ("Almere", 1311, 1363, "036"),
    ("Dordrecht", 3311, 3329, "078"),
    ("Delft", 2611, 2629, "015"),
    ("Alkmaar", 1811, 1826, "072"),
    ("Emmen", 7811, 7826, "0591"),
    ("Assen", 9401, 9409, "0592"),
    ("Middelburg", 4331, 4339, "0118"),
    ("Gouda", 2801, 2809, "0182"),
    ("Deventer", 7411, 7429, "0570"),
    ("Helmond", 5701, 5709, "0492"),
    ("Oss", 5341, 5349, "0412"),
    ("Kerkrade", 6461, 6471, "045"),
    ("Weert", 6001, 6006, "0495"),
    ("Hoorn", 1621, 1628, "0229"),
    ("Zaandam", 1501, 1509, "075"),
    ("Lelystad", 8211, 8245, "0320"),
    ("Meerssen", 6231, 6231, "043"),
    ("Valkenburg", 6301, 6301, "043"),
    ("Vlissingen", 4381, 4389, "0118"),
)
_SCHOOLS: Final = (
    "OBS De Regenboog",
    "CBS De Wegwijzer",
    "Basisschool Sint Jozef",
    "RKBS De Klimop",
    "Montessorischool Oost",
    "OBS Het Kompas",
    "Jenaplanschool De Zevensprong",
    "CBS De Fontein",
    "Daltonschool De Vlinder",
    "Het Stedelijk Lyceum",
    "Sint-Maartenscollege",
    "Bonnefanten College",
    "OBS De Springplank",
    "Basisschool De Horizon",
    "IKC De Sterrenwacht",
    "Vrije School Zuid",
    "Openbare Basisschool De Piramide",
    "Christelijk Lyceum Delft",
    "Het Rijnlands Lyceum",
    "Kindcentrum De Boomgaard",
    "SBO De Toermalijn",
    "Praktijkschool De Atlas",
)
_EMAIL_DOMAINS: Final = (
    "gmail.com",
    "hotmail.com",
    "outlook.com",
    "ziggo.nl",
    "kpnmail.nl",
    "live.nl",
    "icloud.com",
    "planet.nl",
    "hotmail.nl",
    "yahoo.com",
    "xs4all.nl",
    "home.nl",
)
_PC_LETTERS: Final = "ABCDEGHJKLMNPRSTVWXZ"
_HOUSE_SUFFIXES: Final = ("", "", "", "", "", "", "A", "B", "a", "-2", " bis", "-1", "hs")


def _bsns(rng: np.random.Generator, n: int) -> np.ndarray:
    """Nine-digit numbers that pass the elfproef (weights 9..2 and -1), as str."""
    out = np.empty((n, 9), dtype=np.int64)
    todo = np.arange(n)
    weights = np.array([9, 8, 7, 6, 5, 4, 3, 2], dtype=np.int64)
    while todo.size:
        digits = rng.integers(0, 10, (todo.size, 8))
        digits[:, 0] = rng.integers(1, 7, todo.size)
        last = (digits @ weights) % 11
        ok = last < 10
        out[todo[ok], :8] = digits[ok]
        out[todo[ok], 8] = last[ok]
        todo = todo[~ok]
    return np.ascontiguousarray((out + 48).astype(np.uint32)).view("<U9").ravel()


def _str(values: np.ndarray | pl.Series) -> pl.Series:
    return pl.Series(values, dtype=pl.Utf8)


def synthetic_subjects(n: int, seed: int) -> pl.DataFrame:
    """Plausible Dutch subjects (``SUBJECT_SCHEMA``) for ``compose_notes``, some fields null."""
    rng = np.random.default_rng(seed)

    def pick(words: Sequence[str]) -> pl.Series:
        return pl.Series(list(words), dtype=pl.Utf8).gather(rng.integers(0, len(words), n))

    def nulls(series: pl.Series, share: float) -> pl.Series:
        return pl.select(
            pl.when(pl.Series(rng.random(n)) < share).then(None).otherwise(series)
        ).to_series()

    def surname() -> pl.Series:
        frame = pl.DataFrame(
            {
                "pre": pick(_PREFIXES),
                "base": pick(_SURNAMES),
                "other": pick(_SURNAMES),
                "double": rng.random(n) < 0.05,
            }
        )
        full = (
            pl.when(pl.col("pre") == "")
            .then(pl.col("base"))
            .otherwise(pl.col("pre") + " " + pl.col("base"))
        )
        return frame.select(
            pl.when(pl.col("double")).then(full + "-" + pl.col("other")).otherwise(full)
        ).to_series()

    cities = pl.DataFrame(_CITIES, schema=["city", "low", "high", "area"], orient="row")
    place = cities[rng.integers(0, cities.height, n)]
    pc_num = place["low"] + (
        pl.Series(rng.integers(0, 1 << 30, n)) % (place["high"] - place["low"] + 1)
    )
    letters = list(_PC_LETTERS)
    # SA, SD and SS are never issued
    pc_letters = pl.select(
        pl.concat_str(pick(letters), pick(letters)).replace({"SA": "ST", "SD": "SL", "SS": "SR"})
    ).to_series()
    postcode = pc_num.cast(pl.Utf8) + pc_letters
    house = pl.Series(rng.integers(1, 250, n)).cast(pl.Utf8) + pick(_HOUSE_SUFFIXES)
    local7 = pl.Series(rng.integers(2_000_000, 10_000_000, n))
    landline = place["area"] + pl.select(
        pl.when(place["area"].str.len_chars() == 3).then(local7).otherwise(local7 // 10)
    ).to_series().cast(pl.Utf8)
    mobile = "06" + pl.Series(rng.integers(10**7, 10**8, n)).cast(pl.Utf8)
    phone = pl.select(pl.when(pl.Series(rng.random(n)) < 0.7).then(mobile).otherwise(landline))
    v_first = pl.select(
        pl.when(pl.Series(rng.random(n)) < 0.8)
        .then(pick(_FIRST_NAMES_F))
        .otherwise(pick(_FIRST_NAMES_M))
    ).to_series()
    p_first = pl.select(
        pl.when(pl.Series(rng.random(n)) < 0.85)
        .then(pick(_FIRST_NAMES_M))
        .otherwise(pick(_FIRST_NAMES_F))
    ).to_series()
    c_first = pl.select(
        pl.when(pl.Series(rng.random(n)) < 0.5)
        .then(pick(_FIRST_NAMES_M))
        .otherwise(pick(_FIRST_NAMES_F))
    ).to_series()
    v_sur = surname()
    p_sur = surname()
    number = pl.Series(rng.integers(1, 99, n)).cast(pl.Utf8)
    email = pl.select(
        pl.concat_str(
            v_first.str.to_lowercase(),
            pick([".", "", "_", "."]),
            v_sur.str.replace_all(r"[ '\-]", "").str.to_lowercase(),
            pl.when(pl.Series(rng.random(n)) < 0.4).then(number).otherwise(pl.lit("")),
            pl.lit("@"),
            pick(_EMAIL_DOMAINS),
        )
    ).to_series()
    received = np.datetime64("2023-01-01") + rng.integers(0, 1000, n).astype("timedelta64[D]")
    return pl.DataFrame(
        {
            "note_key": pl.Series(np.arange(n, dtype=np.int64)),
            "kind": pick(("melding", "advies")),
            "received_on": pl.Series(received).cast(pl.Date),
            "victim_first_name": nulls(v_first, 0.05),
            "victim_surname": nulls(v_sur, 0.08),
            "perpetrator_first_name": nulls(p_first, 0.1),
            "perpetrator_surname": nulls(p_sur, 0.15),
            "child_first_name": nulls(c_first, 0.4),
            "street": nulls(pick(_STREETS), 0.1),
            "house_number": nulls(house, 0.1),
            "postcode": nulls(postcode, 0.15),
            "city": nulls(place["city"], 0.05),
            "phone": nulls(phone.to_series(), 0.2),
            "bsn": nulls(_str(_bsns(rng, n)), 0.3),
            "email": nulls(email, 0.5),
            "school": nulls(pick(_SCHOOLS), 0.5),
        },
        schema=SUBJECT_SCHEMA,
    )
