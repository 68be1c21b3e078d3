"""Where the online store is: one Redis or the start-up nodes of a Redis Cluster, with auth.

Built from a ``redis://`` URL (the HTTP service's REDIS_URL) or from Feast's own online store
config (``type: redis``, ``redis_type: redis | redis_cluster``, ``connection_string:
host:port[,host:port...],db=0,password=..,ssl=true``), parsed as Feast parses it, so the reader
always talks to the Redis that Feast writes to.
"""

from __future__ import annotations

import json
import socket
import ssl as ssl_lib
from dataclasses import dataclass
from typing import Any

from featureguard.settings import parse_redis_url  # the one Redis URL parser


#: Error codes (the reply's first word) meaning "this Redis cannot serve the command right now",
#: not "the command is wrong", with a suggested wait in seconds: restart loading its dataset,
#: a replica refusing writes (failover), writes stopped after a failed save, a script holding
#: the server, a cluster with unserved slots or a slot mid-migration, a replica cut off from its
#: master, too few replicas for ``min-replicas-to-write``. BUSYKEY/BUSYGROUP are other codes.
UNAVAILABLE_CODES: dict[str, int] = {
    "LOADING": 2, "READONLY": 5, "MISCONF": 5, "BUSY": 1, "CLUSTERDOWN": 2, "TRYAGAIN": 1,
    "MASTERDOWN": 2, "NOREPLICAS": 2,
}
#: the wait suggested when Redis cannot be reached or stops answering
CONNECTION_RETRY_AFTER = 1


class RedisReplyError(RuntimeError):
    """Redis answered a command with an error (wrong type, auth, MOVED, LOADING ...)."""

    @property
    def code(self) -> str:
        """The error code: the first word of the reply (``LOADING``, ``WRONGTYPE``, ``ERR`` ...)."""
        return str(self).split(" ", 1)[0]

    @property
    def unavailable(self) -> bool:
        """True when retrying later may succeed (see UNAVAILABLE_CODES); False for a bad command."""
        return self.code in UNAVAILABLE_CODES


def unavailable_retry_after(exc: BaseException) -> int | None:
    """Seconds to wait before retrying when ``exc`` means the store is unavailable; None when it
    is anything else (a bug or a bad command). Covers our reply errors, redis-py's exceptions
    (its ``BusyLoadingError``, ``ReadOnlyError`` ... carry the same codes) and connections that
    fail or time out."""
    code = exc.code if isinstance(exc, RedisReplyError) else _redis_py_code(exc)
    if code is not None:
        return UNAVAILABLE_CODES.get(code)
    if isinstance(exc, (ConnectionError, TimeoutError)) or _redis_py_unreachable(exc):
        return CONNECTION_RETRY_AFTER
    return None


def _redis_py_code(exc: BaseException) -> str | None:
    """The reply code of a redis-py error reply, None for anything else. redis-py drops the code
    from the message of the replies it maps to a class of their own."""
    exceptions = _redis_py_exceptions()
    if exceptions is None:
        return None
    for cls, code in ((exceptions.BusyLoadingError, "LOADING"), (exceptions.ReadOnlyError, "READONLY"),
                      (exceptions.ClusterDownError, "CLUSTERDOWN"), (exceptions.TryAgainError, "TRYAGAIN")):
        if isinstance(exc, cls):
            return code
    if isinstance(exc, exceptions.ResponseError):
        return str(exc).split(" ", 1)[0]
    return None


def _redis_py_unreachable(exc: BaseException) -> bool:
    exceptions = _redis_py_exceptions()
    return exceptions is not None and isinstance(exc, (exceptions.ConnectionError, exceptions.TimeoutError))


def _redis_py_exceptions() -> Any:
    try:
        from redis import exceptions
    except ImportError:  # pragma: no cover - redis-py comes with Feast's redis extra
        return None
    return exceptions


def pack(*args: bytes | str | int) -> bytes:
    """One RESP command (array of bulk strings)."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        raw = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    return b"".join(out)


@dataclass(frozen=True)
class RedisTarget:
    nodes: tuple[tuple[str, int], ...]  # one node, or a cluster's start-up nodes
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


def open_socket(node: tuple[str, int], target: RedisTarget, connect_timeout: float, timeout: float) -> socket.socket:
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
