"""The bulk wire (materialize.wire on featureguard.redis.blocking.Connection) against a real redis-server: reads travel apart from writes, and runs of nil
replies are recognised without being mistaken for values that look like them."""

from __future__ import annotations

import pyarrow as pa

from featureguard.materialize import resp
from featureguard.materialize.wire import Wire
from featureguard.redis.errors import RedisReplyError
from featureguard.redis.target import RedisTarget


def _wire(redis_server) -> Wire:
    return Wire(RedisTarget.from_url(f"redis://127.0.0.1:{redis_server.port}/0"), timeout=10)


def test_reads_are_answered_while_earlier_writes_are_still_uncollected(redis_server, redis_client):
    """The writer collects a chunk's HGETs before the previous chunk's HSET replies."""
    wire = _wire(redis_server)
    try:
        redis_client.hset(b"old", b"_ts:v", b"\x08\x01")
        keys = pa.array([b"k%d" % i for i in range(5000)])
        writes = wire.send(resp.hset_rows(keys, [b"_ts:v"], [pa.array([b"\x08\x02"] * len(keys))]), keys)
        probe = pa.array([b"old", b"absent"])
        reads = wire.send(resp.hget_rows(probe, b"_ts:v"), probe, parsed=True)
        assert wire.collect(reads) == [b"\x08\x01", None]
        assert wire.collect(writes) is None
        assert redis_client.hget(b"k4999", b"_ts:v") == b"\x08\x02"
    finally:
        wire.close()


def test_nil_runs_values_that_look_like_nil_and_errors(redis_server, redis_client):
    wire = _wire(redis_server)
    try:
        redis_client.hset(b"tricky", b"f", b"$-1\r\n")  # a stored value framed like a nil reply
        redis_client.set(b"plain", b"x")  # HGET on a string: a WRONGTYPE error reply
        for keys, expected in (
            ([b"a", b"b", b"c"], [None, None, None]),
            ([b"a", b"tricky", b"c"], [None, b"$-1\r\n", None]),
            ([b"tricky"], [b"$-1\r\n"]),
            ([], []),
        ):
            rows = pa.array(keys, pa.binary())
            assert wire.collect(wire.send(resp.hget_rows(rows, b"f"), rows, parsed=True)) == expected
        rows = pa.array([b"a", b"plain"])
        wire.send(resp.hget_rows(rows, b"f"), rows, parsed=True)
        replies = wire.reads.read(2, nil_run=True)  # an error reply comes back in its place
        assert replies[0] is None and isinstance(replies[1], RedisReplyError) and "WRONGTYPE" in str(replies[1])
        rows = rows[:1]  # and the connection stays in step
        assert wire.collect(wire.send(resp.hget_rows(rows, b"f"), rows, parsed=True)) == [None]
    finally:
        wire.close()
