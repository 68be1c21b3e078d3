"""Settings of the bulk engine, read by Feast from ``batch_engine:`` in feature_store.yaml."""

from __future__ import annotations

from typing import Any

from feast.repo_config import FeastConfigBaseModel
from pydantic import PositiveFloat, PositiveInt, StrictBool, StrictStr

TYPE_NAME = "featureguard.materialize.BulkRedisComputeEngine"


class BulkRedisComputeEngineConfig(FeastConfigBaseModel):
    """``batch_engine: {type: featureguard.materialize.BulkRedisComputeEngine, ...}``.

    ``chunk_rows`` bounds memory: rows are encoded and written that many at a time.
    ``socket_timeout`` bounds how long a silent Redis can stall a run before it fails.
    ``validate_contracts`` gates rows through their view's contract (the ``contract`` tag).
    """

    type: StrictStr = TYPE_NAME
    chunk_rows: PositiveInt = 20_000
    connect_timeout: PositiveFloat = 5.0
    socket_timeout: PositiveFloat = 30.0
    validate_contracts: StrictBool = True


def writes_redis(online_store: Any) -> bool:
    """Whether the bulk writer serves this online store: Feast's Redis, plain or cluster
    (Sentinel and other stores are left to Feast)."""
    kind = getattr(online_store, "type", None)
    redis_type = getattr(online_store, "redis_type", "redis")
    redis_type = str(getattr(redis_type, "value", redis_type))
    return kind in ("redis", "feast.infra.online_stores.redis.RedisOnlineStore") and redis_type in ("redis", "redis_cluster")
