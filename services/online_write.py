"""Writing freshly accepted rows to the online store through Feast (used by ``ingest --online``)."""

from __future__ import annotations

import pandas as pd

from contracts.model import Contract


def views_for_contract(store, contract: Contract) -> list:
    """Feature views whose ``contract`` tag names this source."""
    return [fv for fv in store.list_feature_views() if fv.tags.get("contract") == contract.name]


def feast_online_writer(store):
    """An OnlineWriter bound to ``store``; Feast keeps a newer stored value over an older row."""

    def write(contract: Contract, stored: pd.DataFrame) -> int:
        views = views_for_contract(store, contract)
        for view in views:
            source = view.batch_source
            columns = [*view.join_keys, *[f.name for f in view.features], source.timestamp_field]
            if source.created_timestamp_column:
                columns.append(source.created_timestamp_column)
            store.write_to_online_store(view.name, stored[list(dict.fromkeys(columns))])
        return len(stored) if views else 0

    return write
