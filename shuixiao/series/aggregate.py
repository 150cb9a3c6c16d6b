"""Interval aggregation of meter series: totalizer volumes and calendar buckets.

Two steps turn raw readings into the 15-minute, hourly, daily and monthly
aggregates the platform stores:

1. :func:`totalizer_intervals` turns the register of a totalizer (the
   cumulative count a water meter reports) into the volume that flowed between
   consecutive readings, undoing rollovers and meter replacements;
2. :func:`aggregate` sums (volumes) or averages (rates, pressures, quality
   values) the values that fall in each bucket of a resolution.

Conventions
-----------
* Timestamps are integer epoch seconds (UTC), sorted and strictly increasing.
* An interval volume belongs to the interval ``[start, end)`` between two
  readings and is filed under its ``start``, so the register read at local
  midnight closes the previous day.
* Buckets follow the local calendar of ``tz`` (default ``Asia/Shanghai``):
  fixed resolutions (``PT15M``, ``PT1H``) are cut on the local wall clock,
  ``P1D`` at local midnight and ``P1M`` on the first day of a local month.
* Gaps are never filled: a missing reading lowers the bucket's ``count``; the
  volume a totalizer registered during a gap appears once, in the interval
  that spans the gap (filed under the reading before the gap).
* Sums and means are computed one value at a time, in time order
  (:func:`accumulate`), so a bucket's stored statistic and count are enough to
  extend it with later values and get exactly (bit for bit) what computing the
  whole bucket again would give.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from shuixiao.errors import InvalidInputError

__all__ = [
    "Aggregate",
    "Reset",
    "TotalizerIntervals",
    "accumulate",
    "aggregate",
    "aggregate_by_bucket",
    "bucket_starts",
    "duration_seconds",
    "iso_duration",
    "resolutions",
    "totalizer_intervals",
    "utc_offsets",
]

Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]
Int8Array = npt.NDArray[np.int8]

_FIXED = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")
_CALENDAR = frozenset({"P1D", "P1M"})


@dataclass(frozen=True)
class Reset:
    """A register reset between two readings, e.g. a meter replacement.

    Parameters
    ----------
    ts : int
        When the reset happened. [s since epoch, UTC]
    old_register : float
        Last register of the old device, read when it was removed. [meter unit]
    new_register : float
        First register of the new device, read when it was installed. [meter unit]
    """

    ts: int
    old_register: float
    new_register: float


@dataclass(frozen=True)
class TotalizerIntervals:
    """Volumes between consecutive totalizer readings.

    Parameters
    ----------
    start, end : numpy.ndarray of int64
        Bounds of each interval ``[start, end)``. [s since epoch, UTC]
    volume : numpy.ndarray of float64
        Volume that flowed in the interval. [meter unit]
    """

    start: Int64Array
    end: Int64Array
    volume: Float64Array


@dataclass(frozen=True)
class Aggregate:
    """Bucketed statistics of one series at one resolution.

    Parameters
    ----------
    start : numpy.ndarray of int64
        Start of each bucket. [s since epoch, UTC]
    value : numpy.ndarray of float64
        Sum or mean of the values in the bucket. [unit of the values]
    minimum, maximum : numpy.ndarray of float64
        Smallest and largest value in the bucket. [unit of the values]
    count : numpy.ndarray of int64
        Number of values in the bucket; gaps lower it.
    quality : numpy.ndarray of int8
        Worst (largest) quality flag in the bucket (:class:`shuixiao.model.Quality`).
    """

    start: Int64Array
    value: Float64Array
    minimum: Float64Array
    maximum: Float64Array
    count: Int64Array
    quality: Int8Array


def iso_duration(seconds: int) -> str:
    """Return the ISO 8601 duration of a fixed interval, as aggregates name it.

    Parameters
    ----------
    seconds : int
        Interval length, at least one second. [s]

    Returns
    -------
    str
        ``P1D`` for a day, otherwise ``PT…H…M…S`` with zero parts left out.

    Examples
    --------
    >>> iso_duration(900), iso_duration(3600), iso_duration(5400), iso_duration(86400)
    ('PT15M', 'PT1H', 'PT1H30M', 'P1D')
    """
    if seconds < 1:
        raise InvalidInputError(f"an interval lasts at least one second, not {seconds}")
    if seconds == 86400:
        return "P1D"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}H" if hours else "", f"{minutes}M" if minutes else "", f"{secs}S" if secs else ""]
    return "PT" + "".join(parts)


def resolutions(interval: int) -> list[str]:
    """Return the aggregate resolutions of a base interval: base, ``PT1H``, ``P1D``, ``P1M``.

    Parameters
    ----------
    interval : int
        Base reading interval; divides a day. [s]

    Examples
    --------
    >>> resolutions(900), resolutions(3600), resolutions(86400)
    (['PT15M', 'PT1H', 'P1D', 'P1M'], ['PT1H', 'P1D', 'P1M'], ['P1D', 'P1M'])
    """
    result = [iso_duration(interval)]
    if interval < 3600 and 3600 % interval == 0:
        result.append("PT1H")
    if interval < 86400:
        result.append("P1D")
    result.append("P1M")
    return result


def duration_seconds(resolution: str) -> int | None:
    """Return the length of a fixed resolution, or None for a calendar one.

    Parameters
    ----------
    resolution : str
        ``PT…H…M…S`` (fixed) or ``P1D``, ``P1M`` (local calendar).

    Returns
    -------
    int or None
        Seconds of a fixed resolution; None for ``P1D`` and ``P1M``.

    Raises
    ------
    InvalidInputError
        If the resolution is not one of these forms.

    Examples
    --------
    >>> duration_seconds("PT15M"), duration_seconds("P1M")
    (900, None)
    """
    if resolution in _CALENDAR:
        return None
    match = _FIXED.match(resolution)
    if match is None or not any(match.groups()):
        raise InvalidInputError(
            f"{resolution!r} is not a resolution; use an ISO 8601 duration such as PT15M, PT1H, P1D or P1M"
        )
    hours, minutes, secs = (int(g) if g else 0 for g in match.groups())
    seconds = hours * 3600 + minutes * 60 + secs
    if seconds == 0 or 86400 % seconds:
        raise InvalidInputError(f"{resolution!r} must be longer than zero and divide a day (86 400 s)")
    return seconds


def totalizer_intervals(
    ts: npt.ArrayLike,
    register: npt.ArrayLike,
    *,
    register_max: float | None = None,
    resets: Sequence[Reset] = (),
) -> TotalizerIntervals:
    """Return the volume between consecutive readings of a totalizer.

    Parameters
    ----------
    ts : array_like of int
        Reading times, strictly increasing. [s since epoch, UTC]
    register : array_like of float
        Register read at each time. [meter unit]
    register_max : float, optional
        Value at which the register rolls over to zero. [meter unit]
    resets : sequence of Reset
        Register resets (meter replacements), in any order.

    Returns
    -------
    TotalizerIntervals
        One interval less than there are readings.

    Raises
    ------
    InvalidInputError
        If the arrays differ in length or the times are not strictly increasing.

    Notes
    -----
    Between readings :math:`i-1` and :math:`i` the volume is

    .. math::

        V_i = R_i - R_{i-1} + \\begin{cases}
            R_\\mathrm{old} - R_\\mathrm{new} & \\text{a reset at } t_{i-1} < t_r \\le t_i \\\\
            R_\\mathrm{max} & R_i < R_{i-1} \\text{ and } R_\\mathrm{max} \\text{ is known} \\\\
            0 & \\text{otherwise}
        \\end{cases}

    A reading taken at the very time of a reset is the new device's. At most
    one rollover per interval can be recognised; a negative difference with no
    ``register_max`` (a meter running backwards) is returned as it is.

    Examples
    --------
    A register of 1000 m³ that rolls over, then a replacement:

    >>> r = totalizer_intervals([0, 900, 1800, 2700], [998.0, 3.0, 10.0, 2.5],
    ...                         register_max=1000.0, resets=[Reset(2000, 12.0, 0.5)])
    >>> r.volume.tolist()
    [5.0, 7.0, 4.0]
    """
    t = np.asarray(ts, dtype=np.int64)
    r = np.asarray(register, dtype=np.float64)
    _check_series(t, r)
    if t.size < 2:
        empty = np.zeros(0, dtype=np.int64)
        return TotalizerIntervals(empty, empty.copy(), np.zeros(0, dtype=np.float64))
    volume = np.diff(r)
    reset_in = np.zeros(volume.size, dtype=bool)
    for reset in resets:
        # interval i covers (t[i], t[i+1]]: the reading at t[i+1] == reset.ts is the new device's
        i = int(np.searchsorted(t, reset.ts, side="left")) - 1
        if 0 <= i < volume.size:
            volume[i] += reset.old_register - reset.new_register
            reset_in[i] = True
    if register_max is not None:
        wrapped = (volume < 0) & ~reset_in
        volume[wrapped] += register_max
    return TotalizerIntervals(t[:-1].copy(), t[1:].copy(), volume)


def bucket_starts(ts: npt.ArrayLike, resolution: str, tz: str = "Asia/Shanghai") -> Int64Array:
    """Return the start of the bucket each timestamp falls in.

    Parameters
    ----------
    ts : array_like of int
        Timestamps. [s since epoch, UTC]
    resolution : str
        ``PT…`` (cut on the local wall clock), ``P1D`` (local midnight) or
        ``P1M`` (first local day of the month).
    tz : str
        IANA time zone of the local calendar.

    Returns
    -------
    numpy.ndarray of int64
        Bucket start of every timestamp. [s since epoch, UTC]

    Examples
    --------
    Local midnight in Shanghai is 16:00 UTC the day before:

    >>> day = 1735660800  # 2024-12-31T16:00:00Z = 2025-01-01 00:00 +08:00
    >>> (bucket_starts([day + 5, day + 86399], "P1D") - day).tolist()
    [0, 0]
    >>> (bucket_starts([day - 1], "P1M") - day).tolist()  # 31 December, local
    [-2678400]
    """
    t = np.asarray(ts, dtype=np.int64)
    seconds = duration_seconds(resolution)
    if t.size == 0:
        return np.zeros(0, dtype=np.int64)
    zone = _zone(tz)
    wall = t + utc_offsets(t, tz)
    if seconds is not None:
        return np.asarray(t - (wall % seconds), dtype=np.int64)
    days = (wall // 86400) * 86400
    if resolution == "P1M":
        days = days.astype("datetime64[s]").astype("datetime64[M]").astype("datetime64[s]").astype(np.int64)
    # local midnight (or first of the month) back to UTC; the offset there may differ (DST)
    unique, inverse = np.unique(days, return_inverse=True)
    utc = np.array(
        [int(dt.datetime.fromtimestamp(int(w), dt.UTC).replace(tzinfo=zone).timestamp()) for w in unique],
        dtype=np.int64,
    )
    return np.asarray(utc[inverse], dtype=np.int64)


def utc_offsets(ts: npt.ArrayLike, tz: str = "Asia/Shanghai") -> Int64Array:
    """Return the UTC offset of ``tz`` at each timestamp.

    Parameters
    ----------
    ts : array_like of int
        Timestamps. [s since epoch, UTC]
    tz : str
        IANA time zone.

    Returns
    -------
    numpy.ndarray of int64
        Local wall-clock time minus UTC. [s]

    Notes
    -----
    The zone is asked once per distinct UTC day; a day whose offset changes
    (a daylight-saving transition) is bisected to the second, assuming at most
    one transition a day.

    Examples
    --------
    >>> utc_offsets([0, 1735660800]).tolist()
    [28800, 28800]
    """
    t = np.asarray(ts, dtype=np.int64)
    zone = _zone(tz)
    if t.size == 0:
        return np.zeros(0, dtype=np.int64)
    days, inverse = np.unique(t // 86400, return_inverse=True)
    first = np.array([_offset(zone, int(d) * 86400) for d in days], dtype=np.int64)
    last = np.array([_offset(zone, int(d) * 86400 + 86399) for d in days], dtype=np.int64)
    result = first[inverse]
    for k in np.flatnonzero(first != last):
        lo, hi = int(days[k]) * 86400, int(days[k]) * 86400 + 86399  # offset(lo) = first, offset(hi) = last
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _offset(zone, mid) == first[k]:
                lo = mid
            else:
                hi = mid
        changed = (inverse == k) & (t >= hi)
        result[changed] = last[k]
    return np.asarray(result, dtype=np.int64)


def _zone(tz: str) -> ZoneInfo:
    """The IANA zone ``tz``, or InvalidInputError."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise InvalidInputError(f"unknown time zone {tz!r}; use an IANA name such as Asia/Shanghai") from err


def _offset(zone: ZoneInfo, ts: int) -> int:
    """UTC offset of ``zone`` at epoch second ``ts``. [s]"""
    delta = dt.datetime.fromtimestamp(ts, zone).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def aggregate_by_bucket(
    starts: npt.ArrayLike,
    values: npt.ArrayLike,
    how: Literal["sum", "mean"],
    quality: npt.ArrayLike | None = None,
) -> Aggregate:
    """Aggregate values whose bucket starts are already known.

    Parameters
    ----------
    starts : array_like of int
        Bucket start of each value, non-decreasing (as :func:`bucket_starts` returns
        for sorted timestamps). [s since epoch, UTC]
    values : array_like of float
        The values; NaN values are left out as if missing. [any unit]
    how : {"sum", "mean"}
        Sum (volumes) or mean (rates, pressures, levels, quality values).
    quality : array_like of int, optional
        Quality flag of each value; 0 (good) when omitted.

    Returns
    -------
    Aggregate
        One row per bucket that holds at least one value.

    Examples
    --------
    >>> a = aggregate_by_bucket([0, 0, 900], [1.0, 3.0, 5.0], "mean")
    >>> a.start.tolist(), a.value.tolist(), a.count.tolist()
    ([0, 900], [2.0, 5.0], [2, 1])
    """
    if how not in ("sum", "mean"):
        raise InvalidInputError(f"how must be 'sum' or 'mean', not {how!r}")
    b = np.asarray(starts, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    q = np.zeros(v.size, dtype=np.int8) if quality is None else np.asarray(quality, dtype=np.int8)
    if not b.size == v.size == q.size:
        raise InvalidInputError("starts, values and quality must have the same length")
    keep = ~np.isnan(v)
    b, v, q = b[keep], v[keep], q[keep]
    if b.size == 0:
        return Aggregate(
            np.zeros(0, np.int64),
            np.zeros(0),
            np.zeros(0),
            np.zeros(0),
            np.zeros(0, np.int64),
            np.zeros(0, np.int8),
        )
    if np.any(np.diff(b) < 0):
        raise InvalidInputError("bucket starts must be non-decreasing: sort the series by time first")
    first = np.concatenate(([0], np.flatnonzero(np.diff(b)) + 1))
    count = np.diff(np.concatenate((first, [b.size]))).astype(np.int64)
    value = accumulate(v, first, how)
    return Aggregate(
        start=b[first].copy(),
        value=value,
        minimum=np.minimum.reduceat(v, first),
        maximum=np.maximum.reduceat(v, first),
        count=count,
        quality=np.maximum.reduceat(q, first).astype(np.int8),
    )


_LONG: Final = 64  # past this many steps, when at most this many segments still run, finish each alone
_FEW: Final = 8  # when at most this many segments still run, finish each alone at once


def accumulate(
    values: npt.ArrayLike,
    first: npt.ArrayLike,
    how: Literal["sum", "mean"],
    *,
    prior_value: npt.ArrayLike | None = None,
    prior_count: npt.ArrayLike | None = None,
) -> Float64Array:
    """Return the sum or mean of each segment of ``values``, taken one value at a time in order.

    Parameters
    ----------
    values : array_like of float
        The values, segment after segment, each segment in time order. [any unit]
    first : array_like of int
        Index in ``values`` where each segment starts; increasing, the first 0.
        Segments run to the next start (the last to the end); each holds a value.
    how : {"sum", "mean"}
        Sum (volumes) or mean (rates, pressures, levels, quality values).
    prior_value : array_like of float, optional
        A statistic each segment already has from earlier values (the stored
        aggregate), continued with the segment's values. [any unit]
    prior_count : array_like of int, optional
        How many earlier values ``prior_value`` holds; 0 where there is none.

    Returns
    -------
    numpy.ndarray of float64
        One statistic per segment.

    Raises
    ------
    InvalidInputError
        If ``how`` is unknown, a segment is empty, or only one of the priors is given.

    Notes
    -----
    With :math:`v_1 \\ldots v_n` in order, the sum and the mean are

    .. math::

        S_1 = v_1, \\quad S_k = S_{k-1} + v_k; \\qquad
        M_1 = v_1, \\quad M_k = M_{k-1} + \\frac{v_k - M_{k-1}}{k}

    (the running mean of Welford [Welford1962]_).  Both take exactly the same
    floating-point steps whether a bucket is computed whole or continued from
    its stored statistic and count (``prior_value``, ``prior_count``), which
    is what lets ingestion extend stored aggregates with new readings and get
    bit for bit what recomputing them from all the readings gives.  A value
    that belongs *before* values already counted cannot be added this way: the
    bucket must be computed again from its values.

    References
    ----------
    .. [Welford1962] B. P. Welford, "Note on a method for calculating corrected sums of
       squares and products," *Technometrics*, vol. 4, no. 3, pp. 419–420,
       1962, :doi:`10.1080/00401706.1962.10490022`.

    Examples
    --------
    >>> accumulate([1.0, 5.0, 3.0, 2.0], [0, 3], "mean").tolist()
    [3.0, 2.0]
    >>> whole = accumulate([0.1, 0.2, 0.3], [0], "sum")
    >>> part = accumulate([0.1, 0.2], [0], "sum")
    >>> bool(whole[0] == accumulate([0.3], [0], "sum", prior_value=part, prior_count=[2])[0])
    True
    """
    if how not in ("sum", "mean"):
        raise InvalidInputError(f"how must be 'sum' or 'mean', not {how!r}")
    v = np.asarray(values, dtype=np.float64)
    f = np.asarray(first, dtype=np.int64)
    length = np.diff(np.append(f, v.size))
    if f.size and (f[0] != 0 or bool((length < 1).any())):
        raise InvalidInputError("segments must start at 0, increase and each hold a value")
    if (prior_value is None) != (prior_count is None):
        raise InvalidInputError("give both prior_value and prior_count, or neither")
    if prior_value is None or prior_count is None:
        done = np.zeros(f.size, dtype=np.int64)
        acc = np.zeros(f.size, dtype=np.float64)
    else:
        done = np.asarray(prior_count, dtype=np.int64).copy()
        acc = np.asarray(prior_value, dtype=np.float64).copy()
        if done.shape != f.shape or acc.shape != f.shape:
            raise InvalidInputError("prior_value and prior_count need one entry per segment")
    fresh = done == 0  # a segment without a prior starts at its first value
    acc[fresh] = v[f[fresh]]
    skip = fresh.astype(np.int64)
    done += skip
    position = f + skip  # next value of each segment
    left = length - skip  # values still to add
    order = np.argsort(-left, kind="stable")  # longest first: the running ones are a prefix
    position, left, done = position[order], left[order], done[order]
    running = acc[order]
    steps = int(left[0]) if left.size else 0
    running_at = np.searchsorted(-left, -np.arange(steps), side="left")  # segments with more than k left
    for k in range(steps):
        active = int(running_at[k])
        if active <= _FEW or (k >= _LONG and active <= _LONG):
            for j in range(active):
                running[j] = _finish(
                    running[j], v[position[j] + k : position[j] + left[j]], how, int(done[j]) + k
                )
            break
        taken = v[position[:active] + k]
        if how == "sum":
            running[:active] += taken
        else:
            running[:active] += (taken - running[:active]) / (done[:active] + k + 1)
    result = np.empty_like(running)
    result[order] = running
    return result


def accumulate_groups(
    values: npt.ArrayLike,
    first: npt.ArrayLike,
    group: npt.ArrayLike,
    how: Literal["sum", "mean"],
    *,
    prior_value: npt.ArrayLike | None = None,
    prior_count: npt.ArrayLike | None = None,
) -> tuple[Float64Array, npt.NDArray[np.int64], Float64Array, npt.NDArray[np.int64]]:
    """Return each segment's running group statistic before it, and each group's statistic.

    Segments (days, say) make up groups (their months): each group's statistic
    is :func:`accumulate` over its segments' values in order, and the statistic
    *before* a segment is the one over the group's values in the segments
    before it, which is what a bucket of the group continues from when only
    this segment and later ones change.

    Parameters
    ----------
    values : array_like of float
        The values, segment after segment, each in time order. [any unit]
    first : array_like of int
        Index in ``values`` where each segment starts, as for :func:`accumulate`.
    group : array_like of int
        Group of each segment, numbered from 0 and non-decreasing: a group's
        segments are consecutive and in order.
    how : {"sum", "mean"}
        Sum or running mean, as for :func:`accumulate`.
    prior_value, prior_count : array_like, optional
        Per group, the statistic of values before its first segment and their
        count (0 where there is none), as for :func:`accumulate`.

    Returns
    -------
    before : numpy.ndarray of float64
        Per segment, the group's statistic before it; 0 where no value of the group lies before it.
    before_count : numpy.ndarray of int64
        Per segment, how many of the group's values lie before it.
    total : numpy.ndarray of float64
        Per group, the statistic of all its values (and the prior's).
    total_count : numpy.ndarray of int64
        Per group, how many values that is.

    Raises
    ------
    InvalidInputError
        If the segments are as :func:`accumulate` refuses, ``group`` does not
        number consecutive groups from 0, or only one of the priors is given.

    Notes
    -----
    The group statistic is carried from segment to segment with
    :func:`accumulate`'s ``prior_value`` and ``prior_count``, so each result
    takes exactly the floating-point steps of :func:`accumulate` over the
    same values at once.  The segments of every group at the same rank are
    taken in one call: as many calls as the most segments in a group.

    Examples
    --------
    >>> before, _, total, count = accumulate_groups([1.0, 2.0, 4.0, 8.0], [0, 2, 3], [0, 0, 1], "sum")
    >>> before[:2].tolist(), total.tolist(), count.tolist()
    ([0.0, 3.0], [7.0, 8.0], [3, 1])
    """
    v = np.asarray(values, dtype=np.float64)
    f = np.asarray(first, dtype=np.int64)
    g = np.asarray(group, dtype=np.int64)
    if g.shape != f.shape:
        raise InvalidInputError("group needs one entry per segment")
    groups = int(g[-1]) + 1 if g.size else 0
    if g.size and (g[0] != 0 or bool((np.diff(g) < 0).any()) or bool((np.diff(g) > 1).any())):
        raise InvalidInputError(
            "group must number the segments' groups from 0, consecutive and non-decreasing"
        )
    if (prior_value is None) != (prior_count is None):
        raise InvalidInputError("give both prior_value and prior_count, or neither")
    total = np.zeros(groups)
    total_count = np.zeros(groups, dtype=np.int64)
    if prior_value is not None and prior_count is not None:
        total = np.asarray(prior_value, dtype=np.float64).copy()
        total_count = np.asarray(prior_count, dtype=np.int64).copy()
        if total.shape != (groups,) or total_count.shape != (groups,):
            raise InvalidInputError("prior_value and prior_count need one entry per group")
    length = np.diff(np.append(f, v.size))
    if f.size and (f[0] != 0 or bool((length < 1).any())):
        raise InvalidInputError("segments must start at 0, increase and each hold a value")
    before = np.zeros(f.size)
    before_count = np.zeros(f.size, dtype=np.int64)
    if not f.size:
        return before, before_count, total, total_count
    rank = np.arange(f.size) - np.searchsorted(g, g)  # position of each segment in its group
    for r in range(int(rank.max()) + 1):
        chosen = np.flatnonzero(rank == r)
        owners = g[chosen]
        before_count[chosen] = total_count[owners]
        before[chosen] = np.where(before_count[chosen] > 0, total[owners], 0.0)
        sizes = length[chosen]
        starts = np.cumsum(sizes) - sizes
        taken = v[np.repeat(f[chosen] - starts, sizes) + np.arange(int(sizes.sum()))]
        total[owners] = accumulate(
            taken, starts, how, prior_value=total[owners], prior_count=total_count[owners]
        )
        total_count[owners] += sizes
    return before, before_count, total, total_count


def _finish(start: float, rest: Float64Array, how: str, count: int) -> float:
    """Continue one running sum or mean (over ``count`` values so far) with ``rest``, in order."""
    if how == "sum":
        return float(np.add.accumulate(np.concatenate(([start], rest)))[-1])
    mean = float(start)
    for k, x in enumerate(rest.tolist(), start=count + 1):
        mean += (x - mean) / k
    return mean


def aggregate(
    ts: npt.ArrayLike,
    values: npt.ArrayLike,
    resolution: str,
    how: Literal["sum", "mean"],
    *,
    quality: npt.ArrayLike | None = None,
    tz: str = "Asia/Shanghai",
) -> Aggregate:
    """Aggregate a series into buckets of ``resolution`` on the local calendar.

    Parameters
    ----------
    ts : array_like of int
        Timestamps, strictly increasing; for volumes the start of each interval
        (:attr:`TotalizerIntervals.start`). [s since epoch, UTC]
    values : array_like of float
        Values at those times; NaN values count as missing. [any unit]
    resolution : str
        ``PT15M``, ``PT1H`` or any ``PT…`` dividing a day; ``P1D``; ``P1M``.
    how : {"sum", "mean"}
        Sum for volumes, mean for everything else.
    quality : array_like of int, optional
        Quality flag of each value; the bucket takes the worst.
    tz : str
        IANA time zone of the calendar.

    Returns
    -------
    Aggregate

    Raises
    ------
    InvalidInputError
        If the arrays differ in length, the times are not strictly increasing,
        or the resolution or ``how`` is unknown.

    Examples
    --------
    Two local days, the second with one reading missing:

    >>> t0 = 1735660800  # 2025-01-01 00:00 Asia/Shanghai
    >>> a = aggregate([t0, t0 + 43200, t0 + 86400], [2.0, 3.0, 4.0], "P1D", "sum")
    >>> a.value.tolist(), a.count.tolist()
    ([5.0, 4.0], [2, 1])
    """
    t = np.asarray(ts, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    _check_series(t, v)
    return aggregate_by_bucket(bucket_starts(t, resolution, tz), v, how, quality)


def _check_series(t: Int64Array, v: Float64Array) -> None:
    """Refuse series of unequal length or with unsorted or repeated times."""
    if t.ndim != 1 or t.shape != v.shape:
        raise InvalidInputError(f"times and values must be 1-D and of equal length ({t.shape} vs {v.shape})")
    if t.size > 1 and np.any(np.diff(t) <= 0):
        raise InvalidInputError("times must be strictly increasing: sort the readings and drop duplicates")
