"""``generate``: simulate, render the deliveries, write the inbox and the truth."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
import zlib
from pathlib import Path
from typing import Final

import numpy as np
import polars as pl

from radar.synth import rates
from radar.synth.config import SynthConfig, SynthSummary
from radar.synth.deliveries import (
    ERROR_KINDS,
    final_versions,
    make_versions,
    pick_erasures,
    pick_errors,
)
from radar.synth.geography import (
    Geography,
    build_geography,
    postcode_of,
    sample_municipalities,
)
from radar.synth.noise import NoiseLog
from radar.synth.population import PERPETRATOR, VICTIM, make_chains, make_persons
from radar.synth.render_persons import DRAWS, render_persons
from radar.synth.render_signals import signal_attributes, vary_category_case
from radar.synth.timeline import (
    make_chain_addresses,
    make_members,
    make_signals,
    signal_places,
)
from radar.synth.truth import recurrence_truth
from radar.synth.writer import Profile, make_profiles, wants_manifest, write_delivery

_EPOCH = dt.date(1970, 1, 1)
#: Signals per call of the note composer (its cost grows faster than linearly with size).
_NOTE_CHUNK = 100_000


class _Rngs:
    """Independent random streams per purpose, fixed by the seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __call__(self, purpose: str, extra: int = 0) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(purpose.encode()), extra])


#: A signal's kind and received date as written in truth and deliveries.
_KIND_AND_RECEIVED: Final = (
    pl.when(pl.col("melding")).then(pl.lit("melding")).otherwise(pl.lit("advies")).alias("kind"),
    pl.col("received_day").cast(pl.Int32).cast(pl.Date).alias("received_on"),
)


def _signal_ids(signals: pl.DataFrame) -> pl.Series:
    """Case references per region: three numbering styles, unique within the region."""
    style = pl.col("region_code").str.slice(2).cast(pl.Int64) % 3
    year = pl.from_epoch(pl.col("received_day"), time_unit="d").dt.year()
    n_year = pl.int_range(pl.len()).over("region_code", year, order_by="sig") + 1
    n_all = pl.int_range(pl.len()).over("region_code", order_by="sig") + 1
    return signals.select(
        pl.when(style == 0)
        .then(year.cast(pl.Utf8) + "-" + n_year.cast(pl.Utf8).str.zfill(6))
        .when(style == 1)
        .then(pl.col("region_code") + "/" + n_all.cast(pl.Utf8).str.zfill(7))
        .otherwise("C" + (n_all + 1_000_000).cast(pl.Utf8))
    ).to_series()


def _member_base(
    members: pl.DataFrame, signals: pl.DataFrame, persons: pl.DataFrame, chains_marriage: np.ndarray
) -> pl.DataFrame:
    """Members with signal keys, person_seq, a stable row id and the marriage flag (narrow)."""
    sig = signals.select("sig", "chain", "j", "region_code", "signal_id", "melding", "received_day")
    m = (
        members.join(sig, on="sig", how="left")
        .with_columns(
            person_seq=pl.int_range(pl.len()).over("sig", order_by="slot") + 1,
        )
        .sort("sig", "person_seq")
        .with_row_index("mid")
    )
    female = persons.select("person", "female")
    perp_female = persons.filter(pl.col("slot") == PERPETRATOR).select(
        "chain", pl.col("female").alias("spouse_female")
    )
    married_from = pl.Series(chains_marriage).gather(m["chain"])
    flags = (
        m.select("person", "chain")
        .join(female, on="person", how="left")
        .join(perp_female, on="chain", how="left")
    )
    return m.with_columns(
        married=(
            (pl.col("slot") == VICTIM)
            & (pl.col("j") >= married_from)
            & flags["female"]
            & ~flags["spouse_female"]
        ).fill_null(False),
    )


def _widen(m: pl.DataFrame, persons: pl.DataFrame, geo: Geography) -> pl.DataFrame:
    """Adds identity, spouse name and address text to (a subset of) the member rows."""
    street = m["addr_street"].to_numpy()
    muni = m["addr_municipality"].to_numpy()
    spouse = persons.filter(pl.col("slot") == PERPETRATOR).select(
        "chain",
        pl.col("surname_prefix").alias("spouse_prefix"),
        pl.col("surname").alias("spouse_surname"),
    )
    return (
        m.with_columns(
            addr_street=pl.Series(geo.street_name[street]),
            addr_postcode=postcode_of(geo, street, m["addr_number"].to_numpy()),
            addr_city=pl.Series(geo.municipality_name[muni]),
            addr_gm=pl.Series(geo.municipality_code[muni]),
        )
        .drop("addr_municipality")
        .join(persons.drop("chain", "slot"), on="person", how="left", maintain_order="left")
        .join(spouse, on="chain", how="left", maintain_order="left")
    )


def uniforms(ids: np.ndarray, width: int, seed: int) -> np.ndarray:
    """Counter-based uniform draws in [0, 1): row i, column k depends only on (seed, id, k).

    SplitMix64 over ``id * width + k``; lets any subset of rows be rendered on its own and
    still look the same in every version.
    """
    with np.errstate(over="ignore"):
        x = (
            ids.astype(np.uint64)[:, None] * np.uint64(width)
            + np.arange(width, dtype=np.uint64)[None, :]
            + np.uint64(seed % (1 << 32)) * np.uint64(0x632BE59BD9B4E019)
        )
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    out: np.ndarray = (z >> np.uint64(40)).astype(np.float32) / np.float32(1 << 24)
    return out


def _render_group(
    members: pl.DataFrame,
    versions: pl.DataFrame,
    persons: pl.DataFrame,
    geo: Geography,
    seed: int,
    log: NoiseLog,
) -> pl.DataFrame:
    """Rendered person rows of the given versions."""
    rows = members.join(versions.select("sig", "delivery", "version"), on="sig", how="inner")
    rows = _widen(rows, persons, geo)
    draws = uniforms(rows["mid"].to_numpy(), len(DRAWS), seed)
    rows = rows.with_columns(
        pl.Series(f"u_{d}", draws[:, i]) for i, d in enumerate(DRAWS)
    ).with_columns(
        corrected=(pl.col("version") > 1)
        & (pl.col("u_correct") < rates.NOISE_RATES["redelivery_correction"]),
    )
    rendered = render_persons(rows, log)
    return rendered.with_columns(rows.select("sig", "person", "delivery"))


def _render_signals(
    signals: pl.DataFrame,
    versions: pl.DataFrame,
    profiles: dict[str, Profile],
    notes: pl.DataFrame | None,
    seed: int,
    log: NoiseLog,
) -> pl.DataFrame:
    """Signal rows of every version, written the way the delivering region writes them."""
    flags = pl.DataFrame(
        {
            "delivery_region": list(profiles),
            "p_ddmm": [p.dd_mm_yyyy for p in profiles.values()],
            "p_case": [p.category_case for p in profiles.values()],
        }
    )
    rows = versions.join(signals, on="sig", how="left").join(
        flags, on="delivery_region", how="left"
    )
    if notes is not None:
        rows = rows.join(notes, on="sig", how="left")
    else:
        rows = rows.with_columns(note=pl.lit(None, dtype=pl.Utf8))
    u = pl.Series(
        uniforms(rows["sig"].to_numpy() * 4 + rows["version"].to_numpy(), 1, seed + 1)[:, 0]
    )
    rec = pl.col("received_day").cast(pl.Int32).cast(pl.Date)
    case_on = pl.col("p_case") & (pl.lit(u) < rates.NOISE_RATES["category_case"])
    rows = rows.with_columns(case_on=case_on, u=u)
    log.add("category_case", rates.NOISE_RATES["category_case"], rows["case_on"])
    log.add("signal_date_dd_mm_yyyy", rates.EXPORT_PROFILE_RATES["dd_mm_yyyy"], rows["p_ddmm"])
    return rows.select(
        "sig",
        "delivery",
        "delivery_region",
        "version",
        pl.col("signal_id"),
        pl.col("region_code"),
        pl.when(pl.col("melding"))
        .then(pl.lit("melding"))
        .otherwise(pl.lit("advies"))
        .alias("kind"),
        pl.when(pl.col("p_ddmm"))
        .then(rec.dt.strftime("%d-%m-%Y"))
        .otherwise(rec.dt.strftime("%Y-%m-%d"))
        .alias("received_on"),
        pl.when(pl.col("p_ddmm"))
        .then(pl.col("closed_on").dt.strftime("%d-%m-%Y"))
        .otherwise(pl.col("closed_on").dt.strftime("%Y-%m-%d"))
        .alias("closed_on"),
        *[
            vary_category_case(c, pl.col("u") * 1.7 % 1, pl.col("case_on")).alias(c)
            for c in ("relation_type", "reporter_type", "reporter_sector", "safety_assessment")
        ],
        pl.col("violence_forms"),
        pl.col("note"),
    )


def _inject_errors(
    sig_rows: pl.DataFrame, per_rows: pl.DataFrame, errors: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Break the chosen signals' rows (and add orphan person rows): signals, persons."""
    err = dict(zip(errors["sig"].to_list(), errors["error"].to_list(), strict=True))
    kinds = pl.DataFrame(
        {"sig": list(err), "error": list(err.values())}, schema={"sig": pl.Int64, "error": pl.Utf8}
    )
    s = sig_rows.join(kinds, on="sig", how="left")
    e = pl.col("error")
    s = s.with_columns(
        kind=pl.when(e == "missing_kind").then(None).otherwise("kind"),
        region_code=pl.when(e == "invalid_region").then(pl.lit("VT99")).otherwise("region_code"),
        received_on=pl.when(e == "future_date")
        .then(pl.lit("2099-06-15"))
        .when(e == "date_before_2000")
        .then(pl.lit("1999-06-15"))
        .otherwise("received_on"),
    )
    dup = s.filter(e == "duplicate_key")
    s = pl.concat([s, dup]).sort("delivery", "sig")
    p = per_rows.join(kinds, on="sig", how="left").with_columns(
        region_code=pl.when(e == "invalid_region").then(pl.lit("VT99")).otherwise("region_code")
    )
    orphans = (
        p.filter(e == "orphan_person")
        .group_by("sig", maintain_order=True)
        .first()
        .with_columns(signal_id=pl.col("signal_id") + "X", error=pl.lit("orphan_row"))
        .select(p.columns)
    )
    p = pl.concat([p, orphans]).sort("delivery", "sig", "person_seq")
    return s, p


def generate(config: SynthConfig, out_dir: Path) -> SynthSummary:
    """Simulate ``config`` and write ``out_dir/inbox`` and ``out_dir/truth``."""
    t0 = time.perf_counter()
    rngs = _Rngs(config.seed)
    last = config.last_day()
    first = dt.date(config.start_year, 1, 1)
    first_day = (first - _EPOCH).days
    last_day = (last - _EPOCH).days
    burn_day = first_day - int(rates.BURN_IN_YEARS * 365.25)
    geo = build_geography(config.regions)
    per_day = (
        (rates.MELDINGEN_PER_YEAR + rates.ADVIEZEN_PER_YEAR)
        / 365.25
        * config.scale
        * geo.population_share()
    )
    p = rates.CHAIN_CONTINUE
    mean_len = (1 - p**rates.CHAIN_MAX_SIGNALS) / (1 - p)
    n_chains = int(rngs("volume").poisson(per_day * (last_day - burn_day + 1) / mean_len))
    chains = make_chains(n_chains, burn_day, last_day, rngs("chains"))
    home = sample_municipalities(geo, n_chains, rngs("home"))
    addr = make_chain_addresses(chains, geo, home, rngs("addresses"))
    signals = make_signals(chains, first_day, last_day, rngs("times"))
    signals = signal_places(signals, chains, addr, geo)
    signals = signals.with_columns(signal_id=_signal_ids(signals))
    signals = pl.concat(
        [
            signals,
            signal_attributes(
                signals["chain_kind"].to_numpy(), signals["melding"].to_numpy(), rngs("attributes")
            ),
        ],
        how="horizontal",
    )
    members = make_members(signals, chains, addr, rngs("members"))
    used = np.zeros(n_chains, dtype=bool)
    used[signals["chain"].to_numpy()] = True
    persons = make_persons(chains, used, rngs("persons"))
    members = _member_base(members, signals, persons, chains.marriage_j)
    versions = make_versions(
        signals, config.delivery_period, last, config.start_year, rngs("versions")
    )
    errors = pick_errors(versions, config.contract_error_rate, signals.height, rngs("errors"))
    finals = final_versions(versions)
    erasures = pick_erasures(
        finals, errors["sig"], signals.height, config.delivery_period, last, rngs("erasures")
    )
    erasures = erasures.join(signals.select("sig", "signal_id"), on="sig", how="left").sort(
        "delivery", "sig"
    )
    log = NoiseLog()
    notes, note_spans = (
        _notes(signals, members, persons, geo, config) if config.notes else (None, None)
    )
    codes = sorted(set(geo.region_2022.tolist()) | set(geo.region_2023.tolist()))
    profiles = make_profiles(codes, config.seed)
    inbox, truth = out_dir / "inbox", out_dir / "truth"
    for d in (inbox, truth):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
    if note_spans is not None:
        _write_note_truth(truth, note_spans, signals, erasures)
        del note_spans
    final_rows: list[pl.DataFrame] = []
    n_person_rows = 0
    n_deliveries = 0
    manifests = 0
    group = pl.col("delivery").str.slice(0, 4)
    for year in sorted(versions.select(group.unique()).to_series().to_list()):
        v = versions.filter(group == year)
        per_rows = _render_group(members, v, persons, geo, config.seed, log)
        sig_rows = _render_signals(signals, v, profiles, notes, config.seed, log)
        sig_rows, per_rows = _inject_errors(sig_rows, per_rows, errors)
        n_person_rows += per_rows.height
        e = erasures.filter(group == year)
        written, with_manifest = _write_inbox(inbox, sig_rows, per_rows, e, profiles, config.seed)
        n_deliveries += written
        manifests += with_manifest
        final_rows.append(
            per_rows.join(
                finals.select("sig", "delivery"), on=["sig", "delivery"], how="semi"
            ).select("sig", "person", "region_code", "signal_id", "person_seq", "identifiable")
        )
    for kind in ERROR_KINDS:
        log.add(
            f"contract_error_{kind}",
            config.contract_error_rate / len(ERROR_KINDS),
            int((errors["error"] == kind).sum()),
        )
    log.add("delivery_without_manifest", 1 - rates.MANIFEST_SHARE, n_deliveries - manifests)
    log.add("erasure", rates.ERASURE_RATE, erasures.height)
    log.add(
        "national_redelivery",
        1 / rates.NATIONAL_REDELIVERY_EVERY_YEARS,
        versions.filter(pl.col("national"))["delivery"].n_unique(),
    )
    del notes
    n_truth = _write_truth(truth, signals, members, pl.concat(final_rows), finals, errors, erasures)
    (truth / "noise.json").write_text(json.dumps(log.as_dict(), indent=2) + "\n", encoding="utf-8")
    return SynthSummary(
        signals=n_truth,
        person_rows=n_person_rows,
        deliveries=n_deliveries,
        seconds=round(time.perf_counter() - t0, 3),
        inbox=inbox,
        truth=truth,
    )


def _notes(
    signals: pl.DataFrame,
    members: pl.DataFrame,
    persons: pl.DataFrame,
    geo: Geography,
    config: SynthConfig,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Notes and their PII spans, composed in chunks of signals (bounded memory)."""
    from radar.synth.notes_bridge import make_notes

    notes, spans = [], []
    for k, start in enumerate(range(0, signals.height, _NOTE_CHUNK)):
        chunk = signals.slice(start, _NOTE_CHUNK)
        lo, hi = chunk["sig"].min(), chunk["sig"].max()
        m = members.filter(pl.col("sig").is_between(lo, hi))
        n, sp = make_notes(chunk, _widen(m, persons, geo), config.seed * 10_000 + k)
        notes.append(n)
        spans.append(sp)
    return pl.concat(notes), pl.concat(spans)


def _slices(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Zero-copy slices of a frame sorted by ``delivery``, by delivery name."""
    if frame.height == 0:
        return {}
    runs = frame.select(pl.col("delivery").rle()).unnest("delivery")
    out: dict[str, pl.DataFrame] = {}
    start = 0
    for name, length in zip(runs["value"].to_list(), runs["len"].to_list(), strict=True):
        out[str(name)] = frame.slice(start, length)
        start += length
    return out


def _write_inbox(
    inbox: Path,
    sig_rows: pl.DataFrame,
    per_rows: pl.DataFrame,
    erasures: pl.DataFrame,
    profiles: dict[str, Profile],
    seed: int,
) -> tuple[int, int]:
    """One directory per delivery name; returns (deliveries, deliveries with a manifest)."""
    s_parts = _slices(sig_rows)
    p_parts = _slices(per_rows)
    e_parts = _slices(erasures)
    names = sorted(set(s_parts) | set(e_parts))
    manifests = 0
    for name in names:
        region = name.split("_")[1]
        manifest = wants_manifest(name, seed)
        manifests += manifest
        write_delivery(
            inbox / name,
            region,
            name,
            s_parts.get(name, sig_rows.clear()),
            p_parts.get(name, per_rows.clear()),
            e_parts.get(name),
            profiles[region],
            manifest,
        )
    return len(names), manifests


def _write_truth(
    truth: Path,
    signals: pl.DataFrame,
    members: pl.DataFrame,
    per_rows: pl.DataFrame,
    finals: pl.DataFrame,
    errors: pl.DataFrame,
    erasures: pl.DataFrame,
) -> int:
    """truth/signals.parquet and truth/persons.parquet; returns the number of truth signals."""
    gone = erasures["sig"].implode()
    bad = errors.filter(pl.col("error") != "orphan_person")["sig"].implode()
    person_ids = (
        members.group_by("person")
        .agg(pl.col("sig").min().alias("first_sig"))
        .sort("first_sig", "person")
        .with_row_index("true_person_id", offset=1)
        .select("person", pl.col("true_person_id").cast(pl.Int64))
    )
    ok = signals.filter(~pl.col("sig").is_in(gone) & ~pl.col("sig").is_in(bad)).join(
        finals.select("sig", "closed_on"), on="sig", how="left"
    )
    s_truth = ok.select(
        "sig",
        "region_code",
        "signal_id",
        *_KIND_AND_RECEIVED,
        "closed_on",
    )
    m_truth = members.filter(pl.col("sig").is_in(s_truth["sig"].implode())).join(
        person_ids, on="person", how="left"
    )
    rec = recurrence_truth(s_truth, m_truth.select("region_code", "signal_id", "true_person_id"))
    s_truth = pl.concat([s_truth, rec.drop("region_code", "signal_id")], how="horizontal")
    s_truth = (
        s_truth.with_columns(
            prior_signals_cast=pl.col("prior_signals").cast(pl.Int32),
            expect_quarantine=pl.lit(False),
        )
        .drop("prior_signals")
        .rename({"prior_signals_cast": "prior_signals"})
    )
    bad_rows = (
        signals.join(errors.filter(pl.col("error") != "orphan_person"), on="sig", how="inner")
        .join(finals.select("sig", "closed_on"), on="sig", how="left")
        .select(
            "sig",
            pl.when(pl.col("error") == "invalid_region")
            .then(pl.lit("VT99"))
            .otherwise("region_code")
            .alias("region_code"),
            "signal_id",
            *_KIND_AND_RECEIVED,
            "closed_on",
            pl.lit(True).alias("expect_quarantine"),
        )
    )
    cols = [
        "region_code",
        "signal_id",
        "kind",
        "received_on",
        "closed_on",
        "true_family_id",
        "recurrence_category",
        "prior_signals",
        "prior_other_region",
        "expect_quarantine",
    ]
    s_all = pl.concat([s_truth, bad_rows], how="diagonal_relaxed").sort("sig").select(cols)
    s_all.write_parquet(truth / "signals.parquet")
    # persons: the rows of each signal's final version (and every quarantined row)
    p = per_rows.filter(~pl.col("sig").is_in(gone)).join(person_ids, on="person", how="left")
    p = p.join(errors.rename({"error": "err"}), on="sig", how="left").with_columns(
        expect_quarantine=(pl.col("err").is_not_null() & (pl.col("err") != "orphan_person"))
        | pl.col("signal_id").str.ends_with("X") & (pl.col("err") == "orphan_person"),
    )
    p.sort("sig", "person_seq", "signal_id").select(
        "region_code",
        "signal_id",
        pl.col("person_seq").cast(pl.Int32),
        "true_person_id",
        "identifiable",
        "expect_quarantine",
    ).write_parquet(truth / "persons.parquet")
    return s_all.height


def _write_note_truth(
    truth: Path, spans: pl.DataFrame, signals: pl.DataFrame, erasures: pl.DataFrame
) -> None:
    """truth/notes.parquet: the PII spans of the notes of every signal not erased."""
    spans.filter(~pl.col("sig").is_in(erasures["sig"].implode())).join(
        signals.select("sig", "region_code", "signal_id"), on="sig", how="inner"
    ).sort("sig", "start").select(
        "region_code", "signal_id", "entity_type", "start", "end"
    ).write_parquet(truth / "notes.parquet")
