"""What the account store returns: users, sessions, tokens, grants, audit entries."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol

__all__ = [
    "ApiToken",
    "AuditEntry",
    "DeviceToken",
    "Grant",
    "HasLogin",
    "SessionRecord",
    "User",
    "device_of",
    "now_or",
    "user_of",
]


@dataclasses.dataclass(frozen=True)
class User:
    """A user account (without its password hash).

    Parameters
    ----------
    id : int
    login, name : str
        Login name (lower case) and display name.
    role : str
        A ``shuixiao.service.auth.Role`` value.
    scope_kind : str
        ``platform``, ``region``, ``park`` or ``enterprise``.
    scope_id : str or None
        Id of the region, park or enterprise; None for the platform.
    language : str
        ``zh`` or ``en``.
    active : bool
        False once disabled; a disabled user cannot log in and its tokens stop working.
    created, password_changed : datetime.datetime
        UTC.
    last_login : datetime.datetime or None
        UTC, None before the first login.
    """

    id: int
    login: str
    name: str
    role: str
    scope_kind: str
    scope_id: str | None
    language: str
    active: bool
    created: dt.datetime
    last_login: dt.datetime | None
    password_changed: dt.datetime


@dataclasses.dataclass(frozen=True)
class SessionRecord:
    """A login session: the user, its anti-forgery token and its times (UTC)."""

    user: User
    csrf_token: str
    created: dt.datetime
    expires: dt.datetime
    last_seen: dt.datetime


@dataclasses.dataclass(frozen=True)
class ApiToken:
    """A bearer token for API clients; it acts as its user. Times are UTC."""

    id: int
    user_id: int
    login: str
    name: str
    created: dt.datetime
    created_by: str
    expires: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class DeviceToken:
    """A token with which a device or gateway ingests readings into one enterprise.

    Parameters
    ----------
    meters : tuple of str or None
        The meters it may send; None for every meter of the enterprise.
    """

    id: int
    name: str
    enterprise: str
    device: str | None
    meters: tuple[str, ...] | None
    created: dt.datetime
    created_by: str
    expires: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class Grant:
    """An enterprise's grant of access to a service provider; active while ``revoked_at`` is None."""

    id: int
    enterprise: str
    provider_id: int
    provider: str
    granted_by: str
    granted_at: dt.datetime
    revoked_by: str | None
    revoked_at: dt.datetime | None
    note: str | None


@dataclasses.dataclass(frozen=True)
class AuditEntry:
    """One entry of the audit log (see :meth:`AccountStore.audit`)."""

    id: int
    at: dt.datetime
    actor: str | None
    action: str
    target: str | None
    enterprise: str | None
    detail: dict[str, Any]
    client_ip: str | None
    outcome: str


class HasLogin(Protocol):
    """Anything with a login (a principal)."""

    @property
    def login(self) -> str: ...


def now_or(now: dt.datetime | None) -> dt.datetime:
    """Return ``now``, or the current UTC time when None."""
    return now if now is not None else dt.datetime.now(dt.UTC)


def user_of(row: Mapping[Any, Any]) -> User:
    """Return the user of a row with the user columns."""
    return User(**{f.name: row[f.name] for f in dataclasses.fields(User)})


def device_of(row: Mapping[Any, Any]) -> DeviceToken:
    """Return the device token of a ``device_tokens`` row."""
    fields = {f.name: row[f.name] for f in dataclasses.fields(DeviceToken)}
    fields["meters"] = tuple(row["meters"]) if row["meters"] is not None else None
    return DeviceToken(**fields)
