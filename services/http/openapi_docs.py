"""Hand-written OpenAPI fragments for bodies the service reads raw (no pydantic on these paths)."""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "description": "Stable machine-readable code."},
        "detail": {"type": "string", "description": "What went wrong, for people."},
        "field": {"type": ["string", "null"], "description": "The request part at fault."},
    },
}

ONLINE_REQUEST: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {
            "type": "object",
            "required": ["entities"],
            "additionalProperties": False,
            "properties": {
                "feature_service": {"type": "string", "example": "departure_delay_model"},
                "features": {"type": "array", "items": {"type": "string"}, "example": ["weather_hourly:temp"]},
                "full_feature_names": {"type": "boolean", "default": False},
                "entities": {
                    "type": "object",
                    "description": "Join key -> list of values, column-oriented like Feast.",
                    "additionalProperties": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "example": {"origin": ["JFK"]},
                },
            },
        }}},
    }
}

_ROWS = {"type": "array", "items": {"type": "object"}, "example": [
    {"origin": "JFK", "time_hour": "2013-01-01T05:00:00Z", "temp": 39.02, "precip": 0.0, "visib": 10.0}]}

BATCH_REQUEST: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A batch as JSON records or lines, CSV, Parquet or Arrow IPC, chosen by Content-Type.",
        "content": {
            "application/json": {"schema": _ROWS},
            "application/x-ndjson": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
            "application/vnd.apache.arrow.stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}

_DESCRIPTIONS = {
    200: "Success.",
    201: "Batch stored; the receipt accounts for every row (status accepted or partial).",
    401: "No API key, or an unknown one.",
    403: "The key lacks the scope this route needs.",
    404: "Unknown source, feature service or feature.",
    413: "Body larger than the byte limit, a batch that would decode past the decoded-bytes limit, or "
         "more rows/entities than allowed per request.",
    415: "Unsupported Content-Type.",
    422: "The request or the batch is malformed, or no row of it passed its contract; nothing written "
         "offline or online (a batch's receipt is in the body).",
    503: "The online store is unavailable (down, hung, loading, read-only, busy, cluster down) or the "
         "registry is not loaded; nothing acknowledged. Retry-After gives the seconds to wait.",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        entry: dict[str, Any] = {"description": _DESCRIPTIONS[code]}
        if code >= 400:
            entry["content"] = {"application/json": {"schema": ERROR_SCHEMA}}
        out[code] = entry
    return out
