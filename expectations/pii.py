"""Custom expectations: no residual personal data in redacted free text.

Four Great Expectations column-map expectations, each with its own metric, for columns that
should hold only redacted text (``note_redacted``): a row is *unexpected* when it still holds

* a BSN: nine digits (optionally split by spaces, dots or dashes) that pass the 11-test;
* a Dutch phone number: ``0``, ``+31`` or ``0031`` followed by nine digits, optionally split;
* an e-mail address;
* a Dutch postcode: four digits (not starting with 0), an optional space, two capitals (not
  ``SA``, ``SD`` or ``SS``, which are never issued).

The matchers are plain functions on a pandas Series, usable without GX (tests, findings). The
expectations report counts of offending rows; the gates run them with a result format that
keeps the offending values out of every result and page.

Import this module before loading a suite that uses them (GX registers expectations and
metrics at import; a suite read from a file drops unknown ones silently).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider.column_condition_partial import (
    column_condition_partial,
)
from great_expectations.expectations.metrics.map_metric_provider.column_map_metric_provider import (
    ColumnMapMetricProvider,
)

BSN_CANDIDATE = r"(?<![\d])(\d(?:[ .\-]?\d){8})(?![\d])"
PHONE = r"(?<![\d+])(?:\+31|0031|0)(?:[ \-.]?\d){9}(?![\d])"
EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
POSTCODE = r"\b[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}\b"
_WEIGHTS = np.array([9, 8, 7, 6, 5, 4, 3, 2, -1])


def passes_elfproef(digits: pd.Series) -> pd.Series:
    """Per nine-digit string: the 11-test (weighted sum a multiple of 11, not zero)."""
    if digits.empty:
        return pd.Series(dtype=bool, index=digits.index)
    matrix = np.frombuffer("".join(digits.tolist()).encode("ascii"), dtype=np.uint8).reshape(
        -1, 9
    ).astype(np.int64) - ord("0")
    total = matrix @ _WEIGHTS
    return pd.Series((total % 11 == 0) & (total != 0), index=digits.index)


def contains_bsn(text: pd.Series) -> pd.Series:
    """True where the text holds a number that passes the 11-test."""
    found = text.dropna().astype(str).str.extractall(BSN_CANDIDATE)
    hit = pd.Series(False, index=text.index)
    if found.empty:
        return hit
    digits = found[0].str.replace(r"[ .\-]", "", regex=True)
    valid = passes_elfproef(digits)
    rows = valid[valid].index.get_level_values(0).unique()
    hit.loc[rows] = True
    return hit


def contains(pattern: str, text: pd.Series) -> pd.Series:
    """True where the text matches ``pattern`` anywhere (null text: False)."""
    return text.astype("string").str.contains(pattern, regex=True).fillna(False).astype(bool)


class _NoBsn(ColumnMapMetricProvider):
    condition_metric_name = "column_values.radar_no_bsn"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:  # noqa: N805
        return ~contains_bsn(column)


class _NoPhone(ColumnMapMetricProvider):
    condition_metric_name = "column_values.radar_no_phone"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:  # noqa: N805
        return ~contains(PHONE, column)


class _NoEmail(ColumnMapMetricProvider):
    condition_metric_name = "column_values.radar_no_email"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:  # noqa: N805
        return ~contains(EMAIL, column)


class _NoPostcode(ColumnMapMetricProvider):
    condition_metric_name = "column_values.radar_no_postcode"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:  # noqa: N805
        return ~contains(POSTCODE, column)


class _ValidBsn(ColumnMapMetricProvider):
    condition_metric_name = "column_values.radar_valid_bsn"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:  # noqa: N805
        text = column.astype(str)
        shaped = text.str.fullmatch(r"\d{9}")
        ok = pd.Series(False, index=column.index)
        ok.loc[shaped] = passes_elfproef(text[shaped])
        return ok


class ExpectColumnValuesToNotContainBsn(ColumnMapExpectation):
    """Expect no value to contain a number that passes the BSN 11-test."""

    map_metric: ClassVar[str] = "column_values.radar_no_bsn"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class ExpectColumnValuesToNotContainPhone(ColumnMapExpectation):
    """Expect no value to contain a Dutch phone number."""

    map_metric: ClassVar[str] = "column_values.radar_no_phone"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class ExpectColumnValuesToNotContainEmail(ColumnMapExpectation):
    """Expect no value to contain an e-mail address."""

    map_metric: ClassVar[str] = "column_values.radar_no_email"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class ExpectColumnValuesToNotContainPostcode(ColumnMapExpectation):
    """Expect no value to contain a Dutch postcode."""

    map_metric: ClassVar[str] = "column_values.radar_no_postcode"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class ExpectColumnValuesToBeValidBsn(ColumnMapExpectation):
    """Expect every (non-null) value to be nine digits passing the 11-test."""

    map_metric: ClassVar[str] = "column_values.radar_valid_bsn"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


RESIDUAL_PII = (
    ExpectColumnValuesToNotContainBsn,
    ExpectColumnValuesToNotContainPhone,
    ExpectColumnValuesToNotContainEmail,
    ExpectColumnValuesToNotContainPostcode,
)
