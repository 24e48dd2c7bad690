"""Feeding the note composer (``radar.synth.notes.compose_notes``): one subject row per signal."""

from __future__ import annotations

import polars as pl

from radar.synth.population import CHILD_SLOTS, NEW_CHILD

_SCHOOLS = (
    "basisschool De Regenboog",
    "OBS De Wilgen",
    "CBS Het Kompas",
    "De Vlinderboom",
    "basisschool De Klimop",
    "Montessorischool",
    "RK basisschool Sint Jozef",
    "Het Palet",
    "IKC De Zonnewijzer",
    "Openbare Basisschool De Springplank",
    "Het Baken",
    "De Fontein",
)
_FOLD_FROM = ["ü", "ö", "ç", "ş", "ğ", "ı", "é", "ë", "ï", "è", "ä", "'", " "]
_FOLD_TO = ["u", "o", "c", "s", "g", "i", "e", "e", "i", "e", "a", "", ""]


def subjects(signals: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """The ``compose_notes`` input: names, address, phone, BSN, e-mail and school per signal."""
    full_surname = (
        pl.when(pl.col("surname_prefix") == "")
        .then(pl.col("surname"))
        .otherwise(pl.col("surname_prefix") + " " + pl.col("surname"))
    )
    m = members.with_columns(full=full_surname)
    victim = (
        m.filter(pl.col("role") == "slachtoffer")
        .group_by("sig")
        .first()
        .select(
            "sig",
            pl.col("call_name").alias("victim_first_name"),
            pl.col("full").alias("victim_surname"),
            pl.col("addr_street").alias("street"),
            pl.col("addr_number").cast(pl.Utf8).alias("house_number"),
            pl.col("addr_postcode").alias("postcode"),
            pl.col("addr_city").alias("city"),
            pl.col("mobile").alias("phone"),
            pl.col("bsn").cast(pl.Utf8).str.zfill(9).alias("bsn"),
            (
                pl.col("call_name").str.to_lowercase()
                + "."
                + pl.col("surname").str.to_lowercase()
                + pl.col("email_n").cast(pl.Utf8)
                + "@"
                + pl.col("email_domain")
            )
            .str.replace_many(_FOLD_FROM, _FOLD_TO)
            .alias("email"),
        )
    )
    perp = (
        m.filter(pl.col("role") == "pleger")
        .group_by("sig")
        .first()
        .select(
            "sig",
            pl.col("call_name").alias("perpetrator_first_name"),
            pl.col("full").alias("perpetrator_surname"),
        )
    )
    child = (
        m.filter(pl.col("slot").is_in([*CHILD_SLOTS, NEW_CHILD]) & ~pl.col("unborn"))
        .group_by("sig")
        .first()
        .select(
            "sig",
            pl.col("call_name").alias("child_first_name"),
            pl.lit(list(_SCHOOLS)).list.get(pl.col("chain") % len(_SCHOOLS)).alias("school_name"),
            pl.col("addr_city").alias("school_city"),
        )
    )
    out = (
        signals.select(
            pl.col("sig").alias("note_key"),
            pl.when(pl.col("melding"))
            .then(pl.lit("melding"))
            .otherwise(pl.lit("advies"))
            .alias("kind"),
            pl.col("received_day").cast(pl.Int32).cast(pl.Date).alias("received_on"),
        )
        .join(victim.rename({"sig": "note_key"}), on="note_key", how="left")
        .join(perp.rename({"sig": "note_key"}), on="note_key", how="left")
        .join(child.rename({"sig": "note_key"}), on="note_key", how="left")
    )
    return out.with_columns(
        school=pl.col("school_name") + " in " + pl.col("school_city"),
    ).select(
        pl.col("note_key").cast(pl.Int64),
        "kind",
        "received_on",
        "victim_first_name",
        "victim_surname",
        "perpetrator_first_name",
        "perpetrator_surname",
        "child_first_name",
        "street",
        "house_number",
        "postcode",
        "city",
        "phone",
        "bsn",
        "email",
        "school",
    )


def make_notes(
    signals: pl.DataFrame, members: pl.DataFrame, seed: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(sig, note) and (sig, entity_type, start, end) from the colleague's composer."""
    from radar.synth.notes import compose_notes  # written separately; imported when needed

    notes, spans = compose_notes(subjects(signals, members), seed)
    return (
        notes.select(pl.col("note_key").alias("sig"), "note"),
        spans.select(pl.col("note_key").alias("sig"), "entity_type", "start", "end"),
    )
