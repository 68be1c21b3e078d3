"""The lean online reader: Feast's Redis layout read directly, for the SDK and the HTTP service.

``get_online_features(store, features, entity_rows)`` and ``OnlineReader`` are synchronous (the
SDK); ``aio_reader.RedisOnlineReader`` is the asyncio reader of the HTTP service. Both share the
pure pieces: ``view_read`` (pre-framed HMGETs per view), ``plan`` (read plans from the registry)
and ``decode`` (values, statuses, timestamps). Connections, cluster routing and Feast's key layout
are ``featureguard.redis``'s. Attributes are loaded lazily so importing a pure submodule stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["EntityValueError", "NOT_FOUND", "NULL_VALUE", "OUTSIDE_MAX_AGE", "OnlineFeatures", "OnlineReader",
           "PRESENT", "RedisTarget", "UnknownFeatureError", "get_online_features", "reader_for"]

_WHERE = {
    "OnlineReader": "reader", "get_online_features": "reader", "reader_for": "reader",
    "OnlineFeatures": "result", "RedisTarget": "featureguard.redis.target",
    "EntityValueError": "plan", "UnknownFeatureError": "plan",
    "PRESENT": "decode", "NULL_VALUE": "decode", "NOT_FOUND": "decode", "OUTSIDE_MAX_AGE": "decode",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'featureguard.online' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module if "." in module else f"featureguard.online.{module}"), name)
