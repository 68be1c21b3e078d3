"""Integer columns must receive whole numbers: a fractional value is a row failure, not a cast.

Pandera's ``coerce=True`` turns 5.5 into 5 on its way to int64, which would store a value the
producer never sent. Before the contract runs, values bound for an integer column are read as
numbers and every one with a fractional part (or an infinity) is reported and its row held back.
Text that is not a number at all is left to the contract's own type check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from featureguard.contracts.model import Contract
from featureguard.gate.failures import MAX_EXAMPLES, CheckFailure, jsonable

CHECK = "whole_number"


def integer_columns(contract: Contract) -> list[str]:
    """Contract columns whose type is an integer type (nullable or not)."""
    out = []
    for name, column in contract.schema.columns.items():
        dtype = getattr(column.dtype, "type", None)
        try:
            if dtype is not None and pd.api.types.is_integer_dtype(dtype):
                out.append(name)
        except TypeError:
            continue
    return out


def fractional_failures(frame: pd.DataFrame, columns: list[str]) -> list[CheckFailure]:
    """One failure per integer column that received non-whole numbers, naming rows and values."""
    failures = []
    for column in columns:
        if column not in frame.columns:
            continue
        series = frame[column]
        if pd.api.types.is_integer_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
            continue
        numbers = pd.to_numeric(series, errors="coerce").astype("float64")
        values = numbers.to_numpy()
        mask = np.isinf(values) | (np.isfinite(values) & (values != np.floor(values)))
        if not mask.any():
            continue
        rows = [int(i) for i in series.index[mask]]
        examples = [{"row": r, "value": jsonable(series.loc[r])} for r in rows[:MAX_EXAMPLES]]
        failures.append(CheckFailure(column, CHECK, len(rows), examples, rows,
                                     f"column {column!r} is an integer column; got non-whole numbers"))
    return failures
