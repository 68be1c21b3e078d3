"""Limits on what a batch may cost before the gate reads it: decoded bytes (a small Parquet or
Arrow body can expand to gigabytes) and rows per request (CSV records, not lines)."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featureguard.http.limits import count_csv_rows, count_rows
from tests.http.conftest import ADMIN, auth, client_for, plane_rows, store_snapshot, weather_rows

PARQUET = "application/vnd.apache.parquet"
ARROW = "application/vnd.apache.arrow.stream"
LIMIT = 4_000_000


def _expanding_parquet() -> bytes:
    """~100 KB on the wire, ~20 MB once decoded: one 200 KB string, dictionary-encoded, in 100 rows."""
    frame = weather_rows(34).head(100).copy()
    frame["origin"] = "J" * 200_000
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer, use_dictionary=True,
                   compression="zstd")
    return buffer.getvalue()


def _expanding_arrow() -> bytes:
    """A zstd-compressed IPC stream: a few KB that decompress to ~20 MB."""
    table = pa.table({"origin": pa.array(["x" * 200_000] * 100)})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


@pytest.mark.parametrize("route", ["validate", "ingest", "push"])
@pytest.mark.parametrize(("make", "content_type"), [(_expanding_parquet, PARQUET), (_expanding_arrow, ARROW)])
def test_a_batch_that_decodes_past_the_limit_is_413_naming_it(stores, route: str, make, content_type: str) -> None:
    data = make()
    assert len(data) < 200_000  # the body limit (16 MB) cannot see it
    before = store_snapshot(stores)
    with client_for(stores.redis.url, max_decoded_bytes=LIMIT) as client:
        response = client.post(f"/v1/{route}/weather", content=data,
                               headers={"Content-Type": content_type, **auth(ADMIN)})
    assert response.status_code == 413, response.text
    body = response.json()
    assert body["error"] == "batch_too_large" and body["field"] == "body"
    assert body["limit_bytes"] == LIMIT and body["limit_name"] == "FEATUREGUARD_HTTP_MAX_DECODED_BYTES"
    assert "FEATUREGUARD_HTTP_MAX_DECODED_BYTES" in body["detail"] and f"{LIMIT:,}" in body["detail"]
    assert store_snapshot(stores) == before
    assert not (stores.home / "receipts").exists() and not (stores.home / "quarantine").exists()


def test_arrow_rows_are_counted_without_decompressing() -> None:
    data = bytearray(_expanding_arrow())
    frame = data.rfind(b"\x28\xb5\x2f\xfd")  # the last zstd frame: garble it, keep the metadata
    data[frame + 4:frame + 40] = b"\xff" * 36
    with pytest.raises(OSError, match="ZSTD"):  # decompressing it would fail ...
        pa.ipc.open_stream(pa.BufferReader(bytes(data))).read_all()
    assert count_rows(bytes(data), "arrow") == 100  # ... counting never decompresses
    table = pa.table({"a": list(range(7))})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:  # the IPC file format too
        writer.write_table(table)
        writer.write_table(table)
    assert count_rows(sink.getvalue().to_pybytes(), "arrow") == 14


def _planes_csv(rows: int, newlines_per_value: int) -> bytes:
    planes = plane_rows(rows)
    planes["manufacturer"] = planes["manufacturer"].str.slice(0, 20) + "\n" * newlines_per_value + "INC"
    return planes.to_csv(index=False).encode()


def test_csv_rows_are_records_not_lines() -> None:
    import pandas as pd

    for data in (_planes_csv(4, 3), _planes_csv(3, 0), b'a,b\r\n"x\r\ny",1\r\n\r\n"p""q",2\r\n', b"a,b\n", b"a,b"):
        expected = len(pd.read_csv(io.BytesIO(data), keep_default_na=False, na_values=[""]))
        assert count_csv_rows(data) == count_rows(data, "csv") == expected, data


def test_push_of_csv_with_quoted_newlines_under_the_limit_is_accepted(stores) -> None:
    data = _planes_csv(4, 3)  # 4 rows on 17 lines
    assert data.count(b"\n") > 5
    with client_for(stores.redis.url, max_push_rows=5) as client:
        response = client.post("/v1/push/planes", content=data, headers={"Content-Type": "text/csv", **auth(ADMIN)})
        assert response.status_code == 201, response.text
        assert response.json()["accepted"] == 4 and response.json()["online_written"] == 4
        over = client.post("/v1/push/planes", content=_planes_csv(6, 3),
                           headers={"Content-Type": "text/csv", **auth(ADMIN)})
    assert over.status_code == 413 and over.json()["rows"] == 6 and over.json()["limit_rows"] == 5
