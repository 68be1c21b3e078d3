"""The rows a materialization writes: the newest per entity with event time in [start, end].

They come from the offline store's ``pull_latest_from_table_or_query``, the same call Feast's
own engine makes, so every offline store works. Our DuckDB store answers with a streaming job
(``to_arrow_reader``): DuckDB keeps the newest row per key and hands Arrow batches over as the
writer consumes them, so the whole pull is never held in Python. Other stores' results are
materialised once, reduced to one row per key (as Feast's engine re-deduplicates them) and cut
into batches. So is the pull of a view without entities, whose rows all share Feast's dummy key.
Time columns come in whatever form the store returns them (text from Feast's duckdb store) and
leave as UTC timestamps (``times``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from featureguard.materialize.times import with_utc_timestamps

Data = TypeVar("Data", pa.Table, pa.RecordBatch)


def _column_names(feature_view: Any, registry: Any, project: str) -> tuple[list[str], list[str], str, str | None]:
    from featureguard.feast_private import column_names

    entities = [registry.get_entity(name, project) for name in feature_view.entities]
    return column_names(feature_view, entities)


#: Feast's join key for views without entities (``feast.feature_view.DUMMY_ENTITY_ID``): their one
#: row is keyed by this column holding ``""`` (``DUMMY_ENTITY_VAL``).
DUMMY_KEY, DUMMY_VALUE = "__dummy_id", ""


def is_entityless(feature_view: Any) -> bool:
    """After ``apply`` a view without entities has the one entity column ``__dummy_id``."""
    return [f.name for f in feature_view.entity_columns] == [DUMMY_KEY]


def prepare_rows(data: Data, feature_view: Any, what: str) -> Data:
    """Rows as the engine writes them: columns renamed by the source's field mapping (as Feast's
    source-read node does), the ``__dummy_id`` key of an entity-less view added when the store
    left it out, and the event, created and timestamp-feature columns in UTC (``times``)."""
    from feast.value_type import ValueType

    source = feature_view.batch_source
    mapping = source.field_mapping or {}
    if mapping:
        data = data.rename_columns([mapping.get(c, c) for c in data.schema.names])
    if is_entityless(feature_view) and DUMMY_KEY not in data.schema.names:
        data = data.append_column(DUMMY_KEY, pa.array([DUMMY_VALUE] * len(data), type=pa.string()))
    stamps = [source.timestamp_field, source.created_timestamp_column or "",
              *(f.name for f in feature_view.features if f.dtype.to_value_type() == ValueType.UNIX_TIMESTAMP)]
    return with_utc_timestamps(data, [c for c in stamps if c], what)


def latest_rows(offline_store: Any, config: Any, registry: Any, feature_view: Any, project: str,
                start: datetime, end: datetime, chunk_rows: int) -> Iterator[pa.RecordBatch]:
    """Record batches of at most ``chunk_rows`` rows (``prepare_rows``), one row per entity."""
    keys, features, timestamp, created = _column_names(feature_view, registry, project)
    job = offline_store.pull_latest_from_table_or_query(
        config=config, data_source=feature_view.batch_source, join_key_columns=keys,
        feature_name_columns=features, timestamp_field=timestamp, created_timestamp_column=created,
        start_date=start, end_date=end,
    )
    what = f"the offline store's rows of source {feature_view.batch_source.name!r}"
    reader = getattr(job, "to_arrow_reader", None)
    if reader is not None and not is_entityless(feature_view):  # ours: DuckDB already kept one row per key
        batches: Iterator[pa.RecordBatch] = (prepare_rows(b, feature_view, what) for b in reader(chunk_rows))
    else:  # another store, or no entities (all rows share one key): dedup here, as Feast's engine does
        table = prepare_rows(job.to_arrow(), feature_view, what)
        source = feature_view.batch_source
        table = latest_per_key(table, [f.name for f in feature_view.entity_columns], source.timestamp_field,
                               source.created_timestamp_column or None)
        batches = iter(table.to_batches(max_chunksize=chunk_rows))
    for batch in batches:
        yield from _split(batch, chunk_rows)


def _split(batch: pa.RecordBatch, chunk_rows: int) -> Iterator[pa.RecordBatch]:
    for offset in range(0, len(batch), chunk_rows):
        yield batch.slice(offset, chunk_rows)


def latest_per_key(table: pa.Table, keys: list[str], timestamp: str, created: str | None) -> pa.Table:
    """The newest row per key of an in-memory table (for pushes of freshly ingested rows): by
    event time, then created time; among exact ties the first row, as Feast keeps the first
    of equal timestamps within one write."""
    if not len(table):
        return table
    position = "__fg_position"
    indexed = table.append_column(position, pa.array(range(len(table)), type=pa.int64()))
    order = [(timestamp, "descending")] + ([(created, "descending")] if created else []) + [(position, "ascending")]
    ranked = indexed.sort_by(order)
    grouped = ranked.group_by(keys, use_threads=False).aggregate([(position, "first")])
    first = pc.sort_indices(grouped.column(f"{position}_first"))
    chosen = pc.take(grouped.column(f"{position}_first"), first)
    return table.take(chosen)
