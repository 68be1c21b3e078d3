"""The Redis layer every part of featureguard talks through: the lean online reader (blocking and
asyncio), the bulk materialization writer and freshness.

- ``target``: where Redis is (a ``redis://`` URL or Feast's online store config) and the socket opener;
- ``errors``: the reply-error model (code, "unavailable, retry later" classification);
- ``resp``: RESP framing of commands and the hiredis reply reader;
- ``cluster``: the Redis Cluster router (slot map, key -> node, MOVED/ASK, one redirect policy);
- ``blocking`` and ``aio``: one connection class each, differing only in their I/O;
- ``layout``: Feast's Redis keys, hash fields and ``_ts`` field.

Inside this package redis-py is imported as ``redis`` (absolute imports), never this package.
"""
