"""The bulk writer's pipelining: one pre-framed blob out per chunk and node, replies counted back.

Commands arrive as Arrow arrays of pre-framed RESP (one element per row, see ``resp``), go out
with one ``sendall`` per chunk and per node, and their replies are read in the order sent.
Replies to HSET/EXPIRE are single-line integers, so they are counted rather than parsed; an
error line (``-...``) is located and reported. HGET replies go through hiredis, on a second
connection per node: a chunk's reads are then never queued behind the previous chunk's writes,
so the writer can wait for them while Redis keeps executing those writes. A run of nil replies
(absent keys: a first materialization) is recognised by comparing bytes, without parsing.

Redis Cluster: keys are routed to masters by hash slot and a ``MOVED``/``ASK`` reply reloads
the map or follows the redirect for the rows concerned, through ``featureguard.redis.cluster``'s
router. Connections are ``featureguard.redis.blocking.Connection``s: every socket has a timeout,
so a Redis that dies or stops answering mid-run fails the write with a ``RedisWriteError``
naming the node, never a hang.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np
import pyarrow as pa

from featureguard.materialize.resp import contiguous
from featureguard.redis.blocking import Connection
from featureguard.redis.cluster import ClusterRouter, NodePool, SlotMap
from featureguard.redis.errors import RedisReplyError
from featureguard.redis.resp import CLUSTER_SLOTS, error_lines
from featureguard.redis.target import Node, RedisTarget

_BUFFER = 1 << 18


class RedisWriteError(ConnectionError):
    """Redis failed, vanished or did not answer while rows were being written."""


@contextmanager
def _writing() -> Iterator[None]:
    """Connection failures and timeouts surface as RedisWriteError, with the connection's message."""
    try:
        yield
    except RedisWriteError:
        raise
    except (ConnectionError, TimeoutError) as exc:
        raise RedisWriteError(str(exc)) from None


def _connection(node: Node, target: RedisTarget, connect_timeout: float, timeout: float) -> Connection:
    return Connection(node, target, connect_timeout, timeout, _BUFFER)


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
        self.connection = _connection(target.nodes[0], target, connect_timeout, timeout)
        self.reads = _connection(target.nodes[0], target, connect_timeout, timeout)  # opened on first use

    def send(self, rows: pa.Array, keys: pa.Array | None, per_row: int = 1, parsed: bool = False) -> Sent:
        sent = Sent(rows, keys, per_row, parsed)
        if len(rows):
            connection = self.reads if parsed else self.connection
            with _writing():
                connection.send(contiguous(rows))
            sent.groups.append((connection, np.arange(len(rows))))
        return sent

    def collect(self, sent: Sent) -> list[Any] | None:
        """Replies of ``sent`` (parsed: one per row; else None), raising on error replies."""
        replies = np.full(len(sent.rows), None, dtype=object)
        with _writing():
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

    def __init__(self, target: RedisTarget, connect_timeout: float = 5.0, timeout: float = 30.0) -> None:
        self.target = target
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self.router = ClusterRouter(target)
        self._pools = {parsed: NodePool(self._fresh) for parsed in (False, True)}  # writes, reads

    def _fresh(self, node: Node) -> Connection:
        """A connection of its own: the pooled ones may have the next chunk's commands in flight."""
        return _connection(node, self.target, self.connect_timeout, self.timeout)

    def _ask_slots(self, node: Node) -> Any:
        connection = self._fresh(node)
        try:
            return connection.roundtrip(CLUSTER_SLOTS, 1)[0]
        finally:
            connection.close()

    def _load_slots(self) -> SlotMap:
        with _writing():
            return self.router.load_slots(self._ask_slots)

    def send(self, rows: pa.Array, keys: pa.Array | None, per_row: int = 1, parsed: bool = False) -> Sent:
        if keys is None:
            raise ValueError("a cluster write needs the rows' keys to route them")
        sent = Sent(rows, keys, per_row, parsed)
        if not len(rows):
            return sent
        slots = self.router.slots or self._load_slots()
        with _writing():
            groups = slots.route(keys.to_pylist())
            for node_index, positions in groups.items():
                connection = self._pools[parsed](slots.nodes[node_index])
                index = np.asarray(positions, dtype=np.int64)
                connection.send(contiguous(rows.take(index)))
                sent.groups.append((connection, index))
        return sent

    def collect(self, sent: Sent) -> list[Any] | None:
        replies = np.full(len(sent.rows), None, dtype=object)
        with _writing():
            failed = _read_replies(sent, replies)
            for attempt in range(self.router.MAX_REDIRECTS):
                if not failed:
                    return replies.tolist() if sent.parsed else None
                failed = self._redirect(sent, failed, replies)
        raise RedisWriteError(str(self.router.exhausted(failed[0][1])))

    def _redirect(self, sent: Sent, failed: list[tuple[int, str]], replies: np.ndarray) -> list[tuple[int, str]]:
        """Re-sends the failed rows where MOVED/ASK point; returns the rows still failing."""
        still: list[tuple[int, str]] = []
        for position, message in failed:
            redirect = self.router.follow(message)
            if redirect is None:
                raise RedisWriteError(f"Redis Cluster answered: {message}")
            connection = self._fresh(redirect.node)
            try:
                connection.send(redirect.prefix + sent.rows[position].as_py())
                count = redirect.skip + sent.per_row
                if sent.parsed:
                    reply = connection.read(count)[redirect.skip]
                    replies[position] = reply
                    if isinstance(reply, RedisReplyError):
                        still.append((position, str(reply)))
                else:
                    errors = [e for e in error_lines(connection.read_lines(count)) if e[0] >= redirect.skip]
                    if errors:
                        still.append((position, errors[0][1]))
            finally:
                connection.close()
        if self.router.slots is None:  # a MOVED: the map was stale
            self._load_slots()
        return still

    def close(self) -> None:
        for pool in self._pools.values():
            for connection in pool.connections.values():
                connection.close()
            pool.connections.clear()


def _read_replies(sent: Sent, replies: np.ndarray) -> list[tuple[int, str]]:
    """Reads every reply of ``sent`` (parsed ones into ``replies`` by row position); returns
    (row position, error) for each row that got an error reply. All replies are read, so the
    connections stay in step even when some rows failed."""
    failed: list[tuple[int, str]] = []
    for connection, positions in sent.groups:
        count = len(positions) * sent.per_row
        if sent.parsed:
            got = connection.read(count, nil_run=True)[::sent.per_row]
            replies[positions] = got
            if RedisReplyError in set(map(type, got)):  # rare: look at each reply only then
                failed += [(int(p), str(r)) for p, r in zip(positions, got) if isinstance(r, RedisReplyError)]
        else:
            rows = {int(positions[i // sent.per_row]): msg for i, msg in error_lines(connection.read_lines(count))}
            failed += sorted(rows.items())
    return failed


def connect(target: RedisTarget, connect_timeout: float = 5.0, timeout: float = 30.0) -> Wire | ClusterWire:
    return (ClusterWire if target.cluster else Wire)(target, connect_timeout, timeout)
