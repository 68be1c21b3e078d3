"""Both readers on a real 3-master Redis Cluster (Feast's ``redis_type: redis_cluster``): stock
Feast materializes, our readers route HMGETs by hash slot and must answer what Feast answers,
also when their slot map is stale (MOVED); the HTTP service serves lookups from the cluster."""

from __future__ import annotations

import asyncio
from array import array
from typing import Iterator

import pytest

from featureguard.online import OnlineReader
from featureguard.online.aio_reader import RedisOnlineReader
from featureguard.redis.target import RedisTarget
from tests.online import typed_repo
from tests.online.conftest import assert_same_columns, entity_rows


@pytest.fixture(scope="module")
def clustered(tmp_path_factory: pytest.TempPathFactory, redis_cluster) -> Iterator[typed_repo.TypedRepo]:
    redis_cluster.flushall()
    repo = typed_repo.build(tmp_path_factory.mktemp("typed-cluster"), {
        "type": "redis", "redis_type": "redis_cluster", "connection_string": redis_cluster.feast_connection_string})
    repo.materialize()  # stock Feast, local engine, through redis-py's RedisCluster
    yield repo


def keys_per_master(redis_cluster) -> list[int]:
    import redis

    counts = []
    for port in redis_cluster.ports:
        with redis.Redis(host="127.0.0.1", port=port) as client:
            counts.append(client.dbsize())
    return counts


def test_sync_reader_matches_stock_feast_on_a_cluster(clustered, redis_cluster) -> None:
    assert sum(1 for n in keys_per_master(redis_cluster) if n) == 3  # the data really is spread out
    store, rows = clustered.store, entity_rows()
    with OnlineReader(store) as reader:
        assert reader.target.cluster and len(reader.target.nodes) == 3
        for name in ("everything", "aliased"):
            service = store.get_feature_service(name)
            for full_names in (False, True):
                ours = reader.get_online_features(service, rows, full_feature_names=full_names)
                stock = store.get_online_features(features=service, entity_rows=rows, full_feature_names=full_names)
                assert_same_columns(ours.to_dict(True), stock.to_dict(True))
        statuses = reader.get_online_features("everything", rows).statuses
        assert {"PRESENT", "NOT_FOUND", "OUTSIDE_MAX_AGE"} <= set(statuses["hits"])
        reader.ping()


def test_a_stale_slot_map_is_corrected_by_moved_replies(clustered) -> None:
    store, rows = clustered.store, entity_rows()
    with OnlineReader(store) as reader:
        expected = reader.get_online_features("everything", rows).to_dict(True)
        slots = reader.wire.router.slots
        assert slots is not None and len(slots.nodes) == 3
        slots.owner = array("H", [0]) * len(slots.owner)  # pretend the first master owns every slot
        assert_same_columns(reader.get_online_features("everything", rows).to_dict(True), expected)
        assert reader.wire.router.slots is not None and len(set(reader.wire.router.slots.owner)) == 3  # reloaded


def test_async_reader_matches_stock_feast_on_a_cluster(clustered) -> None:
    from feast.feature_server_utils import convert_response_to_dict

    store, rows = clustered.store, entity_rows()
    columns = {k: [r[k] for r in rows] for k in rows[0]}
    stock = convert_response_to_dict(store.get_online_features(
        features=store.get_feature_service("everything"), entity_rows=rows).proto)
    stock_by_name = dict(zip(stock["metadata"]["feature_names"], stock["results"]))

    async def read_twice() -> list[dict]:
        reader = RedisOnlineReader(store, RedisTarget.from_feast(store.config.online_store), 1.0, 2.0)
        try:
            plan = reader.plan("everything", (), False)
            first = await reader.read(plan, columns, len(rows))
            reader.wire.router.slots.owner = array("H", [2]) * len(reader.wire.router.slots.owner)  # stale: MOVED
            both = await asyncio.gather(reader.read(plan, columns, len(rows)), reader.read(plan, columns, len(rows)))
            await reader.ping()
            return [first, *both]
        finally:
            await reader.aclose()

    for answer in asyncio.run(read_twice()):
        by_name = dict(zip(answer["metadata"]["feature_names"], answer["results"]))
        assert set(by_name) == set(stock_by_name)
        for name, result in stock_by_name.items():
            assert list(by_name[name]["values"]) == result["values"], name


def test_http_service_serves_from_a_cluster(redis_cluster, tmp_path, monkeypatch) -> None:
    """``featureguard serve`` with FEATUREGUARD_REDIS_TYPE=redis_cluster: Feast writes the planes
    to the cluster, the service reads them back as stock Feast does."""
    from featureguard.feast_store import OnlineStoreChoice, apply_definitions, open_store
    from featureguard.http.state import REDIS_TYPE_ENV
    from featureguard.ingest.pipeline import ingest_bytes
    from featureguard.online_write import feast_online_writer
    from tests.http.conftest import READER, auth, client_for, plane_rows, records

    url = f"redis://127.0.0.1:{redis_cluster.ports[1]}"
    monkeypatch.setenv("FEATUREGUARD_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("REDIS_URL", url)
    monkeypatch.setenv(REDIS_TYPE_ENV, "redis_cluster")
    store = open_store(OnlineStoreChoice("redis", {
        "type": "redis", "redis_type": "redis_cluster", "connection_string": redis_cluster.feast_connection_string}, ""))
    apply_definitions(store)
    planes = plane_rows(40)
    receipt = ingest_bytes("planes", records(planes), "json", online_writer=feast_online_writer(store))
    assert receipt.online_written == 40
    tails = [*planes["tailnum"].tolist(), "N0NE"]
    with client_for(url) as client:
        assert client.get("/readyz").status_code == 200
        response = client.post("/v1/online-features", headers=auth(READER),
                               json={"feature_service": "departure_delay_model", "entities": {
                                   "tailnum": tails, "origin": ["JFK"] * len(tails),
                                   "carrier": ["UA"] * len(tails), "dest": ["IAH"] * len(tails)}})
    assert response.status_code == 200, response.text
    ours = dict(zip(response.json()["metadata"]["feature_names"], response.json()["results"]))
    stock = store.get_online_features(features=store.get_feature_service("departure_delay_model"),
                                      entity_rows=[{"tailnum": t, "origin": "JFK", "carrier": "UA", "dest": "IAH"}
                                                   for t in tails]).to_dict()
    assert ours["seats"]["values"] == stock["seats"] and ours["seats"]["statuses"][-1] == "NOT_FOUND"
    assert ours["seats"]["values"][:40] == planes["seats"].tolist()


def test_a_slot_in_migration_is_read_through_ask(clustered, redis_cluster) -> None:
    """A key moved to another master while its slot migrates: the old owner answers ASK, the
    readers ask the new one (ASKING) and still find the row."""
    import redis
    from redis.crc import key_slot

    store = clustered.store
    with OnlineReader(store) as reader:
        plan = reader.plan("everything")
        key = plan.views[0].key(("JFK",))  # the typed view's row for JFK
        expected = reader.get_online_features("everything", [{"airport": "JFK", "counter_id": 1}]).to_dict(True)
        slot = key_slot(key)
        source_port = reader.wire.router.slots.nodes[reader.wire.router.slots.owner[slot]][1]
        target_port = next(p for p in redis_cluster.ports if p != source_port)
        source, target = redis.Redis(port=source_port), redis.Redis(port=target_port)
        source_id, target_id = source.execute_command("CLUSTER", "MYID"), target.execute_command("CLUSTER", "MYID")
        try:
            target.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)
            source.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", target_id)
            source.execute_command("MIGRATE", "127.0.0.1", target_port, key, 0, 5000)
            with pytest.raises(redis.exceptions.AskError):
                source.hgetall(key)
            got = reader.get_online_features("everything", [{"airport": "JFK", "counter_id": 1}]).to_dict(True)
            assert_same_columns(got, expected)

            async def read() -> dict:
                aio = RedisOnlineReader(store, reader.target, 1.0, 2.0)
                try:
                    return await aio.read(aio.plan("everything", (), False), {"airport": ["JFK"], "counter_id": [1]}, 1)
                finally:
                    await aio.aclose()

            answer = asyncio.run(read())
            by_name = dict(zip(answer["metadata"]["feature_names"], answer["results"]))
            assert by_name["name"]["values"] == ("name-JFK",) and by_name["name"]["statuses"] == ("PRESENT",)
        finally:
            source.execute_command("CLUSTER", "SETSLOT", slot, "STABLE")  # the owner takes the key back
            pipe = target.pipeline(transaction=False)  # one connection: ASKING applies to the next command
            pipe.execute_command("ASKING")
            pipe.execute_command("MIGRATE", "127.0.0.1", source_port, key, 0, 5000)
            pipe.execute()
            target.execute_command("CLUSTER", "SETSLOT", slot, "STABLE")
            assert source.exists(key) == 1
            source.close()
            target.close()
