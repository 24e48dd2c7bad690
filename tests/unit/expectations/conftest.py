"""Clean tables for the gate tests (``bench.gates.gate_tables``, built once per session).

``GX`` runs in one ephemeral context per process (``expectations.runner.context``), so the
context is created once for the whole session as well.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.gates import TODAY, GateTables, gate_tables

__all__ = ["TODAY", "Store"]

Store = GateTables


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return gate_tables(tmp_path_factory.mktemp("gates_synth"))


@pytest.fixture(scope="session")
def docs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gate_docs")
