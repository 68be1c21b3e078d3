"""Typed timestamps out of the nanosecond range through validate and ingest: a row failure, a receipt.

The gate's own verdict on them is tested in tests/gate/test_timestamp_range.py.
"""

from __future__ import annotations

import pandas as pd
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from featureguard.ingest.pipeline import ingest_file, validate_file
from featureguard.ingest.receipts import ReceiptStore
from featureguard.settings import receipts_path, staging_path
from tests.gate.test_timestamp_range import BAD_ROW, _weather_table


def _range_error(errors):
    found = [e for e in errors if e["check"] == "timestamp_range"]
    assert len(found) == 1, errors
    return found[0]


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
