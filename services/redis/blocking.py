"""Blocking Redis connections: pre-framed RESP out in one ``sendall``, replies parsed by hiredis.

Why not redis-py: per call it packs every argument in Python, checks a connection out of a pool
and parses each reply through its response callbacks; for a 100-entity lookup (300 HMGETs) or
a chunk of bulk writes that is most of the time (benchmarks/online.py, benchmarks/materialize.py).

``Connection`` is the one socket to one node used by the lean reader and the bulk writer. Replies
are read parsed (``read``), or, when they are known to be single lines (HSET/EXPIRE integers),
counted without parsing (``read_lines``). Every socket has a timeout: a Redis that dies or stops
answering fails the call with a ConnectionError/TimeoutError naming the node, never a hang.
``Client`` (one node) and ``ClusterClient`` (a Redis Cluster, through ``ClusterRouter``) carry the
reader's lookups; the writer builds its own pipelining on ``Connection`` (materialize/wire.py).
"""

from __future__ import annotations

import os
import socket
import threading
from typing import Any, Generator, Protocol

import numpy as np

from featureguard.redis.cluster import ClusterRouter, Exchange, NodePool, SlotMap
from featureguard.redis.errors import RedisReplyError, raise_errors
from featureguard.redis.resp import CLUSTER_SLOTS, NIL, PING, reply_reader
from featureguard.redis.target import Node, RedisTarget, open_socket


class Connection:
    """One blocking socket to one Redis node, opened on first use (and again in a forked child)."""

    def __init__(self, node: Node, target: RedisTarget, connect_timeout: float, timeout: float,
                 buffer: int = 1 << 16) -> None:
        self.node = node
        self.target = target
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.reader: Any = None
        self.pid = 0  # the process that opened ``sock``: a forked child must open its own
        self._buffer = bytearray(buffer)
        self._view = memoryview(self._buffer)
        self._pending = bytearray()  # bytes received beyond the single-line replies read so far

    @property
    def where(self) -> str:
        return f"{self.node[0]}:{self.node[1]}"

    def open(self) -> None:
        sock = open_socket(self.node, self.target, self.connect_timeout, self.timeout)
        self.sock, self.reader, self.pid = sock, reply_reader(), os.getpid()
        setup = self.target.setup()
        if setup:
            self.send(b"".join(setup))
            for reply in self.read(len(setup)):
                if isinstance(reply, RedisReplyError):
                    self.close()
                    raise ConnectionError(f"Redis at {self.where} refused the connection setup: {reply}")

    def send(self, data: bytes | memoryview) -> None:
        if self.sock is None or self.pid != os.getpid():
            self.open()
        try:
            self.sock.sendall(data)  # type: ignore[union-attr]
        except socket.timeout:
            self._fail(TimeoutError, f"did not accept data within {self.timeout:g} s")
        except OSError as exc:
            self._fail(ConnectionError, f"connection lost ({exc.strerror or exc})")

    def _recv(self) -> int:
        """Receives into the buffer; the number of bytes."""
        try:
            n = self.sock.recv_into(self._buffer)  # type: ignore[union-attr]
        except socket.timeout:
            self._fail(TimeoutError, f"did not answer within {self.timeout:g} s")
        except OSError as exc:
            self._fail(ConnectionError, f"connection lost ({exc.strerror or exc})")
        if not n:
            self._fail(ConnectionError, "closed the connection")
        return n

    def _fail(self, kind: type[Exception], what: str) -> None:
        self.close()
        raise kind(f"Redis at {self.where} {what}") from None

    def read(self, count: int, nil_run: bool = False) -> list[Any]:
        """The next ``count`` replies, in order, parsed (error replies are returned, not raised).
        ``nil_run``: the replies are likely all nil (HGETs of absent keys: a first
        materialization), recognised by comparing bytes before any parsing."""
        reader = self.reader
        if nil_run and not reader.has_data():
            nils = NIL * count
            data = bytes(self._pending)
            while len(data) < len(nils) and nils.startswith(data):
                data += self._view[:self._recv()]
            self._pending = bytearray()
            if data == nils:
                return [None] * count
            reader.feed(data)
        elif self._pending:
            reader.feed(bytes(self._pending))
            self._pending = bytearray()
        replies: list[Any] = []
        append = replies.append
        while True:
            reply = reader.gets()
            while reply is not False:
                append(reply)
                if len(replies) == count:
                    return replies
                reply = reader.gets()
            reader.feed(self._view, 0, self._recv())

    def read_lines(self, count: int) -> bytes:
        """The raw bytes of the next ``count`` single-line replies (integers or errors), counted,
        not parsed. Bytes of later replies that arrive with them are kept for the next read."""
        seen = self._pending.count(b"\n")
        while seen < count:
            data = bytes(self._view[:self._recv()])
            seen += data.count(b"\n")
            self._pending += data
        if seen == count:
            raw, self._pending = bytes(self._pending), bytearray()
            return raw
        ends = np.flatnonzero(np.frombuffer(self._pending, dtype=np.uint8) == 10)
        cut = int(ends[count - 1]) + 1
        raw = bytes(self._pending[:cut])
        del self._pending[:cut]
        return raw

    def roundtrip(self, packed: bytes, count: int) -> list[Any]:
        """Sends ``count`` commands and reads their replies; a failure closes the socket (replies
        may still be in flight: a half-read socket is never reused)."""
        try:
            self.send(packed)
            return self.read(count)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self._pending = bytearray()
        sock, self.sock = self.sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass


class Batch(Protocol):
    """Commands to run: one pre-framed blob (``packed``, ``count``) for one node; one command per
    key (``keys``, ``commands``) for a cluster. The reader's ``Lookup`` is one."""

    packed: bytes
    count: int
    keys: list[bytes] | None
    commands: list[bytes] | None


class Client:
    """One Redis node. A lock makes it safe to share between threads (one batch on the socket at
    a time). A dropped connection is re-opened and, since reads are idempotent, the batch retried once."""

    keyed = False  # batches come as one pre-framed blob

    def __init__(self, target: RedisTarget, connect_timeout: float = 1.0, timeout: float = 2.0) -> None:
        self.connection = Connection(target.nodes[0], target, connect_timeout, timeout)
        self._lock = threading.Lock()

    def execute(self, packed: bytes, count: int) -> list[Any]:
        """The replies of ``count`` pre-framed commands, in order; error replies are raised."""
        if not count:
            return []
        with self._lock:
            reused = self.connection.sock is not None
            try:
                return raise_errors(self.connection.roundtrip(packed, count))
            except ConnectionError:
                if not reused:
                    raise
            # a stale socket (e.g. Redis restarted): one retry, fresh
            return raise_errors(self.connection.roundtrip(packed, count))

    def run(self, batch: Batch) -> list[Any]:
        return self.execute(batch.packed, batch.count)

    def ping(self) -> None:
        self.execute(PING, 1)

    def close(self) -> None:
        with self._lock:
            self.connection.close()


class ClusterClient:
    """A Redis Cluster: one connection per master, commands routed by their key's hash slot."""

    keyed = True  # batches come as one command per key

    def __init__(self, target: RedisTarget, connect_timeout: float = 1.0, timeout: float = 2.0) -> None:
        self.target = target
        self.router = ClusterRouter(target)
        self._connection = NodePool(lambda node: Connection(node, target, connect_timeout, timeout))
        self._lock = threading.Lock()

    def _slots(self) -> SlotMap:
        return self.router.slots or self.router.load_slots(
            lambda node: self._connection(node).roundtrip(CLUSTER_SLOTS, 1)[0])

    def _exchange(self, exchange: Exchange) -> list[list[Any]]:
        """Sends every node its commands, then reads every node's replies."""
        sent = []
        try:
            for node, packed, _ in exchange:
                connection = self._connection(node)
                sent.append(connection)
                connection.send(packed)
            return [connection.read(count) for connection, (_, _, count) in zip(sent, exchange)]
        except BaseException:
            for connection in sent:  # replies may still be in flight on any of them
                connection.close()
            raise

    def _drive(self, steps: Generator[Exchange, list[list[Any]], list[Any]]) -> list[Any]:
        exchange = next(steps)
        while True:
            try:
                exchange = steps.send(self._exchange(exchange))
            except StopIteration as done:
                return done.value

    def execute_keyed(self, keys: list[bytes], commands: list[bytes]) -> list[Any]:
        """The replies of one command per key, in key order."""
        with self._lock:
            try:
                try:
                    replies = self._drive(self.router.keyed(self._slots(), keys, commands))
                except ConnectionError:  # a node went away or the topology changed: re-read it once
                    self.router.slots = None
                    replies = self._drive(self.router.keyed(self._slots(), keys, commands))
                self._slots()  # after a MOVED: the corrected map, before the next batch
                return replies
            except BaseException:
                self._drop()
                raise

    def run(self, batch: Batch) -> list[Any]:
        assert batch.keys is not None and batch.commands is not None
        return self.execute_keyed(batch.keys, batch.commands)

    def ping(self) -> None:
        with self._lock:
            for node in self._slots().nodes:
                raise_errors(self._connection(node).roundtrip(PING, 1))

    def _drop(self) -> None:
        for connection in self._connection.connections.values():
            connection.close()
        self._connection.connections.clear()

    def close(self) -> None:
        with self._lock:
            self._drop()


def connect(target: RedisTarget, connect_timeout: float = 1.0, timeout: float = 2.0) -> Client | ClusterClient:
    return (ClusterClient if target.cluster else Client)(target, connect_timeout, timeout)
