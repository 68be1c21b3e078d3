"""The synchronous online reader behind the SDK helper ``get_online_features``.

``OnlineReader(store)`` resolves feature services and references from the Feast registry once
(re-reading it when the registry file changes), then answers each lookup with one pipelined
round of pre-packed HMGETs for all entities and views (one per master on a Redis Cluster),
decoded in bulk. It reads the Redis (or Redis Cluster) of the store's own online store config,
so it sees exactly what Feast, ``feast materialize`` or our bulk engine wrote.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any, Iterable, Mapping

from featureguard.online.decode import NativeDecoder, decode_columns
from featureguard.online.plan import EntityValueError, ReadPlan, UnknownFeatureError, lookup
from featureguard.online.registry import RegistrySnapshot, RegistryWatch
from featureguard.online.result import OnlineFeatures
from featureguard.redis.blocking import connect
from featureguard.redis.target import RedisTarget

Features = Any  # a FeatureService, its name, or a list of "view:feature" references


class OnlineReader:
    """A reusable, thread-safe online reader for one Feast store."""

    def __init__(self, store: Any, target: RedisTarget | None = None, connect_timeout: float = 1.0,
                 timeout: float = 2.0, registry_check_interval: float = 1.0) -> None:
        self.store = store
        self.target = target or RedisTarget.from_feast(store.config.online_store)
        self.wire = connect(self.target, connect_timeout, timeout)
        self.decoder = NativeDecoder()
        self._watch = RegistryWatch(store, registry_check_interval)
        self._refresh_lock = threading.Lock()
        self.snapshot = RegistrySnapshot(store)

    # ------------------------------------------------------------ registry

    def refresh(self, force: bool = False) -> bool:
        """Re-reads the registry if it changed (or ``force``); True if a new snapshot was taken."""
        with self._refresh_lock:
            if not self._watch.changed() and not force:
                return False
            self.store.refresh_registry()
            self.snapshot = RegistrySnapshot(self.store)
            return True

    def plan(self, features: Features, full_feature_names: bool = False) -> ReadPlan:
        if self._watch.due():
            self.refresh()
        service, refs = _request_of(features)
        try:
            return self.snapshot.plan(service, refs, full_feature_names)
        except UnknownFeatureError:
            if not self.refresh():  # maybe applied since the last check
                raise
            return self.snapshot.plan(service, refs, full_feature_names)

    # ------------------------------------------------------------ lookups

    def get_online_features(self, features: Features, entity_rows: Iterable[Mapping[str, Any]] | None = None, *,
                            entities: Mapping[str, Any] | None = None,
                            full_feature_names: bool = False) -> OnlineFeatures:
        """Latest values for ``entity_rows`` (Feast's list of dicts) or ``entities`` (columns:
        join key -> list, array or Series). Raises EntityValueError for a missing join key or a
        value that cannot be one, UnknownFeatureError for unknown services, views or features."""
        plan = self.plan(features, full_feature_names)
        columns, n_rows = _columns_of(entity_rows, entities)
        for key in plan.join_key_types:
            if key not in columns:
                raise EntityValueError(f"entities.{key}", f"{plan.name!r} needs join key {key!r}; "
                                       f"got {sorted(columns) or 'no entity columns'}")
        try:
            work = lookup(plan, columns, keyed=self.wire.keyed)
        except EntityValueError:
            columns = {k: [_python(v) for v in values] for k, values in columns.items()}  # numpy scalars
            work = lookup(plan, columns, keyed=self.wire.keyed)
        replies = self.wire.run(work)
        return OnlineFeatures(plan, columns, n_rows, decode_columns(plan, work, replies, self.decoder, time.time()))

    def ping(self) -> None:
        self.wire.ping()

    def close(self) -> None:
        self.wire.close()

    def __enter__(self) -> "OnlineReader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _request_of(features: Features) -> tuple[str | None, tuple[str, ...]]:
    if isinstance(features, str):
        return (None, (features,)) if ":" in features else (features, ())
    name = getattr(features, "feature_view_projections", None) is not None and getattr(features, "name", None)
    if name:
        return name, ()
    refs = tuple(features)
    if not refs or any(type(r) is not str for r in refs):
        raise UnknownFeatureError("features", "features must be a feature service (or its name) or a non-empty "
                                  "list of 'view:feature' references", status=422)
    return None, refs


def _columns_of(entity_rows: Iterable[Mapping[str, Any]] | None,
                entities: Mapping[str, Any] | None) -> tuple[dict[str, list[Any]], int]:
    if (entity_rows is None) == (entities is None):
        raise EntityValueError("entities", "give either entity_rows (a list of dicts) or entities (columns)")
    if entity_rows is not None:
        rows = entity_rows if isinstance(entity_rows, list) else list(entity_rows)
        keys = list(rows[0]) if rows else []
        try:
            columns = {k: [row[k] for row in rows] for k in keys}
        except KeyError as exc:
            raise EntityValueError(f"entity_rows.{exc.args[0]}",
                                   f"every entity row needs the same keys; one lacks {exc.args[0]!r}") from None
        return columns, len(rows)
    columns = {k: (v.tolist() if hasattr(v, "tolist") else list(v)) for k, v in entities.items()}  # type: ignore[union-attr]
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise EntityValueError("entities", f"entity columns differ in length: "
                               f"{ {k: len(v) for k, v in columns.items()} }")
    return columns, lengths.pop() if lengths else 0


def _python(value: Any) -> Any:
    """numpy scalars -> Python scalars (``np.int64(5)`` is not an ``int``)."""
    return value.item() if hasattr(value, "item") and not isinstance(value, (str, bytes)) else value


_readers: "weakref.WeakKeyDictionary[Any, OnlineReader]" = weakref.WeakKeyDictionary()
_readers_lock = threading.Lock()


def reader_for(store: Any) -> OnlineReader:
    """The shared OnlineReader of a Feast store (built on first use)."""
    reader = _readers.get(store)
    if reader is None:
        with _readers_lock:
            reader = _readers.get(store)
            if reader is None:
                reader = _readers[store] = OnlineReader(store)
    return reader


def get_online_features(store: Any, features: Features, entity_rows: Iterable[Mapping[str, Any]] | None = None, *,
                        entities: Mapping[str, Any] | None = None, full_feature_names: bool = False) -> OnlineFeatures:
    """Feast's ``store.get_online_features(features, entity_rows).to_dict()`` at Redis speed:
    ``get_online_features(store, store.get_feature_service("svc"), [{"origin": "JFK"}]).to_dict()``.

    The reader (registry snapshot, connection) is kept per store, so repeated calls cost one
    pipelined Redis round trip each."""
    return reader_for(store).get_online_features(features, entity_rows, entities=entities,
                                                 full_feature_names=full_feature_names)
