"""The pseudonymisation master key and the per-purpose keys derived from it.

One secret master key (at least 32 random bytes) is the only secret of the stage. Every token
and every Bloom-filter field gets its own key, derived with HKDF-SHA256 under a public label
such as ``radar/v1/token/bsn`` or ``radar/v1/bloom/surname`` (the clkhash pattern: one master
key, one key per field, so no two purposes can be compared or correlated with each other).

A *key id* travels with every pseudonymised row (column ``key_id``): ``<label>.<fingerprint>``,
where the label is a short public version name chosen when the key is made (``k1``,
``2026-11``) and the fingerprint is the first 12 hex digits of HMAC-SHA256(master,
"radar/key-id"). It tells which key made a token without revealing anything about the key, so
that keys can be rotated: rows under an old key id are re-pseudonymised from the intake tables.

Key file and environment value format (one line, surrounding white space ignored)::

    [<label>:]<key>

where ``<key>`` is hex (only hex digits, even length) or base64 (standard or
URL-safe alphabet, padding optional) and decodes to at least 32 bytes. The key never appears
in ``repr``/``str`` and error messages never contain it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretBytes, SecretStr

from radar.errors import ConfigError
from radar.settings import KeySettings

MIN_KEY_BYTES: Final = 32
DERIVED_KEY_BYTES: Final = 32
#: Version of the derivation scheme; part of every derivation label.
DERIVATION_VERSION: Final = "v1"
DEFAULT_LABEL: Final = "k1"
_HKDF_SALT: Final = b"radar/hkdf-salt/v1"
_KEY_ID_MESSAGE: Final = b"radar/key-id"
_LABEL_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,32}")
_HEX_RE: Final = re.compile(r"(?:[0-9a-fA-F]{2})+")
_PURPOSE_RE: Final = re.compile(r"[a-z0-9_]+(?:/[a-z0-9_]+)*")


class MasterKey:
    """The master key, with its public label; derives per-purpose keys and the key id."""

    __slots__ = ("_label", "_secret")

    def __init__(self, key: bytes | SecretBytes, *, label: str = DEFAULT_LABEL) -> None:
        raw = key.get_secret_value() if isinstance(key, SecretBytes) else key
        if len(raw) < MIN_KEY_BYTES:
            raise ConfigError(f"master key too short: needs at least {MIN_KEY_BYTES} bytes")
        if not _LABEL_RE.fullmatch(label):
            raise ConfigError("key label must be 1-32 characters of A-Z, a-z, 0-9, '_' or '-'")
        self._secret = SecretBytes(raw)
        self._label = label

    # -- construction -------------------------------------------------------------------
    @classmethod
    def generate(cls, *, label: str = DEFAULT_LABEL) -> MasterKey:
        """A new random key (32 bytes from the operating system's CSPRNG)."""
        return cls(secrets.token_bytes(MIN_KEY_BYTES), label=label)

    @classmethod
    def from_text(cls, text: str | SecretStr, *, source: str = "key value") -> MasterKey:
        """Parse ``[<label>:]<hex or base64>``; ``source`` names the origin in errors."""
        value = (text.get_secret_value() if isinstance(text, SecretStr) else text).strip()
        label = DEFAULT_LABEL
        if ":" in value:
            label, value = (part.strip() for part in value.split(":", 1))
        if not value:
            raise ConfigError(f"{source}: no key material")
        raw = _decode_key_material(value, source=source)
        try:
            return cls(raw, label=label)
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None

    @classmethod
    def from_file(cls, path: Path) -> MasterKey:
        """Read a key file written by :func:`new_key_file` (or by hand, same format)."""
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"key file {path}: cannot be read ({type(exc).__name__})") from None
        return cls.from_text(text, source=f"key file {path}")

    @classmethod
    def from_settings(cls, settings: KeySettings) -> MasterKey:
        """The key the configuration names: the value itself wins over a key file."""
        if settings.master_key is not None:
            return cls.from_text(settings.master_key, source="RADAR_KEYS__MASTER_KEY")
        if settings.master_key_file is not None:
            return cls.from_file(settings.master_key_file)
        raise ConfigError("no pseudonymisation key configured (RADAR_KEYS__MASTER_KEY_FILE)")

    # -- use ----------------------------------------------------------------------------
    @property
    def label(self) -> str:
        return self._label

    @property
    def fingerprint(self) -> str:
        """First 12 hex digits of HMAC-SHA256(master, "radar/key-id"): public, not secret."""
        mac = hmac.new(self._secret.get_secret_value(), _KEY_ID_MESSAGE, hashlib.sha256)
        return mac.hexdigest()[:12]

    @property
    def key_id(self) -> str:
        """``<label>.<fingerprint>``, stored with every token."""
        return f"{self._label}.{self.fingerprint}"

    def derive(self, purpose: str) -> bytes:
        """The 32-byte key for one purpose, e.g. ``token/bsn`` -> label ``radar/v1/token/bsn``."""
        if not _PURPOSE_RE.fullmatch(purpose):
            raise ConfigError("key purpose must be lowercase words separated by '/'")
        hkdf = HKDF(
            algorithm=hashes.SHA256(),
            length=DERIVED_KEY_BYTES,
            salt=_HKDF_SALT,
            info=derivation_label(purpose).encode("ascii"),
        )
        return hkdf.derive(self._secret.get_secret_value())

    def derive_hmac_key(self, purpose: str) -> str:
        """The derived key as the ``str`` polars-hash takes: its 64 lowercase hex digits.

        polars-hash uses the UTF-8 bytes of this string as the HMAC key, so the effective HMAC
        key is the 64 ASCII bytes of the hex form of a 256-bit derived key (full entropy kept).
        """
        return self.derive(purpose).hex()

    def export_text(self) -> str:
        """The key-file line ``<label>:<base64>``; only for writing the key file."""
        raw = self._secret.get_secret_value()
        return f"{self._label}:{base64.b64encode(raw).decode('ascii')}"

    def __repr__(self) -> str:
        return f"MasterKey(key_id={self.key_id!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MasterKey):
            return NotImplemented
        return self._label == other._label and hmac.compare_digest(
            self._secret.get_secret_value(), other._secret.get_secret_value()
        )

    def __hash__(self) -> int:
        return hash(self.key_id)


def derivation_label(purpose: str) -> str:
    """The public HKDF ``info`` label for a purpose."""
    return f"radar/{DERIVATION_VERSION}/{purpose}"


def _decode_key_material(value: str, *, source: str) -> bytes:
    if re.fullmatch(r"[0-9a-fA-F]+", value):  # only hex digits: hex, never base64
        if not _HEX_RE.fullmatch(value):
            raise ConfigError(f"{source}: hex key has an odd number of digits")
        return bytes.fromhex(value)
    compact = re.sub(r"\s+", "", value)
    padded = compact + "=" * (-len(compact) % 4)
    altchars = b"-_" if ("-" in compact or "_" in compact) else None
    try:
        return base64.b64decode(padded, altchars=altchars, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{source}: key is neither hex nor base64") from None


def new_key_file(path: Path, *, label: str = DEFAULT_LABEL, overwrite: bool = False) -> MasterKey:
    """Write a new random key to ``path`` (mode 0600, atomic rename) and return it.

    Refuses to replace an existing file unless ``overwrite`` is set: losing a key makes every
    earlier pseudonym unlinkable to later ones.
    """
    key = MasterKey.generate(label=label)
    path = Path(path)
    if path.exists() and not overwrite:
        raise ConfigError(f"key file {path} already exists; refusing to overwrite it")
    directory = path.parent if str(path.parent) else Path()
    fd, tmp_name = tempfile.mkstemp(prefix=".radar-key-", dir=directory)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.export_text() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return key
