"""The park and region dashboards: who may open them, which period, the cached assessment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from shuixiao.assess import assess_park, assess_region
from shuixiao.errors import ShuixiaoError
from shuixiao.service.auth import Principal
from shuixiao.service.deps import get_store, page_principal
from shuixiao.service.web._common import Page, caches, data_version, page_context
from shuixiao.service.web._enterprise import pick_month
from shuixiao.service.web._format import local_midnight
from shuixiao.service.web._overview import ParkView, RegionView, data_span, park_view, region_view
from shuixiao.service.web._render import path
from shuixiao.service.web._scope import may_see_park, may_see_region, regions_within
from shuixiao.storage import Store

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

StoreDep = Annotated[Store, Depends(get_store)]
PrincipalDep = Annotated[Principal, Depends(page_principal)]


def _drill(page: Page) -> Callable[[str], str | None]:
    def href(enterprise_id: str) -> str | None:
        return path("enterprises", enterprise_id) if enterprise_id in page.visible else None

    return href


@router.get("/parks/{park_id}")
def read_park(
    request: Request, park_id: str, store: StoreDep, principal: PrincipalDep, month: str | None = None
) -> Response:
    """The park dashboard: enterprises ranked, inter-enterprise flows, the park balance."""
    page = page_context(request, store, principal)
    park = next((p for p in page.parks if p.id == park_id), None)
    if park is None or not may_see_park(principal, park, page.regions):
        return page.not_found()
    t, zone = page.t, page.zone
    members = [e.id for e in store.list_enterprises() if e.park == park_id]
    chosen, months = pick_month(month, data_span(store, members), zone)
    region = next((r for r in page.regions if r.id == park.region), None)
    region_name = t.pick(region.name, region.name_en) if region else park.region
    view = ParkView(park.id, t.pick(park.name, park.name_en), region_name, "–")
    note = None
    if chosen is not None:
        key = ("park", data_version(request), park_id, chosen.since, chosen.until)
        try:
            result = caches(request).parks.get(
                key, lambda: assess_park(store, park_id, chosen.since, chosen.until, zone=zone)
            )
            view = park_view(result, t, zone, _drill(page), region_name)
        except ShuixiaoError as err:
            note = t("assess.failed", reason=err.diagnostics())
    return page.render(
        "park.html",
        title=view.name,
        page="park",
        current=path("parks", park_id),
        charts=True,
        view=view,
        months=months,
        month=chosen.key if chosen else "",
        note=note,
    )


@router.get("/regions/{region_id}")
def read_region(
    request: Request, region_id: str, store: StoreDep, principal: PrincipalDep, year: str | None = None
) -> Response:
    """The region dashboard: progress against the targets, tiers, drill-down to each enterprise."""
    page = page_context(request, store, principal)
    region = next((r for r in page.regions if r.id == region_id), None)
    if region is None or not may_see_region(principal, region_id, page.regions):
        return page.not_found()
    t, zone = page.t, page.zone
    inside = regions_within(region_id, page.regions)
    members = [e.id for e in store.list_enterprises() if e.region in inside]
    span = data_span(store, members)
    view = RegionView(region.id, t.pick(region.name, region.name_en), 0, [], "–")
    note = None
    if span is not None:
        first = span[0].astimezone(zone).year
        last = (span[1] - dt.timedelta(seconds=1)).astimezone(zone).year
        years = list(range(last, first - 1, -1))
        chosen = int(year) if year and year.isdigit() and int(year) in years else years[0]
        start = max(dt.datetime(chosen, 1, 1, tzinfo=zone), local_midnight(span[0], zone))
        end = min(dt.datetime(chosen + 1, 1, 1, tzinfo=zone), local_midnight(span[1], zone, up=True))
        whole = start == dt.datetime(chosen, 1, 1, tzinfo=zone) and end == dt.datetime(
            chosen + 1, 1, 1, tzinfo=zone
        )
        period = None if whole else (start, end)
        key = ("region", data_version(request), region_id, chosen, start, end)
        try:
            result = caches(request).regions.get(
                key, lambda: assess_region(store, region_id, chosen, zone=zone, period=period)
            )
            view = region_view(result, years, t, zone, _drill(page))
            if not whole:
                note = t(
                    "region.partial_year",
                    since=start.date().isoformat(),
                    until=(end - dt.timedelta(days=1)).date().isoformat(),
                )
        except ShuixiaoError as err:
            note = t("assess.failed", reason=err.diagnostics())
    return page.render(
        "region.html",
        title=view.name,
        page="region",
        current=path("regions", region_id),
        charts=True,
        view=view,
        note=note,
    )
