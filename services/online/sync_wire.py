"""Blocking Redis connections for the SDK reader: pre-packed RESP on a plain socket, hiredis replies.

Why not redis-py's pipeline: per call it packs every argument in Python, checks a connection
out of the pool and parses each reply through its response callbacks; for a 100-entity lookup
(300 HMGETs) that is most of the time (see benchmarks/online.py). Here a lookup's commands
arrive as one pre-packed blob, go out in one ``sendall`` and come back through hiredis' C
parser. A lock makes a wire safe to share between threads (one lookup on the socket at a time).
A dropped connection is re-opened and, since reads are idempotent, the lookup retried once.
"""

from __future__ import annotations

import os
import socket
import threading
from typing import Any

import hiredis

from featureguard.online.cluster import ASKING, CLUSTER_SLOTS, PING, ClusterRoutingError, Node, SlotMap, redirect_of
from featureguard.online.plan import Lookup
from featureguard.online.target import RedisReplyError, RedisTarget, open_socket

_BUFFER = 1 << 16


class Connection:
    """One blocking socket to one Redis node."""

    def __init__(self, node: Node, target: RedisTarget, connect_timeout: float, timeout: float) -> None:
        self.node = node
        self.target = target
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.reader: Any = None
        self.pid = 0  # the process that opened ``sock``: a forked child must open its own
        self._buffer = bytearray(_BUFFER)
        self._view = memoryview(self._buffer)

    def open(self) -> None:
        host, port = self.node
        sock = open_socket(self.node, self.target, self.connect_timeout, self.timeout)
        self.sock, self.reader, self.pid = sock, hiredis.Reader(replyError=RedisReplyError), os.getpid()
        setup = self.target.setup()
        if setup:
            self.send(b"".join(setup))
            for reply in self.read(len(setup)):
                if isinstance(reply, RedisReplyError):
                    self.close()
                    raise ConnectionError(f"Redis at {host}:{port} refused the connection setup: {reply}")

    def send(self, packed: bytes) -> None:
        if self.sock is None or self.pid != os.getpid():
            self.open()
        try:
            self.sock.sendall(packed)  # type: ignore[union-attr]
        except OSError as exc:
            self.close()
            raise ConnectionError(f"connection to Redis at {self.node[0]}:{self.node[1]} lost: {exc}") from None

    def read(self, count: int) -> list[Any]:
        """``count`` replies, in order (error replies are returned, not raised)."""
        reader = self.reader
        replies: list[Any] = []
        append = replies.append
        while True:
            reply = reader.gets()
            while reply is not False:
                append(reply)
                if len(replies) == count:
                    return replies
                reply = reader.gets()
            try:
                n = self.sock.recv_into(self._buffer)  # type: ignore[union-attr]
            except socket.timeout:
                self.close()
                raise TimeoutError(f"Redis at {self.node[0]}:{self.node[1]} did not answer within "
                                   f"{self.timeout:g} s") from None
            except OSError as exc:
                self.close()
                raise ConnectionError(f"connection to Redis at {self.node[0]}:{self.node[1]} lost: {exc}") from None
            if not n:
                self.close()
                raise ConnectionError(f"Redis at {self.node[0]}:{self.node[1]} closed the connection")
            reader.feed(self._view, 0, n)

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass


def _raise_errors(replies: list[Any]) -> list[Any]:
    for reply in replies:
        if isinstance(reply, RedisReplyError):
            raise reply
    return replies


class SyncWire:
    """One Redis node."""

    keyed = False  # lookups come as one pre-packed blob

    def __init__(self, target: RedisTarget, connect_timeout: float = 1.0, timeout: float = 2.0) -> None:
        self.connection = Connection(target.nodes[0], target, connect_timeout, timeout)
        self._lock = threading.Lock()

    def execute(self, packed: bytes, count: int) -> list[Any]:
        if not count:
            return []
        with self._lock:
            reused = self.connection.sock is not None
            try:
                return self._roundtrip(packed, count)
            except ConnectionError:
                if not reused:
                    raise
            return self._roundtrip(packed, count)  # a stale socket (e.g. Redis restarted): one retry, fresh

    def _roundtrip(self, packed: bytes, count: int) -> list[Any]:
        connection = self.connection
        try:
            connection.send(packed)
            replies = connection.read(count)
        except BaseException:
            connection.close()  # replies may still be in flight: never reuse a half-read socket
            raise
        return _raise_errors(replies)

    def run(self, work: Lookup) -> list[Any]:
        return self.execute(work.packed, work.count)

    def ping(self) -> None:
        self.execute(PING, 1)

    def close(self) -> None:
        with self._lock:
            self.connection.close()


class SyncClusterWire:
    """A Redis Cluster: one connection per master, HMGETs routed by hash slot."""

    keyed = True  # lookups come as one command per key
    MAX_REDIRECTS = 5

    def __init__(self, target: RedisTarget, connect_timeout: float = 1.0, timeout: float = 2.0) -> None:
        self.target = target
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self._connections: dict[Node, Connection] = {}
        self._lock = threading.Lock()
        self.slots: SlotMap | None = None

    def _connection(self, node: Node) -> Connection:
        connection = self._connections.get(node)
        if connection is None:
            connection = self._connections[node] = Connection(node, self.target, self.connect_timeout, self.timeout)
        return connection

    def _load_slots(self) -> SlotMap:
        errors = []
        for node in [*(self.slots.nodes if self.slots else ()), *self.target.nodes]:
            try:
                connection = self._connection(node)
                connection.send(CLUSTER_SLOTS)
                (reply,) = connection.read(1)
                if isinstance(reply, RedisReplyError):
                    raise ClusterRoutingError(f"CLUSTER SLOTS on {node[0]}:{node[1]}: {reply}")
                self.slots = SlotMap.from_reply(reply, node[0])
                return self.slots
            except (ConnectionError, TimeoutError) as exc:
                errors.append(str(exc))
        raise ConnectionError(f"no Redis Cluster node answered CLUSTER SLOTS: {'; '.join(errors)}")

    def run(self, work: Lookup) -> list[Any]:
        assert work.keys is not None and work.commands is not None
        with self._lock:
            try:
                try:
                    return self._run(work.keys, work.commands)
                except ConnectionError:  # a node went away or the topology changed: re-read it once
                    self.slots = None
                    return self._run(work.keys, work.commands)
            except BaseException:
                self._drop()
                raise

    def _run(self, keys: list[bytes], commands: list[bytes]) -> list[Any]:
        slots = self.slots or self._load_slots()
        replies: list[Any] = [None] * len(keys)
        groups = slots.route(keys)
        sent = []
        try:
            for node_index, positions in groups.items():
                connection = self._connection(slots.nodes[node_index])
                sent.append((connection, positions))
                connection.send(b"".join([commands[p] for p in positions]))
            for connection, positions in sent:
                for position, reply in zip(positions, connection.read(len(positions))):
                    replies[position] = reply
        except BaseException:
            for connection, _ in sent:  # replies may still be in flight on any of them
                connection.close()
            raise
        for _ in range(self.MAX_REDIRECTS):
            redirected = [(p, redirect_of(r)) for p, r in enumerate(replies) if isinstance(r, RedisReplyError)]
            if not redirected:
                return replies
            for position, target in redirected:
                if target is None:
                    raise replies[position]
                node = (target.node[0] or slots.nodes[0][0], target.node[1])
                connection = self._connection(node)
                if target.ask:
                    connection.send(ASKING + commands[position])
                    replies[position] = connection.read(2)[1]
                else:
                    self.slots = None  # stale map: reload after this round
                    connection.send(commands[position])
                    replies[position] = connection.read(1)[0]
            if self.slots is None:
                slots = self._load_slots()
        raise ClusterRoutingError(f"Redis Cluster kept redirecting after {self.MAX_REDIRECTS} attempts")

    def ping(self) -> None:
        with self._lock:
            slots = self.slots or self._load_slots()
            for node in slots.nodes:
                connection = self._connection(node)
                connection.send(PING)
                _raise_errors(connection.read(1))

    def _drop(self) -> None:
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()

    def close(self) -> None:
        with self._lock:
            self._drop()


def connect(target: RedisTarget, connect_timeout: float = 1.0, timeout: float = 2.0) -> SyncWire | SyncClusterWire:
    return (SyncClusterWire if target.cluster else SyncWire)(target, connect_timeout, timeout)
