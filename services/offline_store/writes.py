"""Feast's write paths (push to offline, feature logging) as atomic Parquet part files.

A directory source gains one new ``part-<uuid>.parquet`` per write, the same layout ingestion
uses, so readers see a batch entirely or not at all. A single-file source is rewritten whole
(old rows then new), as Feast's own stores do. Views governed by a contract are refused: their
rows enter through featureguard's ingestion gate, never around it.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any, Callable, Optional, Union

import pyarrow as pa
import pyarrow.parquet as pq
from feast import FeatureView
from feast.feature_logging import LoggingConfig
from feast.infra.offline_stores.file_source import FileLoggingDestination
from feast.repo_config import RepoConfig

from featureguard import atomic
from featureguard.feast_private import get_pyarrow_schema_from_batch_source
from featureguard.feature_repo.tags import tagged_contract
from featureguard.offline_store.plan import source_path


class ContractGovernedWriteError(PermissionError):
    """A direct write to a contract-governed source; those go through ingestion."""


def write_atomically(table: pa.Table, target: Path) -> Path:
    """The atomic write ingestion uses (fsync of the file, its folder and any new folder); the hidden
    temp file sits beside the target, so readers of the folder never see it."""
    return atomic.write_atomically(target, target.parent, lambda tmp: pq.write_table(table, tmp))


def _is_single_file(path: str) -> bool:
    return os.path.isfile(path) or (not os.path.isdir(path) and path.endswith(".parquet"))


def offline_write_batch(
    config: RepoConfig,
    feature_view: FeatureView,
    table: pa.Table,
    progress: Optional[Callable[[int], Any]],
) -> None:
    contract = tagged_contract(feature_view)
    if contract:
        raise ContractGovernedWriteError(
            f"feature view {feature_view.name!r} is governed by contract {contract!r}; "
            "write its rows through featureguard ingestion so they meet the contract"
        )
    path = source_path(feature_view, str(config.repo_path) if config.repo_path else None)
    schema, names = get_pyarrow_schema_from_batch_source(config, feature_view.batch_source)
    if table.column_names != names:
        raise ValueError(
            f"feature view {feature_view.name!r}: table columns {table.column_names} differ from "
            f"the source's columns {names} (same names, same order)"
        )
    written = table.num_rows
    if _is_single_file(path):
        existing = pq.read_table(path) if os.path.exists(path) else None
        if existing is not None:
            table = pa.concat_tables([existing, table.cast(existing.schema)])
        write_atomically(table, Path(path))
    else:
        write_atomically(table, Path(path) / f"part-{uuid.uuid4().hex}.parquet")
    if progress:
        progress(written)


def write_logged_features(data: Union[pa.Table, Path], logging_config: LoggingConfig) -> None:
    destination = logging_config.destination
    if not isinstance(destination, FileLoggingDestination):
        raise TypeError(f"AsofOfflineStore logs to files only, got {type(destination).__name__}")
    table = pq.read_table(data) if isinstance(data, Path) else data
    if destination.partition_by:
        pq.write_to_dataset(table, destination.path, partition_cols=destination.partition_by)
    else:
        write_atomically(table, Path(destination.path) / f"{uuid.uuid4().hex}.parquet")
