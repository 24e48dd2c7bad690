"""Atomic file writes: write a temporary file beside the target, flush it to disk, rename it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl


@contextlib.contextmanager
def _temporary_beside(target: Path) -> Iterator[Path]:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def fsync_path(path: Path) -> None:
    """Flush a file or directory to disk."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    descriptor = os.open(path, flags)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_bytes(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` atomically."""
    with _temporary_beside(target) as temporary:
        temporary.write_bytes(data)
        fsync_path(temporary)
        temporary.replace(target)
    fsync_path(target.parent)


def write_text(target: Path, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))


def write_parquet(target: Path, frame: pl.DataFrame) -> None:
    """Replace ``target`` with ``frame`` as Parquet atomically."""
    with _temporary_beside(target) as temporary:
        frame.write_parquet(temporary, compression="zstd", statistics=True)
        fsync_path(temporary)
        temporary.replace(target)
    fsync_path(target.parent)


def write_csv(target: Path, frame: pl.DataFrame) -> None:
    """Replace ``target`` with ``frame`` as CSV atomically."""
    with _temporary_beside(target) as temporary:
        frame.write_csv(temporary)
        fsync_path(temporary)
        temporary.replace(target)
    fsync_path(target.parent)
