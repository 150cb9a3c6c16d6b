"""Page actions that write: acknowledging an alarm and setting a month's water-use plan from the
enterprise dashboard.

Each form posts the session's anti-forgery token (checked by the service for every
unsafe request authenticated by the session cookie); the action is checked
against the principal's scope and write permission and written to the audit log
whatever its outcome.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from shuixiao.alarms import AlarmStateError
from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.service.auth import Principal, can_write
from shuixiao.service.deps import client_ip, get_store, page_principal
from shuixiao.service.routes.plans import record_plans
from shuixiao.service.web._common import page_context
from shuixiao.service.web._render import path
from shuixiao.storage import Store
from shuixiao.storage.accounts import AccountStore
from shuixiao.storage.alarms import AlarmStore
from shuixiao.storage.plans import PlanInput, parse_month, parse_source_type

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

StoreDep = Annotated[Store, Depends(get_store)]
PrincipalDep = Annotated[Principal, Depends(page_principal)]


@router.post("/enterprises/{enterprise_id}/alarms/{alarm_id}/acknowledge")
def acknowledge_alarm(
    request: Request, enterprise_id: str, alarm_id: int, store: StoreDep, principal: PrincipalDep
) -> Response:
    """Acknowledge an alarm of an enterprise the principal may write to, then show the dashboard again."""
    page = page_context(request, store, principal)
    accounts = AccountStore(store)
    client = request.client.host if request.client else None
    target = f"alarm:{alarm_id}"
    if enterprise_id not in page.visible:
        return page.not_found()
    alarms = AlarmStore(store)
    try:
        alarm = alarms.get(alarm_id)
    except NotFoundError:
        return page.not_found()
    if alarm.enterprise != enterprise_id:
        return page.not_found()
    if not can_write(principal, enterprise_id):
        accounts.audit(
            principal, "alarm.acknowledge", target, None, client, "denied", enterprise=enterprise_id
        )
        return page.forbidden()
    try:
        alarms.acknowledge(alarm_id, principal.login)
        outcome, detail = "success", None
    except AlarmStateError as err:  # acknowledged or cleared meanwhile: show the state as it is
        outcome, detail = "failure", {"reason": err.diagnostics()}
    accounts.audit(principal, "alarm.acknowledge", target, detail, client, outcome, enterprise=enterprise_id)
    return RedirectResponse(path("enterprises", enterprise_id) + "#alarm-h", status_code=303)


@router.post("/enterprises/{enterprise_id}/plans")
def set_plan(
    request: Request,
    enterprise_id: str,
    store: StoreDep,
    principal: PrincipalDep,
    month: Annotated[str, Form(max_length=16)],
    volume: Annotated[str, Form(max_length=32)],
    source_type: Annotated[str, Form(max_length=32)] = "",
    authority: Annotated[str, Form(max_length=200)] = "",
    document: Annotated[str, Form(max_length=200)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Set or revise a month's plan [m³] of an enterprise the principal may write to, then show the panel.

    A plan that is not valid (no month, a volume that is not a number > 0, an unknown source
    type) is answered with the error page saying why, and audited as a failure.
    """
    page = page_context(request, store, principal)
    accounts = AccountStore(store)
    client = client_ip(request)
    if enterprise_id not in page.visible:
        return page.not_found()
    if not can_write(principal, enterprise_id):
        accounts.audit(principal, "plan.set", month, None, client, "denied", enterprise=enterprise_id)
        return page.forbidden()
    try:
        try:
            amount = float(volume)
        except ValueError:
            raise InvalidInputError(f"the planned volume must be a number of m³, not {volume!r}") from None
        plan = PlanInput(
            enterprise_id,
            parse_month(month),
            amount,
            parse_source_type(source_type),
            authority,
            document,
            note,
        )
    except InvalidInputError as err:
        reason = {"reason": err.diagnostics()}
        accounts.audit(principal, "plan.set", month, reason, client, "failure", enterprise=enterprise_id)
        raise
    record_plans(store, principal.login, enterprise_id, [plan], client)
    target = path("enterprises", enterprise_id) + f"?month={plan.month:%Y-%m}#plan-h"
    return RedirectResponse(target, status_code=303)
