"""The quarantine: rejected records of the enterprises the principal may read, and their replay."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from shuixiao.ingest import Pipeline
from shuixiao.model import Origin
from shuixiao.service._export import Column
from shuixiao.service._queries import page_quarantine
from shuixiao.service.auth import Role, visible_enterprises
from shuixiao.service.deps import ApiPrincipal, SettingsDep, StoreDep
from shuixiao.service.routes._common import (
    EXPORT_RESPONSES,
    ExportDep,
    PagingDep,
    answer,
    audit,
    deliver,
    local,
    require_visible,
    require_writer,
)
from shuixiao.service.schemas import Page, QuarantinePublic, ReplayPublic, ReplayRequest

__all__ = ["router"]

router = APIRouter(tags=["quarantine"])

QUARANTINE_COLUMNS = [
    Column("id", "编号", "ID"),
    Column("enterprise", "企业", "Enterprise"),
    Column("meter", "计量器具", "Meter"),
    Column("origin", "来源", "Origin"),
    Column("source", "出处", "Source"),
    Column("received", "接收时间", "Received"),
    Column("reason", "原因", "Reason"),
    Column("message", "说明", "Message"),
    Column("payload", "原始记录", "Payload"),
    Column("replayed_at", "重放时间", "Replayed"),
]


@router.get("/quarantine", response_model=Page[QuarantinePublic], responses=EXPORT_RESPONSES)
async def read_quarantine(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    principal: ApiPrincipal,
    paging: PagingDep,
    export: ExportDep,
    enterprise: Annotated[str | None, Query(description="only this enterprise's records")] = None,
    reason: Annotated[str | None, Query(max_length=64, description="only this reason code")] = None,
    replayed: Annotated[bool | None, Query(description="false: waiting (default); true: replayed")] = False,
) -> Response:
    """List quarantined records, newest first; administrators also see those of no known enterprise."""

    def compute() -> Response:
        if enterprise is not None:
            scope: frozenset[str] | None = frozenset({enterprise})
            require_visible(store, principal, enterprise)
        else:
            scope = None if principal.role is Role.ADMIN else visible_enterprises(store, principal)
        zone = settings.zone

        def row(item: Any) -> dict[str, Any]:
            values = dict(item)
            values["origin"] = Origin(values["origin"]).name.lower()
            values["received"] = local(values["received"], zone)
            values["replayed_at"] = local(values["replayed_at"], zone)
            return values

        return deliver(
            export,
            paging,
            lambda n, o: page_quarantine(store, scope, reason, replayed, n, o),
            row,
            QUARANTINE_COLUMNS,
            "quarantine",
        )

    return await answer(request, principal, export, compute)


@router.post("/quarantine/replay", response_model=ReplayPublic)
def replay_quarantine(
    request: Request, body: ReplayRequest, store: StoreDep, settings: SettingsDep, principal: ApiPrincipal
) -> ReplayPublic:
    """Run an enterprise's quarantined records through ingestion again (writers of the enterprise only)."""
    require_writer(store, principal, body.enterprise)
    result = Pipeline(store, timezone=settings.timezone).replay(
        body.enterprise, ids=body.ids, reason=body.reason
    )
    answer = ReplayPublic(
        examined=result.examined,
        accepted=result.accepted,
        duplicate=result.duplicate,
        rejected=result.rejected,
        not_replayable=result.not_replayable,
        reasons={str(k): v for k, v in result.reasons.items()},
    )
    detail = answer.model_dump() | {"ids": body.ids, "reason": body.reason}
    audit(request, principal.login, "quarantine.replay", body.enterprise, detail, enterprise=body.enterprise)
    return answer
