"""Web dashboards of the shuixiao service: server-rendered pages in Chinese and English.

:data:`router` (a FastAPI :class:`~fastapi.APIRouter`, included by
:func:`shuixiao.service.create_app`) serves:

* ``/login``, ``/logout``, ``/language`` — logging in and out, the language switch;
* ``/`` — the principal's home dashboard;
* ``/enterprises`` and ``/enterprises/{id}`` — the enterprise dashboard (KPIs against quotas
  and targets, trends, the water balance as a Sankey diagram, the unit tree with meters,
  alarms with acknowledgement, planned water use with a form to set a month's plan,
  notarisation status);
* ``/enterprises/{id}/meters/{meter}`` — raw and interval series with quality flags and gaps;
* ``/parks/{id}`` and ``/regions/{id}`` — the park and region dashboards.

Static files (the stylesheet, the page scripts and the vendored Apache ECharts) are
in ``static/``, served by the service under ``/static``; see ``docs/dashboards.md``.
"""

from __future__ import annotations

from fastapi import APIRouter

from shuixiao.service.web import _actions, _leaks, _login, _overview_pages, _pages
from shuixiao.service.web._errors import error_page

__all__ = ["error_page", "router"]

router = APIRouter(include_in_schema=False)
router.include_router(_login.router)
router.include_router(_pages.router)
router.include_router(_overview_pages.router)
router.include_router(_actions.router)
router.include_router(_leaks.router)
