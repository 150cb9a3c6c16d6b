"""Pages of enterprises: the home redirect, the list, the enterprise dashboard and the meter page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from shuixiao.errors import NotFoundError
from shuixiao.model import industry_name
from shuixiao.service.app import API_PREFIX
from shuixiao.service.auth import Principal, can_write
from shuixiao.service.deps import get_store, page_principal
from shuixiao.service.web._alarms import alarm_rows
from shuixiao.service.web._assess import add_assessment
from shuixiao.service.web._common import Page, caches, data_version, page_context
from shuixiao.service.web._config import defaults
from shuixiao.service.web._enterprise import Back, enterprise_view
from shuixiao.service.web._ledger import notarisation
from shuixiao.service.web._meter import Window, meter_view, parse_window
from shuixiao.service.web._plans import plan_panel
from shuixiao.service.web._render import path
from shuixiao.service.web._scope import home_path, may_see_park, may_see_region, regions_within
from shuixiao.storage import Store

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

StoreDep = Annotated[Store, Depends(get_store)]
PrincipalDep = Annotated[Principal, Depends(page_principal)]


@router.get("/")
def read_home(request: Request, store: StoreDep, principal: PrincipalDep) -> Response:
    """Send the principal to its home dashboard."""
    page = page_context(request, store, principal)
    return RedirectResponse(home_path(principal, page.visible), status_code=303)


@router.get("/enterprises")
def read_enterprises(request: Request, store: StoreDep, principal: PrincipalDep) -> Response:
    """List the enterprises the principal may read."""
    page = page_context(request, store, principal)
    t = page.t
    parks = {p.id: t.pick(p.name, p.name_en) for p in page.parks}
    rows = [
        {
            "id": e.id,
            "name": t.pick(e.name, e.name_en),
            "industry": f"{e.industry_code} {industry_name(e.industry_code, t.language) or ''}".strip(),
            "park": parks.get(e.park or "", "–"),
            "meters": e.n_meters,
            "href": path("enterprises", e.id),
        }
        for e in store.list_enterprises()
        if e.id in page.visible
    ]
    return page.render(
        "enterprises.html",
        title=t("enterprises.title"),
        page="enterprises",
        current="/enterprises",
        rows=rows,
    )


def _back(page: Page, park_id: str | None, region_id: str) -> Back | None:
    """Link back to the overview a drill-down comes from.

    Among the park and the regions holding the enterprise that the principal may open, the
    principal's home comes first, then the park, then the innermost region; without any,
    the list of enterprises when the principal reads several.
    """
    t = page.t
    links: list[Back] = []
    park = next((p for p in page.parks if p.id == park_id), None)
    if park is not None and may_see_park(page.principal, park, page.regions):
        links.append(Back(t.pick(park.name, park.name_en), path("parks", park.id)))
    for region in page.regions:  # every region that holds the enterprise's region
        if region_id in regions_within(region.id, page.regions) and may_see_region(
            page.principal, region.id, page.regions
        ):
            links.append(Back(t.pick(region.name, region.name_en), path("regions", region.id)))
    home = home_path(page.principal, page.visible)
    links.sort(key=lambda link: link.href != home)
    if links:
        return links[0]
    if len(page.visible) > 1:
        return Back(t("enterprise.back_list"), "/enterprises")
    return None


@router.get("/enterprises/{enterprise_id}")
def read_enterprise(
    request: Request,
    enterprise_id: str,
    store: StoreDep,
    principal: PrincipalDep,
    month: str | None = None,
) -> Response:
    """The enterprise dashboard: KPIs, trends, water balance, unit tree, alarms, plans, notarisation."""
    page = page_context(request, store, principal)
    if enterprise_id not in page.visible:
        return page.not_found()
    try:
        enterprise = store.load_enterprise(enterprise_id)
    except NotFoundError:
        return page.not_found()
    t, zone = page.t, page.zone

    def meter_href(meter_id: str) -> str:
        return path("enterprises", enterprise_id, "meters", meter_id)

    view = enterprise_view(store, enterprise, month, t, zone, defaults(), meter_href)
    view.back = _back(page, enterprise.park, enterprise.region)
    add_assessment(view, store, page.settings.timezone, t, caches(request).enterprises, data_version(request))
    may_write = can_write(principal, enterprise_id)
    view.alarms = alarm_rows(store, enterprise_id, t, zone, defaults().alarms_shown, may_write, meter_href)
    now = dt.datetime.now(dt.UTC)
    shown = view.month.start.date() if view.month else now.astimezone(zone).date().replace(day=1)
    view.plans = plan_panel(
        store, enterprise, shown, now, zone, t, may_write, caches(request).plans, data_version(request)
    )
    view.notarisation = notarisation(store, enterprise_id, t, zone)
    here = path("enterprises", enterprise_id)
    return page.render(
        "enterprise.html", title=view.name, page="enterprise", current=here, charts=True, view=view
    )


@router.get("/enterprises/{enterprise_id}/meters/{meter_id}")
def read_meter(
    request: Request,
    enterprise_id: str,
    meter_id: str,
    store: StoreDep,
    principal: PrincipalDep,
    days: str | None = None,
    end: str | None = None,
    resolution: str | None = None,
) -> Response:
    """The meter page: raw readings and interval aggregates with quality flags and gaps, CSV export."""
    page = page_context(request, store, principal)
    if enterprise_id not in page.visible:
        return page.not_found()
    try:
        enterprise = store.load_enterprise(enterprise_id)
        meter = enterprise.meter(meter_id)
    except (NotFoundError, KeyError):
        return page.not_found()
    span = store.reading_span(enterprise_id)
    limits = defaults()
    window = parse_window(days, end, span[1] if span else None, page.zone, limits)
    view = meter_view(store, enterprise, meter, window, resolution, page.t, limits)
    return page.render(
        "meter.html",
        title=f"{meter.id} · {page.t.pick(enterprise.name, enterprise.name_en)}",
        page="meter",
        current=path("enterprises", enterprise_id),
        charts=True,
        view=view,
        back_href=path("enterprises", enterprise_id),
        enterprise_name=page.t.pick(enterprise.name, enterprise.name_en),
        export_href=export_href(enterprise_id, meter_id, window, page.t.language),
        max_days=limits.meter_max_days,
    )


def export_href(enterprise_id: str, meter_id: str, window: Window, language: str) -> str:
    """Return the link of the CSV download of a meter's raw readings in the page's window.

    It is the service's export API (``GET /api/v1/enterprises/{id}/meters/{meter}/readings``
    with ``format=csv``), authenticated by the same session cookie.
    """
    query = urlencode(
        {"start": window.start.isoformat(), "end": window.end.isoformat(), "format": "csv", "lang": language}
    )
    return f"{API_PREFIX}{path('enterprises', enterprise_id, 'meters', meter_id, 'readings')}?{query}"
