"""A contract's missing-value markers: the text values its producer uses for "no value".

The readers guess none (an empty CSV field is the only text null); a contract that lists
``null_markers`` has those exact values read as null before typing, in every format alike.
"""

from __future__ import annotations

import pandas as pd


def apply_null_markers(frame: pd.DataFrame, markers: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` with every whole text value in ``markers`` made null (a copy only if one is)."""
    if not markers:
        return frame
    out = frame
    for column in frame.columns:
        series = frame[column]
        dtype = series.dtype
        if not (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
                or isinstance(dtype, pd.CategoricalDtype)):
            continue
        marked = series.isin(markers)
        if marked.any():
            out = frame.copy() if out is frame else out
            out[column] = series.where(~marked, None)
    return out
