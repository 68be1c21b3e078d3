"""The asyncio Redis connection of the HTTP service's read path: pre-framed commands in, hiredis
replies out. It shares framing (``resp``), reply parsing (hiredis via ``resp.reply_reader``), the
target and the cluster router with the blocking connection and differs only in its I/O.

Why not redis.asyncio's pool and pipeline here: per request they pack every argument in Python,
take a pool lock, emit observability hooks and arm a timeout per reply; for a 100-entity lookup
(300 HMGETs) that was ~10 ms of CPU. Here concurrent requests share one connection (RESP answers
in order, so a FIFO of waiters pairs replies with requests), commands arrive pre-packed, and
hiredis parses replies in C. One watchdog timer per connection (not one per request) fails the
waiters when Redis stops answering. The connection is re-opened on the next request after it
drops, so the service recovers by itself when Redis comes back. ``AsyncClusterClient`` holds one
such connection per master of a Redis Cluster and drives ``ClusterRouter.keyed`` with gathers.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from featureguard.redis.cluster import ClusterRouter, Exchange, NodePool, SlotMap
from featureguard.redis.errors import raise_errors
from featureguard.redis.resp import CLUSTER_SLOTS, PING, reply_reader
from featureguard.redis.target import Node, RedisTarget

if TYPE_CHECKING:
    from featureguard.redis.blocking import Batch


@dataclass
class _Waiter:
    future: asyncio.Future
    count: int
    sent_at: float
    replies: list[Any] = field(default_factory=list)


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.reader = reply_reader()
        self.waiters: deque[_Waiter] = deque()
        self.transport: asyncio.Transport | None = None
        self.lost: BaseException | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        reader, waiters = self.reader, self.waiters
        reader.feed(data)
        while waiters:
            reply = reader.gets()
            if reply is False:
                return
            waiter = waiters[0]
            waiter.replies.append(reply)
            if len(waiter.replies) == waiter.count:
                waiters.popleft()
                if not waiter.future.done():
                    waiter.future.set_result(waiter.replies)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = exc or ConnectionError("Redis closed the connection")
        self.fail(ConnectionError(f"connection to Redis lost: {self.lost}"))

    def fail(self, error: BaseException) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.future.done():
                waiter.future.set_exception(error)

    @property
    def usable(self) -> bool:
        return self.lost is None and self.transport is not None and not self.transport.is_closing()


class AsyncConnection:
    """One multiplexed connection to one Redis node: a ``redis://``/``rediss://`` URL (password,
    db) or a RedisTarget (and, for a cluster's masters, the node to reach)."""

    keyed = False  # lookups come as one pre-packed blob

    def __init__(self, url: str | RedisTarget, connect_timeout: float = 1.0, reply_timeout: float = 2.0,
                 node: Node | None = None) -> None:
        self.target = RedisTarget.from_url(url) if isinstance(url, str) else url
        self.host, self.port = node or self.target.nodes[0]
        self.ssl = ssl.create_default_context() if self.target.ssl else None
        self.connect_timeout = connect_timeout
        self.reply_timeout = reply_timeout
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Task | None = None
        self._watchdog: asyncio.TimerHandle | None = None

    async def _open(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, protocol = await loop.create_connection(_Protocol, self.host, self.port, ssl=self.ssl)
        except TimeoutError:
            raise ConnectionError(f"connecting to Redis at {self.host}:{self.port} timed out") from None
        except OSError as exc:
            raise ConnectionError(f"cannot connect to Redis at {self.host}:{self.port}: {exc.strerror or exc}") from None
        setup = self.target.setup()
        if setup:
            await self._send(protocol, b"".join(setup), len(setup))
        return protocol

    async def _connection(self) -> _Protocol:
        protocol = self._protocol
        if protocol is not None and protocol.usable:
            return protocol
        if self._connecting is None:  # one connect attempt shared by every waiting request
            self._connecting = asyncio.ensure_future(self._open())
        task = self._connecting
        try:
            self._protocol = await asyncio.shield(task)
        finally:
            if self._connecting is task and task.done():
                self._connecting = None
        if self._watchdog is None:
            self._watch()
        return self._protocol  # type: ignore[return-value]

    def _watch(self) -> None:
        """One timer per connection instead of one per request: when the oldest unanswered
        command is older than ``reply_timeout``, every waiter fails and the connection is dropped."""
        loop = asyncio.get_running_loop()
        protocol = self._protocol
        if protocol is not None and protocol.waiters:
            if loop.time() - protocol.waiters[0].sent_at > self.reply_timeout:
                protocol.fail(TimeoutError(f"Redis did not answer within {self.reply_timeout:g} s"))
                self.reset()
        self._watchdog = loop.call_later(max(self.reply_timeout / 4, 0.01), self._watch)

    @staticmethod
    async def _send(protocol: _Protocol, packed: bytes, count: int, check: bool = True) -> list[Any]:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        protocol.waiters.append(_Waiter(future, count, loop.time()))
        protocol.transport.write(packed)  # type: ignore[union-attr]
        replies = await future
        return raise_errors(replies) if check else replies

    async def execute(self, packed: bytes, count: int, check: bool = True) -> list[Any]:
        """Sends ``count`` pre-packed commands and returns their replies, in order; error replies
        are raised (``check``) or returned."""
        if not count:
            return []
        return await self._send(await self._connection(), packed, count, check)

    async def run(self, batch: Batch) -> list[Any]:
        return await self.execute(batch.packed, batch.count)

    async def ping(self) -> None:
        await self.execute(PING, 1)

    def reset(self) -> None:
        """Drops the connection (e.g. after a timeout, when replies may never come)."""
        protocol, self._protocol = self._protocol, None
        if protocol is not None and protocol.transport is not None:
            protocol.transport.abort()

    async def aclose(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        self.reset()


class AsyncClusterClient:
    """A Redis Cluster: one multiplexed connection per master, commands routed by hash slot and
    sent to every master at once."""

    keyed = True  # batches come as one command per key

    def __init__(self, target: RedisTarget, connect_timeout: float = 1.0, reply_timeout: float = 2.0) -> None:
        self.target = target
        self.router = ClusterRouter(target)
        self._connection = NodePool(lambda node: AsyncConnection(target, connect_timeout, reply_timeout, node))
        self._loading: asyncio.Task | None = None

    async def _load_slots(self) -> SlotMap:
        errors = []
        for node in self.router.slot_sources():
            try:
                (reply,) = await self._connection(node).execute(CLUSTER_SLOTS, 1, False)
                return self.router.accept_slots(node, reply)
            except (ConnectionError, TimeoutError) as exc:
                errors.append(str(exc))
        raise self.router.unreachable(errors)

    async def _slots(self) -> SlotMap:
        if self.router.slots is not None:
            return self.router.slots
        if self._loading is None:  # one CLUSTER SLOTS shared by every waiting request
            self._loading = asyncio.ensure_future(self._load_slots())
        task = self._loading
        try:
            return await asyncio.shield(task)
        finally:
            if self._loading is task and task.done():
                self._loading = None

    async def _drive(self, keys: list[bytes], commands: list[bytes]) -> list[Any]:
        steps = self.router.keyed(await self._slots(), keys, commands)
        exchange: Exchange = next(steps)
        while True:
            answers = await asyncio.gather(*(self._connection(node).execute(packed, count, False)
                                             for node, packed, count in exchange))
            try:
                exchange = steps.send(list(answers))
            except StopIteration as done:
                return done.value

    async def execute_keyed(self, keys: list[bytes], commands: list[bytes]) -> list[Any]:
        """The replies of one command per key, in key order."""
        try:
            return await self._drive(keys, commands)
        except ConnectionError:  # a master went away or the topology changed: re-read it once
            self.router.slots = None
            return await self._drive(keys, commands)

    async def run(self, batch: Batch) -> list[Any]:
        assert batch.keys is not None and batch.commands is not None
        return await self.execute_keyed(batch.keys, batch.commands)

    async def ping(self) -> None:
        slots = await self._slots()
        await asyncio.gather(*(self._connection(node).ping() for node in slots.nodes))

    def reset(self) -> None:
        for connection in self._connection.connections.values():
            connection.reset()
        self.router.slots = None

    async def aclose(self) -> None:
        for connection in self._connection.connections.values():
            await connection.aclose()
        self._connection.connections.clear()


def connect_async(target: RedisTarget, connect_timeout: float = 1.0,
                  reply_timeout: float = 2.0) -> AsyncConnection | AsyncClusterClient:
    if target.cluster:
        return AsyncClusterClient(target, connect_timeout, reply_timeout)
    return AsyncConnection(target, connect_timeout, reply_timeout)
