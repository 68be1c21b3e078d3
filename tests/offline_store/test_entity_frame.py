"""The entity frame: one output row per input row, in order, duplicates kept, time read as Feast does."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.offline_store.reference import assert_same_frame, assert_same_values
from tests.offline_store.world import entity_frame, open_store

FEATURES = ["driver_daily:conv", "store_sales:sales", "market:index_level"]


@pytest.fixture(scope="module")
def file_store(world):
    """Stock Feast's default file (dask) offline store over the same world."""
    return open_store(world.directory, {"type": "file"}, "file", world.views)


def _shuffled_with_duplicates(seed: int) -> pd.DataFrame:
    entities = entity_frame(seed).sample(frac=1.0, random_state=seed)  # unsorted input
    dupes = entities.iloc[[0, 0, 5, 5, 5, 17]]
    return pd.concat([entities, dupes], ignore_index=True).drop(columns="row_id")


def test_duplicates_are_kept_in_input_order(world, file_store):
    world.reseed(11)
    entities = _shuffled_with_duplicates(11)
    ours = world.ours.get_historical_features(entity_df=entities, features=FEATURES).to_df()
    assert len(ours) == len(entities)
    for column in entities.columns:
        assert_same_values(ours[column], entities[column], column)
    first, *copies = [0, len(entities) - 6, len(entities) - 5]
    for copy in copies:
        assert_same_values(ours.iloc[[copy]].reset_index(drop=True)["conv"], ours.iloc[[first]]["conv"], "dup")
    # Stock Feast, for contrast: the file store drops the duplicates; duckdb keeps them, unordered.
    dropped = file_store.get_historical_features(entity_df=entities, features=FEATURES).to_df()
    assert len(dropped) < len(entities)
    stock = world.stock.get_historical_features(entity_df=entities, features=FEATURES).to_df()
    assert len(stock) == len(entities)
    assert stock["driver_id"].tolist() != entities["driver_id"].tolist()


def test_duplicates_get_the_values_stock_duckdb_gives_them(world):
    world.reseed(12)
    entities = _shuffled_with_duplicates(12)
    entities["row_id"] = range(len(entities))
    ours = world.ours.get_historical_features(entity_df=entities, features=FEATURES).to_df()
    stock = world.stock.get_historical_features(entity_df=entities, features=FEATURES).to_df()
    assert_same_frame(ours, stock)


def _stamped(entities: pd.DataFrame, stamps) -> pd.DataFrame:
    out = entities.copy()
    out["event_timestamp"] = stamps
    return out


def test_naive_text_and_zoned_timestamps_mean_the_same_instants(world):
    world.reseed(13)
    aware = entity_frame(13)
    utc = aware["event_timestamp"]
    variants = {
        "naive": utc.dt.tz_localize(None),
        "text": utc.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "new_york": utc.dt.tz_convert("America/New_York"),
        "micro": utc.astype("datetime64[us, UTC]"),
    }
    expected = world.ours.get_historical_features(entity_df=aware, features=FEATURES).to_df()
    for name, stamps in variants.items():
        got = world.ours.get_historical_features(entity_df=_stamped(aware, stamps), features=FEATURES).to_df()
        for column in ("conv", "sales", "index_level"):
            assert_same_values(got[column], expected[column], f"{name}:{column}")
        assert_same_values(got["event_timestamp"], utc, f"{name}:event_timestamp")
        assert str(got["event_timestamp"].dt.tz) == "UTC"


def test_naive_timestamps_are_utc_even_without_feast_coercion(world):
    """Called directly (as Feast's provider does), the store itself treats naive time as UTC."""
    from featureguard.offline_store import AsofOfflineStore

    world.reseed(14)
    aware = entity_frame(14)
    naive = _stamped(aware, aware["event_timestamp"].dt.tz_localize(None))
    views = [world.ours.get_feature_view(n) for n in ("driver_daily", "market")]
    refs = ["driver_daily:conv", "market:index_level"]

    def direct(frame):
        return AsofOfflineStore.get_historical_features(
            world.ours.config, views, refs, frame, world.ours.registry, world.ours.project
        ).to_df()

    got, expected = direct(naive), direct(aware)
    for column in ("conv", "index_level"):
        assert_same_values(got[column], expected[column], column)
    assert naive["event_timestamp"].dt.tz is None  # the caller's frame is not modified


def test_entity_columns_come_back_as_sent(world):
    world.reseed(15)
    entities = entity_frame(15)
    entities["label"] = entities["label"].astype("Int64")
    entities["region"] = entities["region"].astype("category")
    entities.index = entities.index + 1000  # an index is not a column; Feast drops it too
    ours = world.ours.get_historical_features(entity_df=entities, features=FEATURES).to_df()
    assert list(ours.columns[: len(entities.columns)]) == list(entities.columns)
    assert ours["label"].dtype == "Int64" and ours["region"].dtype == "category"
    assert ours.index.tolist() == list(range(len(entities)))


def test_event_time_column_may_have_another_name(world):
    world.reseed(16)
    entities = entity_frame(16).rename(columns={"event_timestamp": "when"})
    expected = world.stock.get_historical_features(entity_df=entities, features=FEATURES).to_df()
    ours = world.ours.get_historical_features(entity_df=entities, features=FEATURES).to_df()
    assert_same_frame(ours, expected)


def test_empty_entity_frame_gives_empty_typed_result(world):
    world.reseed(17)
    entities = entity_frame(17).iloc[:0]
    ours = world.ours.get_historical_features(entity_df=entities, features=FEATURES).to_arrow()
    assert ours.num_rows == 0
    assert ours.schema.field("conv").type == "double"


def test_missing_join_key_column_is_reported(world):
    from feast.errors import FeastEntityDFMissingColumnsError

    entities = entity_frame(18).drop(columns="store_id")
    with pytest.raises(FeastEntityDFMissingColumnsError):
        world.ours.get_historical_features(entity_df=entities, features=FEATURES)


def test_arrow_and_dataframe_paths_agree(world):
    """to_df assembles the frame directly; to_arrow goes through Arrow: same result either way."""
    world.reseed(19)
    entities = entity_frame(19)
    entities["event_timestamp"] = entities["event_timestamp"].dt.tz_localize(None)  # naive = UTC
    refs = FEATURES + ["driver_daily:tier", "rating_plain:rating"]
    job = world.ours.get_historical_features(entity_df=entities, features=refs, full_feature_names=True)
    frame, table = job.to_df(), job.to_arrow()
    assert table.column_names == list(frame.columns)
    via_arrow = table.to_pandas()
    for column in frame.columns:
        assert_same_values(frame[column], via_arrow[column], column)


def test_feature_named_like_an_entity_column_is_refused(world):
    entities = entity_frame(20).rename(columns={"label": "conv"})
    with pytest.raises(ValueError, match="shadow"):
        world.ours.get_historical_features(entity_df=entities, features=["driver_daily:conv"])
    frame = world.ours.get_historical_features(entity_df=entities, features=["driver_daily:conv"],
                                               full_feature_names=True).to_df()
    assert list(frame.columns[-2:]) == ["row_id", "driver_daily__conv"]


def test_entity_frame_may_be_a_duckdb_query(world, tmp_path):
    world.reseed(21)
    entities = entity_frame(21)
    entities.to_parquet(tmp_path / "entities.parquet", index=False)
    query = f"SELECT * FROM read_parquet('{tmp_path / 'entities.parquet'}') ORDER BY row_id"
    from_sql = world.ours.get_historical_features(entity_df=query, features=FEATURES).to_df()
    from_frame = world.ours.get_historical_features(entity_df=entities, features=FEATURES).to_df()
    for column in ("row_id", "event_timestamp", "conv", "sales", "index_level"):
        assert_same_values(from_sql[column], from_frame[column], column)
