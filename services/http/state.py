"""What one app instance holds between requests: settings, keys, metrics, the Feast store (for
the registry and push writes) and the online reader. Built at startup; rebuilt pieces are
swapped in whole, so a request always sees one consistent registry version."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, field
from typing import Any

from featureguard.http.auth import KeyRing, load_keyring
from featureguard.http.metrics import Metrics
from featureguard.online.aio_reader import OnlineReader, RedisOnlineReader
from featureguard.redis.aio import AsyncConnection
from featureguard.redis.target import RedisTarget
from featureguard.http.settings import HttpSettings
from featureguard.ingest.pipeline import OnlineWriter
from featureguard.online_store_choice import redis_choice
from featureguard.settings import REDIS_TYPE_ENV, registry_path  # noqa: F401  (REDIS_TYPE_ENV: re-exported)

log = logging.getLogger("featureguard.http")


@dataclass
class ServiceState:
    settings: HttpSettings
    keys: KeyRing
    metrics: Metrics = field(default_factory=Metrics)
    store: Any = None
    reader: OnlineReader | None = None
    push_writer: OnlineWriter | None = None
    registry_error: str | None = "registry not loaded yet"
    probe: Any = None
    _refresher: asyncio.Task | None = None

    @classmethod
    def from_settings(cls, settings: HttpSettings) -> "ServiceState":
        keys = load_keyring(settings.api_keys_file, settings.api_keys_json, settings.open_reads)
        return cls(settings, keys)

    @property
    def redis_url(self) -> str | None:
        return self.settings.redis_url or os.environ.get("REDIS_URL")

    def load_registry(self) -> None:
        """Opens the Feast store and builds the reader; blocking (imports Feast, reads the registry)."""
        url = self.redis_url
        if not url:
            self.registry_error = "no online store configured: set REDIS_URL"
            return
        if not registry_path().exists():
            self.registry_error = (f"feature registry {registry_path()} not found: "
                                   "run `featureguard apply` or `featureguard serve --apply`")
            return
        from featureguard.feast_store import open_store

        store = open_store(redis_choice(url))  # the one resolver: REDIS_URL + FEATUREGUARD_REDIS_TYPE
        self.store = store
        self.reader = make_reader(store, url, self.settings.redis_timeout, self.settings.online_timeout,
                                  self.settings.ttl_statuses)
        self.push_writer = make_push_writer(store)
        self.registry_error = None

    async def probe_redis(self) -> None:
        """PING on a small client of its own, so readiness is known even before the registry loads."""
        if self.probe is None:
            url = self.redis_url
            if not url:
                raise ConnectionError("no online store configured: set REDIS_URL")
            self.probe = AsyncConnection(redis_choice(url).target(), self.settings.redis_timeout,
                                   self.settings.redis_timeout)
        await self.probe.ping()

    async def start(self) -> None:
        try:
            await asyncio.to_thread(self.load_registry)
        except Exception as exc:  # the service still answers health checks and says why
            log.exception("could not load the feature registry")
            self.registry_error = f"could not load the feature registry: {type(exc).__name__}: {exc}"
        self._refresher = asyncio.create_task(self._refresh_loop())

    async def _refresh_loop(self) -> None:
        interval = self.settings.registry_check_interval
        if interval <= 0:
            return
        while True:
            await asyncio.sleep(interval)
            try:
                if self.reader is None:
                    await asyncio.to_thread(self.load_registry)
                else:
                    await asyncio.to_thread(self.reader.refresh_if_changed)
            except Exception as exc:
                log.warning("registry refresh failed: %s", exc)

    async def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
        if self.reader is not None:
            await self.reader.aclose()
        if self.probe is not None:
            await self.probe.aclose()


def make_reader(store: Any, redis_url: str, connect_timeout: float, reply_timeout: float,
                ttl_statuses: bool = True) -> OnlineReader:
    """The lean reader on the Redis (or Redis Cluster) of the store's own online store config;
    with ``ttl_statuses`` values older than their view's TTL are marked OUTSIDE_MAX_AGE."""
    return RedisOnlineReader(store, RedisTarget.from_feast(store.config.online_store), connect_timeout,
                             reply_timeout, registry_path(), max_age_statuses=ttl_statuses)


def make_push_writer(store: Any) -> OnlineWriter:
    from featureguard.online_write import feast_online_writer

    return feast_online_writer(store)
