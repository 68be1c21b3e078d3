"""Redis failing under a materialization: a clear error, never a hang; a re-run completes it
and the online store then equals a clean run's."""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from featureguard.materialize import MaterializationError
from featureguard.redis_process import RedisProcess
from tests.materialize import repo

GATES = 60_000
_AOF = ["--appendonly", "yes", "--appendfsync", "no"]  # survives SIGKILL: the re-run meets partial data


def _many_gates(data: Path) -> None:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"gate": np.arange(GATES, dtype="int32"),
                          "ts": pd.Timestamp(repo.NOW) - pd.to_timedelta(rng.integers(0, 10**6, GATES), unit="s"),
                          "open": rng.random(GATES) > 0.5, "load": rng.random(GATES).astype("float32")})
    repo.write_data(data, {**{n: f() for n, f in repo.FRAMES.items()}, "gates": frame})


def _run(target, timeout: float = 60.0):
    """Runs ``target`` in a thread; a hang fails the test instead of the suite."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(target).result(timeout=timeout)


def test_redis_killed_mid_run_then_rerun_completes(tmp_path):
    import redis

    _many_gates(tmp_path / "data")
    server = RedisProcess(data_dir=tmp_path / "redis", extra_args=_AOF)
    try:
        conn = server.feast_connection_string
        ours = repo.open_repo(tmp_path / "ours", tmp_path / "data", repo.redis_store(conn),
                              repo.bulk(chunk_rows=500, socket_timeout=5))
        watcher = redis.Redis(port=server.port)

        def kill_when_partly_written() -> None:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if watcher.dbsize() >= 3000:
                        server.kill()
                        return
                except redis.ConnectionError:
                    return
                time.sleep(0.002)

        killer = threading.Thread(target=kill_when_partly_written)
        killer.start()
        started = time.monotonic()
        with pytest.raises(MaterializationError) as failure:
            _run(lambda: ours.materialize(views=["gates"]))
        killer.join(10)
        assert time.monotonic() - started < 30
        message = str(failure.value)
        assert f"Redis at 127.0.0.1:{server.port}" in message and "Re-run the materialization" in message
        assert "values already in Redis are intact" in message

        server = RedisProcess(data_dir=tmp_path / "redis", port=server.port, extra_args=_AOF)
        client = redis.Redis(port=server.port)
        partial = client.dbsize()
        assert 3000 <= partial < GATES  # the crash left part of the run behind
        _run(lambda: ours.materialize(views=["gates"]))
        report = ours.engine.reports[-1]
        assert report.written + report.not_newer == GATES and report.not_newer >= partial

        clean = repo.open_repo(tmp_path / "clean", tmp_path / "data", repo.redis_store(f"{conn},db=1"), repo.bulk())
        clean.materialize(views=["gates"])  # (byte-identical to stock Feast's: test_differential)
        assert repo.dump(client) == repo.dump(redis.Redis(port=server.port, db=1))
    finally:
        server.stop()


def test_silent_redis_times_out(tmp_path, redis_server):
    repo.write_data(tmp_path / "data")
    ours = repo.open_repo(tmp_path / "ours", tmp_path / "data", repo.redis_store(redis_server.feast_connection_string),
                          repo.bulk(socket_timeout=1))
    os.kill(redis_server.process.pid, signal.SIGSTOP)  # alive, accepting connections, never answering
    try:
        started = time.monotonic()
        with pytest.raises(MaterializationError, match=r"did not answer within 1 s"):
            _run(lambda: ours.materialize(views=["typed"]), timeout=30)
        assert time.monotonic() - started < 10
    finally:
        os.kill(redis_server.process.pid, signal.SIGCONT)


def test_redis_down_before_start(tmp_path):
    repo.write_data(tmp_path / "data")
    server = RedisProcess()
    conn = server.feast_connection_string
    server.stop()
    ours = repo.open_repo(tmp_path / "ours", tmp_path / "data", repo.redis_store(conn), repo.bulk())
    with pytest.raises(MaterializationError, match=rf"cannot connect to Redis at {conn}"):
        _run(lambda: ours.materialize(views=["typed"]), timeout=30)
