"""A batch that decodes past the decoded-bytes limit is refused before it is decoded.

The crafted batches are a few hundred bytes on the wire and gigabytes once decoded; the reader
must refuse them from metadata (RSS stays flat), name the limit, and write nothing.
"""

from __future__ import annotations

import gc
import io

import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featureguard.errors import EXIT_OPERATIONAL, OperationalError
from featureguard.ingest.decoded import LIMIT_ENV, decoded_bytes_limit, ipc_messages
from featureguard.ingest.pipeline import ingest_bytes, validate_bytes
from featureguard.ingest.readers import BatchTooLargeError, UnreadableBatchError, read_bytes
from featureguard.settings import data_home

MB = 1 << 20


def _one_value_repeated(rows: int, size: int = 8 * MB) -> pa.DictionaryArray:
    """``rows`` references to one ``size``-byte string: tiny in memory, huge once expanded."""
    return pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()), pa.array(["x" * size]))


def crafted_parquet(rows: int = 160) -> bytes:
    """The reported attack: one dictionary page with an 8 MB string, referenced by every row.

    Without the Arrow schema, a reader decodes the column to plain strings (rows x 8 MB)."""
    buf = io.BytesIO()
    pq.write_table(pa.table({"origin": _one_value_repeated(rows)}), buf, compression="zstd", store_schema=False)
    return buf.getvalue()


def ipc_stream(table: pa.Table, compression: str | None = None, new=pa.ipc.new_stream) -> bytes:
    sink = pa.BufferOutputStream()
    with new(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression=compression)) as w:
        w.write_table(table)
    return sink.getvalue().to_pybytes()


def _rss() -> int:
    gc.collect()
    return psutil.Process().memory_info().rss


def test_crafted_parquet_is_refused_from_metadata_without_decoding():
    data = crafted_parquet()
    assert len(data) < 4096
    before = _rss()
    with pytest.raises(BatchTooLargeError) as caught:
        read_bytes(data, "parquet", "crafted.parquet")
    grown = _rss() - before
    assert grown < 200 * MB, f"RSS grew {grown / MB:.0f} MB while refusing"
    error = caught.value
    assert error.limit_name == LIMIT_ENV and error.limit == 1 << 30
    assert error.observed >= 160 * 8 * MB > error.limit
    assert isinstance(error, OperationalError) and error.exit_code == EXIT_OPERATIONAL
    assert "crafted.parquet" in str(error) and LIMIT_ENV in str(error) and "'origin'" in str(error)


def test_the_limit_comes_from_the_environment_or_the_caller(monkeypatch):
    small = crafted_parquet(rows=4)  # 32 MB decoded: under the 1 GiB default
    assert read_bytes(small, "parquet")["origin"].str.len().tolist() == [8 * MB] * 4
    monkeypatch.setenv(LIMIT_ENV, str(16 * MB))
    with pytest.raises(BatchTooLargeError, match="16,777,216 bytes"):
        read_bytes(small, "parquet")
    with decoded_bytes_limit(64 * MB):  # a caller's own limit (the HTTP service's) wins
        assert len(read_bytes(small, "parquet")) == 4
    with pytest.raises(BatchTooLargeError):
        read_bytes(small, "parquet", max_decoded_bytes=MB)
    monkeypatch.setenv(LIMIT_ENV, "lots")
    with pytest.raises(OperationalError, match=f"{LIMIT_ENV} must be a positive whole number"):
        read_bytes(small, "parquet")


def test_fixed_width_columns_are_bounded_by_row_count_whatever_the_encoding():
    buf = io.BytesIO()
    pq.write_table(pa.table({"n": pa.array([0] * 2_000_000, pa.int64())}), buf)  # RLE: a few KB
    assert len(buf.getvalue()) < 64 * 1024
    with pytest.raises(BatchTooLargeError, match="column metadata"):
        read_bytes(buf.getvalue(), "parquet", max_decoded_bytes=8 * MB)
    assert len(read_bytes(buf.getvalue(), "parquet", max_decoded_bytes=32 * MB)) == 2_000_000


def test_prefix_shared_strings_are_measured_in_small_batches():
    prefix = "p" * MB
    values = pa.array([f"{prefix}{i}" for i in range(40)])
    buf = io.BytesIO()
    pq.write_table(pa.table({"s": values}), buf, use_dictionary=False,
                   column_encoding={"s": "DELTA_BYTE_ARRAY"}, compression="zstd")
    assert len(buf.getvalue()) < 64 * 1024
    with pytest.raises(BatchTooLargeError):
        read_bytes(buf.getvalue(), "parquet", max_decoded_bytes=16 * MB)
    frame = read_bytes(buf.getvalue(), "parquet", max_decoded_bytes=64 * MB)
    assert frame["s"].tolist() == values.to_pylist()


def test_arrow_dictionary_columns_count_expanded():
    data = ipc_stream(pa.table({"origin": _one_value_repeated(160)}))
    before = _rss()
    with pytest.raises(BatchTooLargeError, match="'origin'"):
        read_bytes(data, "arrow", "crafted.arrow")
    assert _rss() - before < 200 * MB


@pytest.mark.parametrize("new", [pa.ipc.new_stream, pa.ipc.new_file], ids=["stream", "file"])
@pytest.mark.parametrize("codec", ["zstd", "lz4"])
def test_compressed_arrow_is_refused_before_decompression(new, codec):
    table = pa.table({"s": pa.array(["z" * (16 * MB)] * 4)})
    data = ipc_stream(table, codec, new)
    del table
    assert len(data) < 512 * 1024
    assert sum(m.decoded for m in ipc_messages(data)) >= 64 * MB
    before = _rss()
    with pytest.raises(BatchTooLargeError, match="decompressed buffers"):
        read_bytes(data, "arrow", max_decoded_bytes=16 * MB)
    assert _rss() - before < 32 * MB
    assert read_bytes(data, "arrow", max_decoded_bytes=256 * MB)["s"].str.len().tolist() == [16 * MB] * 4


@pytest.mark.parametrize("fmt,data", [
    ("csv", b"origin,temp\n" + b"EWR,1.0\n" * 20_000),
    ("json", b'{"origin": "EWR"}\n' * 20_000),
])
def test_text_batches_are_bounded_by_their_size(fmt, data):
    with pytest.raises(BatchTooLargeError):
        read_bytes(data, fmt, max_decoded_bytes=64 * 1024)
    assert len(read_bytes(data, fmt, max_decoded_bytes=len(data))) == 20_000


def test_pipeline_raises_and_stores_nothing(fg_home):
    data = crafted_parquet()
    with pytest.raises(BatchTooLargeError):
        validate_bytes("weather", data, "parquet", "crafted.parquet")
    with pytest.raises(BatchTooLargeError):
        ingest_bytes("weather", data, "parquet", "crafted.parquet")
    stored = [p for p in data_home().rglob("*") if p.is_file()]
    assert stored == [], stored  # no receipt: a retry under a higher limit is processed normally


def test_a_corrupt_ipc_body_is_unreadable_not_a_crash():
    data = bytearray(ipc_stream(pa.table({"s": ["a" * 100] * 10}), "zstd"))
    data[-40:-20] = b"\xff" * 20
    with pytest.raises(UnreadableBatchError):
        read_bytes(bytes(data), "arrow")


def test_clean_batches_still_read_the_same(weather_rows):
    frame = weather_rows.assign(origin=pd.Categorical(weather_rows["origin"]))
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    back = read_bytes(buf.getvalue(), "parquet")
    pd.testing.assert_frame_equal(back, pd.read_parquet(io.BytesIO(buf.getvalue())))
