"""Retrieved features are checked against their contracts before they are returned."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featureguard.offline_store.contract_types import ColumnCheck, ContractTypeError, check_types, mismatches


def test_matching_types_pass_and_each_mismatch_is_named():
    schema = pa.schema([("temp", pa.float64()), ("humid", pa.string()), ("seats", pa.int64()), ("engines", pa.float64())])
    check_types(schema, [ColumnCheck("weather_hourly", "temp", "temp", "weather"),
                         ColumnCheck("plane_attributes", "seats", "seats", "planes")])
    found = mismatches(schema, [
        ColumnCheck("weather_hourly", "humid", "humid", "weather"),
        ColumnCheck("plane_attributes", "engines", "engines", "planes"),
        ColumnCheck("plane_attributes", "nope", "nope", "planes"),
    ])
    assert len(found) == 3
    assert "'weather_hourly'" in found[0] and "'humid'" in found[0] and "float64" in found[0] and "string" in found[0]
    assert "'engines'" in found[1] and "int64" in found[1] and "double" in found[1]
    assert "declares no column 'nope'" in found[2]


def test_full_feature_names_are_checked_by_their_source_column():
    schema = pa.schema([("weather_hourly__temp", pa.float32())])
    with pytest.raises(ContractTypeError, match=r"weather_hourly__temp.*float64.*float"):
        check_types(schema, [ColumnCheck("weather_hourly", "weather_hourly__temp", "temp", "weather")])


def _weather_rows() -> pd.DataFrame:
    hours = pd.to_datetime(["2013-01-01T10:00Z", "2013-01-01T11:00Z", "2013-01-01T10:00Z"], utc=True)
    return pd.DataFrame({
        "origin": ["EWR", "EWR", "JFK"], "time_hour": hours,
        "temp": [39.0, 39.9, 41.0], "dewp": [28.0, 28.9, 30.0], "humid": [64.4, 64.9, 60.0],
        "wind_dir": [260.0, None, 250.0], "wind_speed": [12.7, 13.8, 10.0], "wind_gust": [None, None, 20.7],
        "precip": [0.0, 0.0, 0.0], "pressure": [1012.0, None, 1011.0], "visib": [10.0, 10.0, 9.0],
    })


@pytest.fixture()
def repo_store(fg_home: Path):
    """feature_repo/ as defined, on our store, with weather written the way ingestion writes it."""
    from feast import FeatureStore, RepoConfig

    from featureguard.contracts import get_contract
    from featureguard.feature_repo.definitions import build_repo
    from featureguard.project import example_root
    from featureguard.ingest.storage import stored_frame, write_offline

    weather = get_contract("weather")
    write_offline(weather, "batch-1", stored_frame(weather, _weather_rows(), pd.Timestamp("2013-01-02", tz="UTC")))
    config = RepoConfig(
        project="featureguard", provider="local", registry=str(fg_home / "registry.db"),
        online_store={"type": "sqlite", "path": str(fg_home / "online.db")},
        offline_store={"type": "featureguard.offline_store.AsofOfflineStore"},
        entity_key_serialization_version=3, repo_path=str(example_root()),
    )
    store = FeatureStore(config=config)
    store.apply(build_repo().objects)
    return store


ENTITIES = pd.DataFrame({
    "origin": ["EWR", "JFK"], "tailnum": ["N14228", "N24211"], "carrier": ["UA", "UA"], "dest": ["IAH", "IAH"],
    "event_timestamp": pd.to_datetime(["2013-01-01T11:30Z", "2013-01-01T10:15Z"], utc=True),
})


def test_project_repo_frames_pass_their_contracts(repo_store):
    """Weather from a part file; planes and route delays have no files yet: typed nulls, still valid."""
    service = repo_store.get_feature_service("departure_delay_model")
    frame = repo_store.get_historical_features(entity_df=ENTITIES, features=service).to_df()
    assert frame["temp"].tolist() == [39.9, 41.0]
    assert frame["seats"].isna().all() and frame["flights"].isna().all()


def test_a_part_file_that_breaks_the_contract_fails_retrieval(repo_store, fg_home: Path):
    bad = _weather_rows().assign(temp=["39", "40", "41"])
    bad["ingested_at"] = pd.Timestamp("2013-01-03", tz="UTC")
    pq.write_table(pa.Table.from_pandas(bad, preserve_index=False), fg_home / "offline" / "weather" / "part-bad.parquet")
    job = repo_store.get_historical_features(entity_df=ENTITIES, features=["weather_hourly:temp", "weather_hourly:humid"])
    with pytest.raises(ContractTypeError):
        job.to_arrow()
    with pytest.raises(ContractTypeError) as failure:
        job.to_df()
    message = str(failure.value)
    assert "'weather_hourly'" in message and "'temp'" in message and "float64" in message
    assert "humid" not in message  # only the broken column is reported
