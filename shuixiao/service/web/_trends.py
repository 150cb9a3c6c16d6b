"""Daily and monthly metered intake, reuse and discharge of an enterprise, from the daily aggregates.

Each flow category is the sum of the meters on its flows (GB/T 12452 terms,
``docs/balance.md``): intake Vi is what leaves the source units; reuse Vr the
``recirculated`` flows into use units and the ``cascaded``, ``reclaimed`` and
``condensate`` flows; discharge Vd the ``discharge`` flows.  A totalizer's
daily aggregate is a volume [m³]; a rate meter's is its mean rate [m³/h],
counted as that rate over the whole local day.  Unmetered flows are not in
these sums: the full balance, with inferred flows, is the Sankey diagram.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from shuixiao.model import Enterprise, FlowCategory, MeterKind, UnitKind
from shuixiao.storage import Store

__all__ = ["TREND_SERIES", "Trend", "metered_flows", "read_trend"]

TREND_SERIES = ("intake", "reuse", "discharge")
"""The series of a trend, in drawing order."""

_REUSE = frozenset({FlowCategory.CASCADED, FlowCategory.RECLAIMED, FlowCategory.CONDENSATE})
_USE_KINDS = frozenset(
    {
        UnitKind.PROCESS,
        UnitKind.INDIRECT_COOLING,
        UnitKind.DIRECT_COOLING,
        UnitKind.BOILER,
        UnitKind.DOMESTIC,
    }
)
_HOURS_PER_DAY = 24.0


@dataclass
class Trend:
    """Metered volumes per local day and per local month.

    Parameters
    ----------
    days, months : list of str
        Local dates ``YYYY-MM-DD`` and months ``YYYY-MM``, ascending.
    daily, monthly : dict of str to list of float or None
        Per series of :data:`TREND_SERIES`, the volume of each day or month (None: no meter
        reported). [m³]
    meters : dict of str to list of str
        The meters summed in each series.
    """

    days: list[str] = field(default_factory=list)
    months: list[str] = field(default_factory=list)
    daily: dict[str, list[float | None]] = field(default_factory=dict)
    monthly: dict[str, list[float | None]] = field(default_factory=dict)
    meters: dict[str, list[str]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """True when no metered volume was found."""
        return not self.days

    def to_json(self) -> dict[str, object]:
        """Return the trend as the JSON data block of the trend chart."""
        return {
            "days": self.days,
            "months": self.months,
            "daily": self.daily,
            "monthly": self.monthly,
        }


def metered_flows(enterprise: Enterprise) -> dict[str, list[tuple[str, MeterKind]]]:
    """Return, per series of :data:`TREND_SERIES`, the volume and rate meters that measure it.

    Examples
    --------
    >>> from shuixiao.demo import DemoConfig, build_park
    >>> steel = build_park(DemoConfig(enterprises=1, days=1)).enterprises[0]
    >>> [m for m, _ in metered_flows(steel)["intake"]]
    ['FT-1001', 'FT-1002']
    """
    units = {u.id: u for u in enterprise.units}
    flows = {f.id: f for f in enterprise.flows}
    out: dict[str, list[tuple[str, MeterKind]]] = {name: [] for name in TREND_SERIES}
    for meter in enterprise.meters:
        if meter.flow is None or meter.kind not in (MeterKind.TOTALIZER, MeterKind.RATE):
            continue
        flow = flows.get(meter.flow)
        if flow is None:
            continue
        source = units.get(flow.from_unit)
        target = units.get(flow.to_unit) if flow.to_unit else None
        if source is not None and source.kind is UnitKind.SOURCE:
            out["intake"].append((meter.id, meter.kind))
        elif flow.category is FlowCategory.DISCHARGE:
            out["discharge"].append((meter.id, meter.kind))
        elif flow.category in _REUSE or (
            flow.category is FlowCategory.RECIRCULATED and target is not None and target.kind in _USE_KINDS
        ):
            out["reuse"].append((meter.id, meter.kind))
    return out


def read_trend(store: Store, enterprise: Enterprise, end: dt.datetime, months: int, zone: ZoneInfo) -> Trend:
    """Read the metered daily volumes of the ``months`` local months up to ``end`` and sum them.

    Parameters
    ----------
    store : Store
        Where the daily (``P1D``) aggregates are.
    enterprise : Enterprise
        The enterprise.
    end : datetime.datetime
        Aware end of the window (exclusive), e.g. the end of the dashboard's month.
    months : int
        Number of local calendar months, ending with the one before ``end``.
    zone : zoneinfo.ZoneInfo
        The zone that cuts days and months.

    Returns
    -------
    Trend
    """
    last = (end - dt.timedelta(seconds=1)).astimezone(zone)
    index = last.year * 12 + last.month - 1 - (months - 1)
    start = dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=zone)
    per_day: dict[str, dict[str, float]] = {name: {} for name in TREND_SERIES}
    used: dict[str, list[str]] = {name: [] for name in TREND_SERIES}
    for series, meters in metered_flows(enterprise).items():
        for meter_id, kind in meters:
            frame = store.read_aggregates(enterprise.id, meter_id, "P1D", start, end)
            frame = frame[frame["count"] > 0]
            if frame.empty:
                continue
            used[series].append(meter_id)
            scale = 1.0 if kind is MeterKind.TOTALIZER else _HOURS_PER_DAY
            for moment, value in zip(frame["start"], frame["value"], strict=True):
                day = moment.tz_convert(zone).strftime("%Y-%m-%d")
                per_day[series][day] = per_day[series].get(day, 0.0) + float(value) * scale
    days = sorted(set().union(*(d.keys() for d in per_day.values())))
    month_keys = sorted({d[:7] for d in days})
    trend = Trend(days=days, months=month_keys, meters=used)
    for series in TREND_SERIES:
        daily = per_day[series]
        trend.daily[series] = [round(daily[d], 1) if d in daily else None for d in days]
        totals: dict[str, float] = {}
        for d, v in daily.items():
            totals[d[:7]] = totals.get(d[:7], 0.0) + v
        trend.monthly[series] = [round(totals[m], 1) if m in totals else None for m in month_keys]
    return trend
