"""Making contract timestamp columns timezone-aware UTC, or saying exactly which values cannot be.

Training and serving must agree on time, so a naive timestamp is never guessed to be UTC: text
values need an explicit offset (``Z`` or ``+hh:mm``), and a typed column without a timezone is a
schema error. Values in other timezones are converted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from services.ingest.failures import MAX_EXAMPLES, CheckFailure, jsonable, schema_failure

_OFFSET_SUFFIX = r"(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$"


@dataclass
class TimestampResult:
    frame: pd.DataFrame
    row_failures: list[CheckFailure] = field(default_factory=list)
    schema_failures: list[CheckFailure] = field(default_factory=list)


def _examples(series: pd.Series, mask: pd.Series) -> list[dict]:
    return [{"row": int(i), "value": jsonable(v)} for i, v in series[mask].head(MAX_EXAMPLES).items()]


def _row_failure(column: str, check: str, series: pd.Series, mask: pd.Series, message: str) -> CheckFailure:
    rows = [int(i) for i in series.index[mask]]
    return CheckFailure(column, check, len(rows), _examples(series, mask), rows, message)


def normalize_timestamps(frame: pd.DataFrame, columns: list[str]) -> TimestampResult:
    """Returns a copy whose ``columns`` are datetime64[ns, UTC]; bad values become NaT + failures."""
    out = frame.copy()
    result = TimestampResult(out)
    for column in columns:
        if column not in out.columns:
            continue  # the gate reports missing columns
        series = out[column]
        dtype = series.dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            out[column] = series.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
        elif pd.api.types.is_datetime64_dtype(dtype):
            result.schema_failures.append(schema_failure(
                "timezone_aware",
                f"column {column!r} holds timestamps without a timezone ({dtype}); send UTC timestamps",
                column, [{"row": 0, "value": jsonable(series.iloc[0])}] if len(series) else [],
            ))
        elif pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            out[column] = _parse_text(column, series, result)
        elif series.isna().all():
            out[column] = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns, UTC]")
        else:
            result.schema_failures.append(schema_failure(
                "dtype", f"column {column!r} must be UTC timestamps, got {dtype}", column,
                [{"row": 0, "value": jsonable(series.iloc[0])}] if len(series) else [],
            ))
    return result


def _parse_text(column: str, series: pd.Series, result: TimestampResult) -> pd.Series:
    present = series.notna()
    text = series.where(present, None).astype("string")
    parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    unparseable = present & parsed.isna()
    naive = present & ~unparseable & ~text.str.strip().str.contains(_OFFSET_SUFFIX, regex=True).fillna(False)
    if unparseable.any():
        result.row_failures.append(_row_failure(
            column, "timestamp_format", series, unparseable, "not an ISO-8601 timestamp"))
    if naive.any():
        result.row_failures.append(_row_failure(
            column, "timezone_aware", series, naive, "timestamp without timezone offset"))
    return parsed.where(~naive).astype("datetime64[ns, UTC]")
