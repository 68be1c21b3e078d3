"""Writing rows that are already in hand (``ingest --online``) with the bulk writer.

The rows were gated on the way in, so no contract check here; the newest row per entity is
kept and written only where Redis holds nothing newer, as ``FeatureStore.write_to_online_store``
would, in the same layout. A non-Redis online store gets Feast's own write.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa

from featureguard.materialize.config import writes_redis
from featureguard.materialize.view import ViewLayout
from featureguard.materialize.source import latest_per_key, prepare_rows
from featureguard.materialize.wire import connect
from featureguard.materialize.writer import BulkWriter, WriteStats
from featureguard.redis.target import RedisTarget


def write_latest(store: Any, feature_view: Any, rows: pd.DataFrame | pa.Table, chunk_rows: int = 20_000,
                 timeout: float = 30.0) -> WriteStats:
    """Writes ``rows`` of ``feature_view`` to the store's online store; returns the counts."""
    config = store.config
    online = config.online_store
    if not writes_redis(online):
        frame = rows.to_pandas() if isinstance(rows, pa.Table) else rows
        store.write_to_online_store(feature_view.name, frame)
        return WriteStats(len(frame), len(frame), 0)
    versioning = bool(getattr(config.registry, "enable_online_feature_view_versioning", False))
    layout = ViewLayout.from_feature_view(feature_view, config.project, versioning)
    table = rows if isinstance(rows, pa.Table) else pa.Table.from_pandas(rows, preserve_index=False)
    table = prepare_rows(table, feature_view, f"the rows pushed to {feature_view.name!r}")
    columns = layout.columns + ([layout.created_column] if layout.created_column in table.column_names else [])
    table = table.select(list(dict.fromkeys(columns)))
    latest = latest_per_key(table, [k for k, _ in layout.join_keys], layout.timestamp_column,
                            layout.created_column if layout.created_column in table.column_names else None)
    wire = connect(RedisTarget.from_feast(online), timeout=timeout)
    try:
        writer = BulkWriter(wire, layout, getattr(online, "key_ttl_seconds", None),
                            check_stored=not getattr(online, "skip_dedup", False))
        return writer.write(latest.to_batches(max_chunksize=chunk_rows))
    finally:
        wire.close()
