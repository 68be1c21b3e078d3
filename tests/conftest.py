"""Shared fixtures. Redis behaviour is always tested against a real redis-server started here."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

# Stock Feast's online path imports feast.metrics, which sets PROMETHEUS_MULTIPROC_DIR; if that
# happened before prometheus_client's first import, every metric value in the test process would
# become file-backed and shared between the HTTP tests' app instances. The service itself imports
# prometheus_client first; importing it here keeps that order whichever test package runs first.
import prometheus_client  # noqa: F401  (must precede any Feast import)
import pytest

from featureguard.project import REPO_ENV, example_root

# Unless a test says otherwise, every command and import works on the packaged nycflights13
# example project, whatever the current folder (subprocesses inherit it).
os.environ.setdefault(REPO_ENV, str(example_root()))

from tests.support.redis_cluster import RedisCluster
from featureguard.redis_process import RedisProcess, redis_server_binary


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisProcess]:
    """One private redis-server per test session on a free loopback port."""
    if redis_server_binary() is None:
        pytest.fail("redis-server is not installed; run `make test`, which installs it")
    with RedisProcess() as proc:
        yield proc


@pytest.fixture()
def redis_client(redis_server: RedisProcess):
    """A client on the session server, flushed before each test so tests stay independent."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=redis_server.port)
    client.flushall()
    yield client
    client.close()


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisCluster]:
    """One private 3-master Redis Cluster per test session (``redis_type: redis_cluster``).
    Tests share it: flush it (``redis_cluster.flushall()``) or use their own project keys."""
    if redis_server_binary() is None:
        pytest.fail("redis-server is not installed; run `make test`, which installs it")
    with RedisCluster(masters=3) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def weather_rows():
    """A small real batch cut from nycflights13's weather, read once per session."""
    from featureguard.demo.producers import weather_frame

    return weather_frame(1).drop(columns="_month").head(200).reset_index(drop=True)


@pytest.fixture()
def fg_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh FEATUREGUARD_HOME for one test."""
    home = tmp_path / "fg-home"
    home.mkdir()
    monkeypatch.setenv("FEATUREGUARD_HOME", str(home))
    monkeypatch.delenv("REDIS_URL", raising=False)
    return home


def _spawns_processes(fn, module, seen: set | None = None) -> bool:
    """Whether a test (or a helper of its module it calls) starts a process: the CLI, a server,
    headless Chromium, a fresh interpreter."""
    import inspect

    seen = seen if seen is not None else set()
    if fn in seen:
        return False
    seen.add(fn)
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        return False
    if "subprocess." in source or "Popen(" in source:
        return True
    for name in fn.__code__.co_names:
        helper = getattr(module, name, None)
        if inspect.isfunction(helper) and helper.__module__ == module.__name__ and _spawns_processes(helper, module, seen):
            return True
    return False


def pytest_collection_modifyitems(config, items) -> None:
    """``slow`` marks every test that starts a process (``make test-fast`` runs the rest); tests
    that start servers through fixtures are marked in their modules."""
    for item in items:
        function = getattr(item, "function", None)
        if function is not None and "slow" not in item.keywords and _spawns_processes(function, item.module):
            item.add_marker(pytest.mark.slow)
