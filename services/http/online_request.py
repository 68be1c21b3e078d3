"""Parsing ``POST /v1/online-features`` bodies by hand: orjson plus a few type checks.

This is the hot path, so there is no pydantic model here (the OpenAPI schema is declared
separately in ``routes``); every rejection still names the offending field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from featureguard.http.errors import ApiError

_KNOWN = frozenset(("feature_service", "features", "entities", "full_feature_names"))


@dataclass(frozen=True)
class OnlineRequest:
    feature_service: str | None
    features: tuple[str, ...]
    full_feature_names: bool
    entities: dict[str, list[Any]]
    n_rows: int


def _bad(field: str, detail: str, status: int = 422, error: str = "invalid_request") -> ApiError:
    return ApiError(status, error, detail, field)


def parse_online_request(body: bytes, max_entities: int) -> OnlineRequest:
    if not body:
        raise _bad("body", "empty body; send a JSON object with 'entities' and 'feature_service' or 'features'",
                   400, "invalid_json")
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _bad("body", f"body is not valid JSON: {exc}", 400, "invalid_json") from None
    if type(doc) is not dict:
        raise _bad("body", "body must be a JSON object")
    if len(doc) > 4 or not _KNOWN.issuperset(doc):
        unknown = sorted(set(doc) - _KNOWN)
        raise _bad(unknown[0], f"unknown field(s) {unknown}; allowed: {sorted(_KNOWN)}")

    service = doc.get("feature_service")
    features = doc.get("features")
    if service is not None and features:
        raise _bad("features", "give either 'feature_service' or 'features', not both")
    if service is None and not features:
        raise _bad("feature_service", "give 'feature_service' (a name) or 'features' (a list of 'view:feature')")
    if service is not None and type(service) is not str:
        raise _bad("feature_service", "'feature_service' must be a string")
    if features is not None and service is None:
        if type(features) is not list or any(type(f) is not str for f in features):
            raise _bad("features", "'features' must be a list of strings like 'view:feature'")
    full = doc.get("full_feature_names", False)
    if type(full) is not bool:
        raise _bad("full_feature_names", "'full_feature_names' must be true or false")

    entities = doc.get("entities")
    if type(entities) is not dict or not entities:
        raise _bad("entities", "'entities' must be an object of join key -> list of values, e.g. {\"origin\": [\"JFK\"]}")
    n_rows = -1
    for key, values in entities.items():
        if type(values) is not list:
            raise _bad(f"entities.{key}", f"entities.{key} must be a list of values")
        if n_rows == -1:
            n_rows = len(values)
        elif len(values) != n_rows:
            raise _bad(f"entities.{key}", f"entities.{key} has {len(values)} values, other keys have {n_rows}")
    if n_rows == 0:
        raise _bad("entities", "'entities' lists are empty; send at least one entity")
    if n_rows > max_entities:
        raise _bad("entities", f"{n_rows} entities in one request; the limit is {max_entities}",
                   413, "too_many_entities")
    return OnlineRequest(service, tuple(features or ()), full, entities, n_rows)
