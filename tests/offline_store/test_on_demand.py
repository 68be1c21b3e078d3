"""On-demand feature views run through Feast's own machinery after our join, as with stock."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.offline_store.reference import assert_same_frame
from tests.offline_store.world import entity_frame, seeded


@given(seed=st.integers(0, 2**20), full=st.booleans())
@seeded(5)
def test_on_demand_views_match_stock(world, seed, full):
    world.reseed(seed)
    entities = entity_frame(seed)
    features = ["conv_boost:conv_plus_label", "store_sales:sales", "driver_hours:trips"]
    ours = world.ours.get_historical_features(entity_df=entities, features=features, full_feature_names=full).to_df()
    stock = world.stock.get_historical_features(entity_df=entities, features=features, full_feature_names=full).to_df()
    plus = "conv_boost__conv_plus_label" if full else "conv_plus_label"
    assert plus in ours.columns and ours[plus].notna().sum() > 10
    assert ("conv_boost__conv_doubled" if full else "conv_doubled") not in ours.columns  # not requested
    assert_same_frame(ours, stock)
