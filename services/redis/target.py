"""Where Redis is: one node or the start-up nodes of a Redis Cluster, with auth and TLS; and the
socket opener every blocking connection uses.

Built from a ``redis://`` URL (the HTTP service's REDIS_URL, parsed by the one URL parser,
``settings.parse_redis_url``) or from Feast's own online store config (``type: redis``,
``redis_type: redis | redis_cluster``, ``connection_string: host:port[,host:port...],db=0,
password=..,ssl=true``), parsed as Feast parses it, so our clients always talk to the Redis that
Feast writes to.
"""

from __future__ import annotations

import json
import socket
import ssl as ssl_lib
from dataclasses import dataclass
from typing import Any

from featureguard.redis.resp import pack
from featureguard.settings import parse_redis_url  # the one Redis URL parser

Node = tuple[str, int]


@dataclass(frozen=True)
class RedisTarget:
    nodes: tuple[Node, ...]  # one node, or a cluster's start-up nodes
    cluster: bool = False
    db: int = 0
    username: str | None = None
    password: str | None = None
    ssl: bool = False

    @classmethod
    def from_url(cls, url: str, cluster: bool = False) -> "RedisTarget":
        u = parse_redis_url(url)
        return cls(((u.host, u.port),), cluster, 0 if cluster else u.db, u.username, u.password, u.ssl)

    @classmethod
    def from_feast(cls, online_store: Any) -> "RedisTarget":
        """From Feast's ``RedisOnlineStoreConfig`` (or a dict of its fields)."""
        get = online_store.get if isinstance(online_store, dict) else lambda k, d=None: getattr(online_store, k, d)
        if get("type", "redis") not in ("redis", "feast.infra.online_stores.redis.RedisOnlineStore"):
            raise ValueError(f"the online store is {get('type')!r}; the lean reader reads Redis only")
        redis_type = str(getattr(get("redis_type", "redis"), "value", get("redis_type", "redis")))
        if redis_type not in ("redis", "redis_cluster"):
            raise ValueError(f"redis_type {redis_type!r} is not supported by the lean reader (redis, redis_cluster)")
        nodes, params = parse_connection_string(get("connection_string", "localhost:6379"))
        if not nodes:
            raise ValueError("the Redis connection string names no host:port")
        ssl = params.get("ssl", False)
        return cls(tuple(nodes), redis_type == "redis_cluster",
                   0 if redis_type == "redis_cluster" else int(params.get("db", 0) or 0),
                   _str_or_none(params.get("username")), _str_or_none(params.get("password")),
                   ssl is True or str(ssl).lower() == "true")

    def setup(self) -> list[bytes]:
        """Commands every new connection sends first (AUTH, SELECT)."""
        commands = []
        if self.password:
            commands.append(pack("AUTH", *(a for a in (self.username, self.password) if a)))
        if self.db and not self.cluster:
            commands.append(pack("SELECT", self.db))
        return commands


def open_socket(node: Node, target: RedisTarget, connect_timeout: float, timeout: float) -> socket.socket:
    """A connected blocking socket to one node (TCP_NODELAY, TLS when the target asks for it);
    a ConnectionError names the node when it cannot be reached."""
    host, port = node
    try:
        sock = socket.create_connection((host, port), timeout=connect_timeout)
    except OSError as exc:
        raise ConnectionError(f"cannot connect to Redis at {host}:{port}: {exc.strerror or exc}") from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if target.ssl:
        sock = ssl_lib.create_default_context().wrap_socket(sock, server_hostname=host)
    sock.settimeout(timeout)
    return sock


def _str_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def parse_connection_string(connection_string: str) -> tuple[list[tuple[str, int]], dict[str, Any]]:
    """Feast's ``RedisOnlineStore._parse_connection_string``: ``host:port`` items are nodes,
    ``key=value`` items are parameters (values JSON-decoded when they parse)."""
    nodes, params = [], {}
    for item in connection_string.split(","):
        item = item.strip()
        if not item:
            continue
        if "=" in item:
            key, value = item.split("=", 1)
            try:
                params[key] = json.loads(value)
            except json.JSONDecodeError:
                params[key] = value
        else:
            host, _, port = item.rpartition(":")
            nodes.append((host, int(port)) if host else (item, 6379))
    return nodes, params
