"""Pure pieces of the reader checked against the libraries they must agree with: Feast's hash
fields, key encoding and connection strings, Redis Cluster slots (redis-py), Feast's values;
and the status rules, TTL boundary included."""

from __future__ import annotations

import struct
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from featureguard.online.cluster import ClusterRoutingError, SlotMap, redirect_of
from featureguard.online.decode import NativeDecoder, decode_columns
from featureguard.online.keys import INT64, STRING, UNIX_TIMESTAMP, _mmh3, view_read
from featureguard.online.plan import ReadPlan, lookup
from featureguard.online.target import RedisTarget, parse_connection_string


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_hash_fields_match_feast(text: str) -> None:
    from feast.infra.online_stores.helpers import _mmh3 as feast_mmh3

    assert _mmh3(text) == feast_mmh3(text)


def test_timestamp_keys_match_feast() -> None:
    from feast.infra.online_stores.helpers import _redis_key
    from feast.protos.feast.types.EntityKey_pb2 import EntityKey
    from feast.protos.feast.types.Value_pb2 import Value

    view = view_read("p", "v", {"at": UNIX_TIMESTAMP, "id": INT64}, ["f"])
    for at, ident in ((0, 1), (1_700_000_000, -5), (-(2**40), 2**62)):
        feast = _redis_key("p", EntityKey(join_keys=["id", "at"], entity_values=[
            Value(int64_val=ident), Value(unix_timestamp_val=at)]), 3)
        assert view.key((at, ident)) == feast


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


@pytest.mark.parametrize("text", [
    "localhost:6379", "10.0.0.1:7000,10.0.0.2:7001,10.0.0.3:7002,skip_full_coverage_check=true",
    "redis:6379,db=2,password=s3cret,ssl=true", "h:1,password=123,username=bob", "h:1,db=0",
])
def test_connection_strings_parse_as_feast_parses_them(text: str) -> None:
    from feast.infra.online_stores.redis import RedisOnlineStore

    feast_nodes, feast_params = RedisOnlineStore._parse_connection_string(text)
    nodes, params = parse_connection_string(text)
    assert nodes == [(n["host"], int(n["port"])) for n in feast_nodes] and params == feast_params


def test_targets_from_feast_config_and_urls() -> None:
    target = RedisTarget.from_feast({"type": "redis", "redis_type": "redis_cluster",
                                     "connection_string": "127.0.0.1:7000,127.0.0.1:7001,password=pw"})
    assert target.cluster and target.nodes == (("127.0.0.1", 7000), ("127.0.0.1", 7001))
    assert target.setup() == [b"*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n"]  # no SELECT on a cluster
    single = RedisTarget.from_feast({"type": "redis", "connection_string": "h:1,db=3,ssl=true"})
    assert not single.cluster and single.db == 3 and single.ssl and single.setup() == [b"*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"]
    assert RedisTarget.from_url("rediss://u:p%40ss@h:9/4") == RedisTarget((("h", 9),), False, 4, "u", "p@ss", True)
    with pytest.raises(ValueError, match="sentinel"):
        RedisTarget.from_feast({"type": "redis", "redis_type": "redis_sentinel", "connection_string": "h:1"})
    with pytest.raises(ValueError, match="Redis only"):
        RedisTarget.from_feast({"type": "sqlite"})


def test_slot_map_routes_keys_like_redis_py() -> None:
    from redis.crc import key_slot

    reply = [[0, 5460, [b"127.0.0.1", 7000, b"id0"]], [5461, 10922, [b"", 7001, b"id1"], [b"127.0.0.1", 7004, b"r"]],
             [10923, 16383, [b"127.0.0.1", 7002, b"id2"]]]
    slots = SlotMap.from_reply(reply, "10.1.1.1")
    assert slots.nodes == [("127.0.0.1", 7000), ("10.1.1.1", 7001), ("127.0.0.1", 7002)]  # "" = the node asked
    keys = [b"plain", b"a{tag}b", b"x{tag}y", b"{}", bytes(range(40)), b"\x01\x00\x00\x00{"]
    groups = slots.route(keys)
    assert sorted(p for ps in groups.values() for p in ps) == list(range(len(keys)))
    for node, positions in groups.items():
        for p in positions:
            slot = key_slot(keys[p])
            assert {0: slot <= 5460, 1: 5461 <= slot <= 10922, 2: slot >= 10923}[node]
    assert any(1 in ps and 2 in ps for ps in groups.values())  # one hash tag, one slot
    with pytest.raises(ClusterRoutingError, match="not served"):
        SlotMap.from_reply([[0, 100, [b"h", 1, b"i"]]], "h").route([b"plain"])


def test_redirects_are_parsed() -> None:
    moved = redirect_of("MOVED 3999 127.0.0.1:6381")
    assert moved is not None and not moved.ask and moved.slot == 3999 and moved.node == ("127.0.0.1", 6381)
    ask = redirect_of("ASK 12 :7002")
    assert ask is not None and ask.ask and ask.node == ("", 7002)
    assert redirect_of("WRONGTYPE Operation against a key holding the wrong kind of value") is None


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


def test_int64_key_header_is_little_endian() -> None:
    view = view_read("proj", "v", {"id": INT64}, ["f"])
    assert view.key((5,)) == struct.pack("<I", 1) + struct.pack("<II", STRING, 2) + b"id" + \
        struct.pack("<II", INT64, 8) + struct.pack("<q", 5) + b"proj"
