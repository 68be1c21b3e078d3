"""Bulk materialization into Feast's Redis layout: a Feast compute engine plug-in.

``batch_engine: {type: featureguard.materialize.BulkRedisComputeEngine}`` in feature_store.yaml makes
``feast materialize``, ``materialize-incremental`` and ``FeatureStore.materialize*`` take this
path; Feast imports ``BulkRedisComputeEngineConfig`` from this same module. The pure pieces
(``protowire``, ``view``, ``resp``) load without Feast; attributes below load lazily.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BulkRedisComputeEngine", "BulkRedisComputeEngineConfig", "MaterializationError", "write_latest"]

_WHERE = {
    "BulkRedisComputeEngine": "engine",
    "MaterializationError": "engine",
    "BulkRedisComputeEngineConfig": "config",
    "write_latest": "push",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'featureguard.materialize' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"featureguard.materialize.{module}"), name)
