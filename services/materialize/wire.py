"""Blocking Redis connections for bulk writes: one pre-framed blob out, replies counted back.

Commands arrive as Arrow arrays of pre-framed RESP (one element per row, see ``resp``), go out
with one ``sendall`` per chunk and per node, and their replies are read in the order sent.
Replies to HSET/EXPIRE are single-line integers, so they are counted rather than parsed; an
error line (``-...``) is located and reported. HGET replies go through hiredis, on a second
connection per node: a chunk's reads are then never queued behind the previous chunk's writes,
so the writer can wait for them while Redis keeps executing those writes. A run of nil replies
(absent keys: a first materialization) is recognised by comparing bytes, without parsing.

Redis Cluster: keys are routed to masters by hash slot (``CLUSTER SLOTS``, redis-py's CRC16);
a ``MOVED``/``ASK`` reply reloads the map or follows the redirect for the rows concerned.

Every socket has a timeout: a Redis that dies or stops answering mid-run fails the write with
a ``RedisWriteError`` naming the node, never a hang.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

import hiredis
import numpy as np
import pyarrow as pa

from featureguard.materialize.resp import contiguous
from featureguard.online.cluster import ASKING, CLUSTER_SLOTS, ClusterRoutingError, Node, SlotMap, redirect_of
from featureguard.online.target import RedisReplyError, RedisTarget, open_socket

_BUFFER = 1 << 18
_NIL = b"$-1\r\n"


class RedisWriteError(ConnectionError):
    """Redis failed, vanished or did not answer while rows were being written."""


class Connection:
    """One blocking socket to one Redis node."""

    def __init__(self, node: Node, target: RedisTarget, connect_timeout: float, timeout: float) -> None:
        self.node = node
        self.target = target
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self._buffer = bytearray(_BUFFER)
        self._pending = bytearray()

    @property
    def where(self) -> str:
        return f"{self.node[0]}:{self.node[1]}"

    def open(self) -> None:
        try:
            sock = open_socket(self.node, self.target, self.connect_timeout, self.timeout)
        except ConnectionError as exc:
            raise RedisWriteError(str(exc)) from None
        self.sock = sock
        setup = self.target.setup()
        if setup:
            self.send(b"".join(setup))
            for reply in self.read_parsed(len(setup)):
                if isinstance(reply, RedisReplyError):
                    self.close()
                    raise RedisWriteError(f"Redis at {self.where} refused the connection setup: {reply}")

    def send(self, data: bytes | memoryview) -> None:
        if self.sock is None:
            self.open()
        try:
            self.sock.sendall(data)  # type: ignore[union-attr]
        except socket.timeout:
            self._fail(f"did not accept data within {self.timeout:g} s")
        except OSError as exc:
            self._fail(f"connection lost ({exc.strerror or exc})")

    def _recv(self) -> bytes:
        try:
            n = self.sock.recv_into(self._buffer)  # type: ignore[union-attr]
        except socket.timeout:
            self._fail(f"did not answer within {self.timeout:g} s")
        except OSError as exc:
            self._fail(f"connection lost ({exc.strerror or exc})")
        if not n:
            self._fail("closed the connection")
        return bytes(self._buffer[:n])

    def _fail(self, what: str) -> None:
        self.close()
        raise RedisWriteError(f"Redis at {self.where} {what}")

    def read_lines(self, count: int) -> bytes:
        """The raw bytes of the next ``count`` single-line replies (integers or errors). Bytes
        of later replies that arrive with them are kept for the next read."""
        seen = self._pending.count(b"\n")
        while seen < count:
            data = self._recv()
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

    def read_parsed(self, count: int) -> list[Any]:
        """The next ``count`` replies parsed by hiredis (error replies are returned, not raised).
        Nothing may be in flight behind them on this connection."""
        data, self._pending = self._pending, bytearray()
        nils = _NIL * count  # the shortest possible replies: all nil when exactly this arrives
        while len(data) < len(nils) and nils.startswith(data):
            data += self._recv()
        if data == nils:
            return [None] * count
        reader = hiredis.Reader(replyError=RedisReplyError)
        replies: list[Any] = []
        data = bytes(data)
        while True:
            if data:
                reader.feed(data)
            reply = reader.gets()
            while reply is not False:
                replies.append(reply)
                reply = reader.gets()
            if len(replies) >= count:
                break
            data = self._recv()
        if len(replies) > count or reader.has_data():
            self._fail(f"sent more replies than the {count} expected")
        return replies

    def close(self) -> None:
        self._pending = bytearray()
        sock, self.sock = self.sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass


def error_lines(raw: bytes) -> list[tuple[int, str]]:
    """(reply index, message) of every error reply among single-line replies."""
    if not (raw.startswith(b"-") or b"\n-" in raw):
        return []
    return [(i, line[1:].decode(errors="replace")) for i, line in enumerate(raw.split(b"\r\n")[:-1])
            if line.startswith(b"-")]


@dataclass
class Sent:
    """Commands in flight: per connection, which rows (positions in the chunk) and how."""

    rows: pa.Array
    keys: pa.Array | None
    per_row: int
    parsed: bool
    groups: list[tuple[Connection, np.ndarray]] = field(default_factory=list)


class Wire:
    """One Redis node: one connection for writes (counted replies), one for reads (parsed)."""

    def __init__(self, target: RedisTarget, connect_timeout: float = 5.0, timeout: float = 30.0) -> None:
        self.connection = Connection(target.nodes[0], target, connect_timeout, timeout)
        self.reads = Connection(target.nodes[0], target, connect_timeout, timeout)  # opened on first use

    def send(self, rows: pa.Array, keys: pa.Array | None, per_row: int = 1, parsed: bool = False) -> Sent:
        sent = Sent(rows, keys, per_row, parsed)
        if len(rows):
            connection = self.reads if parsed else self.connection
            connection.send(contiguous(rows))
            sent.groups.append((connection, np.arange(len(rows))))
        return sent

    def collect(self, sent: Sent) -> list[Any] | None:
        """Replies of ``sent`` (parsed: one per row; else None), raising on error replies."""
        replies = np.full(len(sent.rows), None, dtype=object)
        failed = _read_replies(sent, replies)
        if failed:
            raise RedisWriteError(f"Redis at {self.connection.where} answered: {failed[0][1]} "
                                  f"({len(failed)} rows failed)")
        return replies.tolist() if sent.parsed else None

    def close(self) -> None:
        self.connection.close()
        self.reads.close()


class ClusterWire:
    """A Redis Cluster: per master a write and a read connection, rows routed by their key's
    hash slot."""

    MAX_REDIRECTS = 5

    def __init__(self, target: RedisTarget, connect_timeout: float = 5.0, timeout: float = 30.0) -> None:
        self.target = target
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self._connections: dict[tuple[Node, bool], Connection] = {}
        self.slots: SlotMap | None = None

    def _connection(self, node: Node, parsed: bool) -> Connection:
        if (node, parsed) not in self._connections:
            self._connections[node, parsed] = Connection(node, self.target, self.connect_timeout, self.timeout)
        return self._connections[node, parsed]

    def _load_slots(self) -> SlotMap:
        errors = []
        for node in [*(self.slots.nodes if self.slots else ()), *self.target.nodes]:
            connection = Connection(node, self.target, self.connect_timeout, self.timeout)  # pooled ones may be busy
            try:
                connection.send(CLUSTER_SLOTS)
                (reply,) = connection.read_parsed(1)
                if isinstance(reply, RedisReplyError):
                    raise RedisWriteError(f"CLUSTER SLOTS on {connection.where}: {reply}")
                self.slots = SlotMap.from_reply(reply, node[0])
                return self.slots
            except (RedisWriteError, ClusterRoutingError) as exc:
                errors.append(str(exc))
            finally:
                connection.close()
        raise RedisWriteError(f"no Redis Cluster node answered CLUSTER SLOTS: {'; '.join(errors)}")

    def send(self, rows: pa.Array, keys: pa.Array | None, per_row: int = 1, parsed: bool = False) -> Sent:
        if keys is None:
            raise ValueError("a cluster write needs the rows' keys to route them")
        sent = Sent(rows, keys, per_row, parsed)
        if not len(rows):
            return sent
        slots = self.slots or self._load_slots()
        try:
            groups = slots.route(keys.to_pylist())
        except ClusterRoutingError as exc:
            raise RedisWriteError(str(exc)) from None
        for node_index, positions in groups.items():
            connection = self._connection(slots.nodes[node_index], parsed)
            index = np.asarray(positions, dtype=np.int64)
            connection.send(contiguous(rows.take(index)))
            sent.groups.append((connection, index))
        return sent

    def collect(self, sent: Sent) -> list[Any] | None:
        replies = np.full(len(sent.rows), None, dtype=object)
        failed = _read_replies(sent, replies)
        for attempt in range(self.MAX_REDIRECTS):
            if not failed:
                return replies.tolist() if sent.parsed else None
            failed = self._redirect(sent, failed, replies)
        raise RedisWriteError(f"Redis Cluster kept redirecting after {self.MAX_REDIRECTS} attempts: {failed[0][1]}")

    def _redirect(self, sent: Sent, failed: list[tuple[int, str]], replies: np.ndarray) -> list[tuple[int, str]]:
        """Re-sends the failed rows where MOVED/ASK point; returns the rows still failing."""
        still: list[tuple[int, str]] = []
        moved = False
        for position, message in failed:
            target = redirect_of(message)
            if target is None:
                raise RedisWriteError(f"Redis Cluster answered: {message}")
            moved = moved or not target.ask
            # a fresh connection: the pooled ones may have the next chunk's commands in flight
            node = (target.node[0] or self.target.nodes[0][0], target.node[1])
            connection = Connection(node, self.target, self.connect_timeout, self.timeout)
            try:
                command = sent.rows[position].as_py()
                connection.send((ASKING + command) if target.ask else command)
                skip = 1 if target.ask else 0
                if sent.parsed:
                    reply = connection.read_parsed(skip + sent.per_row)[skip]
                    replies[position] = reply
                    if isinstance(reply, RedisReplyError):
                        still.append((position, str(reply)))
                else:
                    errors = [e for e in error_lines(connection.read_lines(skip + sent.per_row)) if e[0] >= skip]
                    if errors:
                        still.append((position, errors[0][1]))
            finally:
                connection.close()
        if moved:
            self._load_slots()
        return still

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()


def _read_replies(sent: Sent, replies: np.ndarray) -> list[tuple[int, str]]:
    """Reads every reply of ``sent`` (parsed ones into ``replies`` by row position); returns
    (row position, error) for each row that got an error reply. All replies are read, so the
    connections stay in step even when some rows failed."""
    failed: list[tuple[int, str]] = []
    for connection, positions in sent.groups:
        count = len(positions) * sent.per_row
        if sent.parsed:
            got = connection.read_parsed(count)[::sent.per_row]
            replies[positions] = got
            if RedisReplyError in set(map(type, got)):  # rare: look at each reply only then
                failed += [(int(p), str(r)) for p, r in zip(positions, got) if isinstance(r, RedisReplyError)]
        else:
            rows = {int(positions[i // sent.per_row]): msg for i, msg in error_lines(connection.read_lines(count))}
            failed += sorted(rows.items())
    return failed


def connect(target: RedisTarget, connect_timeout: float = 5.0, timeout: float = 30.0) -> Wire | ClusterWire:
    return (ClusterWire if target.cluster else Wire)(target, connect_timeout, timeout)
