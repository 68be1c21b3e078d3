"""Read plans for online lookups: everything about a feature request that does not depend on the
entity values, resolved once from the registry so a request only encodes keys and decodes replies.

Keys and hash fields follow Feast's Redis layout exactly (see ``keys``); response column names
follow Feast (``view__feature`` with full names, a projection's alias). Plans are built from Feast
objects, but only their attributes are read here, so this module does not import Feast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from featureguard.online.view_read import KEY_ENCODERS, ViewRead, view_read


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


@dataclass(frozen=True)
class ReadPlan:
    """A resolved feature request: views to read and the response's column names."""

    name: str
    views: tuple[ViewRead, ...]
    feature_names: tuple[str, ...]
    join_key_types: dict[str, int]  # request column -> Feast value type
    feature_types: tuple[int, ...] = ()  # Feast value type of each feature column


def stored_name(view: Any, versioning: bool) -> str:
    """The view name Feast uses in Redis (``helpers.compute_versioned_name``)."""
    if versioning:
        version = getattr(view.projection, "version_tag", None)
        if version is None:
            version = getattr(view, "current_version_number", None)
        if version is not None and version > 0:
            return f"{view.name}_v{version}"
    return view.name


def entity_key_types(view: Any) -> tuple[dict[str, int], dict[str, str]]:
    """Stored join key -> Feast value type, and stored join key -> request column (a projection's
    join key map renames the request column; Redis keys keep the stored name, as in Feast)."""
    mapping = getattr(view.projection, "join_key_map", None) or {}
    types = {}
    for column in view.entity_columns:
        value_type = column.dtype.to_value_type().value
        if value_type not in KEY_ENCODERS:
            raise ValueError(f"view {view.name!r}: join key {column.name!r} of type {column.dtype} is not supported")
        types[column.name] = value_type
    return types, {k: mapping.get(k, k) for k in types}


def _ttl_seconds(view: Any) -> float:
    ttl = getattr(view, "ttl", None)
    return ttl.total_seconds() if ttl else 0.0


def build_plan(project: str, name: str, selections: list[tuple[Any, list[str]]], full_names: bool,
               versioning: bool = False) -> ReadPlan:
    """``selections``: (feature view, feature names) in response order."""
    views: list[ViewRead] = []
    names: list[str] = []
    key_types: dict[str, int] = {}
    feature_types: list[int] = []
    for view, features in selections:
        types, request_keys = entity_key_types(view)
        for key, value_type in types.items():
            column = request_keys[key]
            if key_types.setdefault(column, value_type) != value_type:
                raise ValueError(f"entity column {column!r} has different types across views of {name!r}")
        alias = view.projection.name_to_use() if full_names else view.name
        views.append(view_read(project, stored_name(view, versioning), types, features, request_keys,
                               _ttl_seconds(view)))
        names.extend(f"{alias}__{f}" if full_names else f for f in features)
        dtypes = {f.name: f.dtype for f in view.features}
        feature_types.extend(dtypes[f].to_value_type().value for f in features)
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise UnknownFeatureError("full_feature_names", f"feature names {clashes} occur in several views; "
                                  "send \"full_feature_names\": true", status=422)
    return ReadPlan(name, tuple(views), tuple(names), key_types, tuple(feature_types))


def plan_for_service(project: str, service: Any, views_by_name: dict[str, Any], full_names: bool,
                     versioning: bool = False) -> ReadPlan:
    selections = []
    for projection in service.feature_view_projections:
        view = views_by_name.get(projection.name)
        if view is None:
            raise UnknownFeatureError("feature_service", f"feature service {service.name!r} uses unknown view {projection.name!r}")
        features = [f.name for f in projection.features] or [f.name for f in view.features]
        selections.append((view.with_projection(projection), features))  # aliases and join key maps
    return build_plan(project, service.name, selections, full_names, versioning)


def plan_for_refs(project: str, refs: tuple[str, ...], views_by_name: dict[str, Any], full_names: bool,
                  versioning: bool = False) -> ReadPlan:
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
    return build_plan(project, ",".join(refs), [(views_by_name[v], fs) for v, fs in grouped.items()], full_names,
                      versioning)


@dataclass
class Lookup:
    """A request's Redis work: per view, the distinct entity keys and, per request row, which
    of them it uses (Feast also reads each distinct entity once)."""

    packed: bytes  # every HMGET, one RESP blob (empty when ``commands`` is used)
    count: int
    rows: list[tuple[int, list[int]]]  # per view: (number of distinct keys, key position per row)
    keys: list[bytes] | None = None  # per command, for routing by slot (Redis Cluster)
    commands: list[bytes] | None = None


def lookup(plan: ReadPlan, entities: dict[str, list[Any]], keyed: bool = False) -> Lookup:
    """Every HMGET of a request, as one RESP blob (or, ``keyed``, one command per key for a
    cluster to route); raises EntityValueError naming a bad value."""
    parts: list[bytes] = []
    per_view: list[tuple[int, list[int]]] = []
    keys: list[bytes] = []
    count = 0
    for view in plan.views:
        distinct: dict[tuple, int] = {}
        columns = [entities[k] for k in view.request_keys]
        try:
            index = [distinct.setdefault(values, len(distinct)) for values in zip(*columns)] if len(columns) > 1 \
                else [distinct.setdefault((value,), len(distinct)) for value in columns[0]]
            if keyed:
                view_keys = list(map(view.key, distinct))
                keys.extend(view_keys)
                parts.extend(map(view.hmget, view_keys))
            else:
                parts.extend(map(view.hmget_for, distinct))
        except (TypeError, KeyError, AttributeError):
            _raise_bad_value(entities, view)
        per_view.append((len(distinct), index))
        count += len(distinct)
    if keyed:
        return Lookup(b"", count, per_view, keys, parts)
    return Lookup(b"".join(parts), count, per_view)


def _raise_bad_value(entities: dict[str, list[Any]], view: ViewRead) -> None:
    for key, key_type in zip(view.request_keys, view.key_types):
        for i, value in enumerate(entities[key]):
            try:
                KEY_ENCODERS[key_type](value)
            except TypeError as exc:
                raise EntityValueError(f"entities.{key}[{i}]", f"entities.{key}[{i}] = {value!r} is not {exc}") from None
    raise EntityValueError("entities", "entity values cannot be encoded")
