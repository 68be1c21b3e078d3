"""``key_ttl_seconds`` is honoured as Feast honours it, and the round trip works on a 3-master
Redis Cluster: our engine writes, stock Feast reads."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from featureguard.materialize import BulkRedisComputeEngine
from tests.materialize import repo
from tests.materialize.conftest import open_pair


def test_key_ttl_seconds_set_on_written_keys_only(tmp_path, redis_server):
    made = open_pair(tmp_path, redis_server, online={"key_ttl_seconds": 5000})
    made.materialize()
    stock, ours = made.dumps()
    assert ours == stock
    for client in (made.stock_redis, made.ours_redis):
        ttls = [client.ttl(key) for key in client.scan_iter()]
        assert len(ttls) == 18 and all(4990 <= t <= 5000 for t in ttls)

    # Feast refreshes a key's TTL only when it writes the key: nothing newer, no EXPIRE
    jfk = next(k for k in stock if b"JFK" in k)
    for client in (made.stock_redis, made.ours_redis):
        client.persist(jfk)
    made.materialize()
    assert made.stock_redis.ttl(jfk) == -1 and made.ours_redis.ttl(jfk) == -1
    newer = repo.typed_frame().head(1).assign(ts=pd.Timestamp(repo.NOW + timedelta(days=1)))
    repo.write_data(made.data, {"typed": newer}, part="part-1")
    made.materialize(end=repo.END + timedelta(days=2))
    assert 4990 <= made.stock_redis.ttl(jfk) <= 5000 and 4990 <= made.ours_redis.ttl(jfk) <= 5000
    stock, ours = made.dumps()
    assert ours == stock


def test_cluster_round_trip(tmp_path, redis_server, redis_cluster):
    """Ours writes into the cluster; stock Feast (redis_type: redis_cluster) reads it back the
    same as what its own engine wrote into a single Redis, and the hashes are identical."""
    import redis

    redis_cluster.flushall()
    made = open_pair(tmp_path, redis_server)
    cluster = repo.open_repo(tmp_path / "cluster", made.data,
                             repo.redis_store(redis_cluster.feast_connection_string, redis_type="redis_cluster"),
                             repo.bulk(chunk_rows=4))
    assert isinstance(cluster.engine, BulkRedisComputeEngine)
    made.stock.materialize()
    cluster.materialize()
    client = redis_cluster.client()
    try:
        written = repo.dump(client)
        stock = repo.dump(made.stock_redis)
        assert written == stock and len(written) == 18
        per_node = [redis.Redis(port=p).dbsize() for p in redis_cluster.ports]
        assert all(n > 0 for n in per_node) and sum(per_node) == 18  # spread over the 3 masters
    finally:
        client.close()
    features = [f"typed:{f}" for f in ("i32", "i64", "f32", "f64", "flag", "name", "blob", "seen")]
    rows = repo.entity_rows()
    from_cluster = cluster.store.get_online_features(features=features, entity_rows=rows).to_dict()
    from_single = made.stock.store.get_online_features(features=features, entity_rows=rows).to_dict()
    assert from_cluster == from_single  # NaN is stored as an empty Value: no NaN to compare

    # re-materializing: every key already holds these times, nothing is rewritten
    cluster.materialize()
    typed = [r for r in cluster.engine.reports if r.view == "typed"][-1]
    assert (typed.written, typed.not_newer) == (0, 9)
    redis_cluster.flushall()


@pytest.mark.parametrize("check_stored", [True, False])  # MOVED on the HGET reads / on the HSETs
def test_cluster_writes_follow_moved_redirects(redis_cluster, check_stored):
    """A stale slot map (every slot believed on one master) sends most rows to the wrong node:
    the MOVED replies are followed, the map reloaded, and every row lands where it belongs."""
    from array import array

    import numpy as np
    import pyarrow as pa

    from featureguard.materialize.layout import ViewLayout
    from featureguard.materialize.wire import ClusterWire
    from featureguard.materialize.writer import BulkWriter
    from featureguard.online.cluster import SlotMap
    from featureguard.online.target import RedisTarget

    redis_cluster.flushall()
    target = RedisTarget.from_feast({"type": "redis", "redis_type": "redis_cluster",
                                     "connection_string": redis_cluster.feast_connection_string})
    wire = ClusterWire(target)
    real = wire._load_slots()
    wire.slots = SlotMap(real.nodes, array("H", [0]) * 16384)  # stale: all on the first master
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
    assert list(wire.slots.owner) == list(real.owner)  # reloaded after the first MOVED
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

    from featureguard.materialize.layout import ViewLayout
    from featureguard.materialize.wire import ClusterWire
    from featureguard.materialize.writer import BulkWriter
    from google.protobuf.timestamp_pb2 import Timestamp
    from featureguard.online.target import RedisTarget

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
