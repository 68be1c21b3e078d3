"""Opening the Feast store of feature_repo/ with the online store chosen for this run.

Imports Feast (when a store is opened): only commands that need the feature store load this
module. Which online store a run uses is decided in ``services.online_store_choice``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from services.online_store_choice import OnlineStoreChoice, choose_online_store, configured_redis, redis_choice
from services.settings import FEAST_REDIS_ENV, HOME_ENV, data_home, registry_path

__all__ = ["OnlineStoreChoice", "REPO_PATH", "apply_definitions", "choose_online_store", "configured_redis",
           "online_lookup", "open_store", "redis_choice", "repo_config_dict"]

REPO_PATH = Path(__file__).resolve().parent.parent / "feature_repo"


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
