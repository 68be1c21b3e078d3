"""Two stores over the same synthetic data and offline store: stock Feast's local engine writes
Redis db 0, our engine db 1 of the same real redis-server, so their hashes can be compared raw."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from featureguard.redis_process import RedisProcess
from tests.materialize import repo


@dataclass
class Pair:
    data: Path
    stock: repo.Repo
    ours: repo.Repo
    stock_redis: Any
    ours_redis: Any

    def materialize(self, **kwargs: Any) -> None:
        self.stock.materialize(**kwargs)
        self.ours.materialize(**kwargs)

    def dumps(self) -> tuple[dict, dict]:
        return repo.dump(self.stock_redis), repo.dump(self.ours_redis)


def open_pair(tmp: Path, server: RedisProcess, engine: dict[str, Any] | None = None,
              online: dict[str, Any] | None = None, tags: dict | None = None, write: bool = True,
              offline: str = repo.OURS, stock_offline: str | None = None, entityless: bool = False) -> Pair:
    """Stock (Feast's local engine over ``stock_offline``, default ``offline``) and ours (the bulk
    engine over ``offline``) on the same data."""
    import redis

    data = tmp / "data"
    if write:
        repo.write_data(data)
    conn = server.feast_connection_string
    stock = repo.open_repo(tmp / "stock", data, repo.redis_store(f"{conn},db=0", **(online or {})), "local", tags,
                           offline=stock_offline or offline, entityless=entityless)
    ours = repo.open_repo(tmp / "ours", data, repo.redis_store(f"{conn},db=1", **(online or {})),
                          engine or repo.bulk(chunk_rows=3), tags, offline=offline, entityless=entityless)
    clients = [redis.Redis(host="127.0.0.1", port=server.port, db=db) for db in (0, 1)]
    for client in clients:
        client.flushdb()
    return Pair(data, stock, ours, *clients)


@pytest.fixture()
def pair(tmp_path: Path, redis_server: RedisProcess) -> Iterator[Pair]:
    made = open_pair(tmp_path, redis_server)
    yield made
    made.stock_redis.close()
    made.ours_redis.close()
