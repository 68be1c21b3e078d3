"""Daily departure-delay history per carrier and route, derived from flights.

Produced by ``featureguard.transforms.route_delays`` and checked like any other batch. A day's row
is stamped with the end of that local (America/New_York) day in UTC, the moment it becomes
known, so a point-in-time join can never see the day it is predicting. Means are null when
every flight of the day was cancelled.
"""

from datetime import timedelta

import pandera.pandas as pa

from featureguard.contracts import contract, utc_timestamp_column
from featureguard.contracts.checks import register_check


@register_check
def window_covers_day(frame):
    return frame["flights_7d"] >= frame["flights"]


CONTRACT = contract(
    "route_delays",
    "1.0.0",
    owner="network-planning@featureguard.example",
    description="Daily and trailing 7-day departure delays per carrier, origin and destination.",
    entity_columns=("carrier", "origin", "dest"),
    timestamp_column="day_end",
    columns={
        "carrier": pa.Column(str, pa.Check.str_matches(r"^[0-9A-Z]{2}$"), nullable=False),
        "origin": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{3}$"), nullable=False),
        "dest": pa.Column(str, pa.Check.str_matches(r"^[A-Z0-9]{3}$"), nullable=False),
        "day_end": utc_timestamp_column(),
        "flights": pa.Column(int, pa.Check.ge(1), nullable=False),
        "dep_delay_mean": pa.Column(float, pa.Check.in_range(-120.0, 1440.0), nullable=True),
        "delayed_share": pa.Column(float, pa.Check.in_range(0.0, 1.0), nullable=True),
        "cancelled_share": pa.Column(float, pa.Check.in_range(0.0, 1.0), nullable=False),
        "dep_delay_mean_7d": pa.Column(float, pa.Check.in_range(-120.0, 1440.0), nullable=True),
        "flights_7d": pa.Column(int, pa.Check.ge(1), nullable=False),
    },
    checks=[
        pa.Check.window_covers_day(description="7-day flight count cannot be below the day's count"),
    ],
    feature_ttl=timedelta(days=7),
    max_age=timedelta(days=2),
)
