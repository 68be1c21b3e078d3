"""Column types of the typed test repos (tests/online, tests/materialize): one pandas dtype per
Feast value type the contracts allow, nullable where Feast allows nulls."""

from __future__ import annotations

import pandas as pd

DTYPES = {"i32": "Int32", "i64": "Int64", "f32": "float32", "flag": "boolean"}
UTC_COLUMNS = ("ts", "seen")


def as_feast_types(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its typed columns cast (in place) and returned."""
    for column in UTC_COLUMNS:
        frame[column] = pd.to_datetime(frame[column], utc=True)
    for column, dtype in DTYPES.items():
        frame[column] = frame[column].astype(dtype)
    return frame
