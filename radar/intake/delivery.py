"""Intake of deliveries: read each directory's files, then normalise and check them as one batch.

Reading is per delivery (files, manifest, the CSV structure); normalising and checking run once
over the concatenated batch, with ``delivery_id`` part of every key, so that thousands of small
deliveries cost about as much as one large one. A delivery is rejected whole when a file cannot
be read, a required file or column is missing, the manifest does not match, or more than
``max_bad_row_share`` of its rows break the contract.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from radar import progress
from radar.contract import vocabulary as v
from radar.contract.schemas import (
    FINDINGS,
    INTAKE_ERASURES,
    INTAKE_PERSONS,
    INTAKE_SIGNALS,
    QUARANTINE,
    conform,
)
from radar.errors import ContractError
from radar.intake import normalise as norm
from radar.intake.checks import (
    SIGNAL_ID_PATTERN,
    Check,
    common_checks,
    key_columns,
    records,
    unreadable_records,
)
from radar.intake.csvfile import CsvTable, read_delivery_csv
from radar.intake.persons import intake_persons
from radar.intake.signals import intake_signals
from radar.settings import IntakeSettings

_CONTRACT_FILES = (v.SIGNALS_FILE, v.PERSONS_FILE, v.ERASURES_FILE, v.MANIFEST_FILE)


@dataclass(frozen=True)
class RawDelivery:
    """The readable records of one delivery's files, as strings, before any checks."""

    delivery_id: str
    fingerprint: str
    signals: pl.DataFrame
    persons: pl.DataFrame
    erasures: pl.DataFrame
    unreadable: pl.DataFrame  # quarantine records of records that could not be read
    received: dict[str, int]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Rejection:
    """A delivery rejected whole; it stays in the inbox untouched."""

    delivery_id: str
    fingerprint: str
    reason: str
    message: str


@dataclass(frozen=True)
class BatchIntake:
    """What intake made of a batch of deliveries (rejected deliveries left out)."""

    signals: pl.DataFrame
    persons: pl.DataFrame
    erasures: pl.DataFrame
    quarantine: pl.DataFrame
    findings: pl.DataFrame
    accepted: list[RawDelivery]
    rejections: list[Rejection]

    def counts(self, delivery_id: str) -> dict[str, int]:
        """Accepted, quarantined and finding counts of one accepted delivery."""

        def rows(frame: pl.DataFrame) -> int:
            return frame.filter(pl.col("delivery_id") == delivery_id).height

        quarantined = self.quarantine.filter(pl.col("delivery_id") == delivery_id)
        return {
            "signals_accepted": rows(self.signals),
            "persons_accepted": rows(self.persons),
            "erasures_accepted": rows(self.erasures),
            "rows_quarantined": quarantined.select(pl.struct("file", "line").n_unique()).item(),
            "findings": rows(self.findings),
        }


def fingerprint(path: Path) -> str:
    """SHA-256 over the names and bytes of the delivery's contract files."""
    return _fingerprint(
        {name: (path / name).read_bytes() for name in _CONTRACT_FILES if (path / name).is_file()}
    )


def _fingerprint(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in _CONTRACT_FILES:
        if name in files:
            digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def _read(
    path: Path, name: str, data: bytes, required: tuple[str, ...], optional: tuple[str, ...]
) -> CsvTable:
    try:
        return read_delivery_csv(
            data, file=name, required=required, optional=optional, tags={"delivery_id": path.name}
        )
    except ContractError as error:
        raise ContractError(str(error), delivery=path.name, reason=error.reason) from error


def _load(path: Path) -> dict[str, bytes]:
    files = {}
    for name in _CONTRACT_FILES:
        file = path / name
        if not file.is_file():
            continue
        try:
            files[name] = file.read_bytes()
        except OSError as error:
            raise ContractError(
                f"{name}: cannot be read ({error.strerror})",
                delivery=path.name,
                reason="unreadable",
            ) from error
    return files


def _check_manifest(path: Path, data: bytes | None, counts: dict[str, int]) -> list[str]:
    if data is None:
        return []
    try:
        manifest = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ContractError(
            f"{v.MANIFEST_FILE}: not valid JSON", delivery=path.name, reason="manifest_unreadable"
        ) from error
    if not isinstance(manifest, dict):
        raise ContractError(
            f"{v.MANIFEST_FILE}: not a JSON object",
            delivery=path.name,
            reason="manifest_unreadable",
        )
    for key, file_name in (("signals_rows", v.SIGNALS_FILE), ("persons_rows", v.PERSONS_FILE)):
        if key not in manifest:
            continue
        expected = manifest[key]
        if type(expected) is not int or expected != counts[file_name]:
            raise ContractError(
                f"{v.MANIFEST_FILE}: {key} does not match the {counts[file_name]} data rows "
                f"of {file_name}",
                delivery=path.name,
                reason="manifest_mismatch",
            )
    if "signals_rows" in manifest and "persons_rows" in manifest:
        return []
    return [f"{v.MANIFEST_FILE}: row counts absent, not checked"]


def read_delivery_files(path: Path) -> RawDelivery:
    """Read the files of the delivery in directory ``path``; raise if it must be rejected."""
    delivery_id = path.name
    files = _load(path)
    for name in (v.SIGNALS_FILE, v.PERSONS_FILE):
        if name not in files:
            raise ContractError(f"{name} is missing", delivery=delivery_id, reason="missing_file")
    columns = {
        v.SIGNALS_FILE: (v.SIGNAL_REQUIRED, v.SIGNAL_OPTIONAL),
        v.PERSONS_FILE: (v.PERSON_REQUIRED, v.PERSON_OPTIONAL),
        v.ERASURES_FILE: (v.ERASURE_REQUIRED, ()),
    }
    tables = {
        name: _read(path, name, files[name], *columns[name]) for name in columns if name in files
    }
    counts = {name: table.records for name, table in tables.items()}
    warnings = _check_manifest(path, files.get(v.MANIFEST_FILE), counts)
    warnings += [
        f"{table.file}: unknown column '{name}' ignored"
        for table in tables.values()
        for name in table.unknown_columns
    ]
    bad = [(name, table.bad_records) for name, table in tables.items() if table.bad_records]
    erasures = tables.get(v.ERASURES_FILE)
    return RawDelivery(
        delivery_id=delivery_id,
        fingerprint=_fingerprint(files),
        signals=tables[v.SIGNALS_FILE].frame,
        persons=tables[v.PERSONS_FILE].frame,
        erasures=erasures.frame if erasures is not None else _EMPTY_RAW_ERASURES,
        unreadable=pl.concat(
            [
                unreadable_records(records, delivery_id=delivery_id, file=name)
                for name, records in bad
            ]
        )
        if bad
        else QUARANTINE.empty(),
        received=counts,
        warnings=warnings,
    )


_EMPTY_RAW_ERASURES = pl.DataFrame(
    schema={
        "region_code": pl.String,
        "signal_id": pl.String,
        "_line": pl.Int64,
        "delivery_id": pl.String,
    }
)


def _intake_erasures(
    raw: pl.DataFrame, settings: IntakeSettings
) -> tuple[pl.DataFrame, pl.DataFrame]:
    frame = raw.with_columns(
        norm.code(pl.col("region_code")).alias("n_region_code"),
        norm.blank_to_null(pl.col("signal_id")).alias("n_signal_id"),
    )
    checks = [
        Check(
            "region_code",
            "invalid_value",
            ~pl.col("n_region_code").fill_null("").str.contains(r"^VT\d{2}$"),
        ),
        Check(
            "signal_id",
            "invalid_value",
            ~pl.col("n_signal_id").fill_null("").str.contains(SIGNAL_ID_PATTERN),
        ),
        *common_checks(
            list(v.ERASURE_REQUIRED), max_field_chars=settings.max_field_chars, long_columns={}
        ),
    ]
    broken = pl.any_horizontal(c.failed.fill_null(value=False) for c in checks)
    keys = key_columns(region=pl.col("region_code"), signal=pl.col("signal_id"))
    quarantine = records(frame, checks, keys, file=v.ERASURES_FILE)
    erasures = (
        frame.filter(~broken)
        .select(
            pl.col("n_region_code").alias("region_code"),
            pl.col("n_signal_id").alias("signal_id"),
            pl.col("delivery_id"),
        )
        .unique(
            subset=["delivery_id", "region_code", "signal_id"], keep="first", maintain_order=True
        )
    )
    return conform(erasures, INTAKE_ERASURES), quarantine


def intake_batch(raws: list[RawDelivery], settings: IntakeSettings) -> BatchIntake:
    """Normalise and check a batch of read deliveries; reject those with too many bad rows."""
    if not raws:
        return BatchIntake(
            INTAKE_SIGNALS.empty(),
            INTAKE_PERSONS.empty(),
            INTAKE_ERASURES.empty(),
            QUARANTINE.empty(),
            FINDINGS.empty(),
            [],
            [],
        )
    signals = intake_signals(
        pl.concat([r.signals for r in raws]), file=v.SIGNALS_FILE, settings=settings
    )
    unreadable = pl.concat([r.unreadable for r in raws])
    signals_quarantine = pl.concat(
        [unreadable.filter(pl.col("file") == v.SIGNALS_FILE), signals.quarantine]
    )
    persons = intake_persons(
        pl.concat([r.persons for r in raws]),
        signals=signals.accepted,
        quarantined_signals=signals_quarantine,
        file=v.PERSONS_FILE,
        settings=settings,
    )
    erasures, erasures_quarantine = _intake_erasures(
        pl.concat([r.erasures for r in raws]), settings
    )
    quarantine = pl.concat(
        [
            signals_quarantine,
            unreadable.filter(pl.col("file") != v.SIGNALS_FILE),
            persons.quarantine,
            erasures_quarantine,
        ]
    )
    rejections = _too_many_bad_rows(raws, quarantine, settings)
    rejected = [r.delivery_id for r in rejections]

    def keep(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.filter(~pl.col("delivery_id").is_in(rejected))

    order = ["delivery_id", "file", "line", "column", "reason"]
    return BatchIntake(
        signals=keep(signals.accepted),
        persons=keep(persons.accepted),
        erasures=keep(erasures),
        quarantine=conform(keep(quarantine).sort(order), QUARANTINE),
        findings=conform(
            keep(pl.concat([signals.findings, persons.findings])).sort(order), FINDINGS
        ),
        accepted=[r for r in raws if r.delivery_id not in rejected],
        rejections=rejections,
    )


def _too_many_bad_rows(
    raws: list[RawDelivery], quarantine: pl.DataFrame, settings: IntakeSettings
) -> list[Rejection]:
    bad = quarantine.group_by("delivery_id").agg(pl.struct("file", "line").n_unique().alias("n"))
    bad_rows = dict(zip(bad["delivery_id"].to_list(), bad["n"].to_list(), strict=True))
    rejections = []
    for raw in raws:
        received = sum(raw.received.values())
        count = bad_rows.get(raw.delivery_id, 0)
        if received and count / received > settings.max_bad_row_share:
            first = (
                quarantine.filter(pl.col("delivery_id") == raw.delivery_id)
                .sort("file", "line")
                .row(0, named=True)
            )
            where = f"{first['file']} line {first['line']} column {first['column'] or '-'}"
            rejections.append(
                Rejection(
                    raw.delivery_id,
                    raw.fingerprint,
                    "too_many_bad_rows",
                    f"delivery {raw.delivery_id}: {count} of {received} rows break the contract, "
                    f"more than the allowed share {settings.max_bad_row_share:.0%}; the first: "
                    f"{where}: {first['reason']}",
                )
            )
    return rejections


def read_deliveries(
    paths: list[Path], *, workers: int | None = None
) -> list[RawDelivery | Rejection]:
    """Read many deliveries on a thread pool (numpy and polars release the GIL), in order.

    A delivery that must be rejected gives a :class:`Rejection` in its place.
    """

    def read_one(path: Path) -> RawDelivery | Rejection:
        try:
            return read_delivery_files(path)
        except ContractError as error:
            return Rejection(path.name, fingerprint(path), error.reason, str(error))

    results: list[RawDelivery | Rejection] = []
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        for done, result in enumerate(pool.map(read_one, paths), start=1):
            results.append(result)
            progress.advance("read deliveries", done, len(paths))
    return results
