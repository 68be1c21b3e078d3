"""Writing freshly accepted rows to the online store (used by ``ingest --online``).

Rows go through the bulk writer of ``services.materialize`` (Feast's Redis layout, the newest
row per entity, never over a newer stored value); a non-Redis online store gets Feast's own
``write_to_online_store``.
"""

from __future__ import annotations

import pandas as pd

from contracts.model import Contract


def views_for_contract(store, contract: Contract) -> list:
    """Feature views whose ``contract`` tag names this source."""
    return [fv for fv in store.list_feature_views() if fv.tags.get("contract") == contract.name]


def feast_online_writer(store):
    """An OnlineWriter bound to ``store``; returns how many entities got a new value (a view
    whose stored value is newer keeps it)."""
    from services.materialize.push import write_latest

    def write(contract: Contract, stored: pd.DataFrame) -> int:
        written = 0
        for view in views_for_contract(store, contract):
            source = view.batch_source
            columns = [*view.join_keys, *[f.name for f in view.features], source.timestamp_field]
            if source.created_timestamp_column:
                columns.append(source.created_timestamp_column)
            stats = write_latest(store, view, stored[list(dict.fromkeys(columns))])
            written = max(written, stats.written)
        return written

    return write
