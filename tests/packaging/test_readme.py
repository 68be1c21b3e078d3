"""The README works as written: its "Start your own project" and nycflights13 commands build the
projects, then every ```python block runs in its own process against them (on a real
redis-server), as a reader would paste it."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from featureguard.demo.producers import producer_batches
from featureguard.redis_process import free_port
from tests.packaging.readme import blocks, commands, python_cwd, section

pytestmark = pytest.mark.slow

#: Variables that would point the README's commands at the test suite's project and home.
_SUITE_ENV = ("FEATUREGUARD_REPO", "FEATUREGUARD_HOME", "FEATUREGUARD_REDIS", "FEATUREGUARD_REDIS_TYPE")


def _env(redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SUITE_ENV}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # featureguard, as installed
    env["REDIS_URL"] = redis_url
    return env


def _bash_block(heading: str) -> str:
    (block,) = [b for b in blocks("bash") if b in section(heading)][:1]
    return block


def _run_commands(block: str, cwd: Path, env: dict[str, str]) -> Path:
    """Runs each command line of ``block`` (``cd`` moves on; ``serve`` is checked while it runs);
    returns the folder the block ends in."""
    for command in commands(block):
        argv = shlex.split(command.line)
        if argv[0] == "cd":
            cwd = (cwd / argv[1]).resolve()
            continue
        if argv[:2] == ["featureguard", "serve"]:
            _check_serve(argv, cwd, env)
            continue
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == command.exit_code, (
            f"`{command.line}` exited {done.returncode}, the README says {command.exit_code}:\n"
            f"{done.stdout}\n{done.stderr}")
    return cwd


def _check_serve(argv: list[str], cwd: Path, env: dict[str, str]) -> None:
    """``featureguard serve`` as the README starts it (on a free port): it answers online reads."""
    port = free_port()
    server = subprocess.Popen([*argv, "--port", str(port)], cwd=cwd, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stdout.read()  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(f"{base}/readyz", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "serve did not get ready in 60 s"
            time.sleep(0.3)
        body = json.dumps({"feature_service": "sensor_health", "entities": {"sensor_id": [1]}}).encode()
        request = urllib.request.Request(f"{base}/v1/online-features", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as reply:
            answer = json.load(reply)
        values = dict(zip(answer["metadata"]["feature_names"], answer["results"]))
        assert values["temperature"]["values"] == [21.7] and values["temperature"]["statuses"] == ["PRESENT"]
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, redis_server) -> Path:
    """A folder holding ``myproject/`` and ``flights/``, built by the README's own commands."""
    work = tmp_path_factory.mktemp("readme")
    env = _env(redis_server.url)
    ended = _run_commands(_bash_block("Start your own project"), work, env)
    assert ended == work / "myproject"
    # `make demo` leaves the nycflights13 producers' batches in ./.featureguard/demo/inbox/
    producer_batches(work / ".featureguard" / "demo" / "inbox", months=12)
    ended = _run_commands(_bash_block("The nycflights13 example"), work, env)
    assert ended == work / "flights"
    return work


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_block_runs_as_written(index, workspace, redis_server):
    block = blocks("python")[index]
    project = python_cwd(block)
    cwd = workspace / project if project else workspace
    done = subprocess.run([sys.executable, "-c", block], cwd=cwd, env=_env(redis_server.url), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, f"README python block {index} failed:\n{block}\n{done.stdout}\n{done.stderr}"
    if "print(" in block:
        assert done.stdout.strip(), f"README python block {index} printed nothing"
    if ".statuses" in block:  # an online read found stored values (old ones are returned, marked)
        assert "PRESENT" in done.stdout or "OUTSIDE_MAX_AGE" in done.stdout, done.stdout
