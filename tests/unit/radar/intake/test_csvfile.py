"""The CSV reader: files parsed together give exactly what each file gives alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radar.errors import ContractError
from radar.intake.csvfile import (
    QUOTE,
    ScannedCsv,
    _is_utf8,
    _OutsideCounts,
    parse_scanned,
    scan_delivery_csv,
)
from radar.intake.delivery import RawDelivery, Rejection, read_deliveries
from tests.corpus import PERSONS, SIGNALS, write_delivery

REQUIRED = ("a", "b")
OPTIONAL = ("c",)

FILES = {
    "plain": b"a,b,c\n1,2,3\n4,5,6\n",
    "crlf_no_final_newline": b"a,b,c\r\n7,8,9\r\n10,11,12",
    "quoted": b'a,b,c\n"x, y","line\none","say ""hi"""\n"",,\n',
    "quoted_crlf": b'a,b,c\r\n"p","q\r\nr","s"\r\n',
    "semicolon": b"a;b;c\n13;14;15\n",
    "other_order": b"c,a,b\n18,16,17\n",
    "broken_rows": b"a,b,c\n1,2\n\n3,4,5\nx\x00,y,z\n6,7,8\n",
    "stray_quote": b'a,b,c\n1,ab"c,d"e,f\n',
    "header_only": b"a,b,c\n",
}


def _scans() -> list[ScannedCsv]:
    return [
        scan_delivery_csv(data, file=name, required=REQUIRED, optional=OPTIONAL)
        for name, data in FILES.items()
    ]


def test_files_parsed_together_equal_files_parsed_alone() -> None:
    scans = _scans()
    tags = [{"delivery_id": name} for name in FILES]
    together = parse_scanned(scans, required=REQUIRED, optional=OPTIONAL, tags=tags)
    for scan, tag, frame in zip(scans, tags, together, strict=True):
        (alone,) = parse_scanned([scan], required=REQUIRED, optional=OPTIONAL, tags=[tag])
        if isinstance(alone, ContractError):
            assert isinstance(frame, ContractError)
            assert (str(frame), frame.reason) == (str(alone), alone.reason)
            continue
        assert isinstance(frame, pl.DataFrame)
        assert frame.equals(alone), scan.file
        assert frame["delivery_id"].to_list() == [tag["delivery_id"]] * frame.height


def test_values_lines_and_order() -> None:
    scans = _scans()
    names = list(FILES)
    frames = parse_scanned(
        scans, required=REQUIRED, optional=OPTIONAL, tags=[{"d": n} for n in names]
    )
    by_name = dict(zip(names, frames, strict=True))
    quoted = by_name["quoted"]
    assert isinstance(quoted, pl.DataFrame)
    assert quoted.rows() == [
        ("x, y", "line\none", 'say "hi"', 2, "quoted"),
        ("", None, None, 4, "quoted"),
    ]
    crlf = by_name["crlf_no_final_newline"]
    assert isinstance(crlf, pl.DataFrame)
    assert crlf.select("a", "b", "c", "_line").rows() == [("7", "8", "9", 2), ("10", "11", "12", 3)]
    other = by_name["other_order"]
    assert isinstance(other, pl.DataFrame)
    assert other.select("a", "b", "c").rows() == [("16", "17", "18")]
    broken = by_name["broken_rows"]
    assert isinstance(broken, pl.DataFrame)
    assert broken.select("a", "_line").rows() == [("3", 4), ("6", 6)]
    assert [(r.line, r.reason) for r in scans[names.index("broken_rows")].bad_records] == [
        (2, "malformed_row"),
        (5, "nul_byte"),
    ]
    header_only = by_name["header_only"]
    assert isinstance(header_only, pl.DataFrame) and header_only.is_empty()
    stray = by_name["stray_quote"]
    assert isinstance(stray, ContractError) and stray.reason == "unreadable"


@pytest.mark.parametrize(
    ("data", "plain"),
    [
        (b"a,b\n1,2\n", True),
        (b'a,b\n"1","2"\n', True),
        (b'a,b\n"1 ""x""",2\n', True),
        (b'a,b\r\n"1"\r\n', True),
        (b'a,b\n"",2', True),
        (b'a,b\n1,ab"c,d"e\n', False),
        (b'a,b\n"1"x,2\n', False),
        (b'a,b\n1,x"y"\n', False),
    ],
)
def test_plain_quoting(data: bytes, plain: bool) -> None:
    assert scan_delivery_csv(data, file="f", required=("a",)).plain_quoting is plain


def test_one_unreadable_file_rejects_only_its_delivery(tmp_path: Path) -> None:
    good = write_delivery(tmp_path / "2024-01-31_VT25_01")
    bad = write_delivery(
        tmp_path / "2024-01-31_VT25_02",
        signals=[*SIGNALS, 'S-009,VT25,melding,2024-01-10,,,,ab"c,d"e'],
    )
    later = write_delivery(tmp_path / "2024-01-31_VT25_03", persons=PERSONS[:3])
    results = read_deliveries([good, bad, later], workers=2)
    assert [type(r) for r in results] == [RawDelivery, Rejection, RawDelivery]
    rejection = results[1]
    assert isinstance(rejection, Rejection) and rejection.reason == "unreadable"
    assert "2024-01-31_VT25_02" in rejection.message and "signals.csv" in rejection.message
    first, third = results[0], results[2]
    assert isinstance(first, RawDelivery) and isinstance(third, RawDelivery)
    assert first.persons.height == len(PERSONS) and third.persons.height == 3
    assert set(third.persons["delivery_id"]) == {"2024-01-31_VT25_03"}


@pytest.mark.parametrize(
    ("data", "columns"),
    [
        (b"a,b,c\n1,2,3\n", set()),
        (b"a,b,c\n1, =2,3\n4,5,x=y", {"b", "c"}),
        (b'a,b,c\n"x,=y",2,3\n', {"a"}),
        (b'a;b;c\r\n1;2;"=SUM(1;2)"\r\n', {"c"}),
        (b"a,b,c\n1,2,3,=4\n=,2,3\n", {"a"}),  # the malformed record is not read
    ],
)
def test_formula_candidates(data: bytes, columns: set[str]) -> None:
    scan = scan_delivery_csv(data, file="f", required=REQUIRED, optional=OPTIONAL)
    assert scan.formula_candidates == columns


def test_the_first_file_that_cannot_be_read_rejects_the_delivery(tmp_path: Path) -> None:
    """signals.csv is read before persons.csv: its parse error wins over a later file's."""
    path = write_delivery(
        tmp_path / "2024-01-31_VT25_01",
        signals=[*SIGNALS, 'S-009,VT25,melding,2024-01-10,,,,ab"c,d"e'],
        persons=[*PERSONS, 'VT25,S-001,4,kind,,"never closed'],
    )
    (rejection,) = read_deliveries([path])
    assert isinstance(rejection, Rejection)
    assert rejection.reason == "unreadable" and "signals.csv" in rejection.message


@pytest.mark.parametrize(
    "data",
    [
        b"abc",
        "Cliënte ß 😀".encode(),
        b"a\x00b",
        b"ab\xe9c",
        b"\xed\xa0\x80",
        b"\xc0\xaf",
        b"x\xe2\x82",
        b"",
        b"\xf4\x8f\xbf\xbf",
        b"\xf4\x90\x80\x80",
        b"\xf5\x80\x80\x80",
        b"\xe0\x80\x80",
        b"a" * 1000 + b"\xff" + b"b" * 1000,
        "é".encode() * 500 + b"\x80",
    ],
)
def test_utf8_validation_agrees_with_python(data: bytes) -> None:
    try:
        data.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    assert _is_utf8(data) is valid


def _outside_before(data: bytes, byte: int) -> list[int]:
    """The reference: occurrences of ``byte`` outside quotes before every offset, by a loop."""
    counts, count, quoted = [], 0, False
    for value in data:
        counts.append(count)
        if value == QUOTE:
            quoted = not quoted
        elif value == byte and not quoted:
            count += 1
    return [*counts, count]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"a", b",", b'"', b'""', b"\n", b"=", b"\xc3\xab"]), max_size=300))
def test_delimiters_counted_outside_quotes(parts: list[bytes]) -> None:
    data = b"".join(parts)
    if data.count(b'"') % 2:
        data += b'"'
    raw = np.frombuffer(data, dtype=np.uint8)
    quotes = np.flatnonzero(raw == QUOTE)
    offsets = np.arange(raw.size + 1)
    counted = _OutsideCounts(raw, ord(","), quotes).before(offsets)
    assert counted.tolist() == _outside_before(data, ord(","))
