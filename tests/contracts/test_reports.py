"""Every ingest leaves a JSON report beside its receipt; `featureguard report` finds it and renders
an HTML page, which headless Chromium loads and lays out."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser

import numpy as np
import orjson
import pandas as pd
import pytest

from featureguard.contracts import get_contract
from featureguard.contracts.describe import rules
from featureguard.ingest.pipeline import ingest_bytes, receipt_store
from featureguard.reports.store import find_report, load_report, report_path
from featureguard.settings import receipts_path


def _parquet(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


@pytest.fixture()
def bad_batch(weather_rows) -> pd.DataFrame:
    bad = weather_rows.copy()
    bad.loc[3, "humid"] = 250.0
    bad.loc[10, "origin"] = "BOS"
    bad.loc[11, "dewp"] = bad.loc[11, "temp"] + 5.0
    bad.loc[12, "visib"] = np.inf
    bad.loc[20, "precip"] = np.nan
    return pd.concat([bad, bad.iloc[[30]]], ignore_index=True)  # row 240 repeats row 30's key


def test_ingest_writes_a_report_beside_the_receipt(fg_home, bad_batch):
    receipt = ingest_bytes("weather", _parquet(bad_batch), "parquet", "bad.parquet")
    path = report_path(receipt.batch_id)
    assert path.parent == receipts_path() and path.exists()
    assert receipt_store().all() == [receipt]  # the report is never read as a receipt
    report = load_report(path)
    assert (report["status"], report["received"], report["accepted"], report["quarantined"]) == \
        ("partial", len(bad_batch), len(bad_batch) - 7, 7)
    assert report["contract_version"] == "1.0.0" and report["quarantine_path"] == receipt.quarantine_path

    contract = get_contract("weather")
    checks = {(c["column"], c["check"]): c for c in report["checks"]}
    assert len(report["checks"]) == len(rules(contract))  # every rule, passed or failed, nothing else
    humid = checks[("humid", "in_range")]
    assert (humid["status"], humid["failed"], humid["expected"]) == ("failed", 1, "between 0.0 and 100.0 (inclusive)")
    assert humid["sample_rows"][0]["_row"] == 3 and humid["sample_rows"][0]["humid"] == 250.0
    assert humid["sample_rows"][0]["origin"] == bad_batch.loc[3, "origin"]  # the whole row, not just the value
    assert checks[("origin", "isin")]["sample_rows"][0]["origin"] == "BOS"
    assert checks[("visib", "finite")]["sample_rows"][0]["visib"] == "inf"
    assert checks[("precip", "not_nullable")]["failed"] == 1
    unique = checks[("origin, time_hour", "multiple_fields_uniqueness")]
    assert unique["failed"] == 2 and [r["_row"] for r in unique["sample_rows"]] == [30, 240]
    assert checks[(None, "dewp_not_above_temp")]["failed"] == 1
    assert checks[(None, "dewp_not_above_temp")]["expected"] == "dew point cannot exceed air temperature"
    assert checks[("temp", "in_range")]["status"] == "passed" and checks[("temp", "in_range")]["failed"] == 0

    columns = {c["name"]: c for c in report["columns"]}
    assert columns["wind_gust"]["null_rate"] == pytest.approx(bad_batch["wind_gust"].isna().mean(), abs=1e-6)
    assert columns["wind_gust"]["null_count"] == int(bad_batch["wind_gust"].isna().sum())
    assert (columns["humid"]["min"], columns["humid"]["max"]) == (bad_batch["humid"].min(), 250.0)
    assert columns["visib"]["infinite"] == 1
    assert columns["time_hour"]["min"] == bad_batch["time_hour"].min().isoformat()
    assert columns["origin"]["distinct"] == 2 and columns["origin"]["role"] == "entity"


def test_rejected_and_unreadable_batches_have_reports(fg_home, weather_rows):
    extra = ingest_bytes("weather", _parquet(weather_rows.assign(surprise=1)), "parquet", "extra.parquet")
    report = load_report(report_path(extra.batch_id))
    assert report["status"] == "rejected" and report["accepted"] == 0
    failed = [c for c in report["checks"] if c["status"] == "failed"]
    assert [(c["column"], c["check"]) for c in failed] == [("surprise", "column_in_schema")]
    assert {c["status"] for c in report["checks"]} == {"failed", "not checked"}
    assert {c["name"]: c["role"] for c in report["columns"]}["surprise"] == "extra"

    broken = ingest_bytes("weather", b"PAR1 not really", "parquet", "broken.parquet")
    report = load_report(report_path(broken.batch_id))
    assert report["status"] == "rejected" and report["received"] == 0 and report["columns"] == []
    assert any(c["check"] == "readable" and c["status"] == "failed" for c in report["checks"])


def run(*args: str, home) -> subprocess.CompletedProcess:
    env = {**os.environ, "FEATUREGUARD_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "featureguard.cli.app", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("chromium is not installed; run `make test`, which installs it (apt-get install chromium)")


def headless(*args: str) -> subprocess.CompletedProcess:
    # Chromium puts a Unix socket (path limit 108 bytes) in its temp dir: give it a short one of its
    # own, so the test does not depend on how deep TMPDIR is.
    with tempfile.TemporaryDirectory(dir="/tmp" if os.path.isdir("/tmp") else None, prefix="fg-chr-") as short:
        return subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                               "--no-first-run", "--disable-dev-shm-usage", f"--user-data-dir={short}/profile",
                               *args], capture_output=True, text=True, timeout=120, env={**os.environ, "TMPDIR": short})


class _Dom(HTMLParser):
    """Element ids/classes with their text, from the DOM Chromium serialized after layout."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict]] = []
        self.text: dict[str, str] = {}
        self.classes: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.classes.append(attrs.get("class") or "")
        if tag not in ("meta", "br", "link", "img", "input"):
            self.stack.append((tag, attrs))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        for _, attrs in self.stack:
            if "id" in attrs:
                self.text[attrs["id"]] = self.text.get(attrs["id"], "") + data


def test_report_command_renders_html_that_headless_chromium_lays_out(fg_home, bad_batch, tmp_path):
    receipt = ingest_bytes("weather", _parquet(bad_batch), "parquet", "bad.parquet")
    prefix = receipt.batch_id[:8]
    as_json = run("report", prefix, "--format", "json", home=fg_home)
    assert as_json.returncode == 0 and orjson.loads(as_json.stdout) == load_report(find_report(receipt.batch_id)[1])
    rendered = run("report", prefix, home=fg_home)
    assert rendered.returncode == 0, rendered.stderr
    page = report_path(receipt.batch_id, "html")
    assert rendered.stdout.strip() == str(page) and page.exists()
    assert run("report", "ffffffffffff", home=fg_home).returncode == 2

    dom = headless("--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr
    parsed = _Dom()
    parsed.feed(dom.stdout)
    assert receipt.batch_id in parsed.text["title"]
    assert parsed.text["bad"].replace(" ", "") == "quarantined7"
    assert parsed.text["failing-checks"].replace(" ", "") == "failingchecks7"
    assert parsed.classes.count("badge failed") == 7 and parsed.classes.count("badge passed") >= 15
    checks = re.sub(r"\s+", " ", parsed.text["checks"])
    assert "between 0.0 and 100.0 (inclusive)" in checks and "250.0" in checks and "BOS" in checks
    assert f"{bad_batch['wind_gust'].isna().mean():.1%}" in parsed.text["columns"]

    shot = tmp_path / "report.png"
    done = headless("--window-size=1280,1600", f"--screenshot={shot}", page.as_uri())
    assert done.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 30_000  # a laid-out page, not a blank one


def test_validate_writes_a_report_only_when_asked(fg_home, bad_batch, tmp_path):
    batch = tmp_path / "bad.parquet"
    bad_batch.to_parquet(batch, index=False)
    out = run("validate", "weather", str(batch), "--report", str(tmp_path / "v.html"), home=fg_home)
    assert out.returncode == 1 and (tmp_path / "v.html").read_text().count('class="badge failed"') == 7
    out = run("validate", "weather", str(batch), "--report", str(tmp_path / "v.json"), home=fg_home)
    report = orjson.loads((tmp_path / "v.json").read_bytes())
    assert out.returncode == 1 and report["kind"] == "validate" and (report["valid"], report["invalid"]) == \
        (len(bad_batch) - 7, 7)
    assert not (fg_home / "offline").exists() and not (fg_home / "receipts").exists()


def test_report_accepts_only_batch_ids(fg_home, bad_batch, tmp_path):
    """Globs and paths are refused (exit 2, one line); nothing outside the receipts folder is read."""
    receipt = ingest_bytes("weather", _parquet(bad_batch), "parquet", "bad.parquet")
    outside = fg_home.parent / "x"
    outside.mkdir()
    (outside / "leak.report.json").write_bytes(orjson.dumps({"batch_id": "leak", "secret": "outside"}))
    assert receipts_path() == fg_home / "receipts"  # so ../../x/leak is fg_home.parent / x / leak
    for argument in ("*", "../../x/leak", f"{receipt.batch_id[:6]}*", "", "x" * 8, f"{receipt.batch_id}/../"):
        for fmt in ("json", "html"):
            out = run("report", argument, "--format", fmt, home=fg_home)
            assert out.returncode == 2, (argument, fmt, out.stderr)
            assert "Traceback" not in out.stderr and out.stderr.count("\n") == 1, out.stderr
            assert "is not a batch id" in out.stderr and "outside" not in out.stdout
    assert sorted(p.name for p in outside.iterdir()) == ["leak.report.json"]
    upper = run("report", receipt.batch_id[:10].upper(), "--format", "json", home=fg_home)
    assert upper.returncode == 0 and orjson.loads(upper.stdout)["batch_id"] == receipt.batch_id


def test_html_report_is_named_by_the_batch_id_not_by_its_content(fg_home, bad_batch):
    """A report whose JSON says batch_id '../../evil' still renders beside its own receipt."""
    receipt = ingest_bytes("weather", _parquet(bad_batch), "parquet", "bad.parquet")
    path = report_path(receipt.batch_id)
    tampered = {**load_report(path), "batch_id": "../../evil"}
    path.write_bytes(orjson.dumps(tampered))
    out = run("report", receipt.batch_id[:8], home=fg_home)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(report_path(receipt.batch_id, "html")) and report_path(receipt.batch_id, "html").exists()
    assert not list(fg_home.parent.rglob("evil*"))
