"""Gate 2, pseudonymised store: no clear identifiers, well-formed tokens, nothing lost.

Tables checked (``frames``): ``persons`` (``PSEUDONYMISED_PERSONS``), ``signals``
(``PSEUDONYMISED_SIGNALS``), ``ledger`` (``DELIVERIES``) and ``quarantine`` (``QUARANTINE``).

* ``schema``: the stored tables have exactly their schema's columns and types;
* ``columns``: no column of either table is named like a clear identifier (``bsn``,
  ``first_names``, ``surname``, ``street``, ``postcode``, ``phone``, ``birth_date``, ``note``, ...);
* ``persons``: tokens are 32 lowercase hex characters, ``key_id`` is ``<label>.<12 hex>``, pc4
  four digits, Bloom filters have bits set but not all (a filter of all ones matches anything);
* ``signals``: ``note_status`` in its set, a redacted note exactly when the status says so,
  and no residual BSN (11-test), phone number, e-mail address or postcode in the redacted notes
  (custom expectations of ``pii``);
* ``ledger``: per accepted delivery, rows received = signals + persons + erasures accepted +
  rows quarantined (nothing lost), the quarantine table holds that many distinct rows of it
  (besides records of rows erased after acceptance), and the store holds no more rows of it
  than were accepted (later versions and erasures may have replaced some).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import polars as pl
from great_expectations.expectations.expectation import Expectation

from expectations.checks import (
    ExpectColumnValuesToBeBetween,
    ExpectColumnValuesToNotBeInSet,
    ExpectColumnValuesToNotBeNull,
    coerce,
    in_set,
    is_true,
    matches,
    schema_expectations,
    schema_table,
)
from expectations.pii import RESIDUAL_PII
from expectations.runner import Gate
from pseudonymise.note_tokens import NOTE_TOKEN_COLUMNS
from pseudonymise.redact import NOTE_STATUSES
from pseudonymise.schema import BLOOM_BITS, BLOOM_COLUMNS, PSEUDONYMISED_PERSONS, TOKEN_COLUMNS
from pseudonymise.signals import PSEUDONYMISED_SIGNALS
from radar.contract.schemas import QUARANTINE
from radar.intake.ledger import DELIVERIES

NAME: Final = "store"
CLEAR_IDENTIFIERS: Final = (
    "bsn",
    "first_names",
    "surname_prefix",
    "surname",
    "birth_date",
    "birth_day",
    "birth_month",
    "street",
    "house_number",
    "house_number_suffix",
    "postcode",
    "city",
    "phone",
    "email",
    "note",
    "name",
)
TOKEN_REGEX: Final = r"^[0-9a-f]{32}$"  # noqa: S105 (a format, not a secret)
KEY_ID_REGEX: Final = r"^[A-Za-z0-9_.\-/]+\.[0-9a-f]{12}$"


def _persons(persons: pl.DataFrame) -> pl.DataFrame:
    bits = {
        f"{name}_bits": pl.col(name).arr.eval(pl.element().bitwise_count_ones()).arr.sum()
        for name in BLOOM_COLUMNS
        if name in persons.columns
    }
    keep = [
        c
        for c in ("region_code", "signal_id", "person_seq", "pc4", "key_id", *TOKEN_COLUMNS)
        if c in persons.columns
    ]
    return persons.select(*keep, **bits)


def _signals(signals: pl.DataFrame) -> pl.DataFrame:
    redacted = pl.col("note_status") == "redacted"
    return signals.select(
        "region_code",
        "signal_id",
        "note_status",
        "note_redacted",
        note_matches_status=redacted == pl.col("note_redacted").is_not_null(),
        # what a note names leaves the pseudonymise stage only as keyed tokens
        note_tokens_are_tokens=pl.concat_list(*NOTE_TOKEN_COLUMNS)
        .list.eval(pl.element().str.contains(TOKEN_REGEX))
        .list.all()
        .fill_null(False),
    )


def _ledger(
    ledger: pl.DataFrame, quarantine: pl.DataFrame, persons: pl.DataFrame, signals: pl.DataFrame
) -> pl.DataFrame:
    def per_delivery(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        return frame.group_by("delivery_id").agg(pl.len().cast(pl.Int64).alias(name))

    # ``signal_erased`` records describe rows accepted first and erased later: the ledger counts
    # them as accepted, so they are left out here.
    quarantined = (
        quarantine.filter(pl.col("reason") != "signal_erased")
        .group_by("delivery_id")
        .agg(pl.struct("file", "line").n_unique().cast(pl.Int64).alias("quarantine_rows"))
    )
    accepted = ledger.filter(pl.col("status") == "accepted")
    joined = (
        accepted.join(quarantined, on="delivery_id", how="left")
        .join(per_delivery(signals, "stored_signals"), on="delivery_id", how="left")
        .join(per_delivery(persons, "stored_persons"), on="delivery_id", how="left")
        .with_columns(pl.col("quarantine_rows", "stored_signals", "stored_persons").fill_null(0))
    )
    accounted = (
        pl.col("signals_accepted")
        + pl.col("persons_accepted")
        + pl.col("erasures_accepted")
        + pl.col("rows_quarantined")
    )
    return joined.select(
        "delivery_id",
        nothing_lost=(pl.col("rows_received") == accounted).fill_null(False),
        quarantine_reconciles=(pl.col("rows_quarantined") == pl.col("quarantine_rows")).fill_null(
            False
        ),
        store_within_accepted=(pl.col("stored_signals") <= pl.col("signals_accepted"))
        & (pl.col("stored_persons") <= pl.col("persons_accepted")),
    )


def prepare(frames: Mapping[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    persons, signals = frames["persons"], frames["signals"]
    quarantine, ledger = frames["quarantine"], frames["ledger"]
    columns = pl.DataFrame(
        {
            "table": ["persons"] * persons.width + ["signals"] * signals.width,
            "column": [*persons.columns, *signals.columns],
        }
    )
    return {
        "schema": pl.concat(
            [
                schema_table("persons", persons, PSEUDONYMISED_PERSONS.columns),
                schema_table("signals", signals, PSEUDONYMISED_SIGNALS.columns),
            ]
        ),
        "columns": columns,
        "persons": _persons(coerce(persons, PSEUDONYMISED_PERSONS.columns)),
        "signals": _signals(coerce(signals, PSEUDONYMISED_SIGNALS.columns)),
        "ledger": _ledger(
            coerce(ledger, DELIVERIES.columns),
            coerce(quarantine, QUARANTINE.columns),
            persons,
            signals,
        ),
    }


def suites() -> dict[str, list[Expectation]]:
    persons: list[Expectation] = [
        *(matches(c, TOKEN_REGEX) for c in TOKEN_COLUMNS),
        matches("key_id", KEY_ID_REGEX),
        ExpectColumnValuesToNotBeNull(column="key_id"),
        matches("pc4", r"^[1-9]\d{3}$"),
        *(
            ExpectColumnValuesToBeBetween(
                column=f"{name}_bits", min_value=1, max_value=BLOOM_BITS - 1
            )
            for name in BLOOM_COLUMNS
        ),
    ]
    signals: list[Expectation] = [
        in_set("note_status", NOTE_STATUSES),
        is_true("note_matches_status"),
        is_true("note_tokens_are_tokens"),
        *(cls(column="note_redacted") for cls in RESIDUAL_PII),
    ]
    return {
        "schema": schema_expectations(),
        "columns": [
            ExpectColumnValuesToNotBeInSet(column="column", value_set=list(CLEAR_IDENTIFIERS))
        ],
        "persons": persons,
        "signals": signals,
        "ledger": [
            is_true(c) for c in ("nothing_lost", "quarantine_reconciles", "store_within_accepted")
        ],
    }


GATE: Final = Gate(NAME, prepare, suites)
