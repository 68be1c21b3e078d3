"""A crash between temp write and rename leaves nothing visible; the re-run stores rows once."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time

import pytest

from services.ingest import atomic
from services.ingest.pipeline import ingest_bytes, receipt_store
from services.ingest.storage import read_offline
from services.settings import data_home


def _parquet(frame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


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
    assert list((data_home() / "staging").iterdir()) == []

    monkeypatch.setattr(atomic, "before_rename", None)
    receipt = ingest_bytes("weather", data, "parquet")
    assert receipt.status == "accepted" and not receipt.duplicate
    assert len(read_offline("weather")) == len(weather_rows)


KILLED_CHILD = """
import sys, time
from pathlib import Path
from services.ingest import atomic, pipeline
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
