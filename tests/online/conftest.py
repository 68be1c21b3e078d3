"""The typed repo, materialized once per package by stock Feast (local engine) into a real
redis-server; tests only read it."""

from __future__ import annotations

import math
from typing import Any, Iterator

import pytest

from featureguard.redis_process import RedisProcess

from tests.online import typed_repo


@pytest.fixture(scope="package")
def typed(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisProcess) -> Iterator[typed_repo.TypedRepo]:
    import redis

    client = redis.Redis(host="127.0.0.1", port=redis_server.port)
    client.flushall()
    repo = typed_repo.build(tmp_path_factory.mktemp("typed-repo"),
                            {"type": "redis", "connection_string": redis_server.feast_connection_string})
    repo.materialize()
    assert client.dbsize() > 0
    client.close()
    yield repo


def entity_rows() -> list[dict[str, Any]]:
    """Every airport x counter (plus unknown ones), and repeated rows."""
    rows = [{"airport": a, "counter_id": c}
            for a in [*typed_repo.AIRPORTS, "nope"] for c in [*typed_repo.COUNTER_IDS, 99]]
    return rows + rows[:5]


def same(a: Any, b: Any) -> bool:
    """Equal values of equal Python types (NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def assert_same_columns(ours: dict[str, list[Any]], stock: dict[str, list[Any]]) -> int:
    """Value by value, type by type; returns the number of values compared."""
    assert set(ours) == set(stock)
    compared = 0
    for name, column in stock.items():
        assert len(ours[name]) == len(column), name
        for i, (x, y) in enumerate(zip(ours[name], column)):
            assert same(x, y), f"{name}[{i}]: ours {x!r} vs Feast {y!r}"
            compared += 1
    return compared
