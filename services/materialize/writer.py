"""Writes one view's rows into Redis in Feast's layout, never over a newer stored value.

Per chunk (one record batch, unique entity keys): one pipelined round of ``HGET key _ts:<view>``
reads the stored event times, rows whose event time is not newer are dropped (Feast's rule in
``RedisOnlineStore.online_write_batch``: skip when a stored time exists and the new one is not
later), the rest are framed and go out as one blob of ``HSET`` (+ ``EXPIRE`` with
``key_ttl_seconds``). Chunks overlap: the next chunk's HGETs are answered and its HSETs framed
while Redis executes this chunk's HSETs. Like Feast, the read and the write are not atomic; a
concurrent writer could slip in between (the window is one chunk's round trip; Feast's is the
whole batch). A server-side Lua compare-and-set closes that window but measured about twice as
slow in Redis for this shape (see BENCHMARKS.md), so it is not used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import pyarrow as pa

from featureguard.materialize import resp
from featureguard.materialize.view import ViewLayout
from featureguard.materialize.protowire import decode_timestamps, timestamp_protos
from featureguard.materialize.wire import ClusterWire, Sent, Wire


@dataclass
class WriteStats:
    rows: int = 0  # rows offered
    written: int = 0  # rows whose values were written
    not_newer: int = 0  # rows skipped: Redis already held a value at least as new

    def add(self, other: "WriteStats") -> None:
        self.rows += other.rows
        self.written += other.written
        self.not_newer += other.not_newer


@dataclass
class _Chunk:
    batch: pa.RecordBatch
    keys: pa.Array
    micros: np.ndarray
    stored: Sent | None  # HGETs in flight (None when dedup is off)


class BulkWriter:
    """Streams record batches of one view (unique keys across all batches) into Redis.

    One chunk's stored times are read while the previous chunk's HSETs execute (they travel on
    separate connections, see ``wire``); its writes are then framed for the newer rows only and
    sent, and the previous chunk's write replies are collected. Redis thus always has a chunk of
    writes to execute while this process encodes the next, and rows found not newer are never
    framed at all.
    """

    def __init__(self, wire: Wire | ClusterWire, layout: ViewLayout, ttl_seconds: int | None = None,
                 check_stored: bool = True, progress: Callable[[int], object] | None = None) -> None:
        self.wire = wire
        self.layout = layout
        self.ttl_seconds = ttl_seconds or None
        self.check_stored = check_stored
        self.progress = progress
        self.stats = WriteStats()

    def _read(self, batch: pa.RecordBatch | None) -> _Chunk | None:
        """Keys of the chunk, and its stored times asked for."""
        if batch is None:
            return None
        keys = self.layout.redis_keys(batch)
        stored = None
        if self.check_stored and len(batch):
            stored = self.wire.send(resp.hget_rows(keys, self.layout.ts_field), keys, parsed=True)
        return _Chunk(batch, keys, self.layout.event_micros(batch), stored)

    def _newer(self, chunk: _Chunk) -> np.ndarray:
        """Rows to write: nothing stored, or strictly newer than what is stored."""
        if chunk.stored is None:
            return np.ones(len(chunk.batch), dtype=bool)
        replies = self.wire.collect(chunk.stored)
        if not any(replies):  # nothing stored for any key (a nil reply is None)
            return np.ones(len(chunk.batch), dtype=bool)
        stored_ns, _ = decode_timestamps(pa.array(replies, type=pa.binary()))
        return (stored_ns == 0) | (chunk.micros * 1_000 > stored_ns)

    def _hset(self, chunk: _Chunk, mask: np.ndarray) -> Sent:
        """Frames and sends the HSETs (+ EXPIREs) of the rows in ``mask``."""
        batch, keys, micros = chunk.batch, chunk.keys, chunk.micros
        if not mask.all():
            selected = pa.array(mask)
            batch, keys, micros = batch.filter(selected), keys.filter(selected), micros[mask]
        values = [*self.layout.value_arrays(batch), timestamp_protos(micros)]
        rows = resp.hset_rows(keys, self.layout.fields, values, self.ttl_seconds)
        return self.wire.send(rows, keys, per_row=resp.replies_per_row(self.ttl_seconds))

    def _done(self, chunk: _Chunk, written: int) -> None:
        done = WriteStats(len(chunk.batch), written, len(chunk.batch) - written)
        self.stats.add(done)
        if self.progress is not None:
            self.progress(done.rows)

    def write(self, batches: Iterable[pa.RecordBatch]) -> WriteStats:
        source = iter(batches)
        chunk = self._read(next(source, None))
        writing: tuple[_Chunk, Sent, int] | None = None  # the previous chunk's HSETs in flight
        while chunk is not None:
            mask = self._newer(chunk)
            written = int(mask.sum())
            sent = self._hset(chunk, mask) if written else None
            following = self._read(next(source, None))  # its reads run beside these writes
            if writing is not None:
                self.wire.collect(writing[1])
                self._done(writing[0], writing[2])
            writing = (chunk, sent, written) if sent is not None else None
            if sent is None:
                self._done(chunk, 0)
            chunk = following
        if writing is not None:
            self.wire.collect(writing[1])
            self._done(writing[0], writing[2])
        return self.stats
