"""Freshness of every source and feature view, offline (Parquet) and online (Redis).

The views come from featureguard.feature_repo (so this imports Feast); the Redis client is redis-py's, for
one Redis or a Cluster. ``view_freshness`` is the argument-free probe the HTTP service calls at
scrape time; it reads Redis from REDIS_URL (and FEATUREGUARD_REDIS_TYPE) as the service does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from featureguard.contracts import get_contract, list_sources
from featureguard.freshness.model import ViewFreshness, judge
from featureguard.freshness.offline import newest_offline
from featureguard.freshness.online import newest_online
from featureguard.settings import data_home

@dataclass(frozen=True)
class ViewSpec:
    name: str
    source: str


def project_name() -> str:
    """The active project's Feast name: the key suffix of its Redis keys."""
    from featureguard.project import current_project

    return current_project().name


def repo_views() -> list[ViewSpec]:
    """Every feature view of the project with the contract it is built from (imports Feast)."""
    from featureguard.feature_repo.tags import tagged_contract
    from featureguard.project import current_project
    from featureguard.project_repo import project_objects

    return [ViewSpec(v.name, tagged_contract(v)) for v in project_objects(current_project()).feature_views
            if tagged_contract(v)]


def redis_client_from_env() -> Any | None:
    """redis-py client for REDIS_URL (a Cluster when FEATUREGUARD_REDIS_TYPE=redis_cluster), or None."""
    from featureguard.online_store_choice import configured_redis

    choice = configured_redis()
    return choice.redis_client() if choice is not None else None


def freshness_report(now: datetime | None = None, client: Any | None = None, views: list[ViewSpec] | None = None,
                     offline_root: Path | None = None, project: str | None = None,
                     online_note: str = "no online store configured") -> list[ViewFreshness]:
    """One entry per feature view (and per source no view serves); ``client`` None: online not checked."""
    now = now or datetime.now(timezone.utc)
    views = repo_views() if views is None else views
    root = offline_root or data_home() / "offline"
    online = newest_online(client, project or project_name(), [v.name for v in views]) if client is not None else {}
    out: list[ViewFreshness] = []
    offline_cache: dict[str, tuple[datetime | None, int]] = {}
    served = {v.source for v in views}
    specs = [*views, *(ViewSpec("", s) for s in list_sources() if s not in served)]
    for spec in specs:
        contract = get_contract(spec.source)
        sla = contract.max_age.total_seconds() if contract.max_age else None
        if spec.source not in offline_cache:
            offline_cache[spec.source] = newest_offline(root / spec.source, contract.timestamp_column)
        newest, rows = offline_cache[spec.source]
        offline = judge("offline", newest, rows, sla, now)
        if not spec.name:
            online_state = judge("online", None, None, sla, now, checked=False, detail="no feature view serves it")
        elif client is None:
            online_state = judge("online", None, None, sla, now, checked=False, detail=online_note)
        else:
            value, keys = online.get(spec.name, (None, 0))
            online_state = judge("online", value, keys, sla, now)
        out.append(ViewFreshness(spec.source, spec.name or None, sla, offline, online_state))
    return out


def view_freshness(views: list[ViewSpec] | None = None) -> list[dict[str, Any]]:
    """Flat records for ``/metrics``: view, store, age_seconds, max_age_seconds, breach.
    ``views`` None: the project's views (built from its definitions, which imports Feast)."""
    client = redis_client_from_env()
    try:
        report = freshness_report(client=client, views=views)
    finally:
        if client is not None:
            client.close()
    records = []
    for entry in report:
        for state in (entry.offline, entry.online):
            if entry.view is None or state.age_seconds is None:
                continue
            records.append({"view": entry.view, "source": entry.source, "store": state.store,
                            "age_seconds": state.age_seconds, "max_age_seconds": entry.max_age_seconds,
                            "breach": state.breach})
    return records
