"""Tie verdicts are remembered per file set and forgotten the moment the files change."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pandas as pd
from feast import FeatureStore, FeatureView, Field, FileSource
from feast.types import Float64

from featureguard.offline_store import ties
from tests.offline_store.world import driver, local_store

T0 = pd.Timestamp("2024-05-01T00:00:00Z")


def _store(tmp: Path, folder: Path) -> FeatureStore:
    source = FileSource(name="tie_src", path=str(folder), timestamp_field="event_ts", created_timestamp_column="created")
    view = FeatureView(name="tie_view", entities=[driver], ttl=timedelta(days=1),
                       schema=[Field(name="conv", dtype=Float64)], source=source)
    return local_store(tmp, "ties", [driver, view])


def _part(folder: Path, name: str, drivers: list[int], created: pd.Timestamp, conv: float) -> None:
    frame = pd.DataFrame({"driver_id": drivers, "event_ts": [T0] * len(drivers),
                          "created": [created] * len(drivers), "conv": [conv] * len(drivers)})
    frame.to_parquet(folder / name, index=False)


def _conv(store: FeatureStore, drivers: list[int]) -> list[float]:
    # More entity rows than feature rows, so the retrieval asks whether the source has ties.
    entities = pd.DataFrame({"driver_id": drivers * 4, "event_timestamp": [T0 + pd.Timedelta(hours=1)] * (4 * len(drivers))})
    return store.get_historical_features(entity_df=entities, features=["tie_view:conv"]).to_df()["conv"].tolist()


def test_a_new_part_file_with_a_tie_is_seen_and_the_newer_created_value_wins(tmp_path):
    folder = tmp_path / "offline"
    folder.mkdir()
    _part(folder, "part-0.parquet", [1, 2], T0, 0.1)
    store = _store(tmp_path, folder)
    assert _conv(store, [1, 2]) == [0.1] * 8
    files = [str(folder / "part-0.parquet")]
    assert ties.known((ties.fingerprint(files), (("driver_id", "driver_id"),), "event_ts")) is False

    # A correction re-sent for the same (driver, event time) with a later created time.
    _part(folder, "part-1.parquet", [1, 2], T0 + pd.Timedelta(minutes=5), 0.9)
    assert _conv(store, [1, 2]) == [0.9] * 8


def test_a_file_replaced_by_rename_changes_the_fingerprint(tmp_path):
    path = tmp_path / "part-0.parquet"
    _part(tmp_path, "part-0.parquet", [1], T0, 0.1)
    before = ties.fingerprint([str(path)])
    _part(tmp_path, ".staging.parquet", [1], T0, 0.1)  # same rows, same size
    os.replace(tmp_path / ".staging.parquet", path)
    assert ties.fingerprint([str(path)]) != before
    assert ties.fingerprint(["s3://bucket/part-0.parquet"]) is None
    assert ties.fingerprint([str(tmp_path / "gone.parquet")]) is None


def test_verdicts_are_bounded():
    for i in range(ties._LIMIT + 10):
        ties.remember(("bounded", i), False)
    assert ties.known(("bounded", 0)) is None
    assert ties.known(("bounded", ties._LIMIT + 9)) is False
