"""The Feast plug-in: ``offline_store: {type: featureguard.offline_store.AsofOfflineStore}``.

Feast finds the config class as ``<type>Config`` in the module named by ``type`` and, later, the
store class by stripping ``Config`` from the config class's name in the config's own module, so
both classes live here, together.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Callable, List, Optional, Union

import pandas as pd
import pyarrow as pa
from feast.data_source import DataSource
from feast.feature_logging import LoggingConfig, LoggingSource
from feast.feature_view import DUMMY_ENTITY_ID, FeatureView
from feast.infra.offline_stores.file_source import FileSource
from feast.infra.offline_stores.offline_store import OfflineStore, RetrievalJob
from feast.infra.registry.base_registry import BaseRegistry
from feast.on_demand_feature_view import OnDemandFeatureView
from feast.repo_config import FeastConfigBaseModel, RepoConfig
from pydantic import StrictInt, StrictStr

from featureguard.feast_private import compute_non_entity_date_range
from featureguard.offline_store import writes
from featureguard.offline_store.duck import EngineSettings
from featureguard.offline_store.plan import view_plan
from featureguard.offline_store.pull import PullRequest, pull_job
from featureguard.offline_store.retrieval import historical_job, to_ns

TYPE_NAME = "featureguard.offline_store.AsofOfflineStore"


class AsofOfflineStoreConfig(FeastConfigBaseModel):
    """Offline store settings; the DuckDB limits are optional (defaults: all cores, 80 % RAM)."""

    type: StrictStr = TYPE_NAME
    threads: Optional[StrictInt] = None
    memory_limit: Optional[StrictStr] = None  # e.g. "4GB"; DuckDB spills past it
    temp_directory: Optional[StrictStr] = None  # where spills go


def _settings(config: RepoConfig) -> EngineSettings:
    store = config.offline_store
    return EngineSettings(
        threads=getattr(store, "threads", None),
        memory_limit=getattr(store, "memory_limit", None),
        temp_directory=getattr(store, "temp_directory", None),
    )


def _repo_path(config: RepoConfig) -> Optional[str]:
    return str(config.repo_path) if config.repo_path else None


def _source_path(config: RepoConfig, data_source: DataSource) -> str:
    if not isinstance(data_source, FileSource):
        raise TypeError(f"AsofOfflineStore reads Parquet FileSources only, got {type(data_source).__name__}")
    return FileSource.get_uri_for_file_path(repo_path=_repo_path(config), uri=data_source.path)


class AsofOfflineStore(OfflineStore):
    """Point-in-time joins as DuckDB ``ASOF LEFT JOIN``s over Parquet FileSources."""

    supports_filter_by_created_timestamp = True

    @staticmethod
    def get_historical_features(
        config: RepoConfig,
        feature_views: List[FeatureView],
        feature_refs: List[str],
        entity_df: Optional[Union[pd.DataFrame, str]],
        registry: BaseRegistry,
        project: str,
        full_feature_names: bool = False,
        **kwargs: Any,
    ) -> RetrievalJob:
        cutoff = bool(kwargs.get("filter_by_created_timestamp"))
        plans = [view_plan(fv, feature_refs, full_feature_names, _repo_path(config), cutoff) for fv in feature_views]
        odfvs = OnDemandFeatureView.get_requested_odfvs(feature_refs, project, registry)
        window = None
        if entity_df is None:
            window = compute_non_entity_date_range(feature_views, kwargs.get("start_date"), kwargs.get("end_date"))
        return historical_job(
            plans, _settings(config), feature_refs, entity_df, odfvs, full_feature_names,
            start_date=kwargs.get("start_date"), window=window, repo_path=_repo_path(config),
        )

    @staticmethod
    def pull_latest_from_table_or_query(
        config: RepoConfig,
        data_source: DataSource,
        join_key_columns: List[str],
        feature_name_columns: List[str],
        timestamp_field: str,
        created_timestamp_column: Optional[str],
        start_date: datetime,
        end_date: datetime,
    ) -> RetrievalJob:
        keys = _source_keys(join_key_columns)
        return pull_job(PullRequest(
            settings=_settings(config),
            path=_source_path(config, data_source),
            keys=keys,
            columns=_pull_columns(keys, feature_name_columns, timestamp_field, created_timestamp_column),
            timestamp=timestamp_field,
            created=created_timestamp_column or None,
            start_ns=to_ns(start_date),
            end_ns=to_ns(end_date),
            latest=True,
            dummy_key=not keys,
        ), _repo_path(config))

    @staticmethod
    def pull_all_from_table_or_query(
        config: RepoConfig,
        data_source: DataSource,
        join_key_columns: List[str],
        feature_name_columns: List[str],
        timestamp_field: str,
        created_timestamp_column: Optional[str] = None,
        start_date: Optional[datetime] = None,
        end_date: Optional[datetime] = None,
    ) -> RetrievalJob:
        keys = _source_keys(join_key_columns)
        return pull_job(PullRequest(
            settings=_settings(config),
            path=_source_path(config, data_source),
            keys=keys,
            columns=_pull_columns(keys, feature_name_columns, timestamp_field, created_timestamp_column),
            timestamp=timestamp_field,
            created=created_timestamp_column or None,
            start_ns=to_ns(start_date) if start_date else None,
            end_ns=to_ns(end_date) if end_date else None,
            latest=False,
            dummy_key=not keys,
        ), _repo_path(config))

    @staticmethod
    def offline_write_batch(
        config: RepoConfig,
        feature_view: FeatureView,
        table: pa.Table,
        progress: Optional[Callable[[int], Any]],
    ) -> None:
        writes.offline_write_batch(config, feature_view, table, progress)

    @staticmethod
    def write_logged_features(
        config: RepoConfig,
        data: Union[pa.Table, Path],
        source: LoggingSource,
        logging_config: LoggingConfig,
        registry: BaseRegistry,
    ) -> None:
        writes.write_logged_features(data, logging_config)


def _source_keys(join_key_columns: List[str]) -> List[str]:
    """The join keys a source holds: Feast's ``__dummy_id`` (in a view's entity columns after
    ``apply``) is no source column; a pull without real keys adds it instead."""
    return [k for k in join_key_columns if k != DUMMY_ENTITY_ID]


def _pull_columns(keys: List[str], features: List[str], timestamp: str, created: Optional[str]) -> List[str]:
    """Feast's column order for pulls: keys, features, event time, created time."""
    return list(dict.fromkeys([*keys, *features, timestamp, *([created] if created else [])]))
