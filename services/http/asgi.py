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

from featureguard.errors import OnlineStoreUnavailable
from featureguard.http.auth import presented_key
from featureguard.http.errors import ApiError, error_bytes, internal_error_body
from featureguard.http.limits import read_body
from featureguard.ingest.decoded import decoded_bytes_limit
from featureguard.online.plan import EntityValueError, UnknownFeatureError
from featureguard.redis.errors import CONNECTION_RETRY_AFTER, unavailable_retry_after
from featureguard.http.online_request import parse_online_request
from featureguard.http.state import ServiceState

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


#: set in the request scope by a route when it hands a batch to the pipeline: from then on, work
#: cut off by the request timeout may still finish in its worker thread
STORING = "featureguard.storing"


def timeout_answer(seconds: float, body_pending: bool, storing: bool) -> tuple[int, bytes]:
    """What a request cut off at ``seconds`` is told: 408 while its body was still arriving
    (nothing was done with it), else 504; "may still be stored" only once a batch was handed on."""
    if body_pending:
        return 408, error_bytes("body_timeout", f"the request body did not arrive within {seconds:g} s; "
                                "nothing was processed or stored: send the request again", "body")
    if storing:
        detail = (f"the request took longer than {seconds:g} s; the batch may still be stored: repeat it "
                  "with the same Idempotency-Key (or the same bytes) to get its receipt")
    else:
        detail = f"the request took longer than {seconds:g} s; nothing was stored: retry it"
    return 504, error_bytes("timeout", detail)


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
        body_pending = False  # the app is reading a body that has not fully arrived
        body_done = False
        status = 500

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
            await send(message)

        async def tracking_receive() -> dict[str, Any]:
            nonlocal body_pending, body_done
            body_pending = not body_done  # after the body, a receive only waits for a disconnect
            message = await receive()
            body_done = body_done or message["type"] != "http.request" or not message.get("more_body")
            body_pending = not body_done
            return message

        try:  # the decoded-bytes limit reaches the worker threads that read batches (contextvars)
            with decoded_bytes_limit(self.state.settings.max_decoded_bytes):
                async with asyncio.timeout(self.state.settings.request_timeout):
                    await self.app(scope, tracking_receive, tracking_send)
        except TimeoutError:
            if not started:
                status, body = timeout_answer(self.state.settings.request_timeout, body_pending,
                                              bool(scope.get(STORING)))
                await send_body(send, status, body)
            else:
                status = 504
        except Exception as exc:  # FastAPI has already answered 500 and logged it
            if not started:
                body, ref = internal_error_body()
                log.error("internal error %s on %s", ref, scope.get("path"), exc_info=exc)
                await send_body(send, 500, body)
        route = scope.get("route")
        label = getattr(route, "path", None) or "unmatched"
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"  # labels stay bounded
        self.state.metrics.observe(label, method, status, time.perf_counter() - start)
