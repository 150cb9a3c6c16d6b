"""Meters of an enterprise: newest values, raw readings, interval aggregates and events."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.model import Meter, Origin
from shuixiao.service._export import Column
from shuixiao.service._queries import latest_values, page_aggregates, page_readings
from shuixiao.service.deps import ApiPrincipal, ModelsDep, SettingsDep, StoreDep
from shuixiao.service.routes._common import (
    EXPORT_RESPONSES,
    ExportDep,
    PagingDep,
    WindowDep,
    answer,
    deliver,
    local,
    quality_name,
    require_visible,
)
from shuixiao.service.schemas import (
    AggregatePublic,
    LatestValue,
    MeterEventPublic,
    MeterPublic,
    Page,
    ReadingPublic,
)
from shuixiao.storage import Store
from shuixiao.units import canonical_unit

__all__ = ["meter_public", "router"]

router = APIRouter(tags=["meters and series"])

RESOLUTIONS = {"15min": "PT15M", "hour": "PT1H", "day": "P1D", "month": "P1M"}
"""Names of the maintained aggregate resolutions and their ISO 8601 durations."""
_ISO = re.compile(r"^P(?:\d+[YMWD])?(?:T(?:\d+[HMS])+)?$")

METER_COLUMNS = [
    Column("id", "编号", "ID"),
    Column("name", "名称", "Name"),
    Column("kind", "类型", "Kind"),
    Column("quantity", "计量参数", "Quantity"),
    Column("level", "级别", "Level"),
    Column("flow", "水流", "Flow"),
    Column("water_unit", "用水单元", "Water unit"),
    Column("canonical_unit", "单位", "Unit"),
    Column("latest_ts", "最新时间", "Latest time"),
    Column("latest_value", "最新值", "Latest value"),
    Column("latest_quality", "质量标志", "Quality"),
]
READING_COLUMNS = [
    Column("ts", "时间", "Time"),
    Column("value", "读数", "Value"),
    Column("quality", "质量标志", "Quality"),
    Column("origin", "来源", "Origin"),
]
AGGREGATE_COLUMNS = [
    Column("start", "时段起点", "Interval start"),
    Column("value", "值", "Value"),
    Column("minimum", "最小值", "Minimum"),
    Column("maximum", "最大值", "Maximum"),
    Column("count", "读数个数", "Readings"),
    Column("quality", "质量标志", "Quality"),
]
EVENT_COLUMNS = [
    Column("meter", "计量器具", "Meter"),
    Column("ts", "时间", "Time"),
    Column("kind", "事件", "Event"),
    Column("detail", "说明", "Detail"),
]


def meter_public(meter: Meter, latest: tuple[dt.datetime, float, int] | None, zone: ZoneInfo) -> MeterPublic:
    """Return a meter as the API shows it, with its newest value."""
    newest = None
    if latest is not None:
        newest = LatestValue(ts=latest[0].astimezone(zone), value=latest[1], quality=quality_name(latest[2]))
    return MeterPublic(
        id=meter.id,
        name=meter.name,
        kind=meter.kind.value,
        quantity=meter.quantity,
        unit=meter.unit,
        canonical_unit=canonical_unit(meter.quantity),
        level=meter.level,
        flow=meter.flow,
        water_unit=meter.water_unit,
        accuracy_class=meter.accuracy_class,
        installed=meter.installed,
        calibrated=meter.calibrated,
        device=meter.device,
        register_max=meter.register_max,
        model=meter.model,
        latest=newest,
    )


def _meter_row(meter: MeterPublic) -> dict[str, Any]:
    row = meter.model_dump()
    latest = meter.latest
    row.update(
        latest_ts=latest.ts if latest else None,
        latest_value=latest.value if latest else None,
        latest_quality=latest.quality if latest else None,
    )
    return row


def _meter_key(store: Store, enterprise_id: str, meter_id: str) -> int:
    keys = store.meter_keys(enterprise_id)
    if meter_id not in keys:
        raise NotFoundError(
            f"enterprise {enterprise_id!r} has no meter {meter_id!r}; GET …/meters lists them"
        )
    return keys[meter_id]


@router.get(
    "/enterprises/{enterprise_id}/meters", response_model=Page[MeterPublic], responses=EXPORT_RESPONSES
)
async def read_meters(
    request: Request,
    enterprise_id: str,
    store: StoreDep,
    settings: SettingsDep,
    principal: ApiPrincipal,
    models: ModelsDep,
    paging: PagingDep,
    export: ExportDep,
    level: Annotated[int | None, Query(ge=1, le=3, description="metering level 1, 2 or 3")] = None,
) -> Response:
    """List an enterprise's meters with their newest value and its quality flag."""

    def compute() -> Response:
        require_visible(store, principal, enterprise_id)
        meters = models.get(enterprise_id).meters
        latest = latest_values(store, enterprise_id)
        items = [
            meter_public(m, latest.get(m.id), settings.zone)
            for m in meters
            if level is None or m.level == level
        ]
        return deliver(
            export,
            paging,
            lambda n, o: (items[o : o + n], len(items)),
            _meter_row,
            METER_COLUMNS,
            f"meters-{enterprise_id}",
            to_json=lambda m: m.model_dump(),
        )

    return await answer(request, principal, export, compute)


@router.get("/enterprises/{enterprise_id}/meters/{meter_id}", response_model=MeterPublic)
def read_meter(
    enterprise_id: str,
    meter_id: str,
    store: StoreDep,
    settings: SettingsDep,
    principal: ApiPrincipal,
    models: ModelsDep,
) -> MeterPublic:
    """Return one meter with its newest value."""
    require_visible(store, principal, enterprise_id)
    for meter in models.get(enterprise_id).meters:
        if meter.id == meter_id:
            return meter_public(meter, latest_values(store, enterprise_id).get(meter_id), settings.zone)
    raise NotFoundError(f"enterprise {enterprise_id!r} has no meter {meter_id!r}; GET …/meters lists them")


@router.get(
    "/enterprises/{enterprise_id}/meters/{meter_id}/readings",
    response_model=Page[ReadingPublic],
    responses=EXPORT_RESPONSES,
)
async def read_readings(
    request: Request,
    enterprise_id: str,
    meter_id: str,
    store: StoreDep,
    principal: ApiPrincipal,
    paging: PagingDep,
    window: WindowDep,
    export: ExportDep,
) -> Response:
    """Return a meter's raw readings in ``[start, end)``, oldest first, with quality flags and origins."""

    def compute() -> Response:
        require_visible(store, principal, enterprise_id)
        key = _meter_key(store, enterprise_id, meter_id)
        zone = window.zone

        def row(item: Any) -> dict[str, Any]:
            ts, value, quality, origin = item
            return {
                "ts": local(ts, zone),
                "value": value,
                "quality": quality_name(quality),
                "origin": _origin(origin),
            }

        return deliver(
            export,
            paging,
            lambda n, o: page_readings(store, key, window.start, window.end, n, o),
            row,
            READING_COLUMNS,
            f"readings-{enterprise_id}-{meter_id}",
        )

    return await answer(request, principal, export, compute)


def _origin(code: int) -> str:
    try:
        return Origin(code).name.lower()
    except ValueError:
        return str(code)


@router.get(
    "/enterprises/{enterprise_id}/meters/{meter_id}/aggregates",
    response_model=Page[AggregatePublic],
    responses=EXPORT_RESPONSES,
)
async def read_aggregates(
    request: Request,
    enterprise_id: str,
    meter_id: str,
    store: StoreDep,
    principal: ApiPrincipal,
    paging: PagingDep,
    window: WindowDep,
    export: ExportDep,
    resolution: Annotated[
        str, Query(max_length=20, description="15min, hour, day, month, or an ISO 8601 duration such as PT1H")
    ] = "hour",
) -> Response:
    """Return a meter's interval aggregates (sum for volumes, mean otherwise) starting in ``[start, end)``."""

    def compute() -> Response:
        iso = RESOLUTIONS.get(resolution, resolution)
        if not _ISO.match(iso) or iso == "P":
            raise InvalidInputError(
                f"resolution {resolution!r} is not one of {', '.join(RESOLUTIONS)} or a duration"
            )
        require_visible(store, principal, enterprise_id)
        key = _meter_key(store, enterprise_id, meter_id)
        zone = window.zone

        def row(item: Any) -> dict[str, Any]:
            start, value, minimum, maximum, count, quality = item
            return {
                "start": local(start, zone),
                "value": value,
                "minimum": minimum,
                "maximum": maximum,
                "count": count,
                "quality": quality_name(quality),
            }

        return deliver(
            export,
            paging,
            lambda n, o: page_aggregates(store, key, iso, window.start, window.end, n, o),
            row,
            AGGREGATE_COLUMNS,
            f"aggregates-{enterprise_id}-{meter_id}-{resolution}",
        )

    return await answer(request, principal, export, compute)


@router.get(
    "/enterprises/{enterprise_id}/events", response_model=Page[MeterEventPublic], responses=EXPORT_RESPONSES
)
async def read_events(
    request: Request,
    enterprise_id: str,
    store: StoreDep,
    principal: ApiPrincipal,
    paging: PagingDep,
    window: WindowDep,
    export: ExportDep,
    meter: Annotated[str | None, Query(description="only this meter's events")] = None,
) -> Response:
    """Return the events of an enterprise's meters (replacements, rollovers, ...), oldest first."""

    def compute() -> Response:
        require_visible(store, principal, enterprise_id)
        events = store.list_meter_events(enterprise_id, meter)
        zone = window.zone
        rows = [
            {"meter": e.meter, "ts": e.ts.astimezone(zone), "kind": e.kind, "detail": e.detail}
            for e in events
            if (window.start is None or e.ts >= window.start) and (window.end is None or e.ts < window.end)
        ]
        return deliver(
            export,
            paging,
            lambda n, o: (rows[o : o + n], len(rows)),
            lambda r: r,
            EVENT_COLUMNS,
            f"events-{enterprise_id}",
        )

    return await answer(request, principal, export, compute)
