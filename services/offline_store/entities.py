"""The entity frame as Arrow: which column is event time, and that column in UTC.

Feast's rules: the event-time column is ``event_timestamp`` or the only datetime column; text
is parsed as UTC; timezone-naive values are UTC. The frame is converted to Arrow once and the
caller's DataFrame is never modified.
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from featureguard.feast_private import infer_event_timestamp_from_entity_df
from featureguard.offline_store.sql import ROW


def event_timestamp_column(entity_df: pd.DataFrame) -> str:
    return infer_event_timestamp_from_entity_df(dict(zip(entity_df.columns, entity_df.dtypes)))


def utc_timestamps(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Naive timestamps are taken as UTC; zoned ones keep their instant and are shown in UTC."""
    if not pa.types.is_timestamp(column.type):
        raise TypeError(f"entity event timestamps must be datetimes, got Arrow type {column.type}")
    return column.cast(pa.timestamp(column.type.unit, "UTC"))


def utc_series(series: pd.Series) -> pd.Series:
    """The pandas twin of ``utc_timestamps``: text parsed as UTC, naive = UTC, zoned -> UTC."""
    if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
        return pd.to_datetime(series, utc=True)
    if not isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_localize("UTC")
    return series.dt.tz_convert("UTC")


def entity_table(entity_df: pd.DataFrame, timestamp: str) -> pa.Table:
    """The entity frame as an Arrow table with its event-time column in UTC."""
    series = entity_df[timestamp]
    if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
        series = pd.to_datetime(series, utc=True)
        table = pa.Table.from_pandas(entity_df.drop(columns=[timestamp]), preserve_index=False)
        position = list(entity_df.columns).index(timestamp)
        return table.add_column(position, timestamp, utc_timestamps(pa.chunked_array([pa.array(series)])))
    table = pa.Table.from_pandas(entity_df, preserve_index=False)
    index = table.schema.get_field_index(timestamp)
    return table.set_column(index, timestamp, utc_timestamps(table.column(timestamp)))


def join_input(table: pa.Table, timestamp: str, key_columns: list[str]) -> pa.Table:
    """The narrow table DuckDB joins: entity keys, event time and the row number."""
    columns = {c: table.column(c) for c in dict.fromkeys([*key_columns, timestamp])}
    columns[ROW] = pa.chunked_array([pa.array(np.arange(table.num_rows, dtype=np.int64))])
    return pa.table(columns)


def time_range(table: pa.Table, timestamp: str) -> tuple[datetime | None, datetime | None]:
    """Earliest and latest event time (UTC), for Feast's retrieval metadata."""
    if table.num_rows == 0:
        return None, None
    bounds = pc.min_max(table.column(timestamp))
    low, high = bounds["min"].as_py(), bounds["max"].as_py()
    return _aware(low), _aware(high)


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)
