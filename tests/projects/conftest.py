"""Projects worked on as their users work on them: the CLI as a subprocess, in the project folder,
with a clean environment (FEATUREGUARD_REPO only when a test means it), on the session's real
redis-server (REDIS_URL, so no command starts a private one)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

from featureguard.project import REPO_ENV
from featureguard.redis_process import free_port
from featureguard.settings import HOME_ENV
from tests.http.test_serve_cli import _request, _wait_ready

CLI = [sys.executable, "-m", "featureguard.cli.app"]


def clean_env(redis_url: str | None = None, repo: Path | None = None, **extra: str) -> dict[str, str]:
    """PATH and HOME only, plus what the test means: REDIS_URL, FEATUREGUARD_REPO, ``extra``."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}
    if redis_url:
        env["REDIS_URL"] = redis_url
    if repo is not None:
        env[REPO_ENV] = str(repo)
    env.update(extra)
    return env


def fg(*args: str, cwd: Path, redis_url: str | None = None, repo: Path | None = None,
       timeout: float = 120, **extra: str) -> subprocess.CompletedProcess:
    """``featureguard ARGS`` run in ``cwd``."""
    return subprocess.run([*CLI, *args], cwd=cwd, env=clean_env(redis_url, repo, **extra), capture_output=True,
                          text=True, timeout=timeout)


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result


def ok_json(result: subprocess.CompletedProcess) -> Any:
    return json.loads(ok(result).stdout)


def init_project(parent: Path, name: str) -> Path:
    """``featureguard init NAME`` in ``parent``: the starter project, Feast project name ``name``."""
    ok(fg("init", name, cwd=parent))
    root = parent / name
    assert f"project: {name}\n" in (root / "feature_store.yaml").read_text()
    return root


@contextmanager
def serving(project: Path, redis_url: str, *args: str) -> Iterator[str]:
    """``featureguard serve --repo PROJECT --open-reads`` on a free port, from outside the
    project; yields its base URL once /readyz answers 200, and stops it (SIGTERM) afterwards."""
    port = free_port()
    proc = subprocess.Popen([*CLI, "serve", "--repo", str(project), "--port", str(port), "--open-reads", *args],
                            cwd=project.parent, env=clean_env(redis_url), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, proc, timeout=60)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        if proc.stdout:
            proc.stdout.close()


def post_json(url: str, body: dict) -> tuple[int, Any]:
    status, raw = _request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    return status, json.loads(raw)


def columns(answer: dict) -> dict[str, dict]:
    """An /v1/online-features answer as feature name -> its values, statuses and timestamps."""
    return dict(zip(answer["metadata"]["feature_names"], answer["results"]))


@pytest.fixture()
def in_process(monkeypatch: pytest.MonkeyPatch, redis_server):
    """For ``featureguard.open_store`` in the test process: REDIS_URL on the session server, and
    FEATUREGUARD_REPO / FEATUREGUARD_HOME restored afterwards (activating a project sets them)."""
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    monkeypatch.setenv(REPO_ENV, os.environ[REPO_ENV])  # tests/conftest.py sets it
    monkeypatch.delenv(HOME_ENV, raising=False)
    return monkeypatch
