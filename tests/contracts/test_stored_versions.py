"""Stored rows keep the contract version they were accepted under; old partitions stay readable
under a newer compatible contract (validation and point-in-time retrieval through Feast), and a
newer incompatible one is caught by the offline-schema check."""

from __future__ import annotations

import io

import pandas as pd
import pandera.pandas as pa
import pytest

from featureguard.contracts import get_contract
from featureguard.contracts.compat import diff
from featureguard.contracts.repo_check import check_offline
from featureguard.contracts.snapshot import facts, snapshot
from featureguard.contracts.versions import empty_lock, record
from featureguard.ingest import pipeline
from featureguard.ingest.pipeline import ingest_bytes
from featureguard.ingest.storage import read_offline
from tests.contracts.conftest import with_column, with_updated

V1 = get_contract("weather")
V11 = with_column(V1, "visib_km", pa.Column(float, pa.Check.in_range(0.0, 20.0), nullable=True), "1.1.0")


def _parquet(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


@pytest.fixture()
def two_versions(fg_home, weather_rows, monkeypatch):
    """120 EWR hours accepted under 1.0.0, the next 120 under 1.1.0 (which adds visib_km)."""
    old, new = weather_rows.iloc[:120], weather_rows.iloc[120:240].copy()
    new["visib_km"] = (new["visib"] * 1.609344).round(3)
    assert ingest_bytes("weather", _parquet(old), "parquet", "old.parquet").status == "accepted"
    with monkeypatch.context() as patched:  # the code base of a later release
        patched.setattr(pipeline, "get_contract", newer)
        assert ingest_bytes("weather", _parquet(new), "parquet", "new.parquet").status == "accepted"
    return old, new


def newer(source: str):
    return V11 if source == "weather" else get_contract(source)


def test_stored_rows_keep_their_version_and_validate_under_the_newer_contract(two_versions):
    old, new = two_versions
    assert not diff(facts(snapshot(V1)), facts(snapshot(V11))).violates_mode
    stored = read_offline("weather")
    assert stored.groupby("contract_version").size().to_dict() == {"1.0.0": len(old), "1.1.0": len(new)}
    assert stored.loc[stored["contract_version"] == "1.0.0", "visib_km"].isna().all()
    checked = V11.schema.validate(stored[V11.columns], lazy=True)  # raises on any failure
    assert len(checked) == len(old) + len(new)


def test_offline_schema_check_follows_each_partitions_version(two_versions, fg_home):
    lock = empty_lock()
    record(lock, [V1])
    record(lock, [V11])
    (finding,) = check_offline([V11], lock, fg_home / "offline")
    assert finding.ok and "2 partition(s) under 1.0.0, 1.1.0 readable under 1.1.0" in finding.message

    unrecorded = empty_lock()
    record(unrecorded, [V1])
    (finding,) = check_offline([V1], unrecorded, fg_home / "offline")
    assert not finding.ok and "stored under 1.1.0, which is not recorded" in finding.message

    narrowed = with_updated(V11, "temp", "2.0.0", checks=[pa.Check.in_range(-40.0, 20.0)])
    record(lock, [narrowed])
    (finding,) = check_offline([narrowed], lock, fg_home / "offline")
    assert not finding.ok
    assert "rows accepted under 1.0.0 may fail 2.0.0" in finding.message and "temp" in finding.message


def test_point_in_time_retrieval_over_old_and_new_partitions(two_versions, fg_home, monkeypatch):
    """Feast's get_historical_features with the view built from 1.1.0 reads the 1.0.0 partition too:
    its rows come back with visib_km null, the 1.1.0 rows with their value."""
    from types import SimpleNamespace

    import featureguard.offline_store.retrieval
    from featureguard.feature_repo.definitions import airport
    from featureguard.feature_repo.objects import feature_view
    from featureguard.feast_store import OnlineStoreChoice, open_store

    # the ASOF store checks the joined types against the store's own project contracts: 1.1.0 here
    monkeypatch.setattr(featureguard.offline_store.retrieval, "registry_for", lambda _: SimpleNamespace(get=newer))

    old, new = two_versions
    store = open_store(OnlineStoreChoice("sqlite", {"type": "sqlite", "path": str(fg_home / "online.db")}, ""))
    view = feature_view(V11, fg_home, name="weather_hourly", entities=[airport])
    store.apply([airport, view])
    picks = [old.iloc[10], old.iloc[100], new.iloc[5], new.iloc[110]]
    entities = pd.DataFrame({"origin": [p["origin"] for p in picks],
                             "event_timestamp": [p["time_hour"] + pd.Timedelta(minutes=30) for p in picks]})
    frame = store.get_historical_features(
        entity_df=entities, features=["weather_hourly:temp", "weather_hourly:visib_km"]).to_df()
    frame = frame.sort_values("event_timestamp").reset_index(drop=True)
    assert len(frame) == 4
    assert frame["temp"].tolist() == pytest.approx([float(p["temp"]) for p in picks])
    assert frame["visib_km"].isna().tolist() == [True, True, False, False]
    assert frame["visib_km"].iloc[2:].tolist() == pytest.approx(
        [round(float(p["visib"]) * 1.609344, 3) for p in picks[2:]])
