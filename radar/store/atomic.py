"""Atomic file writes: write a temporary file beside the target, flush it to disk, rename it."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

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


def write_parquet(
    target: Path, frame: pl.DataFrame, compression: Literal["zstd", "lz4"] = "zstd"
) -> None:
    """Replace ``target`` with ``frame`` as Parquet atomically (``lz4``: faster to write and
    read, larger; for a file a run reads back itself)."""
    with _temporary_beside(target) as temporary:
        frame.write_parquet(temporary, compression=compression, statistics=True)
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


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directory entries in one step (Linux ``renameat2``); False where unsupported."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(done == 0)


def swap_directory(staging: Path, target: Path) -> None:
    """Put the finished directory ``staging`` in place of ``target`` and delete the old one.

    ``staging`` must be a sibling of ``target`` (same file system). Where the kernel can swap
    two entries at once (Linux ``renameat2(RENAME_EXCHANGE)``) a reader sees the old or the new
    directory, never none; elsewhere the old one is renamed aside first (a moment without it).
    A crash leaves the old directory in place, or (fallback only) beside it as ``.<name>.old``.
    """
    fsync_path(staging)
    if not target.exists():
        staging.rename(target)
    elif _exchange(staging, target):
        shutil.rmtree(staging)  # now holds the old directory
    else:
        aside = target.with_name(f".{target.name}.old")
        shutil.rmtree(aside, ignore_errors=True)
        target.rename(aside)
        staging.rename(target)
        shutil.rmtree(aside)
    fsync_path(target.parent)
