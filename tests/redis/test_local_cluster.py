"""The local Redis Cluster fixture really is a 3-master cluster that routes keys by slot."""

from __future__ import annotations

from tests.support.redis_cluster import RedisCluster, slot_ranges


def test_slot_ranges_cover_every_slot_once():
    for masters in (1, 2, 3, 7):
        ranges = slot_ranges(masters)
        assert ranges[0][0] == 0 and ranges[-1][1] == 16383
        assert all(a[1] + 1 == b[0] for a, b in zip(ranges, ranges[1:]))


def test_cluster_has_three_masters_and_spreads_keys(redis_cluster: RedisCluster):
    client = redis_cluster.client()
    try:
        info = client.cluster_info()
        assert info["cluster_state"] == "ok" and int(info["cluster_size"]) == 3
        keys = [f"fg-cluster-test:{i}" for i in range(300)]
        for key in keys:
            client.set(key, key)
        assert [client.get(k).decode() for k in keys] == keys
        owners = {client.get_node_from_key(k).port for k in keys}
        assert owners == set(redis_cluster.ports)
    finally:
        client.close()
        redis_cluster.flushall()
