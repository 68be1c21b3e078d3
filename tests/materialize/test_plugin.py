"""The engine is what feature_repo/feature_store.yaml selects, Feast's own entry points use it
(`feast materialize` included), and stores it cannot serve fall back to Feast's local engine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from featureguard.materialize import BulkRedisComputeEngine, BulkRedisComputeEngineConfig
from tests.materialize import repo
from tests.materialize.conftest import open_pair


def test_feature_repo_selects_the_bulk_engine(fg_home):
    from feast import RepoConfig

    from featureguard.project import example_root
    from featureguard.feast_store import repo_config_dict

    raw = repo_config_dict({"type": "redis", "connection_string": "127.0.0.1:1"})
    assert raw["batch_engine"] == {"type": "featureguard.materialize.BulkRedisComputeEngine"}
    config = RepoConfig(repo_path=example_root(), **raw)
    assert isinstance(config.batch_engine, BulkRedisComputeEngineConfig)
    from feast.infra.passthrough_provider import PassthroughProvider

    engine = PassthroughProvider(config).batch_engine
    assert isinstance(engine, BulkRedisComputeEngine)
    assert (engine.config.chunk_rows, engine.config.validate_contracts) == (20_000, True)


def test_feast_cli_materialize_takes_the_fast_path(pair):
    """`feast materialize` in a subprocess, with the repo's own feature_store.yaml."""
    pair.stock.materialize()
    config = pair.ours.store.config
    (pair.ours.path / "feature_store.yaml").write_text(yaml.safe_dump({
        "project": repo.PROJECT, "provider": "local", "registry": str(pair.ours.path / "registry.db"),
        "online_store": {"type": "redis", "connection_string": config.online_store.connection_string},
        "offline_store": {"type": "featureguard.offline_store.AsofOfflineStore"},
        "batch_engine": {"type": "featureguard.materialize.BulkRedisComputeEngine", "chunk_rows": 2},
        "entity_key_serialization_version": 3,
    }))
    feast = Path(sys.executable).parent / "feast"
    done = subprocess.run([str(feast), "-c", str(pair.ours.path), "materialize",
                           repo.START.isoformat(), repo.END.isoformat()],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "typed: 9 entities, 9 written" in done.stderr  # our engine's report line
    stock, ours = pair.dumps()
    assert ours == stock and len(ours) == 18


def test_non_redis_online_store_falls_back_to_feasts_engine(tmp_path):
    repo.write_data(tmp_path / "data")
    lite = repo.open_repo(tmp_path / "lite", tmp_path / "data",
                          {"type": "sqlite", "path": str(tmp_path / "online.db")}, repo.bulk())
    lite.materialize(views=["typed"])
    assert lite.engine.reports == []  # Feast's local engine did it
    got = lite.store.get_online_features(features=["typed:name"], entity_rows=[{"airport": "JFK"}]).to_dict()
    assert got["name"] == ["name-JFK-0.0"]


def test_config_rejects_nonsense(tmp_path, redis_server):
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        BulkRedisComputeEngineConfig(chunk_rows=0)
    with pytest.raises(ValidationError):
        open_pair(tmp_path, redis_server, engine=repo.bulk(chunk_size=5)).ours.engine  # unknown setting
