"""Pure pieces of the reader checked against the libraries they must agree with: redis-py's
command packing (the pre-framed HMGETs), Feast's values; and the status rules, TTL boundary
included. Keys, fields, targets and slots are tests/redis'."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from featureguard.online.decode import NativeDecoder, decode_columns
from featureguard.online.plan import ReadPlan, lookup
from featureguard.online.view_read import view_read
from featureguard.redis.layout import INT64, STRING


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=8), st.integers(-(2**63), 2**63 - 1)), min_size=1, max_size=20))
def test_keyed_lookup_sends_the_same_bytes_as_the_blob(rows) -> None:
    """Cluster routing needs one command per key; the bytes must equal the single-node blob."""
    single = view_read("p", "one", {"origin": STRING}, ["a", "b"])
    pair = view_read("p", "two", {"origin": STRING, "id": INT64}, ["c"])
    plan = ReadPlan("x", (single, pair), ("a", "b", "c"), {"origin": STRING, "id": INT64})
    entities = {"origin": [r[0] for r in rows], "id": [r[1] for r in rows]}
    blob, keyed = lookup(plan, entities), lookup(plan, entities, keyed=True)
    assert b"".join(keyed.commands) == blob.packed and keyed.count == blob.count == len(keyed.keys)
    assert keyed.rows == blob.rows
    assert keyed.keys[0] == single.key((rows[0][0],))


def test_native_values_are_feasts() -> None:
    from feast.protos.feast.types.Value_pb2 import Value
    from feast.type_map import feast_value_type_to_python_type

    decoder = NativeDecoder()
    for value in (Value(double_val=1.5), Value(double_val=float("inf")), Value(float_val=0.1), Value(int32_val=-3),
                  Value(int64_val=2**62), Value(string_val="ÆØÅ"), Value(bool_val=False), Value(bytes_val=b"\x00\xff"),
                  Value(unix_timestamp_val=1_700_000_000), Value(unix_timestamp_val=-1), Value()):
        raw = value.SerializeToString()
        for _ in range(2):  # the memoized answer is the same
            got, want = decoder.values[raw], feast_value_type_to_python_type(value)
            assert type(got) is type(want) and got == want
    nan = decoder.values[Value(double_val=float("nan")).SerializeToString()]
    assert nan != nan


def _stamp(at: datetime) -> bytes:
    from google.protobuf.timestamp_pb2 import Timestamp

    ts = Timestamp()
    ts.FromDatetime(at)
    return ts.SerializeToString()


def test_statuses_and_the_ttl_boundary() -> None:
    from feast.protos.feast.types.Value_pb2 import Value

    view = view_read("p", "v", {"id": INT64}, ["a", "b"], ttl_seconds=3600)
    plan = ReadPlan("v", (view,), ("a", "b"), {"id": INT64})
    now = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)
    one = Value(int64_val=1).SerializeToString()
    at_limit, past_limit = _stamp(now - timedelta(seconds=3600)), _stamp(now - timedelta(seconds=3600, microseconds=1))
    replies = [[one, b"", at_limit], [one, None, past_limit], [None, None, None], [None, one, _stamp(now)]]
    work = lookup(plan, {"id": [1, 2, 3, 4, 1]})
    columns = decode_columns(plan, work, replies, NativeDecoder(), now.timestamp())
    assert columns.statuses[0] == ["PRESENT", "OUTSIDE_MAX_AGE", "NOT_FOUND", "NOT_FOUND", "PRESENT"]
    assert columns.statuses[1] == ["NULL_VALUE", "OUTSIDE_MAX_AGE", "NOT_FOUND", "PRESENT", "NULL_VALUE"]
    assert columns.values == [[1, 1, None, None, 1], [None, None, None, 1, None]]  # stale values still returned
    assert [s and s[0] for s in columns.stamps[0]] == [now - timedelta(hours=1), now - timedelta(seconds=3600, microseconds=1),
                                                       None, now, now - timedelta(hours=1)]
    no_ttl = view_read("p", "v", {"id": INT64}, ["a", "b"])
    columns = decode_columns(ReadPlan("v", (no_ttl,), ("a", "b"), {}), lookup(plan, {"id": [2]}), [replies[1]],
                             NativeDecoder(), now.timestamp() + 10**9)
    assert columns.statuses == [["PRESENT"], ["NOT_FOUND"]]  # a TTL of 0 never expires; a field absent from the row


def test_http_json_can_report_stale_rows() -> None:
    from feast.protos.feast.types.Value_pb2 import Value

    from featureguard.online.decode import Decoder, assemble

    view = view_read("p", "v", {"id": INT64}, ["a"], ttl_seconds=60)
    plan = ReadPlan("v", (view,), ("a",), {"id": INT64})
    now = datetime(2024, 5, 1, tzinfo=timezone.utc)
    replies = [[Value(double_val=2.5).SerializeToString(), _stamp(now - timedelta(seconds=61))]]
    work = lookup(plan, {"id": [7]})
    for when, status in ((None, "PRESENT"), (now.timestamp(), "OUTSIDE_MAX_AGE")):
        payload = assemble(plan, {"id": [7]}, 1, work, replies, Decoder(), when)
        assert payload["results"][1]["statuses"] == (status,) and payload["results"][1]["values"] == (2.5,)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64), st.lists(st.from_regex(r"[a-z]{1,10}", fullmatch=True), min_size=1, max_size=8))
def test_hmget_packing_matches_redis_py(key: bytes, features: list[str]) -> None:
    from redis.connection import Connection

    view = view_read("p", "view", {"k": STRING}, features)
    expected = b"".join(Connection().pack_command("HMGET", key, *view.fields))
    assert view.hmget(key) == expected
