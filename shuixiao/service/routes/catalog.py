"""Regions, parks and enterprises: lists filtered to what the principal may see, and details."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from shuixiao.errors import NotFoundError
from shuixiao.model import Park, Region
from shuixiao.service._export import Column
from shuixiao.service._queries import latest_values, regions_within
from shuixiao.service.auth import Principal, Role, visible_enterprises
from shuixiao.service.deps import ApiPrincipal, ModelsDep, SettingsDep, StoreDep
from shuixiao.service.routes._common import (
    EXPORT_RESPONSES,
    ExportDep,
    PagingDep,
    answer,
    deliver,
    json_response,
    require_visible,
)
from shuixiao.service.routes.meters import meter_public
from shuixiao.service.schemas import (
    EnterpriseDetail,
    EnterprisePublic,
    FlowPublic,
    Page,
    ParkPublic,
    ProductPublic,
    RegionPublic,
    SitePublic,
    UnitPublic,
)
from shuixiao.storage import EnterpriseSummary, Store

__all__ = ["router"]

router = APIRouter(tags=["regions, parks, enterprises"])

REGION_COLUMNS = [
    Column("id", "编号", "ID"),
    Column("name", "名称", "Name"),
    Column("name_en", "英文名称", "English name"),
    Column("admin_code", "行政区划代码", "Division code"),
    Column("parent", "上级地区", "Parent"),
]
PARK_COLUMNS = [
    Column("id", "编号", "ID"),
    Column("name", "名称", "Name"),
    Column("name_en", "英文名称", "English name"),
    Column("region", "地区", "Region"),
]
ENTERPRISE_COLUMNS = [
    Column("id", "编号", "ID"),
    Column("name", "名称", "Name"),
    Column("name_en", "英文名称", "English name"),
    Column("credit_code", "统一社会信用代码", "Credit code"),
    Column("industry_code", "行业代码", "Industry code"),
    Column("region", "地区", "Region"),
    Column("park", "园区", "Park"),
    Column("n_units", "用水单元数", "Units"),
    Column("n_flows", "水流数", "Flows"),
    Column("n_meters", "计量器具数", "Meters"),
]


def _visible_places(
    store: Store, principal: Principal, visible: frozenset[str]
) -> tuple[list[Region], list[Park]]:
    """Regions and parks the principal may see: its scope's, and those holding an enterprise it sees."""
    regions, parks = store.list_regions(), store.list_parks()
    if principal.role is Role.ADMIN or (
        principal.scope_kind == "platform" and principal.role is not Role.SERVICE_PROVIDER
    ):
        return regions, parks
    parents = {r.id: r.parent for r in regions}
    region_ids: set[str] = set()
    park_ids: set[str] = set()
    if principal.scope_kind == "region" and principal.scope_id is not None:
        region_ids |= regions_within(parents, principal.scope_id)
        park_ids |= {p.id for p in parks if p.region in region_ids}
    if principal.scope_kind == "park" and principal.scope_id is not None:
        park_ids.add(principal.scope_id)
    for summary in store.list_enterprises():
        if summary.id in visible:
            region_ids.add(summary.region)
            if summary.park is not None:
                park_ids.add(summary.park)
    region_ids |= {p.region for p in parks if p.id in park_ids}
    for rid in list(region_ids):  # and the regions above them
        parent = parents.get(rid)
        while parent is not None and parent not in region_ids:
            region_ids.add(parent)
            parent = parents.get(parent)
    return [r for r in regions if r.id in region_ids], [p for p in parks if p.id in park_ids]


def _region(region: Region) -> dict[str, Any]:
    return {
        "id": region.id,
        "name": region.name,
        "name_en": region.name_en,
        "admin_code": region.admin_code,
        "parent": region.parent,
    }


def _park(park: Park) -> dict[str, Any]:
    return {"id": park.id, "name": park.name, "name_en": park.name_en, "region": park.region}


def _summary(summary: EnterpriseSummary) -> dict[str, Any]:
    return {c.key: getattr(summary, c.key) for c in ENTERPRISE_COLUMNS}


@router.get("/regions", response_model=Page[RegionPublic], responses=EXPORT_RESPONSES)
def read_regions(store: StoreDep, principal: ApiPrincipal, paging: PagingDep, export: ExportDep) -> Response:
    """List the regions the principal may see (its scope's, and those of enterprises it may read)."""
    regions, _ = _visible_places(store, principal, visible_enterprises(store, principal))
    rows = [_region(r) for r in regions]
    return deliver(
        export, paging, lambda n, o: (rows[o : o + n], len(rows)), lambda r: r, REGION_COLUMNS, "regions"
    )


@router.get("/regions/{region_id}", response_model=RegionPublic)
def read_region(region_id: str, store: StoreDep, principal: ApiPrincipal) -> RegionPublic:
    """Return one region the principal may see (404 otherwise)."""
    regions, _ = _visible_places(store, principal, visible_enterprises(store, principal))
    for region in regions:
        if region.id == region_id:
            return RegionPublic(**_region(region))
    raise NotFoundError(f"no region {region_id!r} that you may see; GET /api/v1/regions lists them")


@router.get("/parks", response_model=Page[ParkPublic], responses=EXPORT_RESPONSES)
def read_parks(
    store: StoreDep,
    principal: ApiPrincipal,
    paging: PagingDep,
    export: ExportDep,
    region: Annotated[str | None, Query(description="only parks in this region or below")] = None,
) -> Response:
    """List the parks the principal may see."""
    regions, parks = _visible_places(store, principal, visible_enterprises(store, principal))
    if region is not None:
        within = regions_within({r.id: r.parent for r in regions}, region)
        parks = [p for p in parks if p.region in within]
    rows = [_park(p) for p in parks]
    return deliver(
        export, paging, lambda n, o: (rows[o : o + n], len(rows)), lambda r: r, PARK_COLUMNS, "parks"
    )


@router.get("/parks/{park_id}", response_model=ParkPublic)
def read_park(park_id: str, store: StoreDep, principal: ApiPrincipal) -> ParkPublic:
    """Return one park the principal may see (404 otherwise)."""
    _, parks = _visible_places(store, principal, visible_enterprises(store, principal))
    for park in parks:
        if park.id == park_id:
            return ParkPublic(**_park(park))
    raise NotFoundError(f"no park {park_id!r} that you may see; GET /api/v1/parks lists them")


@router.get("/enterprises", response_model=Page[EnterprisePublic], responses=EXPORT_RESPONSES)
async def read_enterprises(
    request: Request,
    store: StoreDep,
    principal: ApiPrincipal,
    paging: PagingDep,
    export: ExportDep,
    region: Annotated[str | None, Query(description="only enterprises in this region or below")] = None,
    park: Annotated[str | None, Query(description="only enterprises of this park")] = None,
    industry: Annotated[str | None, Query(description="GB/T 4754 code or its prefix, e.g. 31")] = None,
    q: Annotated[str | None, Query(max_length=100, description="part of the Chinese or English name")] = None,
) -> Response:
    """List the enterprises the principal may read, with the sizes of their water systems."""

    def compute() -> Response:
        visible = visible_enterprises(store, principal)
        chosen = [s for s in store.list_enterprises() if s.id in visible]
        if region is not None:
            within = regions_within({r.id: r.parent for r in store.list_regions()}, region)
            chosen = [s for s in chosen if s.region in within]
        if park is not None:
            chosen = [s for s in chosen if s.park == park]
        if industry is not None:
            chosen = [s for s in chosen if s.industry_code.startswith(industry)]
        if q:
            needle = q.casefold()
            chosen = [
                s for s in chosen if needle in s.name.casefold() or needle in (s.name_en or "").casefold()
            ]
        rows = [_summary(s) for s in chosen]
        return deliver(
            export,
            paging,
            lambda n, o: (rows[o : o + n], len(rows)),
            lambda r: r,
            ENTERPRISE_COLUMNS,
            "enterprises",
        )

    return await answer(request, principal, export, compute)


@router.get("/enterprises/{enterprise_id}", response_model=EnterpriseDetail)
async def read_enterprise(
    request: Request,
    enterprise_id: str,
    store: StoreDep,
    settings: SettingsDep,
    principal: ApiPrincipal,
    models: ModelsDep,
) -> Response:
    """Return an enterprise with its sites, units, flows, meters (with their newest values) and products."""

    def compute() -> Response:
        require_visible(store, principal, enterprise_id)
        enterprise = models.get(enterprise_id)
        latest = latest_values(store, enterprise_id)
        detail = EnterpriseDetail(
            id=enterprise.id,
            name=enterprise.name,
            name_en=enterprise.name_en,
            park=enterprise.park,
            region=enterprise.region,
            industry_code=enterprise.industry_code,
            credit_code=enterprise.credit_code,
            n_units=len(enterprise.units),
            n_flows=len(enterprise.flows),
            n_meters=len(enterprise.meters),
            employees=enterprise.employees,
            sites=[SitePublic.model_validate(s, from_attributes=True) for s in enterprise.sites],
            units=[UnitPublic.model_validate(u, from_attributes=True) for u in enterprise.units],
            flows=[FlowPublic.model_validate(f, from_attributes=True) for f in enterprise.flows],
            meters=[meter_public(m, latest.get(m.id), settings.zone) for m in enterprise.meters],
            products=[ProductPublic.model_validate(p, from_attributes=True) for p in enterprise.products],
        )
        return json_response(detail.model_dump(mode="json"))

    return await answer(request, principal, None, compute)
