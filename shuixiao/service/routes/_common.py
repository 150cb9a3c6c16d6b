"""What the API routes share: paging, time windows, export options, tenant checks, auditing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from fastapi import Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from shuixiao.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from shuixiao.model import Quality
from shuixiao.service._cache import cached_answer
from shuixiao.service._export import Column, ExportFormat, export_response
from shuixiao.service._policy import load_policy
from shuixiao.service.auth import Principal, can_write, visible_enterprises
from shuixiao.service.deps import client_ip, get_settings, get_store
from shuixiao.storage import AccountStore, Store

__all__ = [
    "EXPORT_RESPONSES",
    "Export",
    "ExportDep",
    "Paging",
    "PagingDep",
    "Window",
    "WindowDep",
    "answer",
    "audit",
    "deliver",
    "json_response",
    "local",
    "quality_name",
    "require_visible",
    "require_writer",
]

T = TypeVar("T")

EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}
            },
        },
        "description": "JSON; with ?format=csv or xlsx a download with localised headers",
    }
}
"""OpenAPI description of the export formats of a list or series endpoint."""

_QUALITY = {int(q): q.name.lower() for q in Quality}


def quality_name(code: int) -> str:
    """Return the name (good, estimated, suspect, bad) of a quality code."""
    return _QUALITY.get(int(code), "bad")


@dataclass(frozen=True)
class Paging:
    """Page window of a list: ``limit`` rows from ``offset``; ``explicit`` when the client set the limit."""

    limit: int
    offset: int
    explicit: bool


async def _paging(
    limit: Annotated[
        int | None, Query(ge=1, description="rows per page (default and maximum: service.yaml)")
    ] = None,
    offset: Annotated[int, Query(ge=0, le=2**31, description="rows to skip")] = 0,
) -> Paging:
    policy = load_policy()
    if limit is not None and limit > policy.max_limit:
        raise InvalidInputError(
            f"limit may be at most {policy.max_limit}; page with offset, or export the series"
        )
    return Paging(limit if limit is not None else policy.default_limit, offset, limit is not None)


PagingDep = Annotated[Paging, Depends(_paging)]


@dataclass(frozen=True)
class Window:
    """A time window ``[start, end)`` (aware; open-ended when None) and the zone to show times in."""

    start: dt.datetime | None
    end: dt.datetime | None
    zone: ZoneInfo


async def _window(
    request: Request,
    start: Annotated[
        dt.datetime | None,
        Query(description="from this time, inclusive (ISO 8601; local time when no offset)"),
    ] = None,
    end: Annotated[dt.datetime | None, Query(description="until this time, exclusive")] = None,
) -> Window:
    zone = get_settings(request).zone
    bounds = []
    for value in (start, end):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        if value is not None and not dt.datetime(1970, 1, 2, tzinfo=dt.UTC) <= value <= dt.datetime(
            2199, 12, 31, tzinfo=dt.UTC
        ):
            raise InvalidInputError("start and end must lie between 1970 and 2199")
        bounds.append(value)
    if bounds[0] is not None and bounds[1] is not None and bounds[1] < bounds[0]:
        raise InvalidInputError("end is before start; swap them")
    return Window(bounds[0], bounds[1], zone)


WindowDep = Annotated[Window, Depends(_window)]


@dataclass(frozen=True)
class Export:
    """How to answer: JSON (the default), or a CSV/XLSX/JSON download with headers in ``language``."""

    format: ExportFormat | None
    language: str


async def _export(
    request: Request,
    format: Annotated[  # noqa: A002 - the query parameter's documented name
        Literal["json", "csv", "xlsx"] | None, Query(description="download as csv, xlsx or json")
    ] = None,
    lang: Annotated[
        Literal["zh", "en"] | None, Query(description="language of the download's headers")
    ] = None,
) -> Export:
    principal = getattr(request.state, "principal", None)
    language = lang or (principal.language if principal is not None else get_settings(request).language)
    return Export(format, language)


ExportDep = Annotated[Export, Depends(_export)]


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def json_response(document: Any, status_code: int = 200) -> Response:
    """Return ``document`` as JSON (times in ISO 8601), without a second validation pass.

    List and series endpoints build their rows from typed database values and declare their
    schema with ``response_model``; serialising the rows directly keeps a page of a series cheap.
    """
    body = json.dumps(
        document, ensure_ascii=False, allow_nan=False, default=_json_default, separators=(",", ":")
    )
    return Response(body.encode("utf-8"), status_code=status_code, media_type="application/json")


def deliver(
    export: Export,
    paging: Paging,
    total_rows: Callable[[int, int], tuple[Sequence[T], int]],
    to_row: Callable[[T], Mapping[str, Any]],
    columns: Sequence[Column],
    filename: str,
    *,
    to_json: Callable[[T], Mapping[str, Any]] | None = None,
) -> Response:
    """Answer a page as JSON ``{items, total, limit, offset}``, or the whole selection as a download.

    ``total_rows(limit, offset)`` returns the items and how many match in all; ``to_row`` turns an
    item into the row of a download (keys of ``columns``), ``to_json`` (default ``to_row``) into an
    item of the JSON page.  A download holds up to the export limit, or ``limit`` rows when given.
    """
    if export.format is None:
        items, total = total_rows(paging.limit, paging.offset)
        convert = to_json or to_row
        page = {
            "items": [convert(i) for i in items],
            "total": total,
            "limit": paging.limit,
            "offset": paging.offset,
        }
        return json_response(page)
    limit = paging.limit if paging.explicit else load_policy().max_export_rows
    items, _ = total_rows(min(limit, load_policy().max_export_rows), paging.offset)
    rows: Iterable[Mapping[str, Any]] = (to_row(item) for item in items)
    return export_response(rows, columns, export.format, export.language, filename)


async def answer(
    request: Request, principal: Principal, export: Export | None, compute: Callable[[], Response]
) -> Response:
    """Answer a read request with ``compute()`` (run in a worker thread), kept for the data version.

    A JSON answer is kept per principal, path and query under the database's data version
    (:func:`shuixiao.service._cache.cached_answer`) and served again until anything is written;
    downloads (``export.format``) are computed every time.  ``compute`` makes its own tenant
    checks: a kept answer only goes to the principal it was computed for.
    """
    if export is not None and export.format is not None:
        return await run_in_threadpool(compute)
    return await cached_answer(request, (principal, request.url.path, request.url.query), compute)


def require_visible(store: Store, principal: Principal, enterprise_id: str) -> frozenset[str]:
    """Return the enterprises the principal may read, or raise 404 if ``enterprise_id`` is not among them.

    Another tenant's enterprise is answered exactly like one that does not exist.
    """
    visible = visible_enterprises(store, principal)
    if enterprise_id not in visible:
        raise NotFoundError(
            f"no enterprise {enterprise_id!r} that you may see; GET /api/v1/enterprises lists them"
        )
    return visible


def require_writer(store: Store, principal: Principal, enterprise_id: str) -> None:
    """Raise 404 for an enterprise the principal may not read, 403 for one it may read but not change."""
    require_visible(store, principal, enterprise_id)
    if not can_write(principal, enterprise_id):
        raise PermissionDeniedError(
            f"your role ({principal.role.value}) may read enterprise {enterprise_id!r} but not change it; "
            "ask its enterprise manager or an administrator"
        )


def audit(
    request: Request,
    actor: str | None,
    action: str,
    target: str | None,
    detail: Mapping[str, Any] | None = None,
    *,
    outcome: str = "success",
    enterprise: str | None = None,
) -> None:
    """Append an audit entry for this request."""
    AccountStore(get_store(request)).audit(
        actor, action, target, detail, client_ip(request), outcome, enterprise=enterprise
    )


def local(value: dt.datetime | None, zone: ZoneInfo) -> dt.datetime | None:
    """Return a UTC time in the instance's zone (None stays None)."""
    return value.astimezone(zone) if value is not None else None
