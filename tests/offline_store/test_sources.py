"""Sources as ingestion writes them: directories of part files, partitions, hidden files, no files yet."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from feast import FeatureStore, FeatureView, Field, FileSource
from feast.types import Float64, Int64, String

from tests.offline_store.reference import assert_same_values
from tests.offline_store.world import driver, entity_frame, feature_frames, local_store

FIELDS = [Field(name="conv", dtype=Float64), Field(name="trips", dtype=Int64), Field(name="tier", dtype=String)]
REFS = ["drivers_dir:conv", "drivers_dir:trips", "drivers_dir:tier"]


def _store(tmp: Path, path: Path) -> FeatureStore:
    source = FileSource(name="dir_src", path=str(path), timestamp_field="event_ts", created_timestamp_column="created")
    view = FeatureView(name="drivers_dir", entities=[driver], ttl=timedelta(days=1), schema=FIELDS, source=source)
    return local_store(tmp, "sources", [driver, view])


def _expected(world, seed: int, entities: pd.DataFrame) -> pd.DataFrame:
    world.reseed(seed)
    return world.ours.get_historical_features(
        entity_df=entities, features=["driver_daily:conv", "driver_daily:trips", "driver_daily:tier"]
    ).to_df()


def _assert_features(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    for column in ("conv", "trips", "tier"):
        assert_same_values(got[column], expected[column], column)


def test_directory_of_part_files_equals_the_single_file(world, tmp_path):
    entities = entity_frame(21)
    expected = _expected(world, 21, entities)
    drivers = feature_frames(21)["drivers"]
    folder = tmp_path / "offline" / "drivers"
    folder.mkdir(parents=True)
    shuffled = drivers.sample(frac=1.0, random_state=1)
    for i, start in enumerate(range(0, len(shuffled), 100)):
        shuffled.iloc[start:start + 100].to_parquet(folder / f"part-{i:04d}.parquet", index=False)
    # What must never be read: a temp file, a marker, a hidden folder, an underscore folder.
    (folder / ".part-0004.parquet.3f2a.tmp").write_bytes(b"half a file")
    (folder / "_SUCCESS").write_bytes(b"")
    for junk in (".staging", "_temporary"):
        (folder / junk).mkdir()
        (folder / junk / "part-9999.parquet").write_bytes(b"garbage")
    got = _store(tmp_path, folder).get_historical_features(entity_df=entities, features=REFS).to_df()
    _assert_features(got, expected)


def test_hive_partitioned_directory(world, tmp_path):
    entities = entity_frame(22)
    expected = _expected(world, 22, entities)
    drivers = feature_frames(22)["drivers"]
    drivers = drivers.assign(day=drivers["event_ts"].dt.strftime("%Y-%m-%d"))
    folder = tmp_path / "partitioned"
    pq.write_to_dataset(pa.Table.from_pandas(drivers, preserve_index=False), folder, partition_cols=["day"])
    assert any(p.name.startswith("day=") for p in folder.iterdir())
    got = _store(tmp_path, folder).get_historical_features(entity_df=entities, features=REFS).to_df()
    _assert_features(got, expected)


def test_part_files_with_an_added_column_are_read_by_name(world, tmp_path):
    """Contract evolution adds nullable columns; older parts simply lack them."""
    entities = entity_frame(23)
    expected = _expected(world, 23, entities)
    drivers = feature_frames(23)["drivers"]
    old, new = drivers.iloc[:200], drivers.iloc[200:].assign(extra=1.5)
    folder = tmp_path / "evolved"
    folder.mkdir()
    old[["driver_id", "event_ts", "created", "conv", "trips", "tier"]].to_parquet(folder / "part-a.parquet", index=False)
    new[["tier", "extra", "conv", "trips", "created", "event_ts", "driver_id"]].to_parquet(folder / "part-b.parquet", index=False)
    got = _store(tmp_path, folder).get_historical_features(entity_df=entities, features=REFS).to_df()
    _assert_features(got, expected)


def test_source_without_files_yet_gives_typed_nulls(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    entities = entity_frame(24)
    table = _store(tmp_path, folder).get_historical_features(entity_df=entities, features=REFS).to_arrow()
    assert table.num_rows == len(entities)
    assert [table.schema.field(c).type for c in ("conv", "trips", "tier")] == [pa.float64(), pa.int64(), pa.string()]
    assert all(table.column(c).null_count == len(entities) for c in ("conv", "trips", "tier"))


def test_missing_source_column_is_named(tmp_path):
    folder = tmp_path / "short"
    folder.mkdir()
    feature_frames(25)["drivers"].drop(columns="trips").to_parquet(folder / "part-0.parquet", index=False)
    with pytest.raises(KeyError, match="drivers_dir.*trips"):
        _store(tmp_path, folder).get_historical_features(entity_df=entity_frame(25), features=REFS).to_df()


def test_text_timestamps_in_a_source_are_parsed(world, tmp_path):
    entities = entity_frame(26)
    expected = _expected(world, 26, entities)
    drivers = feature_frames(26)["drivers"]
    folder = tmp_path / "text"
    folder.mkdir()
    as_text = drivers.assign(
        event_ts=drivers["event_ts"].dt.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        created=drivers["created"].dt.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
    )
    as_text.to_parquet(folder / "part-0.parquet", index=False)
    got = _store(tmp_path, folder).get_historical_features(entity_df=entities, features=REFS).to_df()
    _assert_features(got, expected)
