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
them, which closes the last interval), with
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
from collections import OrderedDict
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
    bucket_starts,
    duration_seconds,
    totalizer_intervals,
)
from shuixiao.storage import BulkWriter, ReadingWindow

__all__ = ["MeterSpec", "WindowCache", "bucket_bounds", "recompute"]

_BAD = int(Quality.BAD)
_RECENT = 2  # how far back, in readings added elsewhere, a stale copy is read again


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


class WindowCache:
    """Stored readings of recently recomputed windows, so a stream does not re-read a month per commit.

    A window is reused only while :meth:`BulkWriter.window_stamp` (count,
    first and last time of the readings in it) equals the stamp of the copy:
    readings are only ever added, so any change made elsewhere (another
    worker, a file import) changes the stamp and the window is read again.
    Readings written by this pipeline are added to the copy (:meth:`add`).

    Parameters
    ----------
    max_rows : int
        Most readings held; the least recently used windows are dropped first.
    """

    def __init__(self, max_rows: int = 2_000_000) -> None:
        self._max_rows = max_rows
        self._rows = 0
        self._windows: OrderedDict[int, tuple[int, int, ReadingWindow]] = OrderedDict()

    def read(self, writer: BulkWriter, key: int, start: int, end: int) -> ReadingWindow | None:
        """The readings of meter ``key`` in ``[start, end)`` from the copy, or None if it is missing or stale."""
        held = self._windows.get(key)
        if held is None or not held[0] <= start < end <= held[1]:
            return None
        low, high, window = held
        stamp = (
            (int(window.ts.size), *(int(t) for t in window.ts[[0, -1]]))
            if window.ts.size
            else (0, None, None)
        )
        now = writer.window_stamp(key, low, high - 1)
        if now != stamp:
            caught_up = self._catch_up(writer, key, low, high, window, now)
            if caught_up is None:
                self._drop(key)
                return None
            window = caught_up
        self._windows.move_to_end(key)
        first, stop = np.searchsorted(window.ts, [start, end])
        return ReadingWindow(window.ts[first:stop], window.value[first:stop], window.quality[first:stop])

    def _catch_up(
        self,
        writer: BulkWriter,
        key: int,
        low: int,
        high: int,
        window: ReadingWindow,
        now: tuple[int, int | None, int | None],
    ) -> ReadingWindow | None:
        """The copy with what others added among its recent readings, or None if they added further back.

        Readings are only ever added.  When ``n`` were added, the copy keeps its
        readings before its last ``_RECENT * n`` and reads the rest of the window
        again: if the readings stored from there on make up the whole difference in
        count, nothing was added before, and the copy's older part is still what is
        stored.  Another worker taking turns on the same meters adds among the
        readings of this worker's last commit, so one short read usually suffices.
        """
        count, first, _ = now
        size = int(window.ts.size)
        added = count - size
        if not size or added <= 0 or first != int(window.ts[0]):
            return None
        keep = max(size - _RECENT * added, 0)
        recent = writer.read_window(key, int(window.ts[keep]), high - 1)
        if keep + recent.ts.size != count:
            return None
        merged = ReadingWindow(
            np.concatenate((window.ts[:keep], recent.ts)),
            np.concatenate((window.value[:keep], recent.value)),
            np.concatenate((window.quality[:keep], recent.quality)),
        )
        self._rows += added
        self._windows[key] = (low, high, merged)
        return merged

    def keep(self, key: int, start: int, end: int, window: ReadingWindow) -> None:
        """Hold the readings of meter ``key`` in ``[start, end)``, as just read."""
        self._drop(key)
        self._windows[key] = (start, end, window)
        self._rows += int(window.ts.size)
        while self._rows > self._max_rows and len(self._windows) > 1:
            self._drop(next(iter(self._windows)))

    def add(
        self,
        key: int,
        ts: npt.NDArray[np.int64],
        value: npt.NDArray[np.float64],
        quality: npt.NDArray[np.int8],
    ) -> None:
        """Merge readings just written for meter ``key`` into its copy (those inside the held window)."""
        held = self._windows.get(key)
        if held is None:
            return
        low, high, window = held
        inside = (ts >= low) & (ts < high)
        if not inside.any():
            return
        merged_ts = np.concatenate((window.ts, ts[inside]))
        order = np.argsort(merged_ts, kind="stable")
        merged = ReadingWindow(
            merged_ts[order],
            np.concatenate((window.value, value[inside]))[order],
            np.concatenate((window.quality, quality[inside].astype(np.int8)))[order],
        )
        self._rows += int(inside.sum())
        self._windows[key] = (low, high, merged)

    def clear(self) -> None:
        """Forget every window."""
        self._windows.clear()
        self._rows = 0

    def _drop(self, key: int) -> None:
        held = self._windows.pop(key, None)
        if held is not None:
            self._rows -= int(held[2].ts.size)


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


def recompute(
    writer: BulkWriter,
    jobs: Sequence[tuple[MeterSpec, int, int]],
    resolutions: Sequence[str],
    tz: str,
    cache: WindowCache | None = None,
) -> int:
    """Recompute every aggregate bucket of each meter that overlaps its span; return rows written.

    Each meter's values are taken from its readings one meter at a time; the buckets of every
    meter are then computed together, one pass per resolution and kind of statistic, with
    :func:`shuixiao.series.accumulate` (so each bucket takes exactly the steps it takes alone),
    and written in one statement.

    Parameters
    ----------
    writer : BulkWriter
        The open transaction that wrote the readings.
    jobs : sequence of (MeterSpec, int, int)
        Each meter with the first and last instant whose buckets changed. [s since epoch, UTC]
    resolutions : sequence of str
        ISO 8601 resolutions to maintain.
    tz : str
        IANA zone of the calendar.
    cache : WindowCache, optional
        Readings of recently recomputed windows, reused when still valid.
    """
    zone = ZoneInfo(tz)
    sums: list[_Values] = []
    means: list[_Values] = []
    for meter, low, high in jobs:
        values = _values(writer, meter, low, high, resolutions, zone, cache)
        if values is not None:
            (sums if meter.totalizer else means).append(values)
    kinds: tuple[tuple[Literal["sum", "mean"], list[_Values]], ...] = (("sum", sums), ("mean", means))
    parts = [
        part
        for how, chosen in kinds
        if chosen
        for resolution in resolutions
        if (part := _buckets(chosen, resolution, how, tz)) is not None
    ]
    if not parts:
        return 0
    return writer.upsert_aggregates(
        np.concatenate([keys for keys, _, _ in parts]),
        [resolution for _, resolution, a in parts for _ in range(a.start.size)],
        *(
            np.concatenate([getattr(a, column) for _, _, a in parts])
            for column in ("start", "value", "minimum", "maximum", "count", "quality")
        ),
    )


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
    cache: WindowCache | None,
) -> _Values | None:
    """The values of ``meter`` in the buckets overlapping ``[low, high]``, or None if there are none."""
    spans: dict[str, tuple[int, int, int]] = {}
    for resolution in resolutions:
        first, first_end = bucket_bounds(low, resolution, zone)
        spans[resolution] = (first, first_end, bucket_bounds(high, resolution, zone)[1])
    start = min(first for first, _, _ in spans.values())
    end = max(after for _, _, after in spans.values())
    window = cache.read(writer, meter.key, start, end) if cache is not None else None
    if window is None:
        window = writer.read_window(meter.key, start, end - 1)
        if cache is not None:
            cache.keep(meter.key, start, end, window)
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


def _buckets(
    chosen: Sequence[_Values], resolution: str, how: Literal["sum", "mean"], tz: str
) -> tuple[npt.NDArray[np.int64], str, Aggregate] | None:
    """The buckets of ``resolution`` over each meter's span, all meters at once: (meter keys, resolution, rows)."""
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
    count = np.diff(np.r_[segment, key.size]).astype(np.int64)
    rows = Aggregate(
        start=bucket[segment],
        value=accumulate(value, segment, how),
        minimum=np.minimum.reduceat(value, segment),
        maximum=np.maximum.reduceat(value, segment),
        count=count,
        quality=np.maximum.reduceat(flag, segment).astype(np.int8),
    )
    return key[segment], resolution, rows
