"""Extending stored aggregates with readings that follow everything stored for their meters.

Most readings arrive in order: each is later than every reading stored for its
meter.  Then the aggregates they change need not be recomputed from all the
readings of their buckets (a month of them, at every commit): the stored row of
a bucket already holds the sum or mean of the earlier values and their count,
and :func:`shuixiao.series.accumulate` continues it with the new values taking
exactly the steps a computation of the whole bucket takes.  Count, minimum,
maximum and the worst quality flag combine directly.

What a meter's new readings add (:class:`Contributions`, for all the meters of a commit):

* rate, pressure, level and quality meters: each new reading not flagged bad,
  filed under its own time;
* totalizers: the volume of each new interval between good readings, filed
  under its start: from the last good stored reading (the *anchor*) to the
  first new one, then between the new ones (rollover at ``register_max`` and
  resets from replacement events, as :func:`shuixiao.series.totalizer_intervals`).

Every new value lies after every value already counted, so in each bucket the
new values come last and at most one bucket per resolution — the one holding
the anchor — has a stored row to continue; later buckets are new.  A new day's
row also records the month's statistic before it (``month_before``: the stored
month continued with the new values of the days before it, by
:func:`shuixiao.series.accumulate_groups`), which lets a late reading recompute
its month from its own day (:mod:`shuixiao.ingest._aggregates`); the anchor's
day keeps what it had.

All the meters of a commit are handled together: one look-up of the stored rows
and one write for every resolution.  Readings that arrive out of order are not for
this module: their buckets are recomputed from the readings
(:func:`shuixiao.ingest._aggregates.recompute`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from shuixiao.ingest._aggregates import bucket_bounds
from shuixiao.series import accumulate, accumulate_groups, bucket_starts
from shuixiao.storage import AggregateRow, BulkWriter

__all__ = ["Calendar", "Contributions", "extend"]


class Calendar:
    """Bucket starts on a local calendar, remembering the latest bucket of each resolution.

    A stream's commits fall in the bucket of the commit before (the same
    quarter hour, hour, day and month) most of the time; then the starts need no
    calendar arithmetic.  Otherwise :func:`shuixiao.series.bucket_starts` cuts them.

    Parameters
    ----------
    tz : str
        IANA zone of the calendar.
    """

    def __init__(self, tz: str) -> None:
        self.tz = tz
        self._zone = ZoneInfo(tz)
        self._latest: dict[str, tuple[int, int]] = {}

    def starts(self, ts: npt.NDArray[np.int64], resolution: str) -> npt.NDArray[np.int64]:
        """Return the start of the bucket of ``resolution`` each instant falls in. [s since epoch, UTC]"""
        if ts.size == 0:
            return np.zeros(0, dtype=np.int64)
        low, high = int(ts.min()), int(ts.max())
        bucket = self._latest.get(resolution)
        if bucket is None or not bucket[0] <= high < bucket[1]:
            bucket = self._latest[resolution] = bucket_bounds(high, resolution, self._zone)
        if low < bucket[0]:
            return bucket_starts(ts, resolution, self.tz)
        return np.full(ts.size, bucket[0], dtype=np.int64)


@dataclass(frozen=True)
class Contributions:
    """What new readings add to the aggregates of several meters (all summed, or all averaged).

    Every value lies after every value already counted for its meter.

    Parameters
    ----------
    key : numpy.ndarray of int64
        Store key of each meter of the commit (``meter`` indexes it).
    anchor : numpy.ndarray of int64
        Per meter, the time of the latest stored value the new ones follow (the
        last stored reading; for totalizers the last good one, where the first
        new interval starts), or -1 when nothing is stored before them. [s since epoch, UTC]
    meter : numpy.ndarray of int64
        The meter of each value.
    start : numpy.ndarray of int64
        Time each value is filed under; ordered by meter, then time. [s since epoch, UTC]
    value : numpy.ndarray of float64
        Readings (averaged) or interval volumes (summed). [canonical unit]
    quality : numpy.ndarray of int8
        Quality flag of each value.
    """

    key: npt.NDArray[np.int64]
    anchor: npt.NDArray[np.int64]
    meter: npt.NDArray[np.int64]
    start: npt.NDArray[np.int64]
    value: npt.NDArray[np.float64]
    quality: npt.NDArray[np.int8]

    @classmethod
    def empty(cls) -> Contributions:
        """No contribution."""
        nothing = np.zeros(0, dtype=np.int64)
        return cls(nothing, nothing, nothing, nothing, np.zeros(0), np.zeros(0, dtype=np.int8))


@dataclass
class _Groups:
    """The (meter, resolution, bucket) groups the contributions of one kind (sum or mean) fall in.

    The values are repeated once per resolution, so that every group of every
    resolution is one segment of them.
    """

    how: Literal["sum", "mean"]
    first: npt.NDArray[np.int64]  # where each group's values start
    key: npt.NDArray[np.int64]
    resolution: list[str]
    start: npt.NDArray[np.int64]
    continued: npt.NDArray[np.int64]  # groups that continue a possibly stored row (the anchor's bucket)
    values: npt.NDArray[np.float64]
    quality: npt.NDArray[np.int8]
    blocks: dict[str, tuple[int, int]]  # resolution -> its groups' range, [first, end)


def extend(
    writer: BulkWriter,
    parts: Sequence[tuple[Literal["sum", "mean"], Contributions]],
    resolutions: Sequence[str],
    calendar: Calendar,
) -> int:
    """Add contributions to the stored aggregates at every resolution; return the rows written.

    Parameters
    ----------
    writer : BulkWriter
        The transaction that holds the meters (their readings are already written).
    parts : sequence of (str, Contributions)
        Contributions to sum (``"sum"``, totalizer volumes) and to average (``"mean"``).
    resolutions : sequence of str
        ISO 8601 resolutions kept.
    calendar : Calendar
        The local calendar.
    """
    groups = [_group(c, how, resolutions, calendar) for how, c in parts if c.start.size]
    if not groups:
        return 0
    wanted = [(int(g.key[i]), g.resolution[i], int(g.start[i])) for g in groups for i in g.continued.tolist()]
    stored = writer.read_aggregate_rows(*zip(*wanted, strict=True)) if wanted else []
    columns: list[tuple[npt.NDArray[np.generic], ...]] = []
    taken = 0
    for g in groups:
        prior = stored[taken : taken + g.continued.size]
        taken += g.continued.size
        columns.append((g.key, g.start, *_combine(g, prior), _month_before(g, prior)))
    key, start, value, low, high, count, quality, before = (
        np.concatenate(c) for c in zip(*columns, strict=True)
    )
    return writer.upsert_aggregates(
        key, [r for g in groups for r in g.resolution], start, value, low, high, count, quality, before
    )


def _group(
    contributions: Contributions,
    how: Literal["sum", "mean"],
    resolutions: Sequence[str],
    calendar: Calendar,
) -> _Groups:
    """Cut the values into (meter, bucket) groups at every resolution."""
    meter, start = contributions.meter, contributions.start
    anchor = contributions.anchor
    size = start.size
    involved = np.unique(meter)
    anchored = anchor[involved] >= 0
    probe = np.where(anchored, anchor[involved], start[np.searchsorted(meter, involved)])
    anchor_bucket = np.zeros(anchor.size, dtype=np.int64)
    first, owner, bucket_of, continued, names = [], [], [], [], []
    blocks: dict[str, tuple[int, int]] = {}
    groups = 0
    for r, resolution in enumerate(resolutions):
        both = calendar.starts(np.concatenate((probe, start)), resolution)
        anchor_bucket[involved], bucket = both[: involved.size], both[involved.size :]
        cut = np.ones(size, dtype=bool)
        cut[1:] = (bucket[1:] != bucket[:-1]) | (meter[1:] != meter[:-1])
        here = np.flatnonzero(cut)
        whose = meter[here]
        first.append(here + r * size)
        owner.append(whose)
        bucket_of.append(bucket[here])
        continued.append(
            np.flatnonzero((anchor[whose] >= 0) & (bucket[here] == anchor_bucket[whose])) + groups
        )
        names += [resolution] * here.size
        blocks[resolution] = (groups, groups + here.size)
        groups += here.size
    return _Groups(
        how,
        np.concatenate(first),
        contributions.key[np.concatenate(owner)],
        names,
        np.concatenate(bucket_of),
        np.concatenate(continued),
        np.tile(contributions.value, len(resolutions)),
        np.tile(contributions.quality, len(resolutions)),
        blocks,
    )


def _month_before(groups: _Groups, prior: Sequence[AggregateRow | None]) -> npt.NDArray[np.float64]:
    """Per group, the month's statistic before it for a day (NaN for other resolutions and where not known).

    A new day continues its month: the stored month row (if the month holds the
    anchor) and the new values of the days before it.  The anchor's day, where
    a row of it is stored, keeps its stored value: the values it holds are not
    before it.
    """
    first, values = groups.first, groups.values
    result = np.full(first.size, np.nan)
    if "P1D" not in groups.blocks or "P1M" not in groups.blocks:
        return result
    d0, d1 = groups.blocks["P1D"]
    m0, m1 = groups.blocks["P1M"]
    stored = dict(zip(groups.continued.tolist(), prior, strict=True))
    size = values.size // len(groups.blocks)
    day_first = first[d0:d1] - first[d0]
    month_first = first[m0:m1] - first[m0]
    month = np.searchsorted(month_first, day_first, side="right") - 1
    prior_value, prior_count = np.zeros(m1 - m0), np.zeros(m1 - m0, dtype=np.int64)
    for m in range(m0, m1):
        row = stored.get(m)
        if row is not None:
            prior_value[m - m0], prior_count[m - m0] = row.value, row.count
    base = int(first[d0])
    before, _, _, _ = accumulate_groups(
        values[base : base + size],
        day_first,
        month,
        groups.how,
        prior_value=prior_value,
        prior_count=prior_count,
    )
    result[d0:d1] = before
    for d in range(d0, d1):
        row = stored.get(d)
        if row is not None:  # the anchor's day holds stored values: the month before it is what it was
            result[d] = np.nan if row.month_before is None else row.month_before
    return result


def _combine(groups: _Groups, prior: Sequence[AggregateRow | None]) -> tuple[npt.NDArray[np.generic], ...]:
    """Value, minimum, maximum, count and quality of each bucket: the stored row continued, or new."""
    first, values = groups.first, groups.values
    count = np.diff(np.append(first, values.size)).astype(np.int64)
    low = np.minimum.reduceat(values, first)
    high = np.maximum.reduceat(values, first)
    worst = np.maximum.reduceat(groups.quality, first).astype(np.int8)
    prior_value = np.zeros(first.size)
    prior_count = np.zeros(first.size, dtype=np.int64)
    for i, row in zip(groups.continued.tolist(), prior, strict=True):
        if row is None:
            continue
        prior_value[i], prior_count[i] = row.value, row.count
        low[i], high[i] = min(low[i], row.minimum), max(high[i], row.maximum)
        worst[i] = max(int(worst[i]), row.quality)
    total = accumulate(values, first, groups.how, prior_value=prior_value, prior_count=prior_count)
    return total, low, high, count + prior_count, worst
