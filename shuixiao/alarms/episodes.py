"""Rule evaluators: pure functions over one series → the episodes in which a condition held.

Each evaluator takes reading times (whole seconds since the Unix epoch, UTC, ascending) and
values in the canonical unit of the meter's quantity, and returns an :class:`Evaluation`: the
episodes it found, oldest first, and the state of the condition at the end of the data
(``active``, ``inactive``, or ``unknown`` when the data say nothing).  An episode knows when the
condition began (``start``), when it met the rule (``raised``: after the minimum duration, the
N unchanged intervals, …) and when it ended (``end``; None while it lasts).  NaN values are
left out (the caller also leaves out readings flagged ``bad``).

The tests are those of real-time quality control of sensor data (U.S. IOOS QARTOD [1]_: gross
range, rate of change, flat line, gap) and of process alarms (ANSI/ISA-18.2 [2]_ and OPC UA
Part 9 [3]_: limit alarms with a deadband and an on-delay).

References
----------
.. [1] U.S. Integrated Ocean Observing System, *Manual for Real-Time Quality Control of In-situ
   Temperature and Salinity Data*, version 2.0, 2015, :doi:`10.7289/V5V40SD4` (tests: gap,
   gross range, rate of change, flat line).
.. [2] ANSI/ISA-18.2-2016, *Management of Alarm Systems for the Process Industries* (IEC 62682).
.. [3] OPC Foundation, *OPC UA Part 9: Alarms and Conditions*, annex B.1.5 (on-delay,
   off-delay, alarm deadband), reference.opcfoundation.org/Core/Part9/B.1.5/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from shuixiao.errors import InvalidInputError

__all__ = [
    "Episode",
    "Evaluation",
    "closure_episodes",
    "offline_episodes",
    "rate_of_change_episodes",
    "stuck_episodes",
    "threshold_episodes",
]

State = Literal["active", "inactive", "unknown"]


@dataclass(frozen=True)
class Episode:
    """A stretch of time in which a condition held.

    Parameters
    ----------
    start : int
        When the condition began (first reading of it; for offline, the last reading before
        the silence). [s since epoch]
    raised : int
        When it met the rule and an alarm is due. [s since epoch]
    end : int or None
        When it ended (the reading that showed it over); None while it lasts. [s since epoch]
    extreme : float
        The worst value: highest (high limit) or lowest (low limit) value, largest rate of
        change [unit/h], longest silence [s], readings unchanged, largest closure difference.
    inherited : bool
        True when the episode continues one already alarmed before the data began.
    """

    start: int
    raised: int
    end: int | None
    extreme: float
    inherited: bool = False


@dataclass(frozen=True)
class Evaluation:
    """What an evaluator found in a series.

    Parameters
    ----------
    episodes : tuple of Episode
        Oldest first; at most the last one lasts (``end`` None).
    state : {"active", "inactive", "unknown"}
        The condition at the end of the data; ``unknown`` when there were no usable readings.
    """

    episodes: tuple[Episode, ...]
    state: State


def _series(
    ts: npt.ArrayLike, value: npt.ArrayLike | None = None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    t = np.asarray(ts, dtype=np.int64).ravel()
    v = np.zeros(t.size) if value is None else np.asarray(value, dtype=np.float64).ravel()
    if t.size != v.size:
        raise InvalidInputError(f"{t.size} times but {v.size} values")
    if t.size > 1 and np.any(np.diff(t) < 0):
        raise InvalidInputError("reading times must be in ascending order")
    keep = np.isfinite(v)
    return t[keep], v[keep]


def threshold_episodes(
    ts: npt.ArrayLike,
    value: npt.ArrayLike,
    limit: float,
    *,
    direction: Literal["high", "low"] = "high",
    deadband: float = 0.0,
    minimum_duration: float = 0.0,
    active_at_start: bool = False,
) -> Evaluation:
    """Episodes of a value beyond a limit, with a deadband (hysteresis) and an on-delay.

    A high-limit condition begins at the first reading ``≥ limit``; it meets the rule once the
    readings have stayed ``≥ limit`` for ``minimum_duration`` (a reading below the limit
    before that cancels it: the on-delay of OPC UA Part 9 and ISA-18.2), and it ends at the
    first reading ``< limit − deadband``.  A low limit is the mirror image.

    Parameters
    ----------
    ts : array_like of int
        Reading times, ascending. [s since epoch]
    value : array_like of float
        Values. [canonical unit]
    limit : float
        The limit. [canonical unit]
    direction : {"high", "low"}
    deadband : float
        How far back inside the limit a value must come to end the condition. [canonical unit]
    minimum_duration : float
        How long the limit must be passed before the condition counts. [s]
    active_at_start : bool
        The condition already holds (an alarm is open) when the data begin: it continues until
        a reading ends it.

    Returns
    -------
    Evaluation
        ``extreme`` is the highest (or lowest) value of each episode.

    Examples
    --------
    >>> ev = threshold_episodes([0, 900, 1800, 2700, 3600], [10, 52, 55, 49, 40], 50.0, deadband=5.0)
    >>> [(e.start, e.raised, e.end, e.extreme) for e in ev.episodes], ev.state
    ([(900, 900, 3600, 55.0)], 'inactive')
    >>> threshold_episodes([0, 900], [52, 53], 50.0, minimum_duration=1800).state
    'inactive'
    """
    if direction not in ("high", "low"):
        raise InvalidInputError(f"direction must be high or low, not {direction!r}")
    if not deadband >= 0 or not minimum_duration >= 0:
        raise InvalidInputError("deadband and minimum_duration must be ≥ 0")
    t, v = _series(ts, value)
    sign = 1.0 if direction == "high" else -1.0
    x, lim = sign * v, sign * float(limit)
    if t.size == 0:
        return Evaluation((), "unknown")
    episodes: list[Episode] = []
    pending: int | None = None
    on: tuple[int, int, float, bool] | None = (
        (int(t[0]), int(t[0]), float("-inf"), True) if active_at_start else None
    )
    for ti, xi in zip(t.tolist(), x.tolist(), strict=True):
        if on is not None:
            start, raised, worst, inherited = on
            if xi < lim - deadband:
                episodes.append(
                    Episode(
                        start, raised, ti, sign * worst if worst > float("-inf") else float("nan"), inherited
                    )
                )
                on = None
            else:
                on = (start, raised, max(worst, xi), inherited)
            continue
        if xi >= lim:
            pending = ti if pending is None else pending
            if ti - pending >= minimum_duration:
                on = (pending, ti, xi, False)
                pending = None
        else:
            pending = None
    if on is None:
        return Evaluation(tuple(episodes), "inactive")
    start, raised, worst, inherited = on
    episodes.append(
        Episode(start, raised, None, sign * worst if worst > float("-inf") else float("nan"), inherited)
    )
    return Evaluation(tuple(episodes), "active")


def rate_of_change_episodes(
    ts: npt.ArrayLike,
    value: npt.ArrayLike,
    *,
    max_rate: float | None = None,
    sigmas: float | None = None,
    history: float = 90_000.0,
    minimum_history: int = 8,
    clear_after: float = 3600.0,
) -> Evaluation:
    """Episodes of readings that change faster than the quantity can.

    A reading fails when the change from the reading before it exceeds ``max_rate`` per hour,
    or ``sigmas`` standard deviations of the values in the ``history`` before it (the QARTOD
    rate-of-change test: 3 standard deviations of the previous 25 hours; U.S. IOOS QARTOD
    manual v2.0, :doi:`10.7289/V5V40SD4`, test 8).  An episode runs from the first failing
    reading until a reading ``clear_after`` after the last failing one with none failing in
    between.

    Parameters
    ----------
    ts, value : array_like
        Reading times [s since epoch] and values [canonical unit].
    max_rate : float, optional
        Largest plausible change. [canonical unit per hour]
    sigmas : float, optional
        Largest plausible step in standard deviations of the recent values. [unitless]
    history : float
        Span of recent values for the standard deviation. [s]
    minimum_history : int
        Fewest recent values needed to judge by ``sigmas``.
    clear_after : float
        Calm needed to end an episode. [s]

    Returns
    -------
    Evaluation
        ``extreme`` is the largest absolute change of an episode. [canonical unit per hour]

    Examples
    --------
    >>> t = [i * 900 for i in range(12)]
    >>> v = [10.0, 10.1, 9.9, 10.0, 10.2, 9.8, 10.0, 10.1, 30.0, 30.1, 29.9, 30.0]
    >>> ev = rate_of_change_episodes(t, v, max_rate=20.0, clear_after=1800)
    >>> [(e.start, e.end, round(e.extreme)) for e in ev.episodes], ev.state
    ([(7200, 9000, 80)], 'inactive')
    """
    if max_rate is None and sigmas is None:
        raise InvalidInputError("give max_rate, sigmas or both")
    if (max_rate is not None and not max_rate > 0) or (sigmas is not None and not sigmas > 0):
        raise InvalidInputError("max_rate and sigmas must be > 0")
    t, v = _series(ts, value)
    if t.size == 0:
        return Evaluation((), "unknown")
    if t.size == 1:
        return Evaluation((), "inactive")
    step = np.diff(v)
    dt_h = np.diff(t).astype(np.float64) / 3600.0
    rate = np.where(dt_h > 0, np.abs(step) / np.where(dt_h > 0, dt_h, 1.0), 0.0)
    fail = np.zeros(step.size, dtype=bool)
    if max_rate is not None:
        fail |= rate > max_rate
    if sigmas is not None:
        fail |= _sigma_fail(t, v, step, sigmas, history, minimum_history)
    episodes: list[Episode] = []
    current: list[float] | None = None  # start, last failure, worst
    for i in range(1, t.size):
        ti = int(t[i])
        if fail[i - 1]:
            if current is None:
                current = [ti, ti, float(rate[i - 1])]
            else:
                current[1], current[2] = ti, max(current[2], float(rate[i - 1]))
        elif current is not None and ti - current[1] >= clear_after:
            episodes.append(Episode(int(current[0]), int(current[0]), ti, current[2]))
            current = None
    if current is None:
        return Evaluation(tuple(episodes), "inactive")
    episodes.append(Episode(int(current[0]), int(current[0]), None, current[2]))
    return Evaluation(tuple(episodes), "active")


def _sigma_fail(
    t: npt.NDArray[np.int64],
    v: npt.NDArray[np.float64],
    step: npt.NDArray[np.float64],
    sigmas: float,
    history: float,
    minimum_history: int,
) -> npt.NDArray[np.bool_]:
    """For each step i-1 → i: |step| > sigmas · SD(values in [t_i − history, t_i))."""
    centred = v - v.mean()
    s1 = np.concatenate(([0.0], np.cumsum(centred)))
    s2 = np.concatenate(([0.0], np.cumsum(centred * centred)))
    i = np.arange(1, t.size)
    j0 = np.searchsorted(t, t[1:] - history, side="left")
    n = (i - j0).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (s1[i] - s1[j0]) / n
        var = (s2[i] - s2[j0]) / n - mean * mean
        sd = np.sqrt(np.clip(var * n / np.maximum(n - 1.0, 1.0), 0.0, None))
    enough = (n >= minimum_history) & (sd > 0)
    return np.asarray(enough & (np.abs(step) > sigmas * sd), dtype=bool)


def offline_episodes(
    ts: npt.ArrayLike, *, end: int, max_gap: float, previous: int | None = None
) -> Evaluation:
    """Episodes of silence: no reading for ``max_gap`` or longer.

    Parameters
    ----------
    ts : array_like of int
        Reading times, ascending. [s since epoch]
    end : int
        Now (the end of the evaluated window): a silence up to it counts. [s since epoch]
    max_gap : float
        Longest normal time between readings. [s]
    previous : int, optional
        The last reading before ``ts`` (outside the window). [s since epoch]

    Returns
    -------
    Evaluation
        ``start`` is the last reading before the silence, ``raised`` = start + ``max_gap``,
        ``end`` the next reading; ``extreme`` the length of the silence [s] (up to ``end``
        while it lasts).  ``unknown`` when the meter has no reading at all.

    Examples
    --------
    >>> ev = offline_episodes([0, 900, 5400, 6300], end=12_000, max_gap=3600)
    >>> [(e.start, e.raised, e.end, e.extreme) for e in ev.episodes], ev.state
    ([(900, 4500, 5400, 4500.0), (6300, 9900, None, 5700.0)], 'active')
    """
    if not max_gap > 0:
        raise InvalidInputError(f"max_gap must be > 0 s, not {max_gap}")
    t, _ = _series(ts)
    t = t[t <= end]
    if previous is not None:
        t = np.concatenate(([int(previous)], t[t > previous]))
    if t.size == 0:
        return Evaluation((), "unknown")
    gaps = np.diff(t)
    episodes = [
        Episode(int(t[k]), int(t[k] + max_gap), int(t[k + 1]), float(gaps[k]))
        for k in np.flatnonzero(gaps >= max_gap)
    ]
    last = int(t[-1])
    if end - last >= max_gap:
        episodes.append(Episode(last, int(last + max_gap), None, float(end - last)))
        return Evaluation(tuple(episodes), "active")
    return Evaluation(tuple(episodes), "inactive")


def stuck_episodes(
    ts: npt.ArrayLike,
    value: npt.ArrayLike,
    *,
    count: int,
    tolerance: float = 0.0,
    history: float = 90_000.0,
    minimum_history: int = 8,
    max_repeat_share: float = 1.0,
) -> Evaluation:
    """Episodes of a value that stays the same where it should vary (a flat line).

    A run is a sequence of consecutive readings within ``tolerance`` of its first reading; it
    meets the rule when it spans ``count`` intervals (``count + 1`` readings), and ends at
    the first reading outside the tolerance (the QARTOD flat-line test, manual v2.0, test 9).
    A flat line is only abnormal for a signal that normally changes: a run counts only when, in the
    ``history`` before it, at most ``max_repeat_share`` of the steps between readings were
    unchanged (a slow signal read at a coarse resolution repeats itself and is not stuck).
    A run with fewer than ``minimum_history`` earlier steps is not judged.

    Parameters
    ----------
    ts, value : array_like
        Reading times [s since epoch] and values [canonical unit].
    count : int
        Unchanged intervals that make a meter stuck.
    tolerance : float
        Largest difference still counted as unchanged. [canonical unit]
    history : float
        Span before a run in which the signal's usual behaviour is judged. [s]
    minimum_history : int
        Fewest earlier steps needed to judge a run.
    max_repeat_share : float
        Largest share of unchanged steps in the history of a signal that should vary. [unitless]

    Returns
    -------
    Evaluation
        ``extreme`` is the number of unchanged intervals of the run.

    Examples
    --------
    >>> t = [i * 900 for i in range(8)]
    >>> ev = stuck_episodes(t, [1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.5, 3.0], count=3, minimum_history=0)
    >>> [(e.start, e.raised, e.end, e.extreme) for e in ev.episodes], ev.state
    ([(900, 3600, 5400, 4.0)], 'inactive')
    >>> stuck_episodes(t, [1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0, 2.0], count=3,
    ...                minimum_history=2, max_repeat_share=0.5).episodes
    ()
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InvalidInputError(f"count must be a whole number ≥ 1, not {count!r}")
    if not tolerance >= 0:
        raise InvalidInputError(f"tolerance must be ≥ 0, not {tolerance}")
    if not 0 <= max_repeat_share <= 1:
        raise InvalidInputError(f"max_repeat_share must be between 0 and 1, not {max_repeat_share}")
    t, v = _series(ts, value)
    if t.size == 0:
        return Evaluation((), "unknown")
    repeats = np.concatenate(([0], np.cumsum(np.abs(np.diff(v)) <= tolerance)))
    episodes: list[Episode] = []
    first = 0
    for k in range(1, t.size + 1):
        if k < t.size and abs(v[k] - v[first]) <= tolerance:
            continue
        intervals = k - 1 - first
        if intervals >= count and _varies(t, repeats, first, history, minimum_history, max_repeat_share):
            stop = int(t[k]) if k < t.size else None
            episodes.append(Episode(int(t[first]), int(t[first + count]), stop, float(intervals)))
        first = k
    active = bool(episodes) and episodes[-1].end is None
    return Evaluation(tuple(episodes), "active" if active else "inactive")


def _varies(
    t: npt.NDArray[np.int64],
    repeats: npt.NDArray[np.int64],
    first: int,
    history: float,
    minimum_history: int,
    max_repeat_share: float,
) -> bool:
    """True when the steps in ``history`` before reading ``first`` show a signal that changes."""
    j0 = int(np.searchsorted(t, t[first] - history, side="left"))
    steps = first - j0
    if steps < max(minimum_history, 1):
        return False
    share = float(repeats[first] - repeats[j0]) / steps
    return share <= max_repeat_share


def closure_episodes(
    starts: npt.ArrayLike, differences: npt.ArrayLike, *, tolerance: float, period: float = 86_400.0
) -> Evaluation:
    """Episodes of periods whose balance does not close: ``|difference| > tolerance``.

    Parameters
    ----------
    starts : array_like of int
        Start of each period (e.g. local days), ascending. [s since epoch]
    differences : array_like of float
        Relative difference of each period, e.g. (level-1 − Σ level-2) / level-1; NaN when
        the balance does not determine it (skipped). [unitless]
    tolerance : float
        Largest acceptable ``|difference|``. [unitless]
    period : float
        Length of a period; a period is known at its end. [s]

    Returns
    -------
    Evaluation
        ``start`` is the first failing period's start, ``raised`` its end, ``end`` the end of
        the first period back within tolerance; ``extreme`` the largest ``|difference|``.

    Examples
    --------
    >>> d = 86_400
    >>> ev = closure_episodes([0, d, 2 * d, 3 * d], [0.02, 0.15, -0.2, 0.03], tolerance=0.1)
    >>> [(e.start, e.raised, e.end, e.extreme) for e in ev.episodes], ev.state
    ([(86400, 172800, 345600, 0.2)], 'inactive')
    """
    if not tolerance >= 0:
        raise InvalidInputError(f"tolerance must be ≥ 0, not {tolerance}")
    t, d = _series(starts, differences)
    if t.size == 0:
        return Evaluation((), "unknown")
    episodes: list[Episode] = []
    current: tuple[int, float] | None = None
    for ti, di in zip(t.tolist(), np.abs(d).tolist(), strict=True):
        if di > tolerance:
            current = (ti, di) if current is None else (current[0], max(current[1], di))
        elif current is not None:
            episodes.append(Episode(current[0], int(current[0] + period), int(ti + period), current[1]))
            current = None
    if current is None:
        return Evaluation(tuple(episodes), "inactive")
    episodes.append(Episode(current[0], int(current[0] + period), None, current[1]))
    return Evaluation(tuple(episodes), "active")
