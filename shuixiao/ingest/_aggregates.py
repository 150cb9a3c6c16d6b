"""Recomputing the interval aggregates of a meter from its stored readings.

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
resets from replacement events) and :func:`shuixiao.series.aggregate_by_bucket`
on the local calendar.  This is the same computation the demo generator applies
to a whole period, so replayed data gives the same stored aggregates as direct
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
    aggregate_by_bucket,
    bucket_starts,
    duration_seconds,
    totalizer_intervals,
)
from shuixiao.storage import BulkWriter, ReadingWindow

__all__ = ["MeterSpec", "WindowCache", "bucket_bounds", "recompute", "write_rows"]

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
        """The copy with what others added after its last reading, or None if they added before it too.

        Readings are only ever added: when the readings stored after the copy's
        last one make up the whole difference in count, nothing was added before it.
        """
        count, first, last = now
        if not window.ts.size or first != int(window.ts[0]) or last is None or last <= int(window.ts[-1]):
            return None
        added = writer.read_window(key, int(window.ts[-1]) + 1, high - 1)
        if window.ts.size + added.ts.size != count:
            return None
        merged = ReadingWindow(
            np.concatenate((window.ts, added.ts)),
            np.concatenate((window.value, added.value)),
            np.concatenate((window.quality, added.quality)),
        )
        self._rows += int(added.ts.size)
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
    meter: MeterSpec,
    low: int,
    high: int,
    resolutions: Sequence[str],
    tz: str,
    cache: WindowCache | None = None,
    rows: list[tuple[int, str, Aggregate]] | None = None,
) -> int:
    """Recompute every aggregate bucket of ``meter`` that overlaps ``[low, high]``; return rows written.

    Parameters
    ----------
    writer : BulkWriter
        The open transaction that wrote the readings.
    meter : MeterSpec
    low, high : int
        First and last instant whose buckets changed. [s since epoch, UTC]
    resolutions : sequence of str
        ISO 8601 resolutions to maintain.
    tz : str
        IANA zone of the calendar.
    cache : WindowCache, optional
        Readings of recently recomputed windows, reused when still valid.
    rows : list, optional
        Collects ``(meter key, resolution, aggregate)`` for :func:`write_rows` instead of
        writing them here (one statement for many meters).
    """
    zone = ZoneInfo(tz)
    spans: dict[str, tuple[int, int]] = {}
    spans_end: dict[str, int] = {}  # end of the first bucket, to spot single-bucket spans
    for resolution in resolutions:
        first, first_end = bucket_bounds(low, resolution, zone)
        spans[resolution] = (first, bucket_bounds(high, resolution, zone)[1])
        spans_end[resolution] = first_end
    start = min(a for a, _ in spans.values())
    end = max(b for _, b in spans.values())
    window = cache.read(writer, meter.key, start, end) if cache is not None else None
    if window is None:
        window = writer.read_window(meter.key, start, end - 1)
        if cache is not None:
            cache.keep(meter.key, start, end, window)
    if meter.totalizer:  # the first good reading after the window closes its last interval
        closing = _next_good(writer, meter.key, end)
        window = ReadingWindow(
            np.concatenate((window.ts, closing.ts[:1])),
            np.concatenate((window.value, closing.value[:1])),
            np.concatenate((window.quality, closing.quality[:1])),
        )
        good = window.quality < _BAD  # a register known to be wrong gives no volume
        ts, register, quality = window.ts[good], window.value[good], window.quality[good]
        if ts.size < 2:
            return 0
        intervals = totalizer_intervals(ts, register, register_max=meter.register_max, resets=meter.resets)
        starts, values = intervals.start, intervals.volume
        flags = np.maximum(quality[:-1], quality[1:])
        how: Literal["sum", "mean"] = "sum"
    else:
        starts = window.ts
        values = np.where(window.quality >= _BAD, np.nan, window.value)  # known-bad readings are left out
        flags = window.quality
        how = "mean"
    written = 0
    for resolution, (first, after) in spans.items():
        begin, stop = np.searchsorted(starts, [first, after])  # starts are sorted
        if begin == stop:
            continue
        ends = spans_end.get(resolution)
        if ends == after:  # one bucket: every value falls in it, no calendar arithmetic needed
            bucket = np.full(stop - begin, first, dtype=np.int64)
        else:
            bucket = bucket_starts(starts[begin:stop], resolution, tz)
        result = aggregate_by_bucket(bucket, values[begin:stop], how, flags[begin:stop])
        if rows is not None:
            rows.append((meter.key, resolution, result))
            written += int(result.start.size)
            continue
        written += writer.write_aggregates(
            meter.key,
            resolution,
            result.start,
            result.value,
            result.minimum,
            result.maximum,
            result.count,
            result.quality,
        )
    return written


def write_rows(writer: BulkWriter, rows: Sequence[tuple[int, str, Aggregate]]) -> int:
    """Write the aggregates :func:`recompute` collected, in one statement; return the rows written."""
    rows = [r for r in rows if r[2].start.size]
    if not rows:
        return 0
    return writer.upsert_aggregates(
        np.concatenate([np.full(a.start.size, key, dtype=np.int64) for key, _, a in rows]),
        [resolution for _, resolution, a in rows for _ in range(a.start.size)],
        *(
            np.concatenate([getattr(a, column) for _, _, a in rows])
            for column in ("start", "value", "minimum", "maximum", "count", "quality")
        ),
    )
