import datetime as dt

import polars as pl

from radar.synth.truth import recurrence_truth

D = dt.date


def _run(rows: list[tuple[str, str, dt.date, dt.date | None, list[int]]]) -> dict[str, dict]:
    signals = pl.DataFrame(
        {
            "region_code": [r[0] for r in rows],
            "signal_id": [r[1] for r in rows],
            "received_on": [r[2] for r in rows],
            "closed_on": [r[3] for r in rows],
        },
        schema={
            "region_code": pl.Utf8,
            "signal_id": pl.Utf8,
            "received_on": pl.Date,
            "closed_on": pl.Date,
        },
    )
    persons = pl.DataFrame(
        [(r[0], r[1], p) for r in rows for p in r[4]],
        schema={"region_code": pl.Utf8, "signal_id": pl.Utf8, "true_person_id": pl.Int64},
        orient="row",
    )
    out = recurrence_truth(signals, persons)
    assert out["signal_id"].to_list() == [r[1] for r in rows]  # order kept
    return {r["signal_id"]: r for r in out.to_dicts()}


def test_hand_built_scenario() -> None:
    got = _run(
        [
            ("VT01", "a", D(2020, 1, 1), D(2020, 2, 1), [1, 2]),  # first ever
            ("VT01", "b", D(2020, 3, 1), D(2020, 7, 1), [1, 2, 3]),  # a closed: two known
            ("VT02", "c", D(2020, 6, 1), D(2020, 6, 5), [1, 9]),  # b open: vervolg, other region
            ("VT01", "d", D(2021, 1, 1), None, [9, 10]),  # all closed, one known
            ("VT01", "e", D(2021, 1, 1), None, [10]),  # same day as d: not earlier
            ("VT01", "f", D(2021, 1, 1), None, []),  # no persons
            ("VT03", "g", D(2020, 2, 1), D(2020, 3, 1), [50]),  # unrelated family
            ("VT03", "h", D(2020, 3, 1), None, [50]),  # closed_on == received: open
        ]
    )
    assert got["a"]["recurrence_category"] == "eerste"
    assert got["a"]["prior_signals"] == 0
    assert got["b"]["recurrence_category"] == "hermelding_meerdere_bekend"
    assert got["b"]["prior_signals"] == 1
    assert not got["b"]["prior_other_region"]
    assert got["c"]["recurrence_category"] == "vervolgmelding"
    assert got["c"]["prior_signals"] == 2
    assert got["c"]["prior_other_region"]
    assert got["d"]["recurrence_category"] == "hermelding_een_bekend"
    assert got["d"]["prior_signals"] == 3
    assert got["d"]["prior_other_region"]  # c was VT02
    assert got["e"]["recurrence_category"] == "eerste"
    assert got["f"]["recurrence_category"] == "eerste"
    assert got["h"]["recurrence_category"] == "vervolgmelding"
    fam = {k: v["true_family_id"] for k, v in got.items()}
    assert fam["a"] == fam["b"] == fam["c"] == fam["d"] == fam["e"]
    assert fam["g"] == fam["h"] != fam["a"]
    assert len({fam["a"], fam["f"], fam["g"]}) == 3
    assert fam["a"] == 1 and fam["g"] == 2  # numbered by first signal


def test_component_only_through_earlier_signals() -> None:
    # x and y share nobody until z (later) joins them: y is eerste, z sees both.
    got = _run(
        [
            ("VT05", "x", D(2022, 1, 1), D(2022, 1, 2), [1]),
            ("VT06", "y", D(2022, 2, 1), D(2022, 2, 2), [2]),
            ("VT05", "z", D(2022, 3, 1), D(2022, 3, 2), [1, 2]),
        ]
    )
    assert got["y"]["recurrence_category"] == "eerste"
    assert got["z"]["recurrence_category"] == "hermelding_meerdere_bekend"
    assert got["z"]["prior_signals"] == 2
    assert got["z"]["prior_other_region"]
