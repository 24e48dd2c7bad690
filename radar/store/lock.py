"""One writer at a time: an advisory ``flock`` on ``DATA/.lock``, released even on SIGKILL."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from radar.errors import StoreLockedError


@contextlib.contextmanager
def store_lock(data_dir: Path, *, timeout_seconds: float = 0.0) -> Iterator[None]:
    """Hold the store's lock for the block; raise :class:`StoreLockedError` if another run has it.

    The kernel releases a ``flock`` when its process dies, so a killed run never leaves a stale
    lock behind. The pid written into the file is only for the message to a second run.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / ".lock"
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout_seconds
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
                    raise StoreLockedError(
                        f"the data store {data_dir} is in use by another run"
                        + (f" (pid {holder})" if holder else "")
                        + "; wait for it to finish, then run again"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock
