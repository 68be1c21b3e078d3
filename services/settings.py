"""Where featureguard keeps its data, and which Redis it talks to. Environment-driven, Feast-free."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

HOME_ENV = "FEATUREGUARD_HOME"
FEAST_REDIS_ENV = "FEATUREGUARD_REDIS"
REDIS_URL_ENV = "REDIS_URL"
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


def redis_url_to_feast(url: str) -> str:
    """``redis://[:pw@]host:port/db`` -> Feast's ``host:port,db=N,password=..,ssl=true`` form."""
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss"):
        raise ValueError(f"{REDIS_URL_ENV} must start with redis:// or rediss://, got {url!r}")
    parts = [f"{parsed.hostname or 'localhost'}:{parsed.port or 6379}"]
    db = (parsed.path or "/").lstrip("/")
    if db:
        parts.append(f"db={int(db)}")
    if parsed.password:
        parts.append(f"password={unquote(parsed.password)}")
    if parsed.username and parsed.username != "default":
        parts.append(f"username={unquote(parsed.username)}")
    if parsed.scheme == "rediss":
        parts.append("ssl=true")
    return ",".join(parts)
