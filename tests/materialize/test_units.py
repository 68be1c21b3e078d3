"""Pure pieces: vectorised Value/Timestamp encoding equals Feast's per-row protobufs, RESP
framing parses back to the intended commands, newest-row selection. Keys and fields: tests/redis."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import hiredis
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from featureguard.materialize import protowire as pw
from featureguard.materialize import resp
from featureguard.materialize.source import latest_per_key

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _feast(column: pa.Array, value_type: int) -> list[bytes]:
    from feast.type_map import python_values_to_proto_values
    from feast.value_type import ValueType

    values = python_values_to_proto_values(column.to_numpy(zero_copy_only=False), ValueType(value_type))
    return [v.SerializeToString() for v in values]


def _ours(column: pa.Array, value_type: int) -> list[bytes]:
    encoded = pw.encode_values(column, value_type)
    assert encoded is not None, "a vectorised encoder must exist for this type"
    return encoded.to_pylist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(width=32)), min_size=1, max_size=40),
       st.lists(st.one_of(st.none(), st.floats()), min_size=1, max_size=40),
       st.lists(st.integers(-2**31, 2**31 - 1), min_size=1, max_size=40),
       st.lists(st.integers(-2**63, 2**63 - 1), min_size=1, max_size=40),
       st.lists(st.one_of(st.none(), st.booleans()), min_size=1, max_size=40),
       st.lists(st.one_of(st.none(), st.text()), min_size=1, max_size=40),
       st.lists(st.one_of(st.none(), st.binary()), min_size=1, max_size=40))
def test_values_match_feast(f32, f64, i32, i64, flags, texts, blobs):
    cases = [(pa.array(f32, pa.float32()), pw.FLOAT), (pa.array(f64, pa.float64()), pw.DOUBLE),
             (pa.array(i32, pa.int32()), pw.INT32), (pa.array(i64, pa.int64()), pw.INT64),
             (pa.array(flags, pa.bool_()), pw.BOOL), (pa.array(texts, pa.string()), pw.STRING),
             (pa.array(blobs, pa.binary()), pw.BYTES)]
    for column, value_type in cases:
        if value_type == pw.BYTES and not any(blobs):
            continue  # Feast's quirk, see test_empty_bytes_stay_values
        assert _ours(column, value_type) == _feast(column, value_type), (value_type, column)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-2**40, 2**40)), min_size=1, max_size=40).filter(
    lambda xs: any(x is not None for x in xs)))
def test_timestamps_match_feast(micros):
    column = pa.array(micros, pa.timestamp("us", tz="UTC"))
    assert _ours(column, pw.UNIX_TIMESTAMP) == _feast(column, pw.UNIX_TIMESTAMP)


def test_small_ints_and_nulls_in_wider_columns_match_feast():
    """Integer columns with nulls (Feast converts them through float64) while values are exact."""
    for column, value_type in ((pa.array([1, None, -3, 2**52], pa.int64()), pw.INT64),
                               (pa.array([None, 0, -2**31], pa.int32()), pw.INT32),
                               (pa.array([3, None], pa.int64()), pw.DOUBLE)):
        assert _ours(column, value_type) == _feast(column, value_type)


def test_empty_bytes_stay_values():
    """Feast infers "no data" when every bytes value of its batch is empty and then writes them
    as null; ours always writes b"" as a bytes value (the same as Feast does when any other
    value in the batch is non-empty), so the result does not depend on batch boundaries."""
    assert _feast(pa.array([b"", None]), pw.BYTES) == [b"", b""]
    assert _ours(pa.array([b"", None]), pw.BYTES) == [b"\n\x00", b""]
    assert _ours(pa.array([b"", b"x"]), pw.BYTES) == _feast(pa.array([b"", b"x"]), pw.BYTES)


def test_types_without_encoder_go_through_feast():
    column = pa.array([b"x", None], pa.binary())
    assert pw.encode_values(column, pw.STRING) is None
    assert pw.encode_values(pa.array([None, None], pa.timestamp("us", tz="UTC")), pw.UNIX_TIMESTAMP) is None
    assert pw.feast_encoded(pa.array([1.0, None]), pw.DOUBLE).to_pylist() == _feast(pa.array([1.0, None]), pw.DOUBLE)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(-2**48, 2**48), min_size=1, max_size=50))
def test_timestamp_protos_match_feast_and_decode(micros):
    from google.protobuf.timestamp_pb2 import Timestamp

    expected = []
    for m in micros:
        proto = Timestamp()
        proto.FromDatetime(EPOCH + timedelta(microseconds=m))
        expected.append(proto.SerializeToString())
    ours = pw.timestamp_protos(np.array(micros, dtype=np.int64))
    assert ours.to_pylist() == expected
    nanos, present = pw.decode_timestamps(ours)
    assert nanos.tolist() == [m * 1000 for m in micros]
    assert present.tolist() == [m != 0 for m in micros]  # the epoch itself serializes to b""


def test_decode_reads_either_field_order_and_nulls():
    from google.protobuf.timestamp_pb2 import Timestamp

    reordered = b"\x10\x05" + Timestamp(seconds=7).SerializeToString()  # nanos first
    nanos, present = pw.decode_timestamps(pa.array([reordered, None, b""], pa.binary()))
    assert nanos.tolist() == [7_000_000_005, 0, 0] and present.tolist() == [True, False, False]


def _parse(blob: bytes) -> list:
    reader = hiredis.Reader()
    reader.feed(blob)
    out = []
    while (reply := reader.gets()) is not False:
        out.append(reply)
    return out


@pytest.mark.parametrize("ttl", [None, 90])
def test_hset_rows_frame_the_intended_commands(ttl):
    keys = pa.array([b"k1", b"key\r\n2"])
    values = [pa.array([b"", b"\x00\xff"]), pa.array([b"v" * 300, b"x"]), pa.array([b"w" * 5000, None])]
    rows = resp.hset_rows(keys, [b"f1", b"_ts:v", b"long"], values, ttl)  # long: past the header table
    commands = _parse(bytes(resp.contiguous(rows)))
    expected = []
    for i, key in enumerate(keys.to_pylist()):
        expected.append([b"HSET", key, b"f1", values[0][i].as_py(), b"_ts:v", values[1][i].as_py(),
                         b"long", values[2][i].as_py() or b""])
        if ttl:
            expected.append([b"EXPIRE", key, b"90"])
    assert commands == expected
    assert resp.replies_per_row(ttl) == (2 if ttl else 1)
    assert _parse(bytes(resp.contiguous(resp.hget_rows(keys, b"_ts:v")))) == [[b"HGET", k, b"_ts:v"] for k in keys.to_pylist()]
    assert bytes(resp.contiguous(rows.slice(1))) == bytes(resp.contiguous(rows))[len(rows[0].as_py()):]


def test_latest_per_key_keeps_newest_then_created_then_first():
    ts = pa.array([3, 5, 5, 1, 5, 5], pa.timestamp("us", tz="UTC"))
    table = pa.table({"k": ["a", "a", "b", "b", "b", "c"], "ts": ts,
                      "created": pa.array([0, 0, 1, 9, 2, 0], pa.timestamp("us", tz="UTC")),
                      "v": [1, 2, 3, 4, 5, 6]})
    latest = latest_per_key(table, ["k"], "ts", "created").to_pydict()
    assert sorted(zip(latest["k"], latest["v"])) == [("a", 2), ("b", 5), ("c", 6)]
    tie = pa.table({"k": ["a", "a"], "ts": pa.array([1, 1], pa.timestamp("us", tz="UTC")), "v": [1, 2]})
    assert latest_per_key(tie, ["k"], "ts", None).column("v").to_pylist() == [1]
