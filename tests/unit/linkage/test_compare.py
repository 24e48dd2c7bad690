"""Comparison levels that need no linkage run (pc4s one typo apart), and the stored model's
tie to the levels."""

from __future__ import annotations

import numpy as np
import pytest

from linkage import incremental
from linkage.compare import pc4_typo
from linkage.incremental import fingerprint
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


def test_a_stored_model_belongs_to_its_comparison_levels(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = LinkageSettings()
    before = fingerprint(settings, None)
    monkeypatch.setitem(incremental.LEVELS, "address", 5)
    assert fingerprint(settings, None) != before
