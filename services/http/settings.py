"""Settings of the HTTP service, read once from the environment.

``featureguard serve`` turns its options into these variables before uvicorn starts its worker
processes, so every worker builds the same app from the environment alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

PREFIX = "FEATUREGUARD_HTTP_"
API_KEYS_ENV = "FEATUREGUARD_API_KEYS"
API_KEYS_FILE_ENV = "FEATUREGUARD_API_KEYS_FILE"
#: the variable a 413 for a batch that decodes too large names
MAX_DECODED_BYTES_ENV = PREFIX + "MAX_DECODED_BYTES"


def _env(name: str, default: str) -> str:
    return os.environ.get(PREFIX + name, default)


def _flag(name: str, default: bool) -> bool:
    return _env(name, "1" if default else "0").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class HttpSettings:
    """Limits and switches of one app instance.

    ``open_reads`` lets online reads and contract reads through without a key; writes always
    need a key with the right scope. ``ttl_statuses`` marks values older than their view's TTL
    OUTSIDE_MAX_AGE (the value is still returned, as Feast does). ``max_decoded_bytes`` bounds what a
    batch decodes to, checked from Parquet/Arrow metadata before decoding: a few KB of Parquet can
    expand to gigabytes, which ``max_body_bytes`` cannot see. Sizes are bytes, times seconds.
    """

    redis_url: str | None = None
    max_body_bytes: int = 16 * 1024 * 1024
    max_rows: int = 200_000
    max_push_rows: int = 1_000
    max_entities: int = 1_000
    max_decoded_bytes: int = 128 * 1024 * 1024  # what one batch may decode to (Parquet/Arrow expand)
    request_timeout: float = 30.0
    online_timeout: float = 2.0
    redis_timeout: float = 1.0
    open_reads: bool = False
    api_keys_file: Path | None = None
    api_keys_json: str | None = None
    registry_check_interval: float = 10.0
    ttl_statuses: bool = True

    @classmethod
    def from_env(cls) -> "HttpSettings":
        keys_file = os.environ.get(API_KEYS_FILE_ENV)
        return cls(
            redis_url=os.environ.get("REDIS_URL"),
            max_body_bytes=int(_env("MAX_BODY_BYTES", str(cls.max_body_bytes))),
            max_rows=int(_env("MAX_ROWS", str(cls.max_rows))),
            max_push_rows=int(_env("MAX_PUSH_ROWS", str(cls.max_push_rows))),
            max_entities=int(_env("MAX_ENTITIES", str(cls.max_entities))),
            max_decoded_bytes=int(_env("MAX_DECODED_BYTES", str(cls.max_decoded_bytes))),
            request_timeout=float(_env("REQUEST_TIMEOUT", str(cls.request_timeout))),
            online_timeout=float(_env("ONLINE_TIMEOUT", str(cls.online_timeout))),
            redis_timeout=float(_env("REDIS_TIMEOUT", str(cls.redis_timeout))),
            open_reads=_flag("OPEN_READS", False),
            api_keys_file=Path(keys_file).expanduser() if keys_file else None,
            api_keys_json=os.environ.get(API_KEYS_ENV),
            registry_check_interval=float(_env("REGISTRY_CHECK_INTERVAL", str(cls.registry_check_interval))),
            ttl_statuses=_flag("TTL_STATUSES", True),
        )

    def with_(self, **changes: object) -> "HttpSettings":
        return replace(self, **changes)  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        """The variables that rebuild these settings in a worker process."""
        env = {
            PREFIX + "MAX_BODY_BYTES": str(self.max_body_bytes),
            PREFIX + "MAX_ROWS": str(self.max_rows),
            PREFIX + "MAX_PUSH_ROWS": str(self.max_push_rows),
            PREFIX + "MAX_ENTITIES": str(self.max_entities),
            PREFIX + "MAX_DECODED_BYTES": str(self.max_decoded_bytes),
            PREFIX + "REQUEST_TIMEOUT": str(self.request_timeout),
            PREFIX + "ONLINE_TIMEOUT": str(self.online_timeout),
            PREFIX + "REDIS_TIMEOUT": str(self.redis_timeout),
            PREFIX + "OPEN_READS": "1" if self.open_reads else "0",
            PREFIX + "REGISTRY_CHECK_INTERVAL": str(self.registry_check_interval),
            PREFIX + "TTL_STATUSES": "1" if self.ttl_statuses else "0",
        }
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        if self.api_keys_file:
            env[API_KEYS_FILE_ENV] = str(self.api_keys_file)
        if self.api_keys_json:
            env[API_KEYS_ENV] = self.api_keys_json
        return env
