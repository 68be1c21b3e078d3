"""The asyncio connection against a real redis-server: concurrent requests on one connection get
their own replies, AUTH and SELECT come from the URL, error replies are raised."""

from __future__ import annotations

import asyncio

import pytest

from featureguard.redis.aio import AsyncConnection
from featureguard.redis.resp import pack
from featureguard.redis_process import RedisProcess


def test_wire_pairs_concurrent_replies_in_order(redis_client, redis_server: RedisProcess) -> None:
    for i in range(300):
        redis_client.hset(f"k{i}", mapping={"a": f"a{i}", "b": str(i)})

    async def run() -> list:
        wire = AsyncConnection(redis_server.url)
        try:
            jobs = [wire.execute(pack("HMGET", f"k{i}", "a", "b") + pack("HMGET", f"missing{i}", "a"), 2)
                    for i in range(300)]
            return await asyncio.gather(*jobs)
        finally:
            await wire.aclose()

    for i, replies in enumerate(asyncio.run(run())):
        assert replies == [[f"a{i}".encode(), str(i).encode()], [None]]


def test_wire_auth_db_and_errors() -> None:
    import redis

    with RedisProcess() as proc:
        client = redis.Redis(port=proc.port, db=2)
        client.hset("h", "f", "v")
        client.config_set("requirepass", "s3cret")
        client.close()

        async def run():
            wire = AsyncConnection(f"redis://:s3cret@127.0.0.1:{proc.port}/2")
            try:
                value = await wire.execute(pack("HGET", "h", "f"), 1)
                with pytest.raises(Exception, match="WRONGTYPE"):
                    await wire.execute(pack("SET", "s", "x") + pack("HGET", "s", "f"), 2)
                return value
            finally:
                await wire.aclose()

        assert asyncio.run(run()) == [b"v"]

        async def unauthenticated():
            wire = AsyncConnection(f"redis://127.0.0.1:{proc.port}/0")
            try:
                await wire.execute(pack("HGET", "h", "f"), 1)
            finally:
                await wire.aclose()

        with pytest.raises(Exception, match="NOAUTH"):
            asyncio.run(unauthenticated())
