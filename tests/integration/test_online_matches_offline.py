"""What materialization puts in Redis equals the newest accepted offline row of each entity."""

from __future__ import annotations

import pandas as pd
import pytest

from featureguard.contracts import get_contract
from featureguard.ingest.storage import read_offline


def _latest(frame: pd.DataFrame, keys: list[str], ts: str) -> pd.DataFrame:
    return frame.sort_values(ts).groupby(keys, as_index=False).tail(1).set_index(keys)


def _online(loop, features: list[str], rows: list[dict]) -> dict:
    return loop.store.get_online_features(features=features, entity_rows=rows).to_dict()


def _same(a, b) -> bool:
    return (a is None or (isinstance(a, float) and pd.isna(a))) and pd.isna(b) or a == pytest.approx(b)


@pytest.mark.parametrize("origin", ["EWR", "JFK", "LGA"])
def test_weather_online_equals_latest_offline(loop, origin):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FEATUREGUARD_HOME", str(loop.home))
        stored = read_offline("weather")
    contract = get_contract("weather")
    expected = _latest(stored, ["origin"], "time_hour").loc[origin]
    got = _online(loop, [f"weather_hourly:{c}" for c in contract.feature_columns], [{"origin": origin}])
    for column in contract.feature_columns:
        assert _same(got[column][0], expected[column]), (origin, column, got[column][0], expected[column])


def test_every_plane_online_equals_offline(loop):
    contract = get_contract("planes")
    planes = loop.planes.set_index("tailnum")
    sample = planes.index[:: max(1, len(planes) // 200)].tolist()
    got = _online(loop, [f"plane_attributes:{c}" for c in contract.feature_columns], [{"tailnum": t} for t in sample])
    for i, tailnum in enumerate(sample):
        for column in contract.feature_columns:
            assert _same(got[column][i], planes.loc[tailnum, column]), (tailnum, column)


def test_compound_key_route_online_equals_latest_offline(loop):
    d = _latest(loop.route_delays, ["carrier", "origin", "dest"], "day_end")
    keys = d.index[:50].tolist()
    rows = [dict(zip(["carrier", "origin", "dest"], k)) for k in keys]
    got = _online(loop, ["route_delay_history:flights_7d", "route_delay_history:dep_delay_mean_7d"], rows)
    for i, key in enumerate(keys):
        assert got["flights_7d"][i] == d.loc[key, "flights_7d"]
        assert _same(got["dep_delay_mean_7d"][i], d.loc[key, "dep_delay_mean_7d"])


def test_unknown_entity_reads_as_missing(loop):
    got = _online(loop, ["plane_attributes:seats"], [{"tailnum": "N0NE"}])
    assert got["seats"] == [None]
