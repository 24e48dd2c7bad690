"""Normalisation: table-driven cases and properties (idempotent; case, spacing, diacritics)."""

from __future__ import annotations

import unicodedata

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radar.contract.vocabulary import RELATION_TYPES, VIOLENCE_FORMS
from radar.intake import normalise as norm


def _one(expr: pl.Expr, value: str | None) -> object:
    return pl.DataFrame({"v": [value]}, schema={"v": pl.String}).select(expr).item()


def _apply(fn: object, values: list[str | None]) -> list[object]:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return frame.select(fn(pl.col("v"))).to_series().to_list()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("prefix", "surname", "expected"),
    [
        (None, "de Vries", ("de", "vries")),
        ("de", "Vries", ("de", "vries")),
        ("", "DE VRIES", ("de", "vries")),
        ("van der", "van der Berg", ("van der", "berg")),
        (None, "Van den Broek-Müller", ("van den", "broek-muller")),
        (None, "'t Hart", ("t", "hart")),
        ("'T", "Hart", ("t", "hart")),
        (None, "Jansen-de Vries", (None, "jansen-de vries")),
        (None, "Jansen - de Vries", (None, "jansen-de vries")),
        (None, "Çelik", (None, "celik")),
        (None, "Østergaard", (None, "ostergaard")),
        (None, "  ", (None, None)),
    ],
)
def test_split_surname(prefix: str | None, surname: str, expected: tuple[str | None, ...]) -> None:
    frame = pl.DataFrame({"p": [prefix], "s": [surname]}, schema={"p": pl.String, "s": pl.String})
    p, s = norm.split_surname(pl.col("p"), pl.col("s"))
    assert frame.select(p, s.alias("s2")).row(0) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1985-03-12", (1985, 3, 12)),
        ("19850312", (1985, 3, 12)),
        ("19850300", (1985, 3, None)),
        ("19850000", (1985, None, None)),
        ("12-03-1985", (1985, 3, 12)),
        ("1985-02-30", (None, None, None)),
        ("1985-13-01", (None, None, None)),
        ("18500101", (None, None, None)),
        ("198503", (None, None, None)),
        ("", (None, None, None)),
    ],
)
def test_birth_date_parts(raw: str, expected: tuple[int | None, ...]) -> None:
    y, m, d = norm.birth_date_parts(norm.birth_date_number(pl.col("v")))
    frame = pl.DataFrame({"v": [raw]})
    assert frame.select(y, m.alias("m"), d.alias("d")).row(0) == expected


@pytest.mark.parametrize(
    ("raw", "status", "digits"),
    [
        ("123456782", "valid", "123456782"),
        ("1234.56.782", "valid", "123456782"),
        ("12345678", "invalid", "012345678"),
        ("111222333", "valid", "111222333"),
        ("123456789", "invalid", "123456789"),
        ("000000000", "unknown", "000000000"),
        ("999999999", "unborn", "999999999"),
        ("12345678A", "invalid", "12345678A"),
        (None, "missing", None),
    ],
)
def test_bsn(raw: str | None, status: str, digits: str | None) -> None:
    frame = pl.DataFrame({"v": [raw]}, schema={"v": pl.String})
    d = norm.bsn_digits(pl.col("v"))
    assert frame.select(norm.bsn_status(d), d.alias("d")).row(0) == (status, digits)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("06-12345678", "31612345678"),
        ("+31 (0)6 1234 5678", "31612345678"),
        ("0031 6 12345678", "31612345678"),
        ("043 - 321 45 67", "31433214567"),
        ("+32 470 12 34 56", None),
        ("12345", None),
    ],
)
def test_phone(raw: str, expected: str | None) -> None:
    assert _one(norm.phone(pl.col("v")), raw) == expected


@pytest.mark.parametrize(
    ("raw", "number", "suffix"),
    [
        ("12A", 12, "a"),
        ("12-2", 12, "2"),
        ("12 bis", 12, "bis"),
        ("7 hs", 7, "hs"),
        ("12", 12, None),
        ("a12", None, None),
    ],
)
def test_house_number(raw: str, number: int | None, suffix: str | None) -> None:
    n, s = norm.house_number(pl.col("v"))
    assert pl.DataFrame({"v": [raw]}).select(n, s.alias("s")).row(0) == (number, suffix)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234AB", "1234AB"),
        ("1234 ab", "1234AB"),
        (" 6211 a b ", "6211AB"),
        ("0123AB", None),
        ("1234A", None),
        ("1234ABC", None),
    ],
)
def test_postcode(raw: str, expected: str | None) -> None:
    assert _one(norm.postcode(pl.col("v")), raw) == expected


def test_categories_tolerate_case_and_spaces() -> None:
    values = ["Partnergeweld", "huiselijk geweld overig", "HUISELIJK_GEWELD_OVERIG", "iets", None]
    got = _apply(lambda e: norm.category(e, RELATION_TYPES), values)
    assert got == [
        "partnergeweld",
        "huiselijk_geweld_overig",
        "huiselijk_geweld_overig",
        None,
        None,
    ]
    forms = _apply(
        lambda e: norm.category_list(e, VIOLENCE_FORMS),
        ["Psychisch geweld;lichamelijke mishandeling;x", "anders|anders"],
    )
    assert forms == [["lichamelijke_mishandeling", "psychisch_geweld"], ["anders"]]


# --- properties -------------------------------------------------------------------------------

names = st.text(
    alphabet=st.sampled_from(
        list("abcdefghijklmnopqrstuvwxyzéëïöüçñ ABCDEFGHIJKLMNOPQRSTUVWXYZ'-.")
    ),
    min_size=0,
    max_size=30,
)


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@settings(max_examples=200, deadline=None)
@given(st.lists(names, min_size=1, max_size=20))
def test_fold_is_idempotent(values: list[str]) -> None:
    once = _apply(norm.fold, values)
    twice = _apply(norm.fold, once)  # type: ignore[arg-type]
    assert once == twice


@settings(max_examples=200, deadline=None)
@given(st.lists(names, min_size=1, max_size=20))
def test_fold_ignores_case_spacing_and_diacritics(values: list[str]) -> None:
    variants = ["  " + _strip_accents(v).upper().replace(" ", "   ") + " " for v in values]
    assert _apply(norm.fold, values) == _apply(norm.fold, variants)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), names), names), min_size=1, max_size=20))
def test_split_surname_is_idempotent_and_case_insensitive(
    pairs: list[tuple[str | None, str]],
) -> None:
    frame = pl.DataFrame(
        {"p": [p for p, _ in pairs], "s": [s for _, s in pairs]},
        schema={"p": pl.String, "s": pl.String},
    )
    p, s = norm.split_surname(pl.col("p"), pl.col("s"))
    once = frame.select(p.alias("p"), s.alias("s"))
    again = once.select(
        *(
            e.alias(n)
            for e, n in zip(norm.split_surname(pl.col("p"), pl.col("s")), ("p", "s"), strict=True)
        )
    )
    assert once.rows() == again.rows()
    upper = frame.with_columns(pl.col("p").str.to_uppercase(), pl.col("s").str.to_uppercase())
    shouted = upper.select(
        *(
            e.alias(n)
            for e, n in zip(norm.split_surname(pl.col("p"), pl.col("s")), ("p", "s"), strict=True)
        )
    )
    assert once.rows() == shouted.rows()


postcodes = st.builds(
    lambda d, letters, sep, lower: f"{d}{sep}{letters.lower() if lower else letters}",
    st.integers(1000, 9999).map(str),
    st.text(alphabet="ABCDEFGHIJKLMNOPRSTUVWXYZ", min_size=2, max_size=2),
    st.sampled_from(["", " ", "  "]),
    st.booleans(),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(postcodes, min_size=1, max_size=20))
def test_postcode_idempotent_and_format_insensitive(values: list[str]) -> None:
    once = _apply(norm.postcode, values)
    assert all(v is not None and len(v) == 6 for v in once)  # type: ignore[arg-type]
    assert _apply(norm.postcode, once) == once  # type: ignore[arg-type]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="0123456789", min_size=9, max_size=9), min_size=1, max_size=30))
def test_elfproef_matches_reference(values: list[str]) -> None:
    def reference(bsn: str) -> bool:
        total = sum(int(d) * w for d, w in zip(bsn, (9, 8, 7, 6, 5, 4, 3, 2, -1), strict=True))
        return total % 11 == 0 and total != 0

    got = _apply(norm.passes_elfproef, values)
    assert got == [reference(v) for v in values]


small_text = st.one_of(st.none(), st.sampled_from(["", " ", "a", "A", "b", "ä", "a b"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(small_text, small_text, small_text), max_size=30))
def test_distinct_rows_index_gives_back_every_row(rows: list[tuple[str | None, ...]]) -> None:
    frame = pl.DataFrame(rows, schema=dict.fromkeys("abc", pl.String), orient="row")
    for inputs in (["a"], ["a", "b"], ["c", "a", "b"]):
        distinct, index = norm.distinct_rows(frame, inputs)
        assert distinct.columns == inputs
        assert distinct[index].equals(frame.select(inputs))
        assert not distinct.is_duplicated().any()


@pytest.mark.parametrize(
    "raw",
    ["06 1234 5678", "0031 (0)6-12345678", "+31612345678", "31 612345678", "3161234567", "06123"],
)
def test_with_normalised_equals_normalising_every_row(raw: str) -> None:
    frame = pl.DataFrame({"v": [raw, None, raw, "  "], "w": ["x", "x", None, "y"]})
    groups: list[norm.ByValue] = [
        (["v"], [{"n_v": norm.phone(pl.col("v"))}, {"n_v_given": pl.col("n_v").is_not_null()}]),
        (
            ["v", "w"],
            [
                {"__vw": pl.concat_str(pl.col("v"), pl.col("w"))},  # a step: not in the rows
                {"n_vw": pl.col("__vw")},
            ],
        ),
    ]
    expected = frame.with_columns(
        norm.phone(pl.col("v")).alias("n_v"),
        norm.phone(pl.col("v")).is_not_null().alias("n_v_given"),
        pl.concat_str(pl.col("v"), pl.col("w")).alias("n_vw"),
    )
    assert norm.with_normalised(frame, groups).equals(expected)
