"""Users, API tokens (administrators) and device tokens (administrators and enterprise managers)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from shuixiao.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from shuixiao.service._export import Column
from shuixiao.service.accounts import add_user, change_password, issue_api_token, issue_device_token
from shuixiao.service.auth import Principal, Role, can_write, check_scope, visible_enterprises
from shuixiao.service.deps import ApiPrincipal, StoreDep
from shuixiao.service.routes._common import (
    EXPORT_RESPONSES,
    ExportDep,
    PagingDep,
    audit,
    deliver,
    require_writer,
)
from shuixiao.service.schemas import (
    ApiTokenCreate,
    ApiTokenPublic,
    DeviceTokenCreate,
    DeviceTokenPublic,
    Page,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from shuixiao.storage import AccountStore, DeviceToken, Store

__all__ = ["require_admin", "router"]

router = APIRouter(tags=["users and tokens"])

USER_COLUMNS = [
    Column("login", "登录名", "Login"),
    Column("name", "姓名", "Name"),
    Column("role", "角色", "Role"),
    Column("scope_kind", "范围类型", "Scope kind"),
    Column("scope_id", "范围", "Scope"),
    Column("language", "语言", "Language"),
    Column("active", "启用", "Active"),
    Column("created", "创建时间", "Created"),
    Column("last_login", "最近登录", "Last login"),
]


def require_admin(principal: Principal) -> None:
    """Raise 403 unless the principal is an administrator."""
    if principal.role is not Role.ADMIN:
        raise PermissionDeniedError(f"only administrators may do this; your role is {principal.role.value}")


@router.get("/users", response_model=Page[UserPublic], responses=EXPORT_RESPONSES)
def read_users(
    principal: ApiPrincipal,
    store: StoreDep,
    paging: PagingDep,
    export: ExportDep,
    role: Annotated[str | None, Query(max_length=40, description="only users of this role")] = None,
) -> Response:
    """List the users (administrators only)."""
    require_admin(principal)
    users = [
        UserPublic.model_validate(u, from_attributes=True) for u in AccountStore(store).list_users(role=role)
    ]
    return deliver(
        export,
        paging,
        lambda n, o: (users[o : o + n], len(users)),
        lambda u: u.model_dump(),
        USER_COLUMNS,
        "users",
    )


@router.post("/users", response_model=UserPublic, status_code=201)
def create_user(request: Request, body: UserCreate, principal: ApiPrincipal, store: StoreDep) -> UserPublic:
    """Add a user (administrators only); the password must meet the policy."""
    require_admin(principal)
    user = add_user(
        store, body.login, body.name, body.password, body.role, body.scope_kind, body.scope_id, body.language
    )
    detail = {"role": user.role, "scope_kind": user.scope_kind, "scope_id": user.scope_id}
    audit(request, principal.login, "user.create", user.login, detail)
    return UserPublic.model_validate(user, from_attributes=True)


@router.get("/users/{login}", response_model=UserPublic)
def read_user(login: str, principal: ApiPrincipal, store: StoreDep) -> UserPublic:
    """Return one user (administrators only)."""
    require_admin(principal)
    return UserPublic.model_validate(AccountStore(store).get_user(login), from_attributes=True)


def _last_admin(store: Store, login: str) -> bool:
    admins = [u for u in AccountStore(store).list_users(role=Role.ADMIN.value) if u.active]
    return [u.login for u in admins] == [login]


@router.patch("/users/{login}", response_model=UserPublic)
def update_user(
    request: Request, login: str, body: UserUpdate, principal: ApiPrincipal, store: StoreDep
) -> UserPublic:
    """Change a user's name, language, role, scope, password or active flag (administrators only).

    Disabling a user or changing its password ends its sessions; the last active administrator
    cannot be disabled or given another role.
    """
    require_admin(principal)
    accounts = AccountStore(store)
    user = accounts.get_user(login)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True, exclude={"password"})
    if {"role", "scope_kind", "scope_id"} & changes.keys():
        role = changes.get("role", user.role)
        kind = changes.get("scope_kind", user.scope_kind)
        scope_id = (
            changes["scope_id"] if "scope_id" in changes else (None if kind == "platform" else user.scope_id)
        )
        typed, kind = check_scope(store, role, kind, scope_id)
        changes.update(role=typed.value, scope_kind=kind, scope_id=scope_id)
    demoted = changes.get("active") is False or changes.get("role", Role.ADMIN.value) != Role.ADMIN.value
    if user.role == Role.ADMIN.value and demoted and _last_admin(store, user.login):
        raise InvalidInputError(
            f"{login!r} is the last active administrator; add another administrator first"
        )
    if any(v is None for k, v in changes.items() if k in ("name", "language", "active")):
        raise InvalidInputError("name, language and active cannot be null; leave them out to keep them")
    updated = accounts.update_user(user.id, **changes)
    if body.password is not None:
        change_password(store, user.id, body.password)
    detail = dict(changes) | ({"password": "changed"} if body.password is not None else {})
    audit(request, principal.login, "user.update", login, detail)
    return UserPublic.model_validate(updated, from_attributes=True)


def _api_public(token: Any, secret: str | None = None) -> ApiTokenPublic:
    return ApiTokenPublic.model_validate(token, from_attributes=True).model_copy(update={"token": secret})


@router.get("/tokens", response_model=Page[ApiTokenPublic])
def read_tokens(
    principal: ApiPrincipal,
    store: StoreDep,
    paging: PagingDep,
    login: Annotated[str | None, Query(description="only this user's tokens")] = None,
) -> Page[ApiTokenPublic]:
    """List API tokens, newest first, revoked ones included (administrators only)."""
    require_admin(principal)
    accounts = AccountStore(store)
    user_id = accounts.get_user(login).id if login is not None else None
    tokens = [_api_public(t) for t in accounts.list_api_tokens(user_id)]
    page = tokens[paging.offset : paging.offset + paging.limit]
    return Page(items=page, total=len(tokens), limit=paging.limit, offset=paging.offset)


@router.post("/tokens", response_model=ApiTokenPublic, status_code=201)
def create_token(
    request: Request, body: ApiTokenCreate, principal: ApiPrincipal, store: StoreDep
) -> ApiTokenPublic:
    """Issue an API token acting as a user (administrators only); the token is shown only in this answer."""
    require_admin(principal)
    secret, token = issue_api_token(store, body.login, body.name, principal.login, body.days)
    audit(
        request,
        principal.login,
        "token.create",
        f"token:{token.id}",
        {"login": body.login, "name": token.name},
    )
    return _api_public(token, secret)


@router.delete("/tokens/{token_id}", response_model=ApiTokenPublic)
def delete_token(request: Request, token_id: int, principal: ApiPrincipal, store: StoreDep) -> ApiTokenPublic:
    """Revoke an API token at once (administrators only)."""
    require_admin(principal)
    token = AccountStore(store).revoke_api_token(token_id)
    audit(
        request,
        principal.login,
        "token.revoke",
        f"token:{token.id}",
        {"login": token.login, "name": token.name},
    )
    return _api_public(token)


def _device_public(token: DeviceToken, secret: str | None = None) -> DeviceTokenPublic:
    values = {f: getattr(token, f) for f in DeviceTokenPublic.model_fields if f != "token"}
    values["meters"] = list(token.meters) if token.meters is not None else None
    return DeviceTokenPublic(**values, token=secret)


@router.get("/device-tokens", response_model=Page[DeviceTokenPublic])
def read_device_tokens(
    principal: ApiPrincipal,
    store: StoreDep,
    paging: PagingDep,
    enterprise: Annotated[str | None, Query(description="only this enterprise's tokens")] = None,
) -> Page[DeviceTokenPublic]:
    """List device tokens of the enterprises the principal may change (administrators: all)."""
    if enterprise is not None:
        require_writer(store, principal, enterprise)
    elif principal.role is not Role.ADMIN:
        writable = {e for e in visible_enterprises(store, principal) if can_write(principal, e)}
        if not writable:
            raise PermissionDeniedError("only administrators and enterprise managers manage device tokens")
    tokens = AccountStore(store).list_device_tokens(enterprise)
    if principal.role is not Role.ADMIN:
        tokens = [t for t in tokens if can_write(principal, t.enterprise)]
    items = [_device_public(t) for t in tokens]
    page = items[paging.offset : paging.offset + paging.limit]
    return Page(items=page, total=len(items), limit=paging.limit, offset=paging.offset)


@router.post("/device-tokens", response_model=DeviceTokenPublic, status_code=201)
def create_device_token(
    request: Request, body: DeviceTokenCreate, principal: ApiPrincipal, store: StoreDep
) -> DeviceTokenPublic:
    """Issue a device token for an enterprise the principal may change; shown only in this answer."""
    require_writer(store, principal, body.enterprise)
    secret, token = issue_device_token(
        store,
        body.name,
        body.enterprise,
        principal.login,
        device=body.device,
        meters=body.meters,
        days=body.days,
    )
    detail = {"name": token.name, "device": token.device, "meters": body.meters}
    audit(
        request,
        principal.login,
        "device_token.create",
        f"device_token:{token.id}",
        detail,
        enterprise=token.enterprise,
    )
    return _device_public(token, secret)


@router.delete("/device-tokens/{token_id}", response_model=DeviceTokenPublic)
def delete_device_token(
    request: Request, token_id: int, principal: ApiPrincipal, store: StoreDep
) -> DeviceTokenPublic:
    """Revoke a device token of an enterprise the principal may change."""
    accounts = AccountStore(store)
    found = [t for t in accounts.list_device_tokens() if t.id == token_id]
    if not found:
        raise NotFoundError(f"no device token {token_id}")
    require_writer(store, principal, found[0].enterprise)
    token = accounts.revoke_device_token(token_id)
    audit(
        request,
        principal.login,
        "device_token.revoke",
        f"device_token:{token.id}",
        {"name": token.name},
        enterprise=token.enterprise,
    )
    return _device_public(token)
