"""The vocabulary of a validation verdict: which check failed, where, how often, on what values."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MAX_EXAMPLES = 5


@dataclass
class CheckFailure:
    """One failing check on one column (column is None for row-level or frame-level checks)."""

    column: str | None
    check: str
    count: int
    examples: list[dict[str, Any]] = field(default_factory=list)
    rows: list[int] = field(default_factory=list, repr=False)
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"column": self.column, "check": self.check, "count": self.count, "examples": self.examples}
        if self.message:
            out["message"] = self.message
        return out

    @property
    def label(self) -> str:
        return f"{self.column}:{self.check}" if self.column else self.check


def jsonable(value: Any) -> Any:
    """A failure value as JSON can carry it (NaN/inf as strings, timestamps as ISO text)."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (int, str, bool)):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    try:
        import pandas as pd

        if value is pd.NaT or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def schema_failure(check: str, message: str, column: str | None = None, examples: list | None = None) -> CheckFailure:
    """A batch-level problem: the batch cannot be typed or shaped as the contract says."""
    return CheckFailure(column=column, check=check, count=0, examples=examples or [], message=message)
