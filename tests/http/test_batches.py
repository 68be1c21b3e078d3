"""Validate, ingest and push over HTTP: every bad-input class, status codes, and what was stored."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from tests.http.conftest import (
    ADMIN,
    CONTRACTS,
    PLANES_WRITER,
    READER,
    WEATHER_WRITER,
    auth,
    client_for,
    plane_rows,
    records,
    redis_snapshot,
    store_snapshot,
    weather_rows,
)

JSON = {"Content-Type": "application/json"}


def parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _weather() -> pd.DataFrame:
    return weather_rows(4)


def bad_batch(kind: str) -> tuple[bytes, str]:
    """One batch per bad-input class of the bad-input suite, as a producer would send it."""
    w = _weather()
    if kind == "wrong_type":
        w["temp"] = w["temp"].astype(object)
        w.loc[0, "temp"] = "warm"
    elif kind == "nan":
        w.loc[0, "precip"] = float("nan")
    elif kind == "inf":
        return records(w).replace(b'"visib":10.0', b'"visib":Infinity', 1), "application/json"
    elif kind == "out_of_range":
        w.loc[0, "humid"] = 150.0
    elif kind == "missing_column":
        w = w.drop(columns=["visib"])
    elif kind == "extra_column":
        w["extra"] = 1
    elif kind == "duplicate_key_ts":
        w = pd.concat([w, w.head(1)], ignore_index=True)
    elif kind == "naive_text_timestamp":
        w.loc[0, "time_hour"] = "2013-01-01 05:00:00"
    elif kind == "naive_typed_timestamp":
        w["time_hour"] = pd.to_datetime(w["time_hour"]).dt.tz_localize(None)
        return parquet(w), "application/vnd.apache.parquet"
    elif kind == "truncated_parquet":
        return parquet(w)[:200], "application/vnd.apache.parquet"
    elif kind == "empty_body":
        return b"", "application/json"
    return records(w), "application/json"


#: class -> (how the gate sees it, the failing check it must name)
CLASSES = {
    "wrong_type": ("batch", "coerce_dtype('float64')"),
    "missing_column": ("batch", "column_in_dataframe"),
    "extra_column": ("batch", "column_in_schema"),
    "naive_typed_timestamp": ("batch", "timezone_aware"),
    "nan": ("rows", "not_nullable"),
    "inf": ("rows", "finite"),
    "out_of_range": ("rows", "in_range(0.0, 100.0)"),
    "duplicate_key_ts": ("rows", "multiple_fields_uniqueness"),
    "naive_text_timestamp": ("rows", "timezone_aware"),
    "truncated_parquet": ("unreadable", "readable"),
    "empty_body": ("unreadable", "readable"),
}


def checks(errors: list[dict]) -> set[str]:
    return {e["check"] for e in errors}


@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_validate_reports_every_bad_input_class(client, stores, kind: str) -> None:
    data, content_type = bad_batch(kind)
    before = store_snapshot(stores)
    response = client.post("/v1/validate/weather", content=data,
                           headers={"Content-Type": content_type, **auth(CONTRACTS)})
    how, check = CLASSES[kind]
    body = response.json()
    if how == "unreadable":
        assert response.status_code == 422
        assert body["error"] == "unreadable_batch" and body["field"] == "body"
        assert body["report"]["status"] == "unreadable"
    else:
        assert response.status_code == 200
        assert body["status"] == "invalid" and check in checks(body["errors"])
        assert body["valid"] == (0 if how == "batch" else body["received"] - body["invalid"])
        assert body["invalid"] >= 1
    assert store_snapshot(stores) == before
    assert not (stores.home / "receipts").exists()


@pytest.mark.parametrize("kind", sorted(CLASSES))
@pytest.mark.parametrize("route", ["ingest", "push"])
def test_ingest_and_push_every_bad_input_class(stores, kind: str, route: str) -> None:
    from featureguard.ingest.storage import read_offline

    data, content_type = bad_batch(kind)
    before = store_snapshot(stores)
    with client_for(stores.redis.url) as client:
        response = client.post(f"/v1/{route}/weather", content=data,
                               headers={"Content-Type": content_type, **auth(WEATHER_WRITER)})
    how, check = CLASSES[kind]
    body = response.json()
    if how in ("batch", "unreadable"):
        assert response.status_code == 422, response.text
        assert body["error"] == ("unreadable_batch" if how == "unreadable" else "batch_rejected")
        assert check in checks(body["receipt"]["errors"])
        assert body["receipt"]["accepted"] == 0 and body["receipt"]["status"] == "rejected"
        if how == "batch" and kind != "wrong_type":
            assert body["field"].startswith("body.")
        assert store_snapshot(stores) == before  # nothing stored, offline or online
        return
    assert response.status_code == 201, response.text
    assert body["status"] == "partial" and check in checks(body["errors"])
    assert body["accepted"] + body["quarantined"] == body["received"] and body["quarantined"] >= 1
    stored = read_offline("weather")
    assert len(stored) == body["accepted"]
    assert stored[["origin", "time_hour"]].duplicated().sum() == 0
    online = redis_snapshot(stores)
    assert bool(online) == (route == "push")


def test_ingest_receipt_idempotency_and_duplicates(stores) -> None:
    from featureguard.ingest.storage import read_offline

    data = records(_weather())
    headers = {**JSON, **auth(WEATHER_WRITER)}
    with client_for(stores.redis.url) as client:
        first = client.post("/v1/ingest/weather", content=data, headers=headers)
        assert first.status_code == 201 and first.json()["status"] == "accepted"
        assert first.json()["accepted"] == 12 and first.json()["duplicate"] is False
        again = client.post("/v1/ingest/weather", content=data, headers=headers)
        assert again.status_code == 200 and again.json()["duplicate"] is True
        assert again.json()["batch_id"] == first.json()["batch_id"]

        keyed = {**headers, "Idempotency-Key": "weather-2013-01-01"}
        one = client.post("/v1/ingest/weather", content=records(weather_rows(6)), headers=keyed)
        assert one.status_code == 201
        same = client.post("/v1/ingest/weather", content=records(weather_rows(6)), headers=keyed)
        assert same.status_code == 200 and same.json()["batch_id"] == one.json()["batch_id"]
        assert same.json()["accepted"] == 18 and same.json()["duplicate"] is True
        other_bytes = client.post("/v1/ingest/weather", content=records(weather_rows(8)), headers=keyed)
        assert other_bytes.status_code == 422 and other_bytes.json()["error"] == "idempotency_key_reused"

        bad_key = client.post("/v1/ingest/weather", content=data, headers={**headers, "Idempotency-Key": "has space"})
        assert bad_key.status_code == 422 and bad_key.json()["field"] == "Idempotency-Key"
        strict = client.post("/v1/ingest/weather?policy=strict", content=records(_with_bad_humid()), headers=headers)
        assert strict.status_code == 422 and strict.json()["receipt"]["policy"] == "strict"
        policy = client.post("/v1/ingest/weather?policy=lenient", content=data, headers=headers)
        assert policy.status_code == 422 and policy.json()["field"] == "policy"
    assert len(read_offline("weather")) == 12 + 18


def test_ingest_online_writes_redis_too(stores) -> None:
    with client_for(stores.redis.url) as client:
        headers = {**JSON, **auth(WEATHER_WRITER)}
        plain = client.post("/v1/ingest/weather", content=records(weather_rows(2)), headers=headers)
        assert plain.status_code == 201 and plain.json()["online_written"] is None
        assert redis_snapshot(stores) == {}
        online = client.post("/v1/ingest/weather?online=true", content=records(weather_rows(3)), headers=headers)
        assert online.status_code == 201 and online.json()["online_written"] == 3  # newest row per origin
        read = client.post("/v1/online-features", headers=auth(READER),
                           json={"features": ["weather_hourly:temp"], "entities": {"origin": ["EWR", "JFK", "LGA"]}})
    assert read.json()["results"][1]["statuses"] == ["PRESENT"] * 3
    assert read.json()["results"][1]["event_timestamps"][0] == weather_rows(3)["time_hour"].iloc[2]


def _with_bad_humid() -> pd.DataFrame:
    w = weather_rows(5)
    w.loc[0, "humid"] = 150.0
    return w


def test_formats_by_content_type(client, stores) -> None:
    w = _weather()
    csv = w.to_csv(index=False).encode()
    lines = w.to_json(orient="records", lines=True).encode()
    for data, content_type in ((csv, "text/csv"), (lines, "application/x-ndjson"),
                               (parquet(w.assign(time_hour=pd.to_datetime(w["time_hour"], utc=True))),
                                "application/vnd.apache.parquet")):
        response = client.post("/v1/validate/weather", content=data,
                               headers={"Content-Type": content_type, **auth(ADMIN)})
        assert response.status_code == 200 and response.json()["status"] == "valid", content_type
    for content_type, status in ((None, 415), ("application/xml", 415)):
        headers = {**auth(ADMIN), **({"Content-Type": content_type} if content_type else {})}
        response = client.post("/v1/ingest/weather", content=csv, headers=headers)
        assert response.status_code == status and response.json()["field"] == "Content-Type"
    assert store_snapshot(stores)["offline"] == []


def test_push_writes_online_and_offline_and_keeps_bad_rows_out(stores) -> None:
    import redis

    from featureguard.ingest.storage import read_offline

    planes = plane_rows(20)
    planes.loc[3, "seats"] = 5_000  # out of range
    planes.loc[7, "engine"] = "Warp"  # not an allowed value
    bad_tails = {planes.loc[3, "tailnum"], planes.loc[7, "tailnum"]}
    with client_for(stores.redis.url) as client:
        response = client.post("/v1/push/planes", content=records(planes), headers={**JSON, **auth(PLANES_WRITER)})
        assert response.status_code == 201, response.text
        receipt = response.json()
        assert receipt["status"] == "partial" and receipt["accepted"] == 18 and receipt["quarantined"] == 2
        assert receipt["online_written"] == 18
        assert {e["column"] for e in receipt["errors"]} == {"seats", "engine"}
        tails = list(planes["tailnum"])
        lookup = client.post("/v1/online-features", headers=auth(READER), json={
            "features": ["plane_attributes:seats", "plane_attributes:engine"], "entities": {"tailnum": tails}})
    columns = dict(zip(lookup.json()["metadata"]["feature_names"], lookup.json()["results"]))
    for tail, seats, status in zip(tails, columns["seats"]["values"], columns["seats"]["statuses"]):
        if tail in bad_tails:
            assert status == "NOT_FOUND" and seats is None
        else:
            assert status == "PRESENT" and seats == int(planes.loc[planes["tailnum"] == tail, "seats"].iloc[0])
    offline = read_offline("planes")
    assert len(offline) == 18 and not set(offline["tailnum"]) & bad_tails
    # what stock Feast reads back for a pushed row is what was pushed
    row = stores.store.get_online_features(features=["plane_attributes:model"],
                                           entity_rows=[{"tailnum": tails[0]}]).to_dict()
    assert row["model"] == [planes.loc[0, "model"]]
    client_ = redis.Redis(port=stores.redis.port)
    assert client_.dbsize() == 18
    client_.close()


def test_push_and_ingest_limits(stores) -> None:
    with client_for(stores.redis.url, max_push_rows=5, max_rows=10, max_body_bytes=50_000) as client:
        headers = {**JSON, **auth(ADMIN)}
        before = store_snapshot(stores)
        push = client.post("/v1/push/weather", content=records(weather_rows(2)), headers=headers)
        assert push.status_code == 413 and push.json()["error"] == "too_many_rows"
        assert push.json()["rows"] == 6 and "limit per request is 5" in push.json()["detail"]
        ingest = client.post("/v1/ingest/weather", content=records(weather_rows(4)), headers=headers)
        assert ingest.status_code == 413 and ingest.json()["limit_rows"] == 10
        csv = weather_rows(4).to_csv(index=False).encode()
        assert client.post("/v1/validate/weather", content=csv,
                           headers={"Content-Type": "text/csv", **auth(ADMIN)}).status_code == 413
        big = client.post("/v1/ingest/weather", content=b"[" + b" " * 60_000 + b"]", headers=headers)
        assert big.status_code == 413 and big.json()["error"] == "payload_too_large"
        assert store_snapshot(stores) == before
        assert client.post("/v1/push/weather", content=records(weather_rows(1)), headers=headers).status_code == 201


@pytest.mark.parametrize(("route", "headers", "status", "error"), [
    ("ingest", {}, 401, "missing_api_key"),
    ("push", {}, 401, "missing_api_key"),
    ("ingest", {"Authorization": "Bearer nope"}, 401, "invalid_api_key"),
    ("push", auth(READER), 403, "forbidden"),
    ("ingest", auth(PLANES_WRITER), 403, "forbidden"),
    ("push", auth(CONTRACTS), 403, "forbidden"),
])
def test_writes_need_the_source_scope_and_write_nothing(stores, route: str, headers: dict, status: int, error: str) -> None:
    before = store_snapshot(stores)
    with client_for(stores.redis.url, open_reads=True) as client:
        response = client.post(f"/v1/{route}/weather", content=records(_weather()), headers={**JSON, **headers})
    assert response.status_code == status and response.json()["error"] == error
    assert store_snapshot(stores) == before
    assert not (stores.home / "receipts").exists() and not (stores.home / "quarantine").exists()


def test_writes_are_closed_without_configured_keys(stores) -> None:
    with client_for(stores.redis.url, api_keys_json=None, open_reads=True) as client:
        response = client.post("/v1/push/weather", content=records(_weather()), headers={**JSON, **auth(ADMIN)})
        assert response.status_code == 401
        assert client.get("/v1/contracts").status_code == 200  # reads opened by configuration
    assert store_snapshot(stores)["offline"] == []


@pytest.mark.parametrize("route", ["validate", "ingest", "push"])
def test_unknown_source(client, route: str) -> None:
    response = client.post(f"/v1/{route}/nope", content=b"[]", headers={**JSON, **auth(ADMIN)})
    assert response.status_code == 404
    assert response.json()["error"] == "unknown_source" and response.json()["field"] == "source"
    assert "weather" in response.json()["detail"]


def test_request_timeout_answers_504_json(stores) -> None:
    with client_for(stores.redis.url, request_timeout=0.001) as client:
        response = client.post("/v1/validate/weather", content=records(weather_rows(200)),
                               headers={**JSON, **auth(ADMIN)})
    assert response.status_code == 504
    assert response.json()["error"] == "timeout" and "nothing was stored" in response.json()["detail"]  # validate
