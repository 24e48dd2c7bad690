"""Where deduce's lookup cache lives, and that the session's cache is usable."""

from __future__ import annotations

from pathlib import Path

import pytest

from pseudonymise.redact import deduce_cache


def test_cache_dir_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(deduce_cache.CACHE_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    version = deduce_cache.deduce_version()
    assert deduce_cache.cache_dir() == tmp_path / "xdg" / "radar" / f"deduce-{version}"
    monkeypatch.setenv(deduce_cache.CACHE_DIR_ENV, str(tmp_path / "env"))
    assert deduce_cache.cache_dir() == tmp_path / "env"
    assert deduce_cache.cache_dir(tmp_path / "arg") == tmp_path / "arg"


def test_empty_directory_is_not_ready(tmp_path: Path) -> None:
    assert not deduce_cache.cache_ready(tmp_path)


def test_session_cache_is_outside_site_packages() -> None:
    assert deduce_cache.cache_ready()
    assert "site-packages" not in str(deduce_cache.cache_dir())
