"""Schemathesis fuzzes every operation of the app's own OpenAPI schema, real Redis behind it:
no answer may be a 5xx, and every error must be the JSON ``{error, detail, field}`` body."""

from __future__ import annotations

import orjson
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.http.conftest import ADMIN, auth, client_for

EXAMPLES_PER_OPERATION = 25


def test_no_server_errors_and_json_errors(stores) -> None:
    """Every operation, fuzzed with and without an admin key (bounded, derandomized)."""
    from featureguard.http.app import create_app
    from featureguard.http.settings import HttpSettings
    from tests.http.conftest import KEYS_JSON

    app = create_app(HttpSettings(redis_url=stores.redis.url, api_keys_json=KEYS_JSON, registry_check_interval=0,
                                  max_push_rows=50, max_rows=500))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 9
    seen: dict[str, set[int]] = {}

    for operation in operations:
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), derandomize=True)
        @given(case=operation.as_strategy())
        def fuzz(case) -> None:
            for headers in (auth(ADMIN), {}):
                response = case.call(headers=headers)
                label = f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
                assert response.status_code < 500, label
                seen.setdefault(f"{case.method} {operation.path}", set()).add(response.status_code)
                if response.status_code >= 400:
                    body = orjson.loads(response.content)
                    assert isinstance(body["error"], str) and isinstance(body["detail"], str), label
                    assert "field" in body and "Traceback" not in response.text, label

        fuzz()
    assert len(seen) == 9
    assert 200 in seen["GET /v1/contracts"] and 200 in seen["GET /healthz"]
    assert {401, 422} <= seen["POST /v1/online-features"]  # past auth, into request checks
    assert 200 in seen["POST /v1/validate/{source}"]  # real sources: the contract gate ran
    assert 422 in seen["POST /v1/push/{source}"] and 422 in seen["POST /v1/ingest/{source}"]


def test_schema_documents_every_route(stores) -> None:
    with client_for(stores.redis.url) as client:
        spec = client.get("/openapi.json").json()
    assert set(spec["paths"]) == {
        "/v1/online-features", "/v1/validate/{source}", "/v1/ingest/{source}", "/v1/push/{source}",
        "/v1/contracts", "/v1/contracts/{source}", "/healthz", "/readyz", "/metrics"}
    online = spec["paths"]["/v1/online-features"]["post"]
    assert online["requestBody"]["content"]["application/json"]["schema"]["required"] == ["entities"]
    assert {"401", "403", "413", "422", "503"} <= set(online["responses"])
    assert "text/csv" in spec["paths"]["/v1/push/{source}"]["post"]["requestBody"]["content"]
