"""The FastAPI application: ``create_app(settings)`` wires the database, the body limits,
the error shape and the routes. ``prepare_database`` (``server.prepare``, named here too)
is what it runs first: migrations, the cursor key, the demo catalogue if none exists."""

from __future__ import annotations

import contextlib
import importlib.metadata
from collections.abc import AsyncIterator

import anyio.to_thread
from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

from server.answer_coding import ZstdAnswers
from server.blobs_routes import install_blobs
from server.body import BodyLimits
from server.console import mount_console
from server.context import Clock, ServerContext, utc_now
from server.db import make_engine
from server.errors import install_error_handlers
from server.limits import ThrottledBeforeBody
from server.openapi import openapi_document
from server.prepare import prepare_database
from server.routes import admin_router, device_router
from server.settings import ServerSettings
from server.throttle import FailureThrottle

__all__ = ["create_app", "prepare_database"]


def _server_version() -> str:
    """The installed Pishkhan's version (the server imports nothing of the counter's)."""
    try:
        return importlib.metadata.version("pishkhan")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


def create_app(settings: ServerSettings, *, clock: Clock = utc_now) -> FastAPI:
    engine = make_engine(settings.resolved_database_url)
    if settings.migrate_on_start:
        prepare_database(engine, now=clock())
    ctx = ServerContext(
        settings=settings,
        engine=engine,
        clock=clock,
        throttle=FailureThrottle(
            burst=settings.auth_failures_burst, per_minute=settings.auth_failures_per_minute
        ),
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The routes are plain functions: they run on this thread pool (per process).
        anyio.to_thread.current_default_thread_limiter().total_tokens = max(
            1, settings.worker_threads
        )
        yield
        engine.dispose()

    # No /docs or /redoc: their pages load scripts from a public CDN, and the document
    # itself (/openapi.json) is what clients and tests read.
    app = FastAPI(
        title="Pishkhan central server",
        version=_server_version(),
        description="Reference server of the Pishkhan sync protocol v1 (docs/PROTOCOL.md).",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    app.include_router(device_router)
    app.include_router(admin_router)
    install_blobs(app, settings)  # resumable document uploads (issue 12, server/blobs*.py)
    mount_console(app)  # the centre's web console at /console (server/console/)
    if settings.updates_dir is not None:
        # Static files (Range answered by Starlette): the PCs resume update downloads.
        app.mount("/updates", StaticFiles(directory=settings.updates_dir, check_dir=False))
    document = openapi_document(app.version, max_items=settings.max_items_per_push)
    app.openapi = lambda: document  # type: ignore[method-assign]
    app.add_middleware(ZstdAnswers)  # zstd + dictionary to clients that know it (issue 11)
    app.add_middleware(
        BodyLimits,
        max_body_bytes=settings.max_body_bytes,
        body_idle_timeout=settings.body_idle_timeout,
        revision=settings.protocol_revision,
    )
    # Outside the body limits: a throttled address is refused before its body is read.
    app.add_middleware(ThrottledBeforeBody, throttle=ctx.throttle)
    # Answers go back over the same 512 kbit/s link: a push's per-item results and a
    # page of the change feed are repetitive JSON that gzip shrinks several times over
    # (measured in tests/e2e: 356 KB of answers for 163 KB of gzip requests).
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    return app
