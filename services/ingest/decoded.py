"""How many bytes a batch decodes to, known before it is decoded, and the limit on that size.

A few KB of Parquet or Arrow can decode to gigabytes: a dictionary page holding one 8 MB string,
referenced by every row, or a zstd-compressed IPC buffer. The body-size limit cannot see that, so
each reader asks this module first and refuses a batch past ``max_decoded_bytes`` *before* the
big allocation happens:

- Parquet: the footer gives, per column chunk, the row count, the physical type and the
  uncompressed page size. Fixed-width columns and plain strings are bounded from that alone;
  dictionary-encoded strings are read as dictionaries (small: values once, indices) and their
  expanded size is computed from the value lengths; DELTA_BYTE_ARRAY strings (prefix sharing,
  unbounded expansion) are measured in small row batches.
- Arrow IPC: each message's flatbuffer metadata is read (no body decoded) for the decompressed
  size of its buffers; then batches stream one at a time, dictionary columns counted expanded.
- CSV and JSON: not compressed, so the body itself is the bound.

"Decoded bytes" is the Arrow size of the columns with every dictionary expanded, since the gate
and pandas expand them. The limit is ``FEATUREGUARD_MAX_DECODED_BYTES`` (default 1 GiB), or a
caller's own value (the HTTP service uses a smaller one) through :func:`decoded_bytes_limit` or
the reader's ``max_decoded_bytes`` argument.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from featureguard.errors import OperationalError

LIMIT_ENV = "FEATUREGUARD_MAX_DECODED_BYTES"
DEFAULT_MAX_DECODED_BYTES = 1 << 30  # 1 GiB: a file on the producer's own machine (CLI)
#: Rows read at once when a column's size is known only after decoding (DELTA_BYTE_ARRAY).
_MEASURE_SLACK = 64 << 20

_limit: contextvars.ContextVar[int | None] = contextvars.ContextVar("max_decoded_bytes", default=None)


class BatchTooLargeError(OperationalError):
    """The batch would decode past a configured limit; nothing was decoded, stored or recorded.

    Not bad data (the same bytes pass where the limit is higher), so an ``OperationalError``:
    the CLI exits 4 (``EXIT_OPERATIONAL``) with this one-line message, and HTTP answers 413
    naming ``limit_name``. No receipt is written, so a retry after raising the limit (or with
    the batch split) is processed normally.
    """

    def __init__(self, name: str, observed: int, limit: int, limit_name: str = LIMIT_ENV, what: str = ""):
        self.name, self.observed, self.limit, self.limit_name = name, observed, limit, limit_name
        where = f" ({what})" if what else ""
        super().__init__(
            f"{name}: decodes to at least {observed:,} bytes{where}, over the limit of {limit:,} bytes "
            f"({limit_name}); send smaller batches or raise the limit"
        )


def configured_limit() -> int:
    """The limit in force: the innermost :func:`decoded_bytes_limit`, else the environment."""
    scoped = _limit.get()
    if scoped is not None:
        return scoped
    raw = os.environ.get(LIMIT_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_DECODED_BYTES
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise OperationalError(f"{LIMIT_ENV} must be a positive whole number of bytes, got {raw!r}")
    return value


@contextlib.contextmanager
def decoded_bytes_limit(limit: int) -> Iterator[None]:
    """Every batch read inside (in this thread or task) is held to ``limit`` decoded bytes."""
    if limit <= 0:
        raise ValueError(f"decoded-bytes limit must be positive, got {limit}")
    token = _limit.set(limit)
    try:
        yield
    finally:
        _limit.reset(token)


@dataclass
class Budget:
    """Decoded bytes counted so far against one batch's limit."""

    name: str
    limit: int
    used: int = 0

    def charge(self, nbytes: int, what: str = "") -> None:
        """Adds ``nbytes`` to what this batch decodes to; refuses the batch past the limit."""
        self.used += int(nbytes)
        if self.used > self.limit:
            raise BatchTooLargeError(self.name, self.used, self.limit, what=what)

    def check(self, bound: int, what: str) -> None:
        """Refuses the batch if an upper bound known in advance is already past the limit."""
        if bound > self.limit:
            raise BatchTooLargeError(self.name, int(bound), self.limit, what=what)

    def fresh(self) -> "Budget":
        return Budget(self.name, self.limit)


# --- Arrow arrays -------------------------------------------------------------------------------

def array_nbytes(array) -> int:
    """Arrow size of a (chunked) array with dictionaries expanded; cheap (lengths, not values)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    total = 0
    for chunk in chunks:
        if pa.types.is_dictionary(chunk.type):
            values = chunk.dictionary
            if pa.types.is_binary(values.type) or pa.types.is_string(values.type) or \
                    pa.types.is_large_binary(values.type) or pa.types.is_large_string(values.type):
                expanded = pc.sum(pc.take(pc.binary_length(values), chunk.indices)).as_py() or 0
                total += expanded + 8 * len(chunk)
            else:
                try:
                    width = max(values.type.bit_width // 8, 1)
                except ValueError:  # not fixed-width: the mean value size
                    width = values.nbytes // max(len(values), 1) + 1
                total += width * len(chunk)
        else:
            total += chunk.nbytes
    return total


# --- Parquet ------------------------------------------------------------------------------------

_FIXED_WIDTH = {"BOOLEAN": 1, "INT32": 4, "INT64": 8, "INT96": 12, "FLOAT": 4, "DOUBLE": 8}


def read_parquet_bounded(data: bytes, budget: Budget):
    """The Parquet table, read only once its decoded size is known to fit ``budget``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    footer = pq.ParquetFile(pa.BufferReader(data))  # reads the footer only
    meta, stored = footer.metadata, footer.schema_arrow
    dictionary: set[str] = set()
    measured: set[str] = set()
    known = 0
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        for j in range(group.num_columns):
            chunk = group.column(j)
            pages, rows = int(chunk.total_uncompressed_size), int(chunk.num_values)
            width = _FIXED_WIDTH.get(chunk.physical_type)
            if chunk.physical_type == "FIXED_LEN_BYTE_ARRAY":
                width = int(meta.schema.column(j).length)
            if width is not None:  # whatever the encoding, a value decodes to its width
                known += max(pages, rows * width)
                continue
            encodings = set(chunk.encodings)
            dictionary_encoded = chunk.has_dictionary_page or bool(encodings & {"PLAIN_DICTIONARY", "RLE_DICTIONARY"})
            path = chunk.path_in_schema
            if dictionary_encoded and path in stored.names:
                dictionary.add(path)  # read as a dictionary, expanded size computed below
                known += pages
            elif dictionary_encoded or "DELTA_BYTE_ARRAY" in encodings:
                measured.add(path.split(".")[0])
                known += pages
            else:  # PLAIN / DELTA_LENGTH_BYTE_ARRAY: the bytes are in the pages, plus one offset per value
                known += pages + 8 * rows
    budget.check(known, "column metadata")
    measuring = budget.fresh()  # all of them together, so the full read below fits too
    for column in sorted(measured):
        _measure_in_batches(footer, column, measuring)
    table = pq.ParquetFile(pa.BufferReader(data), read_dictionary=sorted(dictionary) or None).read()
    for name in table.column_names:
        budget.charge(array_nbytes(table.column(name)), f"column {name!r}")
    for name in sorted(dictionary):  # expand only what the writer did not declare a dictionary
        field = stored.field(name)
        if not pa.types.is_dictionary(field.type):
            table = table.set_column(table.schema.get_field_index(name), field, table.column(name).cast(field.type))
    return table


def _measure_in_batches(footer, column: str, budget: Budget) -> None:
    """Decodes one column a few rows at a time: a value is at most its chunk's page bytes long."""
    meta = footer.metadata
    widest = max((meta.row_group(g).column(j).total_uncompressed_size
                  for g in range(meta.num_row_groups) for j in range(meta.num_columns)
                  if meta.row_group(g).column(j).path_in_schema.split(".")[0] == column), default=1)
    rows = max(1, _MEASURE_SLACK // max(int(widest), 1))
    for batch in footer.iter_batches(batch_size=rows, columns=[column]):
        budget.charge(array_nbytes(batch.column(0)), f"column {column!r}")


# --- Arrow IPC ----------------------------------------------------------------------------------

_DICTIONARY_BATCH, _RECORD_BATCH = 2, 3


def _field(buf: bytes, table: int, index: int) -> int | None:
    """Position of field ``index`` of the flatbuffer table at ``table``, None when absent."""
    vtable = table - struct.unpack_from("<i", buf, table)[0]
    vsize = struct.unpack_from("<H", buf, vtable)[0]
    slot = 4 + 2 * index
    if slot + 2 > vsize:
        return None
    offset = struct.unpack_from("<H", buf, vtable + slot)[0]
    return table + offset if offset else None


def _ref(buf: bytes, position: int) -> int:
    return position + struct.unpack_from("<I", buf, position)[0]


@dataclass
class IpcMessage:
    rows: int  # rows of a record batch (0 for dictionaries and the schema)
    decoded: int  # bytes its body occupies once decompressed


def ipc_messages(data: bytes) -> Iterator[IpcMessage]:
    """Every message of an Arrow IPC stream or file, from metadata only: no buffer is decoded.

    A compressed body's buffers each start with their decompressed length (Arrow's
    BodyCompression), which is what Arrow will allocate; an uncompressed body is read in place.
    """
    import pyarrow as pa

    source = data[8:] if data[:6] == b"ARROW1" else data
    reader = pa.ipc.MessageReader.open_stream(pa.BufferReader(source))
    while True:
        try:
            message = reader.read_next_message()
        except StopIteration:
            return
        meta = message.metadata.to_pybytes()
        root = _ref(meta, 0)
        kind_at, header_at = _field(meta, root, 1), _field(meta, root, 2)
        kind = meta[kind_at] if kind_at is not None else 0
        if header_at is None or kind not in (_DICTIONARY_BATCH, _RECORD_BATCH):
            yield IpcMessage(0, 0)
            continue
        batch = _ref(meta, header_at)
        if kind == _DICTIONARY_BATCH:
            data_at = _field(meta, batch, 1)
            if data_at is None:
                yield IpcMessage(0, 0)
                continue
            batch = _ref(meta, data_at)
        length_at = _field(meta, batch, 0)
        rows = struct.unpack_from("<q", meta, length_at)[0] if length_at is not None else 0
        body = message.body
        size = body.size if body is not None else 0
        if _field(meta, batch, 3) is not None and size:  # compressed: sum the length prefixes
            yield IpcMessage(rows if kind == _RECORD_BATCH else 0, _decompressed(meta, batch, memoryview(body)))
        else:
            yield IpcMessage(rows if kind == _RECORD_BATCH else 0, size)


def _decompressed(meta: bytes, batch: int, body: memoryview) -> int:
    buffers_at = _field(meta, batch, 2)
    if buffers_at is None:
        return 0
    vector = _ref(meta, buffers_at)
    total = 0
    for i in range(struct.unpack_from("<I", meta, vector)[0]):
        offset, length = struct.unpack_from("<qq", meta, vector + 4 + 16 * i)
        if length <= 0:
            continue
        prefix = struct.unpack_from("<q", body, offset)[0]
        total += length - 8 if prefix < 0 else prefix
    return total


def read_arrow_bounded(data: bytes, budget: Budget):
    """The IPC table, decompressed only once known to fit, and streamed batch by batch."""
    import pyarrow as pa

    budget.check(sum(m.decoded for m in ipc_messages(data)), "decompressed buffers")
    try:
        reader = pa.ipc.open_file(pa.BufferReader(data))
        batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
    except pa.ArrowInvalid:
        reader = pa.ipc.open_stream(pa.BufferReader(data))
        batches = iter(reader)
    kept = []
    for batch in batches:
        for name, column in zip(batch.schema.names, batch.columns):
            budget.charge(array_nbytes(column), f"column {name!r}")
        kept.append(batch)
    return pa.Table.from_batches(kept, schema=reader.schema)
