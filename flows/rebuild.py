"""On-demand full rebuild: every delivery of the inbox, from an empty store, as the next snapshot.

The same stages as the daily run (``flows.run``) over the whole inbox, as if no delivery had
been processed before. The new snapshot is built beside the current one and committed
atomically, so readers see the old store or the rebuilt one, never a mixture. Use it after a
key rotation or an engine change; on an unchanged inbox it gives the same tables as the daily
runs did one by one. Persons are relinked with the store's linkage model unless asked to
retrain (``retrain``), or the model no longer fits the settings.
"""

from __future__ import annotations

from prefect import flow

from flows.run import RunSummary, process_inbox


@flow(name="radar-rebuild", log_prints=False)
def radar_rebuild(inbox: str, data: str, retrain: bool = False) -> RunSummary:
    """Rebuild the data store ``data`` from every delivery in ``inbox``; persons are relinked
    with the store's linkage model (the same partition as the daily runs found) or, with
    ``retrain``, with a model trained anew."""
    return process_inbox(inbox, data, rebuild=True, retrain=retrain)
