"""Measured attacks on the name encodings, and the matching quality they keep.

Threat model: an insider or a thief holds the pseudonymised persons table but not the key.
They know the population's name frequencies exactly (here: the Zipf-Mandelbrot distribution the
synthetic population is drawn from, with a Dutch-like head), the bigram scheme and every clear
column, so they can split filters by ``birth_year`` (the salt of the name filters).

Two attacks, run per field (first name, surname) on ``n`` synthetic persons:

* **frequency alignment**: group identical filters (per birth year when salted), rank groups
  by size and give the i-th largest group the i-th most frequent name;
* **pattern mining** (after Christen et al.): positions set by the same bigram are set in the
  same filters, so positions whose columns nearly coincide (Jaccard >= 0.9) are grouped; groups
  are aligned by frequency rank with the public bigram frequencies, each filter is decoded into
  bigrams and matched (Dice, ties to the more frequent name) against the 10,000 most frequent
  names.

A person's field counts as re-identified when the attacker's guess is right; a person is
re-identified when both names are. The no-attack baseline (guess the most frequent name for
everyone) is reported beside it. Quality: Dice of one-typo variants against unrelated and
look-alike names (same first two letters), and the F1 at the best threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from pseudonymise import bloom
from pseudonymise.keys import MasterKey
from pseudonymise.persons import NAME_PARAMS, Salt, salt_expr

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

REFERENCE_YEAR: Final = 2025
MUNICIPALITIES: Final = 342
_SURNAME_HEAD: Final = [
    "jong",
    "jansen",
    "vries",
    "berg",
    "dijk",
    "bakker",
    "janssen",
    "visser",
    "smit",
    "meijer",
    "boer",
    "mulder",
    "groot",
    "bos",
    "vos",
    "peters",
    "hendriks",
    "leeuwen",
    "dekker",
    "brouwer",
    "wit",
    "dijkstra",
    "smits",
    "graaf",
    "meer",
    "linden",
    "kok",
    "jacobs",
    "haan",
    "vermeulen",
    "heuvel",
    "veen",
    "broek",
    "bruijn",
    "bruin",
    "heijden",
    "schouten",
    "beek",
    "willems",
    "vliet",
    "ven",
    "hoekstra",
    "maas",
    "verhoeven",
    "koster",
    "prins",
    "leeuw",
    "huisman",
    "peeters",
    "kuipers",
    "yilmaz",
    "el",
    "amrani",
    "kaya",
]
_FIRST_HEAD: Final = [
    "maria",
    "johannes",
    "anna",
    "cornelis",
    "hendrik",
    "jan",
    "willem",
    "johanna",
    "elisabeth",
    "pieter",
    "daan",
    "emma",
    "sophie",
    "mohamed",
    "lucas",
    "julia",
    "sem",
    "noah",
    "levi",
    "eva",
    "sara",
    "thomas",
    "lisa",
    "kevin",
    "linda",
    "mark",
    "fatima",
    "ahmed",
    "anouk",
    "lotte",
    "bram",
    "tim",
    "sanne",
    "ruben",
    "iris",
    "femke",
    "jesse",
    "milan",
    "luuk",
    "tess",
]
_ONSETS: Final = [
    "b",
    "d",
    "g",
    "h",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "t",
    "v",
    "w",
    "z",
    "j",
    "br",
    "dr",
    "gr",
    "kr",
    "st",
    "sch",
    "fr",
    "tr",
]
_VOWELS: Final = ["a", "e", "i", "o", "u", "aa", "ee", "oo", "ei", "ij", "ou", "ui", "oe", "ie"]
_CODAS: Final = ["", "n", "r", "l", "k", "s", "t", "m", "ng", "rt", "ld", "ns"]
_SURNAME_ENDINGS: Final = [
    "",
    "sen",
    "man",
    "ink",
    "stra",
    "ma",
    "ing",
    "er",
    "ens",
    "huis",
    "kamp",
    "veld",
    "berg",
    "dijk",
    "hof",
    "s",
    "en",
]
_FIRST_ENDINGS: Final = ["", "a", "e", "o", "ie", "y", "en", "ine", "ette", "us", "is", "an"]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Names with their population probabilities, most frequent first."""

    names: list[str]
    probs: npt.NDArray[np.float64]


def zipf_mandelbrot(size: int, s: float, q: float) -> npt.NDArray[np.float64]:
    ranks = np.arange(1, size + 1, dtype=np.float64)
    weights: npt.NDArray[np.float64] = 1.0 / (ranks + q) ** s
    normalised: npt.NDArray[np.float64] = weights / weights.sum()
    return normalised


def _generated_names(
    count: int, endings: Sequence[str], exclude: set[str], rng: np.random.Generator
) -> list[str]:
    onsets, vowels, codas, ends = (
        np.array(x, dtype=object) for x in (_ONSETS, _VOWELS, _CODAS, endings)
    )
    out: list[str] = []
    seen = set(exclude)
    while len(out) < count:  # vocabulary generation, not a per-row path
        batch = 4 * (count - len(out))

        def syllable(size: int = batch) -> npt.NDArray[np.object_]:
            parts = (
                onsets[rng.integers(0, onsets.size, size)]
                + vowels[rng.integers(0, vowels.size, size)]
                + codas[rng.integers(0, codas.size, size)]
            )
            return np.asarray(parts, dtype=object)

        two = rng.random(batch) < 0.5
        stems = np.where(two, syllable() + syllable(), syllable())
        for name in (stems + ends[rng.integers(0, ends.size, batch)]).tolist():
            if name not in seen and 3 <= len(name) <= 14:
                seen.add(name)
                out.append(name)
    return out[:count]


def vocabulary(kind: str, rng: np.random.Generator) -> Vocabulary:
    """Surnames (100k names, top 0.55%, top 10 4%) or first names (30k, top 1.4%, top 10 9%)."""
    if kind == "surname":
        head, endings, size, s, q = _SURNAME_HEAD, _SURNAME_ENDINGS, 100_000, 0.85, 8.0
    elif kind == "first_name":
        head, endings, size, s, q = _FIRST_HEAD, _FIRST_ENDINGS, 30_000, 0.9, 4.0
    else:
        raise ValueError(kind)
    names = list(head) + _generated_names(size - len(head), endings, set(head), rng)
    return Vocabulary(names, zipf_mandelbrot(size, s, q))


def birth_dates(
    n: int, rng: np.random.Generator, missing_year: float = 0.1, missing_month: float = 0.05
) -> pl.DataFrame:
    """Veilig Thuis-like ages (~45% children, adults up to 90), some dates unknown or partial,
    and a municipality (342, largest ~6%) for each person."""
    child = rng.random(n) < 0.45
    age = np.where(child, rng.integers(0, 18, n), rng.integers(18, 91, n))
    no_year = rng.random(n) < missing_year
    no_month = no_year | (rng.random(n) < missing_month)
    municipality = rng.choice(MUNICIPALITIES, n, p=zipf_mandelbrot(MUNICIPALITIES, 1.0, 8.0))
    return pl.DataFrame(
        {
            "birth_year": pl.Series(REFERENCE_YEAR - age, dtype=pl.Int16),
            "birth_month": pl.Series(rng.integers(1, 13, n), dtype=pl.Int8),
            "municipality_code": pl.Series([f"GM{m:04d}" for m in municipality], dtype=pl.Utf8),
        }
    ).with_columns(
        pl.when(~pl.Series(no_year)).then(pl.col("birth_year")).alias("birth_year"),
        pl.when(~pl.Series(no_month)).then(pl.col("birth_month")).alias("birth_month"),
    )


def typo(name: str, rng: np.random.Generator) -> str:
    """One random edit: substitution, deletion, insertion or transposition."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    i = int(rng.integers(0, len(name)))
    op = int(rng.integers(0, 4))
    if op == 0:
        return name[:i] + str(rng.choice(list(letters.replace(name[i], "")))) + name[i + 1 :]
    if op == 1 and len(name) > 2:
        return name[:i] + name[i + 1 :]
    if op == 3 and i + 1 < len(name) and name[i] != name[i + 1]:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name[:i] + str(rng.choice(list(letters))) + name[i:]


@dataclass(frozen=True, slots=True)
class Design:
    """One candidate encoding of the name fields: filter parameters and salt per field."""

    label: str
    params: bloom.BloomParams
    salts: dict[str, Salt]


DESIGNS: Final = (
    Design(
        "chosen: m=512 k=10; first name salted by birth year+month, surname by birth year",
        NAME_PARAMS,
        {"first_name": "year_month", "surname": "year"},
    ),
    Design(
        "m=512 k=10, both salted by birth year",
        NAME_PARAMS,
        {"first_name": "year", "surname": "year"},
    ),
    Design("m=512 k=10, unsalted", NAME_PARAMS, {"first_name": "none", "surname": "none"}),
    Design(
        "m=4096 k=4, unsalted (weak reference)",
        bloom.BloomParams(4096, 4),
        {"first_name": "none", "surname": "none"},
    ),
)


def _unpack(filters: bloom.U64, bits: int) -> BoolArray:
    raw = np.ascontiguousarray(filters).view(np.uint8)
    return np.unpackbits(raw, axis=1, bitorder="little")[:, :bits].astype(bool)


def frequency_alignment(
    filters: bloom.U64, groups: IntArray, truth: IntArray, rng: np.random.Generator
) -> BoolArray:
    """Per person: does ranking equal filters by size (within a group) recover the name?"""
    keyed = np.concatenate([groups[:, None].astype(np.uint64), filters], axis=1)
    _, cls, counts = np.unique(keyed, axis=0, return_inverse=True, return_counts=True)
    cls = cls.ravel()
    first = np.zeros(counts.size, dtype=np.int64)
    first[cls[::-1]] = np.arange(cls.size)[::-1]
    class_group = groups[first]
    order = np.lexsort((rng.random(counts.size), -counts, class_group))
    group_sorted = class_group[order]
    starts = np.searchsorted(group_sorted, group_sorted, side="left")
    rank = np.empty(counts.size, dtype=np.int64)
    rank[order] = np.arange(counts.size) - starts
    correct: BoolArray = rank[cls] == truth  # names are ranked by frequency: name id == rank
    return correct


def _bigram_matrix(names: Sequence[str]) -> npt.NDArray[np.float32]:
    rows, codes = bloom.bigrams(pl.Series(list(names), dtype=pl.Utf8))
    _, inverse = np.unique(codes, return_inverse=True)
    matrix = np.zeros((len(names), int(inverse.max()) + 1), dtype=np.float32)
    matrix[rows, inverse] = 1.0
    return matrix


def _position_groups(x: BoolArray, tau: float) -> list[IntArray]:
    """Bit positions whose columns nearly coincide (Jaccard >= tau): one group per bigram."""
    n = x.shape[0]
    co = np.zeros((x.shape[1], x.shape[1]), dtype=np.float32)
    for start in range(0, n, 8192):  # bounded memory
        chunk = x[start : start + 8192].astype(np.float32)
        co += chunk.T @ chunk
    diag = np.diag(co).copy()
    support = diag / n
    jaccard = co / np.maximum(diag[:, None] + diag[None, :] - co, 1.0)
    assigned = support < max(5.0 / n, 0.005)
    groups: list[IntArray] = []
    for j in np.argsort(-support):  # over bit positions (<= m), not rows
        if assigned[j]:
            continue
        found = np.flatnonzero(~assigned & (jaccard[j] >= tau))
        assigned[found] = True
        assigned[j] = True
        if found.size >= 2:
            groups.append(found)
    return groups


def pattern_mining(
    filters: bloom.U64,
    groups: IntArray,
    truth: IntArray,
    vocab: Vocabulary,
    bits: int,
    *,
    candidates: int = 10_000,
    tau: float = 0.9,
) -> BoolArray:
    """Per person: does decoding bigrams from co-occurring positions recover the name?"""
    names_bigrams = _bigram_matrix(vocab.names[:candidates])
    probs = vocab.probs[:candidates]
    qgram_order = np.argsort(-(probs @ names_bigrams) / probs.sum())
    prior = (1e-3 * np.log(probs)).astype(np.float32)
    correct = np.zeros(truth.size, dtype=bool)
    for group in np.unique(groups):
        members = np.flatnonzero(groups == group)
        x = _unpack(filters[members], bits)
        position_groups = _position_groups(x, tau)
        if not position_groups:
            continue
        has = np.stack([x[:, g].all(axis=1) for g in position_groups], axis=1)
        ranked = np.argsort(-has.mean(axis=0))
        usable = min(ranked.size, qgram_order.size)
        decoded = has[:, ranked[:usable]].astype(np.float32)
        name_side = names_bigrams[:, qgram_order[:usable]]
        name_sizes = name_side.sum(axis=1)[None, :]
        for start in range(0, members.size, 2048):  # bounded memory
            part = decoded[start : start + 2048]
            sizes = part.sum(axis=1)[:, None] + name_sizes
            score = 2.0 * part @ name_side.T / np.maximum(sizes, 1.0) + prior[None, :]
            rows = members[start : start + 2048]
            correct[rows] = np.argmax(score, axis=1) == truth[rows]
    return correct


@dataclass(frozen=True, slots=True)
class Quality:
    """Mean Dice per pair kind and the F1 of a Dice threshold (typo pairs are the matches)."""

    typo_dice: float
    lookalike_dice: float
    random_dice: float
    f1: float
    threshold: float


def matching_quality(
    vocab: Vocabulary,
    params: bloom.BloomParams,
    key: str,
    rng: np.random.Generator,
    pairs: int = 5_000,
) -> Quality:
    """Dice of typo / look-alike / random pairs under one salt, and F1 at the best threshold.

    Within one salt the salt does not change quality; across salts names do not compare.
    """
    size = len(vocab.names)
    pick = rng.choice(size, pairs, p=vocab.probs)
    names = [vocab.names[i] for i in pick]
    by_start: dict[str, list[int]] = {}
    for i, name in enumerate(vocab.names[:20_000]):
        by_start.setdefault(name[:2], []).append(i)
    looks = []
    for name, i in zip(names, pick, strict=True):  # test-pair construction, small
        options = [j for j in by_start.get(name[:2], []) if j != i] or [int(i) + 1]
        looks.append(vocab.names[int(rng.choice(options))])
    randoms = [vocab.names[i] for i in rng.choice(size, pairs, p=vocab.probs)]
    typos = [typo(name, rng) for name in names]
    quads = zip(names, typos, looks, randoms, strict=True)
    values = pl.Series([v for quad in quads for v in quad], dtype=pl.Utf8)
    enc = bloom.to_numpy(bloom.encode(values, key, params))
    base = enc[0::4]
    typo_d, look_d, rand_d = (bloom.dice(base, enc[k::4]) for k in (1, 2, 3))
    scores = np.concatenate([typo_d, look_d, rand_d])
    labels = np.concatenate([np.ones(pairs, bool), np.zeros(2 * pairs, bool)])
    best = (0.0, 0.0)
    for t in np.linspace(0.3, 0.95, 66):
        tp = int(np.sum(labels & (scores >= t)))
        fp = int(np.sum(~labels & (scores >= t)))
        best = max(best, (2 * tp / max(2 * tp + fp + (pairs - tp), 1), float(t)))
    return Quality(float(typo_d.mean()), float(look_d.mean()), float(rand_d.mean()), *best)


@dataclass(slots=True)
class DesignResult:
    """Re-identified shares per field and attack, both-names share, and quality per field."""

    design: str
    field_shares: dict[str, dict[str, float]] = field(default_factory=dict)
    person_share: float = 0.0
    quality: dict[str, Quality] = field(default_factory=dict)


@dataclass(slots=True)
class AttackReport:
    persons: int
    baseline: dict[str, float]
    results: list[DesignResult]


def run_attacks(
    n: int = 100_000,
    seed: int = 7,
    designs: Sequence[Design] = DESIGNS,
    with_pattern_mining: bool = True,
) -> AttackReport:
    """Draw ``n`` persons, encode their names under each design and attack them."""
    rng = np.random.default_rng(seed)
    key = MasterKey.generate()
    vocabs = {kind: vocabulary(kind, rng) for kind in ("first_name", "surname")}
    truth = {
        kind: rng.choice(len(v.names), n, p=v.probs).astype(np.int64) for kind, v in vocabs.items()
    }
    dates = birth_dates(n, rng)
    baseline = {kind: float(np.mean(t == 0)) for kind, t in truth.items()}
    results = []
    for design in designs:
        result = DesignResult(design.label)
        both_freq = np.ones(n, dtype=bool)
        both_mine = np.ones(n, dtype=bool)
        for kind, vocab in vocabs.items():
            hmac_key = key.derive_hmac_key(f"bloom/{kind}")
            salts = dates.with_columns(salt_expr(design.salts[kind]).alias("salt"))["salt"]
            groups = salts.rank("dense").to_numpy().astype(np.int64)  # what the attacker sees
            values = pl.Series([vocab.names[i] for i in truth[kind]], dtype=pl.Utf8)
            filters = bloom.to_numpy(bloom.encode(values, hmac_key, design.params, salts=salts))
            freq = frequency_alignment(filters, groups, truth[kind], rng)
            mine = (
                pattern_mining(filters, groups, truth[kind], vocab, design.params.bits)
                if with_pattern_mining
                else np.zeros(n, dtype=bool)
            )
            both_freq &= freq
            both_mine &= mine
            result.field_shares[kind] = {
                "frequency_alignment": float(freq.mean()),
                "pattern_mining": float(mine.mean()),
            }
            result.quality[kind] = matching_quality(vocab, design.params, hmac_key, rng)
        result.person_share = float(max(both_freq.mean(), both_mine.mean()))
        results.append(result)
    return AttackReport(n, baseline, results)


def format_report(report: AttackReport) -> str:
    """A plain-text summary of an attack report (for the CLI or a README)."""
    lines = [
        f"persons: {report.persons}; no-attack baseline (most frequent name): "
        + ", ".join(f"{k} {v:.2%}" for k, v in report.baseline.items())
    ]
    for r in report.results:
        lines.append(f"- {r.design}: both names re-identified {r.person_share:.3%}")
        for kind, shares in r.field_shares.items():
            q = r.quality[kind]
            lines.append(
                f"    {kind}: frequency alignment {shares['frequency_alignment']:.3%}, "
                f"pattern mining {shares['pattern_mining']:.3%}; Dice typo {q.typo_dice:.3f} "
                f"look-alike {q.lookalike_dice:.3f} random {q.random_dice:.3f}, "
                f"F1 {q.f1:.3f} at {q.threshold:.2f}"
            )
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class CrossSaltedReport:
    """Shares of persons whose name a frequency attack recovers from the filters salted by the
    other name (``pseudonymise.persons.CROSS_SALTED``), and the blind-guess baseline."""

    persons: int
    first_name: float
    surname: float
    both: float
    pattern_mining_surname: float
    baseline_surname: float


def cross_salted_attack(n: int = 100_000, seed: int = 7, top: int = 300) -> CrossSaltedReport:
    """Frequency alignment and pattern mining against the filters salted by the other name.

    The salts are names and never stored, so the attacker cannot group filters by them: equal
    filters mean an equal (first name, surname) pair, exactly the classes of the full-name
    token. The attacker ranks the classes by size and gives the r-th largest the r-th most
    probable pair of the population's (independent) name frequencies, over the ``top`` most
    frequent names of each kind; pattern mining runs over the whole table as one group.
    """
    rng = np.random.default_rng(seed)
    key = MasterKey.generate()
    vocabs = {kind: vocabulary(kind, rng) for kind in ("first_name", "surname")}
    truth = {
        kind: rng.choice(len(v.names), n, p=v.probs).astype(np.int64) for kind, v in vocabs.items()
    }
    first = pl.Series([vocabs["first_name"].names[i] for i in truth["first_name"]])
    last = pl.Series([vocabs["surname"].names[i] for i in truth["surname"]])
    params = NAME_PARAMS
    filters = bloom.to_numpy(
        bloom.encode(last, key.derive_hmac_key("bloom/surname_x"), params, salts=first)
    )
    _, cls, counts = np.unique(filters, axis=0, return_inverse=True, return_counts=True)
    cls = cls.ravel()
    order = np.lexsort((rng.random(counts.size), -counts))
    rank = np.empty(counts.size, dtype=np.int64)
    rank[order] = np.arange(counts.size)
    pf, ps = vocabs["first_name"].probs[:top], vocabs["surname"].probs[:top]
    joint = np.argsort(-(pf[:, None] * ps[None, :]).ravel(), kind="stable")
    guess = np.full(counts.size, -1, dtype=np.int64)
    known = rank < joint.size
    guess[known] = joint[rank[known]]
    guessed = guess[cls]
    hit_first = (guessed >= 0) & (guessed // top == truth["first_name"])
    hit_last = (guessed >= 0) & (guessed % top == truth["surname"])
    mined = pattern_mining(
        filters, np.zeros(n, dtype=np.int64), truth["surname"], vocabs["surname"], params.bits
    )
    return CrossSaltedReport(
        n,
        float(hit_first.mean()),
        float(hit_last.mean()),
        float((hit_first & hit_last).mean()),
        float(mined.mean()),
        float(np.mean(truth["surname"] == 0)),
    )
