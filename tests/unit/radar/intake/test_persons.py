"""The persons' duplicate-key helper agrees with polars' own ``is_duplicated``."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from radar.intake.persons import _repeated


def test_repeated_marks_every_copy_and_never_a_null() -> None:
    keys = pl.Series("k", [5, None, 3, 5, None, 7, 5, 3], dtype=pl.UInt64)
    assert _repeated(keys).to_list() == [True, False, True, True, False, False, True, True]
    assert _repeated(pl.Series("k", [], dtype=pl.UInt64)).to_list() == []


@given(st.lists(st.one_of(st.none(), st.integers(0, 2**40)), max_size=60))
def test_repeated_equals_is_duplicated_among_present_keys(values: list[int | None]) -> None:
    keys = pl.Series("k", values, dtype=pl.UInt64)
    expected = (keys.is_not_null() & keys.is_duplicated()).to_list()
    assert _repeated(keys).to_list() == expected
