"""A small synthetic Feast repo with every value type contracts allow, opened twice: once with
Feast's own local engine, once with ours, on the same Parquet data and the same offline store.

Views: ``typed`` (string key; int32/int64/float32/float64/bool/string/bytes/unix-timestamp
features, nulls and NaN, several rows per entity), ``pairs`` (composite key declared out of name
order: ``zone`` string + ``counter_id`` int64), ``gates`` (int32 key, timestamps with
microseconds and before 1970).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tests.typed_values import as_feast_types

PROJECT = "matrepo"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)
START, END = NOW - timedelta(days=3650 * 6), NOW + timedelta(seconds=1)
AIRPORTS = ["JFK", "LGA", "EWR", "ÆØÅ-ü", "", "a{b}c", "ORD", "SFO", "x" * 300]
BULK = "featureguard.materialize.BulkRedisComputeEngine"
#: offline stores the engine is checked on: ours, and Feast's own duckdb and file (dask) stores
OURS = "featureguard.offline_store.AsofOfflineStore"
OFFLINE_STORES = {"ours": OURS, "duckdb": "duckdb", "file": "file"}


def typed_frame(offset: float = 0.0) -> pd.DataFrame:
    """Every type with nulls; each airport also has an older row that must lose."""
    rows = []
    for i, airport in enumerate(AIRPORTS):
        null = i == 3  # one entity with every feature null
        ts = NOW - timedelta(minutes=i, microseconds=i * 7)
        rows.append({
            "airport": airport, "ts": ts,
            "i32": None if null else np.int32(i * 1000 - 2) if i != 5 else np.int32(-2**31),
            "i64": None if null else 2**40 + i if i != 6 else -(2**52),
            "f32": None if null else np.float32(i + 0.1 + offset),
            "f64": None if null else (float("nan") if i == 4 else i * 1.5 + offset),
            "flag": None if null else bool(i % 2),
            "name": None if null else ("" if i == 2 else f"name-{airport}-{offset}"),
            "blob": None if null else bytes([i, 0, 255]) * (i + 1),
            "seen": None if null else NOW - timedelta(days=400 * i, seconds=i, microseconds=500),
        })
        rows.append({**rows[-1], "ts": ts - timedelta(hours=5), "i64": -1, "name": "older"})
    return as_feast_types(pd.DataFrame(rows))


def pairs_frame() -> pd.DataFrame:
    frame = pd.DataFrame({"zone": ["n", "n", "s", "s", "é"], "counter_id": [1, 2, 1, 2**62, -5],
                          "ts": [NOW - timedelta(hours=h) for h in (1, 2, 3, 4, 5)],
                          "score": [1.0, 2.0, 3.0, None, -0.0], "label": ["a", "b", None, "d", "e"]})
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame


def gates_frame() -> pd.DataFrame:
    stamps = [NOW - timedelta(microseconds=1), datetime(1969, 7, 20, 20, 17, 40, 123456, tzinfo=timezone.utc),
              datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=999_999), NOW]
    frame = pd.DataFrame({"gate": np.array([1, -1, 2**31 - 1, 0], dtype="int32"), "ts": stamps,
                          "open": [True, False, True, None], "load": np.array([0.5, 0.25, 1e-30, 3], dtype="float32")})
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame


def totals_frame() -> pd.DataFrame:
    """The entity-less view's rows: no key column; the newest inside the window wins (one row is
    after ``END``, one is the newest before ``CUT``)."""
    stamps = [NOW - timedelta(hours=2), NOW - timedelta(minutes=1, microseconds=3), NOW + timedelta(days=1),
              NOW - timedelta(days=9), NOW - timedelta(hours=5, minutes=30)]
    frame = pd.DataFrame({"ts": stamps, "flights": [10, 12, 99, 3, 11], "delay": np.array([1.5, 2.5, 9, 0.5, np.nan]),
                          "busiest": ["JFK", "ÆØÅ-ü", "late", "old", "EWR"]})
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame


FRAMES = {"typed": typed_frame, "pairs": pairs_frame, "gates": gates_frame, "totals": totals_frame}
#: a window end that keeps the totals row of 5 h 30 min before NOW and cuts the newer ones
CUT = NOW - timedelta(hours=4, minutes=59)


def write_data(data: Path, frames: dict[str, pd.DataFrame] | None = None, part: str = "part-0") -> None:
    """One Parquet part per source directory (the layout ingestion writes)."""
    for name, frame in (frames or {n: f() for n, f in FRAMES.items()}).items():
        (data / name).mkdir(parents=True, exist_ok=True)
        frame.to_parquet(data / name / f"{part}.parquet", index=False)


def objects(data: Path, tags: dict[str, dict[str, str]] | None = None, entityless: bool = False) -> list:
    """The repo's objects; with ``entityless`` also ``totals``, a view without entities."""
    from feast import Entity, FeatureView, Field, FileSource
    from feast.data_format import ParquetFormat
    from feast.types import Bool, Bytes, Float32, Float64, Int32, Int64, String, UnixTimestamp
    from feast.value_type import ValueType

    tags = tags or {}
    airport = Entity(name="airport", join_keys=["airport"], value_type=ValueType.STRING)
    zone = Entity(name="zone", join_keys=["zone"], value_type=ValueType.STRING)
    counter = Entity(name="counter", join_keys=["counter_id"], value_type=ValueType.INT64)
    gate = Entity(name="gate", join_keys=["gate"], value_type=ValueType.INT32)

    def source(name: str) -> FileSource:  # a directory of parts; stock duckdb needs the format named
        return FileSource(name=f"{name}_source", path=str(data / name), timestamp_field="ts",
                          file_format=ParquetFormat())

    def view(name: str, entities: list, fields: list) -> FeatureView:
        return FeatureView(name=name, entities=entities, ttl=timedelta(0), source=source(name), schema=fields,
                           online=True, tags=tags.get(name, {}))

    typed = view("typed", [airport], [
        Field(name="airport", dtype=String), Field(name="i32", dtype=Int32), Field(name="i64", dtype=Int64),
        Field(name="f32", dtype=Float32), Field(name="f64", dtype=Float64), Field(name="flag", dtype=Bool),
        Field(name="name", dtype=String), Field(name="blob", dtype=Bytes), Field(name="seen", dtype=UnixTimestamp)])
    pairs = view("pairs", [zone, counter], [
        Field(name="zone", dtype=String), Field(name="counter_id", dtype=Int64),
        Field(name="score", dtype=Float64), Field(name="label", dtype=String)])
    gates = view("gates", [gate], [Field(name="gate", dtype=Int32), Field(name="open", dtype=Bool),
                                   Field(name="load", dtype=Float32)])
    totals = view("totals", [], [Field(name="flights", dtype=Int64), Field(name="delay", dtype=Float64),
                                 Field(name="busiest", dtype=String)])
    return [airport, zone, counter, gate, typed, pairs, gates, *([totals] if entityless else [])]


@dataclass
class Repo:
    path: Path
    store: Any

    def materialize(self, start: datetime = START, end: datetime = END, views: list[str] | None = None) -> None:
        self.store.materialize(start_date=start, end_date=end, feature_views=views)

    @property
    def engine(self) -> Any:
        return self.store._get_provider().batch_engine


def open_repo(path: Path, data: Path, online_store: dict[str, Any], engine: str | dict[str, Any],
              tags: dict[str, dict[str, str]] | None = None, offline: str = OURS,
              entityless: bool = False) -> Repo:
    """A FeatureStore with its own registry over ``data``; objects applied."""
    from feast import FeatureStore, RepoConfig

    path.mkdir(parents=True, exist_ok=True)
    config = RepoConfig(
        repo_path=path, project=PROJECT, provider="local", registry=str(path / "registry.db"),
        online_store=online_store, offline_store={"type": offline},
        batch_engine=engine, entity_key_serialization_version=3,
    )
    store = FeatureStore(config=config)
    store.apply(objects(data, tags, entityless))
    return Repo(path, store)


def redis_store(connection_string: str, **extra: Any) -> dict[str, Any]:
    return {"type": "redis", "connection_string": connection_string, **extra}


def bulk(**settings: Any) -> dict[str, Any]:
    return {"type": BULK, **settings}


def dump(client: Any) -> dict[bytes, dict[bytes, bytes]]:
    """Every hash in a Redis (or cluster) database, raw."""
    keys = list(client.scan_iter(count=1000))
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.hgetall(key)
    return dict(zip(keys, pipe.execute()))


def entity_rows() -> list[dict[str, Any]]:
    return [{"airport": a} for a in [*AIRPORTS, "nope"]]
