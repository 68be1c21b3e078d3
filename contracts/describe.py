"""Contract rules in words a producer reads: what a check expects, stated from its statistics."""

from __future__ import annotations

from typing import Any

from featureguard.contracts.model import Contract

_OPS = {
    "greater_than_or_equal_to": ("≥", "min_value"), "greater_than": (">", "min_value"),
    "less_than_or_equal_to": ("≤", "max_value"), "less_than": ("<", "max_value"),
    "equal_to": ("=", "value"), "not_equal_to": ("≠", "value"),
}


def expectation(name: str, stats: dict[str, Any] | None, description: str | None = None) -> str:
    """``in_range {min 0, max 100}`` -> ``between 0 and 100 (inclusive)``; custom checks use their description."""
    stats = stats or {}
    if name == "in_range":
        lo, hi = stats.get("min_value"), stats.get("max_value")
        inc = ("inclusive" if stats.get("include_min", True) and stats.get("include_max", True) else
               "exclusive" if not stats.get("include_min", True) and not stats.get("include_max", True) else
               "lower bound " + ("inclusive" if stats.get("include_min", True) else "exclusive"))
        return f"between {lo} and {hi} ({inc})"
    if name in _OPS:
        op, key = _OPS[name]
        return f"{op} {stats.get(key)}"
    if name == "isin":
        return "one of " + ", ".join(map(str, stats.get("allowed_values") or []))
    if name == "notin":
        return "none of " + ", ".join(map(str, stats.get("forbidden_values") or []))
    if name == "str_matches":
        return f"matches {stats.get('pattern')}"
    if name == "str_contains":
        return f"contains {stats.get('pattern')}"
    if name == "str_length":
        if stats.get("exact_value") is not None:
            return f"exactly {stats['exact_value']} characters"
        return f"{stats.get('min_value')} to {stats.get('max_value')} characters"
    if name == "finite":
        return "a finite number (no ±inf)"
    if name == "not_nullable":
        return "a value in every row (no nulls)"
    if name == "multiple_fields_uniqueness":
        return "one row per key"
    if name in ("timezone_aware", "timestamp_format", "timestamp_range"):
        return "an ISO-8601 timestamp with a timezone (converted to UTC)"
    if name == "whole_number":
        return "whole numbers (an integer column; 5.5 is not cast to 5)"
    if name in ("column_in_schema", "column_in_dataframe"):
        return "exactly the contract's columns"
    if name.startswith(("coerce_dtype", "dtype")):
        return "values readable as the contract's type"
    return description or name


def rules(contract: Contract) -> list[dict[str, Any]]:
    """Every rule a batch is checked against, in contract order: per column (type, nulls, checks),
    then row identity and cross-column checks."""
    out: list[dict[str, Any]] = []
    for name, column in contract.schema.columns.items():
        out.append({"column": name, "check": f"dtype('{column.dtype}')", "expected": f"type {column.dtype}"})
        if not column.nullable:
            out.append({"column": name, "check": "not_nullable", "expected": expectation("not_nullable", None)})
        for check in column.checks:
            out.append({"column": name, "check": check.name,
                        "expected": expectation(check.name, check.statistics, check.description)})
    if contract.schema.unique:
        keys = ", ".join(contract.schema.unique)
        out.append({"column": keys, "check": "multiple_fields_uniqueness", "expected": f"one row per ({keys})"})
    for check in contract.schema.checks:
        out.append({"column": None, "check": check.name, "expected": expectation(check.name, check.statistics,
                                                                                   check.description)})
    return out
