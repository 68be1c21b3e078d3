"""Feast's Redis layout: entity keys, feature hash fields and the ``_ts:<view>`` field.

One hash per entity key: ``serialize_entity_key(EntityKey, v3) + project``
(feast/infra/key_encoding_utils.py, online_stores/helpers.py ``_redis_key``): ``<I n>``, then
per join key in name order ``<I STRING><I len><name>``, then per value ``<I value type><I len>
<bytes>`` (ints little-endian, strings UTF-8). Per feature the field ``mmh3("<view>:<feature>")``
(unsigned, 4 little-endian bytes) holds a serialized ``Value``; ``_ts:<view>`` holds the event
time as a ``google.protobuf.Timestamp``. ``view`` is the stored (possibly versioned) view name.

Keys come in two shapes over the same bytes: one entity at a time for the online reader
(``key_encoder``, ``KEY_ENCODERS``) and whole Arrow columns for the bulk writer (``entity_keys``).
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any, Callable, Iterable

import mmh3

if TYPE_CHECKING:  # numpy/pyarrow load with the writer's first batch, not with the reader
    import numpy as np
    import pyarrow as pa

#: Feast ``ValueType`` numbers (feast/protos/feast/types/Value.proto) of key values handled here
BYTES, STRING, INT32, INT64, UNIX_TIMESTAMP = 1, 2, 3, 4, 8

value_header = struct.Struct("<II").pack  # (value type, byte length) before each key value
_u32 = struct.Struct("<I").pack


def field_name(view: str, feature: str) -> bytes:
    """Feast's ``_mmh3``: murmur3_32 of ``view:feature``, unsigned, 4 bytes little-endian."""
    return _u32(mmh3.hash(f"{view}:{feature}", signed=False))


def ts_field(view: str) -> bytes:
    """The field holding a view's event time."""
    return f"_ts:{view}".encode()


def key_prefix(join_keys: Iterable[str]) -> bytes:
    """The bytes every key of these join keys starts with (names sorted, as Feast sorts them)."""
    names = sorted(join_keys)
    out = [_u32(len(names))]
    for name in names:
        raw = name.encode("utf-8")
        out.append(value_header(STRING, len(raw)) + raw)
    return b"".join(out)


# -- one entity at a time (the online reader) --------------------------------------------------

def _encode_str(v: Any) -> bytes:
    if type(v) is not str:
        raise TypeError("a string")
    return v.encode("utf-8")


def _encode_int64(v: Any) -> bytes:
    if type(v) is not int or not -(2**63) <= v < 2**63:
        raise TypeError("a 64-bit integer")
    return struct.pack("<q", v)


def _encode_int32(v: Any) -> bytes:
    if type(v) is not int or not -(2**31) <= v < 2**31:
        raise TypeError("a 32-bit integer")
    return struct.pack("<i", v)


#: Feast value type -> value -> bytes, as entity key serialization v3 writes values; a value of
#: the wrong Python type raises TypeError naming what was expected
KEY_ENCODERS = {
    STRING: _encode_str,
    INT64: _encode_int64,
    INT32: _encode_int32,
    UNIX_TIMESTAMP: _encode_int64,
}


def key_encoder(prefix: bytes, key_types: tuple[int, ...], suffix: bytes) -> Callable[[tuple[Any, ...]], bytes]:
    """values -> one entity's key: ``prefix`` from ``key_prefix``, values in sorted join key order
    (of ``key_types``), ``suffix`` the project name. Encoders are bound once, per view."""
    encoders = tuple((key_type, KEY_ENCODERS[key_type]) for key_type in key_types)

    def encode(values: tuple[Any, ...]) -> bytes:
        parts = [prefix]
        for (key_type, encoder), value in zip(encoders, values):
            raw = encoder(value)
            parts.append(value_header(key_type, len(raw)))
            parts.append(raw)
        parts.append(suffix)
        return b"".join(parts)

    return encode


# -- whole columns (the bulk writer) ------------------------------------------------------------

_KEY_VALUE_WIDTH = {INT64: "<i8", INT32: "<i4"}
_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def entity_keys(project: str, join_keys: Iterable[tuple[str, int]], batch: pa.RecordBatch) -> pa.Array:
    """One key per row of ``batch``; ``join_keys``: (column, Feast value type). Join key values
    must be non-null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    join_keys = sorted(join_keys)
    parts: list[pa.Array | pa.Scalar] = [pa.scalar(key_prefix(name for name, _ in join_keys))]
    for name, value_type in join_keys:
        parts += _key_values(batch.column(name), value_type)
    parts += [pa.scalar(project.encode()), pa.scalar(b"")]
    return pc.binary_join_element_wise(*parts)


def _key_values(column: pa.Array, value_type: int) -> list[pa.Array | pa.Scalar]:
    """``<I type><I len><bytes>`` per row, as Feast's ``_serialize_val`` writes it."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if value_type in _KEY_VALUE_WIDTH and pa.types.is_integer(kind):
        raw = np.asarray(column.cast(pa.int64(), safe=False), dtype=np.int64).astype(_KEY_VALUE_WIDTH[value_type])
        return [pa.scalar(value_header(value_type, raw.dtype.itemsize)), _fixed(raw)]
    if value_type == UNIX_TIMESTAMP and pa.types.is_timestamp(kind):
        ticks = np.asarray(column.cast(pa.int64()), dtype=np.int64)
        seconds = ticks // _PER_SECOND[kind.unit]  # floored, as numpy's datetime64[s] cast
        return [pa.scalar(value_header(value_type, 8)), _fixed(seconds.astype("<i8"))]
    if (value_type == STRING and (pa.types.is_string(kind) or pa.types.is_large_string(kind))) or (
            value_type == BYTES and (pa.types.is_binary(kind) or pa.types.is_large_binary(kind))):
        data = column.cast(pa.binary())
        lengths = np.asarray(pc.binary_length(data), dtype="<u4")
        return [pa.scalar(_u32(value_type)), _fixed(lengths), data]
    return [_feast_key_values(column, value_type)]


def _fixed(raw: np.ndarray) -> pa.Array:
    """Each element's little-endian bytes as one binary row."""
    import numpy as np
    import pyarrow as pa

    width = raw.dtype.itemsize
    offsets = np.arange(0, (len(raw) + 1) * width, width, dtype=np.int32)
    data = pa.py_buffer(np.ascontiguousarray(raw).view(np.uint8))
    return pa.Array.from_buffers(pa.binary(), len(raw), [None, pa.py_buffer(offsets), data])


def _feast_key_values(column: pa.Array, value_type: int) -> pa.Array:
    """Feast's own conversion for key types without a vectorised path (exact, per row)."""
    from featureguard.feast_private import serialize_val as _serialize_val
    from feast.type_map import python_values_to_proto_values
    from feast.value_type import ValueType
    import pyarrow as pa

    out = []
    for value in python_values_to_proto_values(column.to_numpy(zero_copy_only=False), ValueType(value_type)):
        raw, vt = _serialize_val(value.WhichOneof("val"), value)
        out.append(value_header(vt, len(raw)) + raw)
    return pa.array(out, type=pa.binary())
