"""Every bad-input class: a clear verdict naming column, check and examples; nothing lost."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pytest

from featureguard.contracts import UnknownSourceError
from featureguard.ingest.pipeline import ingest_bytes, validate_bytes
from featureguard.ingest.storage import read_offline
from featureguard.settings import data_home
from tests.support.files import tree_digest


def parquet(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%SZ").encode()


def jsonl(frame: pd.DataFrame) -> bytes:
    return frame.to_json(orient="records", lines=True, date_format="iso").encode()


def arrow(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    feather.write_feather(pa.Table.from_pandas(frame, preserve_index=False), buf)
    return buf.getvalue()


def _error(receipt_or_report, column, check_prefix):
    errors = receipt_or_report.errors
    found = [e for e in errors if e["column"] == column and e["check"].startswith(check_prefix)]
    assert found, f"no {column}:{check_prefix} in {errors}"
    return found[0]


@pytest.mark.parametrize("encode,fmt", [(parquet, "parquet"), (csv, "csv"), (jsonl, "json"), (arrow, "arrow")])
def test_every_format_accepts_a_clean_real_batch(fg_home, weather_rows, encode, fmt):
    receipt = ingest_bytes("weather", encode(weather_rows), fmt, f"b.{fmt}")
    assert receipt.status == "accepted" and receipt.accepted == len(weather_rows) == receipt.received
    stored = read_offline("weather")
    assert len(stored) == len(weather_rows)
    assert str(stored["time_hour"].dtype) == "datetime64[ns, UTC]"
    assert stored["contract_version"].unique().tolist() == ["1.0.0"]


@pytest.mark.parametrize("column,value,check", [
    ("humid", 140.0, "in_range"),
    ("wind_dir", -5.0, "in_range"),
    ("humid", np.inf, "in_range"),
    ("visib", np.nan, "not_nullable"),
    ("origin", "BOS", "isin"),
    ("dewp", 99.0, "dewp_not_above_temp"),
])
def test_row_violations_are_quarantined_with_reason(fg_home, weather_rows, column, value, check):
    bad = weather_rows.copy()
    bad.loc[7, column] = value
    receipt = ingest_bytes("weather", parquet(bad), "parquet", "bad.parquet")
    assert (receipt.status, receipt.accepted, receipt.quarantined) == ("partial", len(bad) - 1, 1)
    error = next(e for e in receipt.errors if check in e["check"])
    assert error["count"] == 1 and error["examples"][0]["row"] == 7
    quarantined = pd.read_parquet(receipt.quarantine_path)
    assert quarantined["_row"].tolist() == [7] and check in quarantined["_reason"].iloc[0]
    assert len(read_offline("weather")) == len(bad) - 1


def test_duplicate_key_and_timestamp_quarantines_both_rows(fg_home, weather_rows):
    dup = pd.concat([weather_rows, weather_rows.iloc[[3]]], ignore_index=True)
    receipt = ingest_bytes("weather", parquet(dup), "parquet", "dup.parquet")
    assert receipt.quarantined == 2 and receipt.accepted == len(dup) - 2
    assert {e["check"] for e in receipt.errors} == {"multiple_fields_uniqueness"}
    assert sorted(pd.read_parquet(receipt.quarantine_path)["_row"]) == [3, len(dup) - 1]


def test_naive_text_timestamps_are_row_failures_never_guessed(fg_home, weather_rows):
    text = weather_rows.copy()
    text["time_hour"] = text["time_hour"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    text.loc[5, "time_hour"] = "2013-01-01 05:00:00"
    text.loc[6, "time_hour"] = "yesterday"
    report = validate_bytes("weather", csv(text), "csv")
    assert report.status == "invalid" and report.invalid == 2
    assert _error(report, "time_hour", "timezone_aware")["examples"][0] == {"row": 5, "value": "2013-01-01 05:00:00"}
    assert _error(report, "time_hour", "timestamp_format")["examples"][0]["row"] == 6


def test_other_timezones_are_converted_to_utc(fg_home, weather_rows):
    local = weather_rows.copy()
    local["time_hour"] = local["time_hour"].dt.tz_convert("America/New_York")
    receipt = ingest_bytes("weather", parquet(local), "parquet")
    assert receipt.status == "accepted"
    assert read_offline("weather")["time_hour"].tolist() == weather_rows["time_hour"].tolist()


@pytest.mark.parametrize("mutate,check", [
    (lambda f: f.drop(columns=["humid"]), "column_in_dataframe"),
    (lambda f: f.assign(extra=1), "column_in_schema"),
    (lambda f: f.assign(temp="warm"), "coerce_dtype"),
    (lambda f: f.assign(time_hour=f["time_hour"].dt.tz_localize(None)), "timezone_aware"),
])
def test_schema_problems_reject_the_batch_and_change_nothing(fg_home, weather_rows, mutate, check):
    ingest_bytes("weather", parquet(weather_rows.head(50)), "parquet", "first.parquet")
    before = tree_digest(data_home() / "offline")
    receipt = ingest_bytes("weather", parquet(mutate(weather_rows)), "parquet", "broken.parquet")
    assert receipt.status == "rejected" and receipt.accepted == 0
    assert receipt.quarantined == receipt.received == len(weather_rows)
    assert any(e["check"].startswith(check) for e in receipt.errors), receipt.errors
    assert tree_digest(data_home() / "offline") == before
    assert receipt.quarantine_path.endswith(".rejected.parquet")


def test_strict_policy_rejects_on_any_violation(fg_home, weather_rows):
    bad = weather_rows.copy()
    bad.loc[0, "humid"] = 101.0
    receipt = ingest_bytes("weather", parquet(bad), "parquet", policy="strict")
    assert receipt.status == "rejected" and receipt.quarantined == len(bad)
    assert read_offline("weather").empty


@pytest.mark.parametrize("data,fmt", [
    (b"", "parquet"),
    (b"PAR1\x00\x01garbage", "parquet"),
    (b"[{\"origin\": ", "json"),
])
def test_unreadable_batches_are_rejected_and_kept_raw(fg_home, data, fmt):
    receipt = ingest_bytes("weather", data, fmt, f"x.{fmt}")
    assert receipt.status == "rejected" and receipt.received == 0
    assert receipt.errors[0]["check"] == "readable"
    assert read_offline("weather").empty
    if data:
        with open(receipt.quarantine_path, "rb") as handle:
            assert handle.read() == data


def test_truncated_parquet_is_rejected(fg_home, weather_rows):
    whole = parquet(weather_rows)
    receipt = ingest_bytes("weather", whole[: len(whole) // 2], "parquet", "cut.parquet")
    assert receipt.status == "rejected" and "not valid parquet" in receipt.errors[0]["message"]


def test_unknown_source_names_the_known_ones(fg_home):
    with pytest.raises(UnknownSourceError, match="sources in .*: planes, route_delays, weather"):
        validate_bytes("wether", b"x", "csv")


def test_identical_batch_is_a_no_op_returning_the_original_receipt(fg_home, weather_rows):
    data = parquet(weather_rows)
    first = ingest_bytes("weather", data, "parquet")
    before = tree_digest(data_home() / "offline")
    again = ingest_bytes("weather", data, "parquet")
    assert again.duplicate and again.batch_id == first.batch_id and again.received_at == first.received_at
    assert tree_digest(data_home() / "offline") == before
    assert len(read_offline("weather")) == len(weather_rows)
