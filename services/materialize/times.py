"""Time columns as UTC Arrow timestamps, whatever a Feast offline store returned for them.

Offline stores disagree: ours and Feast's file store return ``timestamp[ns, UTC]``, Feast's
duckdb store returns ISO-8601 text (``2024-06-01 11:59:59.999500000Z``), others return naive
timestamps or another unit. Feast's own engine runs every value through ``pd.to_datetime`` and
takes naive values as UTC (``utils.make_tzaware``); this does the same per column in Arrow: a
timestamp keeps its unit and gets the UTC zone (naive values are UTC, zoned ones keep their
instant), a date is midnight UTC, text is parsed as ISO-8601 at nanosecond precision.

Text takes one Arrow cast when every value carries an offset (or none does); a column mixing
the two, or written with a lower-case ``t``/``z``, is split by a regex and cast in two parts.
"""

from __future__ import annotations

from typing import Iterable, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

Column = TypeVar("Column", pa.Array, pa.ChunkedArray)
Data = TypeVar("Data", pa.Table, pa.RecordBatch)

#: An offset after a time of day (a date alone, ``2024-06-01``, has none: its ``-01`` is the day).
_HAS_OFFSET = r"(?:Z|[T ]\d.*[+-]\d{2}(?::?\d{2})?)$"
_AWARE, _NAIVE = pa.timestamp("ns", "UTC"), pa.timestamp("ns")
_EXAMPLES = 3


def utc_timestamps(column: Column, what: str) -> Column:
    """``column`` as ``timestamp[unit, UTC]``; ``what`` names it in errors ("event timestamp
    column 'ts' of source 'trips'"). Raises ValueError for text that is not ISO-8601 and
    TypeError for a column of another type."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        return utc_timestamps(column.cast(kind.value_type), what)
    if pa.types.is_timestamp(kind):
        return column if kind.tz == "UTC" else column.cast(pa.timestamp(kind.unit, "UTC"))
    if pa.types.is_date32(kind):
        return column.cast(pa.timestamp("s", "UTC"))
    if pa.types.is_date64(kind):
        return column.cast(pa.timestamp("ms", "UTC"))
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _parse(column, what)
    if pa.types.is_null(kind):
        return column.cast(_AWARE)
    raise TypeError(f"{what} holds {kind}, not timestamps (nor ISO-8601 text)")


def with_utc_timestamps(data: Data, columns: Iterable[str], what: str) -> Data:
    """``data`` with each of ``columns`` (those present) made UTC timestamps; ``what`` names the
    source in errors."""
    for name in dict.fromkeys(columns):
        index = data.schema.get_field_index(name)
        if index < 0:
            continue
        column = data.column(index)
        converted = utc_timestamps(column, f"column {name!r} of {what}")
        if converted is not column:
            data = data.set_column(index, name, converted)
    return data


def _parse(text: Column, what: str) -> Column:
    for target in (_AWARE, _NAIVE):  # one cast when the column is uniform
        try:
            return text.cast(target).cast(_AWARE)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    upper = pc.utf8_upper(text)
    zoned = pc.match_substring_regex(upper, _HAS_OFFSET)
    none = pa.scalar(None, upper.type)
    try:
        aware = pc.if_else(zoned, upper, none).cast(_AWARE)
        naive = pc.if_else(zoned, none, upper).cast(_NAIVE).cast(_AWARE)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise ValueError(_unparsable(text, what)) from None
    return pc.if_else(zoned, aware, naive)


def _unparsable(text: Column, what: str) -> str:
    """The error for text Arrow could not parse, with a few of the values (found slice by slice,
    so only a failing slice is looked at row by row)."""
    examples: list[str] = []
    values = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    step = 4096
    for offset in range(0, len(values), step):
        part = values.slice(offset, step)
        if _casts(part):
            continue
        examples += [v for v in part.to_pylist() if v is not None and not _casts(pa.array([v]))]
        if len(examples) >= _EXAMPLES:
            break
    shown = ", ".join(repr(v) for v in examples[:_EXAMPLES])
    return (f"{what} holds text that is not an ISO-8601 timestamp between the years 1677 and 2262 "
            f"(e.g. {shown}); expected values like '2024-06-01T12:00:00Z', '2024-06-01 12:00:00.5+02:00' "
            f"or '2024-06-01 12:00:00' (taken as UTC)")


def _casts(part: pa.Array) -> bool:
    part = pc.utf8_upper(part)
    zoned = pc.match_substring_regex(part, _HAS_OFFSET)
    none = pa.scalar(None, part.type)
    try:
        pc.if_else(zoned, part, none).cast(_AWARE)
        pc.if_else(zoned, none, part).cast(_NAIVE)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True
