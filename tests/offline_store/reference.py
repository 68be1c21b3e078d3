"""Independent references: pandas ``merge_asof`` for point-in-time joins, and frame comparison."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd


def asof_reference(
    entity_df: pd.DataFrame,
    feature_df: pd.DataFrame,
    keys: dict[str, str],
    features: dict[str, str],
    ttl: timedelta | None,
    entity_ts: str = "event_timestamp",
    ts: str = "event_ts",
    created: str = "created",
) -> pd.DataFrame:
    """Feature columns for every entity row, in entity order.

    ``keys`` maps entity column -> feature column, ``features`` feature column -> output name.
    Rows are sorted by event then created time (missing created first), so ``merge_asof``'s
    backward search takes the newest event and, among equal events, the newest created time;
    ``tolerance`` = TTL makes older values null. A TTL of None or zero means unlimited.
    """
    right = feature_df.sort_values([ts, created], na_position="first", kind="stable")
    right = right[[*keys.values(), ts, *features]].rename(columns={ts: "__ts", **features})
    left = entity_df[[*keys, entity_ts]].copy()
    left["__pos"] = np.arange(len(left))
    left[entity_ts] = pd.to_datetime(left[entity_ts], utc=True).astype("datetime64[ns, UTC]")
    right["__ts"] = right["__ts"].astype("datetime64[ns, UTC]")
    left = left.sort_values(entity_ts, kind="stable")
    merged = pd.merge_asof(
        left, right, left_on=entity_ts, right_on="__ts",
        left_by=list(keys) or None, right_by=list(keys.values()) or None,
        direction="backward", allow_exact_matches=True, tolerance=ttl if ttl else None,
    )
    return merged.sort_values("__pos").reset_index(drop=True)[list(features.values())]


def _comparable(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(series):
        series = pd.to_datetime(series, utc=True)
        return series.astype("datetime64[ns, UTC]")
    return series


def assert_same_values(ours: pd.Series, theirs: pd.Series, what: str) -> None:
    """Same length, same nulls, exactly equal non-null values (floats compared exactly)."""
    a, b = _comparable(ours.reset_index(drop=True)), _comparable(theirs.reset_index(drop=True))
    assert len(a) == len(b), f"{what}: {len(a)} rows vs {len(b)}"
    a_null, b_null = a.isna().to_numpy(), b.isna().to_numpy()
    differ = np.flatnonzero(a_null != b_null)
    assert not len(differ), f"{what}: nulls differ at rows {differ[:10].tolist()}: {a[differ[:5]].tolist()} vs {b[differ[:5]].tolist()}"
    values_a = a[~a_null].to_numpy(dtype=object)
    values_b = b[~b_null].to_numpy(dtype=object)
    unequal = np.flatnonzero(values_a != values_b)
    assert not len(unequal), f"{what}: values differ, e.g. {values_a[unequal[:5]].tolist()} vs {values_b[unequal[:5]].tolist()}"


def assert_same_frame(ours: pd.DataFrame, stock: pd.DataFrame, order_by: str = "row_id") -> None:
    """Stock Feast returns rows in no particular order: sort it by ``order_by``; ours must be in order."""
    stock = stock.sort_values(order_by, kind="stable").reset_index(drop=True)
    assert list(ours.columns) == list(stock.columns)
    assert ours[order_by].tolist() == stock[order_by].tolist()
    for column in ours.columns:
        assert_same_values(ours[column], stock[column], column)
