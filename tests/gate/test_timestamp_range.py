"""Typed Parquet/Arrow timestamps a nanosecond timestamp cannot hold are row failures, not a crash.

A ``timestamp[us, UTC]`` of 9999-12-31 is valid Parquet; it used to escape the gate as an
``OutOfBoundsDatetime`` traceback (CLI exit 1, no receipt; HTTP 500).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from featureguard.contracts import get_contract
from featureguard.gate.gate import check_frame
from featureguard.ingest.pipeline import ingest_file, validate_file
from featureguard.ingest.receipts import ReceiptStore
from featureguard.settings import receipts_path, staging_path

FAR = dt.datetime(9999, 12, 31, tzinfo=dt.timezone.utc)
BAD_ROW = 3


def _weather_table(weather_rows: pd.DataFrame, unit: str, value: dt.datetime = FAR, tz: str = "UTC") -> pa.Table:
    table = pa.Table.from_pandas(weather_rows, preserve_index=False).replace_schema_metadata(None)
    times = [t.to_pydatetime() for t in weather_rows["time_hour"]]
    times[BAD_ROW] = value
    column = pa.array(times, pa.timestamp(unit, "UTC")).cast(pa.timestamp(unit, tz))
    return table.set_column(table.schema.get_field_index("time_hour"), "time_hour", column)


def _range_error(errors):
    found = [e for e in errors if e["check"] == "timestamp_range"]
    assert len(found) == 1, errors
    return found[0]


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


@pytest.mark.parametrize("fmt", ["parquet", "arrow"])
def test_validate_and_ingest_a_file_report_a_row_failure(fg_home, tmp_path, weather_rows, fmt):
    path = tmp_path / f"far.{fmt}"
    table = _weather_table(weather_rows, "us")
    pq.write_table(table, path) if fmt == "parquet" else feather.write_feather(table, path)

    report = validate_file("weather", path)
    assert (report.status, report.invalid, report.valid) == ("invalid", 1, len(weather_rows) - 1)
    error = _range_error(report.errors)
    assert error["column"] == "time_hour" and error["examples"][0]["row"] == BAD_ROW

    receipt = ingest_file("weather", path)
    assert (receipt.status, receipt.quarantined, receipt.accepted) == ("partial", 1, len(weather_rows) - 1)
    assert _range_error(receipt.errors)["count"] == 1
    assert ReceiptStore(receipts_path(), staging_path()).get(receipt.batch_id) is not None
    quarantined = pd.read_parquet(receipt.quarantine_path)
    assert quarantined["_row"].tolist() == [BAD_ROW]
    assert "timestamp_range" in quarantined["_reason"].iloc[0]


def test_the_text_form_of_the_same_date_gets_the_same_verdict(fg_home, tmp_path, weather_rows):
    text = weather_rows.copy()
    text["time_hour"] = text["time_hour"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    text.loc[BAD_ROW, "time_hour"] = "9999-12-31T00:00:00Z"
    path = tmp_path / "far.csv"
    text.to_csv(path, index=False)
    report = validate_file("weather", path)
    assert report.invalid == 1
    error = _range_error(report.errors)
    assert error["examples"] == [{"row": BAD_ROW, "value": "9999-12-31T00:00:00Z"}]
