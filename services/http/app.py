"""The app factory: FastAPI for routing and the OpenAPI schema, wrapped in the plain ASGI layer.

``uvicorn --factory featureguard.http.app:create_app_from_env`` is what ``featureguard serve`` runs
in each worker process.
"""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from featureguard.feature_repo.tags import tagged_contract
from featureguard.freshness.report import ViewSpec, view_freshness
from featureguard.http.asgi import ServiceMiddleware
from featureguard.http.errors import install_handlers
from featureguard.http.metrics import StoreStateCollector
from featureguard.http.routes import build_router
from featureguard.http.settings import HttpSettings
from featureguard.http.state import ServiceState

TITLE = "featureguard"
DOCS_ASSETS = "/docs/assets"


def create_app(settings: HttpSettings | None = None) -> ServiceMiddleware:
    settings = settings or HttpSettings.from_env()
    state = ServiceState.from_settings(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await state.start()
        gc.collect()
        gc.freeze()  # start-up objects (Feast, pandas) never need scanning again: shorter GC pauses
        try:
            yield
        finally:
            await state.stop()

    # /docs and /redoc load Swagger UI and ReDoc from this service (DOCS_ASSETS), never from a CDN;
    # no validator badge either (Swagger UI would send the schema to validator.swagger.io)
    api = FastAPIOffline(title=TITLE, version="1", lifespan=lifespan, openapi_url="/openapi.json",
                         static_url=DOCS_ASSETS, swagger_ui_parameters={"validatorUrl": None},
                         description="Online features, contract-gated ingestion and push, contracts, health and metrics.")
    install_handlers(api)
    api.include_router(build_router(state))
    views = lambda: state.reader.feature_views() if state.reader is not None else []  # noqa: E731

    def freshness() -> list[dict]:
        """Freshness of the views the service serves, from its registry snapshot (a scrape never
        re-executes the project's definition modules)."""
        return view_freshness([ViewSpec(v.name, tagged_contract(v)) for v in views() if tagged_contract(v)])

    state.metrics.add_collector(StoreStateCollector(views, freshness))
    outer = ServiceMiddleware(api, state)
    outer.fastapi = api  # type: ignore[attr-defined]
    return outer


def create_app_from_env() -> ServiceMiddleware:
    return create_app(HttpSettings.from_env())
