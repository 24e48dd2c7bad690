"""``radar synth``: a deterministic synthetic national data set of Veilig Thuis deliveries.

Model
-----
*Households.* Each simulated household ("chain") lives in one of the 342 real municipalities of
2022, drawn by population (the 32 largest with their 2022 population, the rest a fixed
lognormal draw). Its region is the municipality's Veilig Thuis region valid on the day: VT16 and
VT26 up to 2022-12-31, VT27 from 2023-01-01. Person slots: the adult victim (or the mother, or
the elderly parent), the perpetrator, up to four children, the perpetrator's new partner and a
child born during the chain. Persons have Dutch given names (traditional ones with call names,
Johannes -> Hans/Jan), surnames with tussenvoegsels and a realistic skew (de Jong, Jansen,
de Vries, ... plus a Zipf tail), birth dates, valid and distinct BSNs, sex, addresses (streets
per municipality, house numbers with suffixes, postcodes fixed per street and number block) and
phone numbers.

*Dynamics.* Chains start uniformly over the simulated years plus a burn-in of
``rates.BURN_IN_YEARS`` (signals of the burn-in are never delivered: volumes are steady from
the first year, and the engine meets families it cannot know, so the first years show more
``eerste``). After each signal a chain continues with ``rates.CHAIN_CONTINUE``, after a short gap
(a report during the open case) or a long one. Along a chain: the perpetrator may leave and
return with a new partner elsewhere (often another region), the household may move (keeping
identities), a child may be born (named before birth as unborn, BSN 999999999), and the victim
may marry the perpetrator and use the double surname (``Jansen-de Vries``).

*Signals.* About 47% meldingen and 53% adviezen, ~270k a year at ``scale=1``; two thirds of
meldingen from police/justice. Meldingen name 2-4 persons, adviezen fewer and with far less
identifying data. Cases close weeks to months later; a case closing in a later delivery period is
re-delivered then with ``closed_on`` and all its persons (sometimes with corrected data). Every
few years a national re-delivery (``<date>_NL_01``) repeats a sample of several regions' signals.
A few signals are erased later (``erasures.csv``); their truth is omitted.

*Mess.* Rows are written with the noise of ``rates.NOISE_RATES`` and the per-region export
profiles of ``rates.EXPORT_PROFILE_RATES`` (``;``, BOM, CRLF, DD-MM-YYYY, category case, extra
columns, column order); ``contract_error_rate`` of the signals break the contract on purpose and
are flagged ``expect_quarantine`` in the truth. ``truth/noise.json`` lists every noise kind with
its rate and realised count.

*Truth.* ``truth/signals.parquet`` and ``truth/persons.parquet`` (see ``truth.recurrence_truth``
for the recurrence definition, identical to OUTPUT.md), and ``truth/notes.parquet`` with the PII
spans of the free-text notes.
"""

from __future__ import annotations

from radar.synth.config import SynthConfig, SynthSummary
from radar.synth.engine import generate

__all__ = ["SynthConfig", "SynthSummary", "generate"]
