"""The meter page: raw readings and interval aggregates of one meter with their quality flags and gaps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

from shuixiao.model import Enterprise, Meter, MeterKind, Quality, label, quantity_label
from shuixiao.service.web._config import Defaults
from shuixiao.service.web._format import chart_ms, format_number, gapped
from shuixiao.service.web._i18n import Translator
from shuixiao.storage import Store
from shuixiao.units import canonical_unit

__all__ = ["MeterView", "Window", "meter_view", "parse_window"]

_EPOCH = pd.Timestamp(0, tz="UTC")
_FLAGGED = (Quality.ESTIMATED, Quality.SUSPECT, Quality.BAD)


@dataclass(frozen=True)
class Window:
    """The local days a meter page shows.

    Parameters
    ----------
    first, last : datetime.date
        First and last local day shown (inclusive).
    zone : zoneinfo.ZoneInfo
        The zone the days are cut in.
    """

    first: dt.date
    last: dt.date
    zone: ZoneInfo

    @property
    def days(self) -> int:
        """Number of days in the window."""
        return (self.last - self.first).days + 1

    @property
    def start(self) -> dt.datetime:
        """First instant of the window (aware)."""
        return dt.datetime.combine(self.first, dt.time(0), tzinfo=self.zone)

    @property
    def end(self) -> dt.datetime:
        """First instant after the window (aware)."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(0), tzinfo=self.zone)


def parse_window(
    days: str | None, end: str | None, last: dt.datetime | None, zone: ZoneInfo, limits: Defaults
) -> Window:
    """Return the window of a meter page from its query parameters.

    Parameters
    ----------
    days : str or None
        Number of days; clamped to ``1 … meter_max_days``; the default when missing or not a number.
    end : str or None
        Last local day ``YYYY-MM-DD``; the day of ``last`` (or today) when missing or not a date
        (a last reading at midnight counts for the day before).
    last : datetime.datetime or None
        The enterprise's last reading.
    zone : zoneinfo.ZoneInfo
    limits : Defaults

    Examples
    --------
    >>> from shuixiao.service.web._config import defaults
    >>> w = parse_window("3", "2025-04-18", None, ZoneInfo("Asia/Shanghai"), defaults())
    >>> w.first, w.days
    (datetime.date(2025, 4, 16), 3)
    >>> parse_window("999", "nonsense", None, ZoneInfo("UTC"), defaults()).days
    92
    """
    try:
        count = int(days) if days else limits.meter_days
    except ValueError:
        count = limits.meter_days
    count = min(max(count, 1), limits.meter_max_days)
    try:
        last_day = dt.date.fromisoformat(end) if end else None
    except ValueError:
        last_day = None
    if last_day is None:
        # A reading at exactly midnight closes the day before (a totalizer's last register reading).
        latest = last - dt.timedelta(seconds=1) if last else dt.datetime.now(dt.UTC)
        last_day = latest.astimezone(zone).date()
    return Window(last_day - dt.timedelta(days=count - 1), last_day, zone)


@dataclass
class MeterView:
    """What the meter page shows.

    Parameters
    ----------
    id, title : str
        The meter's tag and its description.
    facts : list of (str, str)
        Label and value of each property of the meter.
    unit : str
        Canonical unit of the values.
    window : Window
    resolution : str
        Resolution of the interval chart (``PT1H`` or ``P1D``).
    readings : int
        Raw readings in the window.
    quality_counts : dict of str to int
        Readings per quality flag name (``good``, ``estimated``, ``suspect``, ``bad``).
    gaps : int
        Gaps in the raw series (spacing above the gap factor).
    longest_gap : str
        Longest gap, formatted. [h]
    charts : dict
        The JSON data block of the two charts.
    """

    id: str
    title: str
    facts: list[tuple[str, str]]
    unit: str
    window: Window
    resolution: str
    readings: int = 0
    quality_counts: dict[str, int] = field(default_factory=dict)
    gaps: int = 0
    longest_gap: str = "–"
    charts: dict[str, object] = field(default_factory=dict)


def _seconds(column: pd.Series) -> npt.NDArray[np.int64]:
    seconds: npt.NDArray[np.int64] = ((column - _EPOCH) // pd.Timedelta(seconds=1)).to_numpy(np.int64)
    return seconds


def _facts(enterprise: Enterprise, meter: Meter, t: Translator) -> list[tuple[str, str]]:
    where = "–"
    if meter.water_unit:
        unit = next((u for u in enterprise.units if u.id == meter.water_unit), None)
        where = t.pick(unit.name, unit.name_en) if unit else meter.water_unit
    elif meter.flow:
        flow = next((f for f in enterprise.flows if f.id == meter.flow), None)
        if flow is not None:
            names = {u.id: t.pick(u.name, u.name_en) for u in enterprise.units}
            target = names.get(flow.to_unit, "–") if flow.to_unit else label(flow.category, t.language)
            where = (
                f"{names.get(flow.from_unit, flow.from_unit)} → {target} ({label(flow.category, t.language)})"
            )
    return [
        (t("meter.kind"), label(meter.kind, t.language)),
        (
            t("meter.quantity"),
            f"{quantity_label(meter.quantity, t.language)} [{canonical_unit(meter.quantity)}]",
        ),
        (t("meter.reports_in"), meter.unit),
        (t("meter.level"), t("tree.level_n", level=meter.level)),
        (t("meter.where"), where),
        (t("meter.accuracy"), f"{meter.accuracy_class:g} %" if meter.accuracy_class is not None else "–"),
        (t("meter.installed"), meter.installed.isoformat() if meter.installed else "–"),
        (t("meter.calibrated"), meter.calibrated.isoformat() if meter.calibrated else "–"),
        (t("meter.device"), " · ".join(x for x in (meter.device, meter.model) if x) or "–"),
    ]


def _flags(
    ms: list[int], values: npt.NDArray[np.float64], quality: npt.NDArray[np.int8]
) -> dict[str, object]:
    out: dict[str, object] = {}
    for flag in _FLAGGED:
        index = np.flatnonzero(quality == int(flag))
        vals = values[index].tolist()
        out[flag.name.lower()] = [
            [ms[i], v if np.isfinite(v) else None] for i, v in zip(index.tolist(), vals, strict=True)
        ]
    return out


def meter_view(
    store: Store,
    enterprise: Enterprise,
    meter: Meter,
    window: Window,
    resolution: str | None,
    t: Translator,
    limits: Defaults,
) -> MeterView:
    """Read a meter's readings and aggregates in ``window`` and assemble the meter page.

    Parameters
    ----------
    store : Store
    enterprise : Enterprise
    meter : Meter
        A meter of ``enterprise``.
    window : Window
    resolution : str or None
        ``PT1H`` or ``P1D`` for the interval chart; chosen from the window length otherwise.
    t : Translator
        Texts in the page language.
    limits : Defaults
    """
    zone = window.zone
    if resolution not in ("PT1H", "P1D"):
        resolution = "PT1H" if window.days <= limits.hourly_max_days else "P1D"
    unit = canonical_unit(meter.quantity)
    view = MeterView(
        id=meter.id,
        title=meter.name or meter.id,
        facts=_facts(enterprise, meter, t),
        unit=unit,
        window=window,
        resolution=resolution,
    )
    raw = store.read_readings(enterprise.id, meter.id, window.start, window.end)
    seconds = _seconds(raw["ts"])
    values = raw["value"].to_numpy(np.float64)
    quality = raw["quality"].to_numpy(np.int8)
    ms = chart_ms(seconds, zone)
    view.readings = len(raw)
    view.quality_counts = {q.name.lower(): int(np.count_nonzero(quality == int(q))) for q in Quality}
    if len(seconds) > 1:
        spacing = np.diff(seconds)
        usual = float(np.median(spacing))
        wide = spacing[spacing > limits.gap_factor * usual]
        view.gaps = len(wide)
        view.longest_gap = format_number(float(wide.max()) / 3600.0) if len(wide) else "–"
    aggregates = store.read_aggregates(enterprise.id, meter.id, resolution, window.start, window.end)
    a_ms = chart_ms(_seconds(aggregates["start"]), zone)
    a_values = aggregates["value"].to_numpy(np.float64)
    volume = meter.kind is MeterKind.TOTALIZER
    view.charts = {
        "unit": unit,
        "volume": volume,
        "window": chart_ms(
            np.array([window.start.timestamp(), window.end.timestamp()], dtype=np.int64), zone
        ),
        "raw": {
            "name": t("meter.raw_register") if volume else t("meter.raw"),
            # Readings flagged bad are not measurements of the process: they break the line and are dotted.
            "points": gapped(ms, np.where(quality == int(Quality.BAD), np.nan, values), limits.gap_factor),
            "flags": _flags(ms, values, quality),
        },
        "interval": {
            "name": t("meter.interval_volume") if volume else t("meter.interval_mean"),
            "points": gapped(a_ms, a_values, limits.gap_factor),
            "minimum": []
            if volume
            else gapped(a_ms, aggregates["minimum"].to_numpy(np.float64), limits.gap_factor),
            "maximum": []
            if volume
            else gapped(a_ms, aggregates["maximum"].to_numpy(np.float64), limits.gap_factor),
            "flags": _flags(a_ms, a_values, aggregates["quality"].to_numpy(np.int8)),
            "names": {"minimum": t("meter.minimum"), "maximum": t("meter.maximum")},
        },
        "flagNames": {q.name.lower(): t(f"quality.{q.name.lower()}") for q in _FLAGGED},
    }
    return view
