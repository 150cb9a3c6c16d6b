"""The alarm model: severities, states, alarms, what to raise, and the audit history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shuixiao.errors import InvalidInputError

__all__ = ["Alarm", "AlarmSpec", "AlarmState", "AlarmStateError", "HistoryEntry", "Severity", "SYSTEM"]

SYSTEM = "system"
"""The actor recorded for what the platform does by itself (raise, auto-clear, escalate)."""


class AlarmStateError(InvalidInputError):
    """A transition the alarm's (or leak event's) current state does not allow."""


class Severity(StrEnum):
    """How urgent an alarm is, lowest first (ANSI/ISA-18.2 priorities; OPC UA Part 9 severity bands).

    Examples
    --------
    >>> Severity.WARNING.up(), Severity.CRITICAL.up()
    (<Severity.MAJOR: 'major'>, <Severity.CRITICAL: 'critical'>)
    >>> Severity.MAJOR > Severity.WARNING
    True
    """

    INFO = "info"  #: 提示: for the record, nobody needs to act
    WARNING = "warning"  #: 警告: look at it this shift
    MAJOR = "major"  #: 重要: act within the hour
    CRITICAL = "critical"  #: 紧急: act now

    @property
    def rank(self) -> int:
        """0 for info up to 3 for critical."""
        return _ORDER.index(self)

    def up(self) -> Severity:
        """The next higher severity; critical stays critical."""
        return _ORDER[min(self.rank + 1, len(_ORDER) - 1)]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank


_ORDER = (Severity.INFO, Severity.WARNING, Severity.MAJOR, Severity.CRITICAL)


class AlarmState(StrEnum):
    """Where an alarm is in its life: raised → acknowledged → cleared (or raised → cleared)."""

    RAISED = "raised"  #: 已报警: the condition was found and nobody has taken it on
    ACKNOWLEDGED = "acknowledged"  #: 已确认: a person has taken it on
    CLEARED = "cleared"  #: 已解除: over, by a person or because the condition ended


@dataclass(frozen=True)
class AlarmSpec:
    """What to raise: the condition found by a rule (or by another capability).

    Parameters
    ----------
    enterprise : str
        Enterprise id.
    kind : str
        What kind of condition, e.g. ``offline``, ``threshold``, ``leak_suspected``.
    key : str
        Identifies the condition within the enterprise and kind, e.g. ``FT-101/high``; while an
        alarm of ``(enterprise, kind, key)`` is not cleared, raising it again returns that alarm.
    severity : Severity
    title_zh, title_en : str
        One line for people, in Chinese and in English.
    detail : dict
        JSON-compatible facts: values, limits, the rule and its parameters.
    meter : str, optional
        The meter concerned, if any.
    rule : str, optional
        Id of the rule that found it (``shuixiao/data/alarm_rules.yaml``).
    raised_at : datetime.datetime, optional
        When the condition met its rule (aware); the time of raising when omitted.
    escalate_after : float, optional
        Unacknowledged this long after raising (or after the last escalation), the alarm goes up
        one severity. [s]  None: it never escalates.
    """

    enterprise: str
    kind: str
    key: str
    severity: Severity
    title_zh: str
    title_en: str
    detail: dict[str, Any] = field(default_factory=dict)
    meter: str | None = None
    rule: str | None = None
    raised_at: dt.datetime | None = None
    escalate_after: float | None = None

    def __post_init__(self) -> None:
        for name in ("enterprise", "kind", "key", "title_zh", "title_en"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InvalidInputError(f"an alarm needs a non-empty {name}, not {value!r}")
        given: object = self.severity
        if not isinstance(given, Severity):
            object.__setattr__(self, "severity", _severity(given))
        if self.raised_at is not None and self.raised_at.utcoffset() is None:
            raise InvalidInputError("raised_at must be an aware datetime (with a time zone)")
        if self.escalate_after is not None and not self.escalate_after > 0:
            raise InvalidInputError(f"escalate_after must be > 0 s or None, not {self.escalate_after}")


def _severity(value: object) -> Severity:
    try:
        return Severity(str(value))
    except ValueError:
        names = ", ".join(s.value for s in Severity)
        raise InvalidInputError(f"severity {value!r} is unknown; use one of {names}") from None


@dataclass(frozen=True)
class Alarm:
    """An alarm as it stands.

    Parameters
    ----------
    id : int
        Store id.
    enterprise, kind, key, title_zh, title_en, detail, meter, rule
        As in :class:`AlarmSpec`.
    severity : Severity
        Current severity (raised by escalation).
    state : AlarmState
    raised_at : datetime.datetime
        When the condition met its rule (UTC).
    acknowledged_at, acknowledged_by : datetime.datetime or None, str or None
        Who took it on, and when.
    cleared_at, cleared_by : datetime.datetime or None, str or None
        Who cleared it (``system`` when the condition ended), and when.
    escalated : int
        How many times it went up a severity (0: never).
    initial_severity : Severity, optional
        Severity when raised; ``severity`` when omitted.
    escalate_after : float or None
        See :class:`AlarmSpec`. [s]
    escalated_at : datetime.datetime or None
        When it last went up a severity.
    last_seen : datetime.datetime or None
        The last time a check found the condition still present.
    created_at : datetime.datetime or None
        When the platform raised it (for an old condition found late, after ``raised_at``);
        escalation counts from here.
    """

    id: int
    enterprise: str
    kind: str
    key: str
    severity: Severity
    state: AlarmState
    title_zh: str
    title_en: str
    detail: dict[str, Any]
    raised_at: dt.datetime
    acknowledged_at: dt.datetime | None = None
    acknowledged_by: str | None = None
    cleared_at: dt.datetime | None = None
    cleared_by: str | None = None
    escalated: int = 0
    meter: str | None = None
    rule: str | None = None
    initial_severity: Severity | None = None
    escalate_after: float | None = None
    escalated_at: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    created_at: dt.datetime | None = None

    @property
    def open(self) -> bool:
        """True while the alarm is not cleared."""
        return self.state is not AlarmState.CLEARED

    def title(self, language: str) -> str:
        """The title in ``language`` (``zh`` or ``en``)."""
        return self.title_en if language == "en" else self.title_zh


@dataclass(frozen=True)
class HistoryEntry:
    """One line of an alarm's (or a leak event's) audit history.

    Parameters
    ----------
    at : datetime.datetime
        When (UTC).
    actor : str
        Who: a user's login, or ``system``.
    action : str
        ``raise``, ``acknowledge``, ``clear``, ``escalate`` or ``note`` for alarms; the workflow
        step (``detect``, ``confirm``, ``repair``, ``verify``, ``dismiss``, ``reopen``, ``note``,
        ``update``) for leak events.
    from_state, to_state : str or None
        The state before and after (equal for notes; ``from_state`` None when raised).
    note : str or None
        What the person wrote, or why the platform acted.
    severity : str or None
        Severity after the action (alarms).
    id : int
        Store id (0 before it is stored).
    """

    at: dt.datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str | None
    note: str | None = None
    severity: str | None = None
    id: int = 0
