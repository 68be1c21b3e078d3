"""The CLI's documented exit codes and JSON receipts, run as a producer would run it."""

from __future__ import annotations

import os
import subprocess
import sys

import orjson
import pytest


def run(*args: str, home) -> subprocess.CompletedProcess:
    env = {**os.environ, "FEATUREGUARD_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "featureguard.cli.app", *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture()
def files(tmp_path, weather_rows):
    good = tmp_path / "good.parquet"
    weather_rows.to_parquet(good, index=False)
    bad = weather_rows.copy()
    bad.loc[2, "humid"] = 250.0
    partial = tmp_path / "partial.parquet"
    bad.to_parquet(partial, index=False)
    extra = tmp_path / "extra.parquet"
    weather_rows.assign(surprise=1).to_parquet(extra, index=False)
    (tmp_path / "notes.txt").write_text("hello")
    return tmp_path


def test_validate_exit_codes(files, fg_home):
    assert run("validate", "weather", str(files / "good.parquet"), home=fg_home).returncode == 0
    out = run("validate", "weather", str(files / "partial.parquet"), "--json", home=fg_home)
    assert out.returncode == 1
    report = orjson.loads(out.stdout)
    assert report["errors"][0]["column"] == "humid" and report["errors"][0]["examples"][0] == {"row": 2, "value": 250.0}
    assert run("validate", "weather", str(files / "notes.txt"), home=fg_home).returncode == 2
    unknown = run("validate", "nope", str(files / "good.parquet"), home=fg_home)
    assert unknown.returncode == 2 and "unknown source 'nope'" in unknown.stderr
    assert not (fg_home / "offline").exists(), "validate must write nothing"


def test_ingest_receipts_and_exit_codes(files, fg_home):
    out = run("ingest", "weather", str(files / "partial.parquet"), "--json", home=fg_home)
    assert out.returncode == 3
    receipt = orjson.loads(out.stdout)
    for key in ("batch_id", "source", "contract_version", "received", "accepted", "quarantined", "status", "errors"):
        assert key in receipt
    assert receipt["received"] == receipt["accepted"] + receipt["quarantined"] and receipt["quarantined"] == 1
    assert set(receipt["errors"][0]) >= {"column", "check", "count", "examples"}
    assert run("ingest", "weather", str(files / "good.parquet"), home=fg_home).returncode == 0
    rejected = run("ingest", "weather", str(files / "extra.parquet"), "--json", home=fg_home)
    assert rejected.returncode == 1 and orjson.loads(rejected.stdout)["status"] == "rejected"
    assert run("ingest", "weather", str(files / "good.parquet"), "--policy", "lenient", home=fg_home).returncode == 2


def test_producer_commands_never_import_feast(files, fg_home):
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from featureguard.cli.app import app\n"
        f"result = CliRunner().invoke(app, ['validate', 'weather', {str(files / 'good.parquet')!r}])\n"
        "assert result.exit_code == 0, result.output\n"
        "result = CliRunner().invoke(app, ['ingest', 'weather', "
        f"{str(files / 'good.parquet')!r}, '--json'])\n"
        "assert result.exit_code == 0, result.output\n"
        # the contract commands (all but `contracts check`'s Feast-view part) and reports stay Feast-free too
        f"lock = {str(files / 'copy.lock.json')!r}\n"
        "for args in (['contracts', 'list'], ['contracts', 'show', 'weather'],\n"
        "             ['contracts', 'diff', 'weather@1.0.0', 'weather'], ['contracts', 'export', 'weather'],\n"
        "             ['contracts', 'export', 'planes', '-f', 'jsonschema'], ['contracts', 'export', 'planes', '-f', 'yaml'],\n"
        "             ['contracts', 'lock', '--lock', lock], ['contracts', 'check', '--no-feast'],\n"
        "             ['validate', 'weather', " + repr(str(files / 'good.parquet')) + ", '--report', lock + '.html']):\n"
        "    result = CliRunner().invoke(app, args)\n"
        "    assert result.exit_code == 0, (args, result.output)\n"
        "print(sorted(m for m in sys.modules if m == 'feast' or m.startswith('feast.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "FEATUREGUARD_HOME": str(fg_home)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_output_to_a_pipe_is_never_wrapped(tmp_path, fg_home):
    """A narrow COLUMNS and a long path: each message stays on one line (plain text and table cells)."""
    deep = tmp_path / ("d" * 90) / ("e" * 90)
    deep.mkdir(parents=True)
    lock = deep / "narrow.lock.json"
    narrow = {**os.environ, "FEATUREGUARD_HOME": str(fg_home), "COLUMNS": "40"}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "featureguard.cli.app", *args], capture_output=True, text=True,
                              env=narrow, timeout=120)

    assert cli("contracts", "lock", "--lock", str(lock)).returncode == 0
    again = cli("contracts", "lock", "--lock", str(lock))
    assert again.returncode == 0 and again.stdout == f"{lock} already up to date\n"

    missing = deep / "missing.parquet"
    out = cli("validate", "weather", str(missing))
    assert out.returncode == 2
    assert any(str(missing) in line and "readable" in line for line in out.stdout.splitlines()), out.stdout
    shown = cli("contracts", "show", "weather")
    assert any("temp" in line and "between -40.0 and 130.0 (inclusive)" in line for line in shown.stdout.splitlines())


def test_materialize_into_a_pipe_has_no_colour_codes(fg_home, redis_server, weather_rows, tmp_path):
    """Feast styles its messages with colorama whatever the stream; a pipe or a log gets plain text."""
    batch = tmp_path / "weather.parquet"
    weather_rows.to_parquet(batch, index=False)
    assert run("ingest", "weather", str(batch), home=fg_home).returncode == 0
    env = {**os.environ, "FEATUREGUARD_HOME": str(fg_home), "REDIS_URL": redis_server.url, "COLUMNS": "40"}
    out = subprocess.run([sys.executable, "-m", "featureguard.cli.app", "materialize", "--start", "2013-01-01T00:00:00Z",
                          "--end", "2013-02-01T00:00:00Z"], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "Materializing 3 feature views from 2013-01-01 00:00:00+00:00" in out.stdout, out.stdout
    assert "weather_hourly" in out.stdout + out.stderr
    assert "\x1b[" not in out.stdout and "\x1b[" not in out.stderr
    # the bulk engine's summary of a view is one line, however narrow the terminal it is not on
    (summary,) = [line for line in out.stderr.splitlines() if line.startswith("weather_hourly:")]
    assert "written" in summary and summary.rstrip().endswith(" s"), out.stderr


def test_an_empty_file_exits_2_from_ingest_as_from_validate(fg_home, tmp_path):
    for name in ("empty.parquet", "empty.csv", "empty.jsonl"):
        empty = tmp_path / name
        empty.write_bytes(b"")
        assert run("validate", "weather", str(empty), home=fg_home).returncode == 2
        out = run("ingest", "weather", str(empty), "--json", home=fg_home)
        assert out.returncode == 2, (name, out.stdout, out.stderr)
        receipt = orjson.loads(out.stdout)  # still a receipt: the raw bytes are kept in quarantine
        assert receipt["status"] == "rejected" and [e["check"] for e in receipt["errors"]] == ["readable"]
    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"PAR1 not really")
    assert run("ingest", "weather", str(garbage), home=fg_home).returncode == 2
