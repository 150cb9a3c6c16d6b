"""The alarm state machine: acknowledge, clear, escalate, note — each with its audit entry.

::

    raised ──acknowledge──▶ acknowledged
      │  ╲                      │
      │   escalate (severity    clear
      │   up one level, once    │
      │   per level, while      ▼
      │   unacknowledged)     cleared
      └──────────clear────────▶

Every function is pure: it takes an :class:`Alarm` and returns the changed alarm with the
:class:`HistoryEntry` that records the transition (who, when, from, to, note); the store writes
both in one transaction.  A transition the state does not allow raises
:class:`AlarmStateError` with what to do instead.  The model follows the acknowledge/clear
(``Acked``/``Active``) alarm states of OPC UA Part 9 (Alarms and Conditions) and the alarm
life cycle of ANSI/ISA-18.2-2016 (IEC 62682).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from shuixiao.alarms._model import SYSTEM, Alarm, AlarmState, AlarmStateError, HistoryEntry, Severity
from shuixiao.alarms.rules import format_duration
from shuixiao.errors import InvalidInputError

__all__ = ["acknowledge", "add_note", "clear", "escalate", "escalation_due", "next_escalation"]


def _aware(at: dt.datetime) -> dt.datetime:
    if at.utcoffset() is None:
        raise InvalidInputError("times of alarm transitions must be aware datetimes (with a time zone)")
    return at.astimezone(dt.UTC)


def _actor(actor: str) -> str:
    if not isinstance(actor, str) or not actor.strip():
        raise InvalidInputError("say who did it: the actor must be a non-empty login or 'system'")
    return actor.strip()


def _note(note: str | None) -> str | None:
    if note is None:
        return None
    text = note.strip()
    return text or None


def _when(alarm: Alarm) -> str:
    at = alarm.cleared_at or alarm.acknowledged_at
    return at.isoformat() if at else "?"


def acknowledge(
    alarm: Alarm, actor: str, at: dt.datetime, note: str | None = None
) -> tuple[Alarm, HistoryEntry]:
    """Take a raised alarm on: it stops escalating and stays until cleared.

    Parameters
    ----------
    alarm : Alarm
    actor : str
        Login of the person.
    at : datetime.datetime
        When (aware).
    note : str, optional

    Returns
    -------
    (Alarm, HistoryEntry)

    Raises
    ------
    AlarmStateError
        If the alarm is already acknowledged or cleared.

    Examples
    --------
    >>> import datetime as dt
    >>> t = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    >>> a = Alarm(1, "e", "offline", "FT-1", Severity.MAJOR, AlarmState.RAISED, "离线", "offline", {}, t)
    >>> acked, entry = acknowledge(a, "wang", t)
    >>> acked.state.value, entry.from_state, entry.to_state
    ('acknowledged', 'raised', 'acknowledged')
    """
    who, when = _actor(actor), _aware(at)
    if alarm.state is AlarmState.CLEARED:
        raise AlarmStateError(
            f"alarm {alarm.id} was cleared at {_when(alarm)} by {alarm.cleared_by}; a cleared alarm cannot be "
            "acknowledged (if the condition is back, the next check raises a new alarm)"
        )
    if alarm.state is AlarmState.ACKNOWLEDGED:
        raise AlarmStateError(
            f"alarm {alarm.id} is already acknowledged (by {alarm.acknowledged_by} at {_when(alarm)}); "
            "add a note instead, or clear it"
        )
    changed = dataclasses.replace(
        alarm, state=AlarmState.ACKNOWLEDGED, acknowledged_at=when, acknowledged_by=who
    )
    entry = HistoryEntry(
        when, who, "acknowledge", alarm.state.value, changed.state.value, _note(note), changed.severity.value
    )
    return changed, entry


def clear(alarm: Alarm, actor: str, at: dt.datetime, note: str | None = None) -> tuple[Alarm, HistoryEntry]:
    """End an alarm: by a person, or by ``system`` when its condition ended (auto-clear).

    Raises
    ------
    AlarmStateError
        If the alarm is already cleared.
    """
    who, when = _actor(actor), _aware(at)
    if alarm.state is AlarmState.CLEARED:
        raise AlarmStateError(
            f"alarm {alarm.id} is already cleared (by {alarm.cleared_by} at {_when(alarm)}); nothing to do"
        )
    changed = dataclasses.replace(alarm, state=AlarmState.CLEARED, cleared_at=when, cleared_by=who)
    entry = HistoryEntry(
        when, who, "clear", alarm.state.value, changed.state.value, _note(note), changed.severity.value
    )
    return changed, entry


def add_note(alarm: Alarm, actor: str, at: dt.datetime, note: str) -> HistoryEntry:
    """Record a note on an alarm in any state (the state does not change).

    Raises
    ------
    InvalidInputError
        If the note is empty.
    """
    text = _note(note)
    if text is None:
        raise InvalidInputError("a note needs some text")
    return HistoryEntry(
        _aware(at), _actor(actor), "note", alarm.state.value, alarm.state.value, text, alarm.severity.value
    )


def next_escalation(alarm: Alarm) -> dt.datetime | None:
    """When the alarm goes up a severity if nobody acknowledges it; None if it never will.

    It escalates only while raised (not acknowledged, not cleared), below critical, and with an
    ``escalate_after`` timeout, counted from the raise (when the platform raised it, for an old
    condition found late) or from the last escalation, so each level is reached — and
    notified — once.
    """
    if alarm.state is not AlarmState.RAISED or alarm.escalate_after is None:
        return None
    if alarm.severity is Severity.CRITICAL:
        return None
    base = alarm.escalated_at or max(alarm.raised_at, alarm.created_at or alarm.raised_at)
    return base + dt.timedelta(seconds=alarm.escalate_after)


def escalation_due(alarm: Alarm, now: dt.datetime) -> bool:
    """True when :func:`next_escalation` has passed at ``now``."""
    due = next_escalation(alarm)
    return due is not None and _aware(now) >= due


def escalate(alarm: Alarm, at: dt.datetime) -> tuple[Alarm, HistoryEntry]:
    """Raise the severity of an unacknowledged alarm by one level (by ``system``).

    Raises
    ------
    AlarmStateError
        If the alarm is not due (acknowledged, cleared, critical, without a timeout, or
        before its timeout).

    Examples
    --------
    >>> import datetime as dt
    >>> t = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    >>> a = Alarm(1, "e", "offline", "FT-1", Severity.WARNING, AlarmState.RAISED, "离线", "offline", {}, t,
    ...           escalate_after=3600.0)
    >>> up, entry = escalate(a, t + dt.timedelta(hours=1))
    >>> up.severity.value, up.escalated, entry.action
    ('major', 1, 'escalate')
    """
    when = _aware(at)
    if not escalation_due(alarm, when):
        due = next_escalation(alarm)
        why = f"it is due at {due.isoformat()}" if due else "it does not escalate in its state"
        raise AlarmStateError(
            f"alarm {alarm.id} ({alarm.severity.value}, {alarm.state.value}) cannot escalate: {why}"
        )
    before = alarm.severity
    changed = dataclasses.replace(
        alarm,
        severity=before.up(),
        escalated=alarm.escalated + 1,
        escalated_at=when,
        initial_severity=alarm.initial_severity or before,
    )
    waited = format_duration(alarm.escalate_after or 0.0)
    note = f"{before.value} → {changed.severity.value}: unacknowledged for {waited}"
    entry = HistoryEntry(
        when, SYSTEM, "escalate", alarm.state.value, changed.state.value, note, changed.severity.value
    )
    return changed, entry
