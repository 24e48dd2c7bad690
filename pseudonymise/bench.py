"""Throughput of the structured half of the pseudonymise stage on synthetic persons.

``bench_persons(n)`` builds ``n`` synthetic normalised intake person rows (vectorised, names
drawn from the attack module's Dutch-like frequency distributions) and times
``pseudonymise_persons`` on them with a fresh random key.
"""

from __future__ import annotations

import time

import numpy as np
import polars as pl

from pseudonymise.attack import birth_dates, vocabulary, zipf_mandelbrot
from pseudonymise.keys import MasterKey
from pseudonymise.persons import INPUT_COLUMNS, pseudonymise_persons


def _pick(values: list[str], probs: np.ndarray, n: int, rng: np.random.Generator) -> pl.Series:
    return pl.Series(values, dtype=pl.Utf8).gather(rng.choice(len(values), n, p=probs))


def _masked(series: pl.Series, keep: np.ndarray) -> pl.Series:
    return series.to_frame().select(pl.when(pl.Series(keep)).then(pl.first())).to_series()


def synthetic_persons(n: int, seed: int = 1) -> pl.DataFrame:
    """``n`` normalised intake person rows (synthetic), in the intake persons interface."""
    rng = np.random.default_rng(seed)
    first = vocabulary("first_name", rng)
    last = vocabulary("surname", rng)
    streets = [
        name + suffix
        for name, suffix in zip(
            last.names[:5000],
            np.resize(["straat", "weg", "laan", "plein", "dijk"], 5000),
            strict=True,
        )
    ]
    dates = birth_dates(n, rng)
    has = rng.random((8, n))
    given = _pick(first.names, first.probs, n, rng)
    second = _pick(first.names, first.probs, n, rng)
    first_names = (
        pl.DataFrame({"a": given, "b": _masked(second, has[0] < 0.4)})
        .select(pl.concat_str(["a", "b"], separator=" ", ignore_nulls=True))
        .to_series()
    )
    day = rng.integers(1, 29, n)
    frame = pl.DataFrame(
        {
            "region_code": pl.Series(
                np.char.add("VT", np.char.zfill(rng.integers(1, 27, n).astype(str), 2))
            ),
            "signal_id": pl.Series(np.char.add("S", (np.arange(n) // 3).astype(str))),
            "person_seq": pl.Series((np.arange(n) % 3 + 1).astype(np.int32)),
            "role": _pick(
                ["slachtoffer", "pleger", "kind", "overig"], np.array([0.3, 0.3, 0.3, 0.1]), n, rng
            ),
            "bsn": _masked(
                pl.Series(rng.integers(100_000_000, 999_999_999, n).astype(str)), has[1] < 0.7
            ),
            "first_names": _masked(first_names, has[2] < 0.9),
            "surname_prefix": _masked(
                _pick(["de", "van", "van der", "van den"], np.full(4, 0.25), n, rng), has[3] < 0.3
            ),
            "surname": _masked(_pick(last.names, last.probs, n, rng), has[2] < 0.92),
            "birth_year": dates.get_column("birth_year"),
            "birth_month": dates.get_column("birth_month"),
            "birth_day": _masked(
                pl.Series(day.astype(np.int8)),
                dates.get_column("birth_month").is_not_null().to_numpy(),
            ),
            "age_estimate": _masked(
                pl.Series(rng.integers(0, 90, n).astype(np.int16)),
                dates.get_column("birth_year").is_null().to_numpy(),
            ),
            "sex": _pick(["M", "V", "O"], np.array([0.48, 0.48, 0.04]), n, rng),
            "street": _masked(
                _pick(streets, zipf_mandelbrot(5000, 0.8, 5.0), n, rng), has[4] < 0.8
            ),
            "house_number": _masked(
                pl.Series(rng.integers(1, 300, n).astype(np.int32)), has[4] < 0.8
            ),
            "house_number_suffix": _masked(
                _pick(["a", "b", "2", "bis"], np.full(4, 0.25), n, rng), has[5] < 0.1
            ),
            "postcode": _masked(
                pl.Series(np.char.add(rng.integers(1000, 9999, n).astype(str), "AB")), has[4] < 0.8
            ),
            "city": _masked(
                _pick(["amsterdam", "utrecht", "tilburg"], np.full(3, 1 / 3), n, rng), has[4] < 0.8
            ),
            "municipality_code": dates.get_column("municipality_code"),
            "phone": _masked(
                pl.Series(np.char.add("316", rng.integers(10_000_000, 99_999_999, n).astype(str))),
                has[6] < 0.5,
            ),
        }
    )
    return (
        frame.with_columns(
            pl.col("bsn")
            .is_not_null()
            .replace_strict({True: "valid", False: "missing"})
            .alias("bsn_status"),
            pl.col("first_names").str.len_bytes().eq(1).alias("first_names_initials"),
            pl.lit("bench").alias("delivery_id"),
            pl.int_range(2, n + 2, dtype=pl.Int64).alias("source_line"),
        )
        .select(list(INPUT_COLUMNS))
        .cast(pl.Schema(INPUT_COLUMNS))
    )


def bench_persons(n: int = 1_000_000, seed: int = 1) -> dict[str, float]:
    """Rows per second of ``pseudonymise_persons`` on ``n`` synthetic rows (plus timings)."""
    start = time.perf_counter()
    persons = synthetic_persons(n, seed)
    generated = time.perf_counter()
    cpu_start = time.process_time()
    out = pseudonymise_persons(persons, MasterKey.generate())
    cpu = time.process_time() - cpu_start
    done = time.perf_counter()
    seconds = done - generated
    return {
        "rows": float(out.height),
        "generate_seconds": generated - start,
        "pseudonymise_seconds": seconds,
        "rows_per_second": out.height / seconds if seconds > 0 else float("inf"),
        # CPU time of all threads: on a shared machine, rows per CPU-second is the stable figure
        "cpu_seconds": cpu,
        "rows_per_cpu_second": out.height / cpu if cpu > 0 else float("inf"),
        "output_mib": out.estimated_size("mb"),
    }
