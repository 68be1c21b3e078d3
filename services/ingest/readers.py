"""Reading producer batches (Parquet, CSV, JSON lines/records, Arrow IPC) into DataFrames.

Values are read as they are sent; typing them is the contract gate's job, so CSV and JSON are
read without type inference on timestamps, and nothing is silently dropped.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

FORMATS = ("parquet", "csv", "json", "arrow")

_EXTENSIONS = {
    ".parquet": "parquet", ".pq": "parquet",
    ".csv": "csv",
    ".json": "json", ".jsonl": "json", ".ndjson": "json",
    ".arrow": "arrow", ".feather": "arrow", ".ipc": "arrow",
}

_CONTENT_TYPES = {
    "application/vnd.apache.parquet": "parquet", "application/x-parquet": "parquet",
    "text/csv": "csv",
    "application/json": "json", "application/x-ndjson": "json", "application/jsonl": "json",
    "application/vnd.apache.arrow.stream": "arrow", "application/vnd.apache.arrow.file": "arrow",
}


class UnreadableBatchError(ValueError):
    """The batch cannot be parsed at all; the whole batch is rejected."""


def format_for_path(path: Path) -> str:
    try:
        return _EXTENSIONS[path.suffix.lower()]
    except KeyError:
        raise UnreadableBatchError(
            f"{path.name}: unknown file type {path.suffix!r}; use one of {sorted(_EXTENSIONS)}"
        ) from None


def format_for_content_type(content_type: str) -> str:
    base = content_type.split(";")[0].strip().lower()
    try:
        return _CONTENT_TYPES[base]
    except KeyError:
        raise UnreadableBatchError(
            f"unsupported Content-Type {base!r}; use one of {sorted(_CONTENT_TYPES)}"
        ) from None


def read_bytes(data: bytes, fmt: str, name: str = "batch") -> pd.DataFrame:
    """Parses one batch; every failure becomes an UnreadableBatchError naming the batch."""
    if not data:
        raise UnreadableBatchError(f"{name}: empty file")
    try:
        frame = _READERS[fmt](data)
    except UnreadableBatchError:
        raise
    except Exception as exc:  # parsers raise many types; the caller needs one
        raise UnreadableBatchError(f"{name}: not valid {fmt}: {type(exc).__name__}: {exc}") from exc
    if len(frame.columns) == 0:
        raise UnreadableBatchError(f"{name}: no columns")
    return frame.reset_index(drop=True)


def read_file(path: Path) -> tuple[pd.DataFrame, bytes]:
    """Returns the frame and the raw bytes (their hash identifies the batch)."""
    fmt = format_for_path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableBatchError(f"{path}: {exc.strerror or exc}") from exc
    return read_bytes(data, fmt, path.name), data


def _read_parquet(data: bytes) -> pd.DataFrame:
    import pyarrow.parquet as pq

    return pq.read_table(io.BytesIO(data)).to_pandas()


def _read_arrow(data: bytes) -> pd.DataFrame:
    import pyarrow as pa

    try:
        table = pa.ipc.open_file(pa.BufferReader(data)).read_all()
    except pa.ArrowInvalid:
        table = pa.ipc.open_stream(pa.BufferReader(data)).read_all()
    return table.to_pandas()


def _read_csv(data: bytes) -> pd.DataFrame:
    # keep_default_na: the usual blanks/NA mean null; dates stay text until the gate parses them.
    return pd.read_csv(io.BytesIO(data), keep_default_na=True)


def _read_json(data: bytes) -> pd.DataFrame:
    text = data.lstrip()
    lines = not text.startswith(b"[")
    frame = pd.read_json(io.BytesIO(data), lines=lines, orient="records", dtype=False, convert_dates=False)
    if not isinstance(frame, pd.DataFrame):
        raise UnreadableBatchError("JSON must be records (a list of objects) or JSON lines")
    return frame


_READERS = {"parquet": _read_parquet, "csv": _read_csv, "json": _read_json, "arrow": _read_arrow}
