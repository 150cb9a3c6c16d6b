"""Service-provider grants and the audit log (the part of :class:`~shuixiao.storage.AccountStore` about them)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.storage._accounts_records import AuditEntry, Grant, HasLogin, now_or
from shuixiao.storage._accounts_tables import audit_log, provider_grants, users
from shuixiao.storage.store import Store

__all__ = ["GrantsAndAudit"]

_OUTCOMES = frozenset({"success", "failure", "denied", "rate_limited"})


class GrantsAndAudit:
    """Grants and the audit log of a store (base of :class:`~shuixiao.storage.AccountStore`).

    Parameters
    ----------
    store : Store
        A migrated store; each method runs in its own transaction.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    # --- service-provider grants ------------------------------------------------------------------

    def add_grant(
        self,
        enterprise: str,
        provider_id: int,
        granted_by: str,
        note: str | None = None,
        *,
        now: dt.datetime | None = None,
    ) -> Grant:
        """Grant a service provider access to an enterprise; an active grant is returned as it is."""
        g = provider_grants
        active = sa.and_(
            g.c.enterprise == enterprise, g.c.provider_id == provider_id, g.c.revoked_at.is_(None)
        )
        with self._store.transaction(
            f"granting {enterprise!r} to user {provider_id}", write=True
        ) as connection:
            if connection.execute(sa.select(g.c.id).where(active)).first() is None:
                connection.execute(
                    sa.insert(g).values(
                        enterprise=enterprise,
                        provider_id=provider_id,
                        granted_by=granted_by,
                        granted_at=now_or(now),
                        note=note,
                    )
                )
        return self.list_grants(enterprise=enterprise, provider_id=provider_id, active=True)[0]

    def revoke_grant(self, grant_id: int, revoked_by: str, *, now: dt.datetime | None = None) -> Grant:
        """Revoke a grant (it stays in the history) and return it.

        Raises
        ------
        NotFoundError
            If there is no such grant.
        """
        g = provider_grants
        with self._store.transaction(f"revoking grant {grant_id}", write=True) as connection:
            connection.execute(
                sa.update(g)
                .where(g.c.id == grant_id, g.c.revoked_at.is_(None))
                .values(revoked_at=now_or(now), revoked_by=revoked_by)
            )
        found = self.list_grants(grant_id=grant_id)
        if not found:
            raise NotFoundError(f"no grant {grant_id}")
        return found[0]

    def list_grants(
        self,
        *,
        enterprise: str | None = None,
        provider_id: int | None = None,
        active: bool | None = None,
        grant_id: int | None = None,
    ) -> list[Grant]:
        """Return grants, newest first; ``active`` True for unrevoked only, False for revoked only."""
        g = provider_grants
        query = (
            sa.select(g, users.c.login)
            .join_from(g, users, users.c.id == g.c.provider_id)
            .order_by(g.c.id.desc())
        )
        if enterprise is not None:
            query = query.where(g.c.enterprise == enterprise)
        if provider_id is not None:
            query = query.where(g.c.provider_id == provider_id)
        if grant_id is not None:
            query = query.where(g.c.id == grant_id)
        if active is not None:
            query = query.where(g.c.revoked_at.is_(None) if active else g.c.revoked_at.is_not(None))
        with self._store.transaction("listing grants") as connection:
            rows = connection.execute(query).mappings().all()
        return [
            Grant(
                **{f.name: row[f.name] for f in dataclasses.fields(Grant) if f.name != "provider"},
                provider=row["login"],
            )
            for row in rows
        ]

    def granted_enterprises(self, provider_id: int) -> frozenset[str]:
        """Return the enterprises with an unrevoked grant to this provider."""
        g = provider_grants
        query = sa.select(g.c.enterprise).where(g.c.provider_id == provider_id, g.c.revoked_at.is_(None))
        with self._store.transaction("reading grants") as connection:
            return frozenset(connection.execute(query).scalars().all())

    # --- audit log --------------------------------------------------------------------------------

    def audit(
        self,
        actor: str | HasLogin | None,
        action: str,
        target: str | None,
        detail: Mapping[str, Any] | None,
        ip: str | None,
        outcome: str,
        *,
        enterprise: str | None = None,
        now: dt.datetime | None = None,
    ) -> int:
        """Append an entry to the audit log and return its id.

        Parameters
        ----------
        actor : str, object with a ``login``, or None
            Who acted: a login, ``device:<name>``, a principal, or None when unknown.
        action : str
            What was done, e.g. ``login``, ``user.create``, ``alarm.acknowledge``.
        target : str or None
            What it was done to (a login, an enterprise, ``alarm:42``, ...).
        detail : mapping or None
            JSON-compatible details.
        ip : str or None
            Client address.
        outcome : str
            ``success``, ``failure``, ``denied`` or ``rate_limited``.
        enterprise : str, optional
            The enterprise the entry concerns, so that auditors of that enterprise see it.

        Raises
        ------
        InvalidInputError
            If the outcome is unknown or the detail is not JSON-compatible.
        """
        if outcome not in _OUTCOMES:
            raise InvalidInputError(f"outcome {outcome!r} is not one of {', '.join(sorted(_OUTCOMES))}")
        try:
            document = json.loads(json.dumps(dict(detail or {}), allow_nan=False, default=str))
        except (TypeError, ValueError) as err:
            raise InvalidInputError(f"audit detail must be JSON-compatible: {err}") from err
        who = actor if actor is None or isinstance(actor, str) else actor.login
        row = {
            "at": now_or(now),
            "actor": who,
            "action": action,
            "target": target,
            "enterprise": enterprise,
            "detail": document,
            "client_ip": ip,
            "outcome": outcome,
        }
        with self._store.transaction(f"auditing {action}", write=True) as connection:
            return int(
                connection.execute(sa.insert(audit_log).values(**row).returning(audit_log.c.id)).scalar_one()
            )

    def list_audit(
        self,
        *,
        enterprises: frozenset[str] | None = None,
        actor: str | None = None,
        action: str | None = None,
        outcome: str | None = None,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[AuditEntry], int]:
        """Return audit entries, newest first, and how many match in all.

        Parameters
        ----------
        enterprises : frozenset of str, optional
            Only entries concerning these enterprises; None for every entry.
        actor, action, outcome : str, optional
            Exact matches; ``action`` ending in ``.`` matches a prefix (``user.``).
        start, end : datetime.datetime, optional
            Only entries in ``[start, end)``; aware datetimes.
        """
        a = audit_log
        conditions: list[Any] = []
        if enterprises is not None:
            conditions.append(a.c.enterprise.in_(sorted(enterprises)))
        if actor is not None:
            conditions.append(a.c.actor == actor)
        if action is not None:
            conditions.append(
                a.c.action.startswith(action, autoescape=True)
                if action.endswith(".")
                else a.c.action == action
            )
        if outcome is not None:
            conditions.append(a.c.outcome == outcome)
        if start is not None:
            conditions.append(a.c.at >= start)
        if end is not None:
            conditions.append(a.c.at < end)
        where = sa.and_(sa.true(), *conditions)
        query = sa.select(a).where(where).order_by(a.c.id.desc()).limit(max(limit, 0)).offset(max(offset, 0))
        with self._store.transaction("reading the audit log") as connection:
            rows = connection.execute(query).mappings().all()
            total = int(
                connection.execute(sa.select(sa.func.count()).select_from(a).where(where)).scalar_one()
            )
        return [AuditEntry(**dict(row)) for row in rows], total

    def count_failures(
        self, action: str, since: dt.datetime, *, target: str | None = None, ip: str | None = None
    ) -> int:
        """Return how many ``failure`` entries of ``action`` (for a target or from an address) lie after ``since``."""
        a = audit_log
        query = (
            sa.select(sa.func.count())
            .select_from(a)
            .where(a.c.action == action, a.c.outcome == "failure", a.c.at >= since)
        )
        if target is not None:
            query = query.where(a.c.target == target)
        if ip is not None:
            query = query.where(a.c.client_ip == ip)
        with self._store.transaction("counting failures") as connection:
            return int(connection.execute(query).scalar_one())
