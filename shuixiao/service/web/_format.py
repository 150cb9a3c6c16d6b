"""Numbers, times and chart timestamps as the dashboards show them (pure helpers).

Times are stored in UTC and shown in the instance's time zone (setting
``timezone``, Asia/Shanghai by default), whatever the zone of the browser:
chart timestamps are sent as *local wall-clock* milliseconds and the charts
are drawn with ECharts' ``useUTC`` option, so a reading taken at 08:00 in
Shanghai is drawn at 08:00 in Berlin too.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

__all__ = [
    "chart_ms",
    "format_number",
    "format_time",
    "gapped",
    "local_midnight",
    "local_month_start",
    "next_month",
]


def format_number(value: float | None, digits: int = 3) -> str:
    """Return ``value`` with thousands separators and about ``digits`` significant digits.

    Integers part never loses digits; NaN and None give an en dash.

    Examples
    --------
    >>> format_number(1234567.891)
    '1,234,568'
    >>> format_number(97.4321)
    '97.4'
    >>> format_number(0.012345)
    '0.0123'
    >>> format_number(float("nan"))
    '–'
    """
    if value is None or not math.isfinite(value):
        return "–"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, digits - 1 - magnitude)
    return f"{value:,.{decimals}f}"


def format_time(moment: dt.datetime | None, zone: ZoneInfo, *, seconds: bool = False) -> str:
    """Return an aware ``moment`` as local ``YYYY-MM-DD HH:MM`` in ``zone`` (en dash for None).

    Examples
    --------
    >>> format_time(dt.datetime(2025, 3, 9, 16, 0, tzinfo=dt.UTC), ZoneInfo("Asia/Shanghai"))
    '2025-03-10 00:00'
    """
    if moment is None:
        return "–"
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def chart_ms(seconds: npt.NDArray[np.int64], zone: ZoneInfo) -> list[int]:
    """Return UTC epoch ``seconds`` as local wall-clock milliseconds in ``zone`` (for ``useUTC`` charts).

    Examples
    --------
    >>> chart_ms(np.array([0], dtype=np.int64), ZoneInfo("Asia/Shanghai"))
    [28800000]
    """
    out: list[int] = []
    offset_until = -1
    offset = 0
    for s in seconds.tolist():
        if s >= offset_until:
            # Offsets change rarely (DST): look the offset up again only past the next hour boundary.
            moment = dt.datetime.fromtimestamp(s, dt.UTC)
            delta = moment.astimezone(zone).utcoffset()
            offset = int(delta.total_seconds()) if delta is not None else 0
            offset_until = s - s % 3600 + 3600
        out.append((s + offset) * 1000)
    return out


def gapped(ms: list[int], values: npt.NDArray[np.float64], factor: float) -> list[tuple[int, float | None]]:
    """Return ``(ms, value)`` chart points with a ``None`` point inside every gap.

    A gap is a spacing larger than ``factor`` times the median spacing of the
    series; the inserted null point makes the chart break the line there
    instead of joining across missing data.  NaN values become None too.

    Examples
    --------
    >>> gapped([0, 1000, 2000, 9000, 10000], np.array([1.0, 2.0, 3.0, 4.0, 5.0]), 1.5)
    [(0, 1.0), (1000, 2.0), (2000, 3.0), (2001, None), (9000, 4.0), (10000, 5.0)]
    """
    points: list[tuple[int, float | None]] = []
    if not ms:
        return points
    spacing = float(np.median(np.diff(ms))) if len(ms) > 1 else 0.0
    limit = factor * spacing
    previous: int | None = None
    for t, v in zip(ms, values.tolist(), strict=True):
        if previous is not None and spacing > 0 and t - previous > limit:
            points.append((previous + 1, None))
        points.append((t, v if math.isfinite(v) else None))
        previous = t
    return points


def local_month_start(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """Return the first instant (aware, in ``zone``) of the local calendar month of ``moment``.

    Examples
    --------
    >>> local_month_start(dt.datetime(2025, 3, 31, 16, 30, tzinfo=dt.UTC), ZoneInfo("Asia/Shanghai"))
    datetime.datetime(2025, 4, 1, 0, 0, tzinfo=zoneinfo.ZoneInfo(key='Asia/Shanghai'))
    """
    local = moment.astimezone(zone)
    return dt.datetime(local.year, local.month, 1, tzinfo=zone)


def next_month(start: dt.datetime) -> dt.datetime:
    """Return the first instant of the month after the local month starting at ``start``.

    Examples
    --------
    >>> next_month(dt.datetime(2025, 12, 1, tzinfo=ZoneInfo("Asia/Shanghai"))).date()
    datetime.date(2026, 1, 1)
    """
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return start.replace(year=year, month=month, day=1)


def local_midnight(moment: dt.datetime, zone: ZoneInfo, *, up: bool = False) -> dt.datetime:
    """Return the local midnight (in ``zone``) at or before ``moment``, or at or after it when ``up``.

    Examples
    --------
    >>> z = ZoneInfo("Asia/Shanghai")
    >>> local_midnight(dt.datetime(2025, 4, 18, 16, 0, tzinfo=dt.UTC), z, up=True).isoformat()
    '2025-04-19T00:00:00+08:00'
    >>> local_midnight(dt.datetime(2025, 4, 18, 17, 0, tzinfo=dt.UTC), z, up=True).isoformat()
    '2025-04-20T00:00:00+08:00'
    >>> local_midnight(dt.datetime(2025, 4, 18, 17, 0, tzinfo=dt.UTC), z).isoformat()
    '2025-04-19T00:00:00+08:00'
    """
    local = moment.astimezone(zone)
    floor = dt.datetime(local.year, local.month, local.day, tzinfo=zone)
    if up and floor < local:
        following = floor.date() + dt.timedelta(days=1)
        return dt.datetime(following.year, following.month, following.day, tzinfo=zone)
    return floor
