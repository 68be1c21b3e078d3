"""Text timestamps through the pipeline: a date without a time or zone is a row failure from CSV and JSON.

The shapes themselves are judged by the gate (tests/gate/test_timestamp_text.py).
"""

from __future__ import annotations

from featureguard.ingest.pipeline import validate_bytes


def test_a_date_only_weather_row_is_invalid_from_csv_and_json(fg_home, weather_rows):
    rows = weather_rows.head(3).copy()
    rows["time_hour"] = rows["time_hour"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    rows.loc[1, "time_hour"] = "2013-01-01"
    for data, fmt in ((rows.to_csv(index=False).encode(), "csv"),
                      (rows.to_json(orient="records", lines=True).encode(), "json")):
        report = validate_bytes("weather", data, fmt)
        assert (report.status, report.valid, report.invalid) == ("invalid", 2, 1), report.errors
        (error,) = report.errors
        assert (error["column"], error["check"]) == ("time_hour", "timezone_aware")
        assert error["examples"] == [{"row": 1, "value": "2013-01-01"}]
