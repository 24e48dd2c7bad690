"""E-mail addresses, validated offline against the public suffix list bundled with tldextract."""

from __future__ import annotations

from typing import ClassVar

import tldextract
from presidio_analyzer.predefined_recognizers import EmailRecognizer

from pseudonymise.redact.entities import EMAIL, LANGUAGE


class DutchEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail pattern with an offline suffix check and Dutch context words.

    The extractor never fetches the suffix list (``suffix_list_urls=()``) and writes no cache
    (``cache_dir=None``): it uses the snapshot shipped inside the tldextract package.
    """

    PATTERNS = EmailRecognizer.PATTERNS
    CONTEXT = ["email", "e-mail", "mail", "mailadres", "emailadres"]  # noqa: RUF012
    EXTRACTOR: ClassVar[tldextract.TLDExtract] = tldextract.TLDExtract(
        cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True
    )

    def __init__(self) -> None:
        super().__init__(
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            supported_language=LANGUAGE,
            supported_entity=EMAIL,
            name="DutchEmailRecognizer",
        )

    def validate_result(self, pattern_text: str) -> bool:
        """The part after ``@`` must end in a known public suffix (``.nl``, ``.com`` ...)."""
        domain = pattern_text.rsplit("@", 1)[-1]
        return self.EXTRACTOR(domain).suffix != ""
