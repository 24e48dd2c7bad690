"""Gate 1, intake: the normalised intake tables keep the input contract.

Tables checked (``frames``): ``signals`` (``INTAKE_SIGNALS``), ``persons`` (``INTAKE_PERSONS``),
``quarantine`` (``QUARANTINE``).

* ``schema``: every column of the three schemas present with its type, nothing else;
* ``signals``: keys present and unique within a delivery (a batch may hold several versions of
  a signal, one per delivery), category values in their sets, region code valid on
  ``received_on`` (reference data), ``received_on`` between the earliest date and the reference
  day, ``closed_on`` not before ``received_on``, every violence form known;
* ``persons``: keys present and unique within a delivery and pointing to an accepted signal of
  the same delivery, role, sex and BSN status in their sets, BSNs nine digits passing the
  11-test, the share of rows whose BSN failed the 11-test below ``max_invalid_bsn_share``,
  postcode, phone and municipality code in their normalised forms, and (a warning: people move
  and live elsewhere) the municipality belonging to the signal's region in the year of the
  signal;
* ``quarantine``: every record says where (delivery, file, line) and why.

``findings`` turns the rows that fail a row-level check into quarantine records (reason
``gate:<check>``), to feed the quarantine table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final

import polars as pl
from great_expectations.expectations.expectation import Expectation

from expectations.checks import (
    WARNING,
    ExpectColumnValuesToBeBetween,
    ExpectColumnValuesToNotBeInSet,
    ExpectCompoundColumnsToBeUnique,
    coerce,
    in_set,
    is_true,
    matches,
    not_null,
    schema_expectations,
    schema_table,
)
from expectations.pii import ExpectColumnValuesToBeValidBsn
from expectations.runner import Gate
from radar.contract import vocabulary as v
from radar.contract.schemas import INTAKE_PERSONS, INTAKE_SIGNALS, QUARANTINE
from radar.reference import municipalities_2022, vt_regions

NAME: Final = "intake"
BSN_STATUSES: Final = ("valid", "missing", "unknown", "unborn", "invalid")
#: Row-level check columns of the prepared tables, with the column a finding names.
ROW_CHECKS: Final[dict[str, dict[str, str]]] = {
    "signals": {
        "region_valid_on_date": "region_code",
        "received_in_range": "received_on",
        "closed_after_received": "closed_on",
        "violence_forms_known": "violence_forms",
    },
    "persons": {"has_signal": "signal_id"},
}


def _signals(signals: pl.DataFrame, earliest: dt.date, today: dt.date) -> pl.DataFrame:
    regions = vt_regions().select(
        pl.col("vt_region_code").alias("region_code"), "valid_from", "valid_to"
    )
    forms = pl.col("violence_forms")
    return signals.join(regions, on="region_code", how="left", maintain_order="left").select(
        "region_code",
        "signal_id",
        "kind",
        "relation_type",
        "reporter_type",
        "reporter_sector",
        "safety_assessment",
        "delivery_id",
        "source_line",
        region_valid_on_date=(
            (pl.col("received_on") >= pl.col("valid_from"))
            & (pl.col("valid_to").is_null() | (pl.col("received_on") <= pl.col("valid_to")))
        ).fill_null(False),
        received_in_range=pl.col("received_on").is_between(earliest, today).fill_null(False),
        closed_after_received=pl.col("closed_on") >= pl.col("received_on"),
        violence_forms_known=forms.list.eval(pl.element().is_in(v.VIOLENCE_FORMS))
        .list.all()
        .fill_null(True),
    )


def _persons(persons: pl.DataFrame, signals: pl.DataFrame) -> pl.DataFrame:
    key = ["delivery_id", "region_code", "signal_id"]  # a person's signal is in its delivery
    year = signals.select(*key, pl.col("received_on").dt.year().alias("year"))
    gm = municipalities_2022().select("municipality_code", pl.col("vt_region_code_2022"))
    joined = persons.join(year, on=key, how="left", maintain_order="left").join(
        gm, on="municipality_code", how="left", maintain_order="left"
    )
    region_then = (
        pl.when((pl.col("year") >= 2023) & pl.col("vt_region_code_2022").is_in(["VT16", "VT26"]))
        .then(pl.lit("VT27"))
        .otherwise(pl.col("vt_region_code_2022"))
    )
    return joined.select(
        "region_code",
        "signal_id",
        "person_seq",
        "role",
        "bsn",
        "bsn_status",
        "sex",
        "postcode",
        "phone",
        "municipality_code",
        "delivery_id",
        "source_line",
        has_signal=pl.col("year").is_not_null(),
        municipality_in_region=pl.when(pl.col("municipality_code").is_not_null()).then(
            (region_then == pl.col("region_code")).fill_null(False)
        ),
    )


def make_gate(
    *,
    reference_date: dt.date | None = None,
    earliest_date: dt.date = dt.date(2000, 1, 1),
    max_invalid_bsn_share: float = 0.1,
) -> Gate:
    """The intake gate; dates are judged against ``reference_date`` (today when None)."""
    today = reference_date or dt.date.today()

    def prepare(frames: Mapping[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
        signals, persons = frames["signals"], frames["persons"]
        quarantine = frames.get("quarantine", QUARANTINE.empty())
        schema = pl.concat(
            [
                schema_table("signals", signals, INTAKE_SIGNALS.columns),
                schema_table("persons", persons, INTAKE_PERSONS.columns),
                schema_table("quarantine", quarantine, QUARANTINE.columns),
            ]
        )
        signals = coerce(signals, INTAKE_SIGNALS.columns)
        return {
            "schema": schema,
            "signals": _signals(signals, earliest_date, today),
            "persons": _persons(coerce(persons, INTAKE_PERSONS.columns), signals),
            "quarantine": coerce(quarantine, QUARANTINE.columns).select(QUARANTINE.columns.keys()),
        }

    def suites() -> dict[str, list[Expectation]]:
        signals: list[Expectation] = [
            *(not_null(c) for c in ("region_code", "signal_id", "kind", "delivery_id")),
            ExpectCompoundColumnsToBeUnique(
                column_list=["delivery_id", "region_code", "signal_id"]
            ),
            matches("region_code", r"^VT\d{2}$"),
            in_set("kind", v.KINDS),
            *(in_set(c, vals) for c, vals in v.SIGNAL_CATEGORIES.items()),
            *(is_true(c) for c in ROW_CHECKS["signals"]),
        ]
        persons: list[Expectation] = [
            *(not_null(c) for c in ("region_code", "signal_id", "person_seq", "bsn_status")),
            ExpectCompoundColumnsToBeUnique(
                column_list=["delivery_id", "region_code", "signal_id", "person_seq"]
            ),
            is_true("has_signal"),
            in_set("role", v.ROLES),
            in_set("sex", v.SEXES),
            in_set("bsn_status", BSN_STATUSES),
            ExpectColumnValuesToBeValidBsn(column="bsn"),
            ExpectColumnValuesToNotBeInSet(
                column="bsn_status", value_set=["invalid"], mostly=1.0 - max_invalid_bsn_share
            ),
            matches("postcode", r"^[1-9]\d{3}[A-Z]{2}$"),
            matches("phone", r"^\d{8,15}$"),
            matches("municipality_code", r"^GM\d{4}$"),
            is_true("municipality_in_region", mostly=0.8, severity=WARNING),
        ]
        quarantine: list[Expectation] = [
            *(not_null(c) for c in ("delivery_id", "file", "reason")),
            in_set("file", (v.SIGNALS_FILE, v.PERSONS_FILE, v.ERASURES_FILE, v.MANIFEST_FILE)),
            ExpectColumnValuesToBeBetween(column="line", min_value=0),
        ]
        return {
            "schema": schema_expectations(),
            "signals": signals,
            "persons": persons,
            "quarantine": quarantine,
        }

    return Gate(NAME, prepare, suites)


def findings(prepared: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """Quarantine records (``QUARANTINE`` schema) for the rows failing a row-level check."""
    records = []
    for table, checks in ROW_CHECKS.items():
        frame = prepared[table]
        file = v.SIGNALS_FILE if table == "signals" else v.PERSONS_FILE
        seq = pl.col("person_seq") if "person_seq" in frame.columns else pl.lit(None)
        for check, column in checks.items():
            records.append(
                frame.filter(pl.col(check).not_()).select(
                    "delivery_id",
                    pl.lit(file).alias("file"),
                    pl.col("source_line").alias("line"),
                    "region_code",
                    "signal_id",
                    seq.cast(pl.Int32).alias("person_seq"),
                    pl.lit(column).alias("column"),
                    pl.lit(f"gate:{check}").alias("reason"),
                )
            )
    return pl.concat(records).select(QUARANTINE.columns.keys()) if records else QUARANTINE.empty()


def quarantine_findings(
    signals: pl.DataFrame, persons: pl.DataFrame, quarantine: pl.DataFrame, found: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Move the rows named by ``found`` (from ``findings``) out of the tables into quarantine.

    A quarantined signal takes its persons of the same delivery along (reason
    ``signal_quarantined``, as intake does). Returns signals, persons and quarantine.
    """
    if found.height == 0:
        return signals, persons, quarantine
    signal_key = ["delivery_id", "region_code", "signal_id"]
    bad_signals = found.filter(pl.col("file") == v.SIGNALS_FILE).select(signal_key).unique()
    orphans = persons.join(bad_signals, on=signal_key, how="semi").select(
        "delivery_id",
        pl.lit(v.PERSONS_FILE).alias("file"),
        pl.col("source_line").alias("line"),
        "region_code",
        "signal_id",
        pl.col("person_seq").cast(pl.Int32),
        pl.lit("signal_id").alias("column"),
        pl.lit("signal_quarantined").alias("reason"),
    )
    records = pl.concat(
        [found.select(QUARANTINE.columns.keys()), orphans.select(QUARANTINE.columns.keys())],
        how="vertical_relaxed",
    )
    # one record per row and reason: a person flagged itself and through its signal keeps both
    records = records.unique(maintain_order=True)
    person_key = [*signal_key, "person_seq"]
    bad_persons = records.filter(pl.col("file") == v.PERSONS_FILE).select(
        *signal_key, pl.col("person_seq")
    )
    kept_persons = persons.join(
        bad_persons.with_columns(pl.col("person_seq").cast(persons.schema["person_seq"])),
        on=person_key,
        how="anti",
    )
    kept_signals = signals.join(bad_signals, on=signal_key, how="anti")
    return (
        kept_signals,
        kept_persons,
        pl.concat([quarantine, records.cast(quarantine.schema)], how="vertical_relaxed"),
    )
