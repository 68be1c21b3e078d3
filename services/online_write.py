"""Writing freshly accepted rows to the online store (used by ``ingest --online``).

Rows go through the bulk writer of ``featureguard.materialize`` (Feast's Redis layout, the newest
row per entity, never over a newer stored value); a non-Redis online store gets Feast's own
``write_to_online_store``. A store that cannot take the write raises OnlineStoreUnavailable,
which the pipeline answers by rolling the whole batch back.
"""

from __future__ import annotations

import pandas as pd

from featureguard.contracts.model import Contract
from featureguard.errors import OnlineStoreUnavailable
from featureguard.feature_repo.tags import tagged_contract

#: Redis error replies that mean "not now" rather than "wrong request"
UNAVAILABLE_REPLIES = ("LOADING", "READONLY", "MISCONF", "BUSY", "CLUSTERDOWN", "TRYAGAIN", "MASTERDOWN")


def is_unavailable(exc: BaseException) -> bool:
    """Errors that mean the online store cannot take a write now (down, loading, read-only)."""
    import redis.exceptions as rex

    if isinstance(exc, (ConnectionError, TimeoutError, rex.ConnectionError, rex.TimeoutError,
                        rex.ClusterDownError, rex.TryAgainError, rex.ReadOnlyError)):
        return True
    return isinstance(exc, rex.ResponseError) and str(exc).startswith(UNAVAILABLE_REPLIES)


def views_for_contract(store, contract: Contract) -> list:
    """Feature views whose ``contract`` tag names this source."""
    return [fv for fv in store.list_feature_views() if tagged_contract(fv) == contract.name]


def feast_online_writer(store):
    """An OnlineWriter bound to ``store``; returns how many entities got a new value (a view
    whose stored value is newer keeps it)."""
    from featureguard.materialize.push import write_latest

    def write(contract: Contract, stored: pd.DataFrame) -> int:
        written = 0
        for view in views_for_contract(store, contract):
            source = view.batch_source
            columns = [*view.join_keys, *[f.name for f in view.features], source.timestamp_field]
            if source.created_timestamp_column:
                columns.append(source.created_timestamp_column)
            try:
                stats = write_latest(store, view, stored[list(dict.fromkeys(columns))])
            except Exception as exc:
                if is_unavailable(exc):
                    raise OnlineStoreUnavailable(
                        f"the online store did not take the rows of view {view.name!r}: {exc}") from exc
                raise
            written = max(written, stats.written)
        return written

    return write
