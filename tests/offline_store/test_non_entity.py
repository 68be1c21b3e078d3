"""Retrieval without an entity frame (start_date/end_date): every entity seen, as of end_date.

Stock Feast's duckdb store has no such mode; its default file (dask) store does, and for one
view it is the reference, on data without event-time ties: the dask store breaks such ties by
two successive non-stable sorts and can return the older created value (seen with seed 31),
where the duckdb store, the pandas reference and ours agree. With several views the dask store
cross-joins unrelated rows, so there only the pandas reference judges.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from tests.offline_store.reference import asof_reference, assert_same_values
from tests.offline_store.world import T0, open_store

END = T0 + pd.Timedelta(hours=100, minutes=30)


@pytest.fixture(scope="module")
def file_store(world):
    return open_store(world.directory, {"type": "file"}, "file-nonentity", world.views)


@pytest.mark.parametrize("view", ["driver_daily", "driver_forever", "driver_36h"])
def test_one_view_matches_the_file_store(world, file_store, view):
    drivers = world.reseed(31)["drivers"].sort_values(["event_ts", "created"], na_position="first")
    drivers = drivers.drop_duplicates(["driver_id", "event_ts"], keep="last")
    drivers.to_parquet(world.directory / "drivers.parquet", index=False)
    features = [f"{view}:conv", f"{view}:tier"]
    ours = world.ours.get_historical_features(features=features, end_date=END.to_pydatetime()).to_df()
    stock = file_store.get_historical_features(features=features, end_date=END.to_pydatetime()).to_df()
    stock = stock.sort_values("driver_id").reset_index(drop=True)
    assert ours["driver_id"].tolist() == stock["driver_id"].tolist() and len(ours) > 5
    for column in ("event_timestamp", "conv", "tier"):
        assert_same_values(ours[column], stock[column], column)


def test_start_date_limits_the_entities_and_ttl_still_applies(world):
    frames = world.reseed(32)
    drivers = frames["drivers"]
    start = END - pd.Timedelta(hours=8)
    ours = world.ours.get_historical_features(
        features=["driver_daily:conv", "rating:rating"], start_date=start.to_pydatetime(), end_date=END.to_pydatetime()
    ).to_df()
    seen = drivers[(drivers["event_ts"] >= start) & (drivers["event_ts"] <= END)]["driver_id"]
    mapped = frames["mapped"]
    seen_mapped = mapped[(mapped["event_ts"] >= start) & (mapped["event_ts"] <= END)]["drv"]
    assert ours["driver_id"].tolist() == sorted(set(seen) | set(seen_mapped))
    entities = ours[["driver_id", "event_timestamp"]]
    assert (ours["event_timestamp"] == END).all()
    ref = asof_reference(entities, drivers, {"driver_id": "driver_id"}, {"conv": "conv"}, timedelta(days=1))
    assert_same_values(ours["conv"], ref["conv"], "conv")
    ratings = asof_reference(entities, mapped.rename(columns={"drv": "driver_id", "rating_raw": "rating"}),
                             {"driver_id": "driver_id"}, {"rating": "rating"}, timedelta(days=1))
    assert_same_values(ours["rating"], ratings["rating"], "rating")


def test_views_with_different_entities_are_refused(world):
    world.reseed(33)
    with pytest.raises(ValueError, match="same entity columns"):
        world.ours.get_historical_features(
            features=["driver_daily:conv", "store_sales:sales"], end_date=END.to_pydatetime()
        ).to_df()


def test_entity_less_view_alone_gives_one_row(world):
    frames = world.reseed(34)
    ours = world.ours.get_historical_features(features=["market:index_level"], end_date=END.to_pydatetime()).to_df()
    assert len(ours) == 1
    ref = asof_reference(ours, frames["market"], {}, {"index_level": "index_level"}, timedelta(hours=12))
    assert_same_values(ours["index_level"], ref["index_level"], "index_level")
