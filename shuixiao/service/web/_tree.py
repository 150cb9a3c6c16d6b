"""The unit tree of an enterprise: level-2 sub-units, their level-3 equipment, and each unit's meters
with the latest reading and its quality flag.

A meter sits on a unit (analysers, pressure and level transmitters) or on a
flow; a flow meter is shown at the unit the flow enters, except on the
enterprise boundary, where intake meters are shown at their source and
discharge meters at their outlet (GB/T 24789 level-1 meters).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from shuixiao.model import Enterprise, Meter, Quality, UnitKind, WaterUnit, label, quantity_label
from shuixiao.service._queries import latest_values
from shuixiao.service.web._format import format_number, format_time
from shuixiao.storage import Store
from shuixiao.units import canonical_unit

__all__ = ["MeterRow", "UnitNode", "latest_readings", "unit_tree"]


@dataclass(frozen=True)
class Latest:
    """The latest stored reading of a meter.

    Parameters
    ----------
    ts : datetime.datetime
        When it was taken (aware, UTC).
    value : float
        The value in the canonical unit of the meter's quantity. [canonical unit]
    quality : Quality
        Its quality flag.
    """

    ts: dt.datetime
    value: float
    quality: Quality


@dataclass(frozen=True)
class MeterRow:
    """One meter as the unit tree shows it.

    Parameters
    ----------
    id, name : str
        The meter's tag and description (the tag again when it has none).
    kind : str
        Localised meter kind.
    quantity : str
        Localised quantity.
    level : int
        Metering level 1–3.
    unit : str
        Canonical unit of the shown value.
    value : str
        The latest value, formatted (en dash when none).
    time : str
        Local time of the latest reading (en dash when none).
    quality : str
        ``good``, ``estimated``, ``suspect``, ``bad`` or ``none`` (no reading in the window).
    stale : bool
        True when the latest reading is older than the staleness limit.
    href : str
        Link to the meter page.
    """

    id: str
    name: str
    kind: str
    quantity: str
    level: int
    unit: str
    value: str
    time: str
    quality: str
    stale: bool
    href: str


@dataclass
class UnitNode:
    """A water unit with its meters and children.

    Parameters
    ----------
    id, name : str
        The unit and its name in the page language.
    kind : str
        Localised unit kind (with the source or treatment type when it has one).
    level : int or None
        2, 3, or None for boundary units.
    meters : list of MeterRow
    children : list of UnitNode
    """

    id: str
    name: str
    kind: str
    level: int | None
    meters: list[MeterRow] = field(default_factory=list)
    children: list[UnitNode] = field(default_factory=list)

    @property
    def meter_count(self) -> int:
        """Meters on this unit and its children."""
        return len(self.meters) + sum(c.meter_count for c in self.children)


def latest_readings(
    store: Store, enterprise: Enterprise, last: dt.datetime | None, lookback: dt.timedelta
) -> dict[str, Latest]:
    """Return each meter's latest reading in ``[last − lookback, last]``; meters without one are absent.

    Parameters
    ----------
    store : Store
    enterprise : Enterprise
    last : datetime.datetime or None
        The enterprise's last reading time (aware); None when it has no readings.
    lookback : datetime.timedelta
        How far back to look.
    """
    if last is None:
        return {}
    newest = latest_values(store, enterprise.id, last - lookback, last + dt.timedelta(seconds=1))
    return {meter: Latest(ts, value, Quality(quality)) for meter, (ts, value, quality) in newest.items()}


def _unit_kind(unit: WaterUnit, language: str) -> str:
    kind = label(unit.kind, language)
    detail = unit.source_type or unit.treatment_type
    return f"{kind} · {label(detail, language)}" if detail is not None else kind


def _anchor(enterprise: Enterprise, meter: Meter, units: dict[str, WaterUnit]) -> str | None:
    """Return the unit a meter is shown at."""
    if meter.water_unit is not None:
        return meter.water_unit
    if meter.flow is None:
        return None
    flow = next((f for f in enterprise.flows if f.id == meter.flow), None)
    if flow is None:
        return None
    source = units.get(flow.from_unit)
    if source is not None and source.kind is UnitKind.SOURCE:
        return source.id
    return flow.to_unit or flow.from_unit


def unit_tree(
    enterprise: Enterprise,
    latest: dict[str, Latest],
    last: dt.datetime | None,
    stale_after: dt.timedelta,
    language: str,
    zone: ZoneInfo,
    meter_href: Callable[[str], str],
) -> tuple[list[UnitNode], list[UnitNode]]:
    """Return the level-2 sub-units (with their level-3 children) and the boundary units, each with meters.

    Level-3 units without a parent and units of other kinds without a level are
    listed with the sub-units so that no meter is lost.  ``meter_href`` gives the
    link of a meter's page from its id.

    Returns
    -------
    (inside, boundary) : tuple of lists of UnitNode
        Units in model order.
    """
    units = {u.id: u for u in enterprise.units}
    nodes = {
        u.id: UnitNode(
            u.id, (u.name_en or u.name) if language == "en" else u.name, _unit_kind(u, language), u.level
        )
        for u in enterprise.units
    }
    for meter in sorted(enterprise.meters, key=lambda m: (m.level, m.id)):
        anchor = _anchor(enterprise, meter, units)
        if anchor in nodes:
            reading = latest.get(meter.id)
            row = _meter_row(meter, reading, last, stale_after, language, zone, meter_href(meter.id))
            nodes[anchor].meters.append(row)
    inside: list[UnitNode] = []
    boundary: list[UnitNode] = []
    for unit in enterprise.units:
        node = nodes[unit.id]
        if unit.is_boundary:
            boundary.append(node)
        elif unit.parent is not None and unit.parent in nodes:
            nodes[unit.parent].children.append(node)
        else:
            inside.append(node)
    return inside, boundary


def _meter_row(
    meter: Meter,
    reading: Latest | None,
    last: dt.datetime | None,
    stale_after: dt.timedelta,
    language: str,
    zone: ZoneInfo,
    href: str,
) -> MeterRow:
    stale = reading is None or (last is not None and last - reading.ts > stale_after)
    return MeterRow(
        id=meter.id,
        name=meter.name or meter.id,
        kind=label(meter.kind, language),
        quantity=quantity_label(meter.quantity, language),
        level=meter.level,
        unit=canonical_unit(meter.quantity),
        value=format_number(reading.value, 4) if reading else "–",
        time=format_time(reading.ts if reading else None, zone),
        quality=reading.quality.name.lower() if reading else "none",
        stale=stale,
        href=href,
    )
