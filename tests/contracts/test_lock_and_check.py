"""The version lock, `contracts check` (run on the repo as CI runs it) and `contracts diff` on every
kind of input: files, recorded versions, git revisions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandera.pandas as pa
import pytest

from featureguard.contracts import get_contract, list_sources
from featureguard.contracts.export import to_yaml
from featureguard.contracts.repo_check import check_lock
from featureguard.contracts.snapshot import facts, snapshot
from featureguard.contracts.versions import LockError, default_lock_path, dumps, empty_lock, read_lock, record, versions, write_lock
from tests.contracts.conftest import variant, with_column, with_updated

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = [get_contract(s) for s in list_sources()]


def cli(*args: str, home: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    full = {**os.environ, "FEATUREGUARD_HOME": str(home), **(env or {})}
    full.pop("REDIS_URL", None)
    return subprocess.run([sys.executable, "-m", "featureguard.cli.app", *args], capture_output=True, text=True,
                          env=full, timeout=180, cwd=ROOT)


def test_ci_runs_contracts_check_on_the_repo(fg_home):
    """The committed lock records every contract as the code declares it; views and data agree."""
    out = cli("contracts", "check", "--json", home=fg_home)
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert report["ok"] and {f["area"] for f in report["findings"]} == {"lock", "feast", "offline"}
    assert {(f["source"], f["area"]) for f in report["findings"] if f["area"] == "feast"} == {
        ("weather", "feast"), ("planes", "feast"), ("route_delays", "feast")}


def test_committed_lock_is_what_recording_would_write():
    lock = read_lock()
    assert record(lock, CONTRACTS) == []  # nothing new to record
    assert dumps(lock) == default_lock_path().read_text()


def test_record_refuses_breaking_without_major_and_rewriting_history(tmp_path):
    lock = empty_lock()
    assert record(lock, CONTRACTS) == ["planes@1.0.0", "route_delays@1.0.0", "weather@1.0.0"]
    narrowed = with_updated("weather", "temp", "1.1.0", checks=[pa.Check.in_range(-40.0, 120.0)])
    with pytest.raises(LockError, match="breaks BACKWARD compatibility without a major version bump: temp"):
        record(lock, [narrowed])
    added = with_column(get_contract("weather"), "wind_chill", pa.Column(float, nullable=True), "1.0.0")
    with pytest.raises(LockError, match="recorded with a different schema"):
        record(lock, [added])
    assert record(lock, [variant(added, "1.1.0")]) == ["weather@1.1.0"]
    assert record(lock, [variant(narrowed, "2.0.0")]) == ["weather@2.0.0"]
    with pytest.raises(LockError, match="older than the recorded 2.0.0"):
        record(lock, [variant(added, "1.2.0")])
    assert versions(lock, "weather") == ["1.0.0", "1.1.0", "2.0.0"]
    path = write_lock(lock, tmp_path / "lock.json")
    assert read_lock(path) == json.loads(dumps(lock)) and facts(read_lock(path)["sources"]["weather"]["1.1.0"]) == \
        facts(snapshot(variant(added, "1.1.0")))


def _failures(findings):
    return [f.message for f in findings if not f.ok]


def test_check_lock_verdicts():
    lock = empty_lock()
    record(lock, CONTRACTS)
    assert _failures(check_lock(CONTRACTS, lock)) == []

    narrowed = with_updated("weather", "temp", "1.1.0", checks=[pa.Check.in_range(-40.0, 120.0)])
    (msg,) = _failures(check_lock([narrowed], lock))
    assert "1.0.0 -> 1.1.0 breaks BACKWARD compatibility without a major version bump" in msg and "temp" in msg

    (msg,) = _failures(check_lock([variant(narrowed, "2.0.0")], lock))
    assert "is allowed (major bump" in msg and "not recorded" in msg  # allowed, but the lock must say so

    same_version = variant(narrowed, "1.0.0")
    (msg,) = _failures(check_lock([same_version], lock))
    assert "1.0.0 changed since it was recorded" in msg

    compatible = with_column(get_contract("weather"), "wind_chill", pa.Column(float, nullable=True), "1.1.0")
    (msg,) = _failures(check_lock([compatible], lock))
    assert "minor bump" in msg and "not recorded" in msg
    record(lock, [compatible])
    assert _failures(check_lock([compatible], lock)) == []

    (msg,) = _failures(check_lock([variant(get_contract("weather"), "0.9.0")], lock))
    assert "older than the recorded 1.1.0" in msg


def test_a_breaking_change_fails_contracts_check(fg_home, tmp_path):
    """weather@1.0.0 recorded with a wider temp range than the code now declares: the code
    narrowed a published version without a bump."""
    lock = read_lock()
    wide = with_updated("weather", "temp", "1.0.0", checks=[pa.Check.in_range(-60.0, 140.0)])
    lock["sources"]["weather"]["1.0.0"] = snapshot(wide)
    path = write_lock(lock, tmp_path / "lock.json")
    out = cli("contracts", "check", "--no-feast", "--lock", str(path), home=fg_home)
    assert out.returncode == 1 and out.stderr == ""
    (line,) = [line for line in out.stdout.splitlines() if line.startswith("FAIL")]
    assert line.split()[:3] == ["FAIL", "weather", "lock"] and "1.0.0 changed since it was recorded" in line
    assert "temp: value range narrowed" in line and "'[-60.0, 140.0]' -> '[-40.0, 130.0]'" in line


def test_contracts_diff_files_versions_and_git_revisions(fg_home, tmp_path):
    old = tmp_path / "weather-1.0.0.yaml"
    old.write_text(to_yaml(get_contract("weather")))
    narrowed = tmp_path / "weather-1.1.0.yaml"
    narrowed.write_text(to_yaml(with_updated("weather", "temp", "1.1.0", checks=[pa.Check.in_range(-40.0, 120.0)])))
    widened = tmp_path / "weather-1.2.0.json"
    widened.write_text(json.dumps(snapshot(with_updated("weather", "temp", "1.2.0",
                                                        checks=[pa.Check.in_range(-60.0, 130.0)]))))

    out = cli("contracts", "diff", str(old), str(narrowed), "--json", home=fg_home)
    assert out.returncode == 1, out.stderr
    result = json.loads(out.stdout)
    assert [(c["kind"], c["subject"], c["class"]) for c in result["changes"]] == [("range_narrowed", "temp", "breaking")]
    assert result["bump"] == "minor" and result["violates_mode"]

    assert cli("contracts", "diff", str(old), str(widened), home=fg_home).returncode == 0
    forward = cli("contracts", "diff", str(old), str(widened), "--mode", "FORWARD", home=fg_home)
    assert forward.returncode == 1 and "range_widened" in forward.stdout and "breaking" in forward.stdout

    # recorded version vs working tree, and the contract module at a git revision vs working tree
    assert cli("contracts", "diff", "weather@1.0.0", "weather", home=fg_home).returncode == 0
    git = cli("contracts", "diff", "HEAD:feature_repo/contracts/weather.py", "weather", "--json", home=fg_home)
    assert git.returncode == 0, git.stderr
    assert json.loads(git.stdout)["changes"] == []
    assert cli("contracts", "diff", "HEAD:weather", str(narrowed), home=fg_home).returncode == 1

    missing = cli("contracts", "diff", "weather@9.9.9", "weather", home=fg_home)
    assert missing.returncode == 2 and "not recorded" in missing.stderr
    assert cli("contracts", "diff", "nope", "weather", home=fg_home).returncode == 2
    other = cli("contracts", "diff", "planes", "weather", home=fg_home)
    assert other.returncode == 2 and "two versions of one source" in other.stderr


def test_list_show_lock_commands(fg_home, tmp_path):
    listed = cli("contracts", "list", "--json", home=fg_home)
    assert listed.returncode == 0
    assert {r["source"]: r["recorded_versions"] for r in json.loads(listed.stdout)} == {
        "planes": ["1.0.0"], "route_delays": ["1.0.0"], "weather": ["1.0.0"]}
    shown = cli("contracts", "show", "weather", home=fg_home)
    assert shown.returncode == 0 and "between -40.0 and 130.0" in shown.stdout and "dewp_not_above_temp" in shown.stdout
    path = tmp_path / "new.lock.json"
    written = cli("contracts", "lock", "--lock", str(path), home=fg_home)
    assert written.returncode == 0 and path.read_text() == default_lock_path().read_text()
    again = cli("contracts", "record", "weather", "--lock", str(path), home=fg_home)
    assert again.returncode == 0 and "already up to date" in again.stdout
