"""Comparison levels that need no linkage run (pc4s one typo apart, time apart), and the
stored model's tie to the levels."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from linkage import incremental
from linkage.compare import pc4_typo, time_apart_level
from linkage.incremental import fingerprint
from linkage.prepare import Prepared
from radar.settings import LinkageSettings


def test_pc4s_one_typo_apart() -> None:
    pairs = [
        (1234, 1235, True),  # one digit
        (1234, 9234, True),
        (1234, 1324, True),  # adjacent digits swapped
        (1234, 2134, True),
        (1234, 1234, False),  # the same pc4 is another level
        (1234, 1243, True),
        (1234, 4231, False),  # swapped but not adjacent
        (1234, 1256, False),  # two digits
        (1234, -1, False),  # none
        (-1, -1, False),
    ]
    a = np.asarray([p[0] for p in pairs], dtype=np.int64)
    b = np.asarray([p[1] for p in pairs], dtype=np.int64)
    expected = [p[2] for p in pairs]
    assert pc4_typo(a, b).tolist() == expected
    assert pc4_typo(b, a).tolist() == expected


def test_time_apart_bands_the_days_between_the_signals_either_way() -> None:
    # row 0 received on day 1000; the others the given number of days later (or earlier)
    apart = [0, 90, 91, 365, 366, 730, 1095, 1460, 1461, 2190, 2191, 3650, -91, -2191]
    day = np.asarray([1000] + [1000 + d for d in apart], dtype=np.int64)
    p = Prepared(pl.DataFrame(), {}, {}, {"received_day": day}, pl.DataFrame())
    j = np.arange(1, day.size, dtype=np.int64)
    level = time_apart_level(p, np.zeros(j.size, dtype=np.int64), j)
    assert level.tolist() == [1, 1, 2, 2, 3, 3, 4, 5, 6, 6, 7, 7, 2, 7]


def test_a_stored_model_belongs_to_its_comparison_levels(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = LinkageSettings()
    before = fingerprint(settings, None)
    monkeypatch.setitem(incremental.LEVELS, "address", 5)
    assert fingerprint(settings, None) != before
