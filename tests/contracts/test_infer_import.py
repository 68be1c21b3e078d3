"""`contracts infer`: a starting contract from a sample, built on pandera's schema inference."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pandas as pd
import pytest

from contracts.export import from_yaml_export, to_yaml
from contracts.infer import InferenceError, infer_contract
from services.ingest.gate import check_frame
from services.ingest.readers import read_file


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "services.cli.app", "contracts", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd, env={**os.environ, "PYTHONPATH": str(Path.cwd())})


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


def test_infer_never_imports_feast(tmp_path):
    (tmp_path / "readings.csv").write_text(SAMPLE)
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from services.cli.app import app\n"
        "for args in (['contracts', 'infer', 'readings.csv', '--source', 'r', '--key', 'station',\n"
        "              '--timestamp', 'observed_at', '-o', 'r.yaml'],):\n"
        "    result = CliRunner().invoke(app, args)\n"
        "    assert result.exit_code == 0, (args, result.output)\n"
        "print(sorted(m for m in sys.modules if m == 'feast' or m.startswith('feast.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(Path.cwd())})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]" and (tmp_path / "r.yaml").exists()
