"""Snapshots of the store's tables and their atomic commit (layout: see the package docstring)."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import polars as pl

from radar.contract.schemas import TableSchema, conform
from radar.errors import StoreError
from radar.store.atomic import fsync_path, write_parquet, write_text

STORE_FORMAT: Final = 1
_MARKER: Final = "radar-store.json"
_CURRENT: Final = "CURRENT"
_SNAPSHOTS: Final = "snapshots"


@dataclass(frozen=True)
class Snapshot:
    """A committed, read-only set of tables."""

    path: Path | None
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name if self.path else "(empty)"

    def has(self, table: TableSchema) -> bool:
        return table.name in self.manifest.get("tables", {})

    def file(self, table: TableSchema) -> Path | None:
        if self.path is None or not self.has(table):
            return None
        return self.path / f"{table.name}.parquet"

    @classmethod
    def at(cls, path: Path) -> Snapshot:
        """The committed snapshot in the directory ``path``."""
        try:
            manifest = json.loads((path / "manifest.json").read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise StoreError(f"snapshot {path.name} is unreadable") from error
        return cls(path, manifest)

    def read(self, table: TableSchema, columns: list[str] | None = None) -> pl.DataFrame:
        """The table (only ``columns`` of it, when given), or an empty frame of its schema
        when the snapshot does not hold it."""
        file = self.file(table)
        if file is None:
            empty = table.empty()
            return empty.select(columns) if columns else empty
        recorded = self.manifest["tables"][table.name]["version"]
        if recorded != table.version:
            raise StoreError(
                f"snapshot {self.name}: table {table.name} has schema v{recorded}, this engine "
                f"reads v{table.version}; rebuild the store with this version"
            )
        if columns:
            return pl.read_parquet(file, columns=columns).cast(
                {c: table.columns[c] for c in columns}
            )
        return conform(pl.read_parquet(file), table)


class DataStore:
    """A data directory holding committed snapshots."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def snapshots(self) -> Path:
        return self.path / _SNAPSHOTS

    @property
    def work(self) -> Path:
        return self.path / "work"

    @property
    def reports(self) -> Path:
        return self.path / "reports"

    def initialise(self) -> None:
        """Create the layout of a new store, or check an existing one's format."""
        marker = self.path / _MARKER
        if marker.is_file():
            found = json.loads(marker.read_text()).get("format")
            if found != STORE_FORMAT:
                raise StoreError(f"{self.path} holds store format {found}, expected {STORE_FORMAT}")
            return
        if self.path.exists() and any(self.path.iterdir()):
            names = {p.name for p in self.path.iterdir()}
            if not names <= {".lock", "work", "reports"}:
                raise StoreError(f"{self.path} is not empty and is not a Radar data store")
        self.snapshots.mkdir(parents=True, exist_ok=True)
        write_text(marker, json.dumps({"format": STORE_FORMAT}) + "\n")

    def current(self) -> Snapshot:
        """The committed snapshot (an empty one for a new store)."""
        pointer = self.path / _CURRENT
        if not pointer.is_file():
            return Snapshot(None)
        return Snapshot.at(self.snapshots / pointer.read_text().strip())

    def next_name(self) -> str:
        """The name the next commit will give its snapshot."""
        base = self.current()
        return f"v{int(base.name[1:]) + 1 if base.path else 1:06d}"

    def remove_leftovers(self) -> None:
        """Delete what a crashed run left: unfinished or uncommitted snapshots, work files,
        temporary files of an atomic write, and reports of a snapshot that was never committed.
        """
        current = self.current().name
        if self.snapshots.is_dir():
            for entry in self.snapshots.iterdir():
                if entry.name != current:
                    shutil.rmtree(entry, ignore_errors=True)
        shutil.rmtree(self.work, ignore_errors=True)
        if self.path.is_dir():
            for temporary in self.path.glob(".*.tmp"):
                temporary.unlink(missing_ok=True)
        runs = self.reports / "runs"
        if runs.is_dir():
            uncommitted = self.next_name()  # written before a commit that did not happen
            shutil.rmtree(runs / uncommitted, ignore_errors=True)
            for temporary in runs.glob("*/.*.tmp"):
                temporary.unlink(missing_ok=True)

    def commit(
        self, tables: dict[TableSchema, pl.DataFrame | None], *, meta: dict[str, Any]
    ) -> Snapshot:
        """Write the next snapshot: given tables anew, ``None`` ones carried over unchanged.

        Tables of the current snapshot that are not named are carried over too.
        """
        base = self.current()
        name = self.next_name()
        staging = self.snapshots / f"{name}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        entries: dict[str, Any] = {}
        carried = dict(base.manifest.get("tables", {}).items())
        for table, frame in tables.items():
            carried.pop(table.name, None)
            target = staging / f"{table.name}.parquet"
            if frame is None:
                source = base.file(table)
                if source is None:
                    continue
                os.link(source, target)
                entries[table.name] = base.manifest["tables"][table.name]
                continue
            frame = conform(frame, table)
            write_parquet(target, frame)
            entries[table.name] = {"version": table.version, "rows": frame.height}
        for table_name, info in carried.items():
            assert base.path is not None
            os.link(base.path / f"{table_name}.parquet", staging / f"{table_name}.parquet")
            entries[table_name] = info
        manifest = {
            "snapshot": name,
            "parent": base.name if base.path else None,
            "tables": dict(sorted(entries.items())),
            **meta,
        }
        write_text(staging / "manifest.json", json.dumps(manifest, indent=2, default=str) + "\n")
        fsync_path(staging)
        final = self.snapshots / name
        staging.rename(final)
        fsync_path(self.snapshots)
        write_text(self.path / _CURRENT, name + "\n")
        self.remove_leftovers()
        return Snapshot(final, manifest)
