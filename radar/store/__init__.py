"""The embedded data store: versioned Parquet snapshots committed atomically, one writer at a time.

Layout of a data directory::

    DATA/
      radar-store.json          store format version
      .lock                     held (flock) by the run that writes
      CURRENT                   name of the committed snapshot, e.g. ``v000007``
      snapshots/v000007/        one Parquet file per table + manifest.json (schemas, row counts)
      work/                     a run's transient stage hand-offs; removed when the run ends
      reports/                  human-facing outputs (run summaries, quality reports)

A run reads the committed snapshot, builds the next one in ``snapshots/<name>.tmp``, renames it
into place and then replaces ``CURRENT`` (an atomic rename). A crash at any point leaves the
previous snapshot committed; leftovers are removed when the store is next opened for writing.
Older snapshots are deleted after a commit, so erased data does not survive in them.
"""

from radar.store.snapshot import DataStore, Snapshot

__all__ = ["DataStore", "Snapshot"]
