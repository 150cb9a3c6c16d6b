"""Periods on the local calendar: years, months and month ranges as aware UTC datetimes."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from shuixiao.errors import InvalidInputError

__all__ = [
    "as_zone",
    "local_dates",
    "local_period",
    "month_starts",
    "parse_month_range",
]

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def as_zone(zone: str | ZoneInfo) -> ZoneInfo:
    """Return ``zone`` as a :class:`zoneinfo.ZoneInfo` (an IANA name or a ZoneInfo)."""
    if isinstance(zone, ZoneInfo):
        return zone
    try:
        return ZoneInfo(zone)
    except (KeyError, ValueError) as err:
        raise InvalidInputError(f"{zone!r} is not an IANA time zone; use e.g. Asia/Shanghai") from err


def _midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(dt.UTC)


def local_period(
    year: int, month: int | None = None, *, zone: str | ZoneInfo = "Asia/Shanghai"
) -> tuple[dt.datetime, dt.datetime]:
    """Return the UTC bounds ``[start, end)`` of a local calendar year or month.

    Parameters
    ----------
    year : int
    month : int, optional
        1–12; the whole year when omitted.
    zone : str or zoneinfo.ZoneInfo
        Time zone whose calendar cuts the period.

    Raises
    ------
    InvalidInputError
        For a month outside 1–12 or a year outside 1970–2100.

    Examples
    --------
    >>> start, end = local_period(2025, 3)
    >>> start.isoformat(), end.isoformat()
    ('2025-02-28T16:00:00+00:00', '2025-03-31T16:00:00+00:00')
    """
    tz = as_zone(zone)
    if not 1970 <= year <= 2100:
        raise InvalidInputError(f"year {year} is outside 1970–2100")
    if month is None:
        return _midnight(dt.date(year, 1, 1), tz), _midnight(dt.date(year + 1, 1, 1), tz)
    if not 1 <= month <= 12:
        raise InvalidInputError(f"month {month} is not 1–12")
    first = dt.date(year, month, 1)
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return _midnight(first, tz), _midnight(following, tz)


def _parse_bound(text: str, *, end: bool, zone: ZoneInfo) -> dt.datetime:
    text = text.strip()
    if m := _MONTH.match(text):
        start, stop = local_period(int(m[1]), int(m[2]), zone=zone)
        return stop if end else start
    if m := _DAY.match(text):
        try:
            day = dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError as err:
            raise InvalidInputError(f"{text!r} is not a date: {err}") from err
        return _midnight(day + dt.timedelta(days=1) if end else day, zone)
    raise InvalidInputError(f"{text!r} is not a month (2025-01) or a day (2025-01-31)")


def parse_month_range(
    text: str, *, zone: str | ZoneInfo = "Asia/Shanghai"
) -> tuple[dt.datetime, dt.datetime]:
    """Return the UTC bounds of ``FIRST..LAST`` (months or days, both included) on the local calendar.

    ``2025-01..2025-06`` is January to June 2025; ``2025-03`` alone one month;
    ``2025-01-01..2025-01-14`` two weeks.

    Raises
    ------
    InvalidInputError
        If the text is not of that form or the range is empty.

    Examples
    --------
    >>> a, b = parse_month_range("2025-01..2025-06")
    >>> a.isoformat(), b.isoformat()
    ('2024-12-31T16:00:00+00:00', '2025-06-30T16:00:00+00:00')
    """
    tz = as_zone(zone)
    first, _, last = text.partition("..")
    start = _parse_bound(first, end=False, zone=tz)
    end = _parse_bound(last or first, end=True, zone=tz)
    if end <= start:
        raise InvalidInputError(f"the range {text!r} ends before it starts")
    return start, end


def month_starts(start: dt.datetime, end: dt.datetime, zone: str | ZoneInfo) -> list[dt.datetime]:
    """Return the local month boundaries in ``[start, end]`` (UTC), ``start`` and ``end`` included.

    The result cuts ``[start, end)`` into pieces that each lie in one local month.
    """
    tz = as_zone(zone)
    local = start.astimezone(tz)
    cuts = [start]
    year, month = local.year, local.month
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        boundary = _midnight(dt.date(year, month, 1), tz)
        if boundary >= end:
            break
        cuts.append(boundary)
    cuts.append(end)
    return cuts


def local_dates(start: dt.datetime, end: dt.datetime, zone: str | ZoneInfo) -> tuple[dt.date, dt.date]:
    """Return the local dates ``[first, last)`` of a period for the day-based production records.

    ``end`` at local midnight gives that day as the exclusive end; otherwise the next day.
    """
    tz = as_zone(zone)
    a, b = start.astimezone(tz), end.astimezone(tz)
    last = b.date() if b.time() == dt.time(0) else b.date() + dt.timedelta(days=1)
    return a.date(), last


def check_period(start: dt.datetime, end: dt.datetime) -> None:
    """Refuse naive datetimes and empty periods."""
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInputError("give the period as aware datetimes (with a time zone)")
    if end <= start:
        raise InvalidInputError(
            f"the period must end after it starts ({start.isoformat()} … {end.isoformat()})"
        )
