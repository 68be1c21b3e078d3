"""Any Feast repo selects the store from feature_store.yaml; Feast resolves both classes by name."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.offline_store.reference import assert_same_values
from tests.offline_store.world import T0, driver, feature_views

YAML = """\
project: yaml_repo
provider: local
registry: {home}/registry.db
online_store:
  type: sqlite
  path: {home}/online.db
offline_store:
  type: featureguard.offline_store.AsofOfflineStore
  memory_limit: 512MB
  threads: 1
entity_key_serialization_version: 3
"""


def _repo(tmp_path: Path, extra: str = "") -> Path:
    (tmp_path / "feature_store.yaml").write_text(YAML.format(home=tmp_path) + textwrap.dedent(extra))
    return tmp_path


def test_yaml_repo_uses_the_store_end_to_end(tmp_path):
    from feast import FeatureStore
    from feast.infra.offline_stores.offline_utils import get_offline_store_from_config

    from featureguard.offline_store import AsofOfflineStore, AsofOfflineStoreConfig
    from tests.offline_store.world import feature_frames, write_frames

    store = FeatureStore(repo_path=str(_repo(tmp_path)))
    config = store.config.offline_store
    assert isinstance(config, AsofOfflineStoreConfig)
    assert (config.memory_limit, config.threads) == ("512MB", 1)
    assert isinstance(store._get_provider().offline_store, AsofOfflineStore)
    assert isinstance(get_offline_store_from_config(config), AsofOfflineStore)

    write_frames(feature_frames(51), tmp_path)
    store.apply([driver, feature_views(tmp_path)["driver_daily"]])
    entities = pd.DataFrame({"driver_id": [1, 2, 99], "event_timestamp": [T0 + pd.Timedelta(days=3)] * 3})
    frame = store.get_historical_features(entity_df=entities, features=["driver_daily:trips"]).to_df()
    assert len(frame) == 3 and pd.isna(frame["trips"].iloc[2])
    assert "ASOF LEFT JOIN" in store.get_historical_features(entity_df=entities, features=["driver_daily:trips"]).to_sql()


def test_session_limits_reach_duckdb():
    from featureguard.offline_store.duck import EngineSettings, connect

    con = connect(EngineSettings(threads=1, memory_limit="256MB"))
    settings = dict(con.execute(
        "SELECT name, value FROM duckdb_settings() WHERE name IN ('threads', 'memory_limit', 'TimeZone')"
    ).fetchall())
    assert settings["threads"] == "1" and settings["TimeZone"] == "UTC"
    assert settings["memory_limit"].startswith(("244", "256"))


def test_unknown_option_is_rejected(tmp_path):
    from feast import FeatureStore
    from feast.repo_config import FeastConfigError

    text = YAML.format(home=tmp_path).replace("threads: 1", "threads: 1\n  no_such_option: 1")
    (tmp_path / "feature_store.yaml").write_text(text)
    with pytest.raises((FeastConfigError, ValueError)):
        FeatureStore(repo_path=str(tmp_path))


def test_the_project_repo_yaml_loads_with_this_store(tmp_path, monkeypatch):
    """feature_repo/feature_store.yaml with the offline store switched to ours parses and resolves."""
    from feast.repo_config import load_repo_config

    from featureguard.offline_store import AsofOfflineStoreConfig
    from featureguard.project import example_root

    raw = yaml.safe_load((example_root() / "feature_store.yaml").read_text())
    raw["offline_store"] = {"type": "featureguard.offline_store.AsofOfflineStore"}
    (tmp_path / "feature_store.yaml").write_text(yaml.safe_dump(raw))
    monkeypatch.setenv("FEATUREGUARD_HOME", str(tmp_path))
    monkeypatch.setenv("FEATUREGUARD_REDIS", "localhost:6379")
    config = load_repo_config(tmp_path, tmp_path / "feature_store.yaml")
    assert isinstance(config.offline_store, AsofOfflineStoreConfig)


def test_frame_values_do_not_depend_on_thread_count(world):
    from tests.offline_store.world import entity_frame

    world.reseed(52)
    entities = entity_frame(52)
    refs = ["driver_daily:conv", "store_sales:sales", "market:index_level"]
    expected = world.ours.get_historical_features(entity_df=entities, features=refs).to_df()
    one = world.ours.config.model_copy(deep=True)
    one.offline_store.threads = 1
    from featureguard.offline_store import AsofOfflineStore

    views = [world.ours.get_feature_view(n) for n in ("driver_daily", "store_sales", "market")]
    got = AsofOfflineStore.get_historical_features(one, views, refs, entities, world.ours.registry, "diff").to_df()
    for column in ("conv", "sales", "index_level"):
        assert_same_values(got[column], expected[column], column)
