"""Contracts for producers outside Python: ODCS YAML, JSON Schema (per row) and pandera YAML.

- ``yaml``: the snapshot (pandera's ``to_yaml`` plus ``metadata.featureguard``); pandera's
  ``DataFrameSchema.from_yaml`` loads it as it stands, ``from_yaml_export`` rebuilds the Contract.
- ``jsonschema``: a draft 2020-12 schema for ONE row (a JSON object). It states types,
  nullability, ranges, allowed values, patterns and lengths, and that timestamps carry a
  timezone. Rules over several rows or columns (key uniqueness, cross-column checks) cannot be
  said per row; they are listed under ``x-featureguard-unexpressed`` so nothing is hidden.
- ``odcs``: Open Data Contract Standard v3.1.0 (Bitol): schema properties with logical types
  and options, primary key, quality rules (library metrics, custom pandera rules), the freshness
  SLA and the owner.
"""

from __future__ import annotations

from typing import Any

import yaml

from featureguard.contracts.describe import expectation
from featureguard.contracts.model import Contract
from featureguard.contracts.snapshot import contract_yaml, from_snapshot
from featureguard.contracts.types import column_type

FORMATS = ("odcs", "jsonschema", "yaml")
ODCS_API_VERSION = "v3.1.0"

#: an ISO-8601 date-time that states its offset: the gate never guesses a timezone
TZ_TIMESTAMP_PATTERN = (r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?"
                        r"(Z|z|[+-]\d{2}(:?\d{2})?)$")

_RANGE = {"greater_than_or_equal_to": ("minimum", "min_value"), "greater_than": ("exclusiveMinimum", "min_value"),
          "less_than_or_equal_to": ("maximum", "max_value"), "less_than": ("exclusiveMaximum", "max_value")}


def _is_timestamp(dtype: str) -> bool:
    return dtype.startswith("datetime64")


def _json_type(dtype: str) -> str:
    """JSON Schema type of a dtype; a dtype outside the type table travels as text."""
    known = column_type(dtype)
    return known.json if known is not None else "string"


def _value_keywords(check_name: str, stats: dict[str, Any]) -> dict[str, Any] | None:
    """JSON Schema keywords of one column check, or None when JSON Schema cannot state it."""
    if check_name == "in_range":
        out = {}
        if stats.get("min_value") is not None:
            out["minimum" if stats.get("include_min", True) else "exclusiveMinimum"] = stats["min_value"]
        if stats.get("max_value") is not None:
            out["maximum" if stats.get("include_max", True) else "exclusiveMaximum"] = stats["max_value"]
        return out
    if check_name in _RANGE:
        key, stat = _RANGE[check_name]
        return {key: stats[stat]}
    if check_name == "equal_to":
        return {"const": stats["value"]}
    if check_name == "isin":
        return {"enum": list(stats["allowed_values"])}
    if check_name == "notin":
        return {"not": {"enum": list(stats["forbidden_values"])}}
    if check_name == "str_matches":  # pandera anchors at the start (re.match); JSON Schema searches
        pattern = stats["pattern"]
        return {"pattern": pattern if pattern.startswith("^") else "^(?:" + pattern + ")"}
    if check_name == "str_contains":
        return {"pattern": stats["pattern"]}
    if check_name == "str_length":
        if stats.get("exact_value") is not None:
            return {"minLength": stats["exact_value"], "maxLength": stats["exact_value"]}
        out = {}
        if stats.get("min_value") is not None:
            out["minLength"] = stats["min_value"]
        if stats.get("max_value") is not None:
            out["maxLength"] = stats["max_value"]
        return out
    if check_name == "finite":
        return {}  # JSON numbers are finite by definition
    return None


def _column_schema(column: Any, unexpressed: list[dict[str, Any]]) -> dict[str, Any]:
    dtype = str(column.dtype)
    if _is_timestamp(dtype):
        prop: dict[str, Any] = {"type": "string", "format": "date-time", "pattern": TZ_TIMESTAMP_PATTERN}
    else:
        prop = {"type": _json_type(dtype)}
    for check in column.checks:
        keywords = _value_keywords(check.name, dict(check.statistics or {}))
        if keywords is None:
            unexpressed.append({"column": column.name, "check": check.name,
                                "expected": expectation(check.name, check.statistics, check.description)})
        else:
            prop.update(keywords)
    if column.nullable:
        prop["type"] = [prop["type"], "null"]
        if "enum" in prop:
            prop["enum"] = [*prop["enum"], None]
    return prop


def to_json_schema(contract: Contract) -> dict[str, Any]:
    """One row of ``contract`` as a JSON Schema (draft 2020-12)."""
    unexpressed: list[dict[str, Any]] = []
    properties = {name: _column_schema(col, unexpressed) for name, col in contract.schema.columns.items()}
    if contract.schema.unique:
        unexpressed.append({"column": ", ".join(contract.schema.unique), "check": "multiple_fields_uniqueness",
                            "expected": f"one row per ({', '.join(contract.schema.unique)}) within a batch"})
    for check in contract.schema.checks:
        unexpressed.append({"column": None, "check": check.name,
                            "expected": expectation(check.name, check.statistics, check.description)})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:featureguard:contract:{contract.name}:{contract.version}",
        "title": f"{contract.name} {contract.version}",
        "description": contract.description,
        "type": "object",
        "properties": properties,
        "required": [n for n, c in contract.schema.columns.items() if c.required],
        "additionalProperties": not contract.schema.strict,
        "x-featureguard-unexpressed": unexpressed,
    }


def _odcs_property(contract: Contract, name: str, column: Any, key_position: dict[str, int]) -> dict[str, Any]:
    dtype = str(column.dtype)
    logical = "timestamp" if _is_timestamp(dtype) else _json_type(dtype)
    prop: dict[str, Any] = {"name": name, "logicalType": logical, "physicalType": dtype, "required": not column.nullable}
    if name in key_position:
        prop.update(primaryKey=True, primaryKeyPosition=key_position[name])
    options: dict[str, Any] = {}
    quality: list[dict[str, Any]] = []
    if logical == "timestamp":
        options.update(timezone=True, defaultTimezone="Etc/UTC")
    elif logical in ("number", "integer"):
        known = column_type(dtype)
        options["format"] = (known.odcs_format if known is not None else None) or (
            "f64" if logical == "number" else "i64")
    for check in column.checks:
        stats = dict(check.statistics or {})
        keywords = _value_keywords(check.name, stats)
        if check.name == "isin":
            quality.append({"name": f"{name}_allowed_values", "type": "library", "metric": "invalidValues",
                            "arguments": {"validValues": list(stats["allowed_values"])}, "mustBe": 0,
                            "dimension": "conformity", "description": expectation(check.name, stats)})
        elif keywords is not None and check.name != "notin":
            options.update({k: v for k, v in keywords.items() if k != "const"})
        else:
            quality.append(_custom_rule(f"{name}_{check.name}", check, name))
    if not column.nullable:
        quality.append({"name": f"{name}_not_null", "type": "library", "metric": "nullValues", "mustBe": 0,
                        "dimension": "completeness"})
    if name == contract.timestamp_column:
        prop["description"] = "Event time (UTC): point-in-time joins and freshness are measured on it."
    elif name in contract.entity_columns:
        prop["description"] = "Entity key."
    if options:
        prop["logicalTypeOptions"] = options
    if quality:
        prop["quality"] = quality
    return prop


def _custom_rule(name: str, check: Any, column: str | None) -> dict[str, Any]:
    return {"name": name, "type": "custom", "engine": "pandera",
            "implementation": {"check": check.name, "statistics": dict(check.statistics or {}),
                               **({"column": column} if column else {})},
            "description": expectation(check.name, check.statistics, check.description),
            "dimension": "consistency" if column is None else "conformity", "severity": "error"}


def to_odcs(contract: Contract) -> dict[str, Any]:
    """The contract as an ODCS v3.1.0 document (a dict; ``to_odcs_yaml`` renders it)."""
    keys = list(contract.schema.unique or [*contract.entity_columns, contract.timestamp_column])
    position = {k: i + 1 for i, k in enumerate(keys)}
    properties = [_odcs_property(contract, n, c, position) for n, c in contract.schema.columns.items()]
    quality = [{"name": "one_row_per_key", "type": "library", "metric": "duplicateValues", "mustBe": 0,
                "arguments": {"properties": keys}, "dimension": "uniqueness"}]
    quality += [_custom_rule(c.name, c, None) for c in contract.schema.checks]
    sla = []
    if contract.max_age is not None:
        sla.append({"property": "freshness", "value": contract.max_age.total_seconds(), "unit": "s",
                    "element": f"{contract.name}.{contract.timestamp_column}",
                    "description": "Age of the newest event, measured offline and online by `featureguard freshness`."})
    custom = [{"property": "compatibility", "value": contract.compatibility},
              {"property": "entityColumns", "value": list(contract.entity_columns)},
              {"property": "featureTtlSeconds",
               "value": None if contract.feature_ttl is None else contract.feature_ttl.total_seconds()}]
    doc: dict[str, Any] = {
        "apiVersion": ODCS_API_VERSION, "kind": "DataContract",
        "id": f"urn:featureguard:contract:{contract.name}", "name": contract.name, "version": contract.version,
        "status": "active", "domain": "featureguard",
        "description": {"purpose": contract.description},
        "schema": [{"name": contract.name, "physicalName": contract.name, "physicalType": "table",
                    "logicalType": "object", "description": contract.description,
                    "properties": properties, "quality": quality}],
        "team": {"name": contract.owner, "members": [{"username": contract.owner, "role": "owner"}]},
        "customProperties": custom,
    }
    if sla:
        doc["slaProperties"] = sla
    if contract.tags:
        doc["tags"] = [f"{k}:{v}" for k, v in contract.tags.items()]
    return doc


def to_odcs_yaml(contract: Contract) -> str:
    return yaml.safe_dump(to_odcs(contract), sort_keys=False, allow_unicode=True)


def to_yaml(contract: Contract) -> str:
    return contract_yaml(contract)


def from_yaml_export(text: str) -> Contract:
    """The Contract back from a ``yaml`` export (pandera rebuilds the schema)."""
    return from_snapshot(yaml.safe_load(text))


def export(contract: Contract, fmt: str) -> str:
    """Text of one export format."""
    if fmt == "odcs":
        return to_odcs_yaml(contract)
    if fmt == "jsonschema":
        import json

        return json.dumps(to_json_schema(contract), indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        return to_yaml(contract)
    raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
