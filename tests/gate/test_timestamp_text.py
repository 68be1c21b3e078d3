"""Text timestamps: only a calendar date with a time and an explicit zone becomes a UTC timestamp.

Every ISO-8601 shape a producer might send, and the verdict it gets; a zone is never guessed.
"""

from __future__ import annotations

import pandas as pd
import pytest

from featureguard.gate.timestamps import SUPPORTED_RANGE, normalize_timestamps

UTC = "UTC"


@pytest.mark.parametrize("text,expected", [
    ("2013-01-01T05:00:00Z", "2013-01-01T05:00:00"),
    ("2013-01-01 05:00:00Z", "2013-01-01T05:00:00"),
    ("2013-01-01t05:00:00z", "2013-01-01T05:00:00"),
    ("2013-01-01T05:00Z", "2013-01-01T05:00:00"),
    ("2013-01-01T05Z", "2013-01-01T05:00:00"),
    ("2013-01-01T05:00:00+05:00", "2013-01-01T00:00:00"),
    ("2013-01-01T05:00:00+0500", "2013-01-01T00:00:00"),
    ("2013-01-01T05:00:00+05", "2013-01-01T00:00:00"),
    ("2013-01-01T05:00:00-05", "2013-01-01T10:00:00"),
    ("2013-01-01 05:00:00-00:00", "2013-01-01T05:00:00"),
    ("2013-01-01T05:00:00.1Z", "2013-01-01T05:00:00.100000000"),
    ("2013-01-01T05:00:00.123Z", "2013-01-01T05:00:00.123000000"),
    ("2013-01-01T05:00:00.123456Z", "2013-01-01T05:00:00.123456000"),
    ("2013-01-01T05:00:00.123456789Z", "2013-01-01T05:00:00.123456789"),
    ("2013-01-01T05:00:00.123456789+01:00", "2013-01-01T04:00:00.123456789"),
    ("20130101T050000Z", "2013-01-01T05:00:00"),
    ("  2013-01-01T05:00:00Z ", "2013-01-01T05:00:00"),
])
def test_zoned_shapes_are_read_as_utc(text, expected):
    result = normalize_timestamps(pd.DataFrame({"t": [text]}), ["t"])
    assert result.row_failures == []
    assert result.frame["t"].iloc[0] == pd.Timestamp(expected, tz=UTC)


@pytest.mark.parametrize("text", [
    "2013-01-01",  # the reported one: "-01" was taken for an offset
    "2013-12-31",
    "2013-01-01 00:00:00",
    "2013-01-01T05:00",
    "2013-01-01T05:00:00.5",
    "20130101",
    "20130101T050000",
])
def test_shapes_without_a_zone_are_refused(text):
    result = normalize_timestamps(pd.DataFrame({"t": [text]}), ["t"])
    (failure,) = result.row_failures
    assert failure.check == "timezone_aware" and failure.rows == [0]
    assert failure.examples == [{"row": 0, "value": text}]
    assert "'t'" in failure.message and "never guessed" in failure.message
    assert result.frame["t"].isna().all()


@pytest.mark.parametrize("text", [
    "2013-W01-2",  # week date
    "2013-W01-2T05:00:00Z",
    "2013-001",  # ordinal date
    "2013-001T05:00:00Z",
    "2013-01-01T05:00:00,5Z",  # decimal comma
    "2013-01-01T05:00:00.1234567891Z",  # finer than nanoseconds: would be truncated
    "2013-02-30T00:00:00Z",  # no such day
    "2013-01-01T24:00:00Z",
    "2013-01-01T05:00:00+25:00",
    "2013-01-01 05:00:00 +05:00",
    "1357016400",
    "yesterday",
])
def test_other_shapes_are_format_failures(text):
    result = normalize_timestamps(pd.DataFrame({"t": [text, "2013-01-01T00:00:00Z"]}), ["t"])
    (failure,) = result.row_failures
    assert failure.check == "timestamp_format" and failure.rows == [0], failure
    assert "calendar date, time and zone" in failure.message
    assert result.frame["t"].iloc[1] == pd.Timestamp("2013-01-01", tz=UTC)


@pytest.mark.parametrize("text", [
    "9999-12-31T00:00:00Z",
    "1600-01-01T00:00:00Z",
    "2262-04-11T23:47:16.854775808Z",
    "1677-09-21T00:12:43.145224192Z",  # one nanosecond early (and pandas' NaT sentinel)
    "0001-01-01T00:00:00+05:00",
])
def test_text_outside_the_nanosecond_range_says_so(text):
    result = normalize_timestamps(pd.DataFrame({"t": [text]}), ["t"])
    (failure,) = result.row_failures
    assert failure.check == "timestamp_range" and failure.examples == [{"row": 0, "value": text}]
    assert "outside the supported range" in failure.message and SUPPORTED_RANGE in failure.message
    assert "1677-09-21" in SUPPORTED_RANGE and "2262-04-11" in SUPPORTED_RANGE


def test_the_range_edges_are_inside():
    edges = ["1677-09-21T00:12:43.145224193Z", "2262-04-11T23:47:16.854775807Z"]
    result = normalize_timestamps(pd.DataFrame({"t": edges}), ["t"])
    assert result.row_failures == [] and result.frame["t"].notna().all()
