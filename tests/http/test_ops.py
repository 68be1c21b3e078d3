"""Contracts, health, readiness and Prometheus metrics over HTTP."""

from __future__ import annotations

from datetime import datetime, timezone

from prometheus_client.parser import text_string_to_metric_families

from tests.http.conftest import (
    ADMIN,
    CONTRACTS,
    PLANES_WRITER,
    READER,
    auth,
    client_for,
    plane_rows,
    records,
)


def samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(metrics: dict, name: str, **labels: str) -> float:
    return metrics.get((name, tuple(sorted(labels.items()))), 0.0)


def test_contracts_list_and_detail(client) -> None:
    listed = client.get("/v1/contracts", headers=auth(CONTRACTS))
    assert listed.status_code == 200
    names = [c["name"] for c in listed.json()["contracts"]]
    assert names == ["planes", "route_delays", "weather"]
    weather = client.get("/v1/contracts/weather", headers=auth(CONTRACTS)).json()
    assert weather["entity_columns"] == ["origin"] and weather["timestamp_column"] == "time_hour"
    assert weather["feature_ttl_seconds"] == 3 * 3600 and weather["unique"] == ["origin", "time_hour"]
    columns = {c["name"]: c for c in weather["columns"]}
    assert columns["visib"]["nullable"] is False and columns["wind_gust"]["nullable"] is True
    assert {c["name"] for c in columns["visib"]["checks"]} == {"in_range", "finite"}
    assert columns["origin"]["role"] == "entity" and columns["temp"]["role"] == "feature"
    assert [c["name"] for c in weather["checks"]] == ["dewp_not_above_temp"]
    assert weather["pandera_schema"]["columns"]["temp"]["in_range"]["max_value"] == 130.0


def test_contract_errors_and_auth(client) -> None:
    missing = client.get("/v1/contracts/nope", headers=auth(CONTRACTS))
    assert missing.status_code == 404 and missing.json()["field"] == "source"
    assert client.get("/v1/contracts").status_code == 401
    assert client.get("/v1/contracts", headers=auth(READER)).status_code == 403
    bad_format = client.get("/v1/contracts/weather?format=xml", headers=auth(CONTRACTS))
    assert bad_format.status_code == 422 and bad_format.json()["field"] == "format"


def test_contract_as_odcs_yaml(client) -> None:
    import yaml

    response = client.get("/v1/contracts/weather?format=odcs", headers=auth(CONTRACTS))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/yaml")
    assert "weather" in str(yaml.safe_load(response.text))


def test_health_and_readiness(client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"ready": True, "checks": {"registry": {"ok": True, "detail": None},
                                                       "redis": {"ok": True, "detail": None}}}


def test_not_ready_without_registry(stores, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FEATUREGUARD_HOME", str(tmp_path / "empty-home"))
    with client_for(stores.redis.url) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["redis"]["ok"] is True
        assert "registry" in ready.json()["detail"] and ready.json()["error"] == "not_ready"
        lookup = client.post("/v1/online-features", headers=auth(READER),
                             json={"features": ["weather_hourly:temp"], "entities": {"origin": ["JFK"]}})
        assert lookup.status_code == 503 and lookup.json()["error"] == "registry_unavailable"


def test_metrics_count_requests_rows_checks_pushes_and_materializations(stores) -> None:
    planes = plane_rows(10)
    planes.loc[2, "seats"] = 5_000
    with client_for(stores.redis.url) as client:
        before = samples(client.get("/metrics", headers=auth(CONTRACTS)).text)
        push = client.post("/v1/push/planes", content=records(planes),
                           headers={"Content-Type": "application/json", **auth(PLANES_WRITER)})
        assert push.status_code == 201
        for _ in range(3):
            client.post("/v1/online-features", headers=auth(READER),
                        json={"features": ["plane_attributes:seats"], "entities": {"tailnum": ["N10156", "N102UW"]}})
        client.post("/v1/online-features", json={}, headers=auth(READER))
        view = stores.store.get_feature_view("plane_attributes")
        stores.store.registry.apply_materialization(view, stores.store.project, datetime(2013, 1, 1, tzinfo=timezone.utc),
                                                    datetime(2013, 2, 1, tzinfo=timezone.utc))
        assert client.app.state.reader.refresh_if_changed()
        response = client.get("/metrics", headers=auth(CONTRACTS))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    after = samples(response.text)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("featureguard_http_request_duration_seconds_count", route="/v1/online-features") == 4
    assert delta("featureguard_http_request_duration_seconds_count", route="/v1/push/{source}") == 1
    assert delta("featureguard_http_requests_total", route="/v1/online-features", method="POST", status="200") == 3
    assert delta("featureguard_http_requests_total", route="/v1/online-features", method="POST", status="422") == 1
    assert delta("featureguard_rows_accepted_total", source="planes", path="push") == 9
    assert delta("featureguard_rows_quarantined_total", source="planes", check="seats:in_range(1, 900)") == 1
    assert delta("featureguard_batches_total", source="planes", path="push", status="partial") == 1
    assert delta("featureguard_online_rows_written_total", source="planes") == 9
    assert value(after, "featureguard_materializations", view="plane_attributes") == 1
    assert value(after, "featureguard_materialized_until_timestamp_seconds", view="plane_attributes") == \
        datetime(2013, 2, 1, tzinfo=timezone.utc).timestamp()
    assert not any(name.startswith("feast_") for name, _ in after)


def test_metrics_need_a_metrics_scope(client) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=auth(READER)).status_code == 403
    assert client.get("/metrics", headers=auth(ADMIN)).status_code == 200


def test_unknown_routes_and_methods_are_json(client) -> None:
    missing = client.get("/v2/nothing")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    wrong = client.get("/v1/online-features")
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"


def test_docs_pages_load_everything_from_the_service_itself(client) -> None:
    import re

    for page in ("/docs", "/redoc"):
        html = client.get(page)
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        assert "//" not in re.sub(r"<!--.*?-->", "", html.text, flags=re.S).replace("window.location.origin", ""), \
            f"{page} names an external host"
        assets = re.findall(r'(?:src|href)="([^"]+)"', html.text)
        assert any(a.endswith(".js") for a in assets), assets
        for asset in assets:
            assert asset.startswith("/") and not asset.startswith("//"), asset
            loaded = client.get(asset)
            assert loaded.status_code == 200 and len(loaded.content) > 1000, asset
    swagger = client.get("/docs").text
    assert '"validatorUrl": null' in swagger  # the UI never sends the schema to an outside validator
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")  # rendered by Swagger UI 5
