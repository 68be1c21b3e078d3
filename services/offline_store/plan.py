"""What a retrieval reads from each Feast feature view: columns, names, keys and TTL.

Translates Feast objects into plain values (``ViewPlan``) following the naming rules of Feast's
duckdb/ibis store: features are picked by the ``<projection name>:`` prefix of the feature
references, full feature names use ``<alias or view name>__<feature>``, the batch source's
``field_mapping`` renames source columns, and the projection's ``join_key_map`` renames the
entity-frame columns a view joins on. Entity-less views (Feast's ``__dummy_id``) join on time only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from feast import FeatureView, FileSource
from feast.data_format import ParquetFormat
from feast.feature_view import DUMMY_ENTITY_ID

from featureguard.feature_repo.tags import tagged_contract
from featureguard.offline_store.sql import timedelta_ns

#: Feast primitive type name -> DuckDB type, for typing the columns of a source with no files yet.
_FEAST_TO_DUCKDB = {
    "FLOAT64": "DOUBLE",
    "FLOAT32": "FLOAT",
    "INT64": "BIGINT",
    "INT32": "INTEGER",
    "STRING": "VARCHAR",
    "BOOL": "BOOLEAN",
    "BYTES": "BLOB",
    "UNIX_TIMESTAMP": "TIMESTAMPTZ",
}


@dataclass(frozen=True)
class ViewPlan:
    """One feature view's part of a retrieval, in source-column terms."""

    name: str
    path: str
    keys: tuple[tuple[str, str], ...]  # (entity-frame column, source column)
    timestamp: str  # source column
    created: str | None  # source column
    features: tuple[tuple[str, str], ...]  # (source column, output column)
    ttl_ns: int | None
    empty_columns: tuple[tuple[str, str], ...]  # (source column, DuckDB type) for empty sources
    contract: str | None  # the "contract" tag: which contract governs the view's types
    created_cutoff: bool = False  # only rows created by the entity time count (Feast's flag)


def _duckdb_type(dtype: object) -> str:
    return _FEAST_TO_DUCKDB.get(getattr(dtype, "name", ""), "VARCHAR")


def source_path(view: FeatureView, repo_path: str | None) -> str:
    """The absolute path or URI of a Parquet FileSource; other sources are refused clearly."""
    source = view.batch_source
    if not isinstance(source, FileSource):
        raise TypeError(
            f"feature view {view.name!r}: AsofOfflineStore reads Parquet FileSources only, "
            f"got {type(source).__name__}"
        )
    fmt = source.file_format
    if fmt is not None and not isinstance(fmt, ParquetFormat):
        raise TypeError(f"feature view {view.name!r}: file format {type(fmt).__name__} is not Parquet")
    return FileSource.get_uri_for_file_path(repo_path=repo_path, uri=source.path)


def source_column(source: FileSource, name: str) -> str:
    """The source column holding Feast column ``name`` (``field_mapping`` is source -> Feast)."""
    for src, mapped in source.field_mapping.items():
        if mapped == name:
            return src
    return name


def requested_features(view: FeatureView, feature_refs: Sequence[str]) -> list[str]:
    prefix = f"{view.projection.name_to_use()}:"
    return [ref.split(":", 1)[1] for ref in feature_refs if ref.startswith(prefix)]


def output_name(view: FeatureView, feature: str, full_feature_names: bool) -> str:
    if not full_feature_names:
        return feature
    return f"{view.projection.name_alias or view.name}__{feature}"


def view_plan(
    view: FeatureView, feature_refs: Sequence[str], full_feature_names: bool, repo_path: str | None,
    filter_by_created_timestamp: bool = False,
) -> ViewPlan:
    """``filter_by_created_timestamp`` is Feast's flag; like Feast's stores it applies to views
    whose source has a created-timestamp column and leaves the others as they are."""
    source = view.batch_source
    path = source_path(view, repo_path)
    join_map = view.projection.join_key_map or {}
    key_fields = [c for c in view.entity_columns if c.name != DUMMY_ENTITY_ID]
    keys = tuple((join_map.get(c.name, c.name), source_column(source, c.name)) for c in key_fields)
    timestamp = source_column(source, source.timestamp_field)
    created = source_column(source, source.created_timestamp_column) if source.created_timestamp_column else None
    dtypes = {f.name: f.dtype for f in view.features}
    features = tuple(
        (source_column(source, f), output_name(view, f, full_feature_names))
        for f in requested_features(view, feature_refs)
    )
    empty = [(src, _duckdb_type(c.dtype)) for c, (_, src) in zip(key_fields, keys)]
    empty += [(timestamp, "TIMESTAMPTZ")] + ([(created, "TIMESTAMPTZ")] if created else [])
    empty += [(src, _duckdb_type(dtypes.get(f))) for f, (src, _) in zip(requested_features(view, feature_refs), features)]
    return ViewPlan(
        name=view.name,
        path=path,
        keys=keys,
        timestamp=timestamp,
        created=created,
        features=features,
        ttl_ns=timedelta_ns(view.ttl),
        empty_columns=tuple(dict.fromkeys(empty)),
        contract=tagged_contract(view),
        created_cutoff=bool(filter_by_created_timestamp and created),
    )
