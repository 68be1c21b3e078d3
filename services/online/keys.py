"""Feast's Redis keys and hash fields, pre-encoded per feature view: pure byte formatting.

A key is ``serialize_entity_key(entity_key, v3) + project`` (join keys sorted, little-endian
headers), a feature's hash field is ``mmh3("<view>:<feature>")`` as 4 LE bytes, and the event
timestamp lives in ``_ts:<view>`` (feast/infra/online_stores/redis.py, helpers.py,
key_encoding_utils.py). Everything that does not depend on the entity values is computed once,
including the RESP tail of each view's HMGET, so a request only formats its keys.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Iterable

import mmh3

# feast.protos.feast.types.Value_pb2.ValueType numbers (stable protobuf enum values)
STRING, INT32, INT64, UNIX_TIMESTAMP = 2, 3, 4, 8


def _mmh3(text: str) -> bytes:
    """Feast's hash field name: ``helpers._mmh3`` (unsigned murmur3, 4 LE bytes)."""
    return mmh3.hash(text, signed=False).to_bytes(4, "little")


def _encode_str(v: Any) -> bytes:
    if type(v) is not str:
        raise TypeError("a string")
    return v.encode("utf-8")


def _encode_int64(v: Any) -> bytes:
    if type(v) is not int or not -(2**63) <= v < 2**63:
        raise TypeError("a 64-bit integer")
    return struct.pack("<q", v)


def _encode_int32(v: Any) -> bytes:
    if type(v) is not int or not -(2**31) <= v < 2**31:
        raise TypeError("a 32-bit integer")
    return struct.pack("<i", v)


_HEADER = struct.Struct("<II").pack

#: Feast value type -> value -> bytes, as entity key serialization v3 writes values
KEY_ENCODERS = {
    STRING: _encode_str,
    INT64: _encode_int64,
    INT32: _encode_int32,
    UNIX_TIMESTAMP: _encode_int64,
}


@dataclass(frozen=True)
class ViewRead:
    """One feature view's share of a request: its key encoder, HMGET field list and TTL."""

    view: str  # the name stored in Redis (fields, ``_ts:``); versioned when Feast versions views
    join_keys: tuple[str, ...]  # sorted, as Feast serializes them
    request_keys: tuple[str, ...]  # the request column of each join key (differs under a join key map)
    key_types: tuple[int, ...]
    key_prefix: bytes
    suffix: bytes  # the project name closing every key
    features: tuple[str, ...]
    fields: tuple[bytes, ...]  # one mmh3 field per feature, then _ts:<view>
    command_tail: bytes  # the RESP-encoded field list closing every HMGET of this view
    command_head: bytes  # array header and command name
    single_string: bool  # one join key, a string: the common case, encoded inline
    ttl_seconds: float = 0.0  # the view's TTL; 0 means values never expire (as in Feast)

    def hmget(self, key: bytes) -> bytes:
        """``HMGET <key> <fields...>`` as RESP bytes; only the key part is built per request."""
        return b"%s$%d\r\n%s\r\n%s" % (self.command_head, len(key), key, self.command_tail)

    def hmget_for(self, values: tuple[Any, ...]) -> bytes:
        """The HMGET of one entity, in one formatting step for the common one-string-key view."""
        if self.single_string:
            raw = values[0].encode() if type(values[0]) is str else _encode_str(values[0])
            key_len = len(self.key_prefix) + 8 + len(raw) + len(self.suffix)
            return b"%s$%d\r\n%s%s%s%s\r\n%s" % (self.command_head, key_len, self.key_prefix,
                                                   _HEADER(STRING, len(raw)), raw, self.suffix,
                                                   self.command_tail)
        return self.hmget(self.key(values))

    def key(self, values: tuple[Any, ...]) -> bytes:
        parts = [self.key_prefix]
        for key_type, value in zip(self.key_types, values):
            raw = KEY_ENCODERS[key_type](value)
            parts.append(_HEADER(key_type, len(raw)))
            parts.append(raw)
        parts.append(self.suffix)
        return b"".join(parts)


def view_read(project: str, view_name: str, key_types: dict[str, int], features: Iterable[str],
              request_keys: dict[str, str] | None = None, ttl_seconds: float = 0.0) -> ViewRead:
    """``key_types``: stored join key -> value type; ``request_keys``: stored join key -> request column."""
    join_keys = tuple(sorted(key_types))
    requested = tuple((request_keys or {}).get(k, k) for k in join_keys)
    prefix = [struct.pack("<I", len(join_keys))]
    for key in join_keys:
        encoded = key.encode("utf-8")
        prefix.append(struct.pack("<II", STRING, len(encoded)) + encoded)
    features = tuple(features)
    fields = tuple(_mmh3(f"{view_name}:{f}") for f in features) + (f"_ts:{view_name}".encode(),)
    tail = b"".join(b"$%d\r\n%s\r\n" % (len(f), f) for f in fields)
    types = tuple(key_types[k] for k in join_keys)
    return ViewRead(view_name, join_keys, requested, types, b"".join(prefix), project.encode("utf-8"), features,
                    fields, tail, b"*%d\r\n$5\r\nHMGET\r\n" % (len(fields) + 2), types == (STRING,),
                    float(ttl_seconds))
