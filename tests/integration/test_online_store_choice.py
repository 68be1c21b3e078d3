"""The embedded default: REDIS_URL, else a private redis-server, else SQLite with a notice."""

from __future__ import annotations

import redis

from featureguard.feast_store import choose_online_store
from featureguard.settings import redis_url_to_feast


def test_redis_url_is_used_as_is(fg_home, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://:s3cret@10.1.2.3:6380/2")
    choice = choose_online_store()
    assert choice.kind == "redis" and choice.process is None
    assert choice.config["connection_string"] == "10.1.2.3:6380,db=2,password=s3cret"


def test_rediss_url_turns_on_tls():
    assert redis_url_to_feast("rediss://cache:7000") == "cache:7000,ssl=true"


def test_private_redis_server_is_started_and_keeps_data_between_runs(fg_home):
    first = choose_online_store()
    assert first.kind == "redis" and first.process is not None
    port = first.process.port
    redis.Redis(port=port).set("marker", b"kept")
    pid = first.process.process.pid
    first.close()
    assert first.process is None
    second = choose_online_store()
    try:
        assert second.process is not None and second.process.process.pid != pid
        assert redis.Redis(port=second.process.port).get("marker") == b"kept"
    finally:
        second.close()


def test_sqlite_fallback_without_redis_server(fg_home, monkeypatch):
    monkeypatch.setenv("PATH", str(fg_home))  # no redis-server on PATH
    choice = choose_online_store()
    assert choice.kind == "sqlite"
    assert "SQLite" in choice.notice and "redis-server not found" in choice.notice
    assert choice.config["path"].startswith(str(fg_home))
