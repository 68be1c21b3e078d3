"""featureguard: pandera contracts gate every row; Feast serves the same data offline and online.

The public API. Names load on first use, so ``import featureguard`` stays cheap and the
producer commands never import Feast; type checkers and IDEs see the real definitions.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from featureguard.api import contract, entity, feature_view, open_store
    from featureguard.contracts import Contract, UnknownSourceError, get_contract, list_sources
    from featureguard.online import OnlineReader, get_online_features
    from featureguard.project import NotAProjectError, Project, activate, find_project, load_project

#: public name -> module that defines it
_EXPORTS = {
    "Contract": "featureguard.contracts",
    "UnknownSourceError": "featureguard.contracts",
    "get_contract": "featureguard.contracts",
    "list_sources": "featureguard.contracts",
    "contract": "featureguard.api",
    "entity": "featureguard.api",
    "feature_view": "featureguard.api",
    "open_store": "featureguard.api",
    "OnlineReader": "featureguard.online",
    "get_online_features": "featureguard.online",
    "NotAProjectError": "featureguard.project",
    "Project": "featureguard.project",
    "activate": "featureguard.project",
    "find_project": "featureguard.project",
    "load_project": "featureguard.project",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'featureguard' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
