"""Recurrence per signal (OUTPUT.md section 2), judged with only the signals received before.

For a signal s received on day t, the earlier family of s is every signal reachable from s
through shared persons using only signals received strictly before t (signals of the same day
do not see each other). It is found for all signals at once by a breadth-first expansion over
pairs ``(s, e)`` with polars joins: start from the earlier signals sharing a person with s, add
the earlier neighbours of those, until nothing is added. No per-signal Python.

Then ``prior_signals`` is the size of that set, ``prior_other_region`` whether one of its
signals has another region code, and the category is ``eerste`` when no person of s occurs in
an earlier signal, ``vervolgmelding`` when an earlier signal of the set is still open on t
(``closed_on`` null or not before t), else ``hermelding_een_bekend`` (one person of s known) or
``hermelding_meerdere_bekend`` (more).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from radar.errors import RadarError

SIGNAL_KEY: Final = ["region_code", "signal_id"]
CATEGORIES: Final = (
    "eerste",
    "hermelding_een_bekend",
    "hermelding_meerdere_bekend",
    "vervolgmelding",
)
_MAX_ROUNDS: Final = 10_000


class RecurrenceError(RadarError):
    """The recurrence expansion did not converge (cannot happen on a finite graph)."""


def _earlier_pairs(members: pl.DataFrame, day: pl.DataFrame) -> pl.DataFrame:
    """Pairs (s, e): e received before s and reachable from s through earlier signals."""
    adjacent = (
        members.join(members, on="person", suffix="_e")
        .filter(pl.col("s") != pl.col("s_e"))
        .select("s", pl.col("s_e").alias("e"))
        .unique()
    )
    ds = day.rename({"s": "s", "day": "day_s"})
    de = day.rename({"s": "e", "day": "day_e"})
    first = adjacent.join(ds, on="s").join(de, on="e").filter(pl.col("day_e") < pl.col("day_s"))
    reached = first.select("s", "e", "day_s")
    frontier = reached
    for _ in range(_MAX_ROUNDS):
        step = (
            frontier.join(adjacent.rename({"s": "e", "e": "f"}), on="e")
            .join(de.rename({"e": "f", "day_e": "day_f"}), on="f")
            .filter((pl.col("day_f") < pl.col("day_s")) & (pl.col("f") != pl.col("s")))
            .select("s", pl.col("f").alias("e"), "day_s")
            .unique()
            .join(reached, on=["s", "e"], how="anti")
        )
        if step.height == 0:
            return reached.select("s", "e")
        reached = pl.concat([reached, step])
        frontier = step
    raise RecurrenceError("recurrence expansion did not converge")


def recurrence(
    signals: pl.DataFrame, person_links: pl.DataFrame, families: pl.DataFrame
) -> pl.DataFrame:
    """``families`` (region_code, signal_id, family_id) plus recurrence_category,
    prior_signals (Int32) and prior_other_region (Boolean), in the order of ``families``."""
    sig = (
        signals.select(*SIGNAL_KEY, "received_on", "closed_on")
        .with_row_index("s")
        .with_columns(
            pl.col("received_on").cast(pl.Int32).alias("day"),
            pl.col("closed_on").cast(pl.Int32).alias("close"),
        )
    )
    members = (
        person_links.select(*SIGNAL_KEY, "person_id")
        .join(sig.select(*SIGNAL_KEY, "s"), on=SIGNAL_KEY, how="inner")
        .select("s", pl.col("person_id").alias("person"))
        .unique()
    )
    day = sig.select("s", "day")
    # persons of s already seen in an earlier signal
    first_seen = members.join(day, on="s").group_by("person").agg(pl.col("day").min().alias("d0"))
    known = (
        members.join(first_seen, on="person")
        .join(day, on="s")
        .filter(pl.col("d0") < pl.col("day"))
        .group_by("s")
        .agg(pl.len().alias("known"))
    )
    pairs = _earlier_pairs(members, day)
    info = sig.select(
        pl.col("s").alias("e"),
        pl.col("region_code").alias("region_e"),
        pl.col("close").alias("close_e"),
    )
    agg = (
        pairs.join(info, on="e")
        .join(sig.select("s", "region_code", "day"), on="s")
        .group_by("s")
        .agg(
            pl.len().cast(pl.Int32).alias("prior_signals"),
            (pl.col("region_e") != pl.col("region_code")).any().alias("prior_other_region"),
            (pl.col("close_e").is_null() | (pl.col("close_e") >= pl.col("day")))
            .any()
            .alias("open"),
        )
    )
    judged = (
        sig.select("s", *SIGNAL_KEY)
        .join(known, on="s", how="left")
        .join(agg, on="s", how="left")
        .with_columns(
            pl.col("known").fill_null(0),
            pl.col("prior_signals").fill_null(0),
            pl.col("prior_other_region").fill_null(False),
            pl.col("open").fill_null(False),
        )
        .with_columns(
            pl.when(pl.col("known") == 0)
            .then(pl.lit(CATEGORIES[0]))
            .when(pl.col("open"))
            .then(pl.lit(CATEGORIES[3]))
            .when(pl.col("known") == 1)
            .then(pl.lit(CATEGORIES[1]))
            .otherwise(pl.lit(CATEGORIES[2]))
            .alias("recurrence_category")
        )
        .select(*SIGNAL_KEY, "recurrence_category", "prior_signals", "prior_other_region")
    )
    return families.join(judged, on=SIGNAL_KEY, how="left", maintain_order="left")
