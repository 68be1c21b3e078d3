"""One randomized feature world per module, seen by stock Feast (duckdb) and by our store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class World:
    directory: Path
    views: object
    stock: object
    ours: object

    def reseed(self, seed: int, rows: int = 400) -> dict:
        from tests.offline_store.world import feature_frames, write_frames

        frames = feature_frames(seed, rows)
        write_frames(frames, self.directory)
        return frames


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    from tests.offline_store.world import OURS, STOCK, feature_views, open_store

    directory = tmp_path_factory.mktemp("world")
    world = World(directory, feature_views(directory), None, None)
    world.reseed(0)
    world.stock = open_store(directory, STOCK, "stock", world.views)
    world.ours = open_store(directory, OURS, "ours", world.views)
    return world


@pytest.fixture(autouse=True)
def _fresh_tie_verdicts():
    """Worlds rewrite their files in place within milliseconds, which ingestion never does;
    each test starts without remembered tie verdicts."""
    from featureguard.offline_store import ties

    ties.forget_all()
    yield
