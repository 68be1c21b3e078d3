"""Read plans for online lookups: everything about a feature request that does not depend on the
entity values, computed once from the registry so a request only encodes keys and decodes replies.

Keys and hash fields follow Feast's Redis layout exactly (entity key serialization v3 + project,
``mmh3("<view>:<feature>")`` fields, ``_ts:<view>``), and values are rendered with Feast's own
JSON conversion, so responses carry the same values and timestamps as ``feast serve``. Statuses
are stricter than Feast 0.67's (which reports PRESENT for entities it did not find):
NOT_FOUND when the view holds no row for the entity, NULL_VALUE for a stored null.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Iterable

from feast.feature_server_utils import _timestamp_to_str, _value_to_native
from feast.infra.online_stores.helpers import _mmh3
from feast.protos.feast.types.Value_pb2 import Value as ValueProto
from feast.protos.feast.types.Value_pb2 import ValueType
from google.protobuf.timestamp_pb2 import Timestamp

PRESENT, NULL_VALUE, NOT_FOUND = "PRESENT", "NULL_VALUE", "NOT_FOUND"
EPOCH = "1970-01-01T00:00:00Z"
_CACHE_LIMIT = 200_000


class UnknownFeatureError(LookupError):
    """A feature service or reference the registry does not know (HTTP 404), or cannot serve
    as asked (422, e.g. clashing feature names)."""

    def __init__(self, field: str, detail: str, status: int = 404) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail
        self.status = status


class EntityValueError(ValueError):
    """An entity value that cannot be a key of its join key's type (HTTP 422)."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail


def _encode_str(v: Any) -> bytes:
    if type(v) is not str:
        raise TypeError("a string")
    return v.encode("utf-8")


def _encode_int64(v: Any) -> bytes:
    if type(v) is not int or not -(2**63) <= v < 2**63:
        raise TypeError("a 64-bit integer")
    return struct.pack("<q", v)


def _encode_int32(v: Any) -> bytes:
    if type(v) is not int or not -(2**31) <= v < 2**31:
        raise TypeError("a 32-bit integer")
    return struct.pack("<i", v)


_HEADER = struct.Struct("<II").pack

#: Feast value type -> value -> bytes, as entity key serialization v3 writes values
_KEY_ENCODERS = {
    ValueType.STRING: _encode_str,
    ValueType.INT64: _encode_int64,
    ValueType.INT32: _encode_int32,
    ValueType.UNIX_TIMESTAMP: _encode_int64,
}


@dataclass(frozen=True)
class ViewRead:
    """One feature view's share of a request: its key encoder and the HMGET field list."""

    view: str
    join_keys: tuple[str, ...]  # sorted, as Feast serializes them
    request_keys: tuple[str, ...]  # the request column of each join key (differs under a join key map)
    key_types: tuple[int, ...]
    key_prefix: bytes
    suffix: bytes  # the project name closing every key
    features: tuple[str, ...]
    fields: tuple[bytes, ...]  # one mmh3 field per feature, then _ts:<view>
    command_tail: bytes  # the RESP-encoded field list closing every HMGET of this view
    command_head: bytes  # array header and command name
    single_string: bool  # one join key, a string: the common case, encoded inline

    def hmget(self, key: bytes) -> bytes:
        """``HMGET <key> <fields...>`` as RESP bytes; only the key part is built per request."""
        return b"%s$%d\r\n%s\r\n%s" % (self.command_head, len(key), key, self.command_tail)

    def hmget_for(self, values: tuple[Any, ...]) -> bytes:
        """The HMGET of one entity, in one formatting step for the common one-string-key view."""
        if self.single_string:
            raw = values[0].encode() if type(values[0]) is str else _encode_str(values[0])
            key_len = len(self.key_prefix) + 8 + len(raw) + len(self.suffix)
            return b"%s$%d\r\n%s%s%s%s\r\n%s" % (self.command_head, key_len, self.key_prefix,
                                                   _HEADER(ValueType.STRING, len(raw)), raw, self.suffix,
                                                   self.command_tail)
        return self.hmget(self.key(values))

    def key(self, values: tuple[Any, ...]) -> bytes:
        parts = [self.key_prefix]
        for key_type, value in zip(self.key_types, values):
            raw = _KEY_ENCODERS[key_type](value)
            parts.append(_HEADER(key_type, len(raw)))
            parts.append(raw)
        parts.append(self.suffix)
        return b"".join(parts)


@dataclass(frozen=True)
class ReadPlan:
    """A resolved feature request: views to read and the response's column names."""

    name: str
    views: tuple[ViewRead, ...]
    feature_names: tuple[str, ...]
    join_key_types: dict[str, int]


def view_read(project: str, view_name: str, key_types: dict[str, int], features: Iterable[str],
              request_keys: dict[str, str] | None = None) -> ViewRead:
    """``key_types``: stored join key -> value type; ``request_keys``: stored join key -> request column."""
    join_keys = tuple(sorted(key_types))
    requested = tuple((request_keys or {}).get(k, k) for k in join_keys)
    prefix = [struct.pack("<I", len(join_keys))]
    for key in join_keys:
        encoded = key.encode("utf-8")
        prefix.append(struct.pack("<II", ValueType.STRING, len(encoded)) + encoded)
    features = tuple(features)
    fields = tuple(_mmh3(f"{view_name}:{f}") for f in features) + (f"_ts:{view_name}".encode(),)
    tail = b"".join(b"$%d\r\n%s\r\n" % (len(f), f) for f in fields)
    types = tuple(key_types[k] for k in join_keys)
    return ViewRead(view_name, join_keys, requested, types, b"".join(prefix), project.encode("utf-8"), features,
                    fields, tail,
                    b"*%d\r\n$5\r\nHMGET\r\n" % (len(fields) + 2), types == (ValueType.STRING,))


def entity_key_types(view: Any) -> tuple[dict[str, int], dict[str, str]]:
    """Stored join key -> Feast value type, and stored join key -> request column (a projection's
    join key map renames the request column; Redis keys keep the stored name, as in Feast)."""
    mapping = getattr(view.projection, "join_key_map", None) or {}
    types = {}
    for column in view.entity_columns:
        value_type = column.dtype.to_value_type().value
        if value_type not in _KEY_ENCODERS:
            raise ValueError(f"view {view.name!r}: join key {column.name!r} of type {column.dtype} is not supported")
        types[column.name] = value_type
    return types, {k: mapping.get(k, k) for k in types}


def build_plan(project: str, name: str, selections: list[tuple[Any, list[str]]], full_names: bool) -> ReadPlan:
    """``selections``: (feature view, feature names) in response order."""
    views, names, key_types = [], [], {}
    for view, features in selections:
        types, request_keys = entity_key_types(view)
        for key, value_type in types.items():
            column = request_keys[key]
            if key_types.setdefault(column, value_type) != value_type:
                raise ValueError(f"entity column {column!r} has different types across views of {name!r}")
        alias = view.projection.name_to_use() if full_names else view.name
        views.append(view_read(project, view.name, types, features, request_keys))
        names.extend(f"{alias}__{f}" if full_names else f for f in features)
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise UnknownFeatureError("full_feature_names", f"feature names {clashes} occur in several views; "
                                  "send \"full_feature_names\": true", status=422)
    return ReadPlan(name, tuple(views), tuple(names), key_types)


def plan_for_service(project: str, service: Any, views_by_name: dict[str, Any], full_names: bool) -> ReadPlan:
    selections = []
    for projection in service.feature_view_projections:
        view = views_by_name.get(projection.name)
        if view is None:
            raise UnknownFeatureError("feature_service", f"feature service {service.name!r} uses unknown view {projection.name!r}")
        features = [f.name for f in projection.features] or [f.name for f in view.features]
        selections.append((view.with_projection(projection), features))  # aliases and join key maps
    return build_plan(project, service.name, selections, full_names)


def plan_for_refs(project: str, refs: tuple[str, ...], views_by_name: dict[str, Any], full_names: bool) -> ReadPlan:
    """Feature references ``view:feature`` grouped by view, in first-mention order."""
    grouped: dict[str, list[str]] = {}
    for i, ref in enumerate(refs):
        view_name, sep, feature = ref.partition(":")
        view = views_by_name.get(view_name)
        if not sep or not feature:
            raise UnknownFeatureError(f"features[{i}]", f"feature reference {ref!r} must look like 'view:feature'")
        if view is None:
            raise UnknownFeatureError(f"features[{i}]", f"unknown feature view {view_name!r}")
        if feature not in {f.name for f in view.features}:
            raise UnknownFeatureError(f"features[{i}]", f"view {view_name!r} has no feature {feature!r}")
        grouped.setdefault(view_name, [])
        if feature not in grouped[view_name]:
            grouped[view_name].append(feature)
    return build_plan(project, ",".join(refs), [(views_by_name[v], fs) for v, fs in grouped.items()], full_names)


class _Memo(dict):
    """bytes -> rendered value; a miss renders once (``dict.__missing__``), so lookups stay in C."""

    def __init__(self, render: Any) -> None:
        super().__init__()
        self._render = render

    def __missing__(self, raw: bytes) -> Any:
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        rendered = self[raw] = self._render(raw)
        return rendered


class Decoder:
    """Renders stored bytes as Feast's JSON values, memoizing repeated byte strings.

    Feature values repeat a lot (airports, aircraft types, rounded readings), so a bounded
    dict from the stored bytes to the rendered value turns most decodes into one lookup.
    """

    def __init__(self) -> None:
        self.values = _Memo(lambda raw: _value_to_native(ValueProto.FromString(raw)))
        self.stamps = _Memo(lambda raw: _timestamp_to_str(Timestamp.FromString(raw)))

    def value(self, raw: bytes) -> Any:
        return self.values[raw]

    def stamp(self, raw: bytes) -> str:
        return self.stamps[raw]


@dataclass
class Lookup:
    """A request's Redis work: per view, the distinct entity keys and, per request row, which
    of them it uses (Feast also reads each distinct entity once)."""

    packed: bytes
    count: int
    rows: list[tuple[int, list[int]]]  # per view: (number of distinct keys, key position per row)


def lookup(plan: ReadPlan, entities: dict[str, list[Any]]) -> Lookup:
    """Every HMGET of a request as one RESP blob; raises EntityValueError naming a bad value."""
    parts, per_view, count = [], [], 0
    for view in plan.views:
        distinct: dict[tuple, int] = {}
        columns = [entities[k] for k in view.request_keys]
        index = [distinct.setdefault(values, len(distinct)) for values in zip(*columns)] if len(columns) > 1 \
            else [distinct.setdefault((value,), len(distinct)) for value in columns[0]]
        try:
            parts.extend(map(view.hmget_for, distinct))
        except (TypeError, KeyError):
            _raise_bad_value(entities, view)
        per_view.append((len(distinct), index))
        count += len(distinct)
    return Lookup(b"".join(parts), count, per_view)


def _raise_bad_value(entities: dict[str, list[Any]], view: ViewRead) -> None:
    for key, key_type in zip(view.request_keys, view.key_types):
        for i, value in enumerate(entities[key]):
            try:
                _KEY_ENCODERS[key_type](value)
            except TypeError as exc:
                raise EntityValueError(f"entities.{key}[{i}]", f"entities.{key}[{i}] = {value!r} is not {exc}") from None
    raise EntityValueError("entities", "entity values cannot be encoded")


def _status(value: Any, raw: bytes | None) -> str:
    if value is not None:
        return PRESENT
    return NOT_FOUND if raw is None else NULL_VALUE


def _decode_row(row: list[bytes | None], n: int, decoder: Decoder) -> tuple[list[Any], list[str], str]:
    """One entity's HMGET reply as (values, statuses, event timestamp)."""
    if row[n] is None:
        return [None] * n, [NOT_FOUND] * n, EPOCH
    cached = decoder.values
    head = row[:n]
    values = [cached[raw] if raw else None for raw in head]
    statuses = [_status(v, raw) for v, raw in zip(values, head)] if None in values else [PRESENT] * n
    return values, statuses, decoder.stamps[row[n]]


def assemble(plan: ReadPlan, entities: dict[str, list[Any]], n_rows: int, work: Lookup,
             replies: list[list[bytes | None]], decoder: Decoder) -> dict[str, Any]:
    """Feast's column-oriented response: request entity columns first, then each feature."""
    results: list[dict[str, Any]] = []
    present = [PRESENT] * n_rows
    epochs = [EPOCH] * n_rows
    for values in entities.values():
        results.append({"values": values, "statuses": present, "event_timestamps": epochs})
    offset = 0
    for view, (distinct, index) in zip(plan.views, work.rows):
        n = len(view.features)
        decoded = [_decode_row(row, n, decoder) for row in replies[offset:offset + distinct]]
        offset += distinct
        picked = [decoded[i] for i in index]
        stamps = [d[2] for d in picked]
        value_columns = zip(*[d[0] for d in picked])
        status_columns = zip(*[d[1] for d in picked])
        for vals, stats in zip(value_columns, status_columns):
            results.append({"values": vals, "statuses": stats, "event_timestamps": stamps})
    return {"metadata": {"feature_names": [*entities, *plan.feature_names]}, "results": results}
