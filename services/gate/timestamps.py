"""Making contract timestamp columns timezone-aware UTC, or saying exactly which values cannot be.

Training and serving must agree on time, so a naive timestamp is never guessed to be UTC: text
values need a calendar date, a time and an explicit zone, and a typed column without a timezone
is a schema error. Values in other timezones are converted.

Accepted text (``T``, ``t`` or a space between date and time; ``Z`` or ``z``)::

    2013-01-01T05:00Z   2013-01-01 05:00:00+05:00   2013-01-01T05:00:00.123456789+0500
    2013-01-01T05:00:00-05   20130101T050000Z

A date alone, or a date and time without a zone, is ``timezone_aware`` failure. Week dates
(``2013-W01-2``), ordinal dates (``2013-001``), a decimal comma and more than nine fractional
digits (finer than the nanoseconds stored) are ``timestamp_format`` failures. A valid timestamp
outside what a nanosecond timestamp holds is a ``timestamp_range`` failure naming the range, and
so is a typed Parquet/Arrow timestamp (s, ms or us) outside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from featureguard.gate.failures import MAX_EXAMPLES, CheckFailure, jsonable, schema_failure

_TIME = r"\d{2}(?::\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?"
_BASIC_TIME = r"\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,9})?)?)?"
_ZONE = r"(?:Z|[+-]\d{2}(?::?\d{2})?)"
_BASIC_ZONE = r"(?:Z|[+-]\d{2}(?:\d{2})?)"
#: matched against the stripped, upper-cased value
ZONED = re.compile(rf"\d{{4}}-\d{{2}}-\d{{2}}[T ]{_TIME}{_ZONE}|\d{{8}}T{_BASIC_TIME}{_BASIC_ZONE}")
NAIVE = re.compile(rf"\d{{4}}-\d{{2}}-\d{{2}}(?:[T ]{_TIME})?|\d{{8}}(?:T{_BASIC_TIME})?")

EARLIEST, LATEST = pd.Timestamp.min.tz_localize("UTC"), pd.Timestamp.max.tz_localize("UTC")
SUPPORTED_RANGE = (f"{EARLIEST.isoformat().replace('+00:00', 'Z')} to "
                   f"{LATEST.isoformat().replace('+00:00', 'Z')}")
EXAMPLE = "2013-01-01T05:00:00Z"


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


def _out_of_range(column: str, series: pd.Series, mask: pd.Series) -> CheckFailure:
    return _row_failure(column, "timestamp_range", series, mask,
                        f"column {column!r}: outside the supported range {SUPPORTED_RANGE}")


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
            out[column] = _typed_to_ns(column, series, result)
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


def _typed_to_ns(column: str, series: pd.Series, result: TimestampResult) -> pd.Series:
    """Parquet and Arrow carry s/ms/us timestamps pandas keeps in their unit; the ones a
    nanosecond timestamp cannot hold are row failures (as their text form is), not an overflow."""
    utc = series.dt.tz_convert("UTC")
    if utc.dtype.unit != "ns":
        outside = utc.notna() & ((utc < EARLIEST) | (utc > LATEST))
        if outside.any():
            result.row_failures.append(_out_of_range(column, series, outside))
            utc = utc.where(~outside)
    return utc.astype("datetime64[ns, UTC]")


def _parse_text(column: str, series: pd.Series, result: TimestampResult) -> pd.Series:
    present = series.notna()
    text = series.where(present, None).astype("string").str.strip().str.upper()
    zoned = present & text.str.fullmatch(ZONED).fillna(False).astype(bool)
    naive = present & ~zoned & text.str.fullmatch(NAIVE).fillna(False).astype(bool)
    parsed = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns, UTC]")
    if zoned.any():
        parsed[zoned] = pd.to_datetime(text[zoned], format="ISO8601", utc=True, errors="coerce")
    unparsed = zoned & parsed.isna()
    out_of_range = pd.Series(False, index=series.index)
    if unparsed.any():
        out_of_range[unparsed] = [_is_real_time(v) for v in text[unparsed]]
    malformed = (present & ~zoned & ~naive) | (unparsed & ~out_of_range)
    if malformed.any():
        result.row_failures.append(_row_failure(
            column, "timestamp_format", series, malformed,
            f"column {column!r}: not an ISO-8601 timestamp with calendar date, time and zone "
            f"(YYYY-MM-DD[T ]hh:mm[:ss[.fffffffff]] then Z or ±hh[:mm], e.g. {EXAMPLE})"))
    if naive.any():
        result.row_failures.append(_row_failure(
            column, "timezone_aware", series, naive,
            f"column {column!r}: timestamp without timezone offset (Z or ±hh:mm); "
            f"a zone is never guessed, send e.g. {EXAMPLE}"))
    if out_of_range.any():
        result.row_failures.append(_out_of_range(column, series, out_of_range))
    return parsed


def _is_real_time(value: str) -> bool:
    """A well-formed timestamp pandas could not hold is out of range; else it is no real time (02-30)."""
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
