"""The link stage's output tables (OUTPUT.md section 2), versioned like every store table."""

from __future__ import annotations

import polars as pl

from radar.contract.schemas import TableSchema

#: One row per accepted person row: the engine's pseudonymous person id.
PERSON_LINKS = TableSchema(
    "person_links",
    1,
    {
        "region_code": pl.String(),
        "signal_id": pl.String(),
        "person_seq": pl.Int32(),
        "person_id": pl.String(),
    },
)

#: One row per accepted signal: its family and its recurrence, judged on earlier signals only.
SIGNAL_FAMILIES = TableSchema(
    "signal_families",
    1,
    {
        "region_code": pl.String(),
        "signal_id": pl.String(),
        "family_id": pl.String(),
        "recurrence_category": pl.String(),
        "prior_signals": pl.Int32(),
        "prior_other_region": pl.Boolean(),
    },
)

#: Internal: every accepted pair, by its rows' ``region|signal|seq|delivery`` keys, with the
#: strength clustering ordered it by (``inf`` for equal BSN tokens) and its ``kind``: ``person``
#: (the same person), ``family`` (a likely match at the same address or phone, a lone signal's
#: attachment) or ``member`` (the other persons of two signals that share one). An incremental
#: run re-clusters from these without recomparing history (``linkage.incremental``). Each row's
#: signal as a 64-bit hash (``linkage.incremental.signal_hash``; v2): a day's run walks the
#: pairs' signal graph without parsing every key (a v1 table gains them when read,
#: ``linkage.incremental.link_state``).
LINK_EDGES = TableSchema(
    "link_edges",
    2,
    {
        "left": pl.String(),
        "right": pl.String(),
        "strength": pl.Float64(),
        "kind": pl.String(),
        "left_signal": pl.UInt64(),
        "right_signal": pl.UInt64(),
    },
)

#: Internal: the Fellegi-Sunter model the links were scored with (m, u and the prior as JSON;
#: no data values), the fingerprint of the settings it belongs to and the rows it was trained on.
LINK_MODEL = TableSchema(
    "link_model",
    1,
    {
        "model": pl.String(),
        "term_frequency": pl.Boolean(),
        "fingerprint": pl.String(),
        "trained_rows": pl.Int64(),
    },
)

#: Internal: the model's term frequencies: per feature, a 64-bit hash of a common value (with
#: its salt group) and the share of rows it takes (``linkage.score.frequency_table``).
LINK_FREQUENCIES = TableSchema(
    "link_frequencies",
    1,
    {"feature": pl.String(), "key": pl.UInt64(), "freq": pl.Float64()},
)
