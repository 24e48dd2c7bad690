"""Quality of a linkage run against the synthetic generator's truth.

Pairwise precision, recall and F1 come from contingency tables, never from enumerating pairs:
with ``n_ij`` the rows in predicted cluster i and true cluster j, the true positive pairs are
``sum C(n_ij, 2)``, the predicted pairs ``sum_i C(n_i., 2)`` and the true pairs
``sum_j C(n_.j, 2)``. Identifiable-pair metrics restrict the rows to identifiable ones (a valid
BSN, or a surname with at least year and month of the birth date), so the pairs counted are
pairs of identifiable rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl

KEY: Final = ["region_code", "signal_id", "person_seq"]
SIGNAL_KEY: Final = ["region_code", "signal_id"]


def pair_counts(frame: pl.DataFrame, predicted: str, true: str) -> dict[str, int]:
    """True-positive, predicted and true pair counts of two labelings of the same rows."""

    def pairs(*columns: str) -> int:
        n = frame.group_by(*columns).len().get_column("len").cast(pl.Int64)
        return int((n * (n - 1) // 2).sum())

    return {"tp": pairs(predicted, true), "predicted": pairs(predicted), "true": pairs(true)}


def pair_metrics(frame: pl.DataFrame, predicted: str, true: str) -> dict[str, float]:
    """Pairwise precision, recall and F1 (1.0 where a denominator is 0)."""
    c = pair_counts(frame, predicted, true)
    precision = c["tp"] / c["predicted"] if c["predicted"] else 1.0
    recall = c["tp"] / c["true"] if c["true"] else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "tp_pairs": float(c["tp"]),
        "predicted_pairs": float(c["predicted"]),
        "true_pairs": float(c["true"]),
    }


def evaluate(
    truth_dir: Path, persons_links: pl.DataFrame, signal_families: pl.DataFrame
) -> dict[str, float]:
    """Metrics of ``persons_links`` (person_id) and ``signal_families`` (family_id and, when
    present, recurrence columns) against ``truth_dir/persons.parquet`` and ``signals.parquet``.
    """
    truth_persons = pl.read_parquet(truth_dir / "persons.parquet").filter(
        ~pl.col("expect_quarantine")
    )
    truth_signals = pl.read_parquet(truth_dir / "signals.parquet").filter(
        ~pl.col("expect_quarantine")
    )
    persons = persons_links.select(*KEY, "person_id").join(
        truth_persons.select(*KEY, "true_person_id", "identifiable"), on=KEY, how="inner"
    )
    out: dict[str, float] = {"person_rows": float(persons.height)}
    for name, value in pair_metrics(persons, "person_id", "true_person_id").items():
        out[f"person_{name}"] = value
    ident = persons.filter(pl.col("identifiable"))
    out["identifiable_rows"] = float(ident.height)
    for name, value in pair_metrics(ident, "person_id", "true_person_id").items():
        out[f"identifiable_{name}"] = value
    signals = signal_families.join(
        truth_signals.select(
            *SIGNAL_KEY,
            "true_family_id",
            pl.col("recurrence_category").alias("true_recurrence_category"),
            pl.col("prior_signals").alias("true_prior_signals"),
            pl.col("prior_other_region").alias("true_prior_other_region"),
        ),
        on=SIGNAL_KEY,
        how="inner",
    )
    out["signals"] = float(signals.height)
    for name, value in pair_metrics(signals, "family_id", "true_family_id").items():
        out[f"family_{name}"] = value
    if "recurrence_category" in signals.columns:
        judged = signals.filter(pl.col("true_recurrence_category").is_not_null())
        for name, column in (
            ("recurrence_accuracy", "recurrence_category"),
            ("prior_signals_exact", "prior_signals"),
            ("prior_other_region_accuracy", "prior_other_region"),
        ):
            same = judged.get_column(column) == judged.get_column(f"true_{column}")
            out[name] = int(same.sum()) / max(judged.height, 1)
    return out
