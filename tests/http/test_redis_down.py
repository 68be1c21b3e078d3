"""Redis going away and coming back under a running app: 503s, nothing acknowledged, self-recovery."""

from __future__ import annotations

import os
import signal
import time

import pytest

from featureguard.redis_process import RedisProcess
from tests.http.conftest import JSON_ADMIN, READER, auth, client_for, records, weather_rows

LOOKUP = {"features": ["weather_hourly:temp"], "entities": {"origin": ["EWR", "JFK"]}}


@pytest.fixture()
def own_redis(stores):
    proc = RedisProcess()
    yield proc
    proc.stop()


def _files(root) -> list[str]:
    return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _until(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def test_redis_killed_and_restarted(stores, own_redis: RedisProcess) -> None:
    home = stores.home
    with client_for(own_redis.url, online_timeout=0.5, redis_timeout=0.5) as client:
        first = client.post("/v1/push/weather", content=records(weather_rows(2)), headers=JSON_ADMIN)
        assert first.status_code == 201
        assert client.post("/v1/online-features", json=LOOKUP, headers=auth(READER)).status_code == 200
        assert client.get("/readyz").status_code == 200

        own_redis.kill()
        offline_before, receipts_before = _files(home / "offline"), _files(home / "receipts")

        down = client.post("/v1/online-features", json=LOOKUP, headers=auth(READER))
        assert down.status_code == 503
        assert down.json()["error"] == "online_store_unavailable" and "Redis" in down.json()["detail"]
        assert down.headers["retry-after"] == "1"

        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["ready"] is False and ready.json()["checks"]["redis"]["ok"] is False
        assert ready.json()["checks"]["registry"]["ok"] is True

        push = client.post("/v1/push/weather", content=records(weather_rows(3)), headers=JSON_ADMIN)
        assert push.status_code == 503 and push.json()["error"] == "online_store_unavailable"
        assert _files(home / "offline") == offline_before  # not acknowledged, not kept
        assert _files(home / "receipts") == receipts_before
        assert _files(home / "quarantine") == []
        online_ingest = client.post("/v1/ingest/weather?online=true", content=records(weather_rows(4)),
                                    headers=JSON_ADMIN)
        assert online_ingest.status_code == 503 and _files(home / "offline") == offline_before
        offline_only = client.post("/v1/ingest/weather", content=records(weather_rows(5)), headers=JSON_ADMIN)
        assert offline_only.status_code == 201  # the offline store does not need Redis
        assert client.get("/healthz").status_code == 200  # the process itself is fine

        restarted = RedisProcess(port=own_redis.port)
        try:
            assert _until(lambda: client.get("/readyz").status_code == 200)
            back = client.post("/v1/online-features", json=LOOKUP, headers=auth(READER))
            assert back.status_code == 200
            assert back.json()["results"][1]["statuses"] == ["NOT_FOUND", "NOT_FOUND"]  # restarted empty
            again = client.post("/v1/push/weather", content=records(weather_rows(3)), headers=JSON_ADMIN)
            assert again.status_code == 201 and again.json()["online_written"] == 3  # newest of 3 hours per origin
            read = client.post("/v1/online-features", json=LOOKUP, headers=auth(READER))
            assert read.json()["results"][1]["statuses"] == ["PRESENT", "PRESENT"]
        finally:
            restarted.stop()


def test_redis_hanging_times_out_to_503_and_recovers(stores, own_redis: RedisProcess) -> None:
    with client_for(own_redis.url, online_timeout=0.3, redis_timeout=0.3) as client:
        assert client.post("/v1/online-features", json=LOOKUP, headers=auth(READER)).status_code == 200
        os.kill(own_redis.process.pid, signal.SIGSTOP)
        try:
            start = time.monotonic()
            hung = client.post("/v1/online-features", json=LOOKUP, headers=auth(READER))
            assert hung.status_code == 503 and hung.json()["error"] == "online_store_unavailable"
            assert time.monotonic() - start < 3.0
            assert client.get("/readyz").status_code == 503
        finally:
            os.kill(own_redis.process.pid, signal.SIGCONT)
        assert _until(lambda: client.post("/v1/online-features", json=LOOKUP,
                                          headers=auth(READER)).status_code == 200)


def test_redis_dying_mid_push_leaves_no_trace(stores, own_redis: RedisProcess) -> None:
    """Redis answers the pre-check, then dies before the online write: the offline file the
    pipeline already wrote is removed and no receipt exists, so the 503 is the whole truth."""
    home = stores.home
    with client_for(own_redis.url, redis_timeout=0.5) as client:
        state = client.app.state
        real_writer = state.push_writer

        def dying_writer(contract, frame):
            own_redis.kill()
            return real_writer(contract, frame)

        state.push_writer = dying_writer
        start = time.monotonic()
        push = client.post("/v1/push/weather", content=records(weather_rows(2)), headers=JSON_ADMIN)
        assert push.status_code == 503 and push.json()["error"] == "online_store_unavailable"
        assert time.monotonic() - start < 15
    assert _files(home / "offline") == [] and _files(home / "receipts") == []
    assert _files(home / "quarantine") == []
