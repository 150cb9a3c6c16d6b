"""The workflow of a leak event, from suspicion to a verified repair.

::

    suspected ──confirm──▶ confirmed ──repair──▶ repaired ──verify──▶ verified
        │                     │  ▲                  │
        │                     │  └─────reopen───────┘   (the repair did not hold)
        └──────dismiss────────┴──dismiss──▶ dismissed

``verified`` and ``dismissed`` are final: a leak found again later is a new event.  The
functions are pure; the store records each step with who, when and a note.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from enum import StrEnum

from shuixiao.alarms._model import AlarmStateError

__all__ = ["LEAK_ACTIONS", "LeakState", "leak_transition", "match_leak_event"]


class LeakState(StrEnum):
    """State of a leak event."""

    SUSPECTED = "suspected"  #: 疑似: the detector found it; nobody has looked yet
    CONFIRMED = "confirmed"  #: 已确认: found on site (or accepted from the data)
    REPAIRED = "repaired"  #: 已修复: the crew reports it repaired
    VERIFIED = "verified"  #: 已验证: the data show the leak flow gone
    DISMISSED = "dismissed"  #: 已排除: not a leak (a new consumer, a meter fault, ...)

    @property
    def final(self) -> bool:
        """True for verified and dismissed."""
        return self in (LeakState.VERIFIED, LeakState.DISMISSED)


LEAK_ACTIONS: dict[str, tuple[frozenset[LeakState], LeakState]] = {
    "confirm": (frozenset({LeakState.SUSPECTED}), LeakState.CONFIRMED),
    "repair": (frozenset({LeakState.SUSPECTED, LeakState.CONFIRMED}), LeakState.REPAIRED),
    "verify": (frozenset({LeakState.REPAIRED}), LeakState.VERIFIED),
    "reopen": (frozenset({LeakState.REPAIRED}), LeakState.CONFIRMED),
    "dismiss": (frozenset({LeakState.SUSPECTED, LeakState.CONFIRMED}), LeakState.DISMISSED),
}
"""Action → (states it may start from, state it leads to)."""

_DONE = {
    "confirm": "confirmed",
    "repair": "repaired",
    "verify": "verified",
    "reopen": "reopened",
    "dismiss": "dismissed",
}


def leak_transition(event_id: int, state: LeakState, action: str, at: dt.datetime | None = None) -> LeakState:
    """Return the state ``action`` leads to from ``state``.

    Parameters
    ----------
    event_id : int
        For the message.
    state : LeakState
        Current state.
    action : str
        ``confirm``, ``repair``, ``verify``, ``reopen`` or ``dismiss``.
    at : datetime.datetime, optional
        When the event reached ``state``, for the message.

    Raises
    ------
    AlarmStateError
        If the action is unknown or not allowed from ``state``; the message lists what is.

    Examples
    --------
    >>> leak_transition(3, LeakState.SUSPECTED, "confirm").value
    'confirmed'
    >>> leak_transition(3, LeakState.VERIFIED, "repair")
    Traceback (most recent call last):
    ...
    shuixiao.alarms._model.AlarmStateError: leak event 3 is verified, so it cannot be repaired; it is final
    """
    if action not in LEAK_ACTIONS:
        raise AlarmStateError(f"unknown leak-event action {action!r}; use one of {', '.join(LEAK_ACTIONS)}")
    sources, target = LEAK_ACTIONS[action]
    if state not in sources:
        allowed = [a for a, (s, _) in LEAK_ACTIONS.items() if state in s]
        since = f" since {at.isoformat()}" if at else ""
        then = f"; from {state.value} you can: {', '.join(allowed)}" if allowed else "; it is final"
        raise AlarmStateError(
            f"leak event {event_id} is {state.value}{since}, so it cannot be {_DONE[action]}{then}"
        )
    return target


def match_leak_event(
    start: dt.datetime,
    best: str | None,
    open_events: Sequence[tuple[int, dt.datetime, str | None]],
    start_tolerance: float,
) -> int | None:
    """Return the open event a new detection belongs to, or None if it is a new leak.

    A detection belongs to an open event when its estimated start lies within
    ``start_tolerance`` of the event's, or when both name the same best candidate; the closest
    start wins.

    Parameters
    ----------
    start : datetime.datetime
        Estimated start of the detected leak (aware).
    best : str or None
        Its best candidate, e.g. ``pipe P-12``.
    open_events : sequence of (int, datetime.datetime, str or None)
        Id, estimated start and best candidate of each open event.
    start_tolerance : float
        [s]

    Examples
    --------
    >>> import datetime as dt
    >>> t = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    >>> events = [(1, t, "pipe P-1"), (2, t + dt.timedelta(days=2), "pipe P-9")]
    >>> match_leak_event(t + dt.timedelta(hours=1), "pipe P-4", events, 7200)
    1
    >>> match_leak_event(t + dt.timedelta(days=5), "pipe P-9", events, 7200)
    2
    >>> match_leak_event(t + dt.timedelta(days=5), None, events, 7200) is None
    True
    """
    best_id, best_gap = None, math.inf
    for event_id, event_start, event_best in open_events:
        gap = abs((start - event_start).total_seconds())
        if gap <= start_tolerance or (best is not None and best == event_best):
            if gap < best_gap:
                best_id, best_gap = event_id, gap
    return best_id
