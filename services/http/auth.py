"""API keys with scopes; only SHA-256 digests of keys are ever stored or configured.

Keys come from a YAML/JSON file (``FEATUREGUARD_API_KEYS_FILE``) or the same document in
``FEATUREGUARD_API_KEYS``::

    keys:
      - name: weather-producer
        sha256: 9f86d08...        # hex digest of the key; `featureguard api-key` prints one
        scopes: ["write:weather"]
        disabled: false          # optional; true refuses the key (401) without deleting its entry

Scopes: ``read:online`` (online features), ``read:contracts`` (contracts and validation),
``read:metrics``, ``write:<source>`` or ``write:*`` (ingest and push), ``admin`` (all).
Keys are random 256-bit tokens, so a plain SHA-256 is as strong as a slow hash here and costs
a microsecond per request. A document the service cannot read exactly (unknown fields, a digest
listed twice, bytes that are not UTF-8) is refused at start rather than guessed at.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import yaml

from featureguard.http.errors import ApiError

ADMIN = "admin"
READ_SCOPES = ("read:online", "read:contracts", "read:metrics")
_SCOPE = re.compile(r"^(admin|read:(online|contracts|metrics)|write:(\*|[A-Za-z0-9_.-]+))$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
KEY_PREFIX = "fgk_"


class KeyConfigError(ValueError):
    """The key file or variable is malformed; the service refuses to start rather than guess."""


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_key() -> tuple[str, str]:
    """A fresh random key and the digest to put in the key file."""
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    return raw, hash_key(raw)


#: fields of a key entry; free-text ones are kept for people and ignored by the service
_FIELDS = frozenset(("name", "sha256", "scopes", "disabled"))
_NOTES = frozenset(("description", "owner", "comment"))


@dataclass(frozen=True)
class ApiKey:
    name: str
    digest: str
    scopes: frozenset[str]
    disabled: bool = False

    def allows(self, scope: str) -> bool:
        if ADMIN in self.scopes or scope in self.scopes:
            return True
        return scope.startswith("write:") and "write:*" in self.scopes


def _parse_entry(entry: Any, position: int) -> ApiKey:
    if not isinstance(entry, dict):
        raise KeyConfigError(f"keys[{position}] must be a mapping with name, sha256 and scopes")
    unknown = sorted(str(k) for k in entry if k not in _FIELDS | _NOTES)
    if unknown:  # a misspelt ``disabled`` must not leave a key working
        raise KeyConfigError(f"keys[{position}]: unknown field(s) {unknown}; "
                             f"allowed: {sorted(_FIELDS)} and notes {sorted(_NOTES)}")
    disabled = entry.get("disabled", False)
    if not isinstance(disabled, bool):
        raise KeyConfigError(f"keys[{position}].disabled must be true or false, got {disabled!r}")
    digest = str(entry.get("sha256", "")).lower().removeprefix("sha256:")
    if not _HEX64.match(digest):
        raise KeyConfigError(f"keys[{position}].sha256 must be a 64-character hex SHA-256 digest")
    scopes = entry.get("scopes")
    if not isinstance(scopes, list) or not scopes:
        raise KeyConfigError(f"keys[{position}].scopes must be a non-empty list")
    bad = [s for s in scopes if not isinstance(s, str) or not _SCOPE.match(s)]
    if bad:
        raise KeyConfigError(f"keys[{position}].scopes: unknown scope(s) {bad}")
    return ApiKey(str(entry.get("name") or f"key-{position}"), digest, frozenset(scopes), disabled)


def parse_keys(document: Any) -> list[ApiKey]:
    if document is None:
        return []
    entries = document.get("keys") if isinstance(document, dict) else document
    if not isinstance(entries, list):
        raise KeyConfigError("the key document must be a list of keys or a mapping with a 'keys' list")
    return [_parse_entry(e, i) for i, e in enumerate(entries)]


class KeyRing:
    """Decides 401/403 for a presented key and a required scope."""

    def __init__(self, keys: list[ApiKey], open_reads: bool = False) -> None:
        self._by_digest: dict[str, ApiKey] = {}
        for key in keys:
            seen = self._by_digest.setdefault(key.digest, key)
            if seen is not key:  # which one's scopes would apply is a guess: refuse both
                raise KeyConfigError(f"keys {seen.name!r} and {key.name!r} have the same sha256 digest "
                                     f"{key.digest[:12]}...; each key needs its own (remove one entry)")
        self.open_reads = open_reads

    def __len__(self) -> int:
        return len(self._by_digest)

    def lookup(self, raw: str | None) -> ApiKey | None:
        if not raw:
            return None
        digest = hash_key(raw)
        key = self._by_digest.get(digest)
        if key is not None and hmac.compare_digest(key.digest, digest):
            return key
        return None

    def check(self, raw: str | None, scope: str) -> ApiKey | None:
        """Raises ApiError(401/403) unless ``raw`` may use ``scope``; open reads return None."""
        if self.open_reads and scope in READ_SCOPES:
            return None
        if not raw:
            detail = ("no API keys are configured, so this endpoint is closed"
                      if not self._by_digest else f"this endpoint needs an API key with scope {scope!r}")
            raise _auth_error(401, "missing_api_key", detail)
        key = self.lookup(raw)
        if key is None:
            raise _auth_error(401, "invalid_api_key", "the API key is not recognised")
        if key.disabled:
            raise _auth_error(401, "disabled_api_key", f"key {key.name!r} is disabled in the key file")
        if not key.allows(scope):
            raise ApiError(403, "forbidden", f"key {key.name!r} lacks scope {scope!r}", "Authorization")
        return key


def _auth_error(status: int, error: str, detail: str) -> ApiError:
    exc = ApiError(status, error, detail, "Authorization")
    exc.headers["WWW-Authenticate"] = "Bearer"
    return exc


def presented_key(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The key from ``Authorization: Bearer <key>`` or ``X-API-Key``, from raw ASGI headers."""
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
        elif name == b"x-api-key" and value.strip():
            return value.decode("latin-1").strip()
    return None


def load_keyring(keys_file: Path | None, keys_json: str | None, open_reads: bool) -> KeyRing:
    keys: list[ApiKey] = []
    if keys_file is not None:
        try:
            data = keys_file.read_bytes()
        except OSError as exc:
            raise KeyConfigError(f"cannot read API key file {keys_file}: {exc.strerror or exc}") from exc
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise KeyConfigError(f"API key file {keys_file} is not UTF-8 text: byte 0x{data[exc.start]:02x} "
                                 f"at offset {exc.start}") from None
        try:
            keys.extend(parse_keys(yaml.safe_load(text)))
        except yaml.YAMLError as exc:
            raise KeyConfigError(f"API key file {keys_file} is not valid YAML/JSON: {_one_line(exc)}") from None
        except KeyConfigError as exc:
            raise KeyConfigError(f"API key file {keys_file}: {exc}") from None
    if keys_json:
        try:
            keys.extend(parse_keys(orjson.loads(keys_json)))
        except orjson.JSONDecodeError as exc:
            raise KeyConfigError(f"FEATUREGUARD_API_KEYS is not valid JSON: {_one_line(exc)}") from None
        except KeyConfigError as exc:
            raise KeyConfigError(f"FEATUREGUARD_API_KEYS: {exc}") from None
    return KeyRing(keys, open_reads)


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
