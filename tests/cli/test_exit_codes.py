"""Operational failures (disk full, Redis down or hung, unusable configuration) exit 4 with one line
naming the cause; a bug exits 70 in one line; a traceback appears only with --debug. Run as a user
runs the CLI: real full filesystems, real closed ports, a real redis-server that stops answering."""

from __future__ import annotations

import errno
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from featureguard.cli.failures import classify
from featureguard.errors import EXIT_INTERNAL, EXIT_OPERATIONAL, StorageError
from featureguard.redis_process import RedisProcess, free_port

ENTITY = ["-e", "origin=EWR", "-e", "tailnum=N14228", "-e", "carrier=UA", "-e", "dest=IAH"]


def cli(*args: str, home: Path, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    full = {**os.environ, "FEATUREGUARD_HOME": str(home), **(env or {})}
    for name in ("REDIS_URL", "FEATUREGUARD_DEBUG", "FEATUREGUARD_REDIS_TYPE"):
        if name not in (env or {}):
            full.pop(name, None)
    return subprocess.run([sys.executable, "-m", "featureguard.cli.app", *args], capture_output=True, text=True,
                          env=full, timeout=180, **kwargs)


def one_line_error(out: subprocess.CompletedProcess) -> str:
    """The whole of stderr: exactly one line, ``error: ...``, no traceback."""
    assert "Traceback" not in out.stderr and "╭" not in out.stderr, out.stderr
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    return lines[0]


@pytest.fixture(scope="module")
def applied(tmp_path_factory, weather_rows) -> Path:
    """A data home with a weather batch stored and the feature definitions registered."""
    from featureguard.feast_store import OnlineStoreChoice, apply_definitions, open_store

    home = tmp_path_factory.mktemp("exit-codes") / "home"
    home.mkdir()
    batch = home.parent / "weather.parquet"
    weather_rows.to_parquet(batch, index=False)
    assert cli("ingest", "weather", str(batch), home=home).returncode == 0
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FEATUREGUARD_HOME", str(home))
        apply_definitions(open_store(OnlineStoreChoice("sqlite", {"type": "sqlite", "path": str(home / "o.db")}, "")))
    later = weather_rows.assign(time_hour=weather_rows["time_hour"] + __import__("pandas").Timedelta(days=60))
    later.to_parquet(home.parent / "later.parquet", index=False)
    return home


COMMANDS = {
    "online": ["online", *ENTITY],
    "ingest --online": ["ingest", "weather", "{later}", "--online"],
    "materialize": ["materialize", "--start", "2013-01-01T00:00:00Z", "--end", "2013-02-01T00:00:00Z"],
    "freshness": ["freshness"],
}


def _args(name: str, home: Path) -> list[str]:
    return [a.replace("{later}", str(home.parent / "later.parquet")) for a in COMMANDS[name]]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_redis_down_exits_4_in_one_line(applied, command):
    port = free_port()  # bound and released: nothing listens there
    out = cli(*_args(command, applied), home=applied, env={"REDIS_URL": f"redis://127.0.0.1:{port}"})
    assert out.returncode == EXIT_OPERATIONAL, out.stdout + out.stderr
    line = one_line_error(out)
    assert f"127.0.0.1:{port}" in line and "refused" in line.lower() and "redis" in line.lower()


def test_debug_shows_the_traceback(applied):
    env = {"REDIS_URL": f"redis://127.0.0.1:{free_port()}"}
    out = cli("--debug", *_args("online", applied), home=applied, env=env)
    assert out.returncode == EXIT_OPERATIONAL
    assert out.stderr.startswith("Traceback (most recent call last):") and "ConnectionError" in out.stderr
    assert out.stderr.splitlines()[-1].startswith("error: cannot connect to Redis")
    by_env = cli(*_args("online", applied), home=applied, env={**env, "FEATUREGUARD_DEBUG": "1"})
    assert by_env.returncode == EXIT_OPERATIONAL and "Traceback" in by_env.stderr


def test_a_hung_redis_exits_4_within_its_timeout(applied):
    with RedisProcess() as proc:
        os.kill(proc.process.pid, signal.SIGSTOP)  # accepts connections (the kernel does), never answers
        try:
            started = time.monotonic()
            out = cli(*_args("online", applied), home=applied, env={"REDIS_URL": proc.url})
            elapsed = time.monotonic() - started
        finally:
            os.kill(proc.process.pid, signal.SIGCONT)
    assert out.returncode == EXIT_OPERATIONAL, out.stderr
    assert "did not answer" in one_line_error(out) and elapsed < 60


@pytest.fixture()
def full_disk(tmp_path) -> Iterator[tuple[Path, dict]]:
    """A data home on a 256 KiB tmpfs (root, where mounting works); elsewhere a file-size limit
    on the CLI process stands in for the full disk (EFBIG instead of ENOSPC)."""
    mount = tmp_path / "small"
    mount.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True).returncode == 0
    limit = {} if mounted else {"preexec_fn": lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024,) * 2)}
    try:
        yield mount / "home", limit
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_full_disk_exits_4_in_one_line(full_disk, tmp_path):
    from featureguard.demo.producers import weather_frame

    home, limit = full_disk
    home.mkdir()
    batch = tmp_path / "year.parquet"
    weather_frame(12).drop(columns="_month").to_parquet(batch, index=False)  # ~300 KB, past the space left
    out = cli("ingest", "weather", str(batch), home=home, **limit)
    assert out.returncode == EXIT_OPERATIONAL, out.stdout + out.stderr
    line = one_line_error(out)
    assert "No space left on device" in line or "File too large" in line, line
    assert str(home) in line
    debug = cli("--debug", "ingest", "weather", str(batch), home=home, **limit)
    assert debug.returncode == EXIT_OPERATIONAL and "Traceback (most recent call last)" in debug.stderr


def test_serve_with_a_keys_file_that_is_not_utf8(tmp_path, fg_home):
    keys = tmp_path / "keys.yaml"
    keys.write_bytes(b"keys:\n  - name: caf\xe9\n    sha256: x\n")
    out = cli("serve", "--keys-file", str(keys), "--port", str(free_port()), home=fg_home,
              env={"REDIS_URL": f"redis://127.0.0.1:{free_port()}"})
    assert out.returncode == EXIT_OPERATIONAL, out.stdout + out.stderr
    line = one_line_error(out)
    assert str(keys) in line and "not UTF-8" in line


def test_bad_configuration_exits_4(applied):
    out = cli(*_args("online", applied), home=applied,
              env={"REDIS_URL": "http://127.0.0.1:6379", "FEATUREGUARD_REDIS_TYPE": "redis"})
    assert out.returncode == EXIT_OPERATIONAL and "must start with redis:// or rediss://" in one_line_error(out)
    out = cli(*_args("online", applied), home=applied,
              env={"REDIS_URL": "redis://127.0.0.1:1", "FEATUREGUARD_REDIS_TYPE": "sentinel"})
    assert out.returncode == EXIT_OPERATIONAL and "FEATUREGUARD_REDIS_TYPE must be one of" in one_line_error(out)


def test_classify_reads_the_cause_chain():
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device", "/data/part.parquet")
        except OSError as exc:
            raise RuntimeError("writing the batch failed") from exc
    except RuntimeError as exc:
        assert classify(exc) == (EXIT_OPERATIONAL, "writing the batch failed: /data/part.parquet: "
                                                   "No space left on device (ENOSPC)")
    assert classify(StorageError("cannot write to the data home /x: No space left on device")) == \
        (EXIT_OPERATIONAL, "cannot write to the data home /x: No space left on device")
    assert classify(ValueError("boom\nsecond line")) == (EXIT_INTERNAL, "internal error: ValueError: boom second line")
