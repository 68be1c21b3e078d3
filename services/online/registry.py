"""Feature views and services of one registry version, with the read plans resolved from them,
and the watch that notices when the registry has changed.

A lookup must not pay for the registry: plans are cached per (service or references, full
names) and the registry is re-read only when its file changes (or, for registries that are not
local files, every ``interval`` seconds). A refresh swaps in a whole new snapshot, so a lookup
always sees one consistent registry version.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from featureguard.online.plan import ReadPlan, UnknownFeatureError, plan_for_refs, plan_for_service

_PLAN_CACHE_LIMIT = 1_024


class RegistrySnapshot:
    """Feature views and services of one registry version, with the plans resolved from them."""

    def __init__(self, store: Any) -> None:
        self.project: str = store.project
        registry_config = getattr(store.config, "registry", None)
        self.versioning = bool(getattr(registry_config, "enable_online_feature_view_versioning", False))
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
            plan = plan_for_service(self.project, service, self.views, full_names, self.versioning)
        else:
            plan = plan_for_refs(self.project, features, self.views, full_names, self.versioning)
        if len(self._plans) >= _PLAN_CACHE_LIMIT:
            self._plans.clear()
        self._plans[cache_key] = plan
        return plan


def registry_file(store: Any) -> Path | None:
    """The local file of a file-based registry, else None (sql, remote, object stores)."""
    config = getattr(store.config, "registry", None)
    path = getattr(config, "path", None)
    if getattr(config, "registry_type", "file") != "file" or not path or "://" in str(path):
        return None
    resolved = Path(path)
    if not resolved.is_absolute():
        resolved = Path(store.repo_path) / resolved
    return resolved


class RegistryWatch:
    """Says when the registry may have changed: its file's mtime and size, checked at most every
    ``interval`` seconds (a stat is cheap, but not free on every lookup)."""

    def __init__(self, store: Any, interval: float = 1.0, path: Path | None = None) -> None:
        self.path = path or registry_file(store)
        self.interval = interval
        self._signature = self._stat()
        self._checked = time.monotonic()

    def _stat(self) -> tuple[float, int] | None:
        if self.path is None:
            return None
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def due(self) -> bool:
        return self.interval >= 0 and time.monotonic() - self._checked >= self.interval

    def changed(self) -> bool:
        """True if the registry should be re-read now (and remembers the new version)."""
        self._checked = time.monotonic()
        if self.path is None:
            return True  # not a local file: re-read on every interval
        signature = self._stat()
        if signature == self._signature:
            return False
        self._signature = signature
        return True
