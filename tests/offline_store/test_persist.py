"""Saved datasets by Feast's file-store rules, side by side with Feast's file store.

A saved-dataset path ending in ``.parquet`` is one file; any other path is a directory to write
a Parquet dataset into (Feast's own test hands over a fresh ``mkdtemp`` directory); a relative
path belongs to the repo, not to whatever directory the process runs in.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from feast import FeatureView, Field, FileSource
from feast.errors import SavedDatasetLocationAlreadyExists
from feast.infra.offline_stores.file_source import SavedDatasetFileStorage
from feast.types import Float64

from tests.offline_store.reference import assert_same_values
from tests.offline_store.world import OURS, T0, driver, local_store

FILE = {"type": "file"}  # Feast's file store (Dask)
FEATURES = ["persisted:conv"]


def _store(directory: Path, offline: dict, tag: str):
    rows = pd.DataFrame({
        "driver_id": [1, 2, 3, 1, 2], "conv": [0.1, 0.2, 0.3, 0.4, 0.5],
        "event_ts": [T0, T0, T0, T0 + timedelta(hours=2), T0 + timedelta(hours=2)],
    })
    rows["created"] = rows["event_ts"]
    source_path = directory / "conv.parquet"
    rows.to_parquet(source_path, index=False)
    source = FileSource(name="p_src", path=str(source_path), timestamp_field="event_ts",
                        created_timestamp_column="created")
    view = FeatureView(name="persisted", entities=[driver], ttl=timedelta(days=1), source=source,
                       schema=[Field(name="conv", dtype=Float64)])
    return local_store(directory, "persist", [driver, view], offline, tag)


def _entities() -> pd.DataFrame:
    return pd.DataFrame({
        "driver_id": [1, 2, 3, 1],
        "event_timestamp": [T0 + timedelta(hours=1), T0 + timedelta(hours=3), T0 + timedelta(hours=3),
                            T0 + timedelta(hours=4)],
    })


def _saved(store, name: str, storage: SavedDatasetFileStorage, **kwargs) -> pd.DataFrame:
    job = store.get_historical_features(entity_df=_entities(), features=FEATURES)
    store.create_saved_dataset(from_=job, name=name, storage=storage, **kwargs)
    return store.get_saved_dataset(name).to_df()


def _by_row(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["event_timestamp", "driver_id"]).reset_index(drop=True)


def test_a_directory_path_gets_a_parquet_dataset_like_feasts_file_store(tmp_path):
    """Feast's test_historical_features_persisting shape: the directory exists, overwrite allowed."""
    saved = {}
    for offline, tag in ((OURS, "ours"), (FILE, "file")):
        store = _store(tmp_path, offline, tag)
        target = tmp_path / f"saved-{tag}"
        target.mkdir()
        saved[tag] = _by_row(_saved(store, "training", SavedDatasetFileStorage(path=str(target)),
                                    allow_overwrite=True))
        assert target.is_dir() and len(list(target.glob("*.parquet"))) == 1
    assert len(saved["ours"]) == len(saved["file"]) == 4
    for column in ("driver_id", "conv"):
        assert_same_values(saved["ours"][column], saved["file"][column], column)
    assert saved["ours"]["conv"].tolist() == [0.1, 0.5, 0.3, 0.4]


def test_a_relative_path_belongs_to_the_repo_not_the_cwd(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    elsewhere = tmp_path / "elsewhere"
    repo.mkdir()
    elsewhere.mkdir()
    store = _store(repo, OURS, "ours")
    monkeypatch.chdir(elsewhere)
    frame = _saved(store, "relative", SavedDatasetFileStorage(path="datasets/training.parquet"))
    assert pq.read_table(repo / "datasets" / "training.parquet").num_rows == 4
    assert list(elsewhere.iterdir()) == []
    assert len(frame) == 4
    job = store.get_historical_features(entity_df=_entities(), features=FEATURES)
    with pytest.raises(SavedDatasetLocationAlreadyExists):
        job.persist(SavedDatasetFileStorage(path="datasets/training.parquet"))


def test_overwriting_a_directory_replaces_its_rows(tmp_path):
    store = _store(tmp_path, OURS, "ours")
    target = tmp_path / "saved"
    job = store.get_historical_features(entity_df=_entities(), features=FEATURES)
    job.persist(SavedDatasetFileStorage(path=str(target)))
    with pytest.raises(SavedDatasetLocationAlreadyExists):
        job.persist(SavedDatasetFileStorage(path=str(target)))
    job.persist(SavedDatasetFileStorage(path=str(target)), allow_overwrite=True)
    assert target.is_dir() and len(list(target.glob("*.parquet"))) == 1
    assert pq.read_table(target).num_rows == 4  # Feast's file store would now read back 8
