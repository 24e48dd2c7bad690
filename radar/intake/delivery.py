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
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
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
from radar.intake.csvfile import ScannedCsv, parse_scanned, scan_delivery_csv
from radar.intake.persons import intake_persons, normalised_persons
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
    #: Per file, the columns in which an ``=`` occurs (only they can hold a formula value).
    formula_candidates: dict[str, frozenset[str]]
    warnings: list[str] = field(default_factory=list)

    def without_records(self) -> RawDelivery:
        """This delivery without the records it read (plaintext): its id, fingerprint,
        counts, warnings and quarantine records of unreadable records stay."""
        return replace(
            self,
            signals=self.signals.clear(),
            persons=self.persons.clear(),
            erasures=self.erasures.clear(),
        )


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

    def without_records(self) -> BatchIntake:
        """This batch with its deliveries' records as read dropped (``RawDelivery``): once the
        batch is pseudonymised, a run holds no plaintext of them."""
        return replace(self, accepted=[raw.without_records() for raw in self.accepted])

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


def _check_manifest(delivery_id: str, data: bytes | None, counts: dict[str, int]) -> list[str]:
    if data is None:
        return []
    try:
        manifest = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ContractError(
            f"{v.MANIFEST_FILE}: not valid JSON", delivery=delivery_id, reason="manifest_unreadable"
        ) from error
    if not isinstance(manifest, dict):
        raise ContractError(
            f"{v.MANIFEST_FILE}: not a JSON object",
            delivery=delivery_id,
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
                delivery=delivery_id,
                reason="manifest_mismatch",
            )
    if "signals_rows" in manifest and "persons_rows" in manifest:
        return []
    return [f"{v.MANIFEST_FILE}: row counts absent, not checked"]


_COLUMNS = {
    v.SIGNALS_FILE: (v.SIGNAL_REQUIRED, v.SIGNAL_OPTIONAL),
    v.PERSONS_FILE: (v.PERSON_REQUIRED, v.PERSON_OPTIONAL),
    v.ERASURES_FILE: (v.ERASURE_REQUIRED, ()),
}


@dataclass(frozen=True)
class _ScannedDelivery:
    """A delivery's files after the structure pass, before its records are parsed."""

    delivery_id: str
    fingerprint: str
    manifest: bytes | None
    tables: dict[str, ScannedCsv]


def _scan(path: Path) -> _ScannedDelivery:
    delivery_id = path.name
    files = _load(path)
    for name in (v.SIGNALS_FILE, v.PERSONS_FILE):
        if name not in files:
            raise ContractError(f"{name} is missing", delivery=delivery_id, reason="missing_file")
    tables = {}
    for name, (required, optional) in _COLUMNS.items():
        if name not in files:
            continue
        try:
            tables[name] = scan_delivery_csv(
                files[name], file=name, required=required, optional=optional
            )
        except ContractError as error:
            # The files are read in order: a file before this one that cannot be parsed is
            # what rejects the delivery.
            earlier = _parse([_ScannedDelivery(delivery_id, "", None, tables)])[0].values()
            first = next((e for e in earlier if isinstance(e, ContractError)), error)
            raise ContractError(str(first), delivery=delivery_id, reason=first.reason) from first
    return _ScannedDelivery(delivery_id, _fingerprint(files), files.get(v.MANIFEST_FILE), tables)


def _parse(scanned: list[_ScannedDelivery]) -> list[dict[str, pl.DataFrame | ContractError]]:
    """Parse the records of every scanned file, each kind of file in as few calls as it takes."""
    frames: list[dict[str, pl.DataFrame | ContractError]] = [{} for _ in scanned]
    for name, (required, optional) in _COLUMNS.items():
        owners = [i for i, delivery in enumerate(scanned) if name in delivery.tables]
        parsed = parse_scanned(
            [scanned[i].tables[name] for i in owners],
            required=required,
            optional=optional,
            tags=[{"delivery_id": scanned[i].delivery_id} for i in owners],
        )
        for i, frame in zip(owners, parsed, strict=True):
            frames[i][name] = frame
    return frames


def _assemble(
    scanned: _ScannedDelivery, frames: dict[str, pl.DataFrame | ContractError]
) -> RawDelivery:
    delivery_id = scanned.delivery_id
    parsed: dict[str, pl.DataFrame] = {}
    for name, frame in frames.items():
        if isinstance(frame, ContractError):
            raise ContractError(str(frame), delivery=delivery_id, reason=frame.reason) from frame
        parsed[name] = frame
    tables = scanned.tables
    counts = {name: table.records for name, table in tables.items()}
    warnings = _check_manifest(delivery_id, scanned.manifest, counts)
    warnings += [
        f"{table.file}: unknown column '{name}' ignored"
        for table in tables.values()
        for name in table.unknown_columns
    ]
    bad = [(name, table.bad_records) for name, table in tables.items() if table.bad_records]
    return RawDelivery(
        delivery_id=delivery_id,
        fingerprint=scanned.fingerprint,
        signals=parsed[v.SIGNALS_FILE],
        persons=parsed[v.PERSONS_FILE],
        erasures=parsed.get(v.ERASURES_FILE, _EMPTY_RAW_ERASURES),
        unreadable=pl.concat(
            [
                unreadable_records(records, delivery_id=delivery_id, file=name)
                for name, records in bad
            ]
        )
        if bad
        else _NO_UNREADABLE,
        received=counts,
        formula_candidates={name: table.formula_candidates for name, table in tables.items()},
        warnings=warnings,
    )


def read_delivery_files(path: Path) -> RawDelivery:
    """Read the files of the delivery in directory ``path``; raise if it must be rejected."""
    scanned = _scan(path)
    return _assemble(scanned, _parse([scanned])[0])


#: Shared by the deliveries whose records are all readable (most): building an empty frame per
#: delivery held the GIL for about 0.3 ms each.
_NO_UNREADABLE = QUARANTINE.empty()

_EMPTY_RAW_ERASURES = pl.DataFrame(
    schema={
        "region_code": pl.String,
        "signal_id": pl.String,
        "_line": pl.Int64,
        "delivery_id": pl.String,
    }
)


def _intake_erasures(
    raw: pl.DataFrame, settings: IntakeSettings, formula_candidates: Collection[str] | None = None
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
            raw,
            list(v.ERASURE_REQUIRED),
            max_field_chars=settings.max_field_chars,
            long_columns={},
            formula_candidates=formula_candidates,
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

    def formula_candidates(file: str) -> set[str]:
        return set().union(*(r.formula_candidates.get(file, frozenset()) for r in raws))

    raw_persons = pl.concat([r.persons for r in raws], rechunk=True)
    # The persons' normalisation needs nothing from the signals: it runs beside the signals'
    # checks (polars frees the GIL), which keep the other core busy.
    with ThreadPoolExecutor(max_workers=1) as pool:
        persons_normalised = pool.submit(normalised_persons, raw_persons)
        signals = intake_signals(
            pl.concat([r.signals for r in raws], rechunk=True),
            file=v.SIGNALS_FILE,
            settings=settings,
            formula_candidates=formula_candidates(v.SIGNALS_FILE),
        )
        unreadable = pl.concat([r.unreadable for r in raws])
        signals_quarantine = pl.concat(
            [unreadable.filter(pl.col("file") == v.SIGNALS_FILE), signals.quarantine]
        )
        persons = intake_persons(
            raw_persons,
            signals=signals.accepted,
            quarantined_signals=signals_quarantine,
            file=v.PERSONS_FILE,
            settings=settings,
            formula_candidates=formula_candidates(v.PERSONS_FILE),
            normalised=persons_normalised.result(),
        )
    erasures, erasures_quarantine = _intake_erasures(
        pl.concat([r.erasures for r in raws]), settings, formula_candidates(v.ERASURES_FILE)
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
        if not rejected:  # the usual case: no pass over the wide frames
            return frame
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
    """Read many deliveries, in order; a delivery that must be rejected gives a :class:`Rejection`.

    The structure pass over each delivery's files runs on a thread pool (numpy releases the
    GIL); then the records of all files alike are parsed together.
    """

    def scan_one(path: Path) -> _ScannedDelivery | Rejection:
        try:
            return _scan(path)
        except ContractError as error:
            return Rejection(path.name, fingerprint(path), error.reason, str(error))

    scans: list[_ScannedDelivery | Rejection] = []
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        for done, scan in enumerate(pool.map(scan_one, paths), start=1):
            scans.append(scan)
            progress.advance("read deliveries", done, len(paths))
    readable = [scan for scan in scans if isinstance(scan, _ScannedDelivery)]
    frames = dict(zip((id(scan) for scan in readable), _parse(readable), strict=True))
    results: list[RawDelivery | Rejection] = []
    for scan in scans:
        if isinstance(scan, Rejection):
            results.append(scan)
            continue
        try:
            results.append(_assemble(scan, frames[id(scan)]))
        except ContractError as error:
            results.append(Rejection(scan.delivery_id, scan.fingerprint, error.reason, str(error)))
    return results
