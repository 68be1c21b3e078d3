"""Feast's Redis layout, differential against Feast's own helpers: entity keys (one entity at a
time for the reader, whole Arrow columns for the writer, both equal to ``serialize_entity_key``
v3 + project), mmh3 hash fields and the ``_ts:<view>`` field. The end-to-end differential tests
(tests/online/test_differential.py, tests/materialize/test_differential.py) read and write real
bytes next to stock Feast's."""

from __future__ import annotations

from datetime import datetime, timezone

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from featureguard.redis.layout import (INT32, INT64, STRING, UNIX_TIMESTAMP, entity_keys, field_name, key_encoder,
                                       key_prefix, ts_field)

# (value type, hypothesis values, proto field, Arrow type) per key kind
KINDS = {
    STRING: (st.text(max_size=12), "string_val", pa.string()),
    INT64: (st.integers(-(2**63), 2**63 - 1), "int64_val", pa.int64()),
    INT32: (st.integers(-(2**31), 2**31 - 1), "int32_val", pa.int32()),
    UNIX_TIMESTAMP: (st.integers(-(2**40), 2**40), "unix_timestamp_val", pa.timestamp("s", tz="UTC")),
}
names = st.from_regex(r"[a-z_]{1,10}", fullmatch=True)


def _feast_key(project: str, join_keys: list[tuple[str, int]], values: list) -> bytes:
    from feast.infra.online_stores.helpers import _redis_key
    from feast.protos.feast.types.EntityKey_pb2 import EntityKey
    from feast.protos.feast.types.Value_pb2 import Value

    protos = [Value(**{KINDS[vt][1]: v}) for (_, vt), v in zip(join_keys, values)]
    return _redis_key(project, EntityKey(join_keys=[n for n, _ in join_keys], entity_values=protos), 3)


@st.composite
def keyed_rows(draw):
    """Join keys declared in any order (Feast sorts them by name), their types, and rows."""
    join_keys = draw(st.lists(st.tuples(names, st.sampled_from(sorted(KINDS))), min_size=1, max_size=4,
                              unique_by=lambda t: t[0]))
    rows = draw(st.lists(st.tuples(*(KINDS[vt][0] for _, vt in join_keys)), min_size=1, max_size=12))
    return join_keys, rows


@settings(max_examples=200, deadline=None)
@given(keyed_rows(), st.from_regex(r"[a-z]{1,10}", fullmatch=True))
def test_keys_match_feast_one_at_a_time_and_per_column(case, project: str) -> None:
    join_keys, rows = case
    expected = [_feast_key(project, join_keys, list(row)) for row in rows]
    ordered = sorted(range(len(join_keys)), key=lambda i: join_keys[i][0])
    prefix, types = key_prefix(n for n, _ in join_keys), tuple(join_keys[i][1] for i in ordered)
    encode = key_encoder(prefix, types, project.encode())
    assert [encode(tuple(row[i] for i in ordered)) for row in rows] == expected
    batch = pa.record_batch({name: pa.array([row[i] for row in rows], KINDS[vt][2])
                             for i, (name, vt) in enumerate(join_keys)})
    assert entity_keys(project, join_keys, batch).to_pylist() == expected


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_timestamp_key_columns_of_any_unit_are_whole_seconds(unit: str) -> None:
    """Feast keys a timestamp by its whole seconds (floored, also before the epoch)."""
    moments = [datetime(2013, 1, 1, 5, 30, 1, 999_000, tzinfo=timezone.utc), datetime(1969, 12, 31, 23, 59, 59, 500_000,
                                                                                        tzinfo=timezone.utc)]
    batch = pa.record_batch({"at": pa.array(moments, pa.timestamp(unit, tz="UTC"))})
    seconds = [1_357_018_201, -1]  # 05:30:01 and one second before the epoch
    assert entity_keys("p", [("at", UNIX_TIMESTAMP)], batch).to_pylist() == [
        _feast_key("p", [("at", UNIX_TIMESTAMP)], [s]) for s in seconds]


def test_key_values_of_the_wrong_type_are_refused() -> None:
    prefix = key_prefix(["id"])
    for key_type, bad in ((INT32, 2**31), (INT32, "7"), (INT64, 7.0), (INT64, True), (STRING, 7), (STRING, None)):
        with pytest.raises(TypeError):
            key_encoder(prefix, (key_type,), b"p")((bad,))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30), st.text(max_size=30))
def test_hash_fields_and_the_timestamp_field_are_feasts(view: str, feature: str) -> None:
    from feast.infra.online_stores.helpers import _mmh3

    assert field_name(view, feature) == _mmh3(f"{view}:{feature}")
    assert ts_field(view) == f"_ts:{view}".encode()
