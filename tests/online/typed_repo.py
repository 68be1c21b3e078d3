"""A small Feast repo with every value type contracts allow, for differential tests of the reader.

Views: ``typed`` (one string key; int32/int64/float32/float64/bool/string/bytes/unix timestamp
features, nulls in every column), ``counters`` (one int64 key, a TTL), ``pairs`` (a composite
string + int64 key, no TTL). Rows are written as Parquet for Feast's file offline store and
materialized by stock Feast with its local engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tests.typed_values import as_feast_types

NOW = datetime.now(timezone.utc).replace(microsecond=0)
OLD = NOW - timedelta(days=3)  # older than the counters TTL (1 day)
FRESH = NOW - timedelta(hours=1)

AIRPORTS = ["JFK", "LGA", "EWR", "ÆØÅ-ü", "", "a{b}c"]  # unicode, empty, a hash tag in the key
COUNTER_IDS = [1, 2, 3, -7, 2**40]


def typed_frame() -> pd.DataFrame:
    """Every type, with nulls; two rows per airport for JFK (the newer must win)."""
    rows = []
    for i, airport in enumerate(AIRPORTS):
        null = i == 3  # one entity with every feature null
        rows.append({
            "airport": airport,
            "ts": FRESH - timedelta(minutes=i),
            "i32": None if null else np.int32(i * 1000 - 2),
            "i64": None if null else 2**40 + i,
            "f32": None if null else np.float32(i + 0.1),
            "f64": None if null else (float("nan") if i == 4 else i * 1.5),
            "flag": None if null else bool(i % 2),
            "name": None if null else f"name-{airport}",
            "blob": None if null else bytes([i, 0, 255]),
            "seen": None if null else NOW - timedelta(days=i, seconds=i),
        })
    rows.append({**rows[0], "ts": FRESH - timedelta(hours=5), "i64": -1, "name": "older"})
    return as_feast_types(pd.DataFrame(rows))


def counters_frame() -> pd.DataFrame:
    stamps = [FRESH, OLD, FRESH - timedelta(hours=20), OLD, FRESH]
    frame = pd.DataFrame({"counter_id": COUNTER_IDS, "ts": stamps, "hits": [10, 20, 30, 40, 50],
                          "ratio": [0.5, None, 0.25, 1.0, 2.0]})
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame


def pairs_frame() -> pd.DataFrame:
    frame = pd.DataFrame({"airport": ["JFK", "JFK", "LGA"], "counter_id": [1, 2, 1],
                          "ts": [OLD, FRESH, FRESH], "score": [1.0, 2.0, 3.0], "label": ["a", "b", None]})
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame


@dataclass
class TypedRepo:
    path: Path
    store: Any

    def materialize(self) -> None:
        self.store.materialize(start_date=NOW - timedelta(days=30), end_date=NOW + timedelta(seconds=1))


def feature_store_yaml(path: Path, online_store: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump({
        "project": "typedrepo",
        "provider": "local",
        "registry": str(path / "registry.db"),
        "online_store": online_store,
        "offline_store": {"type": "file"},
        "batch_engine": "local",  # stock Feast materialization, explicitly
        "entity_key_serialization_version": 3,
    })


def build(path: Path, online_store: dict[str, Any]) -> TypedRepo:
    """Writes the data and the repo config, applies the definitions; returns the store."""
    from feast import Entity, FeatureService, FeatureStore, FeatureView, Field, FileSource
    from feast.types import Bool, Bytes, Float32, Float64, Int32, Int64, String, UnixTimestamp
    from feast.value_type import ValueType

    path.mkdir(parents=True, exist_ok=True)
    for name, frame in (("typed", typed_frame()), ("counters", counters_frame()), ("pairs", pairs_frame())):
        frame.to_parquet(path / f"{name}.parquet", index=False)
    (path / "feature_store.yaml").write_text(feature_store_yaml(path, online_store))

    airport = Entity(name="airport", join_keys=["airport"], value_type=ValueType.STRING)
    counter = Entity(name="counter", join_keys=["counter_id"], value_type=ValueType.INT64)

    def source(name: str) -> FileSource:
        return FileSource(name=f"{name}_source", path=str(path / f"{name}.parquet"), timestamp_field="ts")

    typed = FeatureView(name="typed", entities=[airport], ttl=timedelta(0), source=source("typed"), schema=[
        Field(name="airport", dtype=String), Field(name="i32", dtype=Int32), Field(name="i64", dtype=Int64),
        Field(name="f32", dtype=Float32), Field(name="f64", dtype=Float64), Field(name="flag", dtype=Bool),
        Field(name="name", dtype=String), Field(name="blob", dtype=Bytes), Field(name="seen", dtype=UnixTimestamp)])
    counters = FeatureView(name="counters", entities=[counter], ttl=timedelta(days=1), source=source("counters"),
                           schema=[Field(name="counter_id", dtype=Int64), Field(name="hits", dtype=Int64),
                                   Field(name="ratio", dtype=Float64)])
    pairs = FeatureView(name="pairs", entities=[airport, counter], ttl=timedelta(0), source=source("pairs"),
                        schema=[Field(name="airport", dtype=String), Field(name="counter_id", dtype=Int64),
                                Field(name="score", dtype=Float64), Field(name="label", dtype=String)])
    everything = FeatureService(name="everything", features=[typed, counters, pairs])
    aliased = FeatureService(name="aliased", features=[typed[["f64", "name"]].with_name("t2"), counters[["hits"]]])
    store = FeatureStore(repo_path=str(path))
    store.apply([airport, counter, typed, counters, pairs, everything, aliased])
    return TypedRepo(path, store)
