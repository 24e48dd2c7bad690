"""Read delivery CSVs tolerantly, finding broken records without per-row Python.

What the contract tolerates is accepted: a UTF-8 BOM, ``;`` or ``,`` as delimiter, CRLF line
ends, RFC 4180 quoting, columns in any order, header names in any case. What breaks a single
record (wrong number of fields, NUL bytes, bytes that are not UTF-8) is reported per record so
that intake can quarantine it; what makes the file unreadable as a whole (empty, no header,
binary, a quote that never closes, a repeated column name) raises :class:`ContractError`.

The structure is found with numpy on the raw bytes: quote parity gives which line ends are
outside quoted fields (the record boundaries), and a running count of the delimiters outside
quoted fields gives the field count of every record (:func:`scan_delivery_csv`). Only
well-formed records are handed to polars, all as strings (:func:`parse_scanned`): the records of
many files with the same header are parsed in one call, since a call per small file costs more
than the parsing.
"""

from __future__ import annotations

import codecs
import csv
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl
import pyarrow as pa

from radar.errors import ContractError

BOM: Final = b"\xef\xbb\xbf"
QUOTE: Final = ord('"')
NEWLINE: Final = ord("\n")
EQUALS: Final = ord("=")
CR: Final = ord("\r")
LINE_COLUMN: Final = "_line"
#: A file with more invalid-UTF-8 or NUL bytes than this is not a text CSV.
_MAX_BAD_BYTES: Final = 1000


@dataclass(frozen=True)
class BadRecord:
    """A record that could not be read; ``line`` is the 1-based physical line it starts on."""

    line: int
    reason: str
    column: str = ""


@dataclass(frozen=True, eq=False)
class ScannedCsv:
    """One file after the structure pass: its well-formed records' bytes, not yet parsed."""

    file: str
    header: tuple[str, ...]
    delimiter: str
    #: The well-formed data records, each ending in a newline (a view of the file's bytes when
    #: they are all of them: no copy before the one that joins the files parsed together).
    body: bytes | memoryview
    lines: np.ndarray  # the line number of every record in ``body``
    bad_records: list[BadRecord]
    unknown_columns: list[str]
    #: Every quote opens or closes a quoted field (RFC 4180), so any CSV parser finds the same
    #: records as the structure pass, and the body may be parsed together with other files'.
    plain_quoting: bool
    #: The columns in which some record holds an ``=``: only they can hold a formula value.
    formula_candidates: frozenset[str]

    @property
    def records(self) -> int:
        """Data records in the file, readable or not."""
        return int(self.lines.size) + len(self.bad_records)


def scan_delivery_csv(
    data: bytes, *, file: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> ScannedCsv:
    """The structure pass over ``data`` (the bytes of ``file``): records, header, bad records.

    Raises :class:`ContractError` when the file as a whole cannot be read.
    """
    if data.startswith(BOM):
        data = data[len(BOM) :]
    if not data or data.isspace():
        raise ContractError(f"{file}: the file is empty (no header row)", reason="empty_file")
    raw = np.frombuffer(data, dtype=np.uint8)
    bad_bytes = _invalid_byte_positions(data, raw)
    if bad_bytes.size > _MAX_BAD_BYTES:
        raise ContractError(
            f"{file}: not a UTF-8 text file ({bad_bytes.size} invalid or NUL bytes)",
            reason="not_text",
        )
    # Quote parity at a byte is the number of quotes up to it, odd inside a quoted field; it
    # is needed only at line ends and delimiters, so it is looked up among the quotes' offsets.
    quotes = _positions(data, raw, QUOTE)
    newlines = _positions(data, raw, NEWLINE)
    if quotes.size % 2:
        line = int(np.searchsorted(newlines, quotes[-1])) + 1
        raise ContractError(
            f"{file}: line {line}: a quoted field is never closed; the file cannot be read",
            reason="unbalanced_quote",
        )
    ends = _outside_quotes(newlines, quotes)
    if ends.size == 0 or ends[-1] != raw.size - 1:
        ends = np.append(ends, raw.size)  # last record without a final line end
    starts = np.concatenate(([0], ends[:-1] + 1))
    blank = _blank_records(raw, starts, ends)
    header_end = int(ends[0])
    header_bytes = data[:header_end].rstrip(b"\r")
    delimiter = _detect_delimiter(header_bytes, required)
    header = _parse_header(header_bytes, delimiter, file=file)
    _check_header(header, required, file=file)

    delimiters = _OutsideCounts(raw, ord(delimiter), quotes)
    fields = np.diff(delimiters.before(np.append(starts, raw.size))) + 1
    line_numbers = np.searchsorted(newlines, starts, side="left") + 1

    record_ok = ~blank
    reasons: dict[int, BadRecord] = {}
    for wrong in np.flatnonzero(record_ok & (fields != len(header))).tolist():
        reasons[wrong] = BadRecord(int(line_numbers[wrong]), "malformed_row")
    if bad_bytes.size:
        owner = np.searchsorted(starts, bad_bytes, side="right") - 1
        nul = raw[bad_bytes] == 0
        for index, is_nul in zip(owner.tolist(), nul.tolist(), strict=True):
            if index == 0:
                raise ContractError(
                    f"{file}: line 1: the header row holds invalid bytes", reason="not_text"
                )
            reasons.setdefault(
                index, BadRecord(int(line_numbers[index]), "nul_byte" if is_nul else "not_utf8")
            )
    record_ok[0] = False  # the header
    for bad_index in reasons:
        record_ok[bad_index] = False

    keep = np.flatnonzero(record_ok)
    known = set(required) | set(optional)
    return ScannedCsv(
        file=file,
        header=tuple(header),
        delimiter=delimiter,
        body=_select_records(data, raw, starts, ends, keep),
        lines=line_numbers[keep],
        bad_records=sorted(reasons.values(), key=lambda record: record.line),
        unknown_columns=[name for name in header if name not in known],
        plain_quoting=_plain_quoting(raw, quotes, ord(delimiter)),
        formula_candidates=_columns_holding(
            _positions(data, raw, EQUALS), starts, delimiters, header
        ),
    )


def parse_scanned(
    scans: Sequence[ScannedCsv],
    *,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    tags: Sequence[dict[str, str]],
) -> list[pl.DataFrame | ContractError]:
    """Parse the records of scanned files; one frame (or the error that file gives) per scan.

    Files with the same header and delimiter and plain quoting are parsed in one call, their
    records concatenated (one call per file costs more than the parsing itself). Each frame
    holds the contract's columns in contract order (absent optional ones as nulls), the line
    number of every record, and a constant column per entry of the scan's ``tags``.
    """
    groups: dict[tuple[tuple[str, ...], str, int], list[int]] = {}
    for index, scan in enumerate(scans):
        alone = -1 if scan.plain_quoting else index
        groups.setdefault((scan.header, scan.delimiter, alone), []).append(index)

    def parse(members: list[int]) -> list[pl.DataFrame | ContractError]:
        group = [scans[i] for i in members]
        try:
            return _parse_group(group, required, optional, [tags[i] for i in members])
        except ContractError as error:
            if len(members) == 1:
                return [error]
            # Parse them one by one to find the file that cannot be read.
            return [
                parse_scanned([scans[i]], required=required, optional=optional, tags=[tags[i]])[0]
                for i in members
            ]

    # One read_csv call on these sizes keeps about one core busy: the groups are parsed
    # concurrently (polars frees the GIL), the largest first so that the cores finish together.
    ordered = sorted(groups.values(), key=lambda members: -sum(len(scans[i].body) for i in members))
    if len(ordered) > 1:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            parsed = list(pool.map(parse, ordered))
    else:
        parsed = [parse(members) for members in ordered]
    results: dict[int, pl.DataFrame | ContractError] = {}
    for members, frames in zip(ordered, parsed, strict=True):
        results.update(zip(members, frames, strict=True))
    return [results[index] for index in range(len(scans))]


def _parse_group(
    scans: list[ScannedCsv],
    required: tuple[str, ...],
    optional: tuple[str, ...],
    tags: list[dict[str, str]],
) -> list[pl.DataFrame | ContractError]:
    header, delimiter = list(scans[0].header), scans[0].delimiter
    file = scans[0].file
    counts = [int(scan.lines.size) for scan in scans]
    body = b"".join(scan.body for scan in scans)
    frame = _parse_records(body, sum(counts), header, delimiter, file=file)
    # A CRLF file leaves a '\r' at the end of the last field; without any '\r' in the records
    # (a search far cheaper than a pass over the column: a file's last column may be long text)
    # there is none to strip.
    last = header[-1] if b"\r" in body else None
    del body

    def column(name: str) -> pl.Expr:
        if name not in header:
            return pl.lit(None, dtype=pl.String).alias(name)
        return pl.col(name).str.strip_suffix("\r") if name == last else pl.col(name)

    owner = np.repeat(np.arange(len(scans)), counts)
    names = list(dict.fromkeys(name for tag in tags for name in tag))
    frame = frame.select(
        *(column(name) for name in (*required, *optional)),
        pl.lit(pl.Series(LINE_COLUMN, np.concatenate([s.lines for s in scans]), dtype=pl.Int64)),
        *(
            pl.lit(pl.Series(name, [tag.get(name) for tag in tags], dtype=pl.String)[owner])
            for name in names
        ),
    )
    offsets = np.concatenate(([0], np.cumsum(counts))).tolist()
    return [frame.slice(offsets[i], counts[i]) for i in range(len(scans))]


def _positions(data: bytes, raw: np.ndarray, byte: int) -> np.ndarray:
    """The offsets of ``byte`` in ``data`` (``raw`` is its array); a search by the bytes' own
    method first (a fraction of a pass) saves the pass when the byte does not occur."""
    if data.find(byte) < 0:
        return np.empty(0, dtype=np.intp)
    return np.flatnonzero(raw == byte)


def _any_of(values: np.ndarray, choices: tuple[int, ...]) -> np.ndarray:
    """Whether each byte in ``values`` is one of ``choices`` (``np.isin`` costs more here)."""
    hit = np.zeros(values.shape, dtype=bool)
    for choice in choices:
        hit |= values == choice
    return hit


def _outside_quotes(positions: np.ndarray, quotes: np.ndarray) -> np.ndarray:
    """The ``positions`` not inside a quoted field (an even number of quotes before them)."""
    if quotes.size == 0:
        return positions
    outside: np.ndarray = positions[np.searchsorted(quotes, positions) % 2 == 0]
    return outside


class _OutsideCounts:
    """How many times a byte occurs outside quoted fields before given offsets.

    The delimiters are counted, not listed: a bit per byte of the file (``np.packbits``) and
    the running count of those bits per 64-byte word give the count before any offset from one
    word. Listing every delimiter's offset (tens of millions in a large batch) and looking each
    up among the quotes cost about three times as much.
    """

    def __init__(self, raw: np.ndarray, byte: int, quotes: np.ndarray) -> None:
        # One word more than the bytes fill, so that the offset ``raw.size`` has a word.
        packed = np.zeros((raw.size // 64 + 1) * 8, dtype=np.uint8)
        bits = np.packbits(raw == byte, bitorder="little")
        packed[: bits.size] = bits
        self._words = packed.view(np.uint64)
        self._words_before = np.concatenate(
            ([0], np.cumsum(np.bitwise_count(self._words), dtype=np.int64))
        )
        # Quotes pair up (their number is even): those inside a pair are not counted.
        self._opening = quotes[0::2]
        self._closing = quotes[1::2]
        inside = self._all(self._closing) - self._all(self._opening)
        self._inside_before = np.concatenate(([0], np.cumsum(inside, dtype=np.int64)))

    def _all(self, offsets: np.ndarray) -> np.ndarray:
        """Occurrences before each offset (0..raw.size), quoted or not."""
        word = offsets >> 6
        below = (np.uint64(1) << (offsets & 63).astype(np.uint64)) - np.uint64(1)
        partial = np.bitwise_count(self._words[word] & below).astype(np.int64)
        counts: np.ndarray = self._words_before[word] + partial
        return counts

    def before(self, offsets: np.ndarray) -> np.ndarray:
        """Occurrences outside quoted fields before each offset (0..raw.size)."""
        counts = self._all(offsets)
        if self._opening.size == 0:
            return counts
        pairs = np.searchsorted(self._opening, offsets)  # the quote pairs opened before
        counts -= self._inside_before[pairs]
        # An offset inside a quoted field: what that field holds before it is not counted.
        last = np.maximum(pairs - 1, 0)
        within = (pairs > 0) & (self._closing[last] > offsets)
        if within.any():
            counts[within] = (
                self._all(self._opening[last[within]]) - self._inside_before[last[within]]
            )
        return counts


def _columns_holding(
    positions: np.ndarray, starts: np.ndarray, delimiters: _OutsideCounts, header: list[str]
) -> frozenset[str]:
    """The header columns of the fields holding the bytes at ``positions``."""
    if positions.size == 0:
        return frozenset()
    record = np.searchsorted(starts, positions, side="right") - 1
    field = delimiters.before(positions) - delimiters.before(starts[record])
    return frozenset(header[i] for i in np.unique(field).tolist() if i < len(header))


def _plain_quoting(raw: np.ndarray, quotes: np.ndarray, delimiter: int) -> bool:
    """True when every quote opens a field, closes one, or is a doubled quote inside one."""
    if quotes.size == 0:
        return True
    opening, closing = quotes[0::2], quotes[1::2]
    field_start = (delimiter, NEWLINE, QUOTE)
    before = raw[np.maximum(opening - 1, 0)]
    opens_ok = (opening == 0) | _any_of(before, field_start)
    after = raw[np.minimum(closing + 1, raw.size - 1)]
    closes_ok = (closing == raw.size - 1) | _any_of(after, (delimiter, NEWLINE, CR, QUOTE))
    # A quote before an opening quote must be the closing one just before it ("" escape).
    escaped = before == QUOTE
    if escaped.any():
        previous_closing = np.concatenate(([-2], closing))[: opening.size]
        opens_ok &= ~escaped | (previous_closing == opening - 1)
    # A quote after a closing quote must be the opening one just after it.
    doubled = after == QUOTE
    if doubled.any():
        next_opening = np.concatenate((opening[1:], [-2]))
        closes_ok &= ~doubled | (next_opening == closing + 1)
    return bool(opens_ok.all() and closes_ok.all())


def _is_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8: Arrow validates several times faster than the codec,
    without holding the GIL, and on the bytes themselves (a polars Series would copy them)."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _invalid_byte_positions(data: bytes, raw: np.ndarray) -> np.ndarray:
    """Byte offsets of NULs and of bytes that do not decode as UTF-8."""
    positions: list[int] = _positions(data, raw, 0)[: _MAX_BAD_BYTES + 1].tolist()
    if _is_utf8(data):
        return np.array(positions, dtype=np.int64)
    view = memoryview(data)
    offset = 0
    while len(positions) <= _MAX_BAD_BYTES:
        try:
            codecs.utf_8_decode(view[offset:], "strict", True)
            break
        except UnicodeDecodeError as error:  # decoding stops at the first bad byte: O(n) overall
            positions.append(offset + error.start)
            offset += error.end
    return np.array(sorted(set(positions)), dtype=np.int64)


def _blank_records(raw: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Records with no content at all (an empty line, or only ``\\r``) are skipped."""
    length = ends - starts
    only_cr = (length == 1) & (raw[np.minimum(starts, raw.size - 1)] == ord("\r"))
    return np.asarray((length == 0) | only_cr, dtype=bool)


def _detect_delimiter(header: bytes, required: tuple[str, ...]) -> str:
    """``;`` when the header splits into more contract columns by it than by ``,``."""

    def hits(delimiter: str) -> int:
        names = {_clean_name(part) for part in header.decode("utf-8", "replace").split(delimiter)}
        return len(names & set(required))

    return ";" if hits(";") > hits(",") else ","


def _clean_name(name: str) -> str:
    return name.strip().strip('"').strip().lower()


def _parse_header(header: bytes, delimiter: str, *, file: str) -> list[str]:
    text = header.decode("utf-8", "replace")
    return [_clean_name(name) for name in next(csv.reader([text], delimiter=delimiter))]


def _check_header(header: list[str], required: tuple[str, ...], *, file: str) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise ContractError(
                f"{file}: line 1: column '{name}' appears twice", reason="duplicate_column"
            )
        seen.add(name)
    missing = [name for name in required if name not in seen]
    if missing:
        raise ContractError(
            f"{file}: line 1: missing required column(s) {', '.join(missing)}",
            reason="missing_column",
        )


def _parse_records(
    body: bytes, expected: int, header: list[str], delimiter: str, *, file: str
) -> pl.DataFrame:
    schema = {f"_c{i}": pl.String for i in range(len(header))}
    if expected == 0:
        frame = pl.DataFrame(schema=schema)
    else:
        try:
            frame = pl.read_csv(
                body,
                separator=delimiter,
                has_header=False,
                schema=schema,
                quote_char='"',
                eol_char="\n",
            )
        except pl.exceptions.PolarsError as error:
            raise ContractError(
                f"{file}: the records cannot be parsed as CSV", reason="unreadable"
            ) from error
        if frame.height != expected:
            raise ContractError(
                f"{file}: {expected} records found but {frame.height} parsed", reason="unreadable"
            )
    return frame.rename({f"_c{i}": name for i, name in enumerate(header)})


def _select_records(
    data: bytes, raw: np.ndarray, starts: np.ndarray, ends: np.ndarray, keep: np.ndarray
) -> bytes | memoryview:
    """The bytes of the kept records, each ending in a newline."""
    if keep.size == 0:
        return b""
    if keep.size == starts.size - 1 and keep[0] == 1:
        if data.endswith(b"\n"):  # all records: a view, not a copy
            return memoryview(data)[int(starts[1]) :]
        return data[int(starts[1]) :] + b"\n"
    mask = np.zeros(raw.size + 1, dtype=np.int8)
    np.add.at(mask, starts[keep], 1)
    np.add.at(mask, np.minimum(ends[keep] + 1, raw.size), -1)
    selected = np.cumsum(mask[:-1]).astype(bool)
    body = bytes(raw[selected].tobytes())
    return body if body.endswith(b"\n") else body + b"\n"
