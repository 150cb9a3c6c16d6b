"""The application: ``create_app(settings)`` builds the FastAPI app of one shuixiao instance."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from shuixiao import __version__
from shuixiao.config import Settings
from shuixiao.service._cache import AnswerCache
from shuixiao.service._headers import SecurityHeaders
from shuixiao.service._policy import load_policy
from shuixiao.service._queries import ModelCache
from shuixiao.service.problems import ProblemDetail, install_handlers
from shuixiao.service.routes import api_router
from shuixiao.storage import Store

__all__ = ["API_PREFIX", "app_from_environment", "create_app"]

API_PREFIX = "/api/v1"
"""Prefix of the versioned REST API."""

_DESCRIPTION = """\
The REST API of shuixiao (水效), the industrial water-efficiency platform.

Authenticate with the session cookie (`POST /api/v1/session/login`; requests that change something send
the session's `X-CSRF-Token`) or with `Authorization: Bearer <API token>`. Devices send readings with
`Authorization: Bearer <device token>`. Every error is an RFC 9457 problem (`application/problem+json`).
Lists and series take `limit`/`offset` (with `total`), `start`/`end`, and `format=csv|xlsx|json` to download.
"""


def create_app(settings: Settings, *, store: Store | None = None) -> FastAPI:
    """Build the web application: ``/api/v1``, the dashboards and their static files.

    Parameters
    ----------
    settings : Settings
        The instance's settings (``app.state.settings``).
    store : Store, optional
        An open, migrated store (``app.state.store``); when omitted, one is opened from
        ``settings.database_url`` and closed when the application shuts down.

    Returns
    -------
    fastapi.FastAPI

    Raises
    ------
    SchemaVersionError
        If the database is not at the schema of this code (run ``shuixiao db upgrade``).
    """
    owned = store is None
    the_store = Store.open(settings.database_url) if store is None else store
    try:
        the_store.check_schema()
    except Exception:
        if owned:
            the_store.close()
        raise
    policy = load_policy()  # a broken data file stops the start, not the first login
    from shuixiao.service import web
    from shuixiao.service.web._config import defaults

    answers = AnswerCache(the_store, defaults().answer_cache_size)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Few handler threads: Python runs one at a time (shuixiao/data/service.yaml, server.worker_threads).
        anyio.to_thread.current_default_thread_limiter().total_tokens = policy.worker_threads
        # What exists at the start (modules, routes, schemas, the store) lives as long as the server:
        # it leaves the collector's reach. An ingestion body makes tens of thousands of short-lived
        # objects, and the full collections they set off would otherwise walk all of it each time.
        gc.freeze()
        yield
        gc.unfreeze()
        answers.close()
        if owned:
            the_store.close()

    app = FastAPI(
        title="shuixiao API",
        version=__version__,
        description=_DESCRIPTION,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        responses={"default": {"model": ProblemDetail, "description": "an RFC 9457 problem"}},
    )
    app.state.settings = settings
    app.state.store = the_store
    app.state.models = ModelCache(the_store, policy.model_cache, answers.version)
    app.state.answers = answers
    install_handlers(app)
    app.add_middleware(SecurityHeaders, hsts=settings.cookie_secure)
    app.include_router(api_router(), prefix=API_PREFIX)
    app.include_router(web.router)
    static = Path(str(resources.files("shuixiao.service.web").joinpath("static")))
    if static.is_dir():
        app.mount("/static", StaticFiles(directory=static), name="static")
    error_page = getattr(web, "error_page", None)
    if callable(error_page):
        app.state.error_page = error_page
    return app


def app_from_environment() -> FastAPI:
    """Build the application from the settings of the environment and config file.

    The factory each server process calls when ``shuixiao serve --workers N`` runs several
    (the command exports its settings as ``SHUIXIAO_*`` variables first).
    """
    from shuixiao.config import load_settings

    return create_app(load_settings())
