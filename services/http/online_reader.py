"""The online reader the HTTP layer talks to: a small protocol and its Redis implementation.

The registry is read once at start (and again only when its file changes, off the request
path); a request costs one pipelined round of pre-packed HMGETs, replies parsed by hiredis.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, Protocol

from services.http.online_plan import (
    Decoder,
    ReadPlan,
    UnknownFeatureError,
    assemble,
    lookup,
    plan_for_refs,
    plan_for_service,
)
from services.http.redis_wire import RedisWire

_PLAN_CACHE_LIMIT = 1_024


class OnlineReader(Protocol):
    """What the service needs from an online store: plans from the registry, reads, a ping."""

    def plan(self, feature_service: str | None, features: tuple[str, ...], full_feature_names: bool) -> ReadPlan: ...

    async def read(self, plan: ReadPlan, entities: dict[str, list[Any]], n_rows: int) -> dict[str, Any]: ...

    async def ping(self) -> None: ...

    def refresh_if_changed(self) -> bool: ...

    def feature_views(self) -> list[Any]: ...

    async def aclose(self) -> None: ...


class RegistrySnapshot:
    """Feature views and services of one registry version, with the plans resolved from them."""

    def __init__(self, store: Any) -> None:
        self.project: str = store.project
        self.views = {v.name: v for v in store.list_feature_views()}
        self.services = {s.name: s for s in store.list_feature_services()}
        self._plans: dict[tuple, ReadPlan] = {}

    def plan(self, feature_service: str | None, features: tuple[str, ...], full_names: bool) -> ReadPlan:
        cache_key = (feature_service, features, full_names)
        plan = self._plans.get(cache_key)
        if plan is not None:
            return plan
        if feature_service is not None:
            service = self.services.get(feature_service)
            if service is None:
                raise UnknownFeatureError(
                    "feature_service", f"unknown feature service {feature_service!r}; "
                    f"known: {', '.join(sorted(self.services)) or 'none'}")
            plan = plan_for_service(self.project, service, self.views, full_names)
        else:
            plan = plan_for_refs(self.project, features, self.views, full_names)
        if len(self._plans) >= _PLAN_CACHE_LIMIT:
            self._plans.clear()
        self._plans[cache_key] = plan
        return plan


class RedisOnlineReader:
    """Reads Feast's Redis layout directly; ``store`` is only used to read the registry."""

    def __init__(self, store: Any, redis_url: str, connect_timeout: float, reply_timeout: float,
                 registry_file: Path | None = None) -> None:
        self._store = store
        self._registry_file = registry_file
        self._mtime = self._registry_mtime()
        self.snapshot = RegistrySnapshot(store)
        self.wire = RedisWire(redis_url, connect_timeout, reply_timeout)
        self.decoder = Decoder()

    def _registry_mtime(self) -> float | None:
        try:
            return os.stat(self._registry_file).st_mtime if self._registry_file else None
        except OSError:
            return None

    def refresh_if_changed(self) -> bool:
        """Blocking (registry I/O); the app calls it from a thread every few seconds."""
        mtime = self._registry_mtime()
        if mtime == self._mtime:
            return False
        self._store.refresh_registry()
        self.snapshot = RegistrySnapshot(self._store)
        self._mtime = mtime
        return True

    def plan(self, feature_service: str | None, features: tuple[str, ...], full_feature_names: bool) -> ReadPlan:
        return self.snapshot.plan(feature_service, features, full_feature_names)

    def feature_views(self) -> list[Any]:
        return list(self.snapshot.views.values())

    async def read(self, plan: ReadPlan, entities: dict[str, list[Any]], n_rows: int) -> dict[str, Any]:
        work = lookup(plan, entities)
        try:
            replies = await self.wire.execute(work.packed, work.count)
        except (TimeoutError, asyncio.CancelledError):
            self.wire.reset()  # replies may never come; start clean on the next request
            raise
        return assemble(plan, entities, n_rows, work, replies, self.decoder)

    async def ping(self) -> None:
        await self.wire.ping()

    async def aclose(self) -> None:
        await self.wire.aclose()
