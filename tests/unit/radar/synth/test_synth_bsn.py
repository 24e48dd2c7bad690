import numpy as np
import polars as pl

from radar.synth.bsn import (
    as_text,
    corrupt_one_digit,
    elfproef_expr,
    generate_bsns,
    passes_elfproef,
)


def _check(number: str) -> bool:
    weights = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    total = sum(int(d) * w for d, w in zip(number, weights, strict=True))
    return total % 11 == 0 and number != "000000000"


def test_generated_bsns_pass_the_elfproef_and_are_distinct() -> None:
    bsns = generate_bsns(50_000, np.random.default_rng(3))
    assert bsns.size == 50_000
    assert np.unique(bsns).size == bsns.size
    assert passes_elfproef(bsns).all()
    texts = as_text(bsns[:2000]).to_list()
    assert all(len(t) == 9 and _check(t) for t in texts)


def test_corrupted_bsns_fail_the_elfproef() -> None:
    rng = np.random.default_rng(5)
    bsns = generate_bsns(20_000, rng)
    bad = corrupt_one_digit(bsns, rng)
    assert (bad != bsns).all()
    assert not passes_elfproef(bad).any()
    assert not any(_check(t) for t in as_text(bad[:2000]).to_list())


def test_elfproef_expression_matches_reference() -> None:
    values = ["111222333", "123456782", "000000000", "999999999", "12345678", None, "11122233X"]
    got = pl.DataFrame({"b": values}).select(elfproef_expr("b")).to_series().to_list()
    want = [v is not None and len(v) == 9 and v.isdigit() and _check(v) for v in values]
    assert got == want
