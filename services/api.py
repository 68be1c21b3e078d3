"""The Python entry points of a project: its store, and Feast objects derived from its contracts.

``open_store`` resolves the online store exactly as the CLI does (REDIS_URL and
FEATUREGUARD_REDIS_TYPE, else a private redis-server, else SQLite). The object helpers put the
source under the project's data home, so definition modules never spell a path or a type.
"""

from __future__ import annotations

import atexit
from pathlib import Path
from typing import TYPE_CHECKING, Any

from featureguard.contracts import Contract, get_contract
from featureguard.project import activate, find_project

if TYPE_CHECKING:
    from feast import Entity, FeatureStore, FeatureView


def contract(source: str) -> Contract:
    """The active project's contract for ``source``."""
    return get_contract(source)


def _contract(value: Contract | str) -> Contract:
    return get_contract(value) if isinstance(value, str) else value


def entity(contract: Contract | str, column: str, **kwargs: Any) -> "Entity":
    """An entity joined on ``column``, typed by the contract (``name`` defaults to the column)."""
    from featureguard.feature_repo import objects

    return objects.entity(_contract(contract), column, **kwargs)


def feature_view(contract: Contract | str, **kwargs: Any) -> "FeatureView":
    """A view of the contract's source in the project's data home; keyword arguments as
    ``featureguard.feature_repo.objects.feature_view`` (name, entities, features, ttl, ...)."""
    from featureguard.feature_repo import objects
    from featureguard.settings import data_home

    return objects.feature_view(_contract(contract), data_home(), **kwargs)


def open_store(repo: Path | str | None = None, *, start_private: bool = True) -> "FeatureStore":
    """The Feast ``FeatureStore`` of the project in ``repo`` (default: FEATUREGUARD_REPO or the
    current folder), on the online store the CLI would use. A private redis-server it starts is
    stopped when the process exits."""
    from featureguard.feast_store import choose_online_store
    from featureguard.feast_store import open_store as open_with

    activate(find_project(repo))
    choice = choose_online_store(start_private=start_private)
    if choice.process is not None:
        atexit.register(choice.close)
    store = open_with(choice)
    store.featureguard_online = choice  # type: ignore[attr-defined]  (which store was chosen, and why)
    return store
