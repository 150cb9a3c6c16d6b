"""Account operations shared by ``/api/v1`` and ``shuixiao users``: checked, hashed, then stored.

The storage layer (:class:`~shuixiao.storage.AccountStore`) stores what it is
given; these functions check it first: login names, roles and their scopes,
the password policy, that enterprises and meters exist, that a grant goes to a
service provider.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Final

from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.service._secrets import hash_password, new_token
from shuixiao.service.auth import Role, check_scope
from shuixiao.storage import AccountStore, ApiToken, DeviceToken, Grant, Store, User

__all__ = [
    "LOGIN_PATTERN",
    "add_user",
    "change_password",
    "grant_provider",
    "issue_api_token",
    "issue_device_token",
    "revoke_provider",
]

LOGIN_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
"""Login names: 2–64 characters, lower-case letters, digits, ``.``, ``_``, ``-``; a letter or digit first."""


def _expiry(days: int | None) -> dt.datetime | None:
    if days is None:
        return None
    if days < 1:
        raise InvalidInputError(
            "a token lives at least one day; leave the expiry out for a token that never expires"
        )
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=days)


def add_user(
    store: Store,
    login: str,
    name: str,
    password: str,
    role: str,
    scope_kind: str,
    scope_id: str | None = None,
    language: str = "zh",
) -> User:
    """Check and add a user.

    Raises
    ------
    InvalidInputError
        For a bad login name, an unknown role, a scope the role does not take, a
        language other than zh/en, a password that breaks the policy, or a login that is taken.
    NotFoundError
        If the scope's region, park or enterprise does not exist.
    """
    if not isinstance(login, str) or not LOGIN_PATTERN.match(login):
        raise InvalidInputError(
            f"login {login!r} must be 2–64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    if not name or not name.strip():
        raise InvalidInputError("a user needs a display name")
    if language not in ("zh", "en"):
        raise InvalidInputError(f"language must be zh or en, not {language!r}")
    typed, kind = check_scope(store, role, scope_kind, scope_id)
    digest = hash_password(password)
    return AccountStore(store).create_user(login, name.strip(), digest, typed.value, kind, scope_id, language)


def change_password(store: Store, user_id: int, password: str) -> None:
    """Set a new password (policy-checked) and end every session of the user."""
    AccountStore(store).set_password(user_id, hash_password(password))


def issue_api_token(
    store: Store, login: str, name: str, created_by: str, days: int | None = None
) -> tuple[str, ApiToken]:
    """Issue an API token acting as user ``login``; return the token (shown once) and its record.

    Raises
    ------
    NotFoundError
        If there is no such user.
    InvalidInputError
        If the user is disabled or the name is empty.
    """
    accounts = AccountStore(store)
    user = accounts.get_user(login)
    if not user.active:
        raise InvalidInputError(f"user {login!r} is disabled; enable it before issuing a token")
    if not name.strip():
        raise InvalidInputError("a token needs a name that says where it is used, e.g. 'energy-dashboard'")
    token, digest = new_token("sxa_")
    return token, accounts.add_api_token(digest, user.id, name.strip(), created_by, _expiry(days))


def issue_device_token(
    store: Store,
    name: str,
    enterprise: str,
    created_by: str,
    *,
    device: str | None = None,
    meters: Sequence[str] | None = None,
    days: int | None = None,
) -> tuple[str, DeviceToken]:
    """Issue a device token for ``enterprise`` (optionally bound to a device id and meters).

    Raises
    ------
    NotFoundError
        If the enterprise, or one of the meters, does not exist.
    InvalidInputError
        If the name is empty or the meter list is empty.
    """
    if not name.strip():
        raise InvalidInputError("a device token needs a name, e.g. the gateway's serial number")
    keys = store.meter_keys(enterprise)  # NotFoundError for an unknown enterprise
    if meters is not None:
        if not meters:
            raise InvalidInputError("bind the token to at least one meter, or to none (every meter)")
        unknown = sorted(set(meters) - set(keys))
        if unknown:
            raise NotFoundError(f"enterprise {enterprise!r} has no meter {', '.join(unknown)}")
    token, digest = new_token("sxd_")
    record = AccountStore(store).add_device_token(
        digest,
        name.strip(),
        enterprise,
        created_by,
        device=device or None,
        meters=meters,
        expires=_expiry(days),
    )
    return token, record


def grant_provider(
    store: Store, enterprise: str, provider: str, granted_by: str, note: str | None = None
) -> Grant:
    """Grant service provider ``provider`` (a login) read access to ``enterprise``.

    Raises
    ------
    NotFoundError
        If the enterprise or the user does not exist.
    InvalidInputError
        If the user is not a service provider.
    """
    store.meter_keys(enterprise)  # NotFoundError for an unknown enterprise
    accounts = AccountStore(store)
    user = accounts.get_user(provider)
    if user.role != Role.SERVICE_PROVIDER.value:
        raise InvalidInputError(
            f"user {provider!r} has the role {user.role}; grants go to users with the role service_provider"
        )
    return accounts.add_grant(enterprise, user.id, granted_by, note)


def revoke_provider(store: Store, enterprise: str, provider: str, revoked_by: str) -> list[Grant]:
    """Revoke every active grant of ``enterprise`` to ``provider``; return them (empty when there was none)."""
    accounts = AccountStore(store)
    user = accounts.get_user(provider)
    active = accounts.list_grants(enterprise=enterprise, provider_id=user.id, active=True)
    return [accounts.revoke_grant(g.id, revoked_by) for g in active]
