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
    from services.ingest.storage import read_offline

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
