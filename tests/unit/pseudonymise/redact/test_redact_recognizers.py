"""Each pattern recognizer on positive and negative examples (no deduce needed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from presidio_analyzer import PatternRecognizer

from pseudonymise.redact.recognizers import (
    AddressRecognizer,
    BsnRecognizer,
    DateRecognizer,
    DutchEmailRecognizer,
    IbanRecognizer,
    LicencePlateRecognizer,
    MunicipalityRecognizer,
    PhoneRecognizer,
    PostcodeRecognizer,
    SchoolRecognizer,
)
from pseudonymise.redact.recognizers.bsn import elfproef
from pseudonymise.redact.recognizers.iban import iban_valid
from pseudonymise.redact.redactor import SCORE_THRESHOLD


def found(recognizer: PatternRecognizer, text: str) -> list[str]:
    results = recognizer.analyze(text, entities=recognizer.supported_entities)
    return [text[r.start : r.end] for r in results if r.score >= SCORE_THRESHOLD]


CASES = [
    # recognizer, text, expected values (empty: must find nothing)
    (BsnRecognizer, "BSN 123456782 bekend", ["123456782"]),
    (BsnRecognizer, "bsn: 1234.56.782.", ["1234.56.782"]),
    (BsnRecognizer, "BSN 123 456 782, geb.", ["123 456 782"]),
    (BsnRecognizer, "nummer 123.456.782", ["123.456.782"]),
    (BsnRecognizer, "BSN 123456789 (fout)", []),  # fails the 11-test
    (BsnRecognizer, "onbekend: 000000000", []),
    (BsnRecognizer, "tel 0612345678", []),  # ten digits
    (BsnRecognizer, "rekening NL91ABNA0417164300", []),
    (PostcodeRecognizer, "Adres Dorpsstraat 1, 6211 AB Maastricht", ["6211 AB"]),
    (PostcodeRecognizer, "postcode 6211AB", ["6211AB"]),
    (PostcodeRecognizer, "postcode 6211 ab.", ["6211 ab"]),
    (PostcodeRecognizer, "geboren in 1988 en getrouwd", []),
    (PostcodeRecognizer, "medicatie 2500 mg per dag", []),
    (PostcodeRecognizer, "Adres Van Goghpad 7, 1059 SS Amsterdam", ["1059 SS"]),  # not issued
    (PostcodeRecognizer, "code 3480SD en 2000 SA", ["3480SD", "2000 SA"]),
    (PostcodeRecognizer, "nummer 0211 AB", ["0211 AB"]),  # never issued, still redacted
    (PostcodeRecognizer, "Marktplein 91, 6231ze Meerssen", ["6231ze"]),  # glued: no word
    (PostcodeRecognizer, "Hoofdsingel 57, 7576km Moerdijk", []),  # unit: context decides
    (PostcodeRecognizer, "gereden: 1500km, 1000mg paracetamol", []),  # unit, no context
    (PostcodeRecognizer, "in 1988 en 2001 op vakantie", []),
    (PhoneRecognizer, "Tel 06-12345678.", ["06-12345678"]),
    (PhoneRecognizer, "bel +31 6 1234 5678 of 0031612345678", ["+31 6 1234 5678", "0031612345678"]),
    (PhoneRecognizer, "tel 043-3214567", ["043-3214567"]),
    (PhoneRecognizer, "tel (043) 321 45 67", ["(043) 321 45 67"]),
    (PhoneRecognizer, "tel 0475 289630", ["0475 289630"]),
    (PhoneRecognizer, "tel 06 12 34 56 78", ["06 12 34 56 78"]),
    (PhoneRecognizer, "IBAN NL91ABNA0417164300", []),
    (PhoneRecognizer, "BSN 123456782", []),
    (PhoneRecognizer, "op 01-03-1988 gebeld", []),
    (PhoneRecognizer, "nummer 061234567", []),  # nine digits
    (PhoneRecognizer, "nummer 06123456789", []),  # eleven digits
    (IbanRecognizer, "rekening NL91ABNA0417164300 van", ["NL91ABNA0417164300"]),
    (IbanRecognizer, "IBAN NL91 ABNA 0417 1643 00.", ["NL91 ABNA 0417 1643 00"]),
    (IbanRecognizer, "rekening NL92ABNA0417164300", []),  # wrong check digits
    (IbanRecognizer, "kenmerk AB12CDEF34567890", []),
    (DutchEmailRecognizer, "mail fatima.elamrani@gmail.com.", ["fatima.elamrani@gmail.com"]),
    (DutchEmailRecognizer, "via j.de-vries@zorg.maastricht.nl", ["j.de-vries@zorg.maastricht.nl"]),
    (DutchEmailRecognizer, "niet: naam@localhost of @twitter", []),
    (DutchEmailRecognizer, "bestand x@y.qqqzz", []),  # no real suffix
    (DateRecognizer, "geb. 12-03-1988,", ["12-03-1988"]),
    (DateRecognizer, "op 1-3-1988 en 12/03/1988", ["1-3-1988", "12/03/1988"]),
    (DateRecognizer, "geboren 12 maart 1988", ["12 maart 1988"]),
    (DateRecognizer, "sinds 3 mrt 2024 en 14 september", ["3 mrt 2024", "14 september"]),
    (DateRecognizer, "datum 1988-03-12", ["1988-03-12"]),
    (DateRecognizer, "op 31-02-2020", []),  # not in the calendar
    (DateRecognizer, "score 12-3 gewonnen, 3 mei-kever", []),
    (LicencePlateRecognizer, "auto XX-999-X gezien", ["XX-999-X"]),
    (LicencePlateRecognizer, "kenteken 12-ABC-3 en 1-KBB-99", ["12-ABC-3", "1-KBB-99"]),
    (LicencePlateRecognizer, "code AB-CD-EF", []),  # no sidecode without digits
    (LicencePlateRecognizer, "code 12-34-56", []),
    (AddressRecognizer, "Woont op Dorpsstraat 12A, 6211 AB", ["Dorpsstraat 12A"]),
    (AddressRecognizer, "Adres Molenweg 4-2.", ["Molenweg 4-2"]),
    (AddressRecognizer, "Zuidsingel 136 bis te Meerssen", ["Zuidsingel 136 bis"]),
    (AddressRecognizer, "Kerkstraat 12 en verder", ["Kerkstraat 12"]),
    (AddressRecognizer, "de straat 12 keer overgestoken", []),
    (AddressRecognizer, "Woonadres: Van Goghlaan 176hs, 6468", ["Van Goghlaan 176hs"]),
    (MunicipalityRecognizer, "bij haar moeder in Leiden.", ["Leiden"]),
    (MunicipalityRecognizer, "in Den Haag of 's-Hertogenbosch", ["Den Haag", "'s-Hertogenbosch"]),
    (MunicipalityRecognizer, "zij leiden een zwaar leven, best lastig", []),
    (SchoolRecognizer, "Zoon zit op OBS De Regenboog.", ["OBS De Regenboog"]),
    (SchoolRecognizer, "leerling van Het Stedelijk Lyceum", ["Het Stedelijk Lyceum"]),
    (SchoolRecognizer, "zit op het Sint-Maartenscollege", ["Sint-Maartenscollege"]),
    (SchoolRecognizer, "School meldt zorgen, de basisschool belt", []),
]


@pytest.mark.parametrize(("recognizer", "text", "expected"), CASES)
def test_recognizer(
    recognizer: Callable[[], PatternRecognizer], text: str, expected: list[str]
) -> None:
    assert sorted(found(recognizer(), text)) == sorted(expected)


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("123456782", True),
        ("111222333", True),
        ("123456789", False),
        ("000000000", False),
        ("12345678", False),
        ("12345678a", False),
    ],
)
def test_elfproef(digits: str, valid: bool) -> None:
    assert elfproef(digits) is valid


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        ("NL91ABNA0417164300", True),
        ("nl91 abna 0417 1643 00", True),
        ("DE89370400440532013000", True),
        ("NL91ABNA041716430", False),
        ("NL90ABNA0417164300", False),
    ],
)
def test_iban_check(iban: str, valid: bool) -> None:
    assert iban_valid(iban) is valid


def test_patterns_are_class_constants() -> None:
    classes: tuple[Any, ...] = (
        BsnRecognizer,
        PhoneRecognizer,
        IbanRecognizer,
        PostcodeRecognizer,
        DateRecognizer,
        LicencePlateRecognizer,
        AddressRecognizer,
        SchoolRecognizer,
        DutchEmailRecognizer,
    )
    for recognizer in classes:
        assert recognizer.PATTERNS, recognizer
        assert recognizer().patterns == recognizer.PATTERNS
