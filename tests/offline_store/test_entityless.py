"""Entity-less feature views (Feast's ``__dummy_id``, the ``global_stats`` shape) in pulls and in
Feast's own materialization, side by side with Feast's file store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from feast import FeatureView, Field, FileSource
from feast.feature_view import DUMMY_ENTITY_ID, DUMMY_ENTITY_VAL
from feast.types import Float32, Int32

from tests.offline_store.reference import assert_same_values
from tests.offline_store.world import OURS, T0, local_store

FILE = {"type": "file"}  # Feast's file store (Dask)


def _write_rows(path: Path) -> None:
    stamps = [T0 + timedelta(hours=h) for h in (0, 5, 9, 9, 30)]
    pd.DataFrame({
        "event_timestamp": stamps,
        "created": [s + timedelta(minutes=m) for s, m in zip(stamps, (1, 1, 2, 7, 1))],
        "num_rides": pd.array([10, 20, 30, 31, 50], dtype="int32"),
        "avg_ride_length": pd.array([1.5, 2.5, 3.5, 3.75, 5.5], dtype="float32"),
    }).to_parquet(path, index=False)


def _store(directory: Path, offline: dict, tag: str):
    source = FileSource(name="global_src", path=str(directory / "global.parquet"),
                        timestamp_field="event_timestamp", created_timestamp_column="created")
    view = FeatureView(name="global_stats", entities=[], ttl=timedelta(days=2), source=source,
                       schema=[Field(name="num_rides", dtype=Int32), Field(name="avg_ride_length", dtype=Float32)])
    return local_store(directory, "global", [view], offline, tag)


@pytest.fixture
def stores(tmp_path):
    _write_rows(tmp_path / "global.parquet")
    return {tag: _store(tmp_path, offline, tag) for offline, tag in ((OURS, "ours"), (FILE, "file"))}


def _pull(store, method: str, join_keys: list[str]) -> pd.DataFrame:
    view = store.get_feature_view("global_stats")
    job = getattr(store._get_provider().offline_store, method)(
        config=store.config, data_source=view.batch_source, join_key_columns=join_keys,
        feature_name_columns=["num_rides", "avg_ride_length"], timestamp_field="event_timestamp",
        created_timestamp_column="created", start_date=T0 - timedelta(days=1), end_date=T0 + timedelta(hours=20),
    )
    return job.to_df().sort_values(["event_timestamp", "created"]).reset_index(drop=True)


@pytest.mark.parametrize("method", ["pull_latest_from_table_or_query", "pull_all_from_table_or_query"])
@pytest.mark.parametrize("join_keys", [[], [DUMMY_ENTITY_ID]], ids=["no-keys", "dummy-key"])
def test_pulls_carry_the_dummy_key_like_feasts_file_store(stores, method, join_keys):
    """Feast's engines pass no join keys for such a view (the view's entity columns, after
    ``apply``, hold ``__dummy_id``); both calls must come back keyed by ``__dummy_id``."""
    assert [c.name for c in stores["ours"].get_feature_view("global_stats").entity_columns] == [DUMMY_ENTITY_ID]
    ours = _pull(stores["ours"], method, join_keys)
    theirs = _pull(stores["file"], method, [])
    if method.startswith("pull_latest"):
        # Feast's file store leaves the one-row-per-key cut of a keyless view to the engine.
        theirs = theirs.tail(1).reset_index(drop=True)
    assert sorted(ours.columns) == sorted(theirs.columns)
    assert len(ours) == len(theirs) == (1 if method.startswith("pull_latest") else 4)
    assert ours[DUMMY_ENTITY_ID].tolist() == [DUMMY_ENTITY_VAL] * len(ours)
    for column in ("num_rides", "avg_ride_length"):
        assert_same_values(ours[column], theirs[column], column)


def test_feasts_local_engine_materializes_an_entityless_view_like_the_file_store(stores):
    """Feast's local engine writes the newest row of the window to SQLite under the dummy key;
    the newest event time ties (9 h), so the later created time (31 rides) wins."""
    online = {}
    for tag, store in stores.items():
        store.materialize(start_date=T0 - timedelta(days=1), end_date=T0 + timedelta(hours=20))
        online[tag] = _online_row(store)
    assert online["ours"] == online["file"]
    assert online["ours"][1] == {"num_rides": 31, "avg_ride_length": 3.75}
    assert online["ours"][0] == (T0 + timedelta(hours=9)).to_pydatetime()


def _online_row(store) -> tuple:
    """The view's one online row (event time, features), read under Feast's dummy key."""
    from feast.protos.feast.types.EntityKey_pb2 import EntityKey
    from feast.protos.feast.types.Value_pb2 import Value
    from feast.type_map import feast_value_type_to_python_type

    key = EntityKey(join_keys=[DUMMY_ENTITY_ID], entity_values=[Value(string_val=DUMMY_ENTITY_VAL)])
    view = store.get_feature_view("global_stats")
    [(event_ts, values)] = store._get_provider().online_store.online_read(store.config, view, [key])
    assert values is not None, "nothing was written under the dummy key"
    return event_ts, {name: feast_value_type_to_python_type(v) for name, v in values.items()}
