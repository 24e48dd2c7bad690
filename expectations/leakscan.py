"""Leak scan: search everything Radar wrote for every plaintext identifier of the input.

The identifiers are taken from the deliveries themselves (names, BSNs, birth dates, streets,
postcodes, places, phone numbers in ``persons.csv``) and, when the synthetic ground truth is at
hand, from the PII spans of the notes. Two searches:

- everywhere Radar wrote (every string of every Parquet table except redacted notes, every
  CSV, JSON and text file under the data directory, captured logs, Prefect artifacts): every
  identifier of the input, through one Aho-Corasick pass (polars ``str.extract_many``);
- each redacted note: the identifiers of its own signal (its note's PII spans and its person
  rows). Searching notes for everybody's identifiers would flag ordinary words that happen to
  be somebody's name or town elsewhere ('buren' is a word and the town Buren).

Matching is case- and diacritic-insensitive on whole words. Data Docs are searched as written,
except their vendored assets (``data_docs/static/``: GX's and the XStatic packages' files,
copied unchanged) and, in HTML, tag and attribute names, style sheets and style attributes
('</a><a' would match the initials 'A. A.', 'max-height' the name Max); text, other attribute
values and scripts are searched.

A hit is reported as (identifier kind, place); the value itself is never printed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl

from radar.intake.delivery import RawDelivery, read_deliveries

#: Shorter values are not searched: initials and two-letter names match ordinary words.
MIN_CHARS = 3

_PERSON_FIELDS = {
    "first_names": "name",
    "surname": "name",
    "street": "street",
    "city": "place",
    "postcode": "postcode",
    "phone": "phone",
    "bsn": "bsn",
    "birth_date": "birth_date",
}


@dataclass(frozen=True)
class LeakReport:
    """What the scan searched and what it found (kinds and places, never values)."""

    identifiers: int
    places: int
    hits: list[tuple[str, str]]

    @property
    def clean(self) -> bool:
        return not self.hits

    def summary(self) -> str:
        counts = Counter(kind for kind, _ in self.hits)
        found = ", ".join(f"{kind}: {n}" for kind, n in sorted(counts.items())) or "none"
        return (
            f"searched {self.identifiers:,} identifier values in {self.places:,} places; "
            f"hits: {found}"
        )


def words(text: str) -> str:
    """Lowercase ASCII words separated by single spaces, padded with a space on each side."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " " + " ".join("".join(c if c.isalnum() else " " for c in folded).split()) + " "


def _variants(kind: str, value: str) -> Iterable[str]:
    value = value.strip()
    if kind == "name":
        yield value
        yield from value.replace("-", " ").replace(".", " ").split()
    elif kind == "postcode":
        compact = value.replace(" ", "")
        yield compact
        yield f"{compact[:4]} {compact[4:]}"
    elif kind == "phone":
        digits = "".join(c for c in value if c.isdigit())
        yield digits
        if digits.startswith("0") and len(digits) == 10:
            yield digits[1:]
    elif kind == "birth_date":
        yield value
        parts = value.split("-")
        if len(parts) == 3 and len(parts[0]) == 4:
            yield f"{parts[2]}-{parts[1]}-{parts[0]}"
    else:
        yield value


def _searchable(form: str) -> bool:
    """Long enough to mean something, and not a word the engine itself writes."""
    text = form.strip()
    if text.isdigit():
        return len(text) >= 6
    return len(text) >= MIN_CHARS and text not in _engine_words()


@cache
def _engine_words() -> frozenset[str]:
    """Vocabulary, codes and placeholders the engine writes: not identifiers, even if a name
    happens to be spelled the same (a surname 'Persoon', a first name 'Kind')."""
    from pseudonymise.redact import PLACEHOLDERS
    from radar.contract import vocabulary
    from radar.intake.normalise import PREFIXES

    vocab: set[str] = set()
    for name, value in vars(vocabulary).items():
        if name.isupper() and isinstance(value, tuple):
            vocab |= {v.lower() for v in value if isinstance(v, str)}
    vocab |= {words(str(p)).strip() for p in PLACEHOLDERS.values()}
    vocab |= {w for prefix in PREFIXES for w in prefix.split()}  # 'van', 'de', 'der', ...
    return frozenset(w for v in vocab for w in words(v).split()) | frozenset(vocab)


def _identifier_rows(deliveries: list[RawDelivery]) -> pl.DataFrame:
    """Per signal version: (delivery_id, region_code, signal_id, kind, form) of its persons."""
    rows: list[tuple[str, str, str, str, str]] = []
    for delivery in deliveries:
        persons = delivery.persons
        for column, kind in _PERSON_FIELDS.items():
            present = persons.select("region_code", "signal_id", column).drop_nulls().unique()
            for region, signal, value in present.iter_rows():
                for variant in _variants(kind, value):
                    form = words(variant)
                    if _searchable(form):
                        rows.append((delivery.delivery_id, region, signal, kind, form))
    return pl.DataFrame(
        rows, schema=["delivery_id", "region_code", "signal_id", "kind", "form"], orient="row"
    )


def _note_span_rows(truth: Path, deliveries: list[RawDelivery]) -> pl.DataFrame:
    """Per signal version: the word forms of its note's PII spans (synthetic ground truth)."""
    spans_file = truth / "notes.parquet"
    empty = pl.DataFrame(
        schema=dict.fromkeys(("delivery_id", "region_code", "signal_id", "kind", "form"), pl.String)
    )
    if not spans_file.is_file():
        return empty
    notes = pl.concat(
        [d.signals.select("delivery_id", "region_code", "signal_id", "note") for d in deliveries]
    )
    spans = pl.read_parquet(spans_file).join(notes, on=["region_code", "signal_id"])
    values = (
        spans.select(
            "delivery_id",
            "region_code",
            "signal_id",
            ("note:" + pl.col("entity_type")).alias("kind"),
            pl.col("note")
            .str.slice(pl.col("start"), pl.col("end") - pl.col("start"))
            .alias("value"),
        )
        .drop_nulls()
        .unique()
    )
    forms = values.with_columns(
        pl.col("value").map_elements(words, return_dtype=pl.String).alias("form")
    ).filter(pl.col("form").map_elements(_searchable, return_dtype=pl.Boolean))
    return forms.drop("value") if not forms.is_empty() else empty


#: Markup the engine's HTML reports are made of: tag and attribute names, CSS.
_MARKUP = re.compile(
    r"<style\b.*?</style>|\sstyle=\"[^\"]*\"|</?[A-Za-z][\w-]*|\s[\w:-]+(?==)|/?>",
    re.DOTALL | re.IGNORECASE,
)


def _is_vendored(path: Path) -> bool:
    """A file Data Docs ship as is (GX's and the XStatic packages' assets, copied unchanged)."""
    return "static" in path.parts and any(
        part == "data_docs" for part in path.parts[: path.parts.index("static")]
    )


def _texts_of(path: Path) -> list[str]:
    if _is_vendored(path):
        return []
    if path.suffix == ".html":
        # text, attribute values and scripts are searched; tag names and CSS are not
        return [_MARKUP.sub(" ", path.read_text(encoding="utf-8", errors="replace"))]
    if path.suffix == ".parquet":
        frame = pl.read_parquet(path)
        texts: list[str] = []
        for name, dtype in frame.schema.items():
            column = frame.get_column(name)
            if name == _NOTE_COLUMN:
                continue  # searched per signal, see _scan_notes
            if dtype == pl.String:
                texts += column.drop_nulls().to_list()
            elif dtype == pl.List(pl.String):
                texts += column.explode().drop_nulls().to_list()
            texts.append(name)
        return texts
    if path.name.endswith(".pickle"):
        return []
    return [path.read_bytes().decode("utf-8", "replace")]


_NOTE_COLUMN = "note_redacted"


def _scan_everywhere(
    identifiers: dict[str, str], places: dict[str, list[str]]
) -> list[tuple[str, str]]:
    patterns = sorted(identifiers)
    hits: list[tuple[str, str]] = []
    if not patterns:
        return hits
    for place, texts in places.items():
        if not texts:
            continue
        haystack = pl.Series([words(t) for t in texts], dtype=pl.String)
        matched = haystack.str.extract_many(patterns, overlapping=True).explode().drop_nulls()
        hits += [(identifiers[form], place) for form in matched.unique().to_list()]
    return hits


def _scan_notes(own: pl.DataFrame, data_dir: Path) -> list[tuple[str, str]]:
    """Each redacted note against the identifiers of its own signal version."""
    hits: list[tuple[str, str]] = []
    for path in sorted(data_dir.rglob("*.parquet")):
        frame = pl.read_parquet(path)
        if _NOTE_COLUMN not in frame.columns or "delivery_id" not in frame.columns:
            continue
        notes = frame.select(
            "delivery_id",
            "region_code",
            "signal_id",
            pl.col(_NOTE_COLUMN).map_elements(words, return_dtype=pl.String).alias("text"),
        ).drop_nulls()
        found = own.join(notes, on=["delivery_id", "region_code", "signal_id"]).filter(
            pl.col("text").str.contains(pl.col("form"), literal=True)
        )
        place = f"{path.relative_to(data_dir)}:{_NOTE_COLUMN}"
        hits += [(kind, place) for kind in found.get_column("kind").unique().to_list()]
    return hits


def scan_run(
    inbox: Path, data_dir: Path, *, truth: Path | None = None, extra: dict[str, str] | None = None
) -> LeakReport:
    """Collect the input's identifiers from ``inbox`` (and the notes' truth); search the run.

    ``extra`` holds further texts to search (name → text): captured logs, Prefect artifacts.
    """
    deliveries = [
        d
        for d in read_deliveries(sorted(p for p in inbox.iterdir() if p.is_dir()))
        if isinstance(d, RawDelivery)
    ]
    own = _identifier_rows(deliveries)
    if truth is not None:
        own = pl.concat([own, _note_span_rows(truth, deliveries)])
    identifiers = dict(own.select("form", "kind").unique(subset="form").iter_rows())
    places = {
        str(path.relative_to(data_dir)): _texts_of(path)
        for path in sorted(p for p in data_dir.rglob("*") if p.is_file())
    }
    places |= {name: [text] for name, text in (extra or {}).items()}
    hits = _scan_everywhere(identifiers, places) + _scan_notes(own, data_dir)
    return LeakReport(len(identifiers), len(places), sorted(set(hits)))
