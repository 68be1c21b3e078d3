"""Opening the Feast store of the active project with the online store chosen for this run.

Imports Feast (when a store is opened): only commands that need the feature store load this
module. Which online store a run uses is decided in ``featureguard.online_store_choice``.
"""

from __future__ import annotations

import os
from typing import Any

import yaml

from featureguard.online_store_choice import OnlineStoreChoice, choose_online_store, configured_redis, redis_choice
from featureguard.project import SETTINGS_KEY, current_project
from featureguard.settings import FEAST_REDIS_ENV, HOME_ENV, data_home, registry_path

__all__ = ["OnlineStoreChoice", "apply_definitions", "choose_online_store", "configured_redis",
           "online_lookup", "open_store", "redis_choice", "repo_config_dict"]


def repo_config_dict(online_store: dict[str, Any]) -> dict[str, Any]:
    """feature_store.yaml with env vars expanded and the online store of this run swapped in."""
    env = {HOME_ENV: str(data_home()), FEAST_REDIS_ENV: online_store.get("connection_string", "")}
    text = current_project().feature_store_yaml.read_text(encoding="utf-8")
    for key, value in env.items():
        text = text.replace("${" + key + "}", value)
    raw = yaml.safe_load(os.path.expandvars(text))
    raw.pop(SETTINGS_KEY, None)  # featureguard's own section; Feast would keep it as an extra
    raw["online_store"] = online_store
    raw["registry"] = str(registry_path())
    return raw


def open_store(online: OnlineStoreChoice):
    """The active project's Feast store, on ``online``."""
    from feast import FeatureStore, RepoConfig

    project = current_project()
    data_home().mkdir(parents=True, exist_ok=True)
    config = RepoConfig(repo_path=project.root, **repo_config_dict(online.config))
    return FeatureStore(config=config)


def apply_definitions(store) -> None:
    """Registers the active project's objects (idempotent, like `feast apply`), after the view
    checks of `featureguard apply`: a view apply refuses is never registered another way."""
    from featureguard.project_apply import check_objects
    from featureguard.project_repo import project_objects

    objects = project_objects(current_project())
    check_objects(objects)
    store.apply(objects.objects)


def online_lookup(store, kind: str):
    """``lookup(features, entity_rows) -> dict`` in Feast's ``to_dict()`` shape: the lean reader of
    ``featureguard.online`` on Redis, Feast's own read path on any other online store (SQLite)."""
    if kind == "redis":
        from featureguard.online import get_online_features

        return lambda features, rows: get_online_features(store, features, rows).to_dict()
    return lambda features, rows: store.get_online_features(features=features, entity_rows=rows).to_dict()
