"""What a Redis error means: a bad command, or a store that cannot serve right now (retry later).

The same classification covers our own connections' error replies and redis-py's exceptions
(Feast's RedisOnlineStore and freshness talk through redis-py), so every caller turns "Redis is
unavailable" into the same status and retry hint.
"""

from __future__ import annotations

from typing import Any

#: Error codes (the reply's first word) meaning "this Redis cannot serve the command right now",
#: not "the command is wrong", with a suggested wait in seconds: restart loading its dataset,
#: a replica refusing writes (failover), writes stopped after a failed save, a script holding
#: the server, a cluster with unserved slots or a slot mid-migration, a replica cut off from its
#: master, too few replicas for ``min-replicas-to-write``. BUSYKEY/BUSYGROUP are other codes.
UNAVAILABLE_CODES: dict[str, int] = {
    "LOADING": 2, "READONLY": 5, "MISCONF": 5, "BUSY": 1, "CLUSTERDOWN": 2, "TRYAGAIN": 1,
    "MASTERDOWN": 2, "NOREPLICAS": 2,
}
#: the wait suggested when Redis cannot be reached or stops answering
CONNECTION_RETRY_AFTER = 1


class RedisReplyError(RuntimeError):
    """Redis answered a command with an error (wrong type, auth, MOVED, LOADING ...)."""

    @property
    def code(self) -> str:
        """The error code: the first word of the reply (``LOADING``, ``WRONGTYPE``, ``ERR`` ...)."""
        return str(self).split(" ", 1)[0]

    @property
    def unavailable(self) -> bool:
        """True when retrying later may succeed (see UNAVAILABLE_CODES); False for a bad command."""
        return self.code in UNAVAILABLE_CODES


def raise_errors(replies: list[Any]) -> list[Any]:
    """``replies`` unchanged, or the first error reply among them raised."""
    for reply in replies:
        if isinstance(reply, RedisReplyError):
            raise reply
    return replies


def unavailable_retry_after(exc: BaseException) -> int | None:
    """Seconds to wait before retrying when ``exc`` means the store is unavailable; None when it
    is anything else (a bug or a bad command). Covers our reply errors, redis-py's exceptions
    (its ``BusyLoadingError``, ``ReadOnlyError`` ... carry the same codes) and connections that
    fail or time out."""
    code = exc.code if isinstance(exc, RedisReplyError) else _redis_py_code(exc)
    if code is not None:
        return UNAVAILABLE_CODES.get(code)
    if isinstance(exc, (ConnectionError, TimeoutError)) or _redis_py_unreachable(exc):
        return CONNECTION_RETRY_AFTER
    return None


def _redis_py_code(exc: BaseException) -> str | None:
    """The reply code of a redis-py error reply, None for anything else. redis-py drops the code
    from the message of the replies it maps to a class of their own."""
    exceptions = _redis_py_exceptions()
    if exceptions is None:
        return None
    for cls, code in ((exceptions.BusyLoadingError, "LOADING"), (exceptions.ReadOnlyError, "READONLY"),
                      (exceptions.ClusterDownError, "CLUSTERDOWN"), (exceptions.TryAgainError, "TRYAGAIN")):
        if isinstance(exc, cls):
            return code
    if isinstance(exc, exceptions.ResponseError):
        return str(exc).split(" ", 1)[0]
    return None


def _redis_py_unreachable(exc: BaseException) -> bool:
    exceptions = _redis_py_exceptions()
    return exceptions is not None and isinstance(exc, (exceptions.ConnectionError, exceptions.TimeoutError))


def _redis_py_exceptions() -> Any:
    try:
        from redis import exceptions  # redis-py (absolute import), not featureguard.redis
    except ImportError:  # pragma: no cover - redis-py comes with Feast's redis extra
        return None
    return exceptions
