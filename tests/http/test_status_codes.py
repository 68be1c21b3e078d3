"""Status codes at the edges: a batch with no usable row, timeouts before and after the body,
HEAD on the probes."""

from __future__ import annotations

import pytest

from tests.http.conftest import JSON_ADMIN, client_for, records, redis_snapshot, weather_rows


def _all_rows_bad() -> bytes:
    frame = weather_rows(2)
    frame["humid"] = 150.0  # every row out of range; the batch itself is well-formed
    return records(frame)


@pytest.mark.parametrize("route", ["push", "ingest"])
def test_a_batch_whose_rows_all_fail_is_422_with_its_receipt(stores, route: str) -> None:
    from featureguard.ingest.storage import read_offline

    with client_for(stores.redis.url) as client:
        response = client.post(f"/v1/{route}/weather", content=_all_rows_bad(), headers=JSON_ADMIN)
        again = client.post(f"/v1/{route}/weather", content=_all_rows_bad(), headers=JSON_ADMIN)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "batch_rejected" and body["field"] == "body.humid"
    assert "none of the 6 rows" in body["detail"]
    receipt = body["receipt"]
    assert receipt["accepted"] == 0 and receipt["quarantined"] == 6 and receipt["received"] == 6
    assert any(e["column"] == "humid" for e in receipt["errors"])
    assert again.status_code == 422 and again.json()["receipt"]["batch_id"] == receipt["batch_id"]
    assert again.json()["receipt"]["duplicate"] is True
    assert redis_snapshot(stores) == {} and len(read_offline("weather")) == 0


def test_probes_answer_head_like_get(stores) -> None:
    with client_for(stores.redis.url) as client:
        for path in ("/healthz", "/readyz"):
            get, head = client.get(path), client.head(path)
            assert head.status_code == get.status_code == 200, path
            assert head.headers["content-type"] == "application/json"
            assert head.headers["content-length"] == get.headers["content-length"]
        schema = client.get("/openapi.json").json()
        assert set(schema["paths"]["/healthz"]) == {"get"}  # HEAD is implied, not a second operation
    with client_for("redis://127.0.0.1:1/0", redis_timeout=0.2) as client:  # nothing listens on port 1
        assert client.head("/readyz").status_code == client.get("/readyz").status_code == 503
        assert client.head("/healthz").status_code == 200


def _asgi_post(app, path: str, chunks: list[bytes], headers: dict[str, str], stall: bool) -> tuple[int, dict]:
    """POST through the app's ASGI interface with the body in ``chunks``; ``stall``: the client
    then stops sending (the rest of the body never arrives)."""
    import asyncio

    import orjson

    async def run() -> tuple[int, dict]:
        queue = [{"type": "http.request", "body": c, "more_body": stall or i < len(chunks) - 1}
                 for i, c in enumerate(chunks)]
        sent: list[dict] = []

        async def receive() -> dict:
            if queue:
                return queue.pop(0)
            await asyncio.sleep(3600)  # a stalled upload
            raise AssertionError("unreachable")

        async def send(message: dict) -> None:
            sent.append(message)

        path_only, _, query = path.partition("?")
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": path_only, "raw_path": path_only.encode(), "query_string": query.encode(),
                 "root_path": "", "server": ("test", 80), "client": ("127.0.0.1", 5000),
                 "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
        await app(scope, receive, send)
        start = next(m for m in sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return start["status"], orjson.loads(body)

    return asyncio.run(run())


def _app(stores, **settings):
    from featureguard.http.app import create_app
    from featureguard.http.settings import HttpSettings
    from tests.http.conftest import KEYS_JSON

    return create_app(HttpSettings(redis_url=stores.redis.url, api_keys_json=KEYS_JSON, registry_check_interval=0,
                                   **settings))


@pytest.mark.parametrize("route", ["validate", "ingest", "push"])
def test_a_body_that_never_arrives_is_408_and_claims_nothing_stored(stores, route: str) -> None:
    from tests.http.conftest import store_snapshot

    data = records(weather_rows(4))
    before = store_snapshot(stores)
    status, body = _asgi_post(_app(stores, request_timeout=0.3), f"/v1/{route}/weather", [data[:100]],
                              {**JSON_ADMIN, "Content-Length": str(len(data))}, stall=True)
    assert status == 408 and body["error"] == "body_timeout" and body["field"] == "body"
    assert "may still be stored" not in body["detail"] and "nothing was processed or stored" in body["detail"]
    assert store_snapshot(stores) == before


def test_a_timeout_after_the_batch_was_handed_on_says_it_may_be_stored(stores) -> None:
    import time

    data = records(weather_rows(3000))  # ~9,000 rows: gating and storing take far longer than 50 ms
    headers = {**JSON_ADMIN, "Idempotency-Key": "slow-batch-1"}
    status, body = _asgi_post(_app(stores, request_timeout=0.05), "/v1/ingest/weather", [data], headers, stall=False)
    assert status == 504 and body["error"] == "timeout"
    assert "may still be stored" in body["detail"] and "Idempotency-Key" in body["detail"]
    deadline = time.monotonic() + 60  # ... and it is: the worker thread finishes the batch
    while not [p for p in (stores.home / "receipts").rglob("*.json") if p.name.count(".") == 1]:  # not reports
        assert time.monotonic() < deadline
        time.sleep(0.1)
    with client_for(stores.redis.url) as client:
        again = client.post("/v1/ingest/weather", content=data, headers=headers)
    assert again.status_code == 200 and again.json()["duplicate"] is True

    status, body = _asgi_post(_app(stores, request_timeout=0.05), "/v1/validate/weather", [data], JSON_ADMIN,
                              stall=False)
    assert status == 504 and body["error"] == "timeout"
    assert "may still be stored" not in body["detail"] and "nothing was stored" in body["detail"]


def test_operational_failures_are_503_never_500(stores) -> None:
    from featureguard.errors import OnlineStoreUnavailable, OperationalError, StorageError

    def raising(exc: Exception):
        async def endpoint():
            raise exc
        return endpoint

    with client_for(stores.redis.url) as client:
        api = client.app.fastapi
        for path, exc in (("/t/storage", StorageError("cannot write /data: No space left on device")),
                          ("/t/operational", OperationalError("FEATUREGUARD_X must be a number")),
                          ("/t/online", OnlineStoreUnavailable("Redis at 127.0.0.1:1 is loading")),
                          ("/t/bug", KeyError("a bug"))):
            api.add_api_route(path, raising(exc), methods=["GET"])
        storage, operational = client.get("/t/storage"), client.get("/t/operational")
        online, bug = client.get("/t/online"), client.get("/t/bug")
    assert storage.status_code == 503 and storage.json() == {
        "error": "operational_failure", "detail": "cannot write /data: No space left on device", "field": None}
    assert operational.status_code == 503 and "FEATUREGUARD_X" in operational.json()["detail"]
    assert online.status_code == 503 and online.json()["error"] == "online_store_unavailable"
    assert online.headers["retry-after"] == "1"
    assert bug.status_code == 500 and bug.json()["error"] == "internal_error"
