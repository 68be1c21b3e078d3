"""Time columns in every form offline stores return them become the instants Feast's own engine
derives (``pd.to_datetime``, naive = UTC, ``Timestamp.FromDatetime``), to the microsecond."""

from __future__ import annotations

from datetime import date, datetime, timezone

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from featureguard.materialize.view import ViewLayout
from featureguard.materialize.times import utc_timestamps, with_utc_timestamps

#: ISO-8601 shapes, each parsed by Feast on its own (pandas infers one format per column)
TEXTS = [
    "2024-06-01T11:59:59Z", "2024-06-01 11:59:59.999500000Z", "2024-06-01T11:59:59.1Z",
    "2024-06-01T11:59:59.123456789Z", "2024-06-01t11:59:59z", "2024-06-01T11:59:59+05:00",
    "2024-06-01T11:59:59.25+0500", "2024-06-01T11:59:59-05", "2024-06-01T23:30-03:00",
    "2024-06-01 11:59:59", "2024-06-01T11:59:59.000001", "2024-06-01", "1969-07-20T20:17:40.123456Z",
    "1969-12-31T23:59:59.999999-01:00", "2262-04-11T00:00:00Z", "1677-09-22T00:00:00Z",
]


def _layout() -> ViewLayout:
    return ViewLayout.build("p", "v", [("k", 2)], [], "ts")


def _micros(column: pa.Array) -> list[int]:
    batch = pa.record_batch({"k": pa.array(["x"] * len(column)), "ts": utc_timestamps(column, "ts")})
    return _layout().event_micros(batch).tolist()


def _feast_micros(values) -> list[int]:
    """What Feast's local engine writes as ``_ts:<view>`` for these values, in microseconds."""
    from feast.utils import _coerce_datetime, make_tzaware
    from google.protobuf.timestamp_pb2 import Timestamp

    out = []
    for value in pd.to_datetime(values):
        stamp = Timestamp()
        stamp.FromDatetime(make_tzaware(_coerce_datetime(value)))
        out.append(stamp.seconds * 1_000_000 + stamp.nanos // 1_000)
    return out


@pytest.mark.parametrize("text", TEXTS)
def test_iso_text_is_the_instant_feast_reads(text):
    assert _micros(pa.array([text])) == _feast_micros(np.array([text], dtype=object))


def test_a_column_mixing_shapes_naive_and_zoned_text():
    """One cast per part: rows with an offset, rows without; lower case and nulls too."""
    mixed = pa.chunked_array([TEXTS[:5], [None, *TEXTS[5:]]])
    expected = [_feast_micros(np.array([t], dtype=object))[0] for t in TEXTS]
    got = utc_timestamps(mixed, "ts").combine_chunks()
    assert got.null_count == 1
    assert _micros(got.drop_null()) == expected


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("zone", [None, "UTC", "Asia/Kolkata", "America/New_York"])
def test_timestamps_of_any_unit_naive_or_zoned(unit, zone):
    stamps = pd.to_datetime(["2024-06-01 11:59:59.123456789", "1969-07-20 20:17:40.5", "2024-03-10 02:30:00"], format="ISO8601")
    ticks = stamps.as_unit("ns").asi8 // {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[unit]
    column = pa.array(ticks, type=pa.timestamp(unit, zone))
    assert utc_timestamps(column, "ts").type == pa.timestamp(unit, "UTC")
    assert _micros(column) == _feast_micros(column.to_numpy(zero_copy_only=False))


def test_dates_are_midnight_utc():
    days = pa.array([date(2024, 6, 1), date(1969, 12, 31)])
    midnight = [datetime(2024, 6, 1, tzinfo=timezone.utc), datetime(1969, 12, 31, tzinfo=timezone.utc)]
    assert utc_timestamps(days, "ts").to_pylist() == midnight
    assert utc_timestamps(days.cast(pa.date64()), "ts").to_pylist() == midnight


def test_text_that_is_no_timestamp_is_named_with_examples():
    column = pa.array(["2024-06-01T12:00:00Z"] * 5000 + ["2024-W22-6", "yesterday", "9999-12-31T00:00:00Z"])
    with pytest.raises(ValueError) as caught:
        utc_timestamps(column, "event timestamp column 'ts' of source 'trips'")
    message = str(caught.value)
    assert "event timestamp column 'ts' of source 'trips'" in message
    assert "'2024-W22-6', 'yesterday', '9999-12-31T00:00:00Z'" in message


def test_numbers_are_refused_not_guessed():
    with pytest.raises(TypeError, match="column 'ts' holds int64, not timestamps"):
        utc_timestamps(pa.array([1717243199]), "column 'ts'")


def test_only_time_columns_change_and_types_already_right_are_kept():
    batch = pa.record_batch({"k": ["a", "b"], "ts": ["2024-06-01T12:00:00Z", "2024-06-01 12:00:00"],
                             "seen": pa.array([0, 1], pa.timestamp("ms", "UTC"))})
    out = with_utc_timestamps(batch, ["ts", "seen", "absent"], "source 's'")
    assert out.schema.names == ["k", "ts", "seen"]
    assert out.column(0) is batch.column(0) or out.column(0).equals(batch.column(0))
    assert out.schema.field("ts").type == pa.timestamp("ns", "UTC")
    assert out.column(1)[0] == out.column(1)[1]
    assert out.column(2).equals(batch.column(2))
    table = with_utc_timestamps(pa.Table.from_batches([batch]), ["ts"], "source 's'")
    assert table.schema.field("ts").type == pa.timestamp("ns", "UTC")
