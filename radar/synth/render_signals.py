"""Signal attributes (relation type, violence forms, reporter, safety) and their notation."""

from __future__ import annotations

import numpy as np
import polars as pl

from radar.contract.vocabulary import REPORTER_SECTORS
from radar.synth import rates

_RELATION_BY_CHAIN = (
    ("partnergeweld", "huiselijk_geweld_overig", "onbekend"),
    ("kindermishandeling", "andere_problematiek", "onbekend"),
    ("ouderenmishandeling", "huiselijk_geweld_overig", "onbekend"),
    ("geweld_tegen_ouders", "huiselijk_geweld_overig", "andere_problematiek"),
)
_FORMS_BY_CHAIN = (
    (
        "lichamelijke_mishandeling",
        "psychisch_geweld",
        "getuige_huiselijk_geweld",
        "seksueel_misbruik",
        "financiele_uitbuiting",
    ),
    (
        "lichamelijke_mishandeling",
        "pedagogische_verwaarlozing",
        "affectieve_verwaarlozing",
        "lichamelijke_verwaarlozing",
        "getuige_huiselijk_geweld",
        "seksueel_misbruik",
    ),
    (
        "financiele_uitbuiting",
        "lichamelijke_verwaarlozing",
        "psychisch_geweld",
        "lichamelijke_mishandeling",
    ),
    ("lichamelijke_mishandeling", "psychisch_geweld", "anders"),
)
_OTHER_SECTORS = np.asarray([s for s in REPORTER_SECTORS if s != "politie_justitie"])
_SAFETY = np.asarray(
    ["acute_onveiligheid", "structurele_onveiligheid", "geen_onveiligheid", "nog_niet_beoordeeld"]
)


def signal_attributes(
    chain_kind: np.ndarray, melding: np.ndarray, rng: np.random.Generator
) -> pl.DataFrame:
    """relation_type, violence_forms (';'-joined), reporter_type, reporter_sector, safety."""
    n = chain_kind.size
    rel_pick = np.select([rng.random(n) < 0.9, rng.random(n) < 0.6], [0, 1], 2)
    relation = np.asarray([r for row in _RELATION_BY_CHAIN for r in row]).reshape(4, 3)[
        chain_kind, rel_pick
    ]
    forms_width = max(len(f) for f in _FORMS_BY_CHAIN)
    table = np.full((4, forms_width), "", dtype=object)
    for i, forms in enumerate(_FORMS_BY_CHAIN):
        table[i, : len(forms)] = forms
        table[i, len(forms) :] = forms[0]
    n_forms = rng.choice(3, n, p=[0.55, 0.3, 0.15]) + 1
    picks = [table[chain_kind, rng.integers(0, forms_width, n)] for _ in range(3)]
    joined = (
        pl.DataFrame({**{f"f{k}": picks[k].astype(str) for k in range(3)}, "n": n_forms})
        .select(
            pl.concat_list("f0", "f1", "f2")
            .list.head(pl.col("n"))
            .list.unique(maintain_order=True)
            .list.join(";")
        )
        .to_series()
    )
    u = rng.random(n)
    police = melding & (u < rates.MELDING_FROM_POLICE)
    advies_police = ~melding & (u < 0.05)
    r2 = rng.random(n)
    reporter_type = np.where(
        police | advies_police,
        "beroepsmatig",
        np.where(
            melding,
            np.select([r2 < 0.82, r2 < 0.95], ["beroepsmatig", "niet_beroepsmatig"], "anoniem"),
            np.select([r2 < 0.45, r2 < 0.92], ["beroepsmatig", "niet_beroepsmatig"], "anoniem"),
        ),
    )
    sector = np.where(
        police | advies_police,
        "politie_justitie",
        _OTHER_SECTORS[rng.integers(0, _OTHER_SECTORS.size, n)],
    )
    has_sector = reporter_type == "beroepsmatig"
    s = rng.random(n)
    safety = np.where(
        melding,
        _SAFETY[np.select([s < 0.1, s < 0.45, s < 0.75], [0, 1, 2], 3)],
        np.where(s < 0.2, _SAFETY[3], ""),
    )
    return pl.DataFrame(
        {
            "relation_type": relation.astype(str),
            "violence_forms": joined,
            "reporter_type": reporter_type,
            "reporter_sector": pl.Series(np.where(has_sector, sector, "")),
            "safety_assessment": safety.astype(str),
        }
    ).with_columns(
        pl.col("reporter_sector").replace("", None),
        pl.col("safety_assessment").replace("", None),
    )


def vary_category_case(col: str, u: pl.Expr, enabled: pl.Expr) -> pl.Expr:
    """Category values as some exporters write them: capitalised with spaces, or in capitals."""
    c = pl.col(col)
    spaced = c.str.replace_all("_", " ")
    return (
        pl.when(enabled & (u < 0.5))
        .then(spaced.str.slice(0, 1).str.to_uppercase() + spaced.str.slice(1))
        .when(enabled & (u < 0.8))
        .then(c.str.to_uppercase())
        .otherwise(c)
    )
