"""Daily and trailing 7-day departure delays per carrier and route, from raw flights.

A day is the local (America/New_York) calendar day of the scheduled departure; its row is stamped
with the end of that day in UTC, the first moment the aggregate is known. Cancelled flights
(no departure delay) count towards ``flights`` and ``cancelled_share`` but not the means.
"""

from __future__ import annotations

import pandas as pd

KEYS = ["carrier", "origin", "dest"]
LOCAL_TZ = "America/New_York"
DELAYED_MINUTES = 15.0


def route_delays(flights: pd.DataFrame) -> pd.DataFrame:
    """``flights`` needs year, month, day, carrier, origin, dest and dep_delay columns."""
    f = flights.assign(
        date=pd.to_datetime(flights[["year", "month", "day"]]),
        delayed=(flights["dep_delay"] > DELAYED_MINUTES).astype("int64"),
        cancelled=flights["dep_delay"].isna().astype("int64"),
    )
    daily = (
        f.groupby([*KEYS, "date"], sort=True)
        .agg(flights=("dep_delay", "size"), delay_sum=("dep_delay", "sum"),
             delay_n=("dep_delay", "count"), delayed=("delayed", "sum"), cancelled=("cancelled", "sum"))
        .reset_index()
    )
    rolled = (
        daily.set_index("date").groupby(KEYS)[["flights", "delay_sum", "delay_n"]]
        .rolling("7D").sum().reset_index()
        .rename(columns={"flights": "flights_7d", "delay_sum": "delay_sum_7d", "delay_n": "delay_n_7d"})
    )
    daily = daily.merge(rolled, on=[*KEYS, "date"], how="left", validate="one_to_one")
    n = daily["delay_n"].where(daily["delay_n"] > 0)
    n7 = daily["delay_n_7d"].where(daily["delay_n_7d"] > 0)
    day_end = (daily["date"] + pd.Timedelta(days=1)).dt.tz_localize(LOCAL_TZ).dt.tz_convert("UTC")
    return pd.DataFrame({
        "carrier": daily["carrier"],
        "origin": daily["origin"],
        "dest": daily["dest"],
        "day_end": day_end.astype("datetime64[ns, UTC]"),
        "flights": daily["flights"].astype("int64"),
        "dep_delay_mean": daily["delay_sum"] / n,
        "delayed_share": daily["delayed"] / n,
        "cancelled_share": daily["cancelled"] / daily["flights"],
        "dep_delay_mean_7d": daily["delay_sum_7d"] / n7,
        "flights_7d": daily["flights_7d"].astype("int64"),
    })
