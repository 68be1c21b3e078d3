"""Request size limits: bodies are cut off at the byte limit while streaming, and rows are counted
cheaply (metadata, CSV records, JSON lines) before the contract gate parses a batch."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any, Awaitable, Callable

import orjson

from services.http.errors import ApiError

Receive = Callable[[], Awaitable[dict[str, Any]]]


def too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"request body exceeds the limit of {limit} bytes", "body",
                    limit_bytes=limit)


def too_many_rows(rows: int, limit: int) -> ApiError:
    return ApiError(413, "too_many_rows", f"batch has {rows} rows; the limit per request is {limit}", "body",
                    rows=rows, limit_rows=limit)


def declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                raise ApiError(400, "invalid_header", "Content-Length is not a number", "Content-Length") from None
    return None


async def read_body(receive: Receive, headers: list[tuple[bytes, bytes]], limit: int,
                    timeout: float | None = None) -> bytes:
    """The whole body, or 413 as soon as it is known to exceed ``limit`` (before reading it all).

    ``timeout`` bounds a body arriving in several chunks (a single-chunk body is already here)."""
    declared = declared_length(headers)
    if declared is not None and declared > limit:
        raise too_large(limit)
    message = await receive()
    body = message.get("body", b"")
    if not message.get("more_body"):
        if len(body) > limit:
            raise too_large(limit)
        return body
    chunks = [body]
    try:
        async with asyncio.timeout(timeout):
            await _rest(receive, message, chunks, limit)
    except TimeoutError:
        raise ApiError(408, "body_timeout", f"the request body did not arrive within {timeout:g} s", "body") from None
    return b"".join(chunks)


async def _rest(receive: Receive, message: dict[str, Any], chunks: list[bytes], limit: int) -> None:
    size = len(chunks[0])
    while message.get("more_body"):
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ApiError(400, "client_disconnected", "the client went away while sending the body", "body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)


def count_rows(data: bytes, fmt: str) -> int | None:
    """Rows in a batch without decoding it: Parquet and Arrow from their metadata (a compressed
    IPC body is never decompressed here), CSV records as pandas reads them (a quoted field may
    hold newlines), JSON lines by lines. None when the batch cannot be read (the gate then
    reports why)."""
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return pq.read_metadata(io.BytesIO(data)).num_rows
        if fmt == "arrow":
            from services.ingest.decoded import ipc_messages

            return sum(message.rows for message in ipc_messages(data))
        if fmt == "csv":
            return count_csv_rows(data)
        if fmt == "json":
            stripped = data.lstrip()
            if stripped.startswith(b"["):
                doc = orjson.loads(data)
                return len(doc) if isinstance(doc, list) else None
            return sum(1 for line in data.splitlines() if line.strip())
    except Exception:  # unreadable input is the gate's to report, with its own message
        return None
    return None


def count_csv_rows(data: bytes) -> int:
    """Data rows of a CSV (header excluded, blank lines skipped, as ``pandas.read_csv`` does).

    Without a quote character every line break ends a record, so lines are counted in C; with
    quotes, the csv module finds the records (a quoted field may span lines). Latin-1 maps every
    byte to one character, so any encoding's quotes and line breaks (ASCII in UTF-8) are seen."""
    if b'"' not in data:
        lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        return max(sum(1 for line in lines if line) - 1, 0)
    text = io.TextIOWrapper(io.BytesIO(data), encoding="latin-1", newline="")
    return max(sum(1 for record in csv.reader(text) if record) - 1, 0)


def check_rows(data: bytes, fmt: str, limit: int) -> None:
    rows = count_rows(data, fmt)
    if rows is not None and rows > limit:
        raise too_many_rows(rows, limit)
