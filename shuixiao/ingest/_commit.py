"""The candidates of one commit against the store: duplicates, conflicts, totalizer order, aggregates.

Inside the commit's transaction, with its meters held, the pipeline hands over
the candidates of every batch of the commit (readings that passed the checks
on their own) and the stored readings around them
(:meth:`BulkWriter.read_neighbourhoods`), all meters at once in flat arrays:

* :func:`check` decides each candidate: ``duplicate`` or ``conflict`` against
  a stored reading or an earlier candidate for the same meter and time (the
  first wins), ``totalizer_backwards`` for a register that falls unexplained,
  else accepted;
* :func:`contributions` says what the accepted readings add to the aggregates
  of the meters whose new readings all follow their stored ones (the usual
  case; see :mod:`shuixiao.ingest._increments`), and which meters' buckets must
  be recomputed from the readings because some arrived out of order.

The work is vectorised over all the meters of the commit, so a commit of one
reading for each of many meters costs a few array operations, not a few per
meter; only the rare cases (a register that falls, a meter replacement inside a
new interval, a good reading hidden behind bad ones) are handled meter by meter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from shuixiao.ingest._increments import Contributions
from shuixiao.ingest._records import ACCEPTED, DUPLICATE, Reason, RecordResult, Status
from shuixiao.model import Meter, MeterKind, Quality
from shuixiao.series import Reset, totalizer_intervals
from shuixiao.storage import BulkWriter, ReadingWindow
from shuixiao.units import canonical_unit, lookup_unit

__all__ = ["Accepted", "Candidates", "MeterInfo", "Readings", "check", "contributions"]

_BAD: Final = int(Quality.BAD)
_SHIFT: Final = 34  # (meter << _SHIFT) | ts orders by meter, then time (ts < 2**33 until 2242)

Results = list[list[RecordResult | None]]  # per batch of the commit, per record
When = Callable[[int], str]  # an instant as local time, for messages
Int64Array = npt.NDArray[np.int64]


@dataclass(frozen=True)
class MeterInfo:
    """A meter as the checks need it.

    Parameters
    ----------
    meter : Meter
    key : int
        Its store key.
    installed : int or None
        Local midnight of the installation date. [s since epoch, UTC]
    register_max : float or None
        Rollover value of a totalizer's register. [canonical unit]
    signed_only : bool
        Whether the meter's readings are notarised and unsigned ingestion is not allowed for it
        (bound to a signing device in ``ledger_meters``): only device-signed batches may carry them.
    """

    meter: Meter
    key: int
    installed: int | None
    register_max: float | None
    signed_only: bool = False

    @property
    def totalizer(self) -> bool:
        """Whether the meter reports a register."""
        return self.meter.kind is MeterKind.TOTALIZER


@dataclass(frozen=True)
class Candidates:
    """The candidates of one commit, every meter's (parallel arrays).

    ``meter`` indexes :attr:`meters`; ``batch`` and ``record`` say where each result goes, and
    their order is the order of arrival.
    """

    meters: list[MeterInfo]
    meter: Int64Array
    ts: Int64Array
    value: npt.NDArray[np.float64]
    quality: npt.NDArray[np.int8]
    origin: npt.NDArray[np.int8]
    batch: Int64Array
    record: Int64Array


@dataclass(frozen=True)
class Readings:
    """Readings of several meters, ordered by meter, then time.

    Parameters
    ----------
    meter : numpy.ndarray of int64
        Index of each reading's meter in the commit's meter list.
    ts, value, quality : numpy.ndarray
        Time [s since epoch, UTC], value [canonical unit] and quality flag.
    """

    meter: Int64Array
    ts: Int64Array
    value: npt.NDArray[np.float64]
    quality: npt.NDArray[np.int8]

    def of(self, i: int) -> slice:
        """Where meter ``i``'s readings are."""
        a, b = np.searchsorted(self.meter, [i, i + 1])
        return slice(int(a), int(b))

    def window(self, i: int) -> ReadingWindow:
        """Meter ``i``'s readings."""
        part = self.of(i)
        return ReadingWindow(self.ts[part], self.value[part], self.quality[part])


@dataclass(frozen=True)
class Accepted:
    """The readings of a commit to write, with the stored readings around them.

    Parameters
    ----------
    meters : list of MeterInfo
        The commit's meters.
    new : Readings
        The accepted readings.
    origin : numpy.ndarray of int8
        Origin of each accepted reading.
    stored : Readings
        The stored readings the checks saw.
    """

    meters: list[MeterInfo]
    new: Readings
    origin: npt.NDArray[np.int8]
    stored: Readings


def check(
    candidates: Candidates,
    stored: Readings,
    resets: dict[int, tuple[Reset, ...]],
    results: Results,
    when: When,
) -> Accepted:
    """Decide each candidate against the stored readings and the earlier candidates; set its result.

    Parameters
    ----------
    candidates : Candidates
    stored : Readings
        For each meter its stored readings from its earliest to its latest
        candidate, with the one before and the one after.
    resets : dict
        Replacements of the meters by store key, in the canonical unit.
    results : list of list
        Results of every batch of the commit; the candidates' are set here.
    when : callable
        Formats an instant for messages.

    Returns
    -------
    Accepted
    """
    meters = candidates.meters
    meter = np.asarray(candidates.meter, dtype=np.int64)
    ts = np.asarray(candidates.ts, dtype=np.int64)
    batch = np.asarray(candidates.batch, dtype=np.int64)
    record = np.asarray(candidates.record, dtype=np.int64)
    order = np.lexsort((record, batch, ts, meter))  # repeats in arrival order: the first wins
    meter, ts, batch, record = meter[order], ts[order], batch[order], record[order]
    value = np.asarray(candidates.value, dtype=np.float64)[order]
    quality = np.asarray(candidates.quality, dtype=np.int8)[order]
    key = (meter << _SHIFT) | ts
    stored_key = (stored.meter << _SHIFT) | stored.ts
    new = np.ones(ts.size, dtype=bool)
    if stored_key.size:  # already stored: a duplicate, or a conflict when the value differs
        position = np.minimum(np.searchsorted(stored_key, key), stored_key.size - 1)
        exists = stored_key[position] == key
        for j in np.flatnonzero(exists).tolist():
            kept = float(stored.value[position[j]])
            info = meters[meter[j]]
            results[batch[j]][record[j]] = _same_time(kept, float(value[j]), int(ts[j]), info, "stored", when)
        new = ~exists
    waiting = np.flatnonzero(new)  # repeats among the candidates: the first wins
    if waiting.size > 1:
        first = np.ones(waiting.size, dtype=bool)
        first[1:] = key[waiting[1:]] != key[waiting[:-1]]
        if not first.all():
            head = np.maximum.accumulate(np.where(first, np.arange(waiting.size), 0))
            for k in np.flatnonzero(~first).tolist():
                j, kept = waiting[k], waiting[head[k]]
                where = "sent earlier in the batch" if batch[j] == batch[kept] else "stored"
                results[batch[j]][record[j]] = _same_time(
                    float(value[kept]), float(value[j]), int(ts[j]), meters[meter[j]], where, when
                )
                new[j] = False
    totalizer = np.array([info.totalizer for info in meters], dtype=bool)
    if totalizer.any() and new.any():
        for i in _falling(meter, key, value, quality, new, totalizer, stored, stored_key).tolist():
            part = slice(*(int(x) for x in np.searchsorted(meter, [i, i + 1])))
            info = meters[i]
            rejected = _backwards(
                ts[part], value[part], quality[part], new[part], stored.window(i), info,
                resets.get(info.key, ()), when,
            )  # fmt: skip
            for j, message in rejected:
                at = part.start + j
                results[batch[at]][record[at]] = RecordResult(
                    Status.REJECTED, Reason.TOTALIZER_BACKWARDS, message
                )
                new[at] = False
    for b, r in zip(batch[new].tolist(), record[new].tolist(), strict=True):
        results[b][r] = ACCEPTED
    origin = np.asarray(candidates.origin, dtype=np.int8)[order][new]
    return Accepted(meters, Readings(meter[new], ts[new], value[new], quality[new]), origin, stored)


def _falling(
    meter: Int64Array,
    key: Int64Array,
    value: npt.NDArray[np.float64],
    quality: npt.NDArray[np.int8],
    new: npt.NDArray[np.bool_],
    totalizer: npt.NDArray[np.bool_],
    stored: Readings,
    stored_key: Int64Array,
) -> Int64Array:
    """Totalizers whose good registers, stored and new together, fall somewhere (to check one by one)."""
    mine = new & totalizer[meter] & (quality < _BAD)
    theirs = totalizer[stored.meter] & (stored.quality < _BAD)
    merged_key = np.concatenate((stored_key[theirs], key[mine]))
    merged_value = np.concatenate((stored.value[theirs], value[mine]))
    order = np.argsort(merged_key, kind="stable")
    merged_key, merged_value = merged_key[order], merged_value[order]
    owner = merged_key >> _SHIFT
    falls = (owner[1:] == owner[:-1]) & (merged_value[1:] < merged_value[:-1])
    return np.unique(owner[1:][falls])


@dataclass
class Plan:
    """What to do with the aggregates of a commit.

    Parameters
    ----------
    sums, means : Contributions
        What the totalizers' and the other meters' new readings add.
    recompute : list of tuple
        ``(meter index, low, high)``: meters whose buckets overlapping
        ``[low, high]`` must be recomputed from the readings. [s since epoch, UTC]
    """

    sums: Contributions
    means: Contributions
    recompute: list[tuple[int, int, int]]


def contributions(writer: BulkWriter, accepted: Accepted, resets: dict[int, tuple[Reset, ...]]) -> Plan:
    """What the accepted readings add to the aggregates, and which meters need a recomputation.

    Parameters
    ----------
    writer : BulkWriter
        The commit's transaction (a totalizer may need to look further back for a good reading).
    accepted : Accepted
    resets : dict
        Replacements of the meters by store key, in the canonical unit.

    Returns
    -------
    Plan
    """
    meters, new, stored = accepted.meters, accepted.new, accepted.stored
    count = len(meters)
    plan = Plan(Contributions.empty(), Contributions.empty(), [])
    if new.ts.size == 0:
        return plan
    totalizer = np.array([info.totalizer for info in meters], dtype=bool)
    starts = np.flatnonzero(np.r_[True, new.meter[1:] != new.meter[:-1]])
    touched = new.meter[starts]  # meters with accepted readings
    low = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
    high = np.zeros(count, dtype=np.int64)
    low[touched] = new.ts[starts]
    high[touched] = new.ts[np.r_[starts[1:], new.ts.size] - 1]
    latest = _last_of_each(stored.meter, np.ones(stored.ts.size, dtype=bool), count)
    anchor = _pick(stored.ts, latest, -1)  # the latest stored reading, where one is
    follows = anchor < low  # nothing stored after the meter's earliest new reading
    earlier = stored.ts < low[stored.meter]
    previous = _last_of_each(stored.meter, earlier & (stored.quality < _BAD), count)  # last good before
    previous_ts = _pick(stored.ts, previous, -1)
    previous_value = _pick(stored.value, previous, 0.0)
    previous_quality = _pick(stored.quality, previous, 0).astype(np.int8)
    hidden = _last_of_each(stored.meter, earlier, count)  # good readings only behind bad ones: look back
    for i in touched[totalizer[touched] & (previous[touched] < 0) & (hidden[touched] >= 0)].tolist():
        found = _previous_good(writer, meters[i].key, stored.window(i), int(low[i]))
        if found is not None:
            previous_ts[i], previous_value[i], previous_quality[i] = found
    for i in touched[~follows[touched]].tolist():
        begin = int(previous_ts[i]) if totalizer[i] and previous_ts[i] >= 0 else int(low[i])
        plan.recompute.append((i, begin, int(high[i])))
    extending = follows[new.meter] & (new.quality < _BAD)  # readings flagged bad give no volume and no mean
    means = extending & ~totalizer[new.meter]
    keys = np.array([info.key for info in meters], dtype=np.int64)
    plan.means = Contributions(
        keys, anchor, new.meter[means], new.ts[means], new.value[means], new.quality[means]
    )
    sums = extending & totalizer[new.meter]
    if sums.any():
        plan.sums = _intervals(meters, keys, new, sums, previous_ts, previous_value, previous_quality, resets)
    return plan


def _intervals(
    meters: Sequence[MeterInfo],
    keys: Int64Array,
    new: Readings,
    chosen: npt.NDArray[np.bool_],
    previous_ts: Int64Array,
    previous_value: npt.NDArray[np.float64],
    previous_quality: npt.NDArray[np.int8],
    resets: dict[int, tuple[Reset, ...]],
) -> Contributions:
    """The new intervals of the totalizers: from the last good stored register, then between new ones."""
    owners = np.unique(new.meter[chosen])
    linked = owners[previous_ts[owners] >= 0]
    meter = np.concatenate((linked, new.meter[chosen]))
    ts = np.concatenate((previous_ts[linked], new.ts[chosen]))
    register = np.concatenate((previous_value[linked], new.value[chosen]))
    quality = np.concatenate((previous_quality[linked], new.quality[chosen])).astype(np.int8)
    order = np.lexsort((ts, meter))
    meter, ts, register, quality = meter[order], ts[order], register[order], quality[order]
    volume = register[1:] - register[:-1]  # as np.diff in totalizer_intervals
    pair = meter[1:] == meter[:-1]
    flags = np.maximum(quality[:-1], quality[1:]).astype(np.int8)
    rollover = np.array([np.nan if m.register_max is None else m.register_max for m in meters])
    special = np.zeros(len(meters), dtype=bool)  # a replacement inside a new interval
    for i in owners.tolist():
        part = slice(*(int(x) for x in np.searchsorted(meter, [i, i + 1])))
        inside = [r for r in resets.get(meters[i].key, ()) if ts[part.start] < r.ts <= ts[part.stop - 1]]
        if inside and part.stop - part.start > 1:
            special[i] = True
            volume[part.start : part.stop - 1] = totalizer_intervals(
                ts[part], register[part], register_max=meters[i].register_max, resets=resets[meters[i].key]
            ).volume
    wrapped = pair & (volume < 0) & ~special[meter[:-1]] & ~np.isnan(rollover[meter[:-1]])
    volume[wrapped] += rollover[meter[:-1]][wrapped]
    anchor = np.where(previous_ts >= 0, previous_ts, -1)
    return Contributions(keys, anchor, meter[:-1][pair], ts[:-1][pair], volume[pair], flags[pair])


def _pick(array: npt.NDArray[np.generic], index: Int64Array, missing: float) -> npt.NDArray[Any]:
    """``array[index]`` where ``index >= 0``, else ``missing``."""
    result = np.full(index.size, missing, dtype=array.dtype)
    found = index >= 0
    result[found] = array[index[found]]
    return result


def _last_of_each(group: Int64Array, mask: npt.NDArray[np.bool_], count: int) -> Int64Array:
    """Index of the last masked element of each group (of ``count``; rows sorted by group), or -1."""
    last = np.full(count, -1, dtype=np.int64)
    chosen = np.flatnonzero(mask)
    if chosen.size:
        owner = group[chosen]
        tail = np.r_[owner[1:] != owner[:-1], True]
        last[owner[tail]] = chosen[tail]
    return last


def _previous_good(
    writer: BulkWriter, key: int, stored: ReadingWindow, low: int
) -> tuple[int, float, int] | None:
    """The last good stored reading before ``low`` as (ts, value, quality), looking back past bad ones."""
    earlier = stored.ts < low
    if not earlier.any():
        return None
    probe = int(stored.ts[earlier][0])  # every stored reading seen before low is flagged bad
    while True:
        window = writer.read_window(key, probe, probe, before=True)
        previous = window.ts < probe
        if not previous.any():
            return None
        i = int(np.flatnonzero(previous)[-1])
        probe = int(window.ts[i])
        if int(window.quality[i]) < _BAD:
            return probe, float(window.value[i]), int(window.quality[i])


def _same_time(kept: float, sent: float, ts: int, info: MeterInfo, where: str, when: When) -> RecordResult:
    if kept == sent or np.isclose(kept, sent, rtol=1e-9, atol=0.0):
        return DUPLICATE
    unit = canonical_unit(info.meter.quantity)
    return RecordResult(
        Status.REJECTED,
        Reason.CONFLICT,
        f"meter {info.meter.id!r} at {when(ts)}: {sent:g} {unit} was sent, but {kept:g} {unit} was "
        f"{where} for the same time; a stored reading is never overwritten (if it is wrong, record a "
        "meter event and store an estimate)",
    )


def _backwards(
    ts: Int64Array,
    value: npt.NDArray[np.float64],
    quality: npt.NDArray[np.int8],
    new: npt.NDArray[np.bool_],
    stored: ReadingWindow,
    info: MeterInfo,
    resets: tuple[Reset, ...],
    when: When,
) -> list[tuple[int, str]]:
    """Positions of one meter's new registers that fall without explanation, with messages."""
    good = stored.quality < _BAD
    stored_ts, stored_value = stored.ts[good], stored.value[good]
    check = new & (quality < _BAD)  # a register flagged bad is kept as sent, never compared
    positions = np.flatnonzero(check)
    order = np.argsort(np.concatenate((stored_ts, ts[positions])), kind="stable")
    rmax = info.register_max

    def falls(t_a: int, v_a: float, t_b: int, v_b: float) -> bool:
        if v_b >= v_a - 1e-9 * max(1.0, abs(v_a)):
            return False
        if any(t_a < r.ts <= t_b for r in resets):
            return False
        return rmax is None or v_a - v_b <= rmax / 2

    following = np.searchsorted(stored_ts, ts[positions], side="right")
    rejected: list[tuple[int, str]] = []
    last: tuple[int, float] | None = None
    n_stored = stored_ts.size
    for k in order.tolist():
        if k < n_stored:
            last = (int(stored_ts[k]), float(stored_value[k]))
            continue
        j = int(positions[k - n_stored])
        here = (int(ts[j]), float(value[j]))
        message = None
        if last is not None and falls(*last, *here):
            message = _fell(info, last, here, when)
        else:
            nxt = int(following[k - n_stored])
            if nxt < n_stored:
                after = (int(stored_ts[nxt]), float(stored_value[nxt]))
                if falls(*here, *after):
                    message = _fell(info, here, after, when)
        if message is None:
            last = here
        else:
            rejected.append((j, message))
    return rejected


def _fell(info: MeterInfo, before: tuple[int, float], after: tuple[int, float], when: When) -> str:
    meter = info.meter
    unit = lookup_unit(meter.unit, meter.quantity)
    fro, to = ((v - unit.offset) / unit.factor for v in (before[1], after[1]))
    rollover = (
        f"; it falls too little for a rollover at register_max {meter.register_max:g}"
        if info.register_max is not None
        else "; if the register rolls over, set the meter's register_max"
    )
    return (
        f"register of meter {meter.id!r} falls from {fro:g} {meter.unit} at "
        f"{when(before[0])} to {to:g} {meter.unit} at {when(after[0])} with no "
        f"replacement event between them{rollover}; if the meter was replaced, record a 'replacement' "
        "meter event with old_register and new_register, then replay the quarantine"
    )
