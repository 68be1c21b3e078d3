"""``contract(...)`` derives the schema settings every contract shares; the example and the starter use it."""

from __future__ import annotations

import json

import pandas as pd
import pandera.errors
import pandera.pandas as pa
import pytest

from featureguard.contracts import ContractRegistry, contract, get_contract, utc_timestamp_column
from featureguard.contracts.snapshot import snapshot
from featureguard.contracts.versions import read_lock, recorded


def _readings(**kwargs):
    return contract("readings", "1.0.0", owner="o", description="d", entity_columns=["sensor"],
                    timestamp_column="at", columns={"sensor": pa.Column(int), "at": utc_timestamp_column(),
                                                    "value": pa.Column(float, nullable=True)}, **kwargs)


def test_the_schema_is_derived_from_the_keys_and_the_name():
    made = _readings()
    assert made.schema.unique == ["sensor", "at"] and made.entity_columns == ("sensor",)
    assert made.schema.strict is True and made.schema.coerce is True and made.schema.name == "readings"
    assert made.schema.report_duplicates == "all" and made.feature_columns == ["value"]
    assert _readings(unique=["sensor"]).schema.unique == ["sensor"]


def test_the_derived_schema_rejects_duplicate_keys_and_unknown_columns_and_parses_text():
    made = _readings()
    at = pd.Timestamp("2024-01-01", tz="UTC")
    assert made.schema.validate(pd.DataFrame({"sensor": ["1"], "at": [at], "value": [1.0]}))["sensor"].dtype == "int64"
    with pytest.raises(pandera.errors.SchemaErrors, match="sensor"):
        made.schema.validate(pd.DataFrame({"sensor": [1, 1], "at": [at, at], "value": [1.0, 2.0]}), lazy=True)
    with pytest.raises((pandera.errors.SchemaError, pandera.errors.SchemaErrors), match="extra"):
        made.schema.validate(pd.DataFrame({"sensor": [1], "at": [at], "value": [1.0], "extra": [0]}))


def test_contract_settings_are_still_checked():
    with pytest.raises(ValueError, match="null_markers"):
        _readings(null_markers="NA")
    with pytest.raises(ValueError, match="not in schema"):
        contract("r", "1.0.0", owner="o", description="d", entity_columns=["nope"], timestamp_column="at",
                 columns={"at": utc_timestamp_column()})


@pytest.mark.parametrize("source", ["weather", "planes", "route_delays"])
def test_the_example_contracts_serialize_exactly_as_recorded(source):
    """Built by the factory, each snapshot is the locked one, byte for byte."""
    made = get_contract(source)
    locked = recorded(read_lock(), source, made.version)
    assert json.dumps(snapshot(made), sort_keys=True) == json.dumps(locked, sort_keys=True)


def test_the_starter_project_contract_uses_the_factory(tmp_path):
    from featureguard.project_init import init_project

    init_project(tmp_path / "proj")
    text = (tmp_path / "proj" / "contracts" / "readings.py").read_text()
    assert "contract(" in text and "DataFrameSchema" not in text and "unique=" not in text
    made = ContractRegistry(tmp_path / "proj" / "contracts").get("readings")
    assert made.schema.unique == ["sensor_id", "event_time"] and made.schema.strict and made.schema.coerce
    assert made.schema.name == "readings" and made.feature_columns == ["temperature", "status"]
