"""Writing deliveries as the regions' exporters do: delimiter, BOM, line ends, extra columns."""

from __future__ import annotations

import io
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from radar.contract.vocabulary import (
    ERASURES_FILE,
    MANIFEST_FILE,
    PERSON_OPTIONAL,
    PERSON_REQUIRED,
    PERSONS_FILE,
    SIGNAL_OPTIONAL,
    SIGNAL_REQUIRED,
    SIGNALS_FILE,
)
from radar.synth import rates

SIGNAL_COLUMNS = (*SIGNAL_REQUIRED, *SIGNAL_OPTIONAL)
PERSON_COLUMNS = (*PERSON_REQUIRED, *PERSON_OPTIONAL)


@dataclass(frozen=True)
class Profile:
    """What one region's exporter does."""

    semicolon: bool = False
    bom: bool = False
    crlf: bool = False
    dd_mm_yyyy: bool = False
    category_case: bool = False
    extra_columns: bool = False
    column_order: int = 0  # 0 = contract order, else a seed for a permutation


def make_profiles(codes: list[str], seed: int) -> dict[str, Profile]:
    """A profile per delivering region code; ``NL`` (national re-deliveries) is plain."""
    out: dict[str, Profile] = {"NL": Profile()}
    for code in codes:
        rng = np.random.default_rng([seed, zlib.crc32(code.encode())])
        u = rng.random(len(rates.EXPORT_PROFILE_RATES))
        flags = {
            k: bool(x < r) for (k, r), x in zip(rates.EXPORT_PROFILE_RATES.items(), u, strict=True)
        }
        order = int(rng.integers(1, 1 << 30)) if flags.pop("column_order") else 0
        out[code] = Profile(**flags, column_order=order)
    return out


def _ordered(columns: tuple[str, ...], profile: Profile) -> list[str]:
    cols = list(columns)
    if profile.column_order:
        perm = np.random.default_rng(profile.column_order).permutation(len(cols))
        cols = [cols[i] for i in perm]
    return cols


def to_csv_bytes(frame: pl.DataFrame, profile: Profile) -> bytes:
    """CSV bytes with the profile's delimiter, BOM and line ends."""
    buf = io.BytesIO()
    frame.write_csv(buf, separator=";" if profile.semicolon else ",")
    data = buf.getvalue()
    if profile.crlf:
        data = data.replace(b"\n", b"\r\n")
    if profile.bom:
        data = b"\xef\xbb\xbf" + data
    return data


def write_delivery(
    directory: Path,
    region: str,
    name: str,
    signals: pl.DataFrame,
    persons: pl.DataFrame,
    erasures: pl.DataFrame | None,
    profile: Profile,
    manifest: bool,
) -> None:
    """One delivery directory: signals.csv, persons.csv, maybe erasures.csv and delivery.json."""
    directory.mkdir(parents=True, exist_ok=True)
    s_cols = _ordered(SIGNAL_COLUMNS, profile)
    p_cols = _ordered(PERSON_COLUMNS, profile)
    s = signals.select(s_cols)
    p = persons.select(p_cols)
    if profile.extra_columns:
        s = s.with_columns(
            behandelteam=pl.lit("team ") + (pl.int_range(pl.len()) % 7 + 1).cast(pl.Utf8),
            export_versie=pl.lit("4.2"),
        )
        p = p.with_columns(bron_systeem=pl.lit("regsys"))
    (directory / SIGNALS_FILE).write_bytes(to_csv_bytes(s, profile))
    (directory / PERSONS_FILE).write_bytes(to_csv_bytes(p, profile))
    if erasures is not None and erasures.height:
        (directory / ERASURES_FILE).write_bytes(
            to_csv_bytes(erasures.select("region_code", "signal_id"), profile)
        )
    if manifest:
        doc = {
            "region_code": region,
            "delivery_id": name,
            "created_at": f"{name[:10]}T22:00:00+00:00",
            "signals_rows": s.height,
            "persons_rows": p.height,
        }
        (directory / MANIFEST_FILE).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def wants_manifest(name: str, seed: int) -> bool:
    """Most deliveries carry a manifest; the choice is fixed by name and seed."""
    return (zlib.crc32(f"{seed}:{name}".encode()) % 1000) < rates.MANIFEST_SHARE * 1000
