"""Typed Parquet/Arrow timestamps a nanosecond timestamp cannot hold are row failures, not a crash.

A ``timestamp[us, UTC]`` of 9999-12-31 is valid Parquet; it used to escape the gate as an
``OutOfBoundsDatetime`` traceback (CLI exit 1, no receipt; HTTP 500).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from featureguard.contracts import get_contract
from featureguard.gate.gate import check_frame

FAR = dt.datetime(9999, 12, 31, tzinfo=dt.timezone.utc)
BAD_ROW = 3


def _weather_table(weather_rows: pd.DataFrame, unit: str, value: dt.datetime = FAR, tz: str = "UTC") -> pa.Table:
    table = pa.Table.from_pandas(weather_rows, preserve_index=False).replace_schema_metadata(None)
    times = [t.to_pydatetime() for t in weather_rows["time_hour"]]
    times[BAD_ROW] = value
    column = pa.array(times, pa.timestamp(unit, "UTC")).cast(pa.timestamp(unit, tz))
    return table.set_column(table.schema.get_field_index("time_hour"), "time_hour", column)


@pytest.mark.parametrize("unit", ["s", "ms", "us"])
@pytest.mark.parametrize("value", [FAR, dt.datetime(1500, 1, 1, tzinfo=dt.timezone.utc)])
def test_the_gate_quarantines_the_row_and_keeps_the_rest(weather_rows, unit, value):
    frame = _weather_table(weather_rows, unit, value).to_pandas()
    assert str(frame["time_hour"].dtype) == f"datetime64[{unit}, UTC]"
    result = check_frame(get_contract("weather"), frame)
    assert result.batch_ok
    assert result.rejected.index.tolist() == [BAD_ROW]
    assert len(result.accepted) == len(frame) - 1
    assert str(result.accepted["time_hour"].dtype) == "datetime64[ns, UTC]"
    (failure,) = [f for f in result.failures if f.check == "timestamp_range"]
    assert failure.column == "time_hour" and failure.rows == [BAD_ROW]
    assert failure.examples[0]["row"] == BAD_ROW and failure.examples[0]["value"].startswith(str(value.year))
    assert "outside the supported range" in failure.message and "2262-04-11" in failure.message


def test_other_zones_are_judged_in_utc(weather_rows):
    frame = _weather_table(weather_rows, "us", tz="America/New_York").to_pandas()
    result = check_frame(get_contract("weather"), frame)
    assert result.rejected.index.tolist() == [BAD_ROW]
    assert result.accepted["time_hour"].tolist() == weather_rows["time_hour"].drop(index=BAD_ROW).tolist()
