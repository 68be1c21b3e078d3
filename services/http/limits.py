"""Request size limits: bodies are cut off at the byte limit while streaming, and rows are counted
without decoding (``featureguard.ingest.readers.count_rows``: Parquet/Arrow metadata, CSV records,
JSON records) before the contract gate parses a batch."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

from featureguard.http.errors import ApiError
from featureguard.ingest.readers import count_csv_rows, count_rows  # noqa: F401  (rows without decoding)

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


def check_rows(data: bytes, fmt: str, limit: int) -> None:
    rows = count_rows(data, fmt)
    if rows is not None and rows > limit:
        raise too_many_rows(rows, limit)
