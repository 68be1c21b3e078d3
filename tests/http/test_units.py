"""Pure pieces of the service checked against the libraries they must agree with (Feast's JSON
values); plus auth and limits logic. Keys and framing are tested in tests/redis and tests/online."""

from __future__ import annotations

import asyncio
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from featureguard.http.auth import ApiKey, KeyConfigError, KeyRing, hash_key, load_keyring, parse_keys, presented_key
from featureguard.http.errors import ApiError
from featureguard.http.limits import count_rows, read_body
from featureguard.online.decode import Decoder

def test_decoder_renders_like_feast() -> None:
    from feast.feature_server_utils import _value_to_native
    from feast.protos.feast.types.Value_pb2 import Value
    from google.protobuf.timestamp_pb2 import Timestamp

    decoder = Decoder()
    for value in (Value(double_val=1.5), Value(double_val=float("nan")), Value(double_val=float("inf")),
                  Value(int64_val=-3), Value(string_val="JFK"), Value(bool_val=True), Value(bytes_val=b"\x00\xff"),
                  Value(unix_timestamp_val=1_700_000_000), Value()):
        raw = value.SerializeToString()
        assert decoder.value(raw) == _value_to_native(value)
        assert decoder.value(raw) == _value_to_native(value)  # memoized answer is the same
    stamp = Timestamp(seconds=1_356_998_400, nanos=5_000_000)
    assert decoder.stamp(stamp.SerializeToString()) == "2013-01-01T00:00:00.005Z"


# ---------------------------------------------------------------- auth

def _ring(open_reads: bool = False) -> KeyRing:
    keys = [ApiKey("a", hash_key("admin"), frozenset({"admin"})),
            ApiKey("w", hash_key("writer"), frozenset({"write:weather", "read:online"})),
            ApiKey("all", hash_key("all-writes"), frozenset({"write:*"}))]
    return KeyRing(keys, open_reads)


@pytest.mark.parametrize(("raw", "scope", "status"), [
    (None, "read:online", 401), ("nope", "read:online", 401), ("writer", "read:online", None),
    ("writer", "write:weather", None), ("writer", "write:planes", 403), ("writer", "read:metrics", 403),
    ("admin", "write:planes", None), ("all-writes", "write:planes", None), ("all-writes", "read:online", 403),
])
def test_scopes(raw, scope: str, status) -> None:
    ring = _ring()
    if status is None:
        assert ring.check(raw, scope) is not None
    else:
        with pytest.raises(ApiError) as caught:
            ring.check(raw, scope)
        assert caught.value.status == status and caught.value.field == "Authorization"


def test_open_reads_never_open_writes() -> None:
    ring = _ring(open_reads=True)
    assert ring.check(None, "read:online") is None and ring.check(None, "read:contracts") is None
    with pytest.raises(ApiError):
        ring.check(None, "write:weather")
    with pytest.raises(ApiError) as caught:
        KeyRing([], open_reads=True).check("anything", "write:weather")
    assert caught.value.status == 401


def test_key_files_hold_digests_only(tmp_path) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text(f"keys:\n  - name: p\n    sha256: {hash_key('k1')}\n    scopes: [write:weather]\n")
    ring = load_keyring(path, '[{"sha256": "sha256:%s", "scopes": ["admin"]}]' % hash_key("k2"), False)
    assert len(ring) == 2 and ring.lookup("k1").name == "p" and "admin" in ring.lookup("k2").scopes
    assert ring.lookup(hash_key("k1")) is None  # the digest itself is not a key
    for bad in ([{"sha256": "abc", "scopes": ["admin"]}], [{"sha256": hash_key("x"), "scopes": ["root"]}],
                [{"sha256": hash_key("x"), "scopes": []}], {"keys": "nope"}, ["x"]):
        with pytest.raises(KeyConfigError):
            parse_keys(bad)
    with pytest.raises(KeyConfigError):
        load_keyring(tmp_path / "missing.yaml", None, False)


def test_presented_key_forms() -> None:
    assert presented_key([(b"authorization", b"Bearer abc ")]) == "abc"
    assert presented_key([(b"authorization", b"bearer abc")]) == "abc"
    assert presented_key([(b"x-api-key", b"xyz")]) == "xyz"
    assert presented_key([(b"authorization", b"Basic abc")]) is None
    assert presented_key([]) is None


# ---------------------------------------------------------------- limits

def test_count_rows_per_format() -> None:
    import io

    import pandas as pd
    import pyarrow as pa

    frame = pd.DataFrame({"a": range(7), "b": ["x"] * 7})
    parquet, arrow = io.BytesIO(), io.BytesIO()
    frame.to_parquet(parquet)
    with pa.ipc.new_stream(arrow, pa.Schema.from_pandas(frame)) as writer:
        writer.write_table(pa.Table.from_pandas(frame))
    assert count_rows(parquet.getvalue(), "parquet") == 7
    assert count_rows(arrow.getvalue(), "arrow") == 7
    assert count_rows(frame.to_csv(index=False).encode(), "csv") == 7
    assert count_rows(frame.to_json(orient="records").encode(), "json") == 7
    assert count_rows(frame.to_json(orient="records", lines=True).encode(), "json") == 7
    assert count_rows(b"garbage", "parquet") is None


def test_read_body_stops_at_the_limit() -> None:
    chunks = [{"type": "http.request", "body": b"x" * 400, "more_body": True} for _ in range(10)]
    received = []

    async def receive():
        received.append(1)
        return chunks[len(received) - 1]

    with pytest.raises(ApiError) as caught:
        asyncio.run(read_body(receive, [], 1_000))
    assert caught.value.status == 413 and len(received) == 3  # stopped reading, did not buffer it all
    with pytest.raises(ApiError):
        asyncio.run(read_body(receive, [(b"content-length", b"5000")], 1_000))


def test_read_body_times_out_on_a_stalled_upload() -> None:
    async def receive_stalling():
        if not hasattr(receive_stalling, "sent"):
            receive_stalling.sent = True
            return {"type": "http.request", "body": b"{", "more_body": True}
        await asyncio.sleep(10)

    with pytest.raises(ApiError) as caught:
        asyncio.run(read_body(receive_stalling, [], 1_000, timeout=0.05))
    assert caught.value.status == 408 and caught.value.error == "body_timeout"


def test_clashing_feature_names_need_full_names() -> None:
    from datetime import timedelta

    from feast import Entity, FeatureView, Field, FileSource
    from feast.types import Float64, String
    from feast.value_type import ValueType

    from featureguard.online.plan import UnknownFeatureError, build_plan

    airport = Entity(name="airport", join_keys=["origin"], value_type=ValueType.STRING)
    source = FileSource(path="unused.parquet", timestamp_field="ts")
    views = [FeatureView(name=name, entities=[airport], ttl=timedelta(0), source=source,
                         schema=[Field(name="origin", dtype=String), Field(name="temp", dtype=Float64)])
             for name in ("a", "b")]
    with pytest.raises(UnknownFeatureError) as caught:
        build_plan("p", "x", [(v, ["temp"]) for v in views], full_names=False)
    assert caught.value.status == 422 and caught.value.field == "full_feature_names"
    plan = build_plan("p", "x", [(v, ["temp"]) for v in views], full_names=True)
    assert plan.feature_names == ("a__temp", "b__temp") and plan.join_key_types == {"origin": ValueType.STRING.value}
