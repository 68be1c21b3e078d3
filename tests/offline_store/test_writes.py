"""Feast's write paths: offline pushes, saved datasets, feature logs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from feast import FeatureStore, FeatureView, Field, FileSource
from feast.types import Float64

from featureguard.offline_store import AsofOfflineStore
from featureguard.offline_store.writes import ContractGovernedWriteError
from tests.offline_store.world import T0, driver, entity_frame, local_store

ROWS = pd.DataFrame({
    "driver_id": [1, 2], "event_ts": [T0, T0], "created": [T0, T0], "conv": [0.25, 0.75],
})


def _store(tmp: Path, path: Path, tags: dict | None = None) -> FeatureStore:
    source = FileSource(name="w_src", path=str(path), timestamp_field="event_ts", created_timestamp_column="created")
    view = FeatureView(name="pushed", entities=[driver], ttl=timedelta(days=1), source=source,
                       schema=[Field(name="conv", dtype=Float64)], tags=tags or {})
    return local_store(tmp, "writes", [driver, view])


def _conv_at(store: FeatureStore, when: pd.Timestamp) -> list:
    entities = pd.DataFrame({"driver_id": [1, 2], "event_timestamp": [when, when]})
    return store.get_historical_features(entity_df=entities, features=["pushed:conv"]).to_df()["conv"].tolist()


def test_push_to_a_directory_source_adds_one_part_file(tmp_path):
    folder = tmp_path / "pushed"
    folder.mkdir()
    ROWS.to_parquet(folder / "part-0.parquet", index=False)
    store = _store(tmp_path, folder)
    later = ROWS.assign(event_ts=T0 + pd.Timedelta(hours=1), created=T0 + pd.Timedelta(hours=1), conv=[0.5, 1.5])
    store.write_to_offline_store("pushed", later)
    assert len([p for p in folder.iterdir() if not p.name.startswith(".")]) == 2
    assert _conv_at(store, T0 + pd.Timedelta(hours=2)) == [0.5, 1.5]
    assert _conv_at(store, T0 + pd.Timedelta(minutes=30)) == [0.25, 0.75]


def test_push_to_a_single_file_source_appends(tmp_path):
    path = tmp_path / "pushed.parquet"
    ROWS.to_parquet(path, index=False)
    store = _store(tmp_path, path)
    store.write_to_offline_store("pushed", ROWS.assign(event_ts=T0 + pd.Timedelta(hours=1), conv=[9.0, 8.0]))
    assert pq.read_table(path).num_rows == 4
    assert _conv_at(store, T0 + pd.Timedelta(hours=2)) == [9.0, 8.0]


def test_contract_governed_views_refuse_direct_writes(tmp_path):
    folder = tmp_path / "governed"
    folder.mkdir()
    ROWS.to_parquet(folder / "part-0.parquet", index=False)
    store = _store(tmp_path, folder, tags={"contract": "weather"})
    with pytest.raises(ContractGovernedWriteError, match="ingestion"):
        store.write_to_offline_store("pushed", ROWS)
    assert len(list(folder.iterdir())) == 1


def test_saved_dataset_round_trip(world, tmp_path):
    from feast.infra.offline_stores.file_source import SavedDatasetFileStorage

    world.reseed(61)
    entities = entity_frame(61)
    job = world.ours.get_historical_features(entity_df=entities, features=["driver_daily:conv", "store_sales:sales"])
    target = tmp_path / "saved.parquet"
    world.ours.create_saved_dataset(from_=job, name="training_v1", storage=SavedDatasetFileStorage(path=str(target)))
    saved = pq.read_table(target).to_pandas()
    assert len(saved) == len(entities) and saved["row_id"].tolist() == entities["row_id"].tolist()
    with pytest.raises(Exception, match="already exists"):
        job.persist(SavedDatasetFileStorage(path=str(target)))


def test_logged_features_land_as_parquet(tmp_path):
    from feast.feature_logging import LoggingConfig
    from feast.infra.offline_stores.file_source import FileLoggingDestination

    logs = pa.table({"driver_id": [1, 2], "conv": [0.1, 0.2]})
    config = LoggingConfig(destination=FileLoggingDestination(path=str(tmp_path / "logs")))
    AsofOfflineStore.write_logged_features(None, logs, None, config, None)
    AsofOfflineStore.write_logged_features(None, logs, None, config, None)
    files = list((tmp_path / "logs").glob("*.parquet"))
    assert len(files) == 2 and sum(pq.read_table(f).num_rows for f in files) == 4
