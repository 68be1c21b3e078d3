"""RESP framing and reply parsing shared by every connection (blocking and asyncio).

Commands are framed once (``pack``, or pre-framed blobs); replies are parsed by hiredis' C
reader, error replies coming back as ``RedisReplyError`` values rather than raised. Replies
known to be single lines (HSET/EXPIRE integers) can instead be counted, and their errors
located with ``error_lines``, without parsing.
"""

from __future__ import annotations

import hiredis

from featureguard.redis.errors import RedisReplyError


def pack(*args: bytes | str | int) -> bytes:
    """One RESP command (array of bulk strings)."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        raw = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    return b"".join(out)


ASKING = pack("ASKING")
CLUSTER_SLOTS = pack("CLUSTER", "SLOTS")
PING = pack("PING")
#: a nil bulk reply (HGET of an absent key or field)
NIL = b"$-1\r\n"


def reply_reader() -> hiredis.Reader:
    """A hiredis reader that returns error replies as RedisReplyError values."""
    return hiredis.Reader(replyError=RedisReplyError)


def error_lines(raw: bytes) -> list[tuple[int, str]]:
    """(reply index, message) of every error reply among single-line replies."""
    if not (raw.startswith(b"-") or b"\n-" in raw):
        return []
    return [(i, line[1:].decode(errors="replace")) for i, line in enumerate(raw.split(b"\r\n")[:-1])
            if line.startswith(b"-")]
