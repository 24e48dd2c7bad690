"""Data Docs render offline: every page loads only local files, which exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

from expectations import store as store_gate
from expectations.offline_docs import remote_loads
from expectations.runner import run_gate

from .conftest import Store


def test_docs_are_offline_and_complete(store: Store, tmp_path: Path) -> None:
    frames = {
        "persons": store.persons.head(0),
        "signals": store.signals.head(500),
        "quarantine": store.intake.quarantine.head(0),
        "ledger": store.ledger.head(0),
    }
    result = run_gate(store_gate.GATE, frames, tmp_path)
    site = tmp_path / "data_docs"
    assert result.docs_index == site / "index.html"
    pages = list(site.rglob("*.html"))
    assert len(pages) >= 6
    assert remote_loads(site) == []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "cdn" not in text.lower() and "unpkg" not in text and "integrity=" not in text
        for ref in re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"#?]+)', text):
            if ref.endswith("favicon.ico"):  # GX's own link, one level off on deep pages
                continue
            assert (page.parent / ref).resolve().is_file(), (page, ref)
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "vendor/bootstrap/css/bootstrap.min.css" in index
    assert "vendor/radar/table-shim.js" in index
    data = json.loads(result.json_path.read_text())
    assert data["gate"] == "store" and data["passed"] is True
    assert all(
        set(e) >= {"table", "expectation", "unexpected_count", "success"}
        for e in data["expectations"]
    )
