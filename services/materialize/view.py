"""How one feature view's rows go into Redis: its Feast layout (keys, fields, ``_ts:<view>``, from
``featureguard.redis.layout``) and the columns its values and event times come from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from featureguard.materialize import protowire as pw
from featureguard.redis.layout import entity_keys, field_name, ts_field


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
        from featureguard.feast_private import compute_versioned_name

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
        return ts_field(self.view)

    @property
    def fields(self) -> list[bytes]:
        return [f.field for f in self.features] + [self.ts_field]

    @property
    def columns(self) -> list[str]:
        """Columns a batch must carry."""
        return [k for k, _ in self.join_keys] + [f.name for f in self.features] + [self.timestamp_column]

    def redis_keys(self, batch: pa.RecordBatch) -> pa.Array:
        """One Redis key per row (join key values must be non-null)."""
        return entity_keys(self.project, self.join_keys, batch)

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
