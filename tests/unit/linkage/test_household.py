"""household_links: weak person matches of two signals add up; one weak match does not."""

from __future__ import annotations

import numpy as np

from linkage.household import family_pairs, household_links, lone_attachments

# rows 0,1 in signal 0; rows 2,3 in signal 1; rows 4 in signal 2; row 5 in signal 3
SIG = np.array([0, 0, 1, 1, 2, 3], dtype=np.int64)


def _links(
    pairs: list[tuple[int, int, float]],
    eligible: list[bool] | None = None,
    shared: list[float] | None = None,
) -> list[bool]:
    i = np.array([p[0] for p in pairs], dtype=np.int64)
    j = np.array([p[1] for p in pairs], dtype=np.int64)
    w = np.array([p[2] for p in pairs], dtype=np.float64)
    ok = np.array(eligible if eligible is not None else [True] * len(pairs), dtype=np.bool_)
    out = household_links(
        SIG,
        i,
        j,
        w,
        ok,
        min_pair_weight=10.0,
        min_signal_weight=25.0,
        min_pairs=2,
        shared=None if shared is None else np.array(shared, dtype=np.float64),
    )
    return [bool(x) for x in out]


def test_two_weak_matches_between_two_signals_link_both() -> None:
    assert _links([(0, 2, 12.0), (1, 3, 14.0)]) == [True, True]


def test_one_weak_match_alone_links_nothing() -> None:
    assert _links([(0, 4, 20.0), (1, 5, 20.0)]) == [False, False]  # different signal pairs


def test_the_sum_must_reach_the_signal_threshold() -> None:
    assert _links([(0, 2, 11.0), (1, 3, 11.0)]) == [False, False]


def test_evidence_about_the_two_signals_counts_once_in_their_sum() -> None:
    # each pair holds 4 bits that are about the signals (same region, a month apart):
    # 13 + 13 - 4 = 22 bits of the two signals' context, short of 25
    assert _links([(0, 2, 13.0), (1, 3, 13.0)]) == [True, True]
    assert _links([(0, 2, 13.0), (1, 3, 13.0)], shared=[4.0, 4.0]) == [False, False]
    assert _links([(0, 2, 15.0), (1, 3, 14.0)], shared=[4.0, 4.0]) == [True, True]


def test_each_row_keeps_only_its_best_partner() -> None:
    # row 0 fits row 2 (15) better than row 3 (12); row 1 fits row 3
    assert _links([(0, 2, 15.0), (0, 3, 12.0), (1, 3, 13.0)]) == [True, False, True]


def test_ineligible_and_weak_pairs_never_count() -> None:
    assert _links([(0, 2, 30.0), (1, 3, 30.0)], eligible=[True, False]) == [False, False]
    assert _links([(0, 2, 30.0), (1, 3, 9.0)]) == [False, False]


def test_a_likely_match_attaches_a_lone_signal_to_one_family_only() -> None:
    # signals 0 and 1 share a person (rows 0, 1); signals 2 and 3 too (rows 2, 3);
    # signal 4 (row 4) and signal 5 (row 5) are alone
    sig = np.array([0, 1, 2, 3, 4, 5])
    labels = np.array([0, 0, 2, 2, 4, 5])
    i = np.array([0, 1, 2, 4, 0])
    j = np.array([2, 4, 4, 5, 5])
    weight = np.array([30.0, 20.0, 25.0, 10.0, 12.0])
    got = lone_attachments(
        sig,
        labels,
        i,
        j,
        weight,
        np.ones(5, dtype=np.bool_),
        prior_odds_bits=-10.0,
        min_probability=0.5,
    ).tolist()
    # row 4 keeps its best family (pair 2, 25 bits), not pair 1; 0-2 would merge two families
    assert got == [False, False, True, False, True]


def test_a_lone_signal_stays_alone_when_another_family_is_nearly_as_likely() -> None:
    # signals 0 and 1 share a person (rows 0, 1), signals 2 and 3 too (rows 2, 3); the lone
    # signal 4 (row 4) matches a row of each family, at 20 and 19 bits
    sig = np.array([0, 1, 2, 3, 4])
    labels = np.array([0, 0, 2, 2, 4])
    i, j = np.array([0, 2]), np.array([4, 4])
    weight = np.array([20.0, 19.0])

    def attached(eligible: list[bool]) -> list[bool]:
        return lone_attachments(
            sig,
            labels,
            i,
            j,
            weight,
            np.array(eligible),
            prior_odds_bits=-10.0,
            min_probability=0.9,
        ).tolist()

    # alone, the first family's odds are 2**10 to 1 (0.999); beside the second family's
    # 2**9 they are 1024 to 513 (0.67)
    assert attached([True, False]) == [True, False]
    assert attached([True, True]) == [False, False]


def test_family_pairs_are_the_other_rows_of_signals_sharing_a_person() -> None:
    # signals 0 and 1 share a person (rows 0 and 2); signal 2 (row 4) shares nobody
    sig = np.array([0, 0, 1, 1, 2])
    labels = np.array([0, 1, 0, 3, 4])
    i, j = family_pairs(sig, labels)
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 3), (1, 2), (1, 3)]
