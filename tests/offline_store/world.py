"""A small randomized feature world and two Feast stores over it: stock duckdb and ours.

Feature rows sit on an hour grid so TTL boundaries (entity time - feature time == TTL exactly)
and event-time ties are frequent; within a (key, event time) group created timestamps are
distinct, so Feast's own result is deterministic (a full tie has no defined winner anywhere).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from feast import Entity, FeatureService, FeatureStore, FeatureView, Field, FileSource, RepoConfig
from feast.types import Float64, Int64, String
from feast.value_type import ValueType

from hypothesis import HealthCheck, Phase, settings

OURS = {"type": "featureguard.offline_store.AsofOfflineStore"}
STOCK = {"type": "duckdb"}
T0 = pd.Timestamp("2024-03-01", tz="UTC")
HOURS = 24 * 6


def seeded(examples: int) -> settings:
    """Hypothesis draws seeds, not structures: shrinking a seed teaches nothing, so it is skipped."""
    return settings(
        max_examples=examples, deadline=None, derandomize=True, database=None,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=[HealthCheck.too_slow],
    )


def _created(rng: np.random.Generator, frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Distinct created times within each (key, event time) group; at most one null per group."""
    rank = frame.groupby(keys + ["event_ts"]).cumcount()
    minutes = rng.permutation(len(frame)) % 997  # spread, then made unique per group by rank
    created = frame["event_ts"] + pd.to_timedelta(minutes * 1000 + rank, unit="s")
    first = rank == 0
    created[first & (rng.random(len(frame)) < 0.15)] = pd.NaT
    return created


def _hours(rng: np.random.Generator, n: int) -> pd.Series:
    return T0 + pd.to_timedelta(rng.integers(0, HOURS, n), unit="h")


def _nullable(rng: np.random.Generator, values: np.ndarray, share: float = 0.1) -> np.ndarray:
    out = values.astype(object)
    out[rng.random(len(values)) < share] = None
    return out


def feature_frames(seed: int, rows: int = 400) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    drivers = pd.DataFrame({"driver_id": rng.integers(0, 25, rows), "event_ts": _hours(rng, rows)})
    drivers["created"] = _created(rng, drivers, ["driver_id"])
    drivers["conv"] = pd.array(_nullable(rng, rng.random(rows)), dtype="Float64").astype("float64")
    drivers["trips"] = pd.array(_nullable(rng, rng.integers(0, 500, rows)), dtype="Int64")
    drivers["tier"] = _nullable(rng, rng.choice(["gold", "silver", "bronze"], rows))
    stores = pd.DataFrame({
        "region": rng.choice(["north", "south", "east"], rows),
        "store_id": rng.integers(0, 6, rows),
        "event_ts": _hours(rng, rows),
    })
    stores["created"] = _created(rng, stores, ["region", "store_id"])
    stores["sales"] = rng.normal(1000, 300, rows)
    stores["open_hours"] = rng.integers(6, 24, rows)
    market = pd.DataFrame({"event_ts": _hours(rng, rows // 4)})
    market["created"] = _created(rng, market, [])
    market["index_level"] = rng.normal(100, 5, len(market))
    # No two rows share (key, event time) here: the plain event-time join path gets exercised.
    mapped = pd.DataFrame({"drv": rng.integers(0, 25, rows), "event_ts": _hours(rng, rows)})
    mapped = mapped.drop_duplicates(["drv", "event_ts"]).reset_index(drop=True)
    mapped["created"] = _created(rng, mapped, ["drv"])
    mapped["rating_raw"] = rng.integers(1, 6, len(mapped)).astype("float64")
    return {"drivers": drivers, "stores": stores, "market": market, "mapped": mapped}


def entity_frame(seed: int, rows: int = 300) -> pd.DataFrame:
    """Entity rows: some keys never seen, some times before any feature, some exact duplicates."""
    rng = np.random.default_rng(seed + 10_000)
    stamps = T0 + pd.to_timedelta(rng.integers(-12, HOURS + 48, rows), unit="h")
    off_grid = rng.random(rows) < 0.3
    stamps = stamps + pd.to_timedelta(np.where(off_grid, rng.integers(1, 3600, rows), 0), unit="s")
    frame = pd.DataFrame({
        "driver_id": rng.integers(0, 30, rows),  # 25..29 have no features
        "region": rng.choice(["north", "south", "east", "west"], rows),  # west has none
        "store_id": rng.integers(0, 7, rows),
        "event_timestamp": stamps,
        "peer_id": rng.integers(0, 30, rows),
        "label": rng.integers(0, 2, rows),
    })
    frame = pd.concat([frame, frame.sample(n=rows // 10, random_state=seed)], ignore_index=True)
    frame["row_id"] = np.arange(len(frame))
    return frame


def write_frames(frames: dict[str, pd.DataFrame], directory: Path) -> None:
    for name, frame in frames.items():
        frame.to_parquet(directory / f"{name}.parquet", index=False)


driver = Entity(name="driver", join_keys=["driver_id"], value_type=ValueType.INT64)
region = Entity(name="region", join_keys=["region"], value_type=ValueType.STRING)
store = Entity(name="store", join_keys=["store_id"], value_type=ValueType.INT64)


def _source(directory: Path, name: str, **kwargs) -> FileSource:
    return FileSource(
        name=f"{name}_src", path=str(directory / f"{name}.parquet"),
        timestamp_field="event_ts", created_timestamp_column="created", **kwargs,
    )


@dataclass
class Views:
    views: list[FeatureView]
    services: list[FeatureService]

    def __getitem__(self, name: str):
        return next(v for v in self.views if v.name == name)


def feature_views(directory: Path) -> Views:
    drivers = _source(directory, "drivers")
    driver_fields = [Field(name="conv", dtype=Float64), Field(name="trips", dtype=Int64), Field(name="tier", dtype=String)]

    def driver_view(name: str, ttl: timedelta) -> FeatureView:
        return FeatureView(name=name, entities=[driver], ttl=ttl, schema=driver_fields, source=drivers)

    views = [
        driver_view("driver_daily", timedelta(days=1)),
        driver_view("driver_hours", timedelta(hours=6)),
        driver_view("driver_forever", timedelta(0)),
        driver_view("driver_two_days", timedelta(days=2)),
        driver_view("driver_36h", timedelta(hours=36)),  # mixed units: stock duckdb cannot run it
        driver_view("driver_90m", timedelta(minutes=90)),
        FeatureView(
            name="store_sales", entities=[region, store], ttl=timedelta(days=2),
            schema=[Field(name="sales", dtype=Float64), Field(name="open_hours", dtype=Int64)],
            source=_source(directory, "stores"),
        ),
        FeatureView(
            name="market", entities=[], ttl=timedelta(hours=12),
            schema=[Field(name="index_level", dtype=Float64)], source=_source(directory, "market"),
        ),
        FeatureView(
            name="rating", entities=[driver], ttl=timedelta(days=1),
            schema=[Field(name="rating", dtype=Float64)],
            source=_source(directory, "mapped", field_mapping={"drv": "driver_id", "rating_raw": "rating"}),
        ),
        FeatureView(
            name="rating_plain", entities=[driver], ttl=timedelta(hours=8),
            schema=[Field(name="rating", dtype=Float64)],
            source=FileSource(  # no created-timestamp column at all
                name="mapped_plain_src", path=str(directory / "mapped.parquet"), timestamp_field="event_ts",
                field_mapping={"drv": "driver_id", "rating_raw": "rating"},
            ),
        ),
    ]
    by_name = {v.name: v for v in views}
    service = FeatureService(
        name="model_v1",
        features=[
            by_name["driver_daily"][["conv", "tier"]],
            by_name["store_sales"],
            by_name["market"],
            by_name["driver_hours"].with_name("recent")[["trips"]],
        ],
    )
    peers = FeatureService(
        name="peers",
        features=[
            # Both projections aliased: Feast cannot compare an aliased projection with a plain one.
            by_name["driver_daily"].with_name("own")[["conv"]],
            by_name["driver_daily"].with_name("peer").with_join_key_map({"driver_id": "peer_id"})[["conv", "tier"]],
        ],
    )
    return Views([*views, _conv_boost(by_name["driver_daily"])], [service, peers])


def _conv_boost(source_view: FeatureView):
    """An on-demand view over driver_daily:conv plus request data (the entity frame's label)."""
    from feast import RequestSource
    from feast.on_demand_feature_view import on_demand_feature_view

    request = RequestSource(name="label_request", schema=[Field(name="label", dtype=Int64)])

    @on_demand_feature_view(
        sources=[source_view[["conv"]], request],
        schema=[Field(name="conv_plus_label", dtype=Float64), Field(name="conv_doubled", dtype=Float64)],
        mode="pandas",
    )
    def conv_boost(inputs: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame()
        out["conv_plus_label"] = inputs["conv"] + inputs["label"]
        out["conv_doubled"] = inputs["conv"] * 2.0
        return out

    return conv_boost


def local_store(directory: Path, project: str, objects: list, offline: dict = OURS, tag: str = "",
                repo_path: Path | None = None) -> FeatureStore:
    """A Feast store with ``objects`` applied: SQLite online, ``offline`` (ours by default) offline,
    registry and online files in ``directory`` (suffixed by ``tag`` when several share it)."""
    suffix = f"-{tag}" if tag else ""
    config = RepoConfig(
        project=project,
        provider="local",
        registry=str(directory / f"registry{suffix}.db"),
        online_store={"type": "sqlite", "path": str(directory / f"online{suffix}.db")},
        offline_store=offline,
        entity_key_serialization_version=3,
        repo_path=str(repo_path or directory),
    )
    fs = FeatureStore(config=config)
    fs.apply(objects)
    return fs


def open_store(directory: Path, offline: dict, tag: str, views: Views) -> FeatureStore:
    return local_store(directory, "diff", [driver, region, store, *views.views, *views.services], offline, tag)
