"""Read queries the store has no method for: newest values, pages of series (SQLAlchemy Core)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Hashable
from typing import Any

import sqlalchemy as sa

from shuixiao.model import Enterprise
from shuixiao.service._cache import DataVersion
from shuixiao.storage import Store
from shuixiao.storage import schema as t

__all__ = [
    "ModelCache",
    "latest_values",
    "page_aggregates",
    "page_quarantine",
    "page_readings",
    "regions_within",
]


class ModelCache:
    """Enterprise models read from the store, reused while the database is unchanged (thread-safe).

    A model is reused as long as the :class:`~shuixiao.service._cache.DataVersion` is the one
    read before loading it, so an import shows at once; without a version (an in-memory
    database) it is reused for ``ttl`` seconds.

    Parameters
    ----------
    store : Store
    ttl : float
        How long a model is reused when the database has no data version. [s]
    version : DataVersion
        The data version of ``store``.
    """

    def __init__(self, store: Store, ttl: float, version: DataVersion) -> None:
        self._store = store
        self._ttl = float(ttl)
        self._version = version
        self._models: dict[str, tuple[Hashable | None, float, Enterprise]] = {}
        self._lock = threading.Lock()

    def get(self, enterprise_id: str) -> Enterprise:
        """Return the model of ``enterprise_id``.

        Raises
        ------
        NotFoundError
            If there is no such enterprise.
        """
        version = self._version.current()
        now = time.monotonic()
        with self._lock:
            cached = self._models.get(enterprise_id)
        if cached is not None and (
            cached[0] == version if version is not None else now - cached[1] < self._ttl
        ):
            return cached[2]
        model = self._store.load_enterprise(enterprise_id)
        with self._lock:
            self._models[enterprise_id] = (version, now, model)
        return model


def latest_values(
    store: Store, enterprise_id: str, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> dict[str, tuple[dt.datetime, float, int]]:
    """Return the newest reading (time UTC, value [canonical unit], quality code) of each meter that has one.

    With ``start``/``end``, the newest reading in ``[start, end)``; meters without one there are
    absent.  One query for the whole enterprise (a seek on the readings' primary key per meter).
    An enterprise that does not exist has no values (callers check it exists).
    """
    r, m, e = t.readings, t.meters, t.enterprises
    inner = r.alias("newest")
    newest = (
        sa.select(sa.func.max(inner.c.ts))
        .where(inner.c.meter_key == m.c.key, *_window(inner.c.ts, start, end))
        .correlate(m)
        .scalar_subquery()
    )
    query = (
        sa.select(m.c.id, r.c.ts, r.c.value, r.c.quality)
        .select_from(m.join(r, sa.and_(r.c.meter_key == m.c.key, r.c.ts == newest)))
        .join(e, e.c.key == m.c.enterprise_key)
        .where(e.c.id == enterprise_id)
    )
    with store.transaction(f"reading the newest values of {enterprise_id!r}") as connection:
        rows = connection.execute(query).all()
    return {mid: (ts, float(value), int(quality)) for mid, ts, value, quality in rows}


def _window(column: Any, start: dt.datetime | None, end: dt.datetime | None) -> list[Any]:
    conditions = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column < end)
    return conditions


def _page(store: Store, action: str, query: sa.Select[Any], count: sa.Select[Any]) -> tuple[list[Any], int]:
    with store.transaction(action) as connection:
        rows = connection.execute(query).all()
        total = int(connection.execute(count).scalar_one())
    return list(rows), total


def page_readings(
    store: Store,
    meter_key: int,
    start: dt.datetime | None,
    end: dt.datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[Any], int]:
    """Return one page of a meter's readings in ``[start, end)``, oldest first, and how many there are.

    Rows are ``(ts, value, quality, origin)``; ``ts`` aware UTC, ``value`` in the canonical unit.
    """
    r = t.readings
    where = sa.and_(r.c.meter_key == meter_key, *_window(r.c.ts, start, end))
    query = sa.select(r.c.ts, r.c.value, r.c.quality, r.c.origin).where(where).order_by(r.c.ts)
    count = sa.select(sa.func.count()).select_from(r).where(where)
    return _page(store, "reading a page of readings", query.limit(limit).offset(offset), count)


def page_aggregates(
    store: Store,
    meter_key: int,
    resolution: str,
    start: dt.datetime | None,
    end: dt.datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[Any], int]:
    """Return one page of a meter's aggregates at ``resolution`` starting in ``[start, end)``, and the total.

    Rows are ``(start, value, minimum, maximum, count, quality)``.
    """
    a = t.aggregates
    where = sa.and_(a.c.meter_key == meter_key, a.c.resolution == resolution, *_window(a.c.start, start, end))
    query = (
        sa.select(a.c.start, a.c.value, a.c.minimum, a.c.maximum, a.c["count"], a.c.quality)
        .where(where)
        .order_by(a.c.start)
    )
    count = sa.select(sa.func.count()).select_from(a).where(where)
    return _page(store, "reading a page of aggregates", query.limit(limit).offset(offset), count)


def page_quarantine(
    store: Store,
    enterprises: frozenset[str] | None,
    reason: str | None,
    replayed: bool | None,
    limit: int,
    offset: int,
) -> tuple[list[Any], int]:
    """Return one page of quarantined records (newest first) and the total.

    ``enterprises`` None means every record, also those of no known enterprise;
    ``replayed`` None means waiting and replayed ones.  Rows are mappings of the
    ``quarantine`` table.
    """
    q = t.quarantine
    conditions: list[Any] = []
    if enterprises is not None:
        conditions.append(q.c.enterprise.in_(sorted(enterprises)))
    if reason is not None:
        conditions.append(q.c.reason == reason)
    if replayed is not None:
        conditions.append(q.c.replayed_at.is_not(None) if replayed else q.c.replayed_at.is_(None))
    where = sa.and_(sa.true(), *conditions)
    query = sa.select(q).where(where).order_by(q.c.id.desc()).limit(limit).offset(offset)
    count = sa.select(sa.func.count()).select_from(q).where(where)
    with store.transaction("listing the quarantine") as connection:
        rows = connection.execute(query).mappings().all()
        total = int(connection.execute(count).scalar_one())
    return list(rows), total


def regions_within(parents: dict[str, str | None], region_id: str) -> set[str]:
    """Return ``region_id`` and every region below it, from a map of region → parent.

    Examples
    --------
    >>> sorted(regions_within({"hn": None, "yy": "hn", "cs": "hn", "x": None}, "hn"))
    ['cs', 'hn', 'yy']
    """
    found = {region_id}
    changed = True
    while changed:
        changed = False
        for rid, parent in parents.items():
            if parent in found and rid not in found:
                found.add(rid)
                changed = True
    return found
