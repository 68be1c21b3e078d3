"""Every error the service answers is a JSON body ``{error, detail, field}``, never a stack trace.

``error`` is a stable machine-readable code, ``detail`` a sentence for people, ``field`` the
request part at fault (``body``, ``entities.origin[2]``, ``Idempotency-Key`` ...) or null.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from featureguard.errors import OnlineStoreUnavailable, OperationalError
from featureguard.http.settings import MAX_DECODED_BYTES_ENV
from featureguard.ingest.decoded import BatchTooLargeError

log = logging.getLogger("featureguard.http")

JSON = "application/json"

#: status code -> error code for errors raised by the framework itself
_FRAMEWORK_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


class ApiError(Exception):
    """An answer other than success, with everything the client needs to fix its request."""

    def __init__(self, status: int, error: str, detail: str, field: str | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail
        self.field = field
        self.extra = extra
        self.headers: dict[str, str] = {}

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.error, "detail": self.detail, "field": self.field, **self.extra}

    def body(self) -> bytes:
        return dumps(self.to_dict())


def dumps(payload: Any) -> bytes:
    """orjson with numpy scalars and non-string keys allowed (reports carry pandas values)."""
    return orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS, default=str)


def error_bytes(error: str, detail: str, field: str | None = None) -> bytes:
    return dumps({"error": error, "detail": detail, "field": field})


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(payload), status_code=status, media_type=JSON, headers=headers)


def api_error_response(exc: ApiError) -> Response:
    return Response(exc.body(), status_code=exc.status, media_type=JSON, headers=exc.headers or None)


def batch_too_large(exc: BatchTooLargeError) -> ApiError:
    """413 naming the limit: the batch would decode past it (nothing was decoded or stored)."""
    return ApiError(413, "batch_too_large",
                    f"the batch decodes to at least {exc.observed:,} bytes, over this service's limit of "
                    f"{exc.limit:,} decoded bytes ({MAX_DECODED_BYTES_ENV}); send it in smaller batches", "body",
                    limit_bytes=exc.limit, limit_name=MAX_DECODED_BYTES_ENV)


def internal_error_body() -> tuple[bytes, str]:
    """A 500 body naming a reference the server log carries next to the traceback."""
    ref = uuid.uuid4().hex[:12]
    return error_bytes("internal_error", f"unexpected server error (reference {ref}); see the server log"), ref


def _field_from_loc(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")] or [str(loc[0]) if loc else "body"]
    out = parts[0]
    for part in parts[1:]:
        out += f"[{part}]" if part.isdigit() else f".{part}"
    return out


def install_handlers(app: FastAPI) -> None:
    """Maps framework, validation and unexpected errors onto the one error shape."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> Response:
        return api_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {"loc": ("body",), "msg": "invalid request"}
        field = _field_from_loc(tuple(first.get("loc", ("body",))))
        return api_error_response(ApiError(422, "invalid_request", f"{field}: {first.get('msg')}", field))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        code = _FRAMEWORK_CODES.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        field = "path" if exc.status_code == 404 else ("method" if exc.status_code == 405 else None)
        return Response(error_bytes(code, detail, field), status_code=exc.status_code, media_type=JSON,
                        headers=getattr(exc, "headers", None))

    @app.exception_handler(BatchTooLargeError)
    async def _too_large(_: Request, exc: BatchTooLargeError) -> Response:
        return api_error_response(batch_too_large(exc))

    @app.exception_handler(OnlineStoreUnavailable)
    async def _online_store(_: Request, exc: OnlineStoreUnavailable) -> Response:
        from featureguard.http.asgi import redis_down_error  # asgi builds on this module

        return api_error_response(redis_down_error(exc))

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> Response:
        """Storage, configuration, limits: not a bug and not the request's fault; one line, no trace."""
        log.warning("operational failure on %s %s: %s", request.method, request.url.path, exc)
        return api_error_response(ApiError(503, "operational_failure", str(exc), None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        body, ref = internal_error_body()
        log.error("internal error %s on %s %s", ref, request.method, request.url.path, exc_info=exc)
        return Response(body, status_code=500, media_type=JSON)
