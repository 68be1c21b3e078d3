"""The asyncio online reader the HTTP service talks to: a small protocol and its Redis implementation.

The registry is read once at start (and again only when its file changes, off the request
path); a request costs one pipelined round of pre-packed HMGETs (one per master on a Redis
Cluster), replies parsed by hiredis, values rendered as Feast's JSON.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Protocol

from featureguard.redis.aio import connect_async
from featureguard.online.decode import Decoder, assemble
from featureguard.online.plan import ReadPlan, lookup
from featureguard.online.registry import RegistrySnapshot, RegistryWatch
from featureguard.redis.target import RedisTarget


class OnlineReader(Protocol):
    """What the service needs from an online store: plans from the registry, reads, a ping."""

    def plan(self, feature_service: str | None, features: tuple[str, ...], full_feature_names: bool) -> ReadPlan: ...

    async def read(self, plan: ReadPlan, entities: dict[str, list[Any]], n_rows: int) -> dict[str, Any]: ...

    async def ping(self) -> None: ...

    def refresh_if_changed(self) -> bool: ...

    def feature_views(self) -> list[Any]: ...

    async def aclose(self) -> None: ...


class RedisOnlineReader:
    """Reads Feast's Redis layout directly; ``store`` is only used to read the registry.

    ``redis`` is a ``redis://`` URL or a RedisTarget (e.g. ``RedisTarget.from_feast(
    store.config.online_store)`` for a Redis Cluster). With ``max_age_statuses``, rows older than
    their view's TTL are reported OUTSIDE_MAX_AGE (values are returned either way).
    """

    def __init__(self, store: Any, redis: str | RedisTarget, connect_timeout: float, reply_timeout: float,
                 registry_file: Path | None = None, max_age_statuses: bool = False) -> None:
        self._store = store
        self._watch = RegistryWatch(store, interval=0.0, path=registry_file)
        self.snapshot = RegistrySnapshot(store)
        target = RedisTarget.from_url(redis) if isinstance(redis, str) else redis
        self.wire = connect_async(target, connect_timeout, reply_timeout)
        self.decoder = Decoder()
        self.max_age_statuses = max_age_statuses

    def refresh_if_changed(self) -> bool:
        """Blocking (registry I/O); the app calls it from a thread every few seconds."""
        if not self._watch.changed():
            return False
        self._store.refresh_registry()
        self.snapshot = RegistrySnapshot(self._store)
        return True

    def plan(self, feature_service: str | None, features: tuple[str, ...], full_feature_names: bool) -> ReadPlan:
        return self.snapshot.plan(feature_service, features, full_feature_names)

    def feature_views(self) -> list[Any]:
        return list(self.snapshot.views.values())

    async def read(self, plan: ReadPlan, entities: dict[str, list[Any]], n_rows: int) -> dict[str, Any]:
        work = lookup(plan, entities, keyed=self.wire.keyed)
        try:
            replies = await self.wire.run(work)
        except (TimeoutError, asyncio.CancelledError):
            self.wire.reset()  # replies may never come; start clean on the next request
            raise
        now = time.time() if self.max_age_statuses else None
        return assemble(plan, entities, n_rows, work, replies, self.decoder, now)

    async def ping(self) -> None:
        await self.wire.ping()

    async def aclose(self) -> None:
        await self.wire.aclose()
