"""Failures between a batch's files and its receipt leave nothing behind: a full disk, an online
store that is down. The retry then stores the rows exactly once."""

from __future__ import annotations

import errno
import io
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from featureguard.errors import EXIT_OPERATIONAL, OnlineStoreUnavailable, StorageError
from featureguard import atomic
from featureguard.ingest.pipeline import ingest_bytes, receipt_store
from tests.ingest.test_crash import assert_every_visible_row_has_a_receipt, files_under


def _parquet(frame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def assert_nothing_stored(home: Path) -> None:
    for sub in ("offline", "quarantine", "receipts", "staging"):
        assert files_under(home / sub) == [], f"{sub} keeps a trace of a batch that was not acknowledged"


def _retry_stores_once(home: Path, data: bytes, rows: int) -> None:
    receipt = ingest_bytes("weather", data, "parquet")
    assert receipt.status in ("accepted", "partial") and not receipt.duplicate and receipt.accepted == rows
    assert assert_every_visible_row_has_a_receipt(home) == rows
    assert len(receipt_store().all()) == 1
    assert ingest_bytes("weather", data, "parquet").duplicate
    assert assert_every_visible_row_has_a_receipt(home) == rows


# ------------------------------------------------------------------ disk full

def _fill(disk: Path) -> Path:
    """Writes a ballast file until the filesystem has no byte left."""
    ballast = disk / "ballast"
    with open(ballast, "wb", buffering=0) as handle:
        for chunk in (1 << 20, 1 << 12, 1):
            try:
                while True:
                    handle.write(b"\0" * chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    return ballast


@pytest.fixture()
def small_disk(tmp_path, monkeypatch):
    """FEATUREGUARD_HOME on a 16 MB tmpfs of its own."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs root): {mounted.stderr.strip()}")
    home = disk / "home"
    home.mkdir()
    monkeypatch.setenv("FEATUREGUARD_HOME", str(home))
    monkeypatch.delenv("REDIS_URL", raising=False)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_disk_full_after_the_part_leaves_no_rows_and_the_retry_stores_once(small_disk, weather_rows, monkeypatch):
    home = small_disk / "home"
    bad = weather_rows.copy()
    bad.loc[3, "humid"] = 250.0  # one quarantined row: part, quarantine file, report and receipt
    data = _parquet(bad)
    filled: list[Path] = []

    def fill_after_the_part(tmp: Path, target: Path) -> None:
        if "part-" in target.name and not filled:
            filled.append(_fill(small_disk))

    monkeypatch.setattr(atomic, "before_rename", fill_after_the_part)
    with pytest.raises(StorageError) as caught:
        ingest_bytes("weather", data, "parquet")
    message = str(caught.value)
    assert "No space left on device" in message and "\n" not in message and str(home) in message
    assert filled, "the disk was never filled"
    assert_nothing_stored(home)

    monkeypatch.setattr(atomic, "before_rename", None)
    filled[0].unlink()
    _retry_stores_once(home, data, len(bad) - 1)


def test_receipt_write_failing_rolls_the_batch_back(fg_home, weather_rows, monkeypatch):
    """Without a real small disk: the receipt's rename fails as on a full disk."""
    data = _parquet(weather_rows)

    def no_space_for_the_receipt(tmp: Path, target: Path) -> None:
        if target.parent.name == "receipts" and not target.name.endswith(".report.json"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))

    monkeypatch.setattr(atomic, "before_rename", no_space_for_the_receipt)
    with pytest.raises(StorageError, match="No space left on device"):
        ingest_bytes("weather", data, "parquet")
    assert_nothing_stored(fg_home)
    monkeypatch.setattr(atomic, "before_rename", None)
    _retry_stores_once(fg_home, data, len(weather_rows))


# ------------------------------------------------------------------ online store down

def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def registered_home(tmp_path_factory, redis_server):
    """A data home with the feature repo applied (the views ``--online`` writes through)."""
    home = tmp_path_factory.mktemp("registered")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FEATUREGUARD_HOME", str(home))
        from featureguard.feast_store import OnlineStoreChoice, apply_definitions, open_store

        apply_definitions(open_store(OnlineStoreChoice(
            "redis", {"type": "redis", "connection_string": redis_server.feast_connection_string}, "")))
    return home


@pytest.fixture()
def down_home(registered_home, monkeypatch):
    for sub in ("offline", "quarantine", "receipts", "staging"):
        shutil.rmtree(registered_home / sub, ignore_errors=True)
    monkeypatch.setenv("FEATUREGUARD_HOME", str(registered_home))
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{_closed_port()}/0")
    return registered_home


def test_online_store_down_rolls_the_batch_back(down_home, weather_rows):
    from featureguard.feast_store import OnlineStoreChoice, open_store
    from featureguard.online_write import feast_online_writer

    store = open_store(OnlineStoreChoice("redis", {"type": "redis",
                                                   "connection_string": f"127.0.0.1:{_closed_port()}"}, ""))
    data = _parquet(weather_rows)
    with pytest.raises(OnlineStoreUnavailable, match="Redis"):
        ingest_bytes("weather", data, "parquet", online_writer=feast_online_writer(store))
    assert_nothing_stored(down_home)
    _retry_stores_once(down_home, data, len(weather_rows))


def test_cli_ingest_online_with_redis_down_leaves_nothing(down_home, weather_rows, tmp_path):
    batch = tmp_path / "weather.parquet"
    weather_rows.to_parquet(batch, index=False)
    out = subprocess.run([sys.executable, "-m", "featureguard.cli.app", "ingest", "weather", str(batch), "--online"],
                         capture_output=True, text=True, env=os.environ.copy(), timeout=120)
    assert out.returncode == EXIT_OPERATIONAL, out.stdout + out.stderr
    assert "cannot connect to Redis" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert_nothing_stored(down_home)


# ------------------------------------------------------------------ repeats of the same bytes

def test_the_same_bytes_after_a_contract_version_bump_are_a_repeat(fg_home, weather_rows, monkeypatch):
    import dataclasses

    from featureguard.contracts import get_contract
    from featureguard.ingest import pipeline

    data = _parquet(weather_rows)
    first = ingest_bytes("weather", data, "parquet")
    assert first.contract_version == "1.0.0" and first.note is None
    bumped = dataclasses.replace(get_contract("weather"), version="1.0.1")
    monkeypatch.setattr(pipeline, "get_contract", lambda source: bumped if source == "weather" else get_contract(source))
    again = ingest_bytes("weather", data, "parquet")
    assert again.duplicate and again.batch_id == first.batch_id
    assert again.contract_version == "1.0.0", "the receipt says which version the rows were checked under"
    assert "contract version 1.0.0" in again.note and "not checked again under contract version 1.0.1" in again.note
    assert assert_every_visible_row_has_a_receipt(fg_home) == len(weather_rows)


def test_a_repeat_with_another_policy_or_online_says_what_was_not_applied(fg_home, weather_rows):
    data = _parquet(weather_rows)
    first = ingest_bytes("weather", data, "parquet", policy="strict")
    calls: list[int] = []

    def online_writer(contract, stored) -> int:  # records that it ran; the repeat must not call it
        calls.append(len(stored))
        return len(stored)

    other_policy = ingest_bytes("weather", data, "parquet", policy="quarantine")
    assert other_policy.duplicate and other_policy.policy == "strict"
    assert other_policy.note.startswith(f"identical bytes were already ingested under policy=strict, contract "
                                        f"version 1.0.0 on {first.received_at}")
    assert "this request's policy=quarantine was not applied" in other_policy.note

    online = ingest_bytes("weather", data, "parquet", policy="strict", online_writer=online_writer)
    assert online.duplicate and calls == []
    assert "online write was not applied" in online.note and "policy" not in online.note.split("; ", 1)[1]

    plain = ingest_bytes("weather", data, "parquet", policy="strict")
    assert plain.duplicate and plain.note is None
    stored = receipt_store().get(first.batch_id)
    assert stored.note is None and not stored.duplicate, "the stored receipt stays the original"
