"""The synchronous reader's behaviour on a real redis-server: registry changes, errors that name
the bad input, Redis restarts and outages (clear errors, no hangs), threads, the async twin."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from datetime import timedelta

import pytest

from featureguard.online import EntityValueError, OnlineReader, UnknownFeatureError
from featureguard.redis.target import RedisTarget
from featureguard.redis_process import RedisProcess
from tests.online.conftest import entity_rows

ROW = [{"airport": "JFK", "counter_id": 1}]


def test_registry_changes_are_picked_up_without_a_restart(typed) -> None:
    from feast import FeatureService, FeatureStore

    with OnlineReader(typed.store, registry_check_interval=0) as reader:
        assert reader.get_online_features("everything", ROW).feature_names[0] == "i32"
        with pytest.raises(UnknownFeatureError, match="known: aliased, everything"):
            reader.get_online_features("fresh_service", ROW)
        other = FeatureStore(repo_path=str(typed.path))  # another process applying a change
        typed_view = other.get_feature_view("typed")
        counters = other.get_feature_view("counters")
        other.apply([FeatureService(name="fresh_service", features=[counters[["ratio"]], typed_view[["name"]]])])
        try:
            time.sleep(0.01)
            result = reader.get_online_features("fresh_service", ROW)
            assert result.feature_names == ("ratio", "name") and result.to_dict()["name"] == ["name-JFK"]
        finally:
            other.delete_feature_service("fresh_service")
        reader.refresh()
        with pytest.raises(UnknownFeatureError):
            reader.get_online_features("fresh_service", ROW)


def test_bad_requests_name_the_problem(typed) -> None:
    with OnlineReader(typed.store) as reader:
        with pytest.raises(UnknownFeatureError, match="unknown feature view 'nope'"):
            reader.get_online_features(["nope:x"], ROW)
        with pytest.raises(UnknownFeatureError, match="view 'typed' has no feature 'x'"):
            reader.get_online_features(["typed:x"], ROW)
        with pytest.raises(EntityValueError, match="needs join key 'counter_id'"):
            reader.get_online_features("everything", [{"airport": "JFK"}])
        with pytest.raises(EntityValueError) as caught:
            reader.get_online_features("everything", entities={"airport": ["JFK", 7], "counter_id": [1, 2]})
        assert caught.value.field == "entities.airport[1]" and "is not a string" in caught.value.detail
        with pytest.raises(EntityValueError, match="is not a 64-bit integer"):
            reader.get_online_features("everything", entities={"airport": ["JFK"], "counter_id": [2**63]})
        with pytest.raises(EntityValueError, match="differ in length"):
            reader.get_online_features("everything", entities={"airport": ["JFK"], "counter_id": [1, 2]})
        with pytest.raises(EntityValueError, match="lacks 'counter_id'"):
            reader.get_online_features("everything", [{"airport": "JFK", "counter_id": 1}, {"airport": "LGA"}])
        empty = reader.get_online_features("everything", entities={"airport": [], "counter_id": []})
        assert len(empty) == 0 and empty.to_dict()["hits"] == []


def test_threads_share_one_reader(typed) -> None:
    rows = entity_rows()
    with OnlineReader(typed.store) as reader:
        expected = reader.get_online_features("everything", rows).to_dict(True)
        failures: list[BaseException] = []

        def work(offset: int) -> None:
            try:
                for i in range(30):
                    chunk = rows[(offset + i) % len(rows):][:7] or rows[:7]
                    got = reader.get_online_features("everything", chunk).to_dict(True)
                    for name, column in got.items():
                        start = rows.index(chunk[0])
                        assert column == expected[name][start:start + len(chunk)], name
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(k * 11,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not failures, failures[0]


def test_redis_restart_and_outage(typed) -> None:
    """A restarted Redis is used again on the next lookup; a dead one fails fast and clearly."""
    proc = RedisProcess()
    try:
        target = RedisTarget.from_url(proc.url)
        with OnlineReader(typed.store, target=target, connect_timeout=0.5, timeout=0.5) as reader:
            assert reader.get_online_features("everything", ROW).statuses["i32"] == ["NOT_FOUND"]  # empty Redis
            port, data_dir = proc.port, proc.data_dir
            proc.kill()
            start = time.monotonic()
            with pytest.raises(ConnectionError, match=f"127.0.0.1:{port}"):
                reader.get_online_features("everything", ROW)
            assert time.monotonic() - start < 2
            proc = RedisProcess(data_dir=data_dir, port=port)
            assert reader.get_online_features("everything", ROW).statuses["i32"] == ["NOT_FOUND"]
            proc.kill()
            proc = RedisProcess(data_dir=data_dir, port=port)  # the reader's socket is now stale
            assert reader.get_online_features("everything", ROW).statuses["i32"] == ["NOT_FOUND"]
    finally:
        proc.stop()


def test_a_silent_redis_times_out(typed) -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        target = RedisTarget((silent.getsockname(),))
        with OnlineReader(typed.store, target=target, timeout=0.3) as reader:
            start = time.monotonic()
            with pytest.raises(TimeoutError, match="did not answer within 0.3 s"):
                reader.get_online_features("everything", ROW)
            assert time.monotonic() - start < 2


def test_the_async_reader_renders_feasts_json(typed) -> None:
    """The HTTP service's reader on the same data: Feast's JSON values, and stale rows flagged
    when asked to."""
    from feast.feature_server_utils import convert_response_to_dict

    from featureguard.online.aio_reader import RedisOnlineReader

    store, rows = typed.store, entity_rows()
    columns = {k: [r[k] for r in rows] for k in rows[0]}
    stock = convert_response_to_dict(store.get_online_features(
        features=store.get_feature_service("everything"), entity_rows=rows).proto)
    stock_by_name = dict(zip(stock["metadata"]["feature_names"], stock["results"]))
    sync = OnlineReader(store).get_online_features("everything", rows)

    async def read(max_age: bool) -> dict:
        reader = RedisOnlineReader(store, RedisTarget.from_feast(store.config.online_store), 1.0, 2.0,
                                   max_age_statuses=max_age)
        try:
            return await reader.read(reader.plan("everything", (), False), columns, len(rows))
        finally:
            await reader.aclose()

    for max_age in (False, True):
        ours = asyncio.run(read(max_age))
        by_name = dict(zip(ours["metadata"]["feature_names"], ours["results"]))
        assert set(by_name) == set(stock_by_name)
        for name in sync.feature_names:
            assert list(by_name[name]["values"]) == stock_by_name[name]["values"], name
            found = [t for t, s in zip(stock_by_name[name]["event_timestamps"], sync.statuses[name]) if s != "NOT_FOUND"]
            assert [t for t, s in zip(by_name[name]["event_timestamps"], sync.statuses[name]) if s != "NOT_FOUND"] == found
            for got, want in zip(by_name[name]["statuses"], sync.statuses[name]):
                if max_age or want != "OUTSIDE_MAX_AGE":
                    assert got == want, name
                else:  # without TTL checks a stale row reads as what it holds
                    assert got in ("PRESENT", "NULL_VALUE"), name
    assert "OUTSIDE_MAX_AGE" in sync.statuses["hits"]
    assert timedelta(days=1) == store.get_feature_view("counters").ttl


def test_a_forked_child_opens_its_own_connection(typed) -> None:
    """A reader created before a fork (e.g. a pre-forking server) must not share its socket."""
    import os

    with OnlineReader(typed.store) as reader:
        expected = reader.get_online_features("everything", entity_rows()).to_dict()
        pid = os.fork()
        if pid == 0:  # child: many lookups while the parent does the same on the inherited reader
            ok = all(reader.get_online_features("everything", entity_rows()).to_dict() == expected for _ in range(50))
            os._exit(0 if ok else 1)
        parent_ok = all(reader.get_online_features("everything", entity_rows()).to_dict() == expected
                        for _ in range(50))
        _, status = os.waitpid(pid, 0)
        assert parent_ok and os.waitstatus_to_exitcode(status) == 0
