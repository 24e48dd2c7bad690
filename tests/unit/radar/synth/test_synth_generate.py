import datetime as dt
import hashlib
import json
from pathlib import Path

import polars as pl

from radar.contract.vocabulary import PERSONS_FILE, SIGNALS_FILE
from radar.synth import SynthConfig, SynthSummary, generate
from radar.synth.bsn import elfproef_expr


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _read(path: Path) -> pl.DataFrame:
    raw = path.read_bytes().removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")
    sep = ";" if raw.split(b"\n", 1)[0].count(b";") > raw.split(b"\n", 1)[0].count(b",") else ","
    return pl.read_csv(raw, separator=sep, infer_schema=False)


def test_same_seed_same_bytes_other_seed_differs(
    small: tuple[SynthSummary, Path], small_config: SynthConfig, tmp_path: Path
) -> None:
    _, first = small
    again = generate(small_config, tmp_path / "again")
    assert again.signals == small[0].signals
    assert _digest(first) == _digest(tmp_path / "again")
    other = generate(small_config.model_copy(update={"seed": 12}), tmp_path / "other")
    assert _digest(tmp_path / "other") != _digest(first)
    assert other.signals > 0


def test_manifests_match_row_counts(small: tuple[SynthSummary, Path]) -> None:
    summary, _ = small
    dirs = sorted(p for p in summary.inbox.iterdir())
    assert dirs == sorted(dirs, key=lambda p: p.name[:10])  # names sort chronologically
    with_manifest = 0
    for d in dirs:
        manifest = d / "delivery.json"
        if not manifest.exists():
            continue
        with_manifest += 1
        doc = json.loads(manifest.read_text())
        assert doc["delivery_id"] == d.name
        assert doc["signals_rows"] == _read(d / SIGNALS_FILE).height
        assert doc["persons_rows"] == _read(d / PERSONS_FILE).height
    assert 0.6 * len(dirs) < with_manifest < len(dirs)


def _inbox(summary: SynthSummary) -> tuple[pl.DataFrame, pl.DataFrame]:
    sig, per = [], []
    for d in sorted(summary.inbox.iterdir()):
        sig.append(_read(d / SIGNALS_FILE).with_columns(delivery=pl.lit(d.name)))
        per.append(_read(d / PERSONS_FILE).with_columns(delivery=pl.lit(d.name)))
    return pl.concat(sig, how="diagonal"), pl.concat(per, how="diagonal")


def test_persons_travel_with_their_signal(small: tuple[SynthSummary, Path]) -> None:
    summary, _ = small
    sig, per = _inbox(summary)
    truth = pl.read_parquet(summary.truth / "persons.parquet")
    orphans = per.join(sig, on=["delivery", "region_code", "signal_id"], how="anti")
    flagged = truth.filter("expect_quarantine").select("region_code", "signal_id").unique()
    assert orphans.height > 0  # the contract errors include orphan rows
    assert orphans.join(flagged, on=["region_code", "signal_id"], how="anti").height == 0


def test_region_codes_valid_on_received_day(small: tuple[SynthSummary, Path]) -> None:
    summary, _ = small
    s = pl.read_parquet(summary.truth / "signals.parquet").filter(~pl.col("expect_quarantine"))
    y = pl.col("received_on").dt.year()
    assert s.filter((y >= 2023) & pl.col("region_code").is_in(["VT16", "VT26"])).height == 0
    assert s.filter((y < 2023) & (pl.col("region_code") == "VT27")).height == 0
    assert s.filter(y < 2023)["region_code"].is_in(["VT16", "VT26"]).any()
    assert (s.filter(y >= 2023)["region_code"] == "VT27").any()
    valid = {f"VT{i:02d}" for i in range(1, 28)}
    assert set(s["region_code"].unique().to_list()) <= valid


def test_redeliveries_carry_closed_on(small: tuple[SynthSummary, Path]) -> None:
    summary, _ = small
    sig, _ = _inbox(summary)
    counts = sig.group_by("region_code", "signal_id").agg(
        pl.len(), pl.col("closed_on").last(), pl.col("delivery").n_unique().alias("n_del")
    )
    redelivered = counts.filter(pl.col("n_del") > 1)
    assert redelivered.height > 0.1 * counts.height
    # the last version of a re-delivered signal (other than national samples) is closed
    assert redelivered["closed_on"].is_not_null().mean() > 0.95  # type: ignore[operator]
    truth = pl.read_parquet(summary.truth / "signals.parquet")
    assert truth["closed_on"].is_null().any()  # some cases still open at the end


def test_truth_shares_plausible(small: tuple[SynthSummary, Path]) -> None:
    summary, _ = small
    s = pl.read_parquet(summary.truth / "signals.parquet").filter(~pl.col("expect_quarantine"))
    share_melding = (s["kind"] == "melding").mean()
    assert 0.42 < share_melding < 0.52  # type: ignore[operator]
    last = s.filter((pl.col("received_on").dt.year() == 2023) & (pl.col("kind") == "melding"))
    shares = dict(last["recurrence_category"].value_counts(normalize=True).iter_rows())
    assert 0.2 < shares["eerste"] < 0.6
    assert 0.15 < shares["vervolgmelding"] < 0.4
    assert 0.15 < shares["hermelding_meerdere_bekend"] < 0.45
    assert 0.01 < shares["hermelding_een_bekend"] < 0.15
    assert s["prior_other_region"].any()
    assert s["true_family_id"].n_unique() < s.height


def test_truth_persons_and_noise(small: tuple[SynthSummary, Path]) -> None:
    summary, _ = small
    p = pl.read_parquet(summary.truth / "persons.parquet")
    assert p.schema["true_person_id"] == pl.Int64
    assert p.schema["identifiable"] == pl.Boolean
    assert p["true_person_id"].n_unique() < p.height  # persons recur
    noise = json.loads((summary.truth / "noise.json").read_text())
    for kind in (
        "bsn_typo",
        "name_typo",
        "initials",
        "prefix_in_surname",
        "birth_date_year_month",
        "contract_error_duplicate_key",
        "erasure",
    ):
        assert noise[kind]["count"] > 0, kind
    _, per = _inbox(summary)
    bsn = per.filter(pl.col("bsn").is_not_null())
    ok = bsn.select(elfproef_expr("bsn")).to_series()
    invalid = bsn.filter(~ok & ~pl.col("bsn").is_in(["000000000", "999999999"]))
    assert invalid.height > 0
    assert invalid.height <= noise["bsn_typo"]["count"]


def test_erased_signals_absent_from_truth(small: tuple[SynthSummary, Path]) -> None:
    summary, _ = small
    erased = pl.concat(
        [
            pl.read_csv(
                d / "erasures.csv",
                infer_schema=False,
                separator=";" if b";" in (d / "erasures.csv").read_bytes()[:40] else ",",
            )
            for d in summary.inbox.iterdir()
            if (d / "erasures.csv").exists()
        ]
    )
    assert erased.height >= 1
    s = pl.read_parquet(summary.truth / "signals.parquet")
    assert (
        s.join(
            erased.with_columns(pl.col("region_code").str.strip_prefix("\ufeff")),
            on=["region_code", "signal_id"],
            how="semi",
        ).height
        == 0
    )


def test_vt27_merger_delivery_names(tmp_path: Path) -> None:
    cfg = SynthConfig(
        seed=3,
        start_year=2022,
        years=2,
        scale=0.02,
        regions=("VT16", "VT26"),
        notes=False,
        delivery_period="quarter",
        end_date=dt.date(2023, 12, 31),
    )
    summary = generate(cfg, tmp_path)
    names = [p.name for p in summary.inbox.iterdir()]
    assert all(("VT27" in n) == (n >= "2023") for n in names if "_NL_" not in n)
    s = pl.read_parquet(summary.truth / "signals.parquet")
    assert set(s["region_code"].unique().to_list()) <= {"VT16", "VT26", "VT27", "VT99"}


def test_notes_spans_point_into_delivered_notes(tmp_path: Path) -> None:
    cfg = SynthConfig(
        seed=5, start_year=2024, years=1, scale=0.003, notes=True, end_date=dt.date(2024, 12, 31)
    )
    summary = generate(cfg, tmp_path)
    sig, _ = _inbox(summary)
    notes = sig.filter(pl.col("note").is_not_null()).unique(["region_code", "signal_id"])
    spans = pl.read_parquet(summary.truth / "notes.parquet")
    assert spans.columns == ["region_code", "signal_id", "entity_type", "start", "end"]
    assert notes.height > 0.9 * sig.unique(["region_code", "signal_id"]).height
    joined = spans.join(notes, on=["region_code", "signal_id"], how="inner")
    assert joined.height == spans.height
    pieces = joined.select(
        pl.col("note").str.slice(pl.col("start"), pl.col("end") - pl.col("start"))
    ).to_series()
    assert (pieces.str.len_chars() > 0).all()
    bsn = (
        joined.filter(pl.col("entity_type") == "BSN")
        .select(
            pl.col("note")
            .str.slice(pl.col("start"), pl.col("end") - pl.col("start"))
            .str.replace_all(r"\D", "")
        )
        .to_series()
    )
    assert (bsn.str.len_chars() == 9).all()
