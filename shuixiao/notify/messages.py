"""Messages about alarms, in Chinese and English: the JSON form, e-mail subjects and texts."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final
from zoneinfo import ZoneInfo

from shuixiao.alarms import Alarm

__all__ = ["SCHEMA", "SEVERITY_NAMES", "alarm_dict", "alarm_payload", "message_text"]

SCHEMA: Final = "shuixiao.alarm/1"
"""The ``schema`` of webhook bodies."""

SEVERITY_NAMES: Final = {
    "info": ("提示", "info"),
    "warning": ("警告", "warning"),
    "major": ("重要", "major"),
    "critical": ("紧急", "critical"),
}
"""Severity → (zh, en)."""
STATE_NAMES: Final = {
    "raised": ("已报警", "raised"),
    "acknowledged": ("已确认", "acknowledged"),
    "cleared": ("已解除", "cleared"),
}
_EVENT_NAMES: Final = {
    "raised": ("报警", "Alarm"),
    "escalated": ("升级", "Escalated"),
    "acknowledged": ("已确认", "Acknowledged"),
    "cleared": ("已解除", "Cleared"),
}


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value else None


def alarm_dict(alarm: Alarm) -> dict[str, Any]:
    """An alarm as a JSON-ready dict (times in ISO 8601 UTC).

    Examples
    --------
    >>> import datetime as dt
    >>> from shuixiao.alarms import Alarm, AlarmState, Severity
    >>> t = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    >>> a = Alarm(7, "xg-steel", "offline", "FT-101", Severity.MAJOR, AlarmState.RAISED, "离线", "offline", {}, t)
    >>> alarm_dict(a)["raised_at"], alarm_dict(a)["severity"]
    ('2025-03-01T00:00:00+00:00', 'major')
    """
    return {
        "id": alarm.id,
        "enterprise": alarm.enterprise,
        "kind": alarm.kind,
        "key": alarm.key,
        "meter": alarm.meter,
        "rule": alarm.rule,
        "severity": alarm.severity.value,
        "initial_severity": (alarm.initial_severity or alarm.severity).value,
        "state": alarm.state.value,
        "title_zh": alarm.title_zh,
        "title_en": alarm.title_en,
        "detail": alarm.detail,
        "raised_at": _iso(alarm.raised_at),
        "created_at": _iso(alarm.created_at),
        "last_seen": _iso(alarm.last_seen),
        "acknowledged_at": _iso(alarm.acknowledged_at),
        "acknowledged_by": alarm.acknowledged_by,
        "cleared_at": _iso(alarm.cleared_at),
        "cleared_by": alarm.cleared_by,
        "escalated": alarm.escalated,
        "escalated_at": _iso(alarm.escalated_at),
        "escalate_after": alarm.escalate_after,
    }


def _local(value: dt.datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else "—"


def message_text(alarm: Alarm, event: str, language: str, timezone: str = "Asia/Shanghai") -> tuple[str, str]:
    """Subject and text of a message about ``event`` of ``alarm`` in ``language`` (``zh`` or ``en``).

    Times are shown in ``timezone``.

    Examples
    --------
    >>> import datetime as dt
    >>> from shuixiao.alarms import Alarm, AlarmState, Severity
    >>> t = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    >>> a = Alarm(7, "xg-steel", "offline", "FT-101", Severity.MAJOR, AlarmState.RAISED, "FT-101 离线", "FT-101 offline", {}, t)
    >>> message_text(a, "raised", "zh")[0]
    '[水效预警·重要] 报警：FT-101 离线'
    >>> message_text(a, "raised", "en")[0]
    '[shuixiao alarm · major] Alarm: FT-101 offline'
    """
    zone = ZoneInfo(timezone)
    i = 1 if language == "en" else 0
    severity = SEVERITY_NAMES[alarm.severity.value][i]
    what = _EVENT_NAMES.get(event, (event, event))[i]
    title = alarm.title(language)
    state = STATE_NAMES[alarm.state.value][i]
    if i:
        subject = f"[shuixiao alarm · {severity}] {what}: {title}"
        lines = [
            title,
            "",
            f"Enterprise: {alarm.enterprise}",
            f"Meter: {alarm.meter or '—'}",
            f"Severity: {severity}" + (f" (escalated {alarm.escalated}×)" if alarm.escalated else ""),
            f"State: {state}",
            f"Raised: {_local(alarm.raised_at, zone)} ({timezone})",
        ]
        if alarm.cleared_at:
            lines.append(f"Cleared: {_local(alarm.cleared_at, zone)} by {alarm.cleared_by}")
        elif alarm.acknowledged_at:
            lines.append(f"Acknowledged: {_local(alarm.acknowledged_at, zone)} by {alarm.acknowledged_by}")
        lines += ["", f"Details: shuixiao alarm show {alarm.id}"]
        if alarm.state.value == "raised":
            lines.append(f"Take it on: shuixiao alarm ack {alarm.id}")
    else:
        subject = f"[水效预警·{severity}] {what}：{title}"
        lines = [
            title,
            "",
            f"企业：{alarm.enterprise}",
            f"计量器具：{alarm.meter or '—'}",
            f"级别：{severity}" + (f"（已升级 {alarm.escalated} 次）" if alarm.escalated else ""),
            f"状态：{state}",
            f"报警时间：{_local(alarm.raised_at, zone)}（{timezone}）",
        ]
        if alarm.cleared_at:
            lines.append(f"解除：{_local(alarm.cleared_at, zone)}，{alarm.cleared_by}")
        elif alarm.acknowledged_at:
            lines.append(f"确认：{_local(alarm.acknowledged_at, zone)}，{alarm.acknowledged_by}")
        lines += ["", f"详情：shuixiao alarm show {alarm.id}"]
        if alarm.state.value == "raised":
            lines.append(f"确认处理：shuixiao alarm ack {alarm.id}")
    return subject, "\n".join(lines) + "\n"


def alarm_payload(
    alarm: Alarm, event: str, language: str = "zh", timezone: str = "Asia/Shanghai"
) -> dict[str, Any]:
    """The message about ``event`` of ``alarm``, as queued and as a webhook body.

    Returns
    -------
    dict
        ``schema`` (``shuixiao.alarm/1``), ``event``, ``language`` (the channel's),
        ``alarm`` (:func:`alarm_dict`), and ``subject`` and ``text`` in ``zh`` and ``en``.
    """
    zh, en = message_text(alarm, event, "zh", timezone), message_text(alarm, event, "en", timezone)
    return {
        "schema": SCHEMA,
        "event": event,
        "language": language,
        "alarm": alarm_dict(alarm),
        "subject": {"zh": zh[0], "en": en[0]},
        "text": {"zh": zh[1], "en": en[1]},
    }
