"""The bulk writer on a real 3-master Redis Cluster when the slot map is wrong: MOVED replies
are followed and the map reloaded, ASK replies during a slot migration are repeated behind
ASKING on the new owner (the router of featureguard.redis.cluster, driven by materialize.wire)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("check_stored", [True, False])  # MOVED on the HGET reads / on the HSETs
def test_cluster_writes_follow_moved_redirects(redis_cluster, check_stored):
    """A stale slot map (every slot believed on one master) sends most rows to the wrong node:
    the MOVED replies are followed, the map reloaded, and every row lands where it belongs."""
    from array import array

    import numpy as np
    import pyarrow as pa

    from featureguard.materialize.view import ViewLayout
    from featureguard.materialize.wire import ClusterWire
    from featureguard.materialize.writer import BulkWriter
    from featureguard.redis.cluster import SlotMap
    from featureguard.redis.target import RedisTarget

    redis_cluster.flushall()
    target = RedisTarget.from_feast({"type": "redis", "redis_type": "redis_cluster",
                                     "connection_string": redis_cluster.feast_connection_string})
    wire = ClusterWire(target)
    real = wire._load_slots()
    wire.router.slots = SlotMap(real.nodes, array("H", [0]) * 16384)  # stale: all on the first master
    layout = ViewLayout.build("p", "v", [("id", 4)], [("x", 5)], "ts")
    n = 300
    batch = pa.record_batch({"id": pa.array(np.arange(n)), "x": pa.array(np.arange(n) / 2),
                             "ts": pa.array(np.full(n, 1_700_000_000_000_000), pa.timestamp("us", tz="UTC"))})
    try:
        chunks = [batch.slice(i, 100) for i in range(0, n, 100)]
        stats = BulkWriter(wire, layout, ttl_seconds=60, check_stored=check_stored).write(chunks)
    finally:
        wire.close()
    assert (stats.rows, stats.written) == (n, n)
    assert list(wire.router.slots.owner) == list(real.owner)  # reloaded after the first MOVED
    client = redis_cluster.client()
    try:
        keys = layout.redis_keys(batch).to_pylist()
        assert all(client.ttl(k) > 0 for k in keys) and client.hget(keys[7], b"_ts:v")
    finally:
        client.close()
        redis_cluster.flushall()


@pytest.mark.parametrize("check_stored", [True, False])  # ASK on the HGET reads / on the HSETs
def test_cluster_writes_follow_ask_during_a_slot_migration(redis_cluster, check_stored):
    """A key moved to another master while its slot migrates: the old owner answers ASK, the
    writer repeats the command on the new owner after ASKING, and the newer row lands there."""
    import numpy as np
    import pyarrow as pa
    import redis
    from redis.crc import key_slot

    from featureguard.materialize.view import ViewLayout
    from featureguard.materialize.wire import ClusterWire
    from featureguard.materialize.writer import BulkWriter
    from google.protobuf.timestamp_pb2 import Timestamp
    from featureguard.redis.target import RedisTarget

    redis_cluster.flushall()
    target = RedisTarget.from_feast({"type": "redis", "redis_type": "redis_cluster",
                                     "connection_string": redis_cluster.feast_connection_string})
    layout = ViewLayout.build("p", "v", [("id", 4)], [("x", 5)], "ts")

    def batch(x: float, ts_us: int) -> pa.RecordBatch:
        return pa.record_batch({"id": pa.array(np.arange(3)), "x": pa.array(np.full(3, x)),
                                "ts": pa.array(np.full(3, ts_us), pa.timestamp("us", tz="UTC"))})

    def write(rows: pa.RecordBatch):
        wire = ClusterWire(target)
        try:
            return BulkWriter(wire, layout, ttl_seconds=None, check_stored=check_stored).write([rows])
        finally:
            wire.close()

    first = batch(1.0, 1_700_000_000_000_000)
    assert write(first).written == 3
    key = layout.redis_keys(first).to_pylist()[0]
    slot = key_slot(key)
    clients = {port: redis.Redis(port=port) for port in redis_cluster.ports}
    ids = {port: c.execute_command("CLUSTER", "MYID") for port, c in clients.items()}
    source_port = next(p for p, c in clients.items() if c.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot))
    target_port = next(p for p in redis_cluster.ports if p != source_port)
    source, dest = clients[source_port], clients[target_port]
    try:
        dest.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", ids[source_port])
        source.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", ids[target_port])
        source.execute_command("MIGRATE", "127.0.0.1", target_port, key, 0, 5000)
        with pytest.raises(redis.exceptions.AskError):
            source.hgetall(key)
        stats = write(batch(2.0, 1_700_000_100_000_000))
        assert stats.written == 3
        pipe = dest.pipeline(transaction=False)  # one connection: ASKING applies to the next command
        pipe.execute_command("ASKING")
        pipe.hget(key, b"_ts:v")
        _, stamp = pipe.execute()
        assert Timestamp.FromString(stamp).seconds == 1_700_000_100
        with pytest.raises(redis.exceptions.AskError):  # the write went to the new owner, not the old one
            source.hgetall(key)
    finally:
        redis_cluster.flushall()
        for client in clients.values():  # the slot stays with its original owner for later tests
            client.execute_command("CLUSTER", "SETSLOT", slot, "NODE", ids[source_port])
            client.close()
