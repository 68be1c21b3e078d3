"""What materialization and Feast's tooling call: pull_latest / pull_all, against stock duckdb."""

from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
import pyarrow as pa
import pytest
from feast.feature_view import DUMMY_ENTITY_ID, DUMMY_ENTITY_VAL
from feast.infra.offline_stores.duckdb import DuckDBOfflineStore

from featureguard.offline_store import AsofOfflineStore
from tests.offline_store.reference import assert_same_values
from tests.offline_store.world import T0

START = (T0 + pd.Timedelta(hours=20)).to_pydatetime()
END = (T0 + pd.Timedelta(hours=90)).to_pydatetime()


def _source(world, view: str):
    return world.ours.get_feature_view(view).batch_source


def _sorted(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return frame.sort_values(by, kind="stable").reset_index(drop=True)


def _assert_same_rows(ours: pd.DataFrame, stock: pd.DataFrame, by: list[str]) -> None:
    assert list(ours.columns) == list(stock.columns)
    for column in ("event_ts", "created"):
        # Stock (ibis on DuckDB 2) returns nanosecond timestamps as text; ours keeps timestamps.
        assert isinstance(ours[column].dtype, pd.DatetimeTZDtype)
        stock[column] = pd.to_datetime(stock[column], utc=True, format="ISO8601")
    ours, stock = _sorted(ours, by), _sorted(stock, by)
    for column in ours.columns:
        assert_same_values(ours[column], stock[column], column)


CASES = [
    ("drivers", "driver_daily", ["driver_id"], ["conv", "trips", "tier"]),
    ("stores", "store_sales", ["region", "store_id"], ["sales", "open_hours"]),
    ("market", "market", [], ["index_level"]),
]


@pytest.mark.parametrize("name,view,keys,features", CASES)
@pytest.mark.parametrize("seed", [41, 42])
def test_pull_latest_matches_stock(world, name, view, keys, features, seed):
    world.reseed(seed)
    args = dict(
        data_source=_source(world, view), join_key_columns=keys, feature_name_columns=features,
        timestamp_field="event_ts", created_timestamp_column="created", start_date=START, end_date=END,
    )
    ours = AsofOfflineStore.pull_latest_from_table_or_query(config=world.ours.config, **args).to_df()
    stock = DuckDBOfflineStore.pull_latest_from_table_or_query(config=world.stock.config, **args).to_df()
    assert len(ours) == len(stock) > 0
    if not keys:  # ours adds Feast's dummy key, as Feast's file store does; stock duckdb leaves it out
        assert ours.pop(DUMMY_ENTITY_ID).tolist() == [DUMMY_ENTITY_VAL] * len(ours)
    _assert_same_rows(ours, stock, keys or ["event_ts"])


@pytest.mark.parametrize("bounds", [(START, END), (START, None), (None, END), (None, None)])
def test_pull_all_matches_stock(world, bounds):
    world.reseed(43)
    args = dict(
        data_source=_source(world, "driver_daily"), join_key_columns=["driver_id"],
        feature_name_columns=["conv", "tier"], timestamp_field="event_ts", created_timestamp_column="created",
        start_date=bounds[0], end_date=bounds[1],
    )
    ours = AsofOfflineStore.pull_all_from_table_or_query(config=world.ours.config, **args).to_df()
    stock = DuckDBOfflineStore.pull_all_from_table_or_query(config=world.stock.config, **args).to_df()
    assert len(ours) == len(stock) > 0
    _assert_same_rows(ours, stock, ["driver_id", "event_ts", "created"])


def test_pull_streams_in_batches(world):
    world.reseed(44)
    job = AsofOfflineStore.pull_all_from_table_or_query(
        config=world.ours.config, data_source=_source(world, "driver_daily"), join_key_columns=["driver_id"],
        feature_name_columns=["conv"], timestamp_field="event_ts", created_timestamp_column="created",
    )
    batches = list(job.to_arrow_reader(batch_size=64))
    assert len(batches) > 1 and all(b.num_rows <= 64 for b in batches)
    assert sum(b.num_rows for b in batches) == job.to_arrow().num_rows == 400


def test_materialize_fills_the_online_store_like_stock(world):
    """Feast's own materialization (local engine) drives pull_latest; both online stores agree.

    Created times are all set here: Feast's SQLite online store cannot store a missing one.
    """
    frames = world.reseed(45)
    for name in ("drivers", "stores"):
        frame = frames[name]
        frame.assign(created=frame["created"].fillna(frame["event_ts"])).to_parquet(
            world.directory / f"{name}.parquet", index=False)
    end = datetime(2024, 3, 5, 12, tzinfo=timezone.utc)
    views = ["driver_daily", "store_sales"]
    for store in (world.ours, world.stock):
        store.materialize(start_date=T0.to_pydatetime() - pd.Timedelta(days=1), end_date=end, feature_views=views)
    rows = [{"driver_id": d, "region": r, "store_id": s}
            for d in range(0, 30, 3) for r in ("north", "west") for s in (1, 4)]
    refs = ["driver_daily:conv", "driver_daily:tier", "store_sales:sales"]
    ours = world.ours.get_online_features(features=refs, entity_rows=rows).to_df()
    stock = world.stock.get_online_features(features=refs, entity_rows=rows).to_df()
    assert ours["conv"].notna().sum() > 5
    for column in ("conv", "tier", "sales"):
        assert_same_values(ours[column], stock[column], column)


def test_pull_latest_breaks_event_time_ties_by_created_time(world, tmp_path):
    """Newest event time wins; among equal event times the newest created time; a missing
    created time loses to any present one but never outranks a newer event time."""
    from feast import FileSource

    t = [T0 + pd.Timedelta(hours=h) for h in range(40)]
    rows = [  # (driver_id, event_ts, created, value)
        (1, t[25], t[26], 10), (1, t[25], t[27], 11), (1, t[24], t[39], 12),  # 11: created breaks the tie
        (2, t[25], None, 20), (2, t[25], t[25], 21), (2, t[25], t[26], 22),   # 22; NULL created is lowest
        (3, t[22], None, 30), (3, t[23], None, 31),                           # 31: no created at all
        (4, t[30], None, 40), (4, t[29], t[35], 41),                          # 40: newer event, NULL created
        (5, t[21], t[22], 50), (5, t[21], t[21], 51), (5, t[20], t[38], 52),  # 50 (t[20] is START)
        (6, t[20], t[20], 60), (6, t[19], t[30], 61),                         # 60: exactly START is in
    ]
    frame = pd.DataFrame(rows, columns=["driver_id", "event_ts", "created", "value"])
    frame["created"] = pd.to_datetime(frame["created"], utc=True)
    frame.to_parquet(tmp_path / "ties.parquet", index=False)
    args = dict(
        data_source=FileSource(name="ties_src", path=str(tmp_path / "ties.parquet"), timestamp_field="event_ts",
                               created_timestamp_column="created"),
        join_key_columns=["driver_id"], feature_name_columns=["value"], timestamp_field="event_ts",
        created_timestamp_column="created", start_date=START, end_date=END,
    )
    ours = AsofOfflineStore.pull_latest_from_table_or_query(config=world.ours.config, **args).to_df()
    stock = DuckDBOfflineStore.pull_latest_from_table_or_query(config=world.stock.config, **args).to_df()
    assert dict(zip(_sorted(ours, ["driver_id"])["driver_id"], _sorted(ours, ["driver_id"])["value"])) == {
        1: 11, 2: 22, 3: 31, 4: 40, 5: 50, 6: 60}
    _assert_same_rows(ours, stock, ["driver_id"])
    streamed = pa.concat_tables([pa.Table.from_batches([b]) for b in AsofOfflineStore.pull_latest_from_table_or_query(
        config=world.ours.config, **args).to_arrow_reader(batch_size=2)])
    assert sorted(zip(streamed["driver_id"].to_pylist(), streamed["value"].to_pylist())) == [
        (1, 11), (2, 22), (3, 31), (4, 40), (5, 50), (6, 60)]
