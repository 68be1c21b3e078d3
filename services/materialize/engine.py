"""``BulkRedisComputeEngine``: Feast's materialization, vectorised end to end for Redis.

Feast's local engine pulls the newest rows, re-deduplicates them in pandas, builds one
``EntityKey`` and one ``Value`` protobuf per cell in Python and writes them with redis-py's
pipeline. This engine streams the newest row per entity from the offline store in Arrow
batches, checks them against the view's contract, encodes keys, values and RESP framing column
by column and writes chunks over a plain socket (``writer``), in Feast's exact layout and with
Feast's never-overwrite-newer rule, so stock Feast reads the result unchanged.

A view without entities is written like any other, under Feast's dummy entity key
(``__dummy_id`` = ``""``). Anything it does not cover (a non-Redis online store or Sentinel,
views with transformations, aggregations or offline writes, a view never applied and so without
entity columns) is handed to Feast's own local engine.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, Iterable, Iterator, Optional, Sequence

import pyarrow as pa
from feast.batch_feature_view import BatchFeatureView
from feast.infra.common.materialization_job import MaterializationJob, MaterializationJobStatus, MaterializationTask
from feast.infra.compute_engines.base import ComputeEngine
from feast.infra.registry.base_registry import BaseRegistry
from feast.stream_feature_view import StreamFeatureView

from featureguard.materialize import source, validate
from featureguard.materialize.config import BulkRedisComputeEngineConfig, writes_redis
from featureguard.materialize.view import ViewLayout
from featureguard.materialize.report import MaterializationReport
from featureguard.materialize.wire import RedisWriteError, connect
from featureguard.materialize.writer import BulkWriter
from featureguard.redis.target import RedisTarget

_log = logging.getLogger(__name__)


class MaterializationError(RuntimeError):
    """A materialization stopped part way (Redis failed); re-running it completes it."""


class BulkMaterializationJob(MaterializationJob):
    def __init__(self, job_id: str, status: MaterializationJobStatus, error: BaseException | None = None,
                 report: MaterializationReport | None = None) -> None:
        self._job_id, self._status, self._error, self.report = job_id, status, error, report

    def status(self) -> MaterializationJobStatus:
        return self._status

    def error(self) -> Optional[BaseException]:
        return self._error

    def should_be_retried(self) -> bool:
        return False

    def job_id(self) -> str:
        return self._job_id

    def url(self) -> Optional[str]:
        return None


class BulkRedisComputeEngine(ComputeEngine):
    def __init__(self, *, repo_config: Any, offline_store: Any, online_store: Any, **kwargs: Any) -> None:
        super().__init__(repo_config=repo_config, offline_store=offline_store, online_store=online_store)
        self.config = BulkRedisComputeEngineConfig(**kwargs)
        self.reports: list[MaterializationReport] = []
        self._local: ComputeEngine | None = None

    def update(self, project: str, views_to_delete: Sequence[Any], views_to_keep: Sequence[Any],
               entities_to_delete: Sequence[Any], entities_to_keep: Sequence[Any]) -> None:
        """Nothing to provision: the online store's own ``update`` manages Redis keys."""

    def teardown_infra(self, project: str, fvs: Sequence[Any], entities: Sequence[Any]) -> None:
        """Nothing to tear down (see ``update``)."""

    def _unsupported(self, task: MaterializationTask) -> str | None:
        view = task.feature_view
        store = self.repo_config.online_store
        if not writes_redis(store):
            return f"online store {getattr(store, 'type', store)!r} is not plain Redis or Redis Cluster"
        if not task.only_latest:
            return "the task asks for all rows, not the latest"
        if isinstance(view, (BatchFeatureView, StreamFeatureView)) and (
                getattr(view, "feature_transformation", None) or getattr(view, "aggregations", None)):
            return "the view transforms or aggregates"
        if getattr(view, "offline", False):
            return "the view also writes to the offline store"
        if not view.entity_columns:  # after apply even an entity-less view has ``__dummy_id``
            return "the view has no entity columns (not applied?)"
        return None

    def _local_engine(self) -> ComputeEngine:
        if self._local is None:
            from feast.infra.compute_engines.local.compute import LocalComputeEngine

            self._local = LocalComputeEngine(repo_config=self.repo_config, offline_store=self.offline_store,
                                             online_store=self.online_store)
        return self._local

    def _materialize_one(self, registry: BaseRegistry, task: MaterializationTask, **kwargs: Any) -> MaterializationJob:
        reason = self._unsupported(task)
        if reason is not None:
            _log.info("%s: Feast's local engine materializes it (%s)", task.feature_view.name, reason)
            return self._local_engine()._materialize_one(registry, task, **kwargs)
        job_id = f"{task.feature_view.name}-{task.start_time}-{task.end_time}"
        try:
            report = self.run(registry, task)
        except Exception as exc:  # Feast raises the job's error to the caller
            return BulkMaterializationJob(job_id, MaterializationJobStatus.ERROR, error=exc)
        return BulkMaterializationJob(job_id, MaterializationJobStatus.SUCCEEDED, report=report)

    def run(self, registry: BaseRegistry, task: MaterializationTask) -> MaterializationReport:
        """Materializes one view; returns what was written, kept and rejected."""
        started = time.perf_counter()
        view, store = task.feature_view, self.repo_config.online_store
        versioning = bool(getattr(self.repo_config.registry, "enable_online_feature_view_versioning", False))
        layout = ViewLayout.from_feature_view(view, task.project, versioning)
        contract = validate.contract_for(view, self.repo_config.repo_path) if self.config.validate_contracts else None
        check = validate.BatchCheck(contract, [k for k, _ in layout.join_keys], layout.timestamp_column)
        report = MaterializationReport(view.name, task.start_time, task.end_time,
                                       contract=getattr(contract, "name", None))
        # A live bar only on a terminal (total unknown: rows stream in); logs get the summary line.
        bar = task.tqdm_builder(None) if task.tqdm_builder and sys.stderr.isatty() else None
        wire = connect(RedisTarget.from_feast(store), self.config.connect_timeout, self.config.socket_timeout)
        writer = BulkWriter(wire, layout, getattr(store, "key_ttl_seconds", None),
                            check_stored=not getattr(store, "skip_dedup", False))
        try:
            batches = source.latest_rows(self.offline_store, self.repo_config, registry, view, task.project,
                                         task.start_time, task.end_time, self.config.chunk_rows)
            writer.write(check(b) for b in _counted(batches, report, bar))
        except RedisWriteError as exc:
            raise MaterializationError(
                f"materializing {view.name!r} into Redis stopped: {exc}. {writer.stats.written:,} of "
                f"{report.rows:,} rows read so far were written; values already in Redis are intact "
                f"(nothing older replaced anything newer). Re-run the materialization once Redis is back."
            ) from exc
        finally:
            wire.close()
            if bar is not None:
                bar.close()
        report.written, report.not_newer = writer.stats.written, writer.stats.not_newer
        report.rejected, report.failures = check.rejections.rows, check.rejections.to_list()
        report.seconds = time.perf_counter() - started
        self.reports.append(report)
        _announce(report)
        return report


def _counted(batches: Iterable[pa.RecordBatch], report: MaterializationReport, bar: Any) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        report.rows += len(batch)
        if bar is not None:
            bar.update(len(batch))
        yield batch


def _announce(report: MaterializationReport) -> None:
    """One line per view on stderr (Feast prints its own progress on stdout); rejections warn."""
    from rich.console import Console

    Console(stderr=True, highlight=False, soft_wrap=True).print(report.summary(), markup=False)  # one line, never wrapped
    if report.rejected:
        _log.warning("%s", report.summary())
