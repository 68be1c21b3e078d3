"""The newest ``_ts:<view>`` per feature view in Feast's Redis layout, found by SCAN.

Feast keeps one hash per entity key (``serialize_entity_key(...) + project``) with a
``_ts:<view>`` field per view written for that entity. No single key holds a view's newest
time, and a per-view "newest" key kept at write time would have to be maintained by every
writer - stock Feast's RedisOnlineStore, our bulk engine, pushes - and would silently go stale
the first time stock Feast wrote. So this scans: SCAN MATCH ``*<project>`` in batches, one
pipelined HMGET of every view's ``_ts`` field per batch, decoding only the timestamps. It is
O(keys) - about a second per few hundred thousand keys - and runs at most once per metrics
cache period. On Redis Cluster, redis-py's ``RedisCluster.scan_iter`` walks every primary.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from google.protobuf.timestamp_pb2 import Timestamp

BATCH = 1_000


def _glob_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


def _decode(raw: bytes) -> float:
    ts = Timestamp.FromString(raw)
    return ts.seconds + ts.nanos / 1e9


def newest_online(client: Any, project: str, views: Iterable[str]) -> dict[str, tuple[datetime | None, int]]:
    """view -> (newest ``_ts:<view>``, number of entity keys holding the view)."""
    views = list(views)
    fields = [f"_ts:{v}".encode() for v in views]
    newest: dict[str, float | None] = {v: None for v in views}
    counts = {v: 0 for v in views}
    batch: list[bytes] = []

    def flush() -> None:
        pipe = client.pipeline(transaction=False)
        for key in batch:
            pipe.hmget(key, fields)
        for replies in pipe.execute():
            for view, raw in zip(views, replies):
                if raw:
                    seconds = _decode(raw)
                    counts[view] += 1
                    if newest[view] is None or seconds > newest[view]:  # type: ignore[operator]
                        newest[view] = seconds
        batch.clear()

    for key in client.scan_iter(match=b"*" + _glob_escape(project).encode(), count=BATCH):
        batch.append(key)
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return {v: (None if newest[v] is None else datetime.fromtimestamp(newest[v], tz=timezone.utc), counts[v])
            for v in views}
