"""A Redis that is up but cannot serve (loading its dataset after a restart, a read-only replica,
writes stopped after a failed save, a script holding the server, a cluster that is down): every
read and push answers 503 with Retry-After and stores nothing; only a bug is a 500."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import hiredis
import pytest
import redis

from featureguard.http.asgi import is_redis_down, redis_down_error
from featureguard.redis.errors import RedisReplyError, unavailable_retry_after
from featureguard.redis_process import RedisProcess, RedisUnavailableError
from tests.http.conftest import JSON_ADMIN, READER, auth, client_for, records, weather_rows

LOOKUP = {"features": ["weather_hourly:temp"], "entities": {"origin": ["EWR", "JFK"]}}

#: error replies exactly as redis-server 7 sends them
UNAVAILABLE_REPLIES = {
    "LOADING": b"-LOADING Redis is loading the dataset in memory\r\n",
    "READONLY": b"-READONLY You can't write against a read only replica.\r\n",
    "MISCONF": b"-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist "
               b"to disk. Commands that may modify the data set are disabled\r\n",
    "BUSY": b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n",
    "CLUSTERDOWN": b"-CLUSTERDOWN The cluster is down\r\n",
    "TRYAGAIN": b"-TRYAGAIN Multiple keys request during rehashing of slot\r\n",
}
BAD_COMMAND_REPLIES = [
    b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    b"-ERR unknown command 'HMGOT', with args beginning with: \r\n",
    b"-BUSYKEY Target key name already exists.\r\n",
    b"-BUSYGROUP Consumer Group name already exists\r\n",
    b"-NOSCRIPT No matching script. Please use EVAL.\r\n",
]


def _reply(raw: bytes) -> RedisReplyError:
    reader = hiredis.Reader(replyError=RedisReplyError)  # as every wire of ours parses replies
    reader.feed(raw)
    reply = reader.gets()
    assert isinstance(reply, RedisReplyError)
    return reply


@pytest.mark.parametrize("code", sorted(UNAVAILABLE_REPLIES))
def test_unavailable_replies_are_503_with_retry_after(code: str) -> None:
    from redis._parsers.base import BaseParser

    ours = _reply(UNAVAILABLE_REPLIES[code])
    theirs = BaseParser.parse_error(UNAVAILABLE_REPLIES[code][1:-2].decode())  # redis-py's class for it
    for exc in (ours, theirs):
        assert is_redis_down(exc), exc
        assert 1 <= unavailable_retry_after(exc) <= 5
        error = redis_down_error(exc)
        assert error.status == 503 and error.error == "online_store_unavailable"
        assert error.headers["Retry-After"] == str(unavailable_retry_after(exc))
    assert ours.code == code and ours.unavailable


@pytest.mark.parametrize("raw", BAD_COMMAND_REPLIES)
def test_bad_command_replies_are_not_unavailability(raw: bytes) -> None:
    from redis._parsers.base import BaseParser

    for exc in (_reply(raw), BaseParser.parse_error(raw[1:-2].decode())):
        assert not is_redis_down(exc) and unavailable_retry_after(exc) is None
    assert not is_redis_down(ValueError("a bug")) and not is_redis_down(KeyError("x"))
    assert is_redis_down(ConnectionError("refused")) and is_redis_down(TimeoutError("no answer"))


# ---------------------------------------------------------------- real redis-servers

def _files(root: Path) -> list[str]:
    return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _assert_503(response, code: str) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["error"] == "online_store_unavailable" and code in body["detail"]
    assert 1 <= int(response.headers["retry-after"]) <= 5


def _assert_push_refused(client, home: Path, code: str) -> None:
    """A push and an online ingest get 503 and leave no offline file, receipt or quarantine."""
    before = (_files(home / "offline"), _files(home / "receipts"), _files(home / "quarantine"))
    for route in ("/v1/push/weather", "/v1/ingest/weather?online=true"):
        _assert_503(client.post(route, content=records(weather_rows(3)), headers=JSON_ADMIN), code)
    assert (_files(home / "offline"), _files(home / "receipts"), _files(home / "quarantine")) == before


class LoadingRedis(RedisProcess):
    """A redis-server restarted on a saved dataset; returns as soon as it answers LOADING."""

    READY_REPLY = b"-LOADING"


def test_loading_after_a_restart_is_503_then_serves(stores, tmp_path: Path) -> None:
    data_dir = tmp_path / "redis-data"
    first = RedisProcess(data_dir=data_dir, extra_args=["--enable-debug-command", "local"])
    port = first.port
    try:
        with client_for(first.url) as client:
            assert client.post("/v1/push/weather", content=records(weather_rows(2)), headers=JSON_ADMIN).status_code == 201
        admin = redis.Redis(port=port)
        admin.execute_command("DEBUG", "POPULATE", 12_000)  # makes the restart load long enough to watch
        admin.save()
        admin.close()
    finally:
        first.kill()
    with client_for(first.url, online_timeout=1.0, redis_timeout=1.0) as client:  # up before Redis is back
        # 12,000 keys at 250 us each: ~3 s of LOADING, events served every 1 KB of the RDB file
        loading = LoadingRedis(data_dir=data_dir, port=port, extra_args=[
            "--key-load-delay", "250", "--loading-process-events-interval-bytes", "1024"])
        try:
            started = time.monotonic()
            _assert_503(client.post("/v1/online-features", json=LOOKUP, headers=auth(READER)), "LOADING")
            _assert_push_refused(client, stores.home, "LOADING")
            assert client.get("/readyz").status_code == 503
            assert time.monotonic() - started < 2.0, "the dataset loaded before the checks ran"
            deadline = time.monotonic() + 20
            while (response := client.post("/v1/online-features", json=LOOKUP, headers=auth(READER))).status_code == 503:
                assert response.json()["detail"].count("LOADING") == 1 and time.monotonic() < deadline
                time.sleep(0.1)
            assert response.status_code == 200
            assert response.json()["results"][1]["statuses"] == ["PRESENT", "PRESENT"]  # the saved push
            assert client.get("/readyz").status_code == 200
        finally:
            loading.stop()


def test_read_only_replica_serves_reads_and_refuses_pushes(stores) -> None:
    with RedisProcess() as master:
        with client_for(master.url) as client:
            assert client.post("/v1/push/weather", content=records(weather_rows(2)), headers=JSON_ADMIN).status_code == 201
        with RedisProcess(extra_args=["--replicaof", "127.0.0.1", str(master.port)]) as replica:
            probe = redis.Redis(port=replica.port)
            deadline = time.monotonic() + 10
            while probe.info("replication").get("master_link_status") != "up" or probe.dbsize() == 0:
                assert time.monotonic() < deadline, "the replica never synced"
                time.sleep(0.05)
            probe.close()
            offline_before = _files(stores.home / "offline")
            with client_for(replica.url) as client:
                read = client.post("/v1/online-features", json=LOOKUP, headers=auth(READER))
                assert read.status_code == 200 and read.json()["results"][1]["statuses"] == ["PRESENT", "PRESENT"]
                _assert_push_refused(client, stores.home, "READONLY")
                assert client.get("/readyz").status_code == 200  # reads are served
            assert _files(stores.home / "offline") == offline_before


def test_busy_script_is_503_then_serves(stores) -> None:
    with RedisProcess() as server, client_for(server.url, online_timeout=1.0, redis_timeout=1.0) as client:
        assert client.post("/v1/online-features", json=LOOKUP, headers=auth(READER)).status_code == 200
        admin = redis.Redis(port=server.port)
        admin.config_set("busy-reply-threshold", 50)
        script = redis.Redis(port=server.port)
        failed: list[BaseException] = []

        def run_forever() -> None:
            try:
                script.eval("while true do end", 0)
            except redis.ResponseError as exc:  # ended by SCRIPT KILL
                failed.append(exc)

        runner = threading.Thread(target=run_forever)
        runner.start()
        try:
            deadline = time.monotonic() + 5
            while True:
                try:
                    admin.ping()
                except redis.ResponseError as exc:
                    assert str(exc).startswith("BUSY")
                    break
                assert time.monotonic() < deadline
                time.sleep(0.02)
            _assert_503(client.post("/v1/online-features", json=LOOKUP, headers=auth(READER)), "BUSY")
            _assert_push_refused(client, stores.home, "BUSY")
        finally:
            admin.script_kill()
            runner.join(10)
            admin.close()
            script.close()
        assert failed and "killed" in str(failed[0]).lower()
        assert client.post("/v1/online-features", json=LOOKUP, headers=auth(READER)).status_code == 200
        assert client.post("/v1/push/weather", content=records(weather_rows(2)), headers=JSON_ADMIN).status_code == 201


def test_writes_stopped_after_a_failed_save_are_503(stores, tmp_path: Path) -> None:
    with RedisProcess(extra_args=["--enable-protected-configs", "local"]) as server, client_for(server.url) as client:
        assert client.post("/v1/push/weather", content=records(weather_rows(2)), headers=JSON_ADMIN).status_code == 201
        admin = redis.Redis(port=server.port)
        gone = tmp_path / "gone"
        gone.mkdir()
        admin.config_set("save", "3600 1")
        admin.config_set("stop-writes-on-bgsave-error", "yes")
        admin.config_set("dir", str(gone))
        gone.rmdir()  # the snapshot cannot be written (even as root)
        admin.bgsave()
        deadline = time.monotonic() + 10
        while admin.info("persistence")["rdb_last_bgsave_status"] != "err":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        try:
            read = client.post("/v1/online-features", json=LOOKUP, headers=auth(READER))
            assert read.status_code == 200 and read.json()["results"][1]["statuses"] == ["PRESENT", "PRESENT"]
            _assert_push_refused(client, stores.home, "MISCONF")
        finally:
            admin.config_set("dir", str(tmp_path))
            admin.close()


def test_cluster_down_is_503(stores, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.redis_cluster import RedisCluster

    monkeypatch.setenv("FEATUREGUARD_REDIS_TYPE", "redis_cluster")
    with RedisCluster(masters=1) as cluster, client_for(f"redis://127.0.0.1:{cluster.ports[0]}/0") as client:
        assert client.post("/v1/push/weather", content=records(weather_rows(2)), headers=JSON_ADMIN).status_code == 201
        assert client.post("/v1/online-features", json=LOOKUP, headers=auth(READER)).status_code == 200
        admin = redis.Redis(port=cluster.ports[0])
        used = {admin.execute_command("CLUSTER", "KEYSLOT", key) for key in admin.keys()}
        unused = min(set(range(16384)) - used)
        admin.execute_command("CLUSTER", "DELSLOTS", unused)  # full coverage required: the cluster is down
        deadline = time.monotonic() + 10
        while b"cluster_state:fail" not in admin.execute_command("CLUSTER", "INFO"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        admin.close()
        _assert_503(client.post("/v1/online-features", json=LOOKUP, headers=auth(READER)), "CLUSTERDOWN")
        _assert_push_refused(client, stores.home, "CLUSTERDOWN")
