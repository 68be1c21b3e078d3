"""Feast's Redis layout for one feature view, applied to whole record batches.

Key: ``serialize_entity_key(EntityKey, v3) + project`` (feast/infra/key_encoding_utils.py):
``<I n>``, then per join key in name order ``<I STRING><I len><name>``, then per value
``<I value type><I len><bytes>`` (ints little-endian; strings UTF-8). Hash fields: per feature
``mmh3("<view>:<feature>")`` as 4 little-endian bytes holding a serialized ``Value``, and
``_ts:<view>`` holding the event time as a ``google.protobuf.Timestamp``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import mmh3
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from featureguard.materialize import protowire as pw

_KEY_VALUE_WIDTH = {pw.INT64: ("<i8", 8), pw.INT32: ("<i4", 4)}


def field_name(view: str, feature: str) -> bytes:
    """Feast's ``_mmh3``: murmur3_32 of ``view:feature``, unsigned, 4 bytes little-endian."""
    return struct.pack("<I", mmh3.hash(f"{view}:{feature}", signed=False))


def _u32(value: int) -> bytes:
    return struct.pack("<I", value)


@dataclass(frozen=True)
class Feature:
    name: str  # column in the batch
    value_type: int  # Feast ValueType number
    field: bytes  # Redis hash field


@dataclass(frozen=True)
class ViewLayout:
    """Where and how one view's rows go in Redis."""

    project: str
    view: str  # the (possibly versioned) name used in field names and ``_ts:``
    join_keys: tuple[tuple[str, int], ...]  # (column, Feast ValueType), sorted by name
    features: tuple[Feature, ...]
    timestamp_column: str
    created_column: str | None = None

    @classmethod
    def build(cls, project: str, view: str, join_keys: list[tuple[str, int]],
              features: list[tuple[str, int]], timestamp_column: str, created_column: str | None = None) -> "ViewLayout":
        return cls(project, view, tuple(sorted(join_keys)),
                   tuple(Feature(name, vt, field_name(view, name)) for name, vt in features),
                   timestamp_column, created_column)

    @classmethod
    def from_feature_view(cls, feature_view: Any, project: str, enable_versioning: bool = False) -> "ViewLayout":
        from feast.infra.online_stores.helpers import compute_versioned_name

        source = feature_view.batch_source
        return cls.build(
            project,
            compute_versioned_name(feature_view, enable_versioning),
            [(f.name, f.dtype.to_value_type().value) for f in feature_view.entity_columns],
            [(f.name, f.dtype.to_value_type().value) for f in feature_view.features],
            source.timestamp_field,
            source.created_timestamp_column or None,
        )

    @property
    def ts_field(self) -> bytes:
        return f"_ts:{self.view}".encode()

    @property
    def fields(self) -> list[bytes]:
        return [f.field for f in self.features] + [self.ts_field]

    @property
    def columns(self) -> list[str]:
        """Columns a batch must carry."""
        return [k for k, _ in self.join_keys] + [f.name for f in self.features] + [self.timestamp_column]

    # -- keys -------------------------------------------------------------------------------

    def _key_prefix(self) -> bytes:
        out = [_u32(len(self.join_keys))]
        for name, _ in self.join_keys:
            raw = name.encode()
            out += [_u32(pw.STRING), _u32(len(raw)), raw]
        return b"".join(out)

    def redis_keys(self, batch: pa.RecordBatch) -> pa.Array:
        """One Redis key per row (join key values must be non-null)."""
        parts: list[pa.Array | pa.Scalar] = [pa.scalar(self._key_prefix())]
        for name, value_type in self.join_keys:
            parts += _key_value(batch.column(name), value_type)
        parts += [pa.scalar(self.project.encode()), pa.scalar(b"")]
        return pc.binary_join_element_wise(*parts)

    # -- values -----------------------------------------------------------------------------

    def value_arrays(self, batch: pa.RecordBatch) -> list[pa.Array]:
        """Serialized ``Value`` per row for each feature, in ``features`` order."""
        out = []
        for feature in self.features:
            column = batch.column(feature.name)
            encoded = pw.encode_values(column, feature.value_type)
            out.append(encoded if encoded is not None else pw.feast_encoded(column, feature.value_type))
        return out

    def event_micros(self, batch: pa.RecordBatch) -> np.ndarray:
        """Event times as UTC microseconds (Feast goes through Python datetimes: microseconds)."""
        column = batch.column(self.timestamp_column)
        if not pa.types.is_timestamp(column.type):
            raise TypeError(f"event timestamp column {self.timestamp_column!r} is {column.type}, not a timestamp")
        ticks = np.asarray(column.cast(pa.int64()), dtype=np.int64)
        unit = column.type.unit
        if unit == "ns":
            return ticks // 1_000  # pandas drops the nanosecond component: a floor
        return ticks * {"s": 1_000_000, "ms": 1_000, "us": 1}[unit]


def _key_value(column: pa.Array, value_type: int) -> list[pa.Array | pa.Scalar]:
    """``<I type><I len><bytes>`` per row, as Feast's ``_serialize_val`` writes it."""
    kind = column.type
    if value_type in _KEY_VALUE_WIDTH and pa.types.is_integer(kind):
        dtype, width = _KEY_VALUE_WIDTH[value_type]
        raw = np.asarray(column.cast(pa.int64(), safe=False), dtype=np.int64).astype(dtype)
        return [pa.scalar(_u32(value_type) + _u32(width)), _fixed(raw)]
    if value_type == pw.UNIX_TIMESTAMP and pa.types.is_timestamp(kind):
        seconds, _ = pw.epoch_seconds(column)
        return [pa.scalar(_u32(value_type) + _u32(8)), _fixed(seconds.astype("<i8"))]
    if (value_type == pw.STRING and (pa.types.is_string(kind) or pa.types.is_large_string(kind))) or (
            value_type == pw.BYTES and (pa.types.is_binary(kind) or pa.types.is_large_binary(kind))):
        data = column.cast(pa.binary())
        lengths = np.asarray(pc.binary_length(data), dtype="<u4")
        return [pa.scalar(_u32(value_type)), _fixed(lengths), data]
    return [_feast_key_values(column, value_type)]


def _fixed(raw: np.ndarray) -> pa.Array:
    width = raw.dtype.itemsize
    matrix = np.ascontiguousarray(raw).view(np.uint8).reshape(len(raw), width)
    return pw.ragged(matrix, np.full(len(raw), width))


def _feast_key_values(column: pa.Array, value_type: int) -> pa.Array:
    """Feast's own conversion for key types without a vectorised path (exact, per row)."""
    from feast.infra.key_encoding_utils import _serialize_val
    from feast.type_map import python_values_to_proto_values
    from feast.value_type import ValueType

    out = []
    for value in python_values_to_proto_values(column.to_numpy(zero_copy_only=False), ValueType(value_type)):
        raw, vt = _serialize_val(value.WhichOneof("val"), value)
        out.append(_u32(vt) + _u32(len(raw)) + raw)
    return pa.array(out, type=pa.binary())
