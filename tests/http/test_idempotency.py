"""Idempotency-Key over HTTP: scoped to the API key, refused for other bytes, race-free."""

from __future__ import annotations

import hashlib
import threading

import pytest

from featureguard.http import batches
from featureguard.http.auth import hash_key
from featureguard.ingest.pipeline import receipt_store
from featureguard.ingest.receipts import batch_id_for
from featureguard.ingest.storage import read_offline
from featureguard.settings import staging_path
from tests.http.conftest import ADMIN, WEATHER_WRITER, auth, client_for, records, weather_rows

JSON = {"Content-Type": "application/json"}


def _headers(api_key: str, idempotency_key: str) -> dict[str, str]:
    return {**JSON, **auth(api_key), "Idempotency-Key": idempotency_key}


def _sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def test_concurrent_first_writes_with_one_key_store_exactly_one_body(stores) -> None:
    trials, stored_rows = 10, 0
    with client_for(stores.redis.url) as client:
        for trial in range(trials):
            bodies = [records(weather_rows(2 + trial % 3)), records(weather_rows(5 + trial % 3))]
            answers: list = [None, None]
            start = threading.Barrier(2)

            def send(i: int) -> None:
                start.wait()
                answers[i] = client.post("/v1/ingest/weather", content=bodies[i],
                                         headers=_headers(WEATHER_WRITER, f"race-{trial}"))

            threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            codes = sorted(a.status_code for a in answers)
            assert codes in ([201, 409], [201, 422]), f"trial {trial}: {codes}"
            winner = next(i for i in range(2) if answers[i].status_code == 201)
            loser = answers[1 - winner].json()
            assert loser["error"] in ("idempotency_key_reused", "batch_in_progress")
            receipt = answers[winner].json()
            assert receipt["duplicate"] is False and receipt["content_sha256"] == _sha(bodies[winner])
            on_disk = receipt_store().get(receipt["batch_id"])
            assert on_disk is not None and on_disk.content_sha256 == _sha(bodies[winner])
            assert on_disk.accepted == receipt["accepted"]
            stored_rows += receipt["accepted"]
    assert len(read_offline("weather")) == stored_rows, "the losing body must not be stored"


def test_a_key_is_scoped_to_its_api_key(stores) -> None:
    mine, theirs = records(weather_rows(2)), records(weather_rows(4))
    with client_for(stores.redis.url) as client:
        first = client.post("/v1/ingest/weather?name=producer-a.json", content=mine,
                            headers=_headers(WEATHER_WRITER, "2013-01-01"))
        assert first.status_code == 201
        other = client.post("/v1/ingest/weather?name=producer-b.json", content=theirs,
                            headers=_headers(ADMIN, "2013-01-01"))
        assert other.status_code == 201, other.json()
        body = other.json()
        assert body["duplicate"] is False and body["batch_id"] != first.json()["batch_id"]
        assert body["file_name"] == "producer-b.json" and body["content_sha256"] == _sha(theirs)
        assert body["accepted"] == 12
        again = client.post("/v1/ingest/weather", content=mine, headers=_headers(WEATHER_WRITER, "2013-01-01"))
        assert again.status_code == 200 and again.json()["batch_id"] == first.json()["batch_id"]
        assert again.json()["file_name"] == "producer-a.json"
    assert len(read_offline("weather")) == 6 + 12


def test_reusing_a_key_for_other_bytes_is_422_and_stores_nothing(stores) -> None:
    with client_for(stores.redis.url) as client:
        first = client.post("/v1/ingest/weather", content=records(weather_rows(2)),
                            headers=_headers(WEATHER_WRITER, "k-1"))
        assert first.status_code == 201
        before = sorted(p.name for p in (stores.home / "offline" / "weather").iterdir())
        for path in ("/v1/ingest/weather", "/v1/push/weather"):
            reused = client.post(path, content=records(weather_rows(3)), headers=_headers(WEATHER_WRITER, "k-1"))
            assert reused.status_code == 422, (path, reused.json())
            assert reused.json()["error"] == "idempotency_key_reused"
            assert reused.json()["field"] == "Idempotency-Key"
            assert first.json()["batch_id"] in reused.json()["detail"]
        assert sorted(p.name for p in (stores.home / "offline" / "weather").iterdir()) == before
        assert len(receipt_store().all()) == 1


def test_a_batch_being_stored_answers_409(stores, monkeypatch) -> None:
    from featureguard.ingest.commit import BatchLock

    body = records(weather_rows(2))
    batch_id = batch_id_for("weather", body, "held", hash_key(WEATHER_WRITER))
    monkeypatch.setattr(batches, "LOCK_WAIT_SECONDS", 0.2)
    lock = BatchLock(staging_path(), batch_id)
    assert lock.acquire(0)
    try:
        with client_for(stores.redis.url) as client:
            busy = client.post("/v1/ingest/weather", content=body, headers=_headers(WEATHER_WRITER, "held"))
            assert busy.status_code == 409 and busy.json()["error"] == "batch_in_progress"
            assert busy.headers["retry-after"] == "1"
    finally:
        lock.release()
    assert read_offline("weather").empty
    with client_for(stores.redis.url) as client:
        done = client.post("/v1/ingest/weather", content=body, headers=_headers(WEATHER_WRITER, "held"))
    assert done.status_code == 201 and done.json()["batch_id"] == batch_id


@pytest.mark.parametrize("route", ["ingest", "push"])
def test_same_key_same_bytes_is_the_original_receipt(stores, route: str) -> None:
    body = records(weather_rows(2))
    with client_for(stores.redis.url) as client:
        first = client.post(f"/v1/{route}/weather", content=body, headers=_headers(WEATHER_WRITER, "same"))
        again = client.post(f"/v1/{route}/weather", content=body, headers=_headers(WEATHER_WRITER, "same"))
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["duplicate"] is True and again.json()["batch_id"] == first.json()["batch_id"]
    assert again.json()["note"] is None


def test_a_repeat_with_another_policy_or_online_says_so_in_the_receipt(stores) -> None:
    from tests.http.conftest import redis_snapshot

    body = records(weather_rows(3))
    headers = {**JSON, **auth(WEATHER_WRITER)}
    with client_for(stores.redis.url) as client:
        first = client.post("/v1/ingest/weather?policy=strict", content=body, headers=headers)
        assert first.status_code == 201 and first.json()["note"] is None
        policy = client.post("/v1/ingest/weather", content=body, headers=headers)
        online = client.post("/v1/ingest/weather?policy=strict&online=true", content=body, headers=headers)
    assert policy.status_code == 200 and policy.json()["duplicate"] is True
    assert "under policy=strict" in policy.json()["note"]
    assert "this request's policy=quarantine was not applied" in policy.json()["note"]
    assert online.status_code == 200 and "online write was not applied" in online.json()["note"]
    assert redis_snapshot(stores) == {}, "a repeat writes nothing online"
