"""The batch report as data: every contract rule with its verdict, and a profile of each column.

Built from what the gate already decided (``GateResult``) and the frame as received, so the
report never re-validates: per rule it says what was expected, how many rows failed and shows
the first failing rows whole; per column it gives the null rate and the value range seen.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from featureguard.contracts.describe import expectation, rules
from featureguard.contracts.model import Contract
from featureguard.gate.failures import CheckFailure, jsonable

REPORT_VERSION = 1
SAMPLE_ROWS = 5


def _matches(rule: dict[str, Any], failure: CheckFailure) -> bool:
    check = failure.check
    if rule["check"] == "multiple_fields_uniqueness" or rule["column"] is None:
        return check == rule["check"]
    if failure.column != rule["column"]:
        return False
    if rule["check"].startswith("dtype("):
        return check.startswith(("dtype(", "coerce_dtype("))
    return check == rule["check"] or check.startswith(rule["check"] + "(")


def _sample(frame: pd.DataFrame | None, rows: list[int]) -> list[dict[str, Any]]:
    if frame is None or not rows:
        return []
    picked = [r for r in dict.fromkeys(rows) if 0 <= r < len(frame)][:SAMPLE_ROWS]
    return [{"_row": r, **{str(k): jsonable(v) for k, v in frame.iloc[r].items()}} for r in picked]


def _entry(rule: dict[str, Any], failures: list[CheckFailure], frame: pd.DataFrame | None, received: int,
           batch_ok: bool) -> dict[str, Any]:
    rows = sorted({r for f in failures for r in f.rows})
    failed = len(rows) if rows else sum(f.count for f in failures)
    if failures and not failed:  # a batch-level failure (extra column, typed naive times): every row refused
        failed = received
    status = "failed" if failures else ("passed" if batch_ok else "not checked")
    return {
        "column": rule["column"], "check": rule["check"], "expected": rule["expected"], "status": status,
        "failed": failed, "failure_rate": round(failed / received, 6) if received else 0.0,
        "pandera_check": sorted({f.check for f in failures}),
        "failing_columns": sorted({c for f in failures for c in (f.column or "").split(",") if c}),
        "message": "; ".join(dict.fromkeys(f.message for f in failures if f.message)),
        "examples": [e for f in failures for e in f.examples][:SAMPLE_ROWS],
        "sample_rows": _sample(frame, rows),
    }


def check_entries(contract: Contract, failures: list[CheckFailure], frame: pd.DataFrame | None,
                  received: int, batch_ok: bool) -> list[dict[str, Any]]:
    """One entry per contract rule (passed or not), then failures no rule names (schema, timestamps)."""
    remaining = list(failures)
    out = []
    for rule in rules(contract):
        mine = [f for f in remaining if _matches(rule, f)]
        taken = {id(f) for f in mine}
        remaining = [f for f in remaining if id(f) not in taken]
        out.append(_entry(rule, mine, frame, received, batch_ok))
    grouped: dict[tuple, list[CheckFailure]] = {}
    for f in remaining:
        grouped.setdefault((f.column, f.check.split("(")[0]), []).append(f)
    for (column, check), group in grouped.items():
        rule = {"column": column, "check": check, "expected": expectation(check, None)}
        out.append(_entry(rule, group, frame, received, batch_ok))
    return out


def _numbers(series: pd.Series) -> np.ndarray:
    """Values as float64 (NaN where missing or unreadable); numpy directly when already numeric."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype="float64", na_value=np.nan)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _range(series: pd.Series, dtype: str, nulls: np.ndarray) -> dict[str, Any]:
    """min, max (and distinct values for text) of the non-null values, read as the contract's type."""
    if nulls.all():
        return {"min": None, "max": None, "distinct": 0}
    if dtype.startswith("datetime64"):
        values = series[~nulls]
        if not pd.api.types.is_datetime64_any_dtype(values):
            values = pd.to_datetime(values.astype(str), utc=True, errors="coerce", format="ISO8601").dropna()
        if values.empty:
            return {"min": None, "max": None, "distinct": None}
        return {"min": jsonable(values.min()), "max": jsonable(values.max()), "distinct": None}
    if dtype.startswith(("float", "int", "Int")):
        numbers = _numbers(series)
        numbers = numbers[~np.isnan(numbers)]
        if not numbers.size:
            return {"min": None, "max": None, "distinct": None, "infinite": 0}
        return {"min": jsonable(numbers.min()), "max": jsonable(numbers.max()), "distinct": None,
                "infinite": int(np.isinf(numbers).sum())}
    text = series[~nulls].astype(str)
    lengths = text.str.len()
    return {"min": f"{int(lengths.min())} chars", "max": f"{int(lengths.max())} chars", "distinct": int(text.nunique())}


def column_profile(contract: Contract, frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None:
        return []
    out = []
    n = len(frame)
    roles = {**{c: "entity" for c in contract.entity_columns}, contract.timestamp_column: "event_timestamp"}
    for name in [*contract.columns, *(c for c in frame.columns if c not in contract.schema.columns)]:
        spec = contract.schema.columns.get(name)
        dtype = str(spec.dtype) if spec is not None else "not in contract"
        entry: dict[str, Any] = {"name": str(name), "dtype": dtype,
                                 "role": roles.get(name, "feature" if spec is not None else "extra"),
                                 "nullable": bool(spec.nullable) if spec is not None else None}
        if name not in frame.columns:
            out.append({**entry, "present": False, "null_count": None, "null_rate": None, "min": None,
                        "max": None, "distinct": None, "infinite": 0})
            continue
        series = frame[name]
        nulls = series.isna().to_numpy()
        count = int(nulls.sum())
        out.append({**entry, "present": True, "null_count": count, "null_rate": round(count / n, 6) if n else 0.0,
                    "infinite": 0, **_range(series, dtype, nulls)})
    return out


def build_report(kind: str, contract: Contract, frame: pd.DataFrame | None, failures: list[CheckFailure],
                 schema_failures: list[CheckFailure], received: int, summary: dict[str, Any]) -> dict[str, Any]:
    """``summary``: batch id, status, counts, paths, as the receipt or validation report has them."""
    frame = frame.reset_index(drop=True) if frame is not None else None
    return {
        "report_version": REPORT_VERSION,
        "kind": kind,
        "source": contract.name,
        "contract_version": contract.version,
        "contract_description": contract.description,
        **summary,
        "received": received,
        "checks": check_entries(contract, [*schema_failures, *failures], frame, received, not schema_failures),
        "columns": column_profile(contract, frame),
    }
