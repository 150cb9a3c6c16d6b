"""Assess many enterprises, in this process or in a pool of worker processes.

:func:`assess_many` serves :func:`~shuixiao.assess.assess_park` and
:func:`~shuixiao.assess.assess_region`.  With ``workers`` > 1 the enterprises are cut into
about :data:`CHUNKS_PER_WORKER` chunks per process and assessed by a
:class:`concurrent.futures.ProcessPoolExecutor` whose processes start from a ``forkserver``
(no copy of the caller's open connections, threads or locks; the server imports this module
once, so that the workers need not import numpy and scipy each).  Each process opens its own
:class:`~shuixiao.storage.Store` on :meth:`Store.url_to_reopen` and sends back the complete
:class:`~shuixiao.assess.EnterpriseAssessment` objects, in the callers' order, so the result
is the same as with one process.
"""

from __future__ import annotations

import atexit
import datetime as dt
import math
import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from zoneinfo import ZoneInfo

from shuixiao._workers import worker_count
from shuixiao.assess.enterprise import EnterpriseAssessment, assess_enterprise
from shuixiao.model import Region
from shuixiao.storage import Store

__all__ = ["CHUNKS_PER_WORKER", "assess_many"]

CHUNKS_PER_WORKER = 16
"""Chunks handed to each worker process: enough to even out enterprises of different sizes,
few enough that sending the period, variants and regions with each costs nothing."""

_Job = tuple[
    Sequence[tuple[str, Mapping[str, bool] | None]],
    dt.datetime,
    dt.datetime,
    str,
    Mapping[str, str] | None,
    Sequence[Region],
]

_worker_store: Store | None = None
"""The store of a worker process (set by :func:`_open_worker_store`; never set in the caller)."""


def assess_many(
    store: Store,
    enterprise_ids: Sequence[str],
    start: dt.datetime,
    end: dt.datetime,
    *,
    zone: ZoneInfo,
    facts: Mapping[str, Mapping[str, bool]] | None,
    variants: Mapping[str, str] | None,
    regions: Sequence[Region],
    workers: int = 1,
) -> tuple[EnterpriseAssessment, ...]:
    """Assess each enterprise of ``enterprise_ids`` over ``[start, end)``, in that order.

    Parameters
    ----------
    store : Store
    enterprise_ids : sequence of str
    start, end : datetime.datetime
    zone : zoneinfo.ZoneInfo
    facts : mapping of str to mapping, optional
        Stated facts for the tier criteria, by enterprise id.
    variants : mapping of str to str, optional
    regions : sequence of Region
        The store's regions.
    workers : int, optional
        Processes; 1 assesses in this process.

    Raises
    ------
    InvalidInputError
        If ``workers`` is not a whole number ≥ 1.
    ConfigurationError
        If ``workers`` > 1 and the store is an in-memory SQLite database.
    """
    workers = worker_count(workers)
    items = [(e, (facts or {}).get(e)) for e in enterprise_ids]
    if workers == 1 or len(items) < 2:
        return _assess(store, (items, start, end, zone.key, variants, regions))
    url = store.url_to_reopen()
    size = math.ceil(len(items) / (CHUNKS_PER_WORKER * workers))
    jobs: list[_Job] = [
        (items[i : i + size], start, end, zone.key, variants, tuple(regions))
        for i in range(0, len(items), size)
    ]
    context = multiprocessing.get_context("forkserver")
    # The server imports the engines (numpy, scipy: seconds) once; the workers fork from it.
    context.set_forkserver_preload([__name__])
    with ProcessPoolExecutor(
        max_workers=min(workers, len(jobs)),
        mp_context=context,
        initializer=_open_worker_store,
        initargs=(url,),
    ) as pool:
        return tuple(a for chunk in pool.map(_assess_in_worker, jobs) for a in chunk)


def _assess(store: Store, job: _Job) -> tuple[EnterpriseAssessment, ...]:
    items, start, end, zone, variants, regions = job
    return tuple(
        assess_enterprise(store, e, start, end, zone=zone, facts=f, variants=variants, regions=regions)
        for e, f in items
    )


def _open_worker_store(url: str) -> None:
    global _worker_store
    _worker_store = Store.open(url)
    atexit.register(_worker_store.close)


def _assess_in_worker(job: _Job) -> tuple[EnterpriseAssessment, ...]:
    if _worker_store is None:
        raise RuntimeError("_assess_in_worker runs only in a process started by assess_many")
    return _assess(_worker_store, job)
