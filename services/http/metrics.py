"""Prometheus metrics of the service, and what is derived at scrape time (freshness, materialization).

Counters and histograms live in one registry per app (tests build many apps in one process).
With several uvicorn workers, ``featureguard serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` and a
scrape merges every worker's values. Freshness and materialization state are read when scraped,
from the registry and the stores, so they are right whichever worker answers.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any, Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

log = logging.getLogger("featureguard.http")

LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_FRESHNESS_CACHE_SECONDS = 15.0
MULTIPROC_FLAG = "FEATUREGUARD_HTTP_METRICS_MULTIPROC"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.latency = Histogram("featureguard_http_request_duration_seconds", "Request latency per route.",
                                 ["route"], buckets=LATENCY_BUCKETS, registry=r)
        self.requests = Counter("featureguard_http_requests_total", "Requests per route, method and status.",
                                ["route", "method", "status"], registry=r)
        self.rows_accepted = Counter("featureguard_rows_accepted_total", "Rows that passed the contract gate.",
                                     ["source", "path"], registry=r)
        self.rows_quarantined = Counter("featureguard_rows_quarantined_total",
                                        "Rows rejected by the contract gate, per failing check.",
                                        ["source", "check"], registry=r)
        self.batches = Counter("featureguard_batches_total",
                               "Ingested and pushed batches per source, path (ingest/push) and outcome.",
                               ["source", "path", "status"], registry=r)
        self.online_rows = Counter("featureguard_online_rows_written_total",
                                   "Rows written to the online store by pushes and online ingests.", ["source"],
                                   registry=r)
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._collectors: list[Any] = []

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """Per request: label children are looked up once, then reused (labels() takes a lock)."""
        children = self._children.get((route, method, status))
        if children is None:
            children = self._children[(route, method, status)] = (
                self.latency.labels(route), self.requests.labels(route, method, str(status)))
        children[0].observe(seconds)
        children[1].inc()

    def count_gate(self, source: str, path: str, status: str, accepted: int, errors: Iterable[dict]) -> None:
        """Counts a gated batch; a row failing two checks counts once under each check."""
        self.batches.labels(source, path, status).inc()
        if accepted:
            self.rows_accepted.labels(source, path).inc(accepted)
        for error in errors:
            label = f"{error['column']}:{error['check']}" if error.get("column") else str(error.get("check"))
            count = int(error.get("count") or 0)
            if count:
                self.rows_quarantined.labels(source, label).inc(count)

    def add_collector(self, collector: Any) -> None:
        """A scrape-time collector (store state); part of every scrape."""
        self._collectors.append(collector)
        self.registry.register(collector)

    def render(self) -> bytes:
        if not multiprocess():
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        registry.register(_OwnMetrics(MultiProcessCollector(None)))
        for collector in self._collectors:
            registry.register(collector)
        return generate_latest(registry)


def multiprocess() -> bool:
    """Set by ``featureguard serve --workers N>1``. Not PROMETHEUS_MULTIPROC_DIR alone: importing
    Feast sets that variable in every process as a side effect."""
    return os.environ.get(MULTIPROC_FLAG) == "1" and bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class _OwnMetrics:
    """Only featureguard's series from the shared multiprocess files (Feast writes its own there)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def collect(self):
        return (m for m in self._inner.collect() if m.name.startswith("featureguard_"))


class StoreStateCollector:
    """Materialization history and feature freshness, computed when Prometheus scrapes.

    ``views`` returns the registry's feature views; ``freshness`` (optional) returns records with
    ``view``, ``age_seconds`` and optionally ``store``, ``max_age_seconds``, ``breach``
    (featureguard.freshness.view_freshness).
    """

    def __init__(self, views: Callable[[], Iterable[Any]], freshness: Callable[[], Iterable[Any]] | None) -> None:
        self._views = views
        self._freshness = freshness
        self._cached: tuple[float, list[tuple[str, str, float, float | None, bool]]] | None = None

    def describe(self) -> list:
        return []

    def _freshness_records(self) -> list[tuple[str, str, float, float | None, bool]]:
        """(view, store, age, SLA, breach) per record; ``store`` is offline/online (default online)."""
        now = time.monotonic()
        if self._cached and now - self._cached[0] < _FRESHNESS_CACHE_SECONDS:
            return self._cached[1]
        records: list[tuple[str, str, float, float | None, bool]] = []
        try:
            for record in self._freshness() if self._freshness else ():
                view = _attr(record, "view", "feature_view", "name")
                age = _attr(record, "age_seconds", "age")
                if view is not None and age is not None:
                    sla = _attr(record, "max_age_seconds")
                    records.append((str(view), str(_attr(record, "store") or "online"),
                                    float(age.total_seconds() if hasattr(age, "total_seconds") else age),
                                    None if sla is None else float(sla), bool(_attr(record, "breach"))))
        except Exception:  # a broken freshness probe must not break the scrape
            log.exception("freshness probe failed")
        self._cached = (now, records)
        return records

    def collect(self):
        intervals = GaugeMetricFamily("featureguard_materializations", "Materialization runs recorded per view.",
                                      labels=["view"])
        last = GaugeMetricFamily("featureguard_materialized_until_timestamp_seconds",
                                 "End of the newest materialized interval per view.", labels=["view"])
        for view in self._views():
            runs = list(getattr(view, "materialization_intervals", []) or [])
            intervals.add_metric([view.name], len(runs))
            if runs:
                last.add_metric([view.name], max(end.timestamp() for _, end in runs))
        yield intervals
        yield last
        if self._freshness is not None:
            age = GaugeMetricFamily("featureguard_feature_freshness_seconds",
                                    "Age of the newest value per feature view and store (offline, online).",
                                    labels=["view", "store"])
            sla = GaugeMetricFamily("featureguard_feature_freshness_sla_seconds",
                                    "The contract's max_age for the view's source.", labels=["view"])
            breach = GaugeMetricFamily("featureguard_feature_freshness_breach",
                                       "1 when the newest value is older than the SLA.", labels=["view", "store"])
            slas: dict[str, float] = {}
            for view, store, seconds, limit, breached in self._freshness_records():
                age.add_metric([view, store], seconds)
                breach.add_metric([view, store], 1.0 if breached else 0.0)
                if limit is not None:
                    slas[view] = limit
            for view, limit in slas.items():
                sla.add_metric([view], limit)
            yield age
            yield sla
            yield breach


def _attr(record: Any, *names: str) -> Any:
    for name in names:
        if isinstance(record, dict) and name in record:
            return record[name]
        if hasattr(record, name):
            return getattr(record, name)
    return None
