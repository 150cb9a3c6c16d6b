"""Monthly water-use plans (计划用水) of an enterprise: list, one month, set or revise, history.

Readers of the enterprise (within their scope) read the plans; its enterprise manager and the
administrators set them.  Volumes are stored in m³; a plan may be sent in any unit of volume
(``万m³``, ``t`` …) and is converted at this boundary.  Every write is in the audit log
(``plan.set``).  The plans are those of :class:`shuixiao.storage.plans.PlanStore`; see
``docs/water-plans.md``.
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from shuixiao.errors import InvalidInputError
from shuixiao.service._export import Column
from shuixiao.service.deps import ApiPrincipal, SettingsDep, StoreDep, client_ip
from shuixiao.service.routes._common import (
    EXPORT_RESPONSES,
    ExportDep,
    PagingDep,
    answer,
    deliver,
    json_response,
    require_visible,
    require_writer,
)
from shuixiao.service.schemas import Page, WaterPlanPublic, WaterPlanSet, WaterPlansSet
from shuixiao.storage import AccountStore, Store
from shuixiao.storage.plans import PlanInput, PlanStore, WaterPlan, parse_month, parse_source_type
from shuixiao.units import to_canonical

__all__ = ["plan_public", "record_plans", "router"]

router = APIRouter(tags=["water-use plans"])

PLAN_COLUMNS = [
    Column("month", "月份", "Month"),
    Column("source_type", "水源类型", "Source type"),
    Column("volume", "计划水量(m³)", "Plan (m³)"),
    Column("authority", "下达单位", "Authority"),
    Column("document", "文号", "Document"),
    Column("note", "备注", "Note"),
    Column("revision", "版本", "Revision"),
    Column("set_at", "设置时间", "Set at"),
    Column("set_by", "设置人", "Set by"),
]

_SOURCE = Query(
    max_length=32, description="a plan of one kind of source (surface, groundwater, municipal, …)"
)


def plan_public(plan: WaterPlan, zone: ZoneInfo) -> WaterPlanPublic:
    """Return a stored plan as the API shows it (times in the instance's zone)."""
    return WaterPlanPublic(
        enterprise=plan.enterprise,
        month=f"{plan.month:%Y-%m}",
        source_type=plan.source_type.value if plan.source_type else None,
        volume=plan.volume,
        authority=plan.authority,
        document=plan.document,
        note=plan.note,
        revision=plan.revision,
        set_at=plan.set_at.astimezone(zone),
        set_by=plan.set_by,
    )


def _plan_input(enterprise_id: str, month: str, body: WaterPlanSet) -> PlanInput:
    """The plan of ``body`` in m³, checked (month, unit, source type)."""
    volume = float(to_canonical(body.volume, body.unit, "volume"))
    return PlanInput(
        enterprise_id,
        parse_month(month),
        volume,
        parse_source_type(body.source_type),
        body.authority,
        body.document,
        body.note,
    )


def record_plans(
    store: Store, actor: str, enterprise_id: str, plans: list[PlanInput], client: str | None
) -> list[WaterPlan]:
    """Set (or revise) plans of one enterprise in one transaction and write it to the audit log.

    The one way the service stores plans, for the API and the dashboard's form: one audit entry
    ``plan.set`` whose target is the month (or the first and last month) and whose detail lists
    each plan's month, source type, volume [m³] and revision.

    Parameters
    ----------
    store : Store
    actor : str
        Login of who sets them.
    enterprise_id : str
    plans : list of PlanInput
        Plans of ``enterprise_id``.
    client : str or None
        Client address.

    Returns
    -------
    list of WaterPlan
        The plans in force afterwards, in the order given.
    """
    stored = PlanStore(store).set_plans(plans, by=actor)
    detail = {
        "plans": [
            {
                "month": f"{p.month:%Y-%m}",
                "source_type": p.source_type.value if p.source_type else None,
                "volume_m3": p.volume,
                "revision": p.revision,
            }
            for p in stored
        ]
    }
    months = sorted({f"{p.month:%Y-%m}" for p in stored})
    target = months[0] if len(months) == 1 else f"{months[0]}…{months[-1]}"
    AccountStore(store).audit(actor, "plan.set", target, detail, client, "success", enterprise=enterprise_id)
    return stored


@router.get(
    "/enterprises/{enterprise_id}/plans", response_model=Page[WaterPlanPublic], responses=EXPORT_RESPONSES
)
async def read_plans(
    request: Request,
    enterprise_id: str,
    store: StoreDep,
    settings: SettingsDep,
    principal: ApiPrincipal,
    paging: PagingDep,
    export: ExportDep,
    year: Annotated[int | None, Query(ge=1970, le=2199, description="only this year's months")] = None,
    start: Annotated[str | None, Query(max_length=16, description="from this month, YYYY-MM")] = None,
    end: Annotated[str | None, Query(max_length=16, description="until this month, inclusive")] = None,
) -> Response:
    """List an enterprise's plans in force, by month then source (the whole intake first)."""

    def compute() -> Response:
        require_visible(store, principal, enterprise_id)
        first, last = start, end
        if year is not None:
            if start is not None or end is not None:
                raise InvalidInputError("give either year or start/end, not both")
            first, last = f"{year:04d}-01", f"{year:04d}-12"
        plans = PlanStore(store).list_plans(enterprise_id, start=first, end=last)
        items = [plan_public(p, settings.zone) for p in plans]
        return deliver(
            export,
            paging,
            lambda n, o: (items[o : o + n], len(items)),
            lambda p: p.model_dump(),
            PLAN_COLUMNS,
            f"plans-{enterprise_id}",
        )

    return await answer(request, principal, export, compute)


@router.get("/enterprises/{enterprise_id}/plans/{month}", response_model=WaterPlanPublic)
async def read_plan(
    request: Request,
    enterprise_id: str,
    month: str,
    store: StoreDep,
    settings: SettingsDep,
    principal: ApiPrincipal,
    source_type: Annotated[str | None, _SOURCE] = None,
) -> Response:
    """Return the plan in force of one month (``YYYY-MM``): the whole intake's, or one source type's."""

    def compute() -> Response:
        require_visible(store, principal, enterprise_id)
        plan = PlanStore(store).get_plan(enterprise_id, month, source_type)
        return json_response(plan_public(plan, settings.zone).model_dump(mode="json"))

    return await answer(request, principal, None, compute)


@router.put("/enterprises/{enterprise_id}/plans/{month}", response_model=WaterPlanPublic)
def update_plan(
    request: Request,
    enterprise_id: str,
    month: str,
    body: WaterPlanSet,
    store: StoreDep,
    settings: SettingsDep,
    principal: ApiPrincipal,
) -> WaterPlanPublic:
    """Set or revise the plan of one month (the enterprise's manager, or an administrator).

    Sending the plan in force again changes nothing (no new revision).
    """
    require_writer(store, principal, enterprise_id)
    plan = _plan_input(enterprise_id, month, body)
    stored = record_plans(store, principal.login, enterprise_id, [plan], client_ip(request))
    return plan_public(stored[0], settings.zone)


@router.post("/enterprises/{enterprise_id}/plans", response_model=list[WaterPlanPublic])
def update_plans(
    request: Request,
    enterprise_id: str,
    body: WaterPlansSet,
    store: StoreDep,
    settings: SettingsDep,
    principal: ApiPrincipal,
) -> list[WaterPlanPublic]:
    """Set or revise the plans of several months, e.g. a year's, in one transaction: all or none."""
    require_writer(store, principal, enterprise_id)
    plans = []
    for n, item in enumerate(body.plans):
        try:
            plans.append(_plan_input(enterprise_id, item.month, item))
        except InvalidInputError as err:
            raise InvalidInputError(f"plans[{n}] ({item.month}): {err.diagnostics()}") from err
    stored = record_plans(store, principal.login, enterprise_id, plans, client_ip(request))
    return [plan_public(p, settings.zone) for p in stored]


@router.get(
    "/enterprises/{enterprise_id}/plans/{month}/history",
    response_model=Page[WaterPlanPublic],
    responses=EXPORT_RESPONSES,
)
async def read_plan_history(
    request: Request,
    enterprise_id: str,
    month: str,
    store: StoreDep,
    settings: SettingsDep,
    principal: ApiPrincipal,
    paging: PagingDep,
    export: ExportDep,
    source_type: Annotated[str | None, _SOURCE] = None,
) -> Response:
    """Return every version of one month's plan, oldest first (empty when it was never set)."""

    def compute() -> Response:
        require_visible(store, principal, enterprise_id)
        versions = PlanStore(store).history(enterprise_id, month, source_type)
        items = [plan_public(p, settings.zone) for p in versions]
        return deliver(
            export,
            paging,
            lambda n, o: (items[o : o + n], len(items)),
            lambda p: p.model_dump(),
            PLAN_COLUMNS,
            f"plan-history-{enterprise_id}-{month}",
        )

    return await answer(request, principal, export, compute)
