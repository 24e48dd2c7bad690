"""The attacks work on weak encodings and fail on the chosen one."""

from __future__ import annotations

import numpy as np
import pytest

from pseudonymise import attack


def test_vocabularies_are_realistic() -> None:
    rng = np.random.default_rng(1)
    surnames, first = attack.vocabulary("surname", rng), attack.vocabulary("first_name", rng)
    assert len(set(surnames.names)) == len(surnames.names) == 100_000
    assert 0.004 < surnames.probs[0] < 0.007 and 0.03 < surnames.probs[:10].sum() < 0.05
    assert 0.01 < first.probs[0] < 0.02 and abs(first.probs.sum() - 1) < 1e-9


def test_frequency_alignment_recovers_ranked_classes() -> None:
    rng = np.random.default_rng(2)
    truth = np.repeat(np.arange(4), [40, 30, 20, 10])
    filters = (truth[:, None] + np.arange(8)[None, :]).astype(np.uint64)  # one filter per name
    groups = np.zeros(truth.size, dtype=np.int64)
    assert attack.frequency_alignment(filters, groups, truth, rng).all()
    shuffled = 3 - truth  # names ranked the other way round: nothing recovered
    assert not attack.frequency_alignment(filters, groups, shuffled, rng).any()


def test_chosen_design_resists_while_unsalted_fails() -> None:
    designs = (attack.DESIGNS[0], attack.DESIGNS[2])
    report = attack.run_attacks(20_000, seed=3, designs=designs, with_pattern_mining=False)
    chosen, unsalted = report.results
    assert chosen.person_share <= 0.01
    # the attack has teeth on the unsalted design, and salting takes most of it away
    assert unsalted.field_shares["first_name"]["frequency_alignment"] > 0.05
    assert (
        chosen.field_shares["first_name"]["frequency_alignment"]
        <= report.baseline["first_name"] + 0.005
    )
    assert (
        chosen.field_shares["surname"]["frequency_alignment"] <= report.baseline["surname"] + 0.005
    )
    assert chosen.quality["surname"].f1 > 0.9 and chosen.quality["first_name"].f1 > 0.9
    assert "both names re-identified" in attack.format_report(report)


@pytest.mark.slow
def test_full_attack_on_100k_persons() -> None:
    report = attack.run_attacks(100_000, seed=7, designs=attack.DESIGNS[:1])
    chosen = report.results[0]
    assert chosen.person_share <= 0.01
    for kind, shares in chosen.field_shares.items():
        for share in shares.values():
            assert share <= report.baseline[kind] + 0.005, (kind, shares)


def test_filters_salted_by_the_other_name_resist_frequency_attacks() -> None:
    report = attack.cross_salted_attack(20_000, seed=3)
    # no better than guessing the most frequent surname for everyone
    assert report.surname <= report.baseline_surname + 0.005
    assert report.first_name <= 0.01
    assert report.both <= 0.001
    assert report.pattern_mining_surname <= report.baseline_surname + 0.005
