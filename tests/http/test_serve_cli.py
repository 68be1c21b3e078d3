"""`featureguard serve` as users start it: uvicorn, two worker processes, metrics merged across them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from featureguard.redis_process import free_port
from tests.http.conftest import CONTRACTS, KEYS, READER, WEATHER_WRITER, records, weather_rows

pytestmark = pytest.mark.slow  # starts processes (servers, the CLI, killed ingests)

BIN = Path(sys.executable).parent


def _request(url: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET",
                                     headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _wait_ready(base: str, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else "server exited"
        try:
            if _request(base + "/readyz")[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.5)
    raise AssertionError("featureguard serve did not become ready")


def test_serve_with_two_workers(stores, tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps({"keys": KEYS}))
    port = free_port()
    env = {**os.environ, "FEATUREGUARD_HOME": str(stores.home), "REDIS_URL": stores.redis.url}
    for name in ("PROMETHEUS_MULTIPROC_DIR", "PROMETHEUS_MULTIPROCESS_DIR"):
        env.pop(name, None)
    proc = subprocess.Popen([str(BIN / "featureguard"), "serve", "--port", str(port), "--workers", "2",
                             "--keys-file", str(keys_file), "--max-push-rows", "100"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, proc)
        status, body = _request(base + "/v1/push/weather", records(weather_rows(3)),
                                {"Content-Type": "application/json", "Authorization": f"Bearer {WEATHER_WRITER}"})
        assert status == 201 and json.loads(body)["online_written"] == 3  # one per origin
        lookup = json.dumps({"features": ["weather_hourly:temp"], "entities": {"origin": ["EWR", "JFK"]}}).encode()
        for _ in range(20):
            status, body = _request(base + "/v1/online-features", lookup, {"Authorization": f"Bearer {READER}"})
            # 2013 values, long past the view's 3 h TTL: returned, and marked so (the default).
            assert status == 200 and json.loads(body)["results"][1]["statuses"] == ["OUTSIDE_MAX_AGE"] * 2
        status, body = _request(base + "/v1/push/weather", records(weather_rows(40)),
                                {"Content-Type": "application/json", "Authorization": f"Bearer {WEATHER_WRITER}"})
        assert status == 413  # --max-push-rows reached the workers
        status, text = _request(base + "/metrics", headers={"Authorization": f"Bearer {CONTRACTS}"})
        assert status == 200
        counts = {tuple(sorted(s.labels.items())): s.value for f in text_string_to_metric_families(text.decode())
                  for s in f.samples if s.name == "featureguard_http_request_duration_seconds_count"}
        assert counts[(("route", "/v1/online-features"),)] == 20  # every worker's requests, whichever answers
        assert "featureguard_rows_accepted_total" in text.decode() and "feast_" not in text.decode()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0


def test_cli_import_stays_feast_free() -> None:
    code = ("import sys, featureguard.cli.app; "
            "sys.exit(any(m == 'feast' or m.startswith('feast.') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
