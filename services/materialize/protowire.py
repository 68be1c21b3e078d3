"""Protobuf wire bytes for whole columns at once: varints, Feast ``Value``s, ``Timestamp``s.

Feast builds one ``Value`` message per cell in Python and serialises it (a few microseconds
each); for a million cells that is most of a materialization. The encodings here are the same
bytes, built with numpy over a column: a value is a tag byte plus a varint or fixed-width little-
endian payload, a string a tag, a varint length and the UTF-8 bytes. Rows come back as a
pyarrow ``BinaryArray`` (row i = the bytes of cell i; a null cell is ``b""``, Feast's empty
``Value``), ready to be joined into RESP commands without touching Python objects per row.

Columns of a type with no vectorised encoder go through Feast's own converter
(:func:`feast_encoded`), so any Feast type is written exactly as Feast would write it.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Feast ``ValueType`` numbers (feast/protos/feast/types/Value.proto) used here.
BYTES, STRING, INT32, INT64, DOUBLE, FLOAT, BOOL, UNIX_TIMESTAMP = 1, 2, 3, 4, 5, 6, 7, 8

#: ``Value`` oneof field numbers coincide with the ValueType numbers for scalars.
_WIRE_VARINT, _WIRE_I64, _WIRE_LEN, _WIRE_I32 = 0, 1, 2, 5

#: Feast writes a null UNIX_TIMESTAMP as NaT's integer (``type_map.NULL_TIMESTAMP_INT_VALUE``).
NULL_TIMESTAMP = np.iinfo(np.int64).min


def _tag(field: int, wire: int) -> int:
    return (field << 3) | wire


def ragged(matrix: np.ndarray, lengths: np.ndarray) -> pa.BinaryArray:
    """A BinaryArray whose row i is ``matrix[i, :lengths[i]]``."""
    n, width = matrix.shape
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    data = matrix[np.arange(width) < np.asarray(lengths)[:, None]]  # row-major: rows stay in order
    return pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(data))])


def varint_matrix(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Base-128 varints (negatives as 64-bit two's complement, 10 bytes, as protobuf does):
    a (n, w) byte matrix, w the longest varint's length (at most 10), and each row's length."""
    rest = np.asarray(values).astype(np.int64).view(np.uint64).copy()
    out = np.empty((len(rest), 10), dtype=np.uint8)
    lengths = np.ones(len(rest), dtype=np.int64)
    for k in range(10):
        out[:, k] = (rest & np.uint64(0x7F)).astype(np.uint8)
        rest >>= np.uint64(7)
        more = rest != 0
        if not more.any():  # every varint ends here
            return out[:, :k + 1], lengths
        out[more, k] |= 0x80
        lengths += more
    return out, lengths


def tagged_varints(field: int, values: np.ndarray, present: np.ndarray | None = None,
                   wire: int = _WIRE_VARINT) -> tuple[np.ndarray, np.ndarray]:
    """``tag + varint(value)`` per row as (matrix, lengths); rows not ``present`` are empty.
    (With ``wire=2`` the varint is a length prefix.)"""
    body, lengths = varint_matrix(values)
    matrix = np.empty((len(body), 1 + body.shape[1]), dtype=np.uint8)
    matrix[:, 0] = _tag(field, wire)
    matrix[:, 1:] = body
    lengths = lengths + 1
    if present is not None:
        lengths = np.where(present, lengths, 0)
    return matrix, lengths


def tagged_fixed(field: int, wire: int, raw: np.ndarray, present: np.ndarray) -> pa.BinaryArray:
    """``tag + little-endian bytes`` of a fixed-width numpy column; absent rows empty."""
    width = raw.dtype.itemsize
    matrix = np.empty((len(raw), 1 + width), dtype=np.uint8)
    matrix[:, 0] = _tag(field, wire)
    matrix[:, 1:] = raw.view(np.uint8).reshape(len(raw), width)
    return ragged(matrix, np.where(present, 1 + width, 0))


def tagged_bytes(field: int, data: pa.Array) -> pa.BinaryArray:
    """``tag + varint(len) + bytes`` per row of a binary/string column; nulls empty."""
    data = data.cast(pa.binary())
    present = np.asarray(data.is_valid())
    lengths = np.asarray(pc.binary_length(data).fill_null(0), dtype=np.int64)
    header = ragged(*tagged_varints(field, lengths, present, _WIRE_LEN))
    return pc.binary_join_element_wise(header, data, pa.scalar(b""), null_handling="replace", null_replacement="")


def _valid(column: pa.Array) -> np.ndarray:
    return np.asarray(column.is_valid(), dtype=bool) if column.null_count else np.ones(len(column), dtype=bool)


def _numbers(column: pa.Array, dtype: str) -> np.ndarray:
    """The column as a numpy array of ``dtype`` with nulls zero-filled (their bytes are dropped)."""
    typed = column.cast(pa.from_numpy_dtype(np.dtype(dtype).newbyteorder("=")), safe=False)
    if typed.null_count:
        typed = typed.fill_null(0)
    return np.asarray(typed).astype(dtype, copy=False)


def epoch_seconds(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Whole seconds since the epoch (floored, as numpy's ``datetime64[s]`` cast) and validity."""
    valid = _valid(column)
    unit = column.type.unit
    ticks = np.asarray(column.cast(pa.int64()).fill_null(0), dtype=np.int64)
    per_second = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[unit]
    return ticks // per_second, valid


def encode_values(column: pa.Array, value_type: int) -> pa.BinaryArray | None:
    """Serialized Feast ``Value``s for a column, or None when no vectorised encoder fits (the
    caller then uses :func:`feast_encoded`). Byte-identical to Feast's per-cell conversion."""
    kind = column.type
    if value_type in (FLOAT, DOUBLE) and (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
        dtype, wire = ("<f4", _WIRE_I32) if value_type == FLOAT else ("<f8", _WIRE_I64)
        raw = _numbers(column, dtype)
        present = _valid(column) & ~np.isnan(raw)  # Feast writes NaN as an empty Value (pd.isnull)
        return tagged_fixed(value_type, wire, raw, present)
    if value_type in (INT32, INT64) and pa.types.is_integer(kind):
        raw = _numbers(column, "int64")
        if value_type == INT32:
            raw = raw.astype(np.int32).astype(np.int64)  # Feast's int32 field: wrap, then sign-extend
        return ragged(*tagged_varints(value_type, raw, _valid(column)))
    if value_type == BOOL and pa.types.is_boolean(kind):
        raw = _numbers(column, "uint8")
        return ragged(*tagged_varints(BOOL, raw, _valid(column)))
    if value_type in (STRING, BYTES) and (pa.types.is_string(kind) or pa.types.is_large_string(kind)
                                          or pa.types.is_binary(kind) or pa.types.is_large_binary(kind)):
        if value_type == STRING and pa.types.is_binary(kind):
            return None  # Feast would str() the bytes object: leave such oddities to Feast
        return tagged_bytes(value_type, column)
    if value_type == UNIX_TIMESTAMP and pa.types.is_timestamp(kind) and column.null_count < len(column):
        seconds, valid = epoch_seconds(column)
        seconds = np.where(valid, seconds, NULL_TIMESTAMP)  # Feast: NaT -> its integer, not empty
        return ragged(*tagged_varints(UNIX_TIMESTAMP, seconds))
    return None


def feast_encoded(column: pa.Array, value_type: int) -> pa.BinaryArray:
    """Feast's own per-cell conversion (``python_values_to_proto_values``), for the rare types
    without a vectorised encoder; slow but exact by construction."""
    from feast.type_map import python_values_to_proto_values
    from feast.value_type import ValueType

    values = python_values_to_proto_values(column.to_numpy(zero_copy_only=False), ValueType(value_type))
    return pa.array([v.SerializeToString() for v in values], type=pa.binary())


def timestamp_protos(micros: np.ndarray) -> pa.BinaryArray:
    """``google.protobuf.Timestamp`` bytes for UTC microseconds since the epoch, as Feast makes
    them (``Timestamp.FromDatetime``): seconds floored, nanos in [0, 1e9); zero fields omitted."""
    micros = np.asarray(micros, dtype=np.int64)
    seconds = micros // 1_000_000
    nanos = (micros - seconds * 1_000_000) * 1_000
    return pc.binary_join_element_wise(
        ragged(*tagged_varints(1, seconds, seconds != 0)),
        ragged(*tagged_varints(2, nanos, nanos != 0)),
        pa.scalar(b""),
    )


def padded(rows: pa.Array, extra: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`ragged`: a zero-padded (n, longest + extra) byte matrix and the lengths
    (null rows have length 0)."""
    rows = rows.cast(pa.binary())
    n = len(rows)
    lengths = np.asarray(pc.binary_length(rows).fill_null(0), dtype=np.int64)
    width = int(lengths.max()) if n else 0
    matrix = np.zeros((n, width + extra), dtype=np.uint8)
    if width:
        offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32, count=n + 1, offset=rows.offset * 4)
        data = np.frombuffer(rows.buffers()[2], dtype=np.uint8)
        mask = np.arange(width) < lengths[:, None]
        matrix[:, :width][mask] = data[(offsets[:-1, None].astype(np.int64) + np.arange(width))[mask]]
    return matrix, lengths


def decode_timestamps(protos: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Nanoseconds since the epoch of serialized ``Timestamp``s, and which rows hold one (null or
    empty rows do not). Inverse of :func:`timestamp_protos`, in any field order."""
    matrix, lengths = padded(protos, extra=11)
    n = len(lengths)
    seconds = np.zeros(n, dtype=np.int64)
    nanos = np.zeros(n, dtype=np.int64)
    pos = np.zeros(n, dtype=np.int64)
    rows = np.arange(n)
    for _ in range(2):  # seconds and nanos, each at most once
        live = pos < lengths
        tag = matrix[rows, np.minimum(pos, matrix.shape[1] - 1)]
        value, used = _read_varints(matrix, pos + 1)
        seconds = np.where(live & (tag == 0x08), value, seconds)
        nanos = np.where(live & (tag == 0x10), value, nanos)
        pos = np.where(live, pos + 1 + used, pos)
    return seconds * 1_000_000_000 + nanos, lengths > 0


def _read_varints(matrix: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows = np.arange(len(start))
    value = np.zeros(len(start), dtype=np.uint64)
    used = np.zeros(len(start), dtype=np.int64)
    going = np.ones(len(start), dtype=bool)
    last = matrix.shape[1] - 1
    for k in range(10):
        byte = matrix[rows, np.minimum(start + k, last)].astype(np.uint64)
        value |= np.where(going, (byte & np.uint64(0x7F)) << np.uint64(7 * k), np.uint64(0))
        used += going
        going &= (byte & np.uint64(0x80)) != 0
    return value.view(np.int64), used
