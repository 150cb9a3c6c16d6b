"""The alarm panel of the enterprise dashboard, from the alarm store (:mod:`shuixiao.storage.alarms`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from shuixiao.service.web._format import format_time
from shuixiao.service.web._i18n import Translator
from shuixiao.service.web._render import path
from shuixiao.storage import Store
from shuixiao.storage.alarms import AlarmStore

__all__ = ["AlarmRow", "alarm_rows"]


@dataclass(frozen=True)
class AlarmRow:
    """One alarm as the dashboard lists it.

    Parameters
    ----------
    id : int
    raised : str
        Local time it was raised.
    severity, state : str
        ``info`` … ``critical``; ``raised``, ``acknowledged`` or ``cleared``.
    title : str
        In the page language.
    detail : str
        Extra text ('' when none).
    meter, meter_href : str or None
        The meter concerned and its page.
    acknowledged : str
        Who acknowledged it and when ('' while not acknowledged).
    can_acknowledge : bool
        True when the principal may acknowledge it now.
    acknowledge_href : str
        Where the acknowledge form posts.
    """

    id: int
    raised: str
    severity: str
    state: str
    title: str
    detail: str
    meter: str | None
    meter_href: str | None
    acknowledged: str
    can_acknowledge: bool
    acknowledge_href: str


def alarm_rows(
    store: Store,
    enterprise_id: str,
    t: Translator,
    zone: ZoneInfo,
    limit: int,
    may_write: bool,
    meter_href: Callable[[str], str],
) -> list[AlarmRow]:
    """Return the newest alarms of an enterprise (at most ``limit``), newest first.

    Parameters
    ----------
    store : Store
    enterprise_id : str
    t : Translator
    zone : zoneinfo.ZoneInfo
    limit : int
    may_write : bool
        Whether the principal may write to this enterprise (acknowledge alarms).
    meter_href : callable
        Link of a meter page from its id.
    """
    rows: list[AlarmRow] = []
    for alarm in AlarmStore(store).list_alarms([enterprise_id], limit=limit):
        state = str(alarm.state)
        acknowledged = ""
        if alarm.acknowledged_at is not None:
            acknowledged = t(
                "alarms.acknowledged_by",
                who=alarm.acknowledged_by or "–",
                time=format_time(alarm.acknowledged_at, zone),
            )
        rows.append(
            AlarmRow(
                id=alarm.id,
                raised=format_time(alarm.raised_at, zone),
                severity=str(alarm.severity),
                state=state,
                title=t.pick(alarm.title_zh, alarm.title_en),
                detail=_detail(alarm.detail),
                meter=alarm.meter,
                meter_href=meter_href(alarm.meter) if alarm.meter else None,
                acknowledged=acknowledged,
                can_acknowledge=may_write and state == "raised",
                acknowledge_href=path("enterprises", enterprise_id, "alarms", str(alarm.id), "acknowledge"),
            )
        )
    return rows


def _detail(detail: object) -> str:
    """The facts of an alarm as ``name value`` pairs (``value 9.8 · limit 9.5``).

    Examples
    --------
    >>> _detail({"value": 9.8, "limit": 9.5, "rule": {"window": 3}})
    'value 9.8 · limit 9.5'
    >>> _detail(None), _detail("text")
    ('', 'text')
    """
    if isinstance(detail, dict):
        simple = [
            (k, v) for k, v in detail.items() if isinstance(v, str | int | float) and not isinstance(v, bool)
        ]
        return " · ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in simple)
    return "" if detail is None else str(detail)
