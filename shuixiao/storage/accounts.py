"""Accounts: users, login sessions, API and device tokens, service-provider grants and the audit log.

:class:`AccountStore` keeps them in the store's database (tables below,
revision ``0003``).  It stores what a database breach must not reveal only in
a form that cannot be used: passwords as argon2id hashes made by the caller,
session and token values as their SHA-256.  It knows nothing of roles and
scopes beyond storing them; :mod:`shuixiao.service.auth` gives them meaning.
Every timestamp is UTC.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.storage._accounts_audit import GrantsAndAudit
from shuixiao.storage._accounts_records import (
    ApiToken,
    AuditEntry,
    DeviceToken,
    Grant,
    SessionRecord,
    User,
    device_of,
    now_or,
    user_of,
)
from shuixiao.storage._accounts_tables import (
    USER_COLUMNS,
    api_tokens,
    audit_log,
    device_tokens,
    provider_grants,
    user_sessions,
    users,
)

__all__ = [
    "AccountStore",
    "ApiToken",
    "AuditEntry",
    "DeviceToken",
    "Grant",
    "SessionRecord",
    "User",
    "api_tokens",
    "audit_log",
    "device_tokens",
    "provider_grants",
    "user_sessions",
    "users",
]


# The lookups of every authenticated request, built once (building a statement costs more than running it).
_SESSION_BY_HASH = (
    sa.select(
        *USER_COLUMNS,
        user_sessions.c.csrf_token,
        user_sessions.c.created.label("s_created"),
        user_sessions.c.expires,
        user_sessions.c.last_seen,
    )
    .join_from(user_sessions, users, users.c.id == user_sessions.c.user_id)
    .where(user_sessions.c.token_hash == sa.bindparam("digest"))
)
_API_TOKENS = sa.select(
    *USER_COLUMNS, *(c.label(f"t_{c.name}") for c in api_tokens.c if c.name != "token_hash")
).join_from(api_tokens, users, users.c.id == api_tokens.c.user_id)
_API_TOKEN_BY_HASH = _API_TOKENS.where(api_tokens.c.token_hash == sa.bindparam("digest"))
_DEVICE_BY_HASH = sa.select(device_tokens).where(device_tokens.c.token_hash == sa.bindparam("digest"))


class AccountStore(GrantsAndAudit):
    """Users, sessions, tokens, grants and the audit log of a :class:`~shuixiao.storage.Store`.

    Parameters
    ----------
    store : Store
        A migrated store; each method runs in its own transaction.
    """

    # --- users -----------------------------------------------------------------------------------

    def create_user(
        self,
        login: str,
        name: str,
        password_hash: str,
        role: str,
        scope_kind: str,
        scope_id: str | None,
        language: str = "zh",
        *,
        now: dt.datetime | None = None,
    ) -> User:
        """Add a user and return it.

        Raises
        ------
        InvalidInputError
            If the login is taken.
        """
        at = now_or(now)
        row = {
            "login": login,
            "name": name,
            "password_hash": password_hash,
            "role": role,
            "scope_kind": scope_kind,
            "scope_id": scope_id,
            "language": language,
            "active": True,
            "created": at,
            "last_login": None,
            "password_changed": at,
        }
        with self._store.transaction(f"adding user {login!r}", write=True) as connection:
            if connection.execute(sa.select(users.c.id).where(users.c.login == login)).first() is not None:
                raise InvalidInputError(f"login {login!r} is taken; choose another login name")
            connection.execute(sa.insert(users).values(**row))
            created = (
                connection.execute(sa.select(*USER_COLUMNS).where(users.c.login == login)).mappings().one()
            )
        return user_of(created)

    def get_user(self, user: int | str) -> User:
        """Return the user with this id or login.

        Raises
        ------
        NotFoundError
            If there is none.
        """
        column = users.c.id if isinstance(user, int) else users.c.login
        with self._store.transaction("reading a user") as connection:
            row = connection.execute(sa.select(*USER_COLUMNS).where(column == user)).mappings().first()
        if row is None:
            raise NotFoundError(f"no user {user!r}; `shuixiao users list` shows them")
        return user_of(row)

    def credentials(self, login: str) -> tuple[User, str] | None:
        """Return the user and its password hash, or None when the login does not exist."""
        with self._store.transaction("reading credentials") as connection:
            row = connection.execute(sa.select(users).where(users.c.login == login)).mappings().first()
        return None if row is None else (user_of(row), str(row["password_hash"]))

    def list_users(self, *, role: str | None = None) -> list[User]:
        """Return every user (or those of one role), by login."""
        query = sa.select(*USER_COLUMNS).order_by(users.c.login)
        if role is not None:
            query = query.where(users.c.role == role)
        with self._store.transaction("listing users") as connection:
            rows = connection.execute(query).mappings().all()
        return [user_of(row) for row in rows]

    def update_user(self, user_id: int, **changes: Any) -> User:
        """Change a user's name, role, scope, language or active flag; return the user as it is now.

        Disabling a user (``active=False``) ends its sessions.

        Raises
        ------
        InvalidInputError
            If a change names another column.
        NotFoundError
            If there is no such user.
        """
        allowed = {"name", "role", "scope_kind", "scope_id", "language", "active"}
        if not set(changes) <= allowed:
            raise InvalidInputError(f"cannot change {sorted(set(changes) - allowed)}; only {sorted(allowed)}")
        with self._store.transaction(f"updating user {user_id}", write=True) as connection:
            if changes:
                connection.execute(sa.update(users).where(users.c.id == user_id).values(**changes))
            if changes.get("active") is False:
                connection.execute(sa.delete(user_sessions).where(user_sessions.c.user_id == user_id))
        return self.get_user(user_id)

    def set_password(self, user_id: int, password_hash: str, *, now: dt.datetime | None = None) -> None:
        """Replace a user's password hash and end every session of the user."""
        with self._store.transaction(f"changing the password of user {user_id}", write=True) as connection:
            done = connection.execute(
                sa.update(users)
                .where(users.c.id == user_id)
                .values(password_hash=password_hash, password_changed=now_or(now))
            )
            if done.rowcount == 0:
                raise NotFoundError(f"no user {user_id}; `shuixiao users list` shows them")
            connection.execute(sa.delete(user_sessions).where(user_sessions.c.user_id == user_id))

    def record_login(self, user_id: int, *, now: dt.datetime | None = None) -> None:
        """Note a successful login."""
        with self._store.transaction("recording a login", write=True) as connection:
            connection.execute(sa.update(users).where(users.c.id == user_id).values(last_login=now_or(now)))

    # --- sessions ---------------------------------------------------------------------------------

    def add_session(
        self,
        token_hash: str,
        user_id: int,
        csrf_token: str,
        expires: dt.datetime,
        client_ip: str | None = None,
        *,
        now: dt.datetime | None = None,
    ) -> None:
        """Store a new session by the SHA-256 of its token (the token itself is never stored)."""
        at = now_or(now)
        with self._store.transaction("opening a session", write=True) as connection:
            connection.execute(sa.delete(user_sessions).where(user_sessions.c.expires <= at))
            connection.execute(
                sa.insert(user_sessions).values(
                    token_hash=token_hash,
                    user_id=user_id,
                    csrf_token=csrf_token,
                    created=at,
                    expires=expires,
                    last_seen=at,
                    client_ip=client_ip,
                )
            )

    def session(self, token_hash: str) -> SessionRecord | None:
        """Return the session with this token hash and its user, or None (times are not checked here)."""
        with self._store.transaction("reading a session") as connection:
            row = connection.execute(_SESSION_BY_HASH, {"digest": token_hash}).mappings().first()
        if row is None:
            return None
        return SessionRecord(
            user_of(row), row["csrf_token"], row["s_created"], row["expires"], row["last_seen"]
        )

    def touch_session(self, token_hash: str, *, now: dt.datetime | None = None) -> None:
        """Note that a session was used now (for the idle timeout)."""
        with self._store.transaction("touching a session", write=True) as connection:
            connection.execute(
                sa.update(user_sessions)
                .where(user_sessions.c.token_hash == token_hash)
                .values(last_seen=now_or(now))
            )

    def delete_session(self, token_hash: str) -> bool:
        """End a session; return False when there was none."""
        with self._store.transaction("closing a session", write=True) as connection:
            done = connection.execute(
                sa.delete(user_sessions).where(user_sessions.c.token_hash == token_hash)
            )
        return bool(done.rowcount)

    # --- API and device tokens --------------------------------------------------------------------

    def add_api_token(
        self,
        token_hash: str,
        user_id: int,
        name: str,
        created_by: str,
        expires: dt.datetime | None = None,
        *,
        now: dt.datetime | None = None,
    ) -> ApiToken:
        """Store a new API token of a user by its SHA-256; return it."""
        row = {"token_hash": token_hash, "user_id": user_id, "name": name, "created_by": created_by}
        with self._store.transaction(f"issuing API token {name!r}", write=True) as connection:
            connection.execute(sa.insert(api_tokens).values(**row, created=now_or(now), expires=expires))
        token = self._api_tokens(api_tokens.c.token_hash == token_hash)
        return token[0][0]

    def api_token(self, token_hash: str) -> tuple[ApiToken, User] | None:
        """Return the API token with this hash and its user, or None (validity is not checked here)."""
        found = self._api_tokens(None, token_hash)
        return found[0] if found else None

    def list_api_tokens(self, user_id: int | None = None) -> list[ApiToken]:
        """Return the API tokens (of one user), newest first, revoked ones included."""
        condition = sa.true() if user_id is None else api_tokens.c.user_id == user_id
        return [token for token, _ in self._api_tokens(condition)]

    def _api_tokens(self, condition: Any, digest: str | None = None) -> list[tuple[ApiToken, User]]:
        """API tokens matching ``condition``, or the one with hash ``digest`` (a prepared query)."""
        with self._store.transaction("reading API tokens") as connection:
            if digest is not None:
                rows = connection.execute(_API_TOKEN_BY_HASH, {"digest": digest}).mappings().all()
            else:
                query = _API_TOKENS.where(condition).order_by(api_tokens.c.id.desc())
                rows = connection.execute(query).mappings().all()
        found = []
        for row in rows:
            token = ApiToken(
                login=row["login"],
                **{f.name: row[f"t_{f.name}"] for f in dataclasses.fields(ApiToken) if f.name != "login"},
            )
            found.append((token, user_of(row)))
        return found

    def revoke_api_token(self, token_id: int, *, now: dt.datetime | None = None) -> ApiToken:
        """Revoke an API token (at once, for every request after this one) and return it.

        Raises
        ------
        NotFoundError
            If there is no such token.
        """
        a = api_tokens
        with self._store.transaction(f"revoking API token {token_id}", write=True) as connection:
            connection.execute(
                sa.update(a)
                .where(a.c.id == token_id, a.c.revoked_at.is_(None))
                .values(revoked_at=now_or(now))
            )
        found = self._api_tokens(a.c.id == token_id)
        if not found:
            raise NotFoundError(f"no API token {token_id}; `shuixiao users token --list` shows them")
        return found[0][0]

    def touch_token(self, kind: str, token_id: int, *, now: dt.datetime | None = None) -> None:
        """Note that an API (``kind='api'``) or device (``'device'``) token was used now."""
        table = api_tokens if kind == "api" else device_tokens
        with self._store.transaction("touching a token", write=True) as connection:
            connection.execute(sa.update(table).where(table.c.id == token_id).values(last_used=now_or(now)))

    def add_device_token(
        self,
        token_hash: str,
        name: str,
        enterprise: str,
        created_by: str,
        *,
        device: str | None = None,
        meters: Sequence[str] | None = None,
        expires: dt.datetime | None = None,
        now: dt.datetime | None = None,
    ) -> DeviceToken:
        """Store a new device token by its SHA-256; return it."""
        row = {
            "token_hash": token_hash,
            "name": name,
            "enterprise": enterprise,
            "device": device,
            "meters": sorted(set(meters)) if meters is not None else None,
            "created": now_or(now),
            "created_by": created_by,
            "expires": expires,
        }
        with self._store.transaction(f"issuing device token {name!r}", write=True) as connection:
            connection.execute(sa.insert(device_tokens).values(**row))
        return self._devices(device_tokens.c.token_hash == token_hash)[0]

    def device_token(self, token_hash: str) -> DeviceToken | None:
        """Return the device token with this hash, or None (validity is not checked here)."""
        with self._store.transaction("reading a device token") as connection:
            row = connection.execute(_DEVICE_BY_HASH, {"digest": token_hash}).mappings().first()
        return None if row is None else device_of(row)

    def list_device_tokens(self, enterprise: str | None = None) -> list[DeviceToken]:
        """Return the device tokens (of one enterprise), newest first, revoked ones included."""
        return self._devices(sa.true() if enterprise is None else device_tokens.c.enterprise == enterprise)

    def _devices(self, condition: Any) -> list[DeviceToken]:
        query = sa.select(device_tokens).where(condition).order_by(device_tokens.c.id.desc())
        with self._store.transaction("reading device tokens") as connection:
            return [device_of(row) for row in connection.execute(query).mappings().all()]

    def revoke_device_token(self, token_id: int, *, now: dt.datetime | None = None) -> DeviceToken:
        """Revoke a device token and return it.

        Raises
        ------
        NotFoundError
            If there is no such token.
        """
        d = device_tokens
        with self._store.transaction(f"revoking device token {token_id}", write=True) as connection:
            connection.execute(
                sa.update(d)
                .where(d.c.id == token_id, d.c.revoked_at.is_(None))
                .values(revoked_at=now_or(now))
            )
        found = self._devices(d.c.id == token_id)
        if not found:
            raise NotFoundError(
                f"no device token {token_id}; `shuixiao users device-token --list` shows them"
            )
        return found[0]
