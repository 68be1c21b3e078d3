"""Which online store a run uses: the one answer every command and the HTTP service share.

``REDIS_URL`` names a Redis; with ``FEATUREGUARD_REDIS_TYPE=redis_cluster`` it is one start-up node
of a Redis Cluster. Without REDIS_URL, a command may start a private redis-server under
FEATUREGUARD_HOME (when one is installed); else Feast's SQLite store, with a notice saying why.

Feast-free: it builds Feast's ``online_store`` config (a dict) and, from the same parse, the
targets of our own Redis clients, so every path talks to the Redis that Feast writes to.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from featureguard.redis_process import RedisProcess, RedisUnavailableError, redis_server_binary
from featureguard.settings import REDIS_URL_ENV, data_home, parse_redis_url, redis_type


@dataclass
class OnlineStoreChoice:
    """Which online store a run uses, and the private redis-server to stop afterwards, if any."""

    kind: str  # "redis" | "sqlite"
    config: dict[str, Any]  # Feast's online_store section
    notice: str
    process: RedisProcess | None = field(default=None, repr=False)
    url: str | None = None  # the redis:// URL of a Redis choice (REDIS_URL or the private server's)

    @property
    def cluster(self) -> bool:
        return self.config.get("redis_type") == "redis_cluster"

    def target(self):
        """The RedisTarget of our own clients (lean reader, bulk writer, probes)."""
        from featureguard.redis.target import RedisTarget

        if self.kind != "redis":
            raise ValueError(f"the online store is {self.kind}, not Redis")
        return RedisTarget.from_feast(self.config)

    def redis_client(self, connect_timeout: float = 2.0, timeout: float = 10.0) -> Any:
        """A redis-py client (``RedisCluster`` on a cluster) with timeouts and no retries, so a
        hung Redis fails the command within ``timeout`` instead of stalling it (redis-py would
        otherwise retry a timed-out command three times)."""
        import redis
        from redis.backoff import NoBackoff
        from redis.cluster import ClusterNode, RedisCluster
        from redis.retry import Retry

        t = self.target()
        common = dict(username=t.username, password=t.password, ssl=t.ssl, retry=Retry(NoBackoff(), 0),
                      socket_connect_timeout=connect_timeout, socket_timeout=timeout)
        if t.cluster:
            return RedisCluster(startup_nodes=[ClusterNode(h, p) for h, p in t.nodes], **common)
        host, port = t.nodes[0]
        return redis.Redis(host=host, port=port, db=t.db, **common)

    def close(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None


def redis_choice(url: str) -> OnlineStoreChoice:
    """The Redis at ``url``, a Cluster when FEATUREGUARD_REDIS_TYPE says so."""
    kind = redis_type()
    conn = parse_redis_url(url).feast_connection_string(cluster=kind == "redis_cluster")
    what = "Redis Cluster (start-up node)" if kind == "redis_cluster" else "Redis"
    return OnlineStoreChoice("redis", {"type": "redis", "redis_type": kind, "connection_string": conn},
                             f"online store: {what} at {_public(conn)}", url=url)


def configured_redis() -> OnlineStoreChoice | None:
    """The Redis that REDIS_URL names, or None: never starts anything (the HTTP workers, probes)."""
    url = os.environ.get(REDIS_URL_ENV)
    return redis_choice(url) if url else None


def choose_online_store(start_private: bool = True) -> OnlineStoreChoice:
    """REDIS_URL if set; else a private redis-server if one is installed; else Feast's SQLite."""
    configured = configured_redis()
    if configured is not None:
        return configured
    if start_private and redis_server_binary():
        try:
            proc = RedisProcess(data_dir=data_home() / "redis", persist=True)
        except RedisUnavailableError as exc:
            return _sqlite_choice(f"could not start redis-server ({exc})")
        conn = proc.feast_connection_string
        return OnlineStoreChoice(
            "redis", {"type": "redis", "redis_type": "redis", "connection_string": conn},
            f"online store: private redis-server on {conn} (data in {proc.data_dir}, stopped at exit)", proc,
            url=proc.url,
        )
    return _sqlite_choice("redis-server not found and REDIS_URL unset")


def _sqlite_choice(why: str) -> OnlineStoreChoice:
    path = str(data_home() / "online.db")
    return OnlineStoreChoice("sqlite", {"type": "sqlite", "path": path}, f"online store: SQLite at {path} ({why})")


def _public(connection_string: str) -> str:
    """The connection string without its password, for notices and logs."""
    return ",".join("password=***" if item.startswith("password=") else item for item in connection_string.split(","))
