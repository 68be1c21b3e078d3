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
