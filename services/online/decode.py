"""Stored bytes to values: Feast's JSON rendering (HTTP) and Feast's Python values (SDK), plus
statuses and event timestamps, decoded per distinct stored byte string.

Feature values repeat a lot (airports, aircraft types, rounded readings), so a bounded dict from
the stored bytes to the decoded value turns most decodes into one C-level dict lookup
(``dict.__missing__`` decodes a miss once). Values are immutable, so sharing them is safe.

Statuses are stricter than Feast 0.67's (which reports PRESENT for entities it did not find):
NOT_FOUND when the view holds no row for the entity (or the row lacks the feature's field),
NULL_VALUE for a stored null, OUTSIDE_MAX_AGE when the row's event timestamp is older than the
view's TTL (a TTL of 0 never expires, as in Feast); the value is still returned then, as
Feast's own pre-computed read path does.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from feast.protos.feast.types.Value_pb2 import Value as ValueProto
from feast.type_map import feast_value_type_to_python_type
from google.protobuf.timestamp_pb2 import Timestamp

from featureguard.feast_private import timestamp_to_str, value_to_native
from featureguard.online.plan import Lookup, ReadPlan

PRESENT, NULL_VALUE, NOT_FOUND, OUTSIDE_MAX_AGE = "PRESENT", "NULL_VALUE", "NOT_FOUND", "OUTSIDE_MAX_AGE"
EPOCH = "1970-01-01T00:00:00Z"
_CACHE_LIMIT = 200_000

Replies = list[list[bytes | None]]


class _Memo(dict):
    """bytes -> decoded value; a miss decodes once (``dict.__missing__``), so hits stay in C."""

    def __init__(self, render: Callable[[bytes], Any]) -> None:
        super().__init__()
        self._render = render

    def __missing__(self, raw: bytes) -> Any:
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        rendered = self[raw] = self._render(raw)
        return rendered


def _stamp(raw: bytes) -> tuple[datetime, float, int]:
    """``_ts:<view>`` bytes -> (datetime as Feast builds it, epoch seconds, whole seconds)."""
    ts = Timestamp.FromString(raw)
    seconds = ts.seconds + ts.nanos / 1_000_000_000.0
    return datetime.fromtimestamp(seconds, tz=timezone.utc), seconds, ts.seconds


class Decoder:
    """Renders stored bytes as Feast's JSON values (``feast serve``'s conversion)."""

    def __init__(self) -> None:
        self.values = _Memo(lambda raw: value_to_native(ValueProto.FromString(raw)))
        self.stamps = _Memo(lambda raw: timestamp_to_str(Timestamp.FromString(raw)))
        self.epochs = _Memo(lambda raw: _stamp(raw)[1])

    def value(self, raw: bytes) -> Any:
        return self.values[raw]

    def stamp(self, raw: bytes) -> str:
        return self.stamps[raw]


class NativeDecoder:
    """Decodes stored bytes to the Python values of Feast's ``OnlineResponse.to_dict()``."""

    def __init__(self) -> None:
        self.values = _Memo(lambda raw: feast_value_type_to_python_type(ValueProto.FromString(raw)))
        self.stamps = _Memo(_stamp)


def _statuses(values: list[Any], head: list[bytes | None]) -> list[str]:
    return [PRESENT if v is not None else (NOT_FOUND if raw is None else NULL_VALUE) for v, raw in zip(values, head)]


#: Feast stores a null timestamp feature as this sentinel; its JSON rendering keeps the number
#: (as ``feast serve`` does), its status says NULL_VALUE
_NULL_STAMP = ValueProto(unix_timestamp_val=-(2**63)).SerializeToString()


def _json_statuses(head: list[bytes | None]) -> list[str]:
    return [NOT_FOUND if raw is None else (NULL_VALUE if not raw or raw == _NULL_STAMP else PRESENT) for raw in head]


# ---------------------------------------------------------------- HTTP: Feast's JSON response


def _decode_json_row(row: list[bytes | None], n: int, decoder: Decoder, ttl: float,
                     now: float | None) -> tuple[list[Any], list[str], str]:
    """One entity's HMGET reply as (values, statuses, event timestamp)."""
    if row[n] is None:
        return [None] * n, [NOT_FOUND] * n, EPOCH
    cached = decoder.values
    head = row[:n]
    values = [cached[raw] if raw else None for raw in head]
    if now is not None and ttl and now - decoder.epochs[row[n]] > ttl:
        statuses = [OUTSIDE_MAX_AGE] * n
    else:
        statuses = _json_statuses(head) if None in values or _NULL_STAMP in head else [PRESENT] * n
    return values, statuses, decoder.stamps[row[n]]


def assemble(plan: ReadPlan, entities: dict[str, list[Any]], n_rows: int, work: Lookup,
             replies: Replies, decoder: Decoder, now: float | None = None) -> dict[str, Any]:
    """Feast's column-oriented JSON response: request entity columns first, then each feature.
    With ``now`` (epoch seconds), rows older than their view's TTL are OUTSIDE_MAX_AGE."""
    results: list[dict[str, Any]] = []
    present = [PRESENT] * n_rows
    epochs = [EPOCH] * n_rows
    for values in entities.values():
        results.append({"values": values, "statuses": present, "event_timestamps": epochs})
    offset = 0
    for view, (distinct, index) in zip(plan.views, work.rows):
        n = len(view.features)
        decoded = [_decode_json_row(row, n, decoder, view.ttl_seconds, now)
                   for row in replies[offset:offset + distinct]]
        offset += distinct
        picked = [decoded[i] for i in index]
        stamps = [d[2] for d in picked]
        value_columns = zip(*[d[0] for d in picked])
        status_columns = zip(*[d[1] for d in picked])
        for vals, stats in zip(value_columns, status_columns):
            results.append({"values": vals, "statuses": stats, "event_timestamps": stamps})
    return {"metadata": {"feature_names": [*entities, *plan.feature_names]}, "results": results}


# ---------------------------------------------------------------- SDK: Python values in columns


class Columns:
    """Decoded feature columns of one lookup, in plan order; per view, one stamp list."""

    __slots__ = ("values", "statuses", "stamps", "view_of")

    def __init__(self) -> None:
        self.values: list[list[Any]] = []  # one list per feature
        self.statuses: list[list[str]] = []
        self.stamps: list[list[tuple[datetime, float, int] | None]] = []  # one list per view
        self.view_of: list[int] = []  # feature -> index into ``stamps``


def decode_columns(plan: ReadPlan, work: Lookup, replies: Replies, decoder: NativeDecoder,
                   now: float) -> Columns:
    out = Columns()
    cached, stamp_memo = decoder.values, decoder.stamps
    offset = 0
    for v, (view, (distinct, index)) in enumerate(zip(plan.views, work.rows)):
        n, ttl = len(view.features), view.ttl_seconds
        missing_values: list[Any] = [None] * n
        missing_statuses, all_present = [NOT_FOUND] * n, [PRESENT] * n
        row_values: list[list[Any]] = []
        row_statuses: list[list[str]] = []
        row_stamps: list[tuple[datetime, float, int] | None] = []
        for row in replies[offset:offset + distinct]:
            raw_ts = row[n]
            if raw_ts is None:
                row_values.append(missing_values)
                row_statuses.append(missing_statuses)
                row_stamps.append(None)
                continue
            head = row[:n]
            values = [cached[raw] if raw else None for raw in head]
            stamp = stamp_memo[raw_ts]
            if ttl and now - stamp[1] > ttl:
                row_statuses.append([OUTSIDE_MAX_AGE] * n)
            else:
                row_statuses.append(_statuses(values, head) if None in values else all_present)
            row_values.append(values)
            row_stamps.append(stamp)
        offset += distinct
        if distinct != len(index):  # repeated entities: fan the distinct rows out to request rows
            row_values = [row_values[i] for i in index]
            row_statuses = [row_statuses[i] for i in index]
            row_stamps = [row_stamps[i] for i in index]
        out.values.extend(map(list, zip(*row_values)) if row_values else ([] for _ in range(n)))
        out.statuses.extend(map(list, zip(*row_statuses)) if row_statuses else ([] for _ in range(n)))
        out.stamps.append(row_stamps)
        out.view_of.extend([v] * n)
    return out
