"""Recomputing the interval aggregates of meters from their stored readings.

Readings later than every stored reading of their meter extend the stored rows
(:mod:`shuixiao.ingest._increments`).  When some arrive out of order, after
they are written every bucket they can change is recomputed from the stored
readings, inside the same transaction (and :meth:`Pipeline.rebuild` recomputes
whole periods the same way):

* a rate, pressure, level or quality reading changes the bucket it falls in;
* a totalizer reading at ``t`` changes the interval that ends at ``t`` (filed
  under the last good reading before it) and the one that starts at ``t``.

So the affected span runs from the last good reading before the earliest new
one (totalizers) or the earliest new one (others) to the latest new one.  At
each resolution the buckets overlapping that span are recomputed whole, from
the readings inside them (and, for totalizers, the first good reading after
them, which closes the last interval).

Months are the exception, since a month holds thousands of readings.  A day's
row keeps the month's statistic before the day (``month_before``), and the
values of a month before a given day do not change when later ones do.  So
when ingestion recomputes (``from_days=True``) the month is continued from the
last stored day at or before the span (its ``month_before``; the count,
minimum, maximum and worst flag of the days before it) with the values from
that day on, day by day with :func:`shuixiao.series.accumulate_groups`, which
also gives every later day of the month its new ``month_before``.  Where a
day's ``month_before`` is not kept (rows written by the demo generator or
before migration 0010) the month is recomputed from its first day, and its
days get it.  The steps are those of a computation of the whole month, so the
month's row is the same bit for bit.

The statistics are computed with
:func:`shuixiao.series.totalizer_intervals` (rollover at ``register_max``,
resets from replacement events), :func:`shuixiao.series.bucket_starts` on the
local calendar and :func:`shuixiao.series.accumulate`, the steps of
:func:`shuixiao.series.aggregate_by_bucket`, for the buckets of every meter of
a commit at once.  This is the same computation the demo generator applies to
a whole period, so replayed data gives the same stored aggregates as direct
generation.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from shuixiao.model import MeterKind, Quality
from shuixiao.series import (
    Aggregate,
    Reset,
    accumulate,
    accumulate_groups,
    bucket_starts,
    duration_seconds,
    totalizer_intervals,
)
from shuixiao.storage import BulkWriter, DayRows, ReadingWindow

__all__ = ["MeterSpec", "bucket_bounds", "recompute"]

_BAD = int(Quality.BAD)


@dataclass(frozen=True)
class MeterSpec:
    """What aggregation needs to know about a meter, in canonical units.

    Parameters
    ----------
    key : int
        The meter's store key.
    totalizer : bool
        Volumes from a register (summed) rather than values (averaged).
    register_max : float or None
        Register rollover value. [canonical unit]
    resets : tuple of Reset
        Replacements, registers in the canonical unit.
    """

    key: int
    totalizer: bool
    register_max: float | None
    resets: tuple[Reset, ...]

    @classmethod
    def of(cls, key: int, kind: MeterKind, register_max: float | None, resets: Sequence[Reset]) -> MeterSpec:
        """Build the spec of a meter of ``kind``."""
        return cls(key, kind is MeterKind.TOTALIZER, register_max, tuple(resets))


def bucket_bounds(ts: int, resolution: str, zone: ZoneInfo) -> tuple[int, int]:
    """Return the start and end of the bucket ``ts`` falls in (scalar :func:`shuixiao.series.bucket_starts`).

    Parameters
    ----------
    ts : int
        An instant. [s since epoch, UTC]
    resolution : str
        ``PT…`` (cut on the local wall clock), ``P1D`` or ``P1M``.
    zone : zoneinfo.ZoneInfo
        The calendar's zone.

    Returns
    -------
    tuple of int
        ``(start, end)`` of the bucket. [s since epoch, UTC]

    Examples
    --------
    >>> bucket_bounds(1735660800 + 5, "P1M", ZoneInfo("Asia/Shanghai"))  # 2025-01-01 00:00:05 local
    (1735660800, 1738339200)
    """
    seconds = duration_seconds(resolution)
    local = dt.datetime.fromtimestamp(ts, zone)
    if seconds is not None:
        offset = local.utcoffset()
        wall = ts + (int(offset.total_seconds()) if offset is not None else 0)
        start = ts - wall % seconds
        return start, start + seconds
    day = local.date() if resolution == "P1D" else local.date().replace(day=1)
    if resolution == "P1D":
        after = day + dt.timedelta(days=1)
    else:
        after = (day + dt.timedelta(days=32)).replace(day=1)
    return _midnight(day, zone), _midnight(after, zone)


_bounds = functools.lru_cache(maxsize=4096)(bucket_bounds)  # the meters of a commit share their buckets


def _midnight(day: dt.date, zone: ZoneInfo) -> int:
    """Local midnight starting ``day`` (as bucket_starts resolves it: the wall time read in the zone)."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=zone).timestamp())


def _next_good(writer: BulkWriter, key: int, start: int) -> ReadingWindow:
    """The first reading of meter ``key`` at or after ``start`` not flagged bad (looking past bad ones)."""
    probe = start
    while True:
        window = writer.read_window(key, probe, probe, after=True)
        good = np.flatnonzero(window.quality < _BAD)
        if good.size:
            i = int(good[0])
            return ReadingWindow(window.ts[i : i + 1], window.value[i : i + 1], window.quality[i : i + 1])
        if window.ts.size == 0 or int(window.ts[-1]) <= probe:
            return ReadingWindow(window.ts[:0], window.value[:0], window.quality[:0])
        probe = int(window.ts[-1])


# Rows to write: their meter keys, resolution, statistics, and for days their month_before.
_Part = tuple[npt.NDArray[np.int64], str, Aggregate, npt.NDArray[np.float64] | None]


def recompute(
    writer: BulkWriter,
    jobs: Sequence[tuple[MeterSpec, int, int]],
    resolutions: Sequence[str],
    tz: str,
    *,
    from_days: bool = False,
) -> int:
    """Recompute every aggregate bucket of each meter that overlaps its span; return rows written.

    Each meter's values are taken from its readings one meter at a time; the buckets of every
    meter are then computed together, one pass per resolution and kind of statistic, with
    :func:`shuixiao.series.accumulate` (so each bucket takes exactly the steps it takes alone),
    and written in one statement.  Months are continued day by day from the days' rows.

    Parameters
    ----------
    writer : BulkWriter
        The open transaction that wrote the readings.
    jobs : sequence of (MeterSpec, int, int)
        Each meter (once) with the first and last instant whose buckets changed. [s since epoch, UTC]
    resolutions : sequence of str
        ISO 8601 resolutions to maintain.
    tz : str
        IANA zone of the calendar.
    from_days : bool
        Continue each month from the stored day rows before the span (ingestion,
        whose day rows are those of the stored readings); otherwise each month
        is recomputed from its first day.
    """
    zone = ZoneInfo(tz)
    monthly = "P1D" in resolutions and "P1M" in resolutions
    priors = _month_priors(writer, jobs, zone) if from_days and monthly else {}
    sums: list[_Values] = []
    means: list[_Values] = []
    for meter, low, high in jobs:
        values = _values(writer, meter, low, high, resolutions, zone, priors.get(meter.key), monthly)
        if values is not None:
            (sums if meter.totalizer else means).append(values)
    kinds: tuple[tuple[Literal["sum", "mean"], list[_Values]], ...] = (("sum", sums), ("mean", means))
    parts: list[_Part] = []
    for how, chosen in kinds:
        for resolution in resolutions if chosen else ():
            if monthly and resolution == "P1M":
                continue  # from the days, below
            segments = _segments(chosen, resolution, tz)
            if segments is None:
                continue
            rows = _rows(segments, how)
            if monthly and resolution == "P1D":
                before, months = _months(segments, rows, how, tz, priors)
                parts += [(segments.key, resolution, rows, before), months]
            else:
                parts.append((segments.key, resolution, rows, None))
    if not parts:
        return 0
    start, value, minimum, maximum, count, quality = (
        np.concatenate([getattr(a, column) for _, _, a, _ in parts])
        for column in ("start", "value", "minimum", "maximum", "count", "quality")
    )
    return writer.upsert_aggregates(
        np.concatenate([keys for keys, _, _, _ in parts]),
        [resolution for _, resolution, a, _ in parts for _ in range(a.start.size)],
        start,
        value,
        minimum,
        maximum,
        count,
        quality,
        np.concatenate([np.full(a.start.size, np.nan) if b is None else b for _, _, a, b in parts]),
    )


@dataclass(frozen=True)
class _Prior:
    """What a meter's month holds before a stored day, from the day rows (:func:`_month_priors`)."""

    day: int  # start of the last stored day at or before the span, whose month_before is known
    month: int  # start of its month
    value: float
    count: int
    minimum: float
    maximum: float
    quality: int


def _month_priors(
    writer: BulkWriter, jobs: Sequence[tuple[MeterSpec, int, int]], zone: ZoneInfo
) -> dict[int, _Prior]:
    """Per meter key, its month's statistic before the last stored day at or before ``low`` (where known)."""
    months = [_bounds(low, "P1M", zone)[0] for _, low, _ in jobs]
    days: DayRows = writer.read_day_rows([m.key for m, _, _ in jobs], months, [low for _, low, _ in jobs])
    if not days.key.size:
        return {}
    month_of = {meter.key: month for (meter, _, _), month in zip(jobs, months, strict=True)}
    change = np.flatnonzero(np.r_[True, days.key[1:] != days.key[:-1], True])
    priors: dict[int, _Prior] = {}
    for first, end in zip(change[:-1].tolist(), change[1:].tolist(), strict=True):
        last = end - 1
        before = float(days.month_before[last])
        if np.isnan(before):
            continue  # not kept: the month is recomputed from its first day
        earlier = slice(first, last)
        key = int(days.key[last])
        priors[key] = _Prior(
            int(days.start[last]),
            month_of[key],
            before,
            int(days.count[earlier].sum()),
            float(days.minimum[earlier].min()) if last > first else np.inf,
            float(days.maximum[earlier].max()) if last > first else -np.inf,
            int(days.quality[earlier].max()) if last > first else 0,
        )
    return priors


@dataclass(frozen=True)
class _Values:
    """One meter's values to aggregate (volumes filed at their interval's start, or readings)."""

    key: int
    start: npt.NDArray[np.int64]
    value: npt.NDArray[np.float64]
    flag: npt.NDArray[np.int8]
    spans: dict[str, tuple[int, int, int]]  # resolution -> first bucket's start and end, end of the last


def _values(
    writer: BulkWriter,
    meter: MeterSpec,
    low: int,
    high: int,
    resolutions: Sequence[str],
    zone: ZoneInfo,
    prior: _Prior | None,
    monthly: bool,
) -> _Values | None:
    """The values of ``meter`` in the buckets overlapping ``[low, high]``, or None if there are none.

    With ``monthly`` (days and months kept) the days run from the prior's day
    (the month's first without one) to the end of the last month, since every
    later day of the month gets a new ``month_before``; the month's values
    before the prior's day are not read.
    """
    spans: dict[str, tuple[int, int, int]] = {}
    for resolution in resolutions:
        first, first_end = _bounds(low, resolution, zone)
        spans[resolution] = (first, first_end, _bounds(high, resolution, zone)[1])
    if monthly:
        day = prior.day if prior is not None else spans["P1M"][0]
        spans["P1D"] = (day, _bounds(day, "P1D", zone)[1], spans["P1M"][2])
    start = min(first for resolution, (first, _, _) in spans.items() if not (monthly and resolution == "P1M"))
    end = max(after for _, _, after in spans.values())
    window = writer.read_window(meter.key, start, end - 1)
    if not meter.totalizer:
        values = np.where(window.quality >= _BAD, np.nan, window.value)  # known-bad readings are left out
        return _Values(meter.key, window.ts, values, window.quality, spans)
    closing = _next_good(
        writer, meter.key, end
    )  # the first good reading after the window closes its last interval
    ts = np.concatenate((window.ts, closing.ts[:1]))
    register = np.concatenate((window.value, closing.value[:1]))
    quality = np.concatenate((window.quality, closing.quality[:1]))
    good = quality < _BAD  # a register known to be wrong gives no volume
    ts, register, quality = ts[good], register[good], quality[good]
    if ts.size < 2:
        return None
    intervals = totalizer_intervals(ts, register, register_max=meter.register_max, resets=meter.resets)
    flags = np.maximum(quality[:-1], quality[1:])
    return _Values(meter.key, intervals.start, intervals.volume, flags, spans)


@dataclass(frozen=True)
class _Segments:
    """The values of several meters cut into (meter, bucket) segments of one resolution."""

    key: npt.NDArray[np.int64]  # per segment
    start: npt.NDArray[np.int64]  # per segment: the bucket's start
    first: npt.NDArray[np.int64]  # per segment: where its values start
    value: npt.NDArray[np.float64]
    flag: npt.NDArray[np.int8]


def _segments(chosen: Sequence[_Values], resolution: str, tz: str) -> _Segments | None:
    """The buckets of ``resolution`` over each meter's span, all meters at once."""
    keys, starts, values, flags = [], [], [], []
    calendar = []  # positions in ``starts`` of the slices that span several buckets
    for item in chosen:
        first, first_end, after = item.spans[resolution]
        begin, stop = np.searchsorted(item.start, [first, after])  # starts are sorted
        if begin == stop:
            continue
        if first_end == after:  # one bucket: every value falls in it, no calendar arithmetic needed
            starts.append(np.full(stop - begin, first, dtype=np.int64))
        else:
            calendar.append(len(starts))
            starts.append(item.start[begin:stop])
        keys.append(np.full(stop - begin, item.key, dtype=np.int64))
        values.append(item.value[begin:stop])
        flags.append(item.flag[begin:stop])
    if not keys:
        return None
    if calendar:  # the buckets of every such slice in one call
        cut = np.cumsum([starts[i].size for i in calendar])[:-1]
        found = bucket_starts(np.concatenate([starts[i] for i in calendar]), resolution, tz)
        for i, part in zip(calendar, np.split(found, cut), strict=True):
            starts[i] = part
    key, bucket, value, flag = (np.concatenate(x) for x in (keys, starts, values, flags))
    kept = ~np.isnan(value)  # as aggregate_by_bucket: a NaN value is missing
    key, bucket, value, flag = key[kept], bucket[kept], value[kept], flag[kept]
    if not key.size:
        return None
    segment = np.flatnonzero(np.r_[True, (key[1:] != key[:-1]) | (bucket[1:] != bucket[:-1])])
    return _Segments(key[segment], bucket[segment], segment, value, flag)


def _rows(segments: _Segments, how: Literal["sum", "mean"]) -> Aggregate:
    """The aggregate row of each segment."""
    first, value = segments.first, segments.value
    return Aggregate(
        start=segments.start,
        value=accumulate(value, first, how),
        minimum=np.minimum.reduceat(value, first),
        maximum=np.maximum.reduceat(value, first),
        count=np.diff(np.r_[first, value.size]).astype(np.int64),
        quality=np.maximum.reduceat(segments.flag, first).astype(np.int8),
    )


def _months(
    days: _Segments, rows: Aggregate, how: Literal["sum", "mean"], tz: str, priors: dict[int, _Prior]
) -> tuple[npt.NDArray[np.float64], _Part]:
    """Each day's ``month_before``, and the rows of the months the days make up (continuing the priors)."""
    month = bucket_starts(days.start, "P1M", tz)
    new = np.r_[True, (days.key[1:] != days.key[:-1]) | (month[1:] != month[:-1])]
    group = np.cumsum(new) - 1
    heads = np.flatnonzero(new)
    key, start = days.key[heads], month[heads]
    chosen = [priors.get(k) for k in key.tolist()]
    found = [
        p if p is not None and p.month == m else None for p, m in zip(chosen, start.tolist(), strict=True)
    ]
    prior_value = np.array([0.0 if p is None else p.value for p in found])
    prior_count = np.array([0 if p is None else p.count for p in found], dtype=np.int64)
    before, _, total, total_count = accumulate_groups(
        days.value, days.first, group, how, prior_value=prior_value, prior_count=prior_count
    )
    low = np.minimum.reduceat(rows.minimum, heads)
    high = np.maximum.reduceat(rows.maximum, heads)
    worst = np.maximum.reduceat(rows.quality, heads).astype(np.int8)
    for i, p in enumerate(found):
        if p is not None and p.count:
            low[i], high[i], worst[i] = (
                min(low[i], p.minimum),
                max(high[i], p.maximum),
                max(int(worst[i]), p.quality),
            )
    months = Aggregate(start=start, value=total, minimum=low, maximum=high, count=total_count, quality=worst)
    return before, (key, "P1M", months, None)
