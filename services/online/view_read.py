"""One feature view's share of an online read, pre-framed: the reader formats only the keys.

The layout (keys, mmh3 fields, ``_ts:<view>``) is Feast's, from ``featureguard.redis.layout``;
everything that does not depend on the entity values is computed once per view, including the
RESP tail of its HMGET, so a request only formats its keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from featureguard.redis.layout import (KEY_ENCODERS, STRING, field_name, key_encoder, key_prefix, ts_field,
                                       value_header)

__all__ = ["KEY_ENCODERS", "ViewRead", "view_read"]


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
    encode: Callable[[tuple[Any, ...]], bytes] = field(default=bytes, compare=False, repr=False)  # values -> key

    def hmget(self, key: bytes) -> bytes:
        """``HMGET <key> <fields...>`` as RESP bytes; only the key part is built per request."""
        return b"%s$%d\r\n%s\r\n%s" % (self.command_head, len(key), key, self.command_tail)

    def hmget_for(self, values: tuple[Any, ...]) -> bytes:
        """The HMGET of one entity, in one formatting step for the common one-string-key view."""
        if self.single_string:
            raw = values[0].encode() if type(values[0]) is str else KEY_ENCODERS[STRING](values[0])
            key_len = len(self.key_prefix) + 8 + len(raw) + len(self.suffix)
            return b"%s$%d\r\n%s%s%s%s\r\n%s" % (self.command_head, key_len, self.key_prefix,
                                                   value_header(STRING, len(raw)), raw, self.suffix,
                                                   self.command_tail)
        return self.hmget(self.encode(values))

    def key(self, values: tuple[Any, ...]) -> bytes:
        return self.encode(values)


def view_read(project: str, view_name: str, key_types: dict[str, int], features: Iterable[str],
              request_keys: dict[str, str] | None = None, ttl_seconds: float = 0.0) -> ViewRead:
    """``key_types``: stored join key -> value type; ``request_keys``: stored join key -> request column."""
    join_keys = tuple(sorted(key_types))
    requested = tuple((request_keys or {}).get(k, k) for k in join_keys)
    features = tuple(features)
    fields = tuple(field_name(view_name, f) for f in features) + (ts_field(view_name),)
    tail = b"".join(b"$%d\r\n%s\r\n" % (len(f), f) for f in fields)
    types = tuple(key_types[k] for k in join_keys)
    prefix, suffix = key_prefix(join_keys), project.encode("utf-8")
    return ViewRead(view_name, join_keys, requested, types, prefix, suffix, features,
                    fields, tail, b"*%d\r\n$5\r\nHMGET\r\n" % (len(fields) + 2), types == (STRING,),
                    float(ttl_seconds), key_encoder(prefix, types, suffix))
