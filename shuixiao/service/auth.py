"""Who is asking and what they may see: roles, scopes, logins, sessions and tenant visibility.

Roles and the scopes they take (see ``docs/service.md`` for the full matrix)::

    role                scope kinds                  reads                                  writes
    admin               platform                     every enterprise                       everything
    regulator           platform, region             enterprises in the region (and below)  nothing
    park_operator       park                         enterprises of the park                nothing
    enterprise_manager  enterprise                   its enterprise                         its enterprise, grants
    enterprise_viewer   enterprise                   its enterprise                         nothing
    auditor             platform/region/park/ent.    as its scope; the audit log of it      nothing
    service_provider    platform                     enterprises with an unrevoked grant    nothing
    device              enterprise (device tokens)   nothing                                readings of its enterprise

An enterprise a principal may not read is answered as if it did not exist
(404), so that tenants cannot learn each other's names.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

import sqlalchemy as sa

from shuixiao.errors import AuthenticationError, InvalidInputError, NotFoundError
from shuixiao.service._policy import load_policy
from shuixiao.service._secrets import (
    hash_password,
    needs_rehash,
    new_token,
    token_hash,
    verify_password,
    verify_unknown,
)
from shuixiao.storage import AccountStore, Store, User
from shuixiao.storage import schema as t

__all__ = [
    "LOGIN_FAILED",
    "ROLE_SCOPES",
    "Principal",
    "Role",
    "ScopeKind",
    "SessionTokens",
    "authenticate",
    "can_write",
    "check_scope",
    "close_session",
    "open_session",
    "principal_of",
    "visible_enterprises",
]

ScopeKind = Literal["platform", "region", "park", "enterprise"]


class Role(StrEnum):
    """What a principal is for; with its scope it decides what it may read and write."""

    ADMIN = "admin"  #: runs the platform: users, tokens, every enterprise, the audit log
    REGULATOR = "regulator"  #: 工信/水利 authority of a region: reads the region's enterprises
    PARK_OPERATOR = "park_operator"  #: 园区: reads the park's enterprises side by side
    ENTERPRISE_MANAGER = "enterprise_manager"  #: 节水负责人: runs one enterprise, grants providers access
    ENTERPRISE_VIEWER = "enterprise_viewer"  #: reads one enterprise
    AUDITOR = "auditor"  #: reads its scope and its audit log; writes nothing (ledger tools)
    SERVICE_PROVIDER = "service_provider"  #: 节水服务商: reads the enterprises that granted it access
    DEVICE = "device"  #: a meter or gateway: ingests readings of one enterprise, reads nothing


ROLE_SCOPES: Final[dict[Role, tuple[ScopeKind, ...]]] = {
    Role.ADMIN: ("platform",),
    Role.REGULATOR: ("platform", "region"),
    Role.PARK_OPERATOR: ("park",),
    Role.ENTERPRISE_MANAGER: ("enterprise",),
    Role.ENTERPRISE_VIEWER: ("enterprise",),
    Role.AUDITOR: ("platform", "region", "park", "enterprise"),
    Role.SERVICE_PROVIDER: ("platform",),
}
"""Scope kinds each user role may take (devices are not users: they hold device tokens)."""

LOGIN_FAILED: Final = (
    "login failed: the login or password is wrong, the account is disabled, or there were too many "
    "failed attempts (wait 15 minutes); an administrator can reset the password with `shuixiao users passwd`"
)


@dataclass(frozen=True)
class Principal:
    """An authenticated user (session or API token) as the service sees it.

    Parameters
    ----------
    user_id : int
    login, name : str
        Login name and display name.
    role : Role
    scope_kind : {'platform', 'region', 'park', 'enterprise'}
    scope_id : str or None
        The region, park or enterprise; None for the platform.
    language : {'zh', 'en'}
    """

    user_id: int
    login: str
    name: str
    role: Role
    scope_kind: ScopeKind
    scope_id: str | None
    language: Literal["zh", "en"]


@dataclass(frozen=True)
class SessionTokens:
    """What :func:`open_session` hands out: the cookie value and the session's anti-forgery token."""

    session: str
    csrf: str


def principal_of(user: User) -> Principal:
    """Return the principal of a stored user."""
    language: Literal["zh", "en"] = "en" if user.language == "en" else "zh"
    scope: ScopeKind = user.scope_kind  # type: ignore[assignment]  # checked when stored
    return Principal(user.id, user.login, user.name, Role(user.role), scope, user.scope_id, language)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def authenticate(store: Store, login: str, password: str, client_ip: str | None) -> Principal:
    """Check a login and password; return the principal, or raise with a generic message.

    Failures are counted from the audit log; after too many in the window
    (``shuixiao/data/service.yaml``: per login and per client address) every
    attempt fails, even with the right password, until the window has passed.
    Every attempt is audited with its precise cause.

    Raises
    ------
    AuthenticationError
        With :data:`LOGIN_FAILED`, whatever failed.
    """
    policy = load_policy()
    accounts = AccountStore(store)
    name = (login or "").strip().lower()[:64]
    now = _now()
    since = now - dt.timedelta(seconds=policy.login_window)
    limited = accounts.count_failures("login", since, target=name) >= policy.login_failures_per_login or (
        client_ip is not None
        and accounts.count_failures("login", since, ip=client_ip) >= policy.login_failures_per_ip
    )
    if limited:
        accounts.audit(None, "login", name, {"reason": "rate_limited"}, client_ip, "rate_limited")
        raise AuthenticationError(LOGIN_FAILED)
    found = accounts.credentials(name) if name else None
    if found is None:
        verify_unknown(password or "", policy)
        accounts.audit(None, "login", name, {"reason": "unknown_login"}, client_ip, "failure")
        raise AuthenticationError(LOGIN_FAILED)
    user, stored = found
    if not verify_password(stored, password or "", policy):
        accounts.audit(None, "login", name, {"reason": "wrong_password"}, client_ip, "failure")
        raise AuthenticationError(LOGIN_FAILED)
    if not user.active:
        accounts.audit(None, "login", name, {"reason": "disabled"}, client_ip, "failure")
        raise AuthenticationError(LOGIN_FAILED)
    if needs_rehash(stored, policy):
        accounts.set_password(user.id, hash_password(password, policy, check=False))
    accounts.record_login(user.id, now=now)
    accounts.audit(user.login, "login", name, {}, client_ip, "success")
    return principal_of(user)


def open_session(
    store: Store, principal: Principal, *, lifetime: int, client_ip: str | None = None
) -> SessionTokens:
    """Open a login session; return the cookie value and the anti-forgery token.

    Only the SHA-256 of the cookie value is stored.  The session ends at the
    latest after ``lifetime`` seconds, the instance's ``session_lifetime``
    (:class:`shuixiao.config.Settings`), which every caller passes; the service
    also ends it after ``session_idle`` seconds without use.

    Raises
    ------
    InvalidInputError
        If ``lifetime`` is not positive.
    """
    if lifetime <= 0:
        raise InvalidInputError(
            f"a session lifetime must be positive, not {lifetime} s; see session_lifetime"
        )
    session, digest = new_token("sxs_")
    csrf = secrets.token_urlsafe(load_policy().token_entropy)
    expires = _now() + dt.timedelta(seconds=lifetime)
    AccountStore(store).add_session(digest, principal.user_id, csrf, expires, client_ip)
    return SessionTokens(session, csrf)


def close_session(store: Store, session_token: str) -> None:
    """End the session of this cookie value (nothing happens when there is none)."""
    AccountStore(store).delete_session(token_hash(session_token))


# --- tenants ------------------------------------------------------------------------------------


def _enterprise_scopes(store: Store) -> list[tuple[str, str, str | None]]:
    """(id, region, park) of every enterprise."""
    e = t.enterprises
    with store.transaction("reading enterprise scopes") as connection:
        return [(i, r, p) for i, r, p in connection.execute(sa.select(e.c.id, e.c.region, e.c.park)).all()]


def _regions_within(store: Store, region_id: str) -> set[str]:
    with store.transaction("reading regions") as connection:
        pairs = connection.execute(sa.select(t.regions.c.id, t.regions.c.parent)).all()
    children: dict[str, list[str]] = {}
    for rid, parent in pairs:
        if parent is not None:
            children.setdefault(parent, []).append(rid)
    found, stack = {region_id}, [region_id]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def visible_enterprises(store: Store, principal: Principal) -> frozenset[str]:
    """Return the ids of the enterprises ``principal`` may read.

    Service providers see only enterprises with an unrevoked grant; devices see nothing.
    """
    if principal.role is Role.DEVICE:
        return frozenset()
    scopes = _enterprise_scopes(store)
    every = frozenset(i for i, _, _ in scopes)
    if principal.role is Role.SERVICE_PROVIDER:
        return AccountStore(store).granted_enterprises(principal.user_id) & every
    if principal.role is Role.ADMIN or principal.scope_kind == "platform":
        return every
    sid = principal.scope_id
    if principal.scope_kind == "enterprise":
        return every & {sid}
    if principal.scope_kind == "park":
        return frozenset(i for i, _, p in scopes if p == sid)
    if principal.scope_kind == "region" and sid is not None:
        within = _regions_within(store, sid)
        return frozenset(i for i, r, _ in scopes if r in within)
    return frozenset()


def can_write(principal: Principal, enterprise_id: str) -> bool:
    """Return True when ``principal`` may change data of ``enterprise_id``.

    Administrators may everywhere; an enterprise manager in its own enterprise.
    Regulators, park operators, viewers, auditors and service providers read only.
    """
    if principal.role is Role.ADMIN:
        return True
    return (
        principal.role is Role.ENTERPRISE_MANAGER
        and principal.scope_kind == "enterprise"
        and principal.scope_id == enterprise_id
    )


def check_scope(store: Store, role: str, scope_kind: str, scope_id: str | None) -> tuple[Role, ScopeKind]:
    """Check that a role may take a scope and that the scope exists; return them typed.

    Raises
    ------
    InvalidInputError
        If the role is unknown or is ``device``, or the role does not take this scope kind.
    NotFoundError
        If the region, park or enterprise does not exist.
    """
    try:
        typed = Role(role)
    except ValueError:
        roles = ", ".join(r.value for r in ROLE_SCOPES)
        raise InvalidInputError(f"unknown role {role!r}; use one of {roles}") from None
    if typed is Role.DEVICE:
        raise InvalidInputError(
            "devices are not users; give a device a token with `shuixiao users device-token`"
        )
    kinds = ROLE_SCOPES[typed]
    if scope_kind not in kinds:
        raise InvalidInputError(
            f"role {typed.value} takes a scope of kind {' or '.join(kinds)}, not {scope_kind!r}"
        )
    if scope_kind == "platform":
        if scope_id is not None:
            raise InvalidInputError("the platform scope takes no id")
        return typed, "platform"
    if not scope_id:
        raise InvalidInputError(f"a {scope_kind} scope needs the {scope_kind}'s id")
    if scope_kind == "region":
        known = {r.id for r in store.list_regions()}
    elif scope_kind == "park":
        known = {p.id for p in store.list_parks()}
    else:
        known = {i for i, _, _ in _enterprise_scopes(store)}
    if scope_id not in known:
        raise NotFoundError(f"no {scope_kind} {scope_id!r}; `shuixiao model show` lists what exists")
    kind: ScopeKind = scope_kind  # one of the role's kinds
    return typed, kind
