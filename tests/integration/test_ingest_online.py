"""``ingest --online`` writes accepted rows to Redis through the same gate; rejected rows never."""

from __future__ import annotations

import pandas as pd
import pytest

from featureguard.ingest.pipeline import ingest_bytes


def _batch(loop, temp: float, hour: str) -> bytes:
    row = loop.weather[loop.weather["origin"] == "LGA"].tail(1).copy()
    row["time_hour"] = pd.Timestamp(hour)
    row["temp"] = temp
    return row.to_json(orient="records", lines=True, date_format="iso").encode()


def test_online_ingest_updates_redis_and_respects_newer_values(loop):
    from featureguard.online_write import feast_online_writer

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FEATUREGUARD_HOME", str(loop.home))
        writer = feast_online_writer(loop.store)
        newer = ingest_bytes("weather", _batch(loop, 55.5, "2013-12-31T23:00:00Z"), "json", "new.jsonl",
                             online_writer=writer)
        assert newer.status == "accepted" and newer.online_written == 1
        got = loop.store.get_online_features(features=["weather_hourly:temp"], entity_rows=[{"origin": "LGA"}]).to_dict()
        assert got["temp"] == [55.5]

        older = ingest_bytes("weather", _batch(loop, 60.0, "2013-12-30T23:00:00Z"), "json", "old.jsonl",
                             online_writer=writer)
        assert older.status == "accepted"
        got = loop.store.get_online_features(features=["weather_hourly:temp"], entity_rows=[{"origin": "LGA"}]).to_dict()
        assert got["temp"] == [55.5], "an older event must not overwrite a newer online value"

        bad = ingest_bytes("weather", _batch(loop, 999.0, "2014-01-01T00:00:00Z"), "json", "bad.jsonl",
                           online_writer=writer)
        assert bad.status == "partial" and bad.accepted == 0 and bad.quarantined == 1
        got = loop.store.get_online_features(features=["weather_hourly:temp"], entity_rows=[{"origin": "LGA"}]).to_dict()
        assert got["temp"] == [55.5]
