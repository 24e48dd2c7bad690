"""Master key handling: parsing, never printing, derivation, key id, key files."""

from __future__ import annotations

import base64
import hashlib
import hmac
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from pseudonymise.keys import MasterKey, derivation_label, new_key_file
from radar.errors import ConfigError
from radar.settings import KeySettings

RAW = bytes(range(32))


def test_repr_and_str_hide_the_key() -> None:
    key = MasterKey(RAW, label="k7")
    for text in (repr(key), str(key), f"{key}"):
        assert RAW.hex() not in text
        assert base64.b64encode(RAW).decode() not in text
        assert key.key_id in text


def test_key_id_is_label_and_public_fingerprint() -> None:
    key = MasterKey(RAW, label="2026-11")
    expected = hmac.new(RAW, b"radar/key-id", hashlib.sha256).hexdigest()[:12]
    assert key.key_id == f"2026-11.{expected}"
    assert MasterKey(bytes(32)).fingerprint != key.fingerprint


@pytest.mark.parametrize(
    "text",
    [
        RAW.hex(),
        RAW.hex().upper(),
        base64.b64encode(RAW).decode(),
        base64.urlsafe_b64encode(RAW).decode().rstrip("="),
        f"k1:{RAW.hex()}",
        f"  k1 : {base64.b64encode(RAW).decode()}\n",
    ],
)
def test_parses_hex_and_base64(text: str) -> None:
    assert MasterKey.from_text(text) == MasterKey(RAW)


@pytest.mark.parametrize("text", ["", "k1:", "00" * 31, "not a key!!", "bad label:" + "00" * 32])
def test_rejects_bad_keys_without_echoing_them(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        MasterKey.from_text(text)
    if len(text) > 4:
        assert text.split(":")[-1] not in str(info.value)


def test_derivation_is_per_purpose_and_per_key() -> None:
    key = MasterKey(RAW)
    assert key.derive("token/bsn") == key.derive("token/bsn")
    assert key.derive("token/bsn") != key.derive("bloom/surname")
    assert MasterKey(bytes(32)).derive("token/bsn") != key.derive("token/bsn")
    assert len(key.derive("token/bsn")) == 32
    assert key.derive_hmac_key("token/bsn") == key.derive("token/bsn").hex()
    assert derivation_label("token/bsn") == "radar/v1/token/bsn"
    with pytest.raises(ConfigError):
        key.derive("Token BSN")


def test_new_key_file_is_private_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "radar.key"
    key = new_key_file(path, label="k2")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert MasterKey.from_file(path) == key
    assert key.label == "k2"
    with pytest.raises(ConfigError):
        new_key_file(path)
    assert new_key_file(path, overwrite=True) != key
    assert [p.name for p in tmp_path.iterdir()] == ["radar.key"]  # no temporary left over


def test_from_settings(tmp_path: Path) -> None:
    path = tmp_path / "k"
    key = new_key_file(path)
    assert MasterKey.from_settings(KeySettings(master_key_file=path)) == key
    value = KeySettings(master_key=SecretStr(RAW.hex()), master_key_file=path)
    assert MasterKey.from_settings(value) == MasterKey(RAW)
    with pytest.raises(ConfigError):
        MasterKey.from_settings(KeySettings())
    with pytest.raises(ConfigError):
        MasterKey.from_file(tmp_path / "missing")
