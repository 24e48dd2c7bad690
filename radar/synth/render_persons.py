"""How a person row looks as a region delivers it: missing fields, notations and typos.

Input is one row per delivered person row with the person's true identity and uniform draws
``u_<name>`` fixed per person-in-signal (so a re-delivery looks the same unless it corrects
something). Output has the contract columns of ``persons.csv`` (all text) plus ``identifiable``.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from radar.synth import rates
from radar.synth.bsn import elfproef_expr
from radar.synth.noise import NoiseLog

#: Draws the renderer needs, one uniform column ``u_<name>`` each.
DRAWS: Final = (
    "bsn",
    "bsn_typo",
    "bsn_pos",
    "bsn_digit",
    "placeholder",
    "fn_form",
    "fn_typo",
    "sn_typo",
    "typo_pos",
    "typo_kind",
    "prefix",
    "caps",
    "diacritics",
    "birth",
    "birth_form",
    "age",
    "surname",
    "address",
    "phone",
    "phone_form",
    "postcode",
    "hn_style",
    "city",
    "gm",
    "first",
    "correct",
)
NOISE = rates.NOISE_RATES
_FOLD_FROM: Final = ["ü", "ö", "ç", "ş", "ğ", "ı", "é", "ë", "ï", "è", "ä", "Ç", "Ş", "Ö", "Ü", "É"]
_FOLD_TO: Final = ["u", "o", "c", "s", "g", "i", "e", "e", "i", "e", "a", "C", "S", "O", "U", "E"]
_LETTERS: Final = "abcdefghijklmnopqrstuvwxyz"


def _u(name: str) -> pl.Expr:
    return pl.col(f"u_{name}")


def _typo(col: str, hit: pl.Expr) -> pl.Expr:
    """Substitute, swap or drop one letter at a drawn position (strings of 3+ characters)."""
    s = pl.col(col)
    n = s.str.len_chars()
    pos = (_u("typo_pos") * (n - 1)).floor().cast(pl.Int64).clip(1, None)
    letter = pl.lit(_LETTERS).str.slice((_u("bsn_digit") * 26).floor().cast(pl.Int64), 1)
    sub = s.str.slice(0, pos) + letter + s.str.slice(pos + 1)
    swap = (
        s.str.slice(0, pos - 1)
        + s.str.slice(pos, 1)
        + s.str.slice(pos - 1, 1)
        + s.str.slice(pos + 1)
    )
    drop = s.str.slice(0, pos) + s.str.slice(pos + 1)
    kind = _u("typo_kind")
    changed = pl.when(kind < 0.4).then(sub).when(kind < 0.75).then(swap).otherwise(drop)
    return pl.when(hit & (n >= 3)).then(changed).otherwise(s)


def _phone(digits: pl.Expr, form: pl.Expr) -> pl.Expr:
    """A Dutch phone number (10 digits starting with 0) in one of many notations."""
    d = digits
    mobile = d.str.starts_with("06")
    return (
        pl.when(form < 0.25)
        .then(d)
        .when(form < 0.4)
        .then(
            d.str.slice(0, 2 + (~mobile).cast(pl.Int64))
            + "-"
            + d.str.slice(2 + (~mobile).cast(pl.Int64))
        )
        .when(form < 0.5)
        .then(d.str.slice(0, 2) + " " + d.str.slice(2, 4) + " " + d.str.slice(6))
        .when(form < 0.62)
        .then("+31" + d.str.slice(1))
        .when(form < 0.72)
        .then("+31 " + d.str.slice(1, 1) + " " + d.str.slice(2))
        .when(form < 0.8)
        .then("0031" + d.str.slice(1))
        .when(form < 0.9)
        .then("(" + d.str.slice(0, 3) + ") " + d.str.slice(3))
        .otherwise(
            d.str.slice(0, 2)
            + "-"
            + d.str.slice(2, 3)
            + " "
            + d.str.slice(5, 3)
            + " "
            + d.str.slice(8)
        )
    )


def render_persons(frame: pl.DataFrame, log: NoiseLog) -> pl.DataFrame:
    """Delivered person rows (contract columns as text) plus ``identifiable``."""
    mel = pl.col("melding")
    fix = pl.col("corrected")
    unborn = pl.col("unborn")
    adult = (pl.col("received_day") - pl.col("birth_day")) >= 16 * 365

    def chance(m: float, a: float) -> pl.Expr:
        return pl.when(mel).then(pl.lit(m)).otherwise(pl.lit(a))

    f = frame.with_columns(
        has_bsn=((_u("bsn") < chance(rates.MELDING_HAS_BSN, rates.ADVIES_HAS_BSN)) | fix) & ~unborn,
        has_birth=(
            (_u("birth") < chance(rates.MELDING_HAS_BIRTH_DATE, rates.ADVIES_HAS_BIRTH_DATE)) | fix
        )
        & ~unborn,
        has_surname=_u("surname") < chance(rates.MELDING_HAS_SURNAME, rates.ADVIES_HAS_SURNAME),
        has_first=(_u("first") < chance(0.98, 0.8)) & ~unborn,
        has_address=_u("address") < chance(rates.MELDING_HAS_ADDRESS, rates.ADVIES_HAS_ADDRESS),
        has_phone=(_u("phone") < chance(rates.MELDING_HAS_PHONE, rates.ADVIES_HAS_PHONE)) & adult,
        bsn_typo=(_u("bsn_typo") < NOISE["bsn_typo"]) & ~fix,
        fn_typo=(_u("fn_typo") < NOISE["name_typo"]) & ~fix,
        sn_typo=(_u("sn_typo") < NOISE["name_typo"]) & ~fix,
        swapped=(_u("birth_form") < NOISE["birth_date_swapped"]) & ~fix,
    )
    # --- BSN -----------------------------------------------------------------------------
    bsn_txt = pl.col("bsn").cast(pl.Utf8).str.zfill(9)
    pos = (_u("bsn_pos") * 9).floor().cast(pl.Int64)
    old = bsn_txt.str.slice(pos, 1).cast(pl.Int64)
    new_digit = ((old + 1 + (_u("bsn_digit") * 9).floor().cast(pl.Int64)) % 10).cast(pl.Utf8)
    typo_bsn = bsn_txt.str.slice(0, pos) + new_digit + bsn_txt.str.slice(pos + 1)
    f = f.with_columns(
        bsn_out=pl.when(unborn)
        .then(pl.lit("999999999"))
        .when(pl.col("has_bsn") & pl.col("bsn_typo"))
        .then(typo_bsn)
        .when(pl.col("has_bsn"))
        .then(bsn_txt)
        .when(_u("placeholder") < rates.BSN_PLACEHOLDER_UNKNOWN)
        .then(pl.lit("000000000"))
        .otherwise(None)
    )
    # --- first names ---------------------------------------------------------------------
    initials = (
        pl.col("given_names")
        .str.split(" ")
        .list.eval(pl.element().str.slice(0, 1) + ".")
        .list.join("")
    )
    form = _u("fn_form")
    c_call, c_init = NOISE["call_name"], NOISE["call_name"] + NOISE["initials"]
    c_first = c_init + NOISE["first_given_name_only"]
    f = f.with_columns(
        fn_call=pl.col("has_first") & (form < c_call),
        fn_init=pl.col("has_first") & (form >= c_call) & (form < c_init),
        fn_firstonly=pl.col("has_first")
        & (form >= c_init)
        & (form < c_first)
        & pl.col("given_names").str.contains(" "),
    ).with_columns(
        first_out=pl.when(~pl.col("has_first"))
        .then(None)
        .when(pl.col("fn_call"))
        .then(pl.col("call_name"))
        .when(pl.col("fn_init"))
        .then(initials)
        .when(pl.col("fn_firstonly"))
        .then(pl.col("given_names").str.split(" ").list.first())
        .otherwise(pl.col("given_names"))
    )
    f = f.with_columns(first_out=_typo("first_out", pl.col("fn_typo") & ~pl.col("fn_init")))
    # --- surname -------------------------------------------------------------------------
    own = (
        pl.when(pl.col("surname_prefix") == "")
        .then(pl.col("surname"))
        .otherwise(pl.col("surname_prefix") + " " + pl.col("surname"))
    )
    f = (
        f.with_columns(
            pre=pl.when(pl.col("married"))
            .then(pl.col("spouse_prefix"))
            .otherwise(pl.col("surname_prefix")),
            sur=pl.when(pl.col("married"))
            .then(pl.col("spouse_surname") + "-" + own)
            .otherwise(pl.col("surname")),
            in_surname=_u("prefix") < NOISE["prefix_in_surname"],
        )
        .with_columns(
            in_surname=pl.col("in_surname") & (pl.col("pre") != ""),
        )
        .with_columns(
            sur=pl.when(pl.col("in_surname"))
            .then(pl.col("pre") + " " + pl.col("sur"))
            .otherwise(pl.col("sur")),
            pre=pl.when(pl.col("in_surname")).then(pl.lit("")).otherwise(pl.col("pre")),
        )
    )
    f = f.with_columns(sur=_typo("sur", pl.col("sn_typo")))
    caps = _u("caps") < NOISE["all_caps"]
    fold = _u("diacritics") < NOISE["missing_diacritics"]
    has_dia = pl.col("sur").str.contains(r"[^\x00-\x7F]") | pl.col("first_out").str.contains(
        r"[^\x00-\x7F]"
    ).fill_null(False)
    f = (
        f.with_columns(
            caps=caps & pl.col("has_surname"),
            folded=fold & has_dia & pl.col("has_surname"),
        )
        .with_columns(
            sur=pl.when(pl.col("folded"))
            .then(pl.col("sur").str.replace_many(_FOLD_FROM, _FOLD_TO))
            .otherwise(pl.col("sur")),
            first_out=pl.when(pl.col("folded"))
            .then(pl.col("first_out").str.replace_many(_FOLD_FROM, _FOLD_TO))
            .otherwise(pl.col("first_out")),
        )
        .with_columns(
            sur=pl.when(pl.col("caps")).then(pl.col("sur").str.to_uppercase()).otherwise("sur"),
            pre=pl.when(pl.col("caps")).then(pl.col("pre").str.to_uppercase()).otherwise("pre"),
            first_out=pl.when(pl.col("caps"))
            .then(pl.col("first_out").str.to_uppercase())
            .otherwise("first_out"),
        )
        .with_columns(
            sur=pl.when(pl.col("has_surname")).then(pl.col("sur")),
            pre=pl.when(pl.col("has_surname") & (pl.col("pre") != "")).then(pl.col("pre")),
        )
    )
    # --- birth date ----------------------------------------------------------------------
    bd = pl.col("birth_day").cast(pl.Date)
    y = bd.dt.year().cast(pl.Utf8)
    mo = bd.dt.month().cast(pl.Utf8).str.zfill(2)
    dd = bd.dt.day().cast(pl.Utf8).str.zfill(2)
    bf = _u("birth_form")
    b_sw = NOISE["birth_date_swapped"]
    b_ym = b_sw + NOISE["birth_date_year_month"]
    b_y = b_ym + NOISE["birth_date_year_only"]
    b_c = b_y + NOISE["birth_date_compact"]
    f = f.with_columns(
        bd_swap=pl.col("has_birth")
        & pl.col("swapped")
        & (bd.dt.day() <= 12)
        & (bd.dt.day() != bd.dt.month()),
        bd_ym=pl.col("has_birth") & (bf >= b_sw) & (bf < b_ym),
        bd_y=pl.col("has_birth") & (bf >= b_ym) & (bf < b_y),
        bd_compact=pl.col("has_birth") & (bf >= b_y) & (bf < b_c),
    ).with_columns(
        birth_out=pl.when(~pl.col("has_birth"))
        .then(None)
        .when(pl.col("bd_swap"))
        .then(y + "-" + dd + "-" + mo)
        .when(pl.col("bd_ym"))
        .then(y + mo + "00")
        .when(pl.col("bd_y"))
        .then(y + "0000")
        .when(pl.col("bd_compact"))
        .then(y + mo + dd)
        .otherwise(y + "-" + mo + "-" + dd),
    )
    true_age = ((pl.col("received_day") - pl.col("birth_day")) / 365.25).floor()
    f = f.with_columns(
        age_out=pl.when(
            ~mel & ~pl.col("has_birth") & ~unborn & (_u("age") < rates.ADVIES_AGE_ESTIMATE)
        ).then(
            (true_age + ((_u("age") * 10).floor() % 5) - 2)
            .clip(0, 110)
            .cast(pl.Int64)
            .cast(pl.Utf8)
        ),
        sex_out=pl.when(unborn)
        .then(pl.lit(None, dtype=pl.Utf8))
        .when(pl.col("female"))
        .then(pl.lit("V"))
        .otherwise(pl.lit("M")),
    )
    # --- address and phone ---------------------------------------------------------------
    letter = pl.col("addr_suffix")
    style = _u("hn_style") < NOISE["house_number_style"]
    num = pl.col("addr_number").cast(pl.Utf8)
    f = f.with_columns(
        hn_style=style & (letter > 0) & pl.col("has_address"),
        pc_style=(_u("postcode") < NOISE["postcode_spaced_lower"]) & pl.col("has_address"),
        city_caps=(_u("city") < NOISE["city_caps"]) & pl.col("has_address"),
    ).with_columns(
        house_out=pl.when(~pl.col("has_address"))
        .then(None)
        .when(letter == 1)
        .then(num + pl.when(pl.col("hn_style")).then(pl.lit("a")).otherwise(pl.lit("A")))
        .when(letter == 2)
        .then(num + pl.when(pl.col("hn_style")).then(pl.lit("-B")).otherwise(pl.lit("B")))
        .when(letter == 3)
        .then(num + pl.when(pl.col("hn_style")).then(pl.lit(" 2")).otherwise(pl.lit("-2")))
        .when(letter == 4)
        .then(num + pl.when(pl.col("hn_style")).then(pl.lit("bis")).otherwise(pl.lit(" bis")))
        .when(letter == 5)
        .then(num + pl.when(pl.col("hn_style")).then(pl.lit("-hs")).otherwise(pl.lit(" hs")))
        .otherwise(num),
        street_out=pl.when(pl.col("has_address")).then(pl.col("addr_street")),
        postcode_out=pl.when(~pl.col("has_address"))
        .then(None)
        .when(pl.col("pc_style"))
        .then(
            pl.col("addr_postcode").str.slice(0, 4)
            + " "
            + pl.col("addr_postcode").str.slice(4).str.to_lowercase()
        )
        .otherwise(pl.col("addr_postcode")),
        city_out=pl.when(~pl.col("has_address"))
        .then(None)
        .when(pl.col("city_caps"))
        .then(pl.col("addr_city").str.to_uppercase())
        .otherwise(pl.col("addr_city")),
        gm_out=pl.when(pl.col("has_address") & (_u("gm") < rates.HAS_MUNICIPALITY_CODE)).then(
            pl.col("addr_gm")
        ),
        phone_out=pl.when(~pl.col("has_phone"))
        .then(None)
        .when(pl.col("landline").is_not_null() & (_u("phone_form") < 0.3))
        .then(_phone(pl.col("landline"), _u("phone_form") / 0.3))
        .otherwise(_phone(pl.col("mobile"), _u("phone_form"))),
    )
    _log(f, log)
    out = f.select(
        "region_code",
        "signal_id",
        pl.col("person_seq").cast(pl.Utf8),
        "role",
        pl.col("bsn_out").alias("bsn"),
        pl.col("first_out").alias("first_names"),
        pl.col("pre").alias("surname_prefix"),
        pl.col("sur").alias("surname"),
        pl.col("birth_out").alias("birth_date"),
        pl.col("age_out").alias("age_estimate"),
        pl.col("sex_out").alias("sex"),
        pl.col("street_out").alias("street"),
        pl.col("house_out").alias("house_number"),
        pl.col("postcode_out").alias("postcode"),
        pl.col("city_out").alias("city"),
        pl.col("gm_out").alias("municipality_code"),
        pl.col("phone_out").alias("phone"),
    )
    ym_known = pl.col("birth_date").is_not_null() & ~pl.col("birth_date").str.ends_with("0000")
    return out.with_columns(
        identifiable=elfproef_expr("bsn")
        | (pl.col("surname").is_not_null() & (pl.col("surname") != "") & ym_known)
    )


def _log(f: pl.DataFrame, log: NoiseLog) -> None:
    """Count every kind of noise injected into these rows."""
    has_bsn = f["has_bsn"]
    log.add("bsn_missing", 1 - rates.MELDING_HAS_BSN, (~has_bsn & ~f["unborn"]))
    log.add("bsn_placeholder_000000000", rates.BSN_PLACEHOLDER_UNKNOWN, f["bsn_out"] == "000000000")
    log.add("bsn_unborn_999999999", rates.BIRTH, f["unborn"])
    log.add("bsn_typo", NOISE["bsn_typo"], has_bsn & f["bsn_typo"] & ~f["unborn"])
    log.add(
        "name_typo",
        NOISE["name_typo"],
        (f["fn_typo"] & f["first_out"].is_not_null() & ~f["fn_init"]).cast(pl.Int64)
        + (f["sn_typo"] & f["sur"].is_not_null()).cast(pl.Int64),
    )
    log.add("call_name", NOISE["call_name"], f["fn_call"])
    log.add("initials", NOISE["initials"], f["fn_init"])
    log.add("first_given_name_only", NOISE["first_given_name_only"], f["fn_firstonly"])
    log.add("prefix_in_surname", NOISE["prefix_in_surname"], f["in_surname"] & f["has_surname"])
    log.add("all_caps", NOISE["all_caps"], f["caps"])
    log.add("missing_diacritics", NOISE["missing_diacritics"], f["folded"])
    log.add("double_surname_after_marriage", rates.MARRIAGE, f["married"] & f["has_surname"])
    log.add("birth_date_swapped", NOISE["birth_date_swapped"], f["bd_swap"])
    log.add("birth_date_year_month", NOISE["birth_date_year_month"], f["bd_ym"])
    log.add("birth_date_year_only", NOISE["birth_date_year_only"], f["bd_y"])
    log.add("birth_date_compact", NOISE["birth_date_compact"], f["bd_compact"])
    log.add("birth_date_missing", 1 - rates.MELDING_HAS_BIRTH_DATE, ~f["has_birth"] & ~f["unborn"])
    log.add("age_estimate_only", rates.ADVIES_AGE_ESTIMATE, f["age_out"].is_not_null())
    log.add("house_number_style", NOISE["house_number_style"], f["hn_style"])
    log.add("postcode_spaced_lower", NOISE["postcode_spaced_lower"], f["pc_style"])
    log.add("city_caps", NOISE["city_caps"], f["city_caps"])
    log.add("redelivery_correction", NOISE["redelivery_correction"], f["corrected"])
