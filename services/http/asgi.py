"""The outer ASGI layer: metrics, request timeouts, last-resort error bodies, and the online
lookup served without going through FastAPI's routing, dependency and pydantic machinery.

Plain ASGI rather than BaseHTTPMiddleware: no per-request task, no body re-streaming.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable

import orjson

from services.errors import OnlineStoreUnavailable
from services.http.auth import presented_key
from services.http.errors import ApiError, error_bytes, internal_error_body
from services.http.limits import read_body
from services.online.plan import EntityValueError, UnknownFeatureError
from services.online.target import CONNECTION_RETRY_AFTER, unavailable_retry_after
from services.http.online_request import parse_online_request
from services.http.state import ServiceState

log = logging.getLogger("featureguard.http")

ONLINE_PATH = "/v1/online-features"
_JSON_HEADERS = [(b"content-type", b"application/json")]
_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))

Send = Callable[[dict[str, Any]], Awaitable[None]]


def is_redis_down(exc: BaseException) -> bool:
    """Errors that mean the online store cannot serve now (unreachable, hung, loading, read-only,
    busy, cluster down ...), as opposed to a bad request or a bug."""
    return isinstance(exc, OnlineStoreUnavailable) or unavailable_retry_after(exc) is not None


def redis_down_error(exc: BaseException | None = None) -> ApiError:
    """503 with Retry-After: nothing was acknowledged, the same request may succeed later."""
    wait = (unavailable_retry_after(exc) if exc is not None else None) or CONNECTION_RETRY_AFTER
    cause = f" ({type(exc).__name__}: {exc})" if exc is not None else ""
    error = ApiError(503, "online_store_unavailable", f"the online store (Redis) is unavailable{cause}; "
                     f"retry in {wait} s", None, retry_after_seconds=wait)
    error.headers["Retry-After"] = str(wait)
    return error


def registry_missing(state: ServiceState) -> ApiError:
    return ApiError(503, "registry_unavailable", state.registry_error or "feature registry not loaded", None)


async def send_body(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*(headers or _JSON_HEADERS), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def authorize_online(state: ServiceState, headers: list[tuple[bytes, bytes]]) -> None:
    """401/403 before the body is even read."""
    state.keys.check(presented_key(headers), "read:online")


async def online_lookup(state: ServiceState, body: bytes) -> bytes:
    """Parses, plans and reads; raises ApiError for every failure."""
    settings = state.settings
    request = parse_online_request(body, settings.max_entities)
    reader = state.reader
    if reader is None:
        raise registry_missing(state)
    try:
        plan = reader.plan(request.feature_service, request.features, request.full_feature_names)
    except UnknownFeatureError as exc:
        raise ApiError(exc.status, "unknown_feature" if exc.status == 404 else "invalid_request",
                       exc.detail, exc.field) from None
    for key in plan.join_key_types:
        if key not in request.entities:
            raise ApiError(422, "missing_entity_key",
                           f"{plan.name!r} needs join key {key!r} in 'entities'", f"entities.{key}")
    try:
        payload = await reader.read(plan, request.entities, request.n_rows)  # the wire bounds the wait
    except EntityValueError as exc:
        raise ApiError(422, "invalid_entity_value", exc.detail, exc.field) from None
    except Exception as exc:
        if is_redis_down(exc):
            raise redis_down_error(exc) from None
        raise
    return orjson.dumps(payload)


class ServiceMiddleware:
    """Wraps the FastAPI app; owns timing, timeouts and the fast online path."""

    def __init__(self, app: Any, state: ServiceState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == ONLINE_PATH and scope["method"] == "POST":
            await self._online(scope, receive, send)
            return
        await self._framework(scope, receive, send)

    async def _online(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        start = time.perf_counter()
        state = self.state
        try:
            authorize_online(state, scope["headers"])
            body = await read_body(receive, scope["headers"], state.settings.max_body_bytes,
                                   state.settings.online_timeout)
            payload = await online_lookup(state, body)
            status = 200
            await send_body(send, 200, payload)
        except ApiError as exc:
            status = exc.status
            extra = [(k.lower().encode(), v.encode()) for k, v in exc.headers.items()]
            await send_body(send, status, exc.body(), [*_JSON_HEADERS, *extra])
        except Exception as exc:
            status = 500
            body, ref = internal_error_body()
            log.error("internal error %s on %s", ref, ONLINE_PATH, exc_info=exc)
            await send_body(send, 500, body)
        state.metrics.observe(ONLINE_PATH, "POST", status, time.perf_counter() - start)

    async def _framework(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        start = time.perf_counter()
        started = False
        status = 500

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
            await send(message)

        try:
            async with asyncio.timeout(self.state.settings.request_timeout):
                await self.app(scope, receive, tracking_send)
        except TimeoutError:
            status = 504
            if not started:
                await send_body(send, 504, error_bytes(
                    "timeout", f"the request took longer than {self.state.settings.request_timeout:g} s; "
                    "a batch may still be stored: repeat it with the same Idempotency-Key to get its receipt"))
        except Exception as exc:  # FastAPI has already answered 500 and logged it
            if not started:
                body, ref = internal_error_body()
                log.error("internal error %s on %s", ref, scope.get("path"), exc_info=exc)
                await send_body(send, 500, body)
        route = scope.get("route")
        label = getattr(route, "path", None) or "unmatched"
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"  # labels stay bounded
        self.state.metrics.observe(label, method, status, time.perf_counter() - start)
