"""A Feast offline store that answers point-in-time queries with DuckDB ASOF joins.

Use it from any Feast repo with ``offline_store: {type: featureguard.offline_store.AsofOfflineStore}``.
Modules: ``sql`` (pure query text), ``plan`` (Feast views -> columns), ``entities`` (entity frame
-> Arrow), ``duck`` (DuckDB adapter), ``retrieval`` + ``job`` (lazy jobs), ``contract_types``
(result types vs contracts), ``writes`` (Feast's write paths), ``store`` (the plug-in classes).

The two classes load on first access, so the Feast-free modules (``sql``) import without Feast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from featureguard.offline_store.store import AsofOfflineStore, AsofOfflineStoreConfig

__all__ = ["AsofOfflineStore", "AsofOfflineStoreConfig"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from featureguard.offline_store import store

        return getattr(store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
