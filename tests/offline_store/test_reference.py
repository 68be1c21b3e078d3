"""TTLs stock Feast cannot run (36 h, 90 min...) against an independent pandas merge_asof reference."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.offline_store.reference import asof_reference, assert_same_values
from tests.offline_store.world import entity_frame, seeded

DRIVER = {"driver_id": "driver_id"}
DRIVER_FEATURES = {"conv": "conv", "trips": "trips", "tier": "tier"}


@pytest.mark.upstream_canary
def test_stock_duckdb_store_cannot_run_a_36_hour_ttl(world):
    """Asserts a Feast bug (its duckdb store cannot run a 36 h TTL) that our store does not have:
    when a Feast upgrade fixes it this test fails, and the README's comparison must be updated."""
    world.reseed(3)
    with pytest.raises(Exception, match="mixed units"):
        world.stock.get_historical_features(entity_df=entity_frame(3), features=["driver_36h:conv"]).to_df()


@given(seed=st.integers(0, 2**20))
@seeded(6)
def test_reference_agrees_with_stock_where_stock_runs(world, seed):
    """The reference itself is checked against Feast before it judges anything Feast cannot run."""
    frames = world.reseed(seed)
    entities = entity_frame(seed)
    stock = world.stock.get_historical_features(
        entity_df=entities, features=["driver_daily:conv", "driver_daily:tier", "store_sales:sales"]
    ).to_df().sort_values("row_id")
    ref = asof_reference(entities, frames["drivers"], DRIVER, {"conv": "conv", "tier": "tier"}, timedelta(days=1))
    assert_same_values(stock["conv"], ref["conv"], "conv")
    assert_same_values(stock["tier"], ref["tier"], "tier")
    stores = asof_reference(entities, frames["stores"], {"region": "region", "store_id": "store_id"},
                            {"sales": "sales"}, timedelta(days=2))
    assert_same_values(stock["sales"], stores["sales"], "sales")


@given(seed=st.integers(0, 2**20))
@seeded(10)
def test_any_ttl_matches_the_reference(world, seed):
    frames = world.reseed(seed)
    entities = entity_frame(seed)
    features = [f"{view}:{f}" for view in ("driver_36h", "driver_90m") for f in DRIVER_FEATURES] + ["market:index_level"]
    ours = world.ours.get_historical_features(entity_df=entities, features=features, full_feature_names=True).to_df()
    for view, ttl in (("driver_36h", timedelta(hours=36)), ("driver_90m", timedelta(minutes=90))):
        ref = asof_reference(entities, frames["drivers"], DRIVER, DRIVER_FEATURES, ttl)
        for feature in DRIVER_FEATURES:
            assert_same_values(ours[f"{view}__{feature}"], ref[feature], f"{view}__{feature}")
    market = asof_reference(entities, frames["market"], {}, {"index_level": "index_level"}, timedelta(hours=12))
    assert_same_values(ours["market__index_level"], market["index_level"], "market__index_level")
