"""Reference data shipped with the package: Veilig Thuis regions and municipalities (CBS codes)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import polars as pl


def _read(name: str) -> pl.DataFrame:
    data = files("radar").joinpath("reference", name).read_bytes()
    return pl.read_csv(data, infer_schema=False)


@cache
def vt_regions() -> pl.DataFrame:
    """Regions with their validity: ``vt_region_code, vt_region_name, valid_from, valid_to``."""
    return _read("vt_regions.csv").with_columns(
        pl.col("valid_from").str.to_date("%Y-%m-%d"),
        pl.col("valid_to").str.to_date("%Y-%m-%d", strict=False),
    )


@cache
def municipalities_2022() -> pl.DataFrame:
    """The 342 municipalities of 2022 with safety region and Veilig Thuis region of 2022."""
    return _read("gemeenten_2022.csv")


def region_of_municipality(year: int) -> pl.DataFrame:
    """Municipality → VT region as valid in ``year`` (VT16 and VT26 became VT27 in 2023)."""
    frame = municipalities_2022().select("municipality_code", "vt_region_code_2022")
    region = pl.col("vt_region_code_2022")
    if year >= 2023:
        region = pl.when(region.is_in(["VT16", "VT26"])).then(pl.lit("VT27")).otherwise(region)
    return frame.select("municipality_code", region.alias("vt_region_code"))
