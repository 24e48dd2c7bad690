"""No network at run time: tldextract uses its bundled suffix list; no socket is opened."""

from __future__ import annotations

import logging
import os
import socket

import pytest

from pseudonymise.redact import NoteRedactor
from pseudonymise.redact.recognizers import DutchEmailRecognizer


def test_tldextract_is_offline() -> None:
    assert os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] == ""
    extractor = DutchEmailRecognizer.EXTRACTOR
    assert tuple(extractor.suffix_list_urls) == ()


def test_redaction_opens_no_socket(redactor: NoteRedactor, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    out = redactor.redact("Mail k.devries@ziggo.nl of info@zorg.example.co.uk, tel 0612345678")
    assert out == "Mail <EMAIL> of <EMAIL>, tel <TELEFOON>"


def test_deduce_did_not_configure_root_logging(redactor: NoteRedactor) -> None:
    root = logging.getLogger()
    assert not any(
        isinstance(h, logging.StreamHandler) and h.level == logging.DEBUG for h in root.handlers
    )
    assert root.level != logging.DEBUG or root.handlers == []
