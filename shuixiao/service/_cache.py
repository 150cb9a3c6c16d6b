"""Caches of the service: computed values per data version, and the JSON answers of the read endpoints.

The dashboards ask the same questions again and again (the enterprise with its meters and newest
values, a month of daily aggregates, an assessment of a month) while the data changes only when
something is written: readings arrive, an alarm is acknowledged, a model is imported.  Each answer
is therefore kept under the :class:`DataVersion` of the database it was computed from and reused
until anything is committed — by this process, another server process, the MQTT worker or the
command line.  Nothing is served stale: a new version misses every key of the old one.

* :class:`TimedCache` — values computed once per key (one computation when many requests ask at
  once), kept for a limited time, least recently used dropped first.
* :class:`DataVersion` — a token that changes whenever anything is committed to the database:
  SQLite's ``PRAGMA data_version`` on a connection of its own, PostgreSQL's current snapshot.
* :class:`AnswerCache` and :func:`cached_answer` — the JSON answers of the read endpoints, per
  principal, path and query, and the credential lookups, under the data version.
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from shuixiao.errors import InvalidInputError, StorageError
from shuixiao.storage import Store

__all__ = ["AnswerCache", "DataVersion", "TimedCache", "cached_answer"]

_Value = TypeVar("_Value")


class TimedCache(Generic[_Value]):
    """Values computed once per key and kept for ``ttl`` seconds, at most ``size`` of them.

    Two requests for the same missing key compute it once: the second waits
    for the first (one lock per key), so a dashboard opened by many users at
    once does not run the same assessment many times.

    Parameters
    ----------
    ttl : float
        Lifetime of a value (``math.inf``: until dropped for room). [s]
    size : int
        Most values kept; the least recently used goes first.
    clock : callable, optional
        Monotonic time source. [s]

    Raises
    ------
    InvalidInputError
        If ``ttl`` is not positive or ``size`` is less than one.

    Examples
    --------
    >>> cache = TimedCache[int](ttl=60, size=2)
    >>> cache.get("a", lambda: 1), cache.get("a", lambda: 2)
    (1, 1)
    >>> cache.peek("a"), cache.peek("b")
    (1, None)
    """

    def __init__(self, ttl: float, size: int, clock: Callable[[], float] = time.monotonic) -> None:
        if not ttl > 0 or size < 1:
            raise InvalidInputError(f"a cache needs a positive lifetime and size, not ttl={ttl}, size={size}")
        self._ttl = ttl
        self._size = size
        self._clock = clock
        self._values: OrderedDict[Hashable, tuple[float, _Value]] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, compute: Callable[[], _Value]) -> _Value:
        """Return the value of ``key``, computing it with ``compute()`` when absent or expired.

        An exception of ``compute`` propagates and nothing is kept.
        """
        with self._lock:
            found = self._fresh(key)
            if found is not None:
                return found[1]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                found = self._fresh(key)
                if found is not None:
                    return found[1]
            value = compute()
            with self._lock:
                self._values[key] = (self._clock() + self._ttl, value)
                self._values.move_to_end(key)
                while len(self._values) > self._size:
                    old, _ = self._values.popitem(last=False)
                    self._key_locks.pop(old, None)
            return value

    def peek(self, key: Hashable) -> _Value | None:
        """Return the value of ``key`` when it is kept and fresh, else None; never waits for a computation."""
        with self._lock:
            found = self._fresh(key)
        return None if found is None else found[1]

    def _fresh(self, key: Hashable) -> tuple[float, _Value] | None:
        entry = self._values.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._values[key]
            return None
        self._values.move_to_end(key)
        return entry

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._values.clear()
            self._key_locks.clear()


class DataVersion:
    """A token that changes whenever anything is committed to the store's database.

    * SQLite (a database file): ``PRAGMA data_version`` on a connection of its own that never
      writes, so every commit — of this process's connections, other server processes, the MQTT
      worker, the command line — changes it [1]_.  Reading it takes microseconds.
    * PostgreSQL: the current snapshot, ``pg_current_snapshot()`` (``xmin:xmax:xip``) [2]_.  A
      transaction that writes takes a transaction id, which is at or above ``xmax`` or listed as
      in progress until it commits; once it has committed, every new snapshot differs from one
      taken before.  Read-only transactions take no id and change nothing.  Writes to other
      databases of the same server change it too, which only costs cache misses.
    * An in-memory SQLite database is private to one connection: there is no version (None), and
      callers compute every time.

    Read the version *before* reading the data it stands for: data committed in between is then
    newer than the version says, never older.

    Parameters
    ----------
    store : Store
        An open store.

    References
    ----------
    .. [1] SQLite, "PRAGMA data_version", https://www.sqlite.org/pragma.html#pragma_data_version
    .. [2] PostgreSQL 15 documentation, §9.27.4 "Transaction ID and Snapshot Information
       Functions", ``pg_current_snapshot`` (PostgreSQL 13 and later).
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        url = make_url(store.url)
        self._postgres = url.get_backend_name() == "postgresql"
        database = url.database or ""
        if (
            url.get_backend_name() == "sqlite"
            and database not in ("", ":memory:")
            and "mode=memory" not in str(url)
        ):
            path = database[len("file:") :] if database.startswith("file:") else database
            self._connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def current(self) -> Hashable | None:
        """Return the current version, or None when the database has none (in-memory SQLite).

        Raises
        ------
        StorageError
            If the database cannot be read.
        """
        if self._connection is not None:
            try:
                with self._lock:
                    row = self._connection.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error as err:
                raise StorageError(f"reading the data version of {self._store.url} failed: {err}") from err
            return int(row[0])
        if self._postgres:
            with self._store.transaction("reading the data version") as connection:
                return str(connection.execute(sa.text("SELECT pg_current_snapshot()::text")).scalar_one())
        return None

    def close(self) -> None:
        """Close the connection of its own (SQLite)."""
        if self._connection is not None:
            with self._lock:
                self._connection.close()
                self._connection = None


@dataclass(frozen=True)
class _Answer:
    body: bytes
    status_code: int
    media_type: str | None

    def response(self) -> Response:
        return Response(self.body, status_code=self.status_code, media_type=self.media_type)


class AnswerCache:
    """The answers of the read endpoints under the data version of the database.

    Parameters
    ----------
    store : Store
        The application's store.
    size : int
        Most answers kept (``shuixiao/service/web/dashboards.yaml``, ``answer_cache_size``).
    """

    def __init__(self, store: Store, size: int) -> None:
        self.version = DataVersion(store)
        self._answers = TimedCache[_Answer](ttl=math.inf, size=size)
        self._credentials = TimedCache[Any](ttl=math.inf, size=size)

    def credential(self, key: Hashable, lookup: Callable[[], _Value]) -> _Value:
        """Return ``lookup()`` (a session or token record, or None), kept under the current data version.

        Revoking, disabling, logging out or changing a password writes to the database, so the
        next request looks the credential up again; expiry times are checked by the caller on
        every request.
        """
        version = self.version.current()
        if version is None:
            return lookup()
        found: _Value = self._credentials.get((version, key), lookup)
        return found

    def peek(self, key: Hashable) -> _Answer | None:
        """Return the kept answer of ``key`` (a version and what the answer depends on), or None."""
        return self._answers.peek(key)

    def get(self, key: Hashable, compute: Callable[[], _Answer]) -> _Answer:
        """Return the kept answer of ``key``, computing it once when absent."""
        return self._answers.get(key, compute)

    def close(self) -> None:
        """Release the version's connection."""
        self.version.close()


async def cached_answer(request: Request, key: Hashable, compute: Callable[[], Response]) -> Response:
    """Answer with the kept response of ``key`` at the current data version, or compute and keep it.

    ``compute`` runs in a worker thread (it reads the database); a kept answer is served on the
    event loop without a thread.  ``key`` must hold everything the answer depends on besides the
    data: the principal (so a principal only gets answers computed for it, after its own tenant
    checks) and the request's path and query.  Exceptions of ``compute`` (404, 422, ...)
    propagate and are not kept.
    """
    cache: AnswerCache = request.app.state.answers
    version = cache.version.current()
    if version is None:
        return await run_in_threadpool(compute)
    full = (version, key)
    found = cache.peek(full)
    if found is None:

        def answer() -> _Answer:
            response = compute()
            return _Answer(bytes(response.body), response.status_code, response.media_type)

        found = await run_in_threadpool(cache.get, full, answer)
    return found.response()
