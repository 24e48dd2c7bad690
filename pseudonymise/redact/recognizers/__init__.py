"""Presidio recognizers for Dutch intake notes, one per file; ``pattern_recognizers`` lists them.

Each pattern recognizer keeps its patterns and context words as class constants and checks a
checksum or calendar in ``validate_result`` where one exists (BSN 11-test, IBAN mod-97, real
dates, Dutch phone number length, known e-mail suffix). ``NameContextRecognizer`` finds names
deduce's lists miss by their context and shape (it reads deduce's word lists as plain text).
``DeduceRecognizer`` needs a loaded ``Deduce`` and is added by the redactor.
"""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer

from pseudonymise.redact.recognizers.address import AddressRecognizer
from pseudonymise.redact.recognizers.bsn import BsnRecognizer
from pseudonymise.redact.recognizers.date import DateRecognizer
from pseudonymise.redact.recognizers.deduce_names import DeduceRecognizer
from pseudonymise.redact.recognizers.email import DutchEmailRecognizer
from pseudonymise.redact.recognizers.iban import IbanRecognizer
from pseudonymise.redact.recognizers.licence_plate import LicencePlateRecognizer
from pseudonymise.redact.recognizers.municipality import MunicipalityRecognizer
from pseudonymise.redact.recognizers.name_context import NameContextRecognizer
from pseudonymise.redact.recognizers.phone import PhoneRecognizer
from pseudonymise.redact.recognizers.postcode import PostcodeRecognizer
from pseudonymise.redact.recognizers.school import SchoolRecognizer

__all__ = [
    "AddressRecognizer",
    "BsnRecognizer",
    "DateRecognizer",
    "DeduceRecognizer",
    "DutchEmailRecognizer",
    "IbanRecognizer",
    "LicencePlateRecognizer",
    "MunicipalityRecognizer",
    "NameContextRecognizer",
    "PhoneRecognizer",
    "PostcodeRecognizer",
    "SchoolRecognizer",
    "pattern_recognizers",
]


def pattern_recognizers() -> list[EntityRecognizer]:
    """A fresh instance of every pattern recognizer (those that need no loaded model)."""
    return [
        BsnRecognizer(),
        PostcodeRecognizer(),
        PhoneRecognizer(),
        IbanRecognizer(),
        DutchEmailRecognizer(),
        DateRecognizer(),
        LicencePlateRecognizer(),
        AddressRecognizer(),
        SchoolRecognizer(),
        MunicipalityRecognizer(),
        NameContextRecognizer(),
    ]
