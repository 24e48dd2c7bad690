"""Splink 5 (DuckDB) on the plaintext intake persons of a synthetic store.

The model a competent Splink user would build for Veilig Thuis data:

* **Normalisation**: first given name and its initial (initials-only names compare on the
  initial), surname without the tussenvoegsel and its parts (double names), partial birth dates
  as year / year-month / month-day / full-date strings, the swapped date when plausible, the
  birth year implied by an age estimate, a cleaned postcode and its four digits, valid BSNs only.
* **Comparisons**: first name and surname with term-frequency adjustments and Jaro-Winkler
  levels, birth date with partial levels (exact, swapped, one typo, year-month, month-day, year,
  implied year), sex, address (postcode + house number, street + number + city, pc4, city),
  BSN, phone, and **household context**: how many of the other persons of the signal (first name
  and birth year) appear among the other persons of the other signal.
* **Training**: u by random sampling; m by EM on identity blocks only (first name + birth date,
  surname + birth date, and BSN and first name + surname so that the birth date itself gets
  trained), never on household blocks (address, surname alone); the prior from deterministic
  rules (BSN; first name + surname + birth date).
* **Prediction blocks** like Radar's rules (BSN, first name + date, surname + year + month-day,
  initial + date, surname + year-month, swapped date, date + sex + pc4, surname + year, postcode
  + house number, phone, surname + first name), never inside one signal.
* **Clustering**: Splink's connected components at the threshold, then the clusters that hold
  one signal twice (or two valid BSNs) split (``bench.clusters``); pairs with two different
  valid BSNs are dropped before.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import polars as pl

from bench.clusters import split_conflicts

KEY: Final = ["region_code", "signal_id", "person_seq"]
SIGNAL_KEY: Final = ["region_code", "signal_id"]


@dataclass(frozen=True)
class SplinkLinked:
    """Splink's person links (``linkage.schema.PERSON_LINKS`` columns) and what it reports."""

    person_links: pl.DataFrame
    stats: dict[str, float] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def _clean(column: str) -> pl.Expr:
    value = pl.col(column).str.strip_chars().str.to_lowercase()
    return pl.when(value.str.len_chars() > 0).then(value)


def _pad(expr: pl.Expr, width: int) -> pl.Expr:
    return expr.cast(pl.Utf8).str.zfill(width)


def splink_input(persons: pl.DataFrame, signals: pl.DataFrame) -> pl.DataFrame:
    """The normalised plaintext rows Splink links: one per person row, ``unique_id`` 0..n-1
    in ``(region_code, signal_id, person_seq)`` order."""
    received = signals.select(
        *SIGNAL_KEY, pl.col("received_on").dt.year().cast(pl.Int32).alias("received_year")
    )
    rows = (
        persons.sort(KEY)
        .join(received, on=SIGNAL_KEY, how="left", maintain_order="left")
        .with_row_index("unique_id")
        .with_columns(pl.col("unique_id").cast(pl.Int64))
    )
    names = _clean("first_names").str.replace_all(r"[^a-z ]", " ").str.split(" ")
    given = names.list.eval(pl.element().filter(pl.element().str.len_chars() > 0))
    surname = _clean("surname").str.replace_all(r"[^a-z\- ]", "")
    year = pl.col("birth_year").cast(pl.Int32)
    month = pl.col("birth_month").cast(pl.Int32)
    day = pl.col("birth_day").cast(pl.Int32)
    postcode = _clean("postcode").str.replace_all(" ", "", literal=True).str.to_uppercase()
    out = rows.select(
        "unique_id",
        *KEY,
        pl.concat_str([pl.col("region_code"), pl.col("signal_id")], separator="|").alias("sig"),
        pl.when(pl.col("first_names_initials").fill_null(False).not_())
        .then(given.list.first())
        .alias("first_name"),
        given.list.first().str.slice(0, 1).alias("first_initial"),
        pl.when(given.list.len() > 0).then(given).alias("given_names"),
        pl.when(surname.str.len_chars() > 0).then(surname).alias("surname"),
        pl.when(surname.str.len_chars() > 0)
        .then(surname.str.split("-").list.eval(pl.element().str.strip_chars()))
        .alias("surname_parts"),
        year.alias("birth_year"),
        month.alias("birth_month"),
        day.alias("birth_day"),
        pl.concat_str([_pad(year, 4), _pad(month, 2), _pad(day, 2)], separator="-").alias("dob"),
        pl.when((day <= 12) & (day != month))
        .then(pl.concat_str([_pad(year, 4), _pad(day, 2), _pad(month, 2)], separator="-"))
        .alias("dob_swapped"),
        pl.concat_str([_pad(year, 4), _pad(month, 2)], separator="-").alias("birth_ym"),
        pl.concat_str([_pad(month, 2), _pad(day, 2)], separator="-").alias("birth_md"),
        pl.coalesce(year, pl.col("received_year") - pl.col("age_estimate").cast(pl.Int32)).alias(
            "implied_year"
        ),
        pl.col("sex").replace("O", None).alias("sex"),
        pl.when(pl.col("bsn_status") == "valid").then(pl.col("bsn")).alias("bsn"),
        _clean("street").alias("street"),
        pl.col("house_number").cast(pl.Utf8).alias("house_number"),
        postcode.alias("postcode"),
        postcode.str.slice(0, 4).alias("pc4"),
        _clean("city").alias("city"),
        _clean("phone").alias("phone"),
    )
    return out.with_columns(_housemates(out))


def _housemates(rows: pl.DataFrame) -> pl.Series:
    """Per row: the other persons of its signal as ``first name|birth year`` (null if none)."""
    keyed = rows.select(
        "unique_id",
        "sig",
        pl.concat_str(
            [pl.col("first_name"), pl.col("birth_year").cast(pl.Utf8)], separator="|"
        ).alias("mate"),
    )
    mates = (
        keyed.join(keyed.drop_nulls("mate"), on="sig", suffix="_o")
        .filter(pl.col("unique_id") != pl.col("unique_id_o"))
        .group_by("unique_id")
        .agg(pl.col("mate_o").unique().sort().alias("housemates"))
    )
    return (
        rows.select("unique_id")
        .join(mates, on="unique_id", how="left", maintain_order="left")
        .get_column("housemates")
    )


def settings() -> Any:
    """The Splink model (a ``SettingsCreator``) for ``splink_input`` rows."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator

    def level(sql: str, label: str, **configure: Any) -> Any:
        created = cll.CustomLevel(sql, label_for_charts=label)
        return created.configure(**configure) if configure else created

    first_name = cl.CustomComparison(
        output_column_name="first_name",
        comparison_levels=[
            level("first_initial_l IS NULL OR first_initial_r IS NULL", "null", is_null_level=True),
            level(
                "first_name_l = first_name_r",
                "exact",
                tf_adjustment_column="first_name",
                tf_adjustment_weight=1.0,
            ),
            level("jaro_winkler_similarity(first_name_l, first_name_r) >= 0.92", "jw 0.92"),
            level("list_has_any(given_names_l, given_names_r)", "a given name in common"),
            level(
                "first_initial_l = first_initial_r"
                " AND (first_name_l IS NULL OR first_name_r IS NULL)",
                "initial (initials only)",
            ),
            level("jaro_winkler_similarity(first_name_l, first_name_r) >= 0.8", "jw 0.8"),
            cll.ElseLevel(),
        ],
    )
    surname = cl.CustomComparison(
        output_column_name="surname",
        comparison_levels=[
            cll.NullLevel("surname"),
            level(
                "surname_l = surname_r",
                "exact",
                tf_adjustment_column="surname",
                tf_adjustment_weight=1.0,
            ),
            level("jaro_winkler_similarity(surname_l, surname_r) >= 0.92", "jw 0.92"),
            level("list_has_any(surname_parts_l, surname_parts_r)", "a part in common"),
            level("jaro_winkler_similarity(surname_l, surname_r) >= 0.8", "jw 0.8"),
            cll.ElseLevel(),
        ],
    )
    birth_date = cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            level("implied_year_l IS NULL OR implied_year_r IS NULL", "null", is_null_level=True),
            level("dob_l = dob_r", "exact"),
            level("dob_swapped_l = dob_r", "day and month swapped"),
            level("levenshtein(dob_l, dob_r) <= 1", "one digit"),
            level(
                "birth_ym_l = birth_ym_r AND (birth_day_l IS NULL OR birth_day_r IS NULL)",
                "year and month, day unknown",
            ),
            level("birth_md_l = birth_md_r", "month and day, year differs"),
            level("birth_ym_l = birth_ym_r", "year and month, day differs"),
            level(
                "birth_year_l = birth_year_r AND (birth_month_l IS NULL OR birth_month_r IS NULL)",
                "year, month unknown",
            ),
            level("birth_year_l = birth_year_r", "year only"),
            level(
                "(birth_year_l IS NULL OR birth_year_r IS NULL)"
                " AND abs(implied_year_l - implied_year_r) <= 2",
                "age within 2 years",
            ),
            cll.ElseLevel(),
        ],
    )
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            level(
                "(postcode_l IS NULL AND street_l IS NULL)"
                " OR (postcode_r IS NULL AND street_r IS NULL)",
                "null",
                is_null_level=True,
            ),
            level(
                "postcode_l = postcode_r AND house_number_l = house_number_r",
                "postcode and house number",
            ),
            level(
                "street_l = street_r AND house_number_l = house_number_r AND city_l = city_r",
                "street, number and city",
            ),
            level("pc4_l = pc4_r", "pc4"),
            level("city_l = city_r", "city"),
            cll.ElseLevel(),
        ],
    )
    housemates = cl.CustomComparison(
        output_column_name="housemates",
        comparison_levels=[
            cll.NullLevel("housemates"),
            cll.ArrayIntersectLevel("housemates", min_intersection=2),
            cll.ArrayIntersectLevel("housemates", min_intersection=1),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            first_name,
            surname,
            birth_date,
            cl.ExactMatch("sex"),
            address,
            cl.ExactMatch("bsn"),
            cl.ExactMatch("phone"),
            housemates,
        ],
        blocking_rules_to_generate_predictions=[_rule(*cols) for cols in PREDICTION_BLOCKS],
        additional_columns_to_retain=["sig"],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        max_iterations=40,
    )


#: Prediction blocks, as Radar's rules (``linkage.blocking.RULES``) on plaintext columns.
PREDICTION_BLOCKS: Final[tuple[tuple[str, ...], ...]] = (
    ("bsn",),
    ("first_name", "dob"),
    ("surname", "birth_year", "birth_md"),
    ("first_initial", "dob"),
    ("surname", "birth_ym"),
    ("surname", "dob_swapped=dob"),
    ("dob", "sex", "pc4"),
    ("surname", "birth_year"),
    ("postcode", "house_number"),
    ("phone",),
    ("surname", "first_name"),
)
#: EM sessions: identity blocks only (never an address or household block).
TRAINING_BLOCKS: Final[tuple[tuple[str, ...], ...]] = (
    ("first_name", "dob"),
    ("surname", "dob"),
    ("bsn",),
    ("first_name", "surname"),
)


def _rule(*columns: str) -> Any:
    """A blocking rule: equal columns (``a=b``: left a equals right b), different signals."""
    from splink.blocking_rule_library import CustomRule

    parts = []
    for column in columns:
        left, _, right = column.partition("=")
        parts.append(f"l.{left} = r.{right or left}")
    return CustomRule(" AND ".join([*parts, "l.sig <> r.sig"]))


def link_splink(
    persons: pl.DataFrame,
    signals: pl.DataFrame,
    *,
    threshold: float = 0.9,
    u_pairs: float = 2e7,
    seed: int = 20261,
) -> SplinkLinked:
    """Link the plaintext intake ``persons`` with Splink; person ids ``S<smallest unique_id>``."""
    from splink import DuckDBAPI, Linker

    clock: dict[str, float] = {}
    started = time.perf_counter()
    rows = splink_input(persons, signals)
    clock["prepare"] = time.perf_counter() - started
    db_api = DuckDBAPI()
    table = db_api.register(rows.to_arrow(), table_name="persons")
    linker = Linker(table, settings(), log_level=logging.ERROR)
    deterministic = [_rule("bsn"), _rule("first_name", "surname", "dob")]
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
    for block in TRAINING_BLOCKS:
        linker.training.estimate_parameters_using_expectation_maximisation(_rule(*block))
    clock["train"] = time.perf_counter() - started - sum(clock.values())
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    clock["predict"] = time.perf_counter() - started - sum(clock.values())
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    pairs = pl.from_arrow(
        predictions.as_duckdbpyrelation()
        .select("unique_id_l, unique_id_r, match_weight")
        .to_arrow_table()
    )
    labels_frame = pl.from_arrow(
        clusters.as_duckdbpyrelation().select("unique_id, cluster_id").to_arrow_table()
    )
    assert isinstance(pairs, pl.DataFrame) and isinstance(labels_frame, pl.DataFrame)
    links, stats = _persons(rows, pairs, labels_frame)
    clock["cluster"] = time.perf_counter() - started - sum(clock.values())
    stats["scored_pairs"] = float(pairs.height)
    return SplinkLinked(links, stats, clock)


def _persons(
    rows: pl.DataFrame, pairs: pl.DataFrame, clusters: pl.DataFrame
) -> tuple[pl.DataFrame, dict[str, float]]:
    """Person links from Splink's pairs and clusters, conflicts split."""
    n = rows.height
    sig = rows.get_column("sig").rank("dense").cast(pl.Int64).to_numpy()
    bsn = rows.get_column("bsn").rank("dense").cast(pl.Int64).fill_null(0).to_numpy() - 1
    i = pairs.get_column("unique_id_l").cast(pl.Int64).to_numpy()
    j = pairs.get_column("unique_id_r").cast(pl.Int64).to_numpy()
    weight = pairs.get_column("match_weight").cast(pl.Float64).to_numpy()
    keep = ~((bsn[i] >= 0) & (bsn[j] >= 0) & (bsn[i] != bsn[j]))
    i, j, weight = i[keep], j[keep], weight[keep]
    start = (
        rows.select("unique_id")
        .join(clusters, on="unique_id", how="left", maintain_order="left")
        .get_column("cluster_id")
        .rank("dense")
        .cast(pl.Int64)
        .to_numpy()
        - 1
    )
    # Splink clustered before the BSN veto: recompute where a vetoed pair mattered
    from linkage.cluster import components

    labels = components(n, i, j) if not keep.all() else start
    base = float(weight.min()) if weight.size else 0.0
    labels, stats = split_conflicts(
        labels, i, j, weight, sig, bsn, base + np.arange(1.0, 40.0, 1.0)
    )
    smallest = (
        pl.DataFrame({"c": labels, "r": np.arange(n)})
        .select(pl.col("r").min().over("c"))
        .to_series()
    )
    links = rows.select(*KEY).with_columns(
        (pl.lit("S") + smallest.cast(pl.Utf8)).alias("person_id")
    )
    return links, {f"cluster_{k}": float(v) for k, v in stats.items()}
