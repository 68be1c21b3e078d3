"""Where featureguard keeps its data, and which Redis it talks to. Environment-driven, Feast-free."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from featureguard.errors import ConfigError

HOME_ENV = "FEATUREGUARD_HOME"
FEAST_REDIS_ENV = "FEATUREGUARD_REDIS"
REDIS_URL_ENV = "REDIS_URL"
REDIS_TYPE_ENV = "FEATUREGUARD_REDIS_TYPE"
REDIS_TYPES = ("redis", "redis_cluster")
DEFAULT_HOME = ".featureguard"


def data_home() -> Path:
    """Root of every store (offline Parquet, quarantine, receipts, registry)."""
    return Path(os.environ.get(HOME_ENV, DEFAULT_HOME)).expanduser().resolve()


def offline_source_path(source: str) -> str:
    return str(data_home() / "offline" / source)


def quarantine_path(source: str) -> Path:
    return data_home() / "quarantine" / source


def receipts_path() -> Path:
    return data_home() / "receipts"


def staging_path() -> Path:
    """Temp files are written here, on the same filesystem as the stores, then renamed in."""
    return data_home() / "staging"


def registry_path() -> Path:
    return data_home() / "registry.db"


@dataclass(frozen=True)
class RedisUrl:
    """A parsed ``redis://[user:password@]host:port/db`` (``rediss://``: TLS). The one parser of
    Redis URLs: Feast's connection string and the lean clients' targets are both built from it."""

    host: str
    port: int
    db: int = 0
    username: str | None = None  # None also for "default", the user AUTH <password> means
    password: str | None = None
    ssl: bool = False

    def feast_connection_string(self, cluster: bool = False) -> str:
        """Feast's ``host:port,db=N,password=..,username=..,ssl=true`` form (no db on a cluster)."""
        parts = [f"{self.host}:{self.port}"]
        if self.db and not cluster:
            parts.append(f"db={self.db}")
        for name, value in (("password", self.password), ("username", self.username)):
            if value is None:
                continue
            if "," in value or value != value.strip():
                raise ConfigError(f"the Redis {name} in {REDIS_URL_ENV} cannot be passed to Feast: its connection "
                                  "string cannot carry a comma or surrounding spaces")
            parts.append(f"{name}={value}")
        if self.ssl:
            parts.append("ssl=true")
        return ",".join(parts)


def parse_redis_url(url: str) -> RedisUrl:
    """``redis://`` or ``rediss://`` URL -> RedisUrl; defaults localhost:6379, db 0 (as redis-py's)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss"):
        raise ConfigError(f"a Redis URL ({REDIS_URL_ENV}) must start with redis:// or rediss://, got {url!r}")
    try:
        port = parsed.port or 6379
        db = int((parsed.path or "/").lstrip("/") or 0)
    except ValueError:
        raise ConfigError(f"{url!r} is not a Redis URL (redis://host:port/db)") from None
    username = unquote(parsed.username) if parsed.username else None
    return RedisUrl(parsed.hostname or "localhost", port, db, None if username == "default" else username,
                    unquote(parsed.password) if parsed.password else None, parsed.scheme == "rediss")


def redis_url_to_feast(url: str, cluster: bool = False) -> str:
    """``redis://[:pw@]host:port/db`` -> Feast's ``host:port,db=N,password=..,ssl=true`` form."""
    return parse_redis_url(url).feast_connection_string(cluster)


def redis_type() -> str:
    """FEATUREGUARD_REDIS_TYPE: ``redis`` (default) or ``redis_cluster`` (REDIS_URL names one
    start-up node of a Redis Cluster), as Feast's ``redis_type``."""
    value = os.environ.get(REDIS_TYPE_ENV, "").strip() or "redis"
    if value not in REDIS_TYPES:
        raise ConfigError(f"{REDIS_TYPE_ENV} must be one of {', '.join(REDIS_TYPES)}, got {value!r}")
    return value
