"""The ``/api/v1`` routes, one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from shuixiao.service.routes import (
    admin,
    catalog,
    docs,
    grants,
    ingest,
    meters,
    plans,
    quarantine,
    session,
)

__all__ = ["api_router"]


def api_router() -> APIRouter:
    """Return a router with every ``/api/v1`` route (without the prefix)."""
    router = APIRouter()
    for module in (session, catalog, meters, plans, quarantine, ingest, grants, admin, docs):
        router.include_router(module.router)
    return router
