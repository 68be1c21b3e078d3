"""``filter_by_created_timestamp``: only feature rows created at or before the entity row's time
count. Ours against Feast's duckdb store on the randomized world (created times up to ~11 days
after the event, sometimes missing; every view shape) and against Feast's file store (Dask) on
a one-source world it answers correctly (on the full world Dask loses entity rows even without
the flag, so it cannot be the reference there).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from feast import FeatureView, Field, FileSource
from feast.types import Float64
from hypothesis import given
from hypothesis import strategies as st

from tests.offline_store.reference import assert_same_frame, assert_same_values
from tests.offline_store.test_differential import ALL_VIEWS
from tests.offline_store.world import OURS, T0, driver, entity_frame, local_store, open_store, seeded

FILE = {"type": "file"}  # Feast's file store (Dask)


@pytest.fixture(scope="module")
def file_store(world):
    return open_store(world.directory, FILE, "file", world.views)


def _features(store, entities: pd.DataFrame, cutoff: bool) -> pd.DataFrame:
    frame = store.get_historical_features(entity_df=entities, features=ALL_VIEWS, full_feature_names=True,
                                          filter_by_created_timestamp=cutoff).to_df()
    return frame.sort_values("row_id", kind="stable").reset_index(drop=True)


@given(seed=st.integers(0, 2**20))
@seeded(6)
def test_created_cutoff_on_every_view_matches_feasts_duckdb_store(world, seed):
    world.reseed(seed)
    entities = entity_frame(seed)
    ours = world.ours.get_historical_features(entity_df=entities, features=ALL_VIEWS, full_feature_names=True,
                                              filter_by_created_timestamp=True).to_df()
    assert_same_frame(ours, _features(world.stock, entities, True))
    unfiltered = _features(world.ours, entities, False)
    # The flag must matter here: fewer values survive; the view without a created column is untouched.
    assert ours["driver_daily__conv"].notna().sum() < unfiltered["driver_daily__conv"].notna().sum()
    assert_same_values(ours["rating_plain__rating"], unfiltered["rating_plain__rating"], "rating_plain__rating")


def _one_view_world(directory: Path, seed: int) -> tuple[dict, pd.DataFrame]:
    """One source with created times up to two days late, three TTLs over it, entity rows with
    known keys; ours and Feast's file store over the same files. No two rows of a key share an
    event time: on such ties Dask's store does not always keep the newest created time (its
    sorts are not stable), so ties are checked against the duckdb store above."""
    rng = np.random.default_rng(seed)
    rows = pd.DataFrame({"driver_id": rng.integers(0, 10, 300),
                         "event_ts": T0 + pd.to_timedelta(rng.integers(0, 100 * 60, 300), unit="min")})
    rows = rows.drop_duplicates(["driver_id", "event_ts"]).reset_index(drop=True)
    rows["created"] = rows["event_ts"] + pd.to_timedelta(rng.integers(0, 48 * 60, len(rows)), unit="min")
    rows["conv"] = rng.random(len(rows))
    rows.to_parquet(directory / "late.parquet", index=False)
    source = FileSource(name="late_src", path=str(directory / "late.parquet"), timestamp_field="event_ts",
                        created_timestamp_column="created")
    views = [FeatureView(name=f"late_{name}", entities=[driver], ttl=ttl, source=source, schema=[Field(name="conv", dtype=Float64)])
             for name, ttl in (("forever", timedelta(0)), ("day", timedelta(days=1)), ("hours", timedelta(hours=5)))]
    stores = {tag: local_store(directory, "late", [driver, *views], offline, tag)
              for offline, tag in ((OURS, "ours"), (FILE, "file"))}
    entities = pd.DataFrame({
        "driver_id": rng.integers(0, 10, 200),
        "event_timestamp": T0 + pd.to_timedelta(rng.integers(-60, 160 * 60, 200), unit="min"),
    })
    entities["row_id"] = np.arange(len(entities))
    return stores, entities


@given(seed=st.integers(0, 2**20))
@seeded(5)
def test_created_cutoff_matches_feasts_file_store(tmp_path_factory, seed):
    """Feast's file store leaves out entity rows without any candidate row (ours keeps them,
    null, as every other Feast store does); on every row it returns, the values agree."""
    stores, entities = _one_view_world(tmp_path_factory.mktemp("late"), seed)
    for view in ("late_forever", "late_day", "late_hours"):
        ours, theirs = (
            store.get_historical_features(entity_df=entities, features=[f"{view}:conv"],
                                          filter_by_created_timestamp=True).to_df()
            for store in (stores["ours"], stores["file"])
        )
        assert ours["row_id"].tolist() == entities["row_id"].tolist()
        merged = ours.merge(theirs[["row_id", "conv"]], on="row_id", how="left", suffixes=("", "_file"), indicator=True)
        returned = merged["_merge"] == "both"
        assert returned.sum() == len(theirs) > 0
        assert_same_values(merged.loc[returned, "conv"], merged.loc[returned, "conv_file"], view)
        assert merged.loc[~returned, "conv"].isna().all(), f"{view}: the file store left out rows ours answers"
        unfiltered = stores["ours"].get_historical_features(entity_df=entities, features=[f"{view}:conv"]).to_df()
        assert ours["conv"].notna().sum() < unfiltered["conv"].notna().sum()


def test_a_row_created_after_the_entity_time_gives_way_to_an_older_one(world, file_store):
    """The newest event is not yet known at the entity time: the previous one answers instead,
    and a missing created time never qualifies (as in Feast's file and SQL stores)."""
    t0 = T0
    hour = pd.Timedelta(hours=1)
    pd.DataFrame({
        "driver_id": [1, 1, 2, 2], "event_ts": [t0, t0 + hour, t0, t0 + hour],
        "created": [t0, t0 + 5 * hour, t0, pd.NaT],
        "conv": [0.1, 0.2, 0.3, 0.4], "trips": pd.array([1, 2, 3, 4], dtype="Int64"), "tier": ["a", "b", "c", "d"],
    }).to_parquet(world.directory / "drivers.parquet", index=False)
    entities = pd.DataFrame({"driver_id": [1, 1, 2, 2], "event_timestamp": [t0 + 2 * hour, t0 + 6 * hour] * 2})
    results = {}
    for tag, store in (("ours", world.ours), ("file", file_store)):
        results[tag] = store.get_historical_features(
            entity_df=entities, features=["driver_forever:conv"], filter_by_created_timestamp=True,
        ).to_df().sort_values(["driver_id", "event_timestamp"])["conv"].tolist()
    assert results["ours"] == results["file"] == [0.1, 0.2, 0.3, 0.3]
