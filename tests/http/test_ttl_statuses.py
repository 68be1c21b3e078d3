"""By default the service marks values older than their view's TTL OUTSIDE_MAX_AGE and still returns them."""

from __future__ import annotations

import pandas as pd

from tests.http.conftest import JSON_ADMIN, READER, auth, client_for, records, weather_rows

LOOKUP = {"features": ["weather_hourly:temp"], "entities": {"origin": ["EWR", "JFK", "LGA"]}}


def test_stale_values_are_marked_and_fresh_ones_present(stores) -> None:
    old = weather_rows(2)
    fresh = weather_rows(1)
    fresh = fresh[fresh["origin"] == "JFK"].copy()
    fresh["time_hour"] = (pd.Timestamp.now(tz="UTC") - pd.Timedelta(minutes=30)).floor("s").strftime("%Y-%m-%dT%H:%M:%SZ")
    with client_for(stores.redis.url, ttl_statuses=True) as client:
        assert client.post("/v1/push/weather", content=records(old), headers=JSON_ADMIN).status_code == 201
        assert client.post("/v1/push/weather", content=records(fresh), headers=JSON_ADMIN).status_code == 201
        body = client.post("/v1/online-features", json=LOOKUP, headers=auth(READER)).json()
    temps = body["results"][1]
    assert temps["statuses"] == ["OUTSIDE_MAX_AGE", "PRESENT", "OUTSIDE_MAX_AGE"]
    newest_ewr = old[old["origin"] == "EWR"].iloc[-1]
    assert temps["values"][0] == newest_ewr["temp"]  # the stale value is still returned
    assert temps["values"][1] == fresh["temp"].iloc[0]
    with client_for(stores.redis.url) as client:  # the tests' default: statuses as feast serve gives them
        plain = client.post("/v1/online-features", json=LOOKUP, headers=auth(READER)).json()
    assert plain["results"][1]["statuses"] == ["PRESENT"] * 3


def test_the_setting_reaches_worker_processes() -> None:
    """A worker process builds its settings from the environment serve hands it: read back there."""
    import os
    import subprocess
    import sys

    from featureguard.http.settings import HttpSettings

    assert HttpSettings().ttl_statuses is True
    read_back = "from featureguard.http.settings import HttpSettings; print(HttpSettings.from_env().ttl_statuses)"
    for setting in (False, True):
        env = {**os.environ, **HttpSettings(ttl_statuses=setting).to_env()}
        out = subprocess.run([sys.executable, "-c", read_back], env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == str(setting)
