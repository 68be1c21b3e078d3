"""FastAPI routes. Request bodies are read raw (size-limited) and parsed by the pipeline, so the
OpenAPI schema is declared here by hand rather than derived from pydantic models."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from featureguard.contracts import list_sources
from featureguard.http import openapi_docs as docs
from featureguard.http.asgi import (
    STORING,
    authorize_online,
    is_redis_down,
    online_lookup,
    redis_down_error,
    registry_missing,
)
from featureguard.http.auth import presented_key
from featureguard.http.batches import OnlineStoreDown, batch_format, contract_or_404, store_batch, validate_batch
from featureguard.contracts.export import to_odcs_yaml
from featureguard.http.contracts_view import contract_document, list_documents
from featureguard.http.errors import ApiError, json_response
from featureguard.http.limits import read_body
from featureguard.http.state import ServiceState
from featureguard.settings import registry_path

_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")
#: a batch name ends up in receipts and file names: the quarantined original keeps its suffix, and its
#: staged file adds ~80 bytes around it; a file name holds 255 bytes
MAX_NAME_BYTES = 128
YAML = "application/yaml"

#: documented as the registered sources; any other name is answered 404 unknown_source
Source = Annotated[str, Path(description="A source with a contract.", json_schema_extra={"enum": list_sources()})]


def _key(request: Request) -> str | None:
    return presented_key(request.scope["headers"])


def _idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not _KEY_PATTERN.match(value):
        raise ApiError(422, "invalid_idempotency_key",
                       "Idempotency-Key must be 1-200 printable ASCII characters without spaces", "Idempotency-Key")
    return value


def batch_name(value: str) -> str:
    """``?name=`` as given (surrounding spaces dropped), or 422 when it cannot name a file: empty,
    a control or other non-printable character, a path separator, ``.``/``..``, or more than
    MAX_NAME_BYTES bytes of UTF-8 (a file name holds 255 bytes, not 255 characters)."""
    name = value.strip()
    bad = next((c for c in name if not c.isprintable()), None)
    size = len(name.encode("utf-8", "surrogatepass"))
    if not name:
        problem = "is empty"
    elif bad is not None:
        problem = f"contains the non-printable character U+{ord(bad):04X} at position {name.index(bad)}"
    elif "/" in name or "\\" in name:
        problem = "contains a path separator ('/' or '\\')"
    elif name in (".", ".."):
        problem = f"is {name!r}"
    elif size > MAX_NAME_BYTES:
        problem = f"is {size} bytes in UTF-8; the limit is {MAX_NAME_BYTES}"
    else:
        return name
    raise ApiError(422, "invalid_name", f"name {problem}; give a printable file name without path, "
                   f"at most {MAX_NAME_BYTES} bytes (e.g. weather-2013-01-01.csv)", "name")


async def _body(request: Request, state: ServiceState) -> bytes:
    return await read_body(request.receive, request.scope["headers"], state.settings.max_body_bytes)


def build_router(state: ServiceState) -> APIRouter:
    router = APIRouter()
    metrics = state.metrics
    settings = state.settings

    @router.post("/v1/online-features", tags=["online"], summary="Latest feature values for entity keys",
                 openapi_extra=docs.ONLINE_REQUEST, responses=docs.responses(200, 401, 403, 404, 413, 422, 503))
    async def online_features(request: Request) -> Response:
        # Served by ServiceMiddleware before routing; kept so the route is documented and works mounted alone.
        authorize_online(state, request.scope["headers"])
        payload = await online_lookup(state, await _body(request, state))
        return Response(payload, media_type="application/json")

    @router.post("/v1/validate/{source}", tags=["batches"], summary="Check a batch against its contract; writes nothing",
                 openapi_extra=docs.BATCH_REQUEST, responses=docs.responses(200, 401, 403, 404, 413, 415, 422))
    async def validate(source: Source, request: Request) -> Response:
        state.keys.check(_key(request), "read:contracts")
        contract_or_404(source)
        fmt = batch_format(request.headers.get("content-type"))
        body = await _body(request, state)
        status, report = await run_in_threadpool(validate_batch, source, body, fmt, "batch", settings.max_rows)
        return json_response(report, status)

    async def store(source: str, request: Request, path: str, name: str, policy: str, key: str | None,
                    max_rows: int, online: bool) -> Response:
        api_key = state.keys.check(_key(request), f"write:{source}")
        contract_or_404(source)
        name = batch_name(name)
        key = _idempotency_key(key)
        fmt = batch_format(request.headers.get("content-type"))
        body = await _body(request, state)
        writer = None
        if online:
            if state.reader is None or state.push_writer is None:
                raise registry_missing(state)
            await _online_store_up(state, source, path)
            writer = state.push_writer
        request.scope[STORING] = True  # a timeout from here on cannot say the batch was not stored
        try:
            status, receipt = await run_in_threadpool(store_batch, source, body, fmt, name, policy, key, max_rows,
                                                      writer, is_redis_down, api_key.digest if api_key else None)
        except OnlineStoreDown as exc:
            metrics.batches.labels(source, path, "unavailable").inc()
            raise redis_down_error(exc.__cause__) from None
        except ApiError as exc:
            _count(state, source, path, exc.extra.get("receipt"))
            raise
        _count(state, source, path, receipt)
        return json_response(receipt, status)

    @router.post("/v1/ingest/{source}", tags=["batches"], summary="Gate a batch and store it; returns its receipt",
                 openapi_extra=docs.BATCH_REQUEST,
                 responses=docs.responses(200, 201, 401, 403, 404, 413, 415, 422, 503))
    async def ingest(source: Source, request: Request,
                     policy: Literal["quarantine", "strict"] = Query("quarantine"),
                     name: str = Query("batch", description="The batch's file name, kept in its receipt: "
                                       f"printable, no path, at most {MAX_NAME_BYTES} bytes of UTF-8."),
                     online: bool = Query(False, description="Also write accepted rows to the online store."),
                     idempotency_key: str | None = Header(None, alias="Idempotency-Key")) -> Response:
        return await store(source, request, "ingest", name, policy, idempotency_key, settings.max_rows, online)

    @router.post("/v1/push/{source}", tags=["batches"],
                 summary="Gate a small batch and write it to the online and offline stores",
                 openapi_extra=docs.BATCH_REQUEST, responses=docs.responses(200, 201, 401, 403, 404, 413, 415, 422, 503))
    async def push(source: Source, request: Request,
                   idempotency_key: str | None = Header(None, alias="Idempotency-Key")) -> Response:
        return await store(source, request, "push", "push", "quarantine", idempotency_key, settings.max_push_rows, True)

    @router.get("/v1/contracts", tags=["contracts"], summary="Every source's contract, in brief",
                responses=docs.responses(200, 401, 403))
    async def contracts(request: Request) -> Response:
        state.keys.check(_key(request), "read:contracts")
        return json_response({"contracts": list_documents()})

    @router.get("/v1/contracts/{source}", tags=["contracts"], summary="One contract as JSON (or ODCS YAML)",
                responses=docs.responses(200, 401, 403, 404))
    async def contract(source: Source, request: Request,
                       format: Literal["json", "odcs"] = Query("json")) -> Response:
        state.keys.check(_key(request), "read:contracts")
        found = contract_or_404(source)
        wants_yaml = format == "odcs" or YAML in request.headers.get("accept", "")
        if wants_yaml:
            return Response(to_odcs_yaml(found), media_type=YAML)
        return json_response(contract_document(source))

    @router.get("/healthz", tags=["operations"], summary="The process is up")
    async def healthz() -> Response:
        return json_response({"status": "ok"})

    @router.get("/readyz", tags=["operations"], summary="Redis and the feature registry are reachable",
                responses=docs.responses(200, 503))
    async def readyz() -> Response:
        registry_error = state.registry_error
        if registry_error is None and not registry_path().exists():
            registry_error = f"feature registry {registry_path()} is gone"
        checks: dict[str, Any] = {"registry": {"ok": registry_error is None, "detail": registry_error}}
        try:
            async with asyncio.timeout(settings.redis_timeout * 2):
                await state.probe_redis()
            checks["redis"] = {"ok": True, "detail": None}
        except Exception as exc:
            checks["redis"] = {"ok": False, "detail": f"{type(exc).__name__}: {exc}"}
        ready = all(c["ok"] for c in checks.values())
        if ready:
            return json_response({"ready": True, "checks": checks})
        failing = [f"{name}: {c['detail']}" for name, c in checks.items() if not c["ok"]]
        return json_response({"error": "not_ready", "detail": "; ".join(failing), "field": None,
                              "ready": False, "checks": checks}, 503)

    for path, probe in (("/healthz", healthz), ("/readyz", readyz)):  # load balancers probe with HEAD too
        router.add_api_route(path, probe, methods=["HEAD"], include_in_schema=False)

    @router.get("/metrics", tags=["operations"], summary="Prometheus metrics", responses=docs.responses(200, 401, 403))
    async def prometheus(request: Request) -> Response:
        state.keys.check(_key(request), "read:metrics")
        text = await run_in_threadpool(metrics.render)
        return Response(text, media_type="text/plain; version=0.0.4; charset=utf-8")

    return router


async def _online_store_up(state: ServiceState, source: str, path: str) -> None:
    """A PING before any write, so a Redis that is down costs the producer nothing."""
    try:
        async with asyncio.timeout(state.settings.redis_timeout * 2):
            await state.reader.ping()  # type: ignore[union-attr]
    except Exception as exc:
        if is_redis_down(exc):
            state.metrics.batches.labels(source, path, "unavailable").inc()
            raise redis_down_error(exc) from None
        raise


def _count(state: ServiceState, source: str, path: str, receipt: dict[str, Any] | None) -> None:
    """Gate counters for a batch seen for the first time (a repeat was counted when first sent)."""
    if receipt is None or receipt.get("duplicate"):
        return
    state.metrics.count_gate(source, path, receipt["status"], receipt["accepted"], receipt.get("errors") or [])
    if path == "push" or receipt.get("online_written") is not None:
        state.metrics.online_rows.labels(source).inc(receipt.get("online_written") or 0)
