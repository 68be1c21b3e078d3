"""Opening the Feast store of feature_repo/ with the online store chosen for this run.

Imports Feast: only commands that need the feature store load this module.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from services.redis_process import RedisProcess, RedisUnavailableError, redis_server_binary
from services.settings import (
    FEAST_REDIS_ENV,
    HOME_ENV,
    REDIS_URL_ENV,
    data_home,
    redis_url_to_feast,
    registry_path,
)

REPO_PATH = Path(__file__).resolve().parent.parent / "feature_repo"


@dataclass
class OnlineStoreChoice:
    """Which online store a run uses, and the private redis-server to stop afterwards, if any."""

    kind: str  # "redis" | "sqlite"
    config: dict[str, Any]
    notice: str
    process: RedisProcess | None = field(default=None, repr=False)

    def close(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None


def choose_online_store(start_private: bool = True) -> OnlineStoreChoice:
    """REDIS_URL if set; else a private redis-server if one is installed; else Feast's SQLite."""
    url = os.environ.get(REDIS_URL_ENV)
    if url:
        conn = redis_url_to_feast(url)
        return OnlineStoreChoice("redis", {"type": "redis", "connection_string": conn}, f"online store: Redis at {conn}")
    if start_private and redis_server_binary():
        try:
            proc = RedisProcess(data_dir=data_home() / "redis", persist=True)
        except RedisUnavailableError as exc:
            return _sqlite_choice(f"could not start redis-server ({exc})")
        conn = proc.feast_connection_string
        return OnlineStoreChoice(
            "redis", {"type": "redis", "connection_string": conn},
            f"online store: private redis-server on {conn} (data in {proc.data_dir}, stopped at exit)", proc,
        )
    return _sqlite_choice("redis-server not found and REDIS_URL unset")


def _sqlite_choice(why: str) -> OnlineStoreChoice:
    path = str(data_home() / "online.db")
    return OnlineStoreChoice("sqlite", {"type": "sqlite", "path": path}, f"online store: SQLite at {path} ({why})")


def repo_config_dict(online_store: dict[str, Any]) -> dict[str, Any]:
    """feature_store.yaml with env vars expanded and the online store of this run swapped in."""
    env = {HOME_ENV: str(data_home()), FEAST_REDIS_ENV: online_store.get("connection_string", "")}
    text = (REPO_PATH / "feature_store.yaml").read_text()
    for key, value in env.items():
        text = text.replace("${" + key + "}", value)
    raw = yaml.safe_load(os.path.expandvars(text))
    raw["online_store"] = online_store
    raw["registry"] = str(registry_path())
    return raw


def open_store(online: OnlineStoreChoice):
    from feast import FeatureStore, RepoConfig

    data_home().mkdir(parents=True, exist_ok=True)
    config = RepoConfig(repo_path=REPO_PATH, **repo_config_dict(online.config))
    return FeatureStore(config=config)


def apply_definitions(store) -> None:
    """Registers the feature_repo objects (idempotent, like `feast apply`)."""
    from feature_repo.definitions import build_repo

    store.apply(build_repo().objects)


def online_lookup(store, kind: str):
    """``lookup(features, entity_rows) -> dict`` in Feast's ``to_dict()`` shape: the lean reader of
    ``services.online`` on Redis, Feast's own read path on any other online store (SQLite)."""
    if kind == "redis":
        from services.online import get_online_features

        return lambda features, rows: get_online_features(store, features, rows).to_dict()
    return lambda features, rows: store.get_online_features(features=features, entity_rows=rows).to_dict()
