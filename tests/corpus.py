"""A small valid delivery, and the bad-input corpus: each case a mutation of it.

Every injected bad value contains the marker ``LEAKME`` (or is binary), so tests can check
that no message or record repeats a value.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SIGNAL_HEADER = "signal_id,region_code,kind,received_on,closed_on,relation_type,violence_forms,note"
PERSON_HEADER = (
    "region_code,signal_id,person_seq,role,bsn,first_names,surname_prefix,surname,birth_date,"
    "sex,street,house_number,postcode,city,municipality_code,phone"
)
SIGNALS = [
    "S-001,VT25,melding,2024-01-05,,partnergeweld,psychisch_geweld,Melding politie",
    "S-002,VT25,advies,2024-01-06,2024-02-01,kindermishandeling,,",
    "S-003,VT25,melding,2024-01-07,,,,",
    "S-004,VT25,melding,2024-01-08,,,,",
    "S-005,VT25,advies,2024-01-09,,,,",
]
PERSONS = [
    "VT25,S-001,1,slachtoffer,123456782,Anna,de,Vries,1985-03-12,V,Dorpsstraat,12A,6211 AB,Maastricht,GM0935,06-12345678",
    "VT25,S-001,2,pleger,,Kees,van der,Berg,19800300,M,Dorpsstraat,12A,6211AB,Maastricht,GM0935,",
    "VT25,S-001,3,kind,,Daan,de,Vries,2015-06-01,M,,,,,,",
    "VT25,S-002,1,kind,,Lotte,,,,V,,,,,,",
    "VT25,S-003,1,slachtoffer,,Fatima,,el Amrani,1990-01-01,V,,,,,,",
    "VT25,S-003,2,pleger,,Mo,,el Amrani,,M,,,,,,",
    "VT25,S-004,1,slachtoffer,,Ingrid,,Jansen,1970-05-05,V,,,,,,",
    "VT25,S-005,1,overig,,,,,,O,,,,,,",
]
MARKER = "LEAKME"


def write_delivery(
    path: Path,
    *,
    signals: list[str] | None = None,
    persons: list[str] | None = None,
    signal_header: str = SIGNAL_HEADER,
    person_header: str = PERSON_HEADER,
    manifest: dict[str, object] | None = None,
    erasures: list[str] | None = None,
) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    signal_rows = SIGNALS if signals is None else signals
    person_rows = PERSONS if persons is None else persons
    (path / "signals.csv").write_text("\n".join([signal_header, *signal_rows]) + "\n")
    (path / "persons.csv").write_text("\n".join([person_header, *person_rows]) + "\n")
    if manifest is not None:
        (path / "delivery.json").write_text(json.dumps(manifest))
    if erasures is not None:
        (path / "erasures.csv").write_text("\n".join(["region_code,signal_id", *erasures]) + "\n")
    return path


@dataclass(frozen=True)
class BadCase:
    """A delivery with one defect and the outcome the contract defines for it."""

    name: str
    build: Callable[[Path], Path]
    rejected: bool
    reason: str  # quarantine reason, or rejection reason
    file: str
    column: str = ""
    line: int | None = None
    valid_signals: int = len(SIGNALS)
    valid_persons: int = len(PERSONS)


def _with(path: Path, **kwargs: object) -> Path:
    return write_delivery(path, **kwargs)  # type: ignore[arg-type]


def _patch_bytes(file: Path, old: bytes, new: bytes) -> None:
    data = file.read_bytes()
    assert old in data
    file.write_bytes(data.replace(old, new, 1))


def _non_utf8(path: Path) -> Path:
    write_delivery(path, persons=[*PERSONS, "VT25,S-004,2,pleger,,Ren\xe9LEAKME,,X,,M,,,,,,"])
    _patch_bytes(path / "persons.csv", "Ren\xe9".encode(), b"Ren\xe9")
    return path


def _nul(path: Path) -> Path:
    write_delivery(path, persons=[*PERSONS, "VT25,S-004,2,pleger,,NULLEAKME,,X,,M,,,,,,"])
    _patch_bytes(path / "persons.csv", b"NULLEAKME", b"NUL\x00LEAKME")
    return path


def _binary(path: Path) -> Path:
    write_delivery(path)
    (path / "signals.csv").write_bytes(bytes(range(256)) * 64)
    return path


def _unbalanced(path: Path) -> Path:
    return _with(
        path,
        signals=[
            *SIGNALS[:2],
            'S-009,VT25,melding,2024-01-10,,,,"LEAKME never closed',
            *SIGNALS[2:],
        ],
    )


def _bad_signal(row: str, **extra: object) -> Callable[[Path], Path]:
    return lambda path: _with(path, signals=[*SIGNALS, row], **extra)


def _bad_person(row: str) -> Callable[[Path], Path]:
    return lambda path: _with(path, persons=[*PERSONS, row])


BIG_NOTE = "x" * (5 * 1024 * 1024) + MARKER

CASES: list[BadCase] = [
    BadCase("non_utf8", _non_utf8, False, "not_utf8", "persons.csv", line=10),
    BadCase("nul_bytes", _nul, False, "nul_byte", "persons.csv", line=10),
    BadCase(
        "missing_required_column",
        lambda p: _with(p, signal_header=SIGNAL_HEADER.replace(",kind", ",soort")),
        True,
        "missing_column",
        "signals.csv",
        column="kind",
    ),
    BadCase(
        "manifest_mismatch",
        lambda p: _with(p, manifest={"signals_rows": 6, "persons_rows": len(PERSONS)}),
        True,
        "manifest_mismatch",
        "delivery.json",
        column="signals_rows",
    ),
    BadCase(
        "duplicate_signal_keys",
        _bad_signal("S-005,VT25,melding,2024-01-09,,,,LEAKME"),
        False,
        "duplicate_key",
        "signals.csv",
        column="signal_id",
        valid_signals=4,
        valid_persons=7,
    ),
    BadCase(
        "duplicate_person_keys",
        _bad_person("VT25,S-004,1,pleger,,LEAKME,,X,,M,,,,,,"),
        False,
        "duplicate_key",
        "persons.csv",
        column="person_seq",
        valid_persons=7,
    ),
    BadCase(
        "person_of_unknown_signal",
        _bad_person("VT25,S-999,1,kind,,LEAKME,,,,M,,,,,,"),
        False,
        "unknown_signal",
        "persons.csv",
        column="signal_id",
        line=10,
    ),
    BadCase(
        "future_date",
        _bad_signal("S-006,VT25,melding,2099-01-01,,,,LEAKME"),
        False,
        "future_date",
        "signals.csv",
        column="received_on",
        line=7,
    ),
    BadCase(
        "date_before_2000",
        _bad_signal("S-006,VT25,melding,1999-12-31,,,,LEAKME"),
        False,
        "date_before_2000",
        "signals.csv",
        column="received_on",
        line=7,
    ),
    BadCase(
        "unknown_region",
        _bad_signal("S-006,VT99,melding,2024-01-01,,,,LEAKME"),
        False,
        "unknown_region",
        "signals.csv",
        column="region_code",
        line=7,
    ),
    BadCase(
        "region_not_valid_on_date",
        _bad_signal("S-006,VT16,melding,2024-01-01,,,,LEAKME"),
        False,
        "region_not_valid_on_date",
        "signals.csv",
        column="region_code",
        line=7,
    ),
    BadCase(
        "region_not_yet_valid",
        _bad_signal("S-006,VT27,melding,2022-12-31,,,,LEAKME"),
        False,
        "region_not_valid_on_date",
        "signals.csv",
        column="region_code",
        line=7,
    ),
    BadCase(
        "missing_kind",
        _bad_signal("S-006,VT25,,2024-01-01,,,,LEAKME"),
        False,
        "missing_value",
        "signals.csv",
        column="kind",
        line=7,
    ),
    BadCase(
        "empty_file",
        lambda p: (_with(p), (p / "persons.csv").write_bytes(b""), p)[2],
        True,
        "empty_file",
        "persons.csv",
    ),
    BadCase(
        "header_only_persons",
        lambda p: _with(p, persons=[]),
        False,
        "",
        "persons.csv",
        valid_persons=0,
    ),
    BadCase(
        "five_megabyte_field",
        _bad_signal(f"S-006,VT25,melding,2024-01-01,,,,{BIG_NOTE}"),
        False,
        "field_too_long",
        "signals.csv",
        column="note",
        line=7,
    ),
    BadCase(
        "spreadsheet_formula",
        _bad_person('VT25,S-004,2,pleger,,Jan,,"=HYPERLINK(""http://x/LEAKME"")",,M,,,,,,'),
        False,
        "formula_value",
        "persons.csv",
        column="surname",
        line=10,
    ),
    BadCase("unbalanced_quotes", _unbalanced, True, "unbalanced_quote", "signals.csv", line=4),
    BadCase("binary_file", _binary, True, "not_text", "signals.csv"),
    BadCase(
        "ragged_row",
        _bad_signal("S-006,VT25,melding,2024-01-01,LEAKME"),
        False,
        "malformed_row",
        "signals.csv",
        line=7,
    ),
    BadCase(
        "too_many_bad_rows",
        lambda p: _with(
            p, signals=[f"S-{i:03d},VT99,melding,2024-01-01,,,,LEAKME" for i in range(1, 6)]
        ),
        True,
        "too_many_bad_rows",
        "",
    ),
]
