"""Service-provider grants of an enterprise, and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from shuixiao.errors import NotFoundError, PermissionDeniedError
from shuixiao.service._export import Column
from shuixiao.service.accounts import grant_provider
from shuixiao.service.auth import Role, visible_enterprises
from shuixiao.service.deps import ApiPrincipal, SettingsDep, StoreDep
from shuixiao.service.routes._common import (
    EXPORT_RESPONSES,
    ExportDep,
    PagingDep,
    WindowDep,
    audit,
    deliver,
    local,
    require_visible,
    require_writer,
)
from shuixiao.service.schemas import AuditEntryPublic, GrantCreate, GrantPublic, Page
from shuixiao.storage import AccountStore, AuditEntry, Grant

__all__ = ["router"]

router = APIRouter(tags=["grants and audit"])

GRANT_COLUMNS = [
    Column("id", "编号", "ID"),
    Column("enterprise", "企业", "Enterprise"),
    Column("provider", "服务机构账号", "Provider"),
    Column("granted_by", "授权人", "Granted by"),
    Column("granted_at", "授权时间", "Granted"),
    Column("revoked_by", "撤销人", "Revoked by"),
    Column("revoked_at", "撤销时间", "Revoked"),
    Column("note", "备注", "Note"),
]
AUDIT_COLUMNS = [
    Column("id", "编号", "ID"),
    Column("at", "时间", "Time"),
    Column("actor", "操作者", "Actor"),
    Column("action", "操作", "Action"),
    Column("target", "对象", "Target"),
    Column("enterprise", "企业", "Enterprise"),
    Column("outcome", "结果", "Outcome"),
    Column("client_ip", "客户端地址", "Client address"),
    Column("detail", "详情", "Detail"),
]


def _grant(grant: Grant, zone: Any) -> dict[str, Any]:
    return {
        "id": grant.id,
        "enterprise": grant.enterprise,
        "provider": grant.provider,
        "granted_by": grant.granted_by,
        "granted_at": local(grant.granted_at, zone),
        "revoked_by": grant.revoked_by,
        "revoked_at": local(grant.revoked_at, zone),
        "note": grant.note,
    }


@router.get(
    "/enterprises/{enterprise_id}/grants", response_model=Page[GrantPublic], responses=EXPORT_RESPONSES
)
def read_grants(
    enterprise_id: str,
    store: StoreDep,
    settings: SettingsDep,
    principal: ApiPrincipal,
    paging: PagingDep,
    export: ExportDep,
    active: Annotated[bool | None, Query(description="true: only active; false: only revoked")] = None,
) -> Response:
    """Return an enterprise's grants to service providers, newest first, revoked ones included (history).

    Readers of the enterprise see them, except service providers, who see their own grants only.
    """
    require_visible(store, principal, enterprise_id)
    grants = AccountStore(store).list_grants(enterprise=enterprise_id, active=active)
    if principal.role is Role.SERVICE_PROVIDER:
        grants = [g for g in grants if g.provider_id == principal.user_id]
    rows = [_grant(g, settings.zone) for g in grants]
    return deliver(
        export,
        paging,
        lambda n, o: (rows[o : o + n], len(rows)),
        lambda r: r,
        GRANT_COLUMNS,
        f"grants-{enterprise_id}",
    )


@router.post("/enterprises/{enterprise_id}/grants", response_model=GrantPublic, status_code=201)
def create_grant(
    request: Request,
    enterprise_id: str,
    body: GrantCreate,
    store: StoreDep,
    settings: SettingsDep,
    principal: ApiPrincipal,
) -> GrantPublic:
    """Grant a service provider read access to the enterprise (its manager, or an administrator)."""
    require_writer(store, principal, enterprise_id)
    grant = grant_provider(store, enterprise_id, body.provider, principal.login, body.note)
    audit(
        request, principal.login, "grant.create", body.provider, {"grant": grant.id}, enterprise=enterprise_id
    )
    return GrantPublic(**_grant(grant, settings.zone))


@router.delete("/enterprises/{enterprise_id}/grants/{grant_id}", response_model=GrantPublic)
def delete_grant(
    request: Request,
    enterprise_id: str,
    grant_id: int,
    store: StoreDep,
    settings: SettingsDep,
    principal: ApiPrincipal,
) -> GrantPublic:
    """Revoke a grant at once (it stays in the history)."""
    require_writer(store, principal, enterprise_id)
    accounts = AccountStore(store)
    found = accounts.list_grants(enterprise=enterprise_id, grant_id=grant_id)
    if not found:
        raise NotFoundError(f"enterprise {enterprise_id!r} has no grant {grant_id}")
    grant = accounts.revoke_grant(grant_id, principal.login)
    audit(
        request,
        principal.login,
        "grant.revoke",
        grant.provider,
        {"grant": grant.id},
        enterprise=enterprise_id,
    )
    return GrantPublic(**_grant(grant, settings.zone))


@router.get("/audit", response_model=Page[AuditEntryPublic], responses=EXPORT_RESPONSES)
def read_audit(
    store: StoreDep,
    principal: ApiPrincipal,
    paging: PagingDep,
    window: WindowDep,
    export: ExportDep,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[
        str | None, Query(max_length=100, description="an action, or a prefix ending in '.'")
    ] = None,
    outcome: Annotated[str | None, Query(max_length=20)] = None,
    enterprise: Annotated[str | None, Query(description="only entries concerning this enterprise")] = None,
) -> Response:
    """Read the audit log, newest first: administrators all of it, auditors the entries of their scope."""
    if principal.role not in (Role.ADMIN, Role.AUDITOR):
        raise PermissionDeniedError("the audit log is for administrators and auditors")
    scope: frozenset[str] | None = None
    if principal.role is Role.AUDITOR and principal.scope_kind != "platform":
        scope = visible_enterprises(store, principal)
    if enterprise is not None:
        if scope is not None and enterprise not in scope:
            raise NotFoundError(f"no enterprise {enterprise!r} that you may see")
        scope = frozenset({enterprise})
    zone = window.zone

    def fetch(limit: int, offset: int) -> tuple[list[AuditEntry], int]:
        return AccountStore(store).list_audit(
            enterprises=scope,
            actor=actor,
            action=action,
            outcome=outcome,
            start=window.start,
            end=window.end,
            limit=limit,
            offset=offset,
        )

    def row(entry: AuditEntry) -> dict[str, Any]:
        values = {c.key: getattr(entry, c.key) for c in AUDIT_COLUMNS}
        values["at"] = entry.at.astimezone(zone) if isinstance(entry.at, dt.datetime) else entry.at
        return values

    return deliver(export, paging, fetch, row, AUDIT_COLUMNS, "audit")
