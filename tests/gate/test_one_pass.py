"""Pandera runs once per batch: the accepted rows are the frame it coerced and checked, minus the
failing rows, and they pass the contract without a second or third validation."""

from __future__ import annotations

import pandas as pd
import pytest

from featureguard.contracts import get_contract
from featureguard.gate.gate import check_frame


@pytest.fixture()
def validations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Row counts of every pandera validation of the weather contract while the test runs."""
    schema = get_contract("weather").schema
    real = schema.validate
    seen: list[int] = []

    def counted(frame, *args, **kwargs):
        seen.append(len(frame))
        return real(frame, *args, **kwargs)

    monkeypatch.setattr(schema, "validate", counted)
    return seen


def _partial(weather_rows: pd.DataFrame) -> pd.DataFrame:
    rows = weather_rows.copy()
    rows.loc[[2, 7], "wind_speed"] = 1048.0  # a broken sensor, as in the real feed
    rows.loc[11, "dewp"] = rows.loc[11, "temp"] + 5  # a frame-level check
    rows.loc[13] = rows.loc[12]  # a duplicate key: both rows fail uniqueness
    rows.loc[4, "origin"] = "XYZ"
    return rows


def test_a_partial_batch_is_validated_once(weather_rows, validations):
    rows = _partial(weather_rows)
    result = check_frame(get_contract("weather"), rows)
    assert result.batch_ok and result.rejected.index.tolist() == [2, 4, 7, 11, 12, 13]
    assert validations == [len(rows)]


def test_a_clean_batch_is_validated_once(weather_rows, validations):
    result = check_frame(get_contract("weather"), weather_rows)
    assert len(result.accepted) == len(weather_rows) and validations == [len(weather_rows)]


def test_rows_held_back_before_pandera_are_not_validated_again(weather_rows, validations):
    rows = weather_rows.copy()
    rows["time_hour"] = rows["time_hour"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    rows.loc[5, "time_hour"] = "2013-01-01"  # no zone: the gate refuses it before pandera runs
    result = check_frame(get_contract("weather"), rows)
    assert result.rejected.index.tolist() == [5]
    assert validations == [len(rows) - 1]


def test_the_accepted_rows_pass_the_contract_as_typed(weather_rows):
    contract = get_contract("weather")
    rows = _partial(weather_rows)
    result = check_frame(contract, rows)
    accepted = result.accepted
    assert accepted.index.tolist() == [i for i in range(len(rows)) if i not in (2, 4, 7, 11, 12, 13)]
    contract.schema.validate(accepted, lazy=True)  # raises SchemaErrors naming any failing row
    # typed exactly as a fresh validation of just the good rows would type them
    expected = contract.schema.validate(rows.drop(index=[2, 4, 7, 11, 12, 13]))
    pd.testing.assert_frame_equal(accepted, expected, check_dtype=True)
