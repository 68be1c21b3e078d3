"""RESP commands for many rows at once, framed column-wise with pyarrow.

Each row's command (``HSET key f1 v1 ... _ts:<view> ts`` and, with a key TTL, ``EXPIRE key
n``) is assembled by ``binary_join_element_wise`` from per-column arrays and constants, so a
chunk of commands is one contiguous Arrow buffer that goes to the socket as is: no Python
object per row or argument (redis-py's pipeline packs each argument in Python, which alone
costs about as much as Redis spends executing the commands).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_CRLF = b"\r\n"
#: ``$<n>\r\n`` for every length below this, taken per row instead of formatting numbers
_HEADERS_BELOW = 1 << 12
_HEADERS = pa.array([b"$%d\r\n" % n for n in range(_HEADERS_BELOW)], type=pa.binary())


def _const(value: bytes) -> pa.Scalar:
    return pa.scalar(value, type=pa.binary())


def bulk_headers(rows: pa.Array) -> pa.Array:
    """``$<length>\r\n`` of each row, the head of its RESP bulk string (a null row: ``$0``)."""
    lengths = pc.binary_length(rows)
    if (pc.max(lengths).as_py() or 0) >= _HEADERS_BELOW:
        text = pc.cast(pc.cast(lengths.fill_null(0), pa.string()), pa.binary())
        return pc.binary_join_element_wise(_const(b"$"), text, _const(_CRLF), _const(b""))
    return _HEADERS.take(lengths.fill_null(0))


def _join(parts: Sequence[pa.Array | bytes]) -> pa.Array:
    """Row-wise concatenation; adjacent constants are merged first."""
    merged: list[pa.Array | pa.Scalar] = []
    pending = b""
    for part in parts:
        if isinstance(part, bytes):
            pending += part
            continue
        if pending:
            merged.append(_const(pending))
            pending = b""
        merged.append(part)
    if pending:
        merged.append(_const(pending))
    merged.append(_const(b""))  # the last argument is the separator
    return pc.binary_join_element_wise(*merged, null_handling="replace", null_replacement="")


def _bulk(rows: pa.Array, headers: pa.Array | None = None) -> list[pa.Array | bytes]:
    return [bulk_headers(rows) if headers is None else headers, rows, _CRLF]


def hset_rows(keys: pa.Array, fields: Sequence[bytes], values: Sequence[pa.Array],
              ttl_seconds: int | None = None) -> pa.Array:
    """Per row: ``HSET key field value ...`` then, with a TTL, ``EXPIRE key ttl``. Field names
    are constants (Feast's mmh3 names and ``_ts:<view>``); values one array per field."""
    if len(fields) != len(values):
        raise ValueError("one value array per field")
    key_headers = bulk_headers(keys)
    parts: list[pa.Array | bytes] = [b"*%d\r\n$4\r\nHSET\r\n" % (2 + 2 * len(fields)), *_bulk(keys, key_headers)]
    for field, column in zip(fields, values):
        parts += [b"$%d\r\n%s\r\n" % (len(field), field), *_bulk(column)]
    if ttl_seconds:
        ttl = str(int(ttl_seconds)).encode()
        parts += [b"*3\r\n$6\r\nEXPIRE\r\n", *_bulk(keys, key_headers), b"$%d\r\n%s\r\n" % (len(ttl), ttl)]
    return _join(parts)


def hget_rows(keys: pa.Array, field: bytes) -> pa.Array:
    """Per row: ``HGET key field``."""
    return _join([b"*3\r\n$4\r\nHGET\r\n", *_bulk(keys), b"$%d\r\n%s\r\n" % (len(field), field)])


def replies_per_row(ttl_seconds: int | None) -> int:
    return 2 if ttl_seconds else 1


def contiguous(rows: pa.Array) -> memoryview:
    """The bytes of all rows back to back (a view on the Arrow buffer, no copy)."""
    rows = rows.cast(pa.binary())
    if not len(rows):
        return memoryview(b"")
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32, count=len(rows) + 1, offset=rows.offset * 4)
    data = rows.buffers()[2]
    return memoryview(data)[int(offsets[0]):int(offsets[-1])]
