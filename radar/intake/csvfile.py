"""Read one delivery CSV tolerantly, finding broken records without per-row Python.

What the contract tolerates is accepted: a UTF-8 BOM, ``;`` or ``,`` as delimiter, CRLF line
ends, RFC 4180 quoting, columns in any order, header names in any case. What breaks a single
record (wrong number of fields, NUL bytes, bytes that are not UTF-8) is reported per record so
that intake can quarantine it; what makes the file unreadable as a whole (empty, no header,
binary, a quote that never closes, a repeated column name) raises :class:`ContractError`.

The structure is found with numpy on the raw bytes: quote parity gives which delimiters and
line ends are outside quoted fields, which gives the record boundaries and the field count of
every record in one pass. Only well-formed records are handed to polars, all as strings.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import polars as pl

from radar.errors import ContractError

BOM: Final = b"\xef\xbb\xbf"
QUOTE: Final = ord('"')
NEWLINE: Final = ord("\n")
LINE_COLUMN: Final = "_line"
#: A file with more invalid-UTF-8 or NUL bytes than this is not a text CSV.
_MAX_BAD_BYTES: Final = 1000


@dataclass(frozen=True)
class BadRecord:
    """A record that could not be read; ``line`` is the 1-based physical line it starts on."""

    line: int
    reason: str
    column: str = ""


@dataclass(frozen=True)
class CsvTable:
    """The readable records of one file as strings, plus what could not be read."""

    file: str
    frame: pl.DataFrame  # every header column as String, plus LINE_COLUMN (Int64)
    delimiter: str
    bad_records: list[BadRecord] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)

    @property
    def records(self) -> int:
        """Data records in the file, readable or not."""
        return self.frame.height + len(self.bad_records)


def read_delivery_csv(
    data: bytes,
    *,
    file: str,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    tags: dict[str, str] | None = None,
) -> CsvTable:
    """Parse ``data`` (the bytes of ``file``) against the columns the contract knows.

    The frame holds the contract's columns in contract order (absent optional ones as nulls),
    the line number of every record, and a constant column per entry of ``tags``.
    """
    tags = tags or {}
    if data.startswith(BOM):
        data = data[len(BOM) :]
    if not data.strip():
        raise ContractError(f"{file}: the file is empty (no header row)", reason="empty_file")
    raw = np.frombuffer(data, dtype=np.uint8)
    bad_bytes = _invalid_byte_positions(data, raw)
    if bad_bytes.size > _MAX_BAD_BYTES:
        raise ContractError(
            f"{file}: not a UTF-8 text file ({bad_bytes.size} invalid or NUL bytes)",
            reason="not_text",
        )
    quote_parity = np.bitwise_and(np.cumsum(raw == QUOTE, dtype=np.uint8), 1)
    if raw.size and quote_parity[-1]:
        line = _line_of(raw, _last_unclosed_quote(raw, quote_parity))
        raise ContractError(
            f"{file}: line {line}: a quoted field is never closed; the file cannot be read",
            reason="unbalanced_quote",
        )
    outside = quote_parity == 0
    ends = np.flatnonzero((raw == NEWLINE) & outside)
    if ends.size == 0 or ends[-1] != raw.size - 1:
        ends = np.append(ends, raw.size)  # last record without a final line end
    starts = np.concatenate(([0], ends[:-1] + 1))
    blank = _blank_records(raw, starts, ends)
    header_end = int(ends[0])
    header_bytes = data[:header_end].rstrip(b"\r")
    delimiter = _detect_delimiter(header_bytes, required)
    header = _parse_header(header_bytes, delimiter, file=file)
    _check_header(header, required, file=file)

    delim_pos = np.flatnonzero((raw == ord(delimiter)) & outside)
    fields = np.diff(np.searchsorted(delim_pos, np.append(starts, raw.size))) + 1
    line_numbers = _line_numbers(raw, starts)

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
    frame = _parse_records(data, raw, starts, ends, keep, header, delimiter, file=file)
    known = set(required) | set(optional)
    unknown = [name for name in header if name not in known]
    last = header[-1]  # a CRLF file leaves a '\r' at the end of the last field

    def column(name: str) -> pl.Expr:
        if name not in header:
            return pl.lit(None, dtype=pl.String).alias(name)
        return pl.col(name).str.strip_suffix("\r") if name == last else pl.col(name)

    frame = frame.select(
        *(column(name) for name in (*required, *optional)),
        pl.lit(pl.Series(LINE_COLUMN, line_numbers[keep], dtype=pl.Int64)),
        *(pl.lit(value).alias(name) for name, value in tags.items()),
    )
    bad = sorted(reasons.values(), key=lambda record: record.line)
    return CsvTable(file, frame, delimiter, bad, unknown)


def _invalid_byte_positions(data: bytes, raw: np.ndarray) -> np.ndarray:
    """Byte offsets of NULs and of bytes that do not decode as UTF-8."""
    positions: list[int] = np.flatnonzero(raw == 0)[: _MAX_BAD_BYTES + 1].tolist()
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


def _last_unclosed_quote(raw: np.ndarray, parity: np.ndarray) -> int:
    opening = np.flatnonzero((raw == QUOTE) & (parity == 1))
    return int(opening[-1]) if opening.size else 0


def _line_of(raw: np.ndarray, offset: int) -> int:
    return int(np.count_nonzero(raw[:offset] == NEWLINE)) + 1


def _line_numbers(raw: np.ndarray, starts: np.ndarray) -> np.ndarray:
    newlines = np.flatnonzero(raw == NEWLINE)
    return np.searchsorted(newlines, starts, side="left") + 1


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
    data: bytes,
    raw: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    keep: np.ndarray,
    header: list[str],
    delimiter: str,
    *,
    file: str,
) -> pl.DataFrame:
    schema = {f"_c{i}": pl.String for i in range(len(header))}
    if keep.size == 0:
        frame = pl.DataFrame(schema=schema)
    else:
        body = _select_records(data, raw, starts, ends, keep)
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
        if frame.height != keep.size:
            raise ContractError(
                f"{file}: {keep.size} records found but {frame.height} parsed", reason="unreadable"
            )
    return frame.rename({f"_c{i}": name for i, name in enumerate(header)})


def _select_records(
    data: bytes, raw: np.ndarray, starts: np.ndarray, ends: np.ndarray, keep: np.ndarray
) -> bytes:
    """The bytes of the kept records, each ending in a newline."""
    if keep.size == starts.size - 1 and keep[0] == 1:
        body = data[int(starts[1]) :]
        return body if body.endswith(b"\n") else body + b"\n"
    mask = np.zeros(raw.size + 1, dtype=np.int8)
    np.add.at(mask, starts[keep], 1)
    np.add.at(mask, np.minimum(ends[keep] + 1, raw.size), -1)
    selected = np.cumsum(mask[:-1]).astype(bool)
    body = bytes(raw[selected].tobytes())
    return body if body.endswith(b"\n") else body + b"\n"
