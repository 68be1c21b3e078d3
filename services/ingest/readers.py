"""Reading producer batches (Parquet, CSV, JSON lines/records, Arrow IPC) into DataFrames.

Values are read as they are sent; typing them is the contract gate's job, so CSV and JSON are
read without type inference on timestamps, and nothing is silently dropped.

Every reader is held to a decoded-bytes limit checked before the big allocation (see
``featureguard.ingest.decoded``): past it, ``BatchTooLargeError`` (an operational error: CLI exit 4,
HTTP 413), never an out-of-memory worker.

A batch with no rows is refused as unreadable in every format alike (a header-only CSV, ``[]``,
an empty JSON-lines file, a zero-row Parquet or Arrow file, a 0-byte file): an export that
selected nothing is a producer bug, and a receipt "accepted, 0 rows" would hide it. So is a
batch naming one column twice (a CSV header ``temp,temp`` is not silently read as ``temp.1``).

:func:`count_rows` gives the row count a reader would produce without building a frame, for
request limits: Parquet and Arrow from metadata, CSV by records (quoted newlines and blank lines
as the CSV reader counts them), JSON by records.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from featureguard.ingest.decoded import (
    BatchTooLargeError,
    Budget,
    configured_limit,
    read_arrow_bounded,
    read_parquet_bounded,
)

__all__ = ["BatchTooLargeError", "UnreadableBatchError", "count_csv_rows", "count_rows", "read_bytes", "read_file"]

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


def read_bytes(data: bytes, fmt: str, name: str = "batch", max_decoded_bytes: int | None = None) -> pd.DataFrame:
    """Parses one batch; every failure becomes an UnreadableBatchError naming the batch.

    ``max_decoded_bytes`` defaults to :func:`featureguard.ingest.decoded.configured_limit`; past it,
    BatchTooLargeError (not an UnreadableBatchError: the bytes may be fine, the limit is ours).
    """
    if not data:
        raise UnreadableBatchError(f"{name}: empty file")
    budget = Budget(name, max_decoded_bytes if max_decoded_bytes is not None else configured_limit())
    try:
        frame = _READERS[fmt](data, budget)
    except BatchTooLargeError:
        raise
    except UnreadableBatchError as exc:
        raise UnreadableBatchError(f"{name}: {exc}") from exc
    except Exception as exc:  # parsers raise many types; the caller needs one
        raise UnreadableBatchError(f"{name}: not valid {fmt}: {type(exc).__name__}: {exc}") from exc
    if len(frame) == 0:
        raise UnreadableBatchError(f"{name}: no rows (an empty batch is refused in every format)")
    if len(frame.columns) == 0:
        raise UnreadableBatchError(f"{name}: no columns")
    try:
        _refuse_duplicates([str(c) for c in frame.columns])
    except UnreadableBatchError as exc:
        raise UnreadableBatchError(f"{name}: {exc}") from None
    return frame.reset_index(drop=True)


def _refuse_duplicates(columns: list[str]) -> None:
    seen: set[str] = set()
    twice = [c for c in columns if c in seen or seen.add(c)]  # type: ignore[func-returns-value]
    if twice:
        listed = ", ".join(repr(c) for c in dict.fromkeys(twice))
        raise UnreadableBatchError(f"duplicate column {listed}; each column may appear once")


def read_file(path: Path, max_decoded_bytes: int | None = None) -> tuple[pd.DataFrame, bytes]:
    """Returns the frame and the raw bytes (their hash identifies the batch)."""
    fmt = format_for_path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableBatchError(f"{path}: {exc.strerror or exc}") from exc
    return read_bytes(data, fmt, path.name, max_decoded_bytes), data


def _read_parquet(data: bytes, budget: Budget) -> pd.DataFrame:
    return read_parquet_bounded(data, budget).to_pandas()


def _read_arrow(data: bytes, budget: Budget) -> pd.DataFrame:
    return read_arrow_bounded(data, budget).to_pandas()


def _read_csv(data: bytes, budget: Budget) -> pd.DataFrame:
    budget.charge(len(data), "CSV text")  # text is not compressed: the body bounds what it decodes to
    # Only an empty field is null: "NA", "None", "NULL", "nan" are values (carrier NA exists) unless
    # the contract lists them as null_markers (the gate applies those, in every format alike).
    # Dates stay text until the gate parses them.
    frame = pd.read_csv(io.BytesIO(data), keep_default_na=False, na_values=[""])
    header = pd.read_csv(io.BytesIO(data), header=None, nrows=1, dtype=str, keep_default_na=False)
    _refuse_duplicates([str(c) for c in header.iloc[0]] if len(header) else [])
    return frame  # pandas renamed a repeated header to "temp.1": refused above, by its real name


def _read_json(data: bytes, budget: Budget) -> pd.DataFrame:
    budget.charge(len(data), "JSON text")
    text = data.lstrip()
    lines = not text.startswith(b"[")
    frame = pd.read_json(io.BytesIO(data), lines=lines, orient="records", dtype=False, convert_dates=False)
    if not isinstance(frame, pd.DataFrame):
        raise UnreadableBatchError("JSON must be records (a list of objects) or JSON lines")
    return frame


_READERS = {"parquet": _read_parquet, "csv": _read_csv, "json": _read_json, "arrow": _read_arrow}


def count_csv_rows(data: bytes) -> int:
    """Records in a CSV body as the CSV reader counts them: not lines (a quoted field may hold
    newlines), blank lines skipped, header excluded."""
    if b'"' in data:  # quotes toggle: every odd piece is inside quotes ("" inside is two toggles)
        data = b"".join(piece if i % 2 == 0 else b"q" for i, piece in enumerate(data.split(b'"')))
    records = sum(1 for line in data.splitlines() if line.strip())
    return max(records - 1, 0)


def count_rows(data: bytes, fmt: str) -> int | None:
    """Rows of a batch without decoding it; None when it cannot be read (the reader says why)."""
    try:
        if fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            return pq.ParquetFile(pa.BufferReader(data)).metadata.num_rows
        if fmt == "arrow":
            from featureguard.ingest.decoded import ipc_messages

            return sum(m.rows for m in ipc_messages(data))
        if fmt == "csv":
            return count_csv_rows(data)
        if fmt == "json":
            if data.lstrip().startswith(b"["):
                import orjson

                doc = orjson.loads(data)
                return len(doc) if isinstance(doc, list) else None
            return sum(1 for line in data.splitlines() if line.strip())
    except Exception:  # unreadable input is the reader's to report, with its own message
        return None
    return None
