"""The web service (delivery layer): ``/api/v1``, the dashboards, authentication and the audit log.

:func:`create_app` builds the FastAPI application of one instance;
:mod:`shuixiao.service.auth` says who may see and change what;
:mod:`shuixiao.service.deps` holds the FastAPI dependencies (store, settings,
principal).  ``shuixiao serve`` runs it with uvicorn.  See ``docs/service.md``
and ``docs/rest-api.md``.

The web framework is imported only when :func:`create_app` or ``API_PREFIX`` is
first used, so that the command line's account commands start without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shuixiao.service._policy import Policy, load_policy

if TYPE_CHECKING:
    from shuixiao.service.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "Policy", "create_app", "load_policy"]


def __getattr__(name: str) -> Any:
    """Import the application module on first use of :func:`create_app` or ``API_PREFIX``."""
    if name in ("API_PREFIX", "create_app"):
        from shuixiao.service import app

        return getattr(app, name)
    raise AttributeError(f"module 'shuixiao.service' has no attribute {name!r}")
