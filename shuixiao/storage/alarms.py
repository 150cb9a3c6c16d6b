"""Alarms, their history and notifications, alarm-rule overrides, and leak events in the store.

Tables (revision 0005, ``migrations/versions/0005_alarms.py``):

* ``alarm_rules`` — an enterprise's overrides of the default rules (per meter or for all);
* ``alarms`` — one row per alarm; at most one not-cleared alarm per (enterprise, kind, key),
  enforced by a partial unique index, so a persisting condition is one alarm;
* ``alarm_history`` — every transition and note: who, when (UTC), from, to, note;
* ``alarm_deliveries`` — notifications to send or sent: channel, target, status, attempts,
  last error; written in the same transaction as the alarm change (an outbox), so a
  notification is never lost, only retried;
* ``alarm_checks`` — per enterprise, up to when the rules were last checked;
* ``leak_events`` and ``leak_event_history`` — leaks with their workflow (suspected →
  confirmed → repaired → verified, or dismissed), suspects and linked alarm.

Alarms and leak events name their enterprise by id without a foreign key: they are records of
what happened and outlive a deleted enterprise (as the quarantine does).  The rule overrides
belong to the enterprise and go with it.

:class:`AlarmStore` and :class:`LeakEventStore` are the interface; each method runs in one
transaction (:meth:`Store.transaction`), and the state changes are those of the pure engine
:mod:`shuixiao.alarms` (which validates them).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from shuixiao.alarms import (
    SYSTEM,
    Alarm,
    AlarmSpec,
    AlarmState,
    HistoryEntry,
    LeakState,
    ResolvedRule,
    RuleOverride,
    Severity,
    leak_alarm,
    leak_transition,
    match_leak_event,
)
from shuixiao.alarms import acknowledge as _acknowledge
from shuixiao.alarms import add_note as _add_note
from shuixiao.alarms import clear as _clear
from shuixiao.alarms import escalate as _escalate
from shuixiao.alarms import escalation_due as _escalation_due
from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.leaks import LeakEvent
from shuixiao.storage import schema as t
from shuixiao.storage.schema import UTCTimestamp, metadata
from shuixiao.storage.store import Store

__all__ = [
    "AlarmStore",
    "Delivery",
    "DeliverySpec",
    "LeakEventRecord",
    "LeakEventStore",
    "Outbox",
    "Suspect",
    "alarm_checks",
    "alarm_deliveries",
    "alarm_history",
    "alarm_rules",
    "alarms",
    "leak_event_history",
    "leak_events",
]

_DOUBLE: sa.Double[float] = sa.Double()
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_OPEN_STATES: Final = (AlarmState.RAISED.value, AlarmState.ACKNOWLEDGED.value)
_LEAK_OPEN: Final = (LeakState.SUSPECTED.value, LeakState.CONFIRMED.value)

alarm_rules = sa.Table(
    "alarm_rules",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "enterprise_key", sa.Integer, sa.ForeignKey("enterprises.key", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("rule", sa.String, nullable=False, comment="rule id of shuixiao/data/alarm_rules.yaml"),
    sa.Column(
        "meter", sa.String, nullable=False, comment="meter id, or '' for every meter of the enterprise"
    ),
    sa.Column("enabled", sa.Boolean, nullable=True, comment="null: as the defaults say"),
    sa.Column("severity", sa.String, nullable=True, comment="Severity value; null: as the defaults say"),
    sa.Column(
        "params", _JSON, nullable=False, comment="parameter → value in canonical units (s for durations)"
    ),
    sa.Column("escalate_after", _DOUBLE, nullable=True, comment="[s]; null with escalate_after_set: never"),
    sa.Column(
        "escalate_after_set", sa.Boolean, nullable=False, comment="escalate_after overrides the default"
    ),
    sa.Column("updated_at", UTCTimestamp(), nullable=False),
    sa.Column("updated_by", sa.String, nullable=False),
    sa.UniqueConstraint("enterprise_key", "rule", "meter"),
    sqlite_autoincrement=True,
)

alarms = sa.Table(
    "alarms",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "enterprise", sa.String, nullable=False, comment="enterprise id (no foreign key: alarms outlive it)"
    ),
    sa.Column("kind", sa.String, nullable=False, comment="e.g. offline, threshold, leak_suspected"),
    sa.Column("key", sa.String, nullable=False, comment="deduplication key within enterprise and kind"),
    sa.Column("meter", sa.String, nullable=True),
    sa.Column("rule", sa.String, nullable=True, comment="rule id that raised it"),
    sa.Column("severity", sa.String, nullable=False, comment="Severity value, after escalation"),
    sa.Column("initial_severity", sa.String, nullable=False, comment="Severity value when raised"),
    sa.Column("state", sa.String, nullable=False, comment="AlarmState value"),
    sa.Column("title_zh", sa.Text, nullable=False),
    sa.Column("title_en", sa.Text, nullable=False),
    sa.Column("detail", _JSON, nullable=False),
    sa.Column("raised_at", UTCTimestamp(), nullable=False, comment="when the condition met its rule"),
    sa.Column("created_at", UTCTimestamp(), nullable=False, comment="when the platform raised it"),
    sa.Column("last_seen", UTCTimestamp(), nullable=True, comment="last check that found the condition"),
    sa.Column("acknowledged_at", UTCTimestamp(), nullable=True),
    sa.Column("acknowledged_by", sa.String, nullable=True),
    sa.Column("cleared_at", UTCTimestamp(), nullable=True),
    sa.Column("cleared_by", sa.String, nullable=True, comment="login, or 'system' when the condition ended"),
    sa.Column("escalated", sa.Integer, nullable=False, comment="times the severity went up"),
    sa.Column("escalated_at", UTCTimestamp(), nullable=True),
    sa.Column("escalate_after", _DOUBLE, nullable=True, comment="[s]; null: never escalates"),
    sa.Index(
        None,
        "enterprise",
        "kind",
        "key",
        unique=True,
        sqlite_where=sa.text("state != 'cleared'"),
        postgresql_where=sa.text("state != 'cleared'"),
    ),
    sa.Index(None, "enterprise", "state"),
    sa.Index(None, "raised_at"),
    sqlite_autoincrement=True,
)

alarm_history = sa.Table(
    "alarm_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alarm_id", sa.Integer, sa.ForeignKey("alarms.id", ondelete="CASCADE"), nullable=False),
    sa.Column("at", UTCTimestamp(), nullable=False),
    sa.Column("actor", sa.String, nullable=False, comment="login, or 'system'"),
    sa.Column("action", sa.String, nullable=False, comment="raise, acknowledge, clear, escalate, note"),
    sa.Column("from_state", sa.String, nullable=True),
    sa.Column("to_state", sa.String, nullable=True),
    sa.Column("severity", sa.String, nullable=True, comment="severity after the action"),
    sa.Column("note", sa.Text, nullable=True),
    sa.Index(None, "alarm_id"),
    sqlite_autoincrement=True,
)

alarm_deliveries = sa.Table(
    "alarm_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alarm_id", sa.Integer, sa.ForeignKey("alarms.id", ondelete="CASCADE"), nullable=False),
    sa.Column("event", sa.String, nullable=False, comment="raised, escalated, acknowledged, cleared"),
    sa.Column("channel", sa.String, nullable=False, comment="channel name in the notification config"),
    sa.Column("kind", sa.String, nullable=False, comment="webhook or email"),
    sa.Column("target", sa.String, nullable=False, comment="URL or e-mail addresses"),
    sa.Column("payload", _JSON, nullable=False, comment="the message as rendered when queued"),
    sa.Column("status", sa.String, nullable=False, comment="pending, sent or failed (gave up)"),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", UTCTimestamp(), nullable=False),
    sa.Column("next_attempt_at", UTCTimestamp(), nullable=True),
    sa.Column("sent_at", UTCTimestamp(), nullable=True),
    sa.Index(None, "status", "next_attempt_at"),
    sa.Index(None, "alarm_id"),
    sqlite_autoincrement=True,
)

alarm_checks = sa.Table(
    "alarm_checks",
    metadata,
    sa.Column("enterprise", sa.String, primary_key=True, comment="enterprise id"),
    sa.Column("checked_until", UTCTimestamp(), nullable=False, comment="end of the last evaluated window"),
    sa.Column("checked_at", UTCTimestamp(), nullable=False, comment="when that check ran"),
)

leak_events = sa.Table(
    "leak_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "enterprise", sa.String, nullable=False, comment="enterprise id (no foreign key: events outlive it)"
    ),
    sa.Column("network", sa.String, nullable=True, comment="network model name"),
    sa.Column("source", sa.String, nullable=True, comment="what found it, e.g. the readings file"),
    sa.Column("state", sa.String, nullable=False, comment="LeakState value"),
    sa.Column("state_at", UTCTimestamp(), nullable=False, comment="when the current state was reached"),
    sa.Column("start", UTCTimestamp(), nullable=False, comment="estimated start of the leak"),
    sa.Column("detected", UTCTimestamp(), nullable=False),
    sa.Column("end", UTCTimestamp(), nullable=True, comment="end seen in the data or the repair"),
    sa.Column("flow", _DOUBLE, nullable=False, comment="estimated leak flow [m³/h]"),
    sa.Column("uncertainty", _DOUBLE, nullable=True, comment="localisation uncertainty [m]"),
    sa.Column("loss_volume", _DOUBLE, nullable=True, comment="water lost, once the leak ended [m³]"),
    sa.Column("suspects", _JSON, nullable=False, comment="[{kind: pipe|node, id, score}], best first"),
    sa.Column("alarm_id", sa.Integer, sa.ForeignKey("alarms.id", ondelete="SET NULL"), nullable=True),
    sa.Column("created_at", UTCTimestamp(), nullable=False),
    sa.Column("updated_at", UTCTimestamp(), nullable=False),
    sa.Index(None, "enterprise", "state"),
    sqlite_autoincrement=True,
)

leak_event_history = sa.Table(
    "leak_event_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("leak_events.id", ondelete="CASCADE"), nullable=False),
    sa.Column("at", UTCTimestamp(), nullable=False),
    sa.Column("actor", sa.String, nullable=False),
    sa.Column(
        "action",
        sa.String,
        nullable=False,
        comment="detect, update, confirm, repair, verify, reopen, dismiss, note",
    ),
    sa.Column("from_state", sa.String, nullable=True),
    sa.Column("to_state", sa.String, nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Index(None, "event_id"),
    sqlite_autoincrement=True,
)


# --- records ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DeliverySpec:
    """A notification to queue with an alarm change.

    Parameters
    ----------
    channel : str
        Channel name.
    kind : str
        ``webhook`` or ``email``.
    target : str
        URL or comma-separated addresses.
    payload : dict
        JSON-compatible message, sent as is on every attempt.
    """

    channel: str
    kind: str
    target: str
    payload: dict[str, Any]


class Outbox(Protocol):
    """What to notify when an alarm is raised, escalated, acknowledged or cleared."""

    def __call__(self, alarm: Alarm, event: str) -> Sequence[DeliverySpec]:
        """Return the notifications of ``event`` (``raised``, ``escalated``, ``acknowledged``, ``cleared``)."""


@dataclasses.dataclass(frozen=True)
class Delivery:
    """A queued or sent notification (``alarm_deliveries``).

    Parameters
    ----------
    id, alarm_id : int
    event, channel, kind, target : str
    payload : dict
    status : str
        ``pending``, ``sent`` or ``failed`` (gave up after the last attempt; kept).
    attempts : int
    last_error : str or None
    created_at : datetime.datetime
    next_attempt_at : datetime.datetime or None
    sent_at : datetime.datetime or None
    """

    id: int
    alarm_id: int
    event: str
    channel: str
    kind: str
    target: str
    payload: dict[str, Any]
    status: str
    attempts: int
    last_error: str | None
    created_at: dt.datetime
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class Suspect:
    """A suspected leak location with its score.

    Parameters
    ----------
    kind : {"pipe", "node"}
    id : str
    score : float
        Correlation with the simulated leak signature (1 = perfect). [unitless]
    """

    kind: str
    id: str
    score: float

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


@dataclasses.dataclass(frozen=True)
class LeakEventRecord:
    """A leak event as stored.

    Parameters
    ----------
    id : int
    enterprise : str
    network, source : str or None
    state : LeakState
    state_at : datetime.datetime
        When the current state was reached (UTC).
    start, detected : datetime.datetime
        Estimated start, and detection (UTC).
    end : datetime.datetime or None
        End of the leak flow (seen in the data or the repair).
    flow : float
        Estimated leak flow. [m³/h]
    uncertainty : float or None
        Localisation uncertainty. [m]
    loss_volume : float or None
        Water lost, once the leak ended. [m³]
    suspects : tuple of Suspect
        Best first.
    alarm_id : int or None
    created_at, updated_at : datetime.datetime
    """

    id: int
    enterprise: str
    network: str | None
    source: str | None
    state: LeakState
    state_at: dt.datetime
    start: dt.datetime
    detected: dt.datetime
    end: dt.datetime | None
    flow: float
    uncertainty: float | None
    loss_volume: float | None
    suspects: tuple[Suspect, ...]
    alarm_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime

    def loss(self, now: dt.datetime) -> float:
        """Water lost so far: ``loss_volume`` once ended, else flow × hours since the start. [m³]"""
        if self.loss_volume is not None:
            return self.loss_volume
        return _loss(self.flow, self.start, self.end or now)


def _loss(flow: float, start: dt.datetime, end: dt.datetime) -> float:
    return max(0.0, flow * (end - start).total_seconds() / 3600.0)


# --- helpers ------------------------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _second(at: dt.datetime) -> dt.datetime:
    if at.utcoffset() is None:
        raise InvalidInputError("times must be aware datetimes (with a time zone)")
    return at.astimezone(dt.UTC).replace(microsecond=0)


def _json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as None (JSON, and PostgreSQL's jsonb, have no such numbers)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _alarm(row: Mapping[Any, Any]) -> Alarm:
    escalate = row["escalate_after"]
    return Alarm(
        id=int(row["id"]),
        enterprise=row["enterprise"],
        kind=row["kind"],
        key=row["key"],
        severity=Severity(row["severity"]),
        state=AlarmState(row["state"]),
        title_zh=row["title_zh"],
        title_en=row["title_en"],
        detail=dict(row["detail"] or {}),
        raised_at=row["raised_at"],
        acknowledged_at=row["acknowledged_at"],
        acknowledged_by=row["acknowledged_by"],
        cleared_at=row["cleared_at"],
        cleared_by=row["cleared_by"],
        escalated=int(row["escalated"]),
        meter=row["meter"],
        rule=row["rule"],
        initial_severity=Severity(row["initial_severity"]),
        escalate_after=None if escalate is None else float(escalate),
        escalated_at=row["escalated_at"],
        last_seen=row["last_seen"],
        created_at=row["created_at"],
    )


def _alarm_values(alarm: Alarm) -> dict[str, Any]:
    return {
        "severity": alarm.severity.value,
        "state": alarm.state.value,
        "acknowledged_at": alarm.acknowledged_at,
        "acknowledged_by": alarm.acknowledged_by,
        "cleared_at": alarm.cleared_at,
        "cleared_by": alarm.cleared_by,
        "escalated": alarm.escalated,
        "escalated_at": alarm.escalated_at,
    }


def _entry(row: Mapping[Any, Any]) -> HistoryEntry:
    return HistoryEntry(
        row["at"],
        row["actor"],
        row["action"],
        row["from_state"],
        row["to_state"],
        row["note"],
        row.get("severity"),
        int(row["id"]),
    )


def _lock(query: Any, connection: sa.Connection) -> Any:
    return query.with_for_update() if connection.dialect.name == "postgresql" else query


def _get_alarm(connection: sa.Connection, alarm_id: int, *, lock: bool = False) -> Alarm:
    query = sa.select(alarms).where(alarms.c.id == alarm_id)
    row = connection.execute(_lock(query, connection) if lock else query).mappings().first()
    if row is None:
        raise NotFoundError(f"no alarm {alarm_id}; list them with `shuixiao alarm list`")
    return _alarm(row)


def _write_history(connection: sa.Connection, alarm_id: int, entry: HistoryEntry) -> HistoryEntry:
    values = {
        "alarm_id": alarm_id,
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "from_state": entry.from_state,
        "to_state": entry.to_state,
        "severity": entry.severity,
        "note": entry.note,
    }
    new_id = connection.execute(sa.insert(alarm_history).values(values)).inserted_primary_key
    assert new_id is not None
    return dataclasses.replace(entry, id=int(new_id[0]))


def _queue(
    connection: sa.Connection, outbox: Outbox | None, alarm: Alarm, event: str, at: dt.datetime
) -> None:
    if outbox is None:
        return
    rows = [
        {
            "alarm_id": alarm.id,
            "event": event,
            "channel": d.channel,
            "kind": d.kind,
            "target": d.target,
            "payload": _json_safe(d.payload),
            "status": "pending",
            "attempts": 0,
            "created_at": at,
            "next_attempt_at": at,
        }
        for d in outbox(alarm, event)
    ]
    if rows:
        connection.execute(sa.insert(alarm_deliveries), rows)


def _apply(
    connection: sa.Connection,
    alarm: Alarm,
    changed: Alarm,
    entry: HistoryEntry,
    outbox: Outbox | None,
    event: str,
) -> Alarm:
    connection.execute(sa.update(alarms).where(alarms.c.id == alarm.id).values(_alarm_values(changed)))
    _write_history(connection, alarm.id, entry)
    _queue(connection, outbox, changed, event, entry.at)
    return changed


def _open_alarm(connection: sa.Connection, enterprise: str, kind: str, key: str) -> Alarm | None:
    row = (
        connection.execute(
            sa.select(alarms).where(
                alarms.c.enterprise == enterprise,
                alarms.c.kind == kind,
                alarms.c.key == key,
                alarms.c.state != AlarmState.CLEARED.value,
            )
        )
        .mappings()
        .first()
    )
    return None if row is None else _alarm(row)


def _raise(
    connection: sa.Connection, spec: AlarmSpec, seen: dt.datetime, outbox: Outbox | None, created: dt.datetime
) -> tuple[Alarm, bool]:
    """Insert the alarm of ``spec`` unless one of its (enterprise, kind, key) is open; touch that one."""
    existing = _open_alarm(connection, spec.enterprise, spec.kind, spec.key)
    if existing is None:
        raised = _second(spec.raised_at) if spec.raised_at else seen
        values = {
            "enterprise": spec.enterprise,
            "kind": spec.kind,
            "key": spec.key,
            "meter": spec.meter,
            "rule": spec.rule,
            "severity": spec.severity.value,
            "initial_severity": spec.severity.value,
            "state": AlarmState.RAISED.value,
            "title_zh": spec.title_zh,
            "title_en": spec.title_en,
            "detail": _json_safe(spec.detail),
            "raised_at": raised,
            "created_at": created,
            "last_seen": max(seen, raised),
            "escalated": 0,
            "escalate_after": spec.escalate_after,
        }
        try:
            with connection.begin_nested():
                new_id = connection.execute(sa.insert(alarms).values(values)).inserted_primary_key
        except sa.exc.IntegrityError:  # raised meanwhile by another checker
            existing = _open_alarm(connection, spec.enterprise, spec.kind, spec.key)
            if existing is None:
                raise
        else:
            assert new_id is not None
            alarm = _get_alarm(connection, int(new_id[0]))
            entry = HistoryEntry(
                raised, SYSTEM, "raise", None, AlarmState.RAISED.value, None, spec.severity.value
            )
            _write_history(connection, alarm.id, entry)
            _queue(connection, outbox, alarm, "raised", raised)
            return alarm, True
    if existing.last_seen is None or seen > existing.last_seen:
        connection.execute(sa.update(alarms).where(alarms.c.id == existing.id).values(last_seen=seen))
        existing = dataclasses.replace(existing, last_seen=seen)
    return existing, False


def _enterprise_filter(column: sa.Column[Any], enterprises: Iterable[str] | None) -> Any:
    return sa.true() if enterprises is None else column.in_(sorted(set(enterprises)))


# --- alarms -------------------------------------------------------------------------------------


class AlarmStore:
    """Alarms, their history and notifications, rule overrides and check bookkeeping.

    Parameters
    ----------
    store : Store
        A migrated store.
    outbox : Outbox, optional
        What to notify on each change (:func:`shuixiao.notify.outbox`); none when omitted.
    clock : callable, optional
        Returns the current time (aware); for tests.

    Examples
    --------
    >>> import tempfile
    >>> from shuixiao.alarms import AlarmSpec, Severity
    >>> with tempfile.TemporaryDirectory() as tmp, Store.open(f"sqlite:///{tmp}/db.sqlite") as store:
    ...     store.upgrade()
    ...     alarms = AlarmStore(store)
    ...     spec = AlarmSpec("xg-steel", "offline", "FT-101", Severity.MAJOR, "FT-101 离线", "FT-101 offline")
    ...     first, again = alarms.raise_alarm(spec), alarms.raise_alarm(spec)
    ...     acked = alarms.acknowledge(first.id, "wang", "crew on the way")
    ...     print(first.id == again.id, acked.state.value, [h.action for h in alarms.history(first.id)])
    True acknowledged ['raise', 'acknowledge']
    """

    def __init__(
        self, store: Store, *, outbox: Outbox | None = None, clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        self._store = store
        self._outbox = outbox
        self._clock = clock or _now

    def _at(self, at: dt.datetime | None) -> dt.datetime:
        return _second(at if at is not None else self._clock())

    # raising and reading

    def raise_alarm(self, spec: AlarmSpec, *, seen: dt.datetime | None = None) -> Alarm:
        """Raise the alarm of ``spec``, or return the open alarm of its (enterprise, kind, key).

        Parameters
        ----------
        spec : AlarmSpec
        seen : datetime.datetime, optional
            When the condition was (last) found; now when omitted.

        Returns
        -------
        Alarm
            The new alarm, or the open one (its ``last_seen`` moved on).
        """
        return self.raise_or_touch(spec, seen=seen)[0]

    def raise_or_touch(self, spec: AlarmSpec, *, seen: dt.datetime | None = None) -> tuple[Alarm, bool]:
        """As :meth:`raise_alarm`, and whether a new alarm was raised."""
        when = self._at(seen)
        with self._store.transaction(
            f"raising alarm {spec.kind} {spec.key} of {spec.enterprise}", write=True
        ) as c:
            return _raise(c, spec, when, self._outbox, self._at(None))

    def get(self, alarm_id: int) -> Alarm:
        """The alarm ``alarm_id``.

        Raises
        ------
        NotFoundError
        """
        with self._store.transaction(f"reading alarm {alarm_id}") as c:
            return _get_alarm(c, alarm_id)

    def list_alarms(
        self,
        enterprises: Iterable[str] | None = None,
        states: Iterable[AlarmState | str] | None = None,
        limit: int | None = 100,
        since: dt.datetime | None = None,
        *,
        kinds: Iterable[str] | None = None,
        meter: str | None = None,
        minimum_severity: Severity | None = None,
    ) -> list[Alarm]:
        """Alarms, newest first.

        Parameters
        ----------
        enterprises : iterable of str, optional
            Only these enterprises (e.g. those a user may see); all when None.
        states : iterable of AlarmState, optional
            Only these states.
        limit : int or None
            At most this many; None for all.
        since : datetime.datetime, optional
            Raised at or after.
        kinds : iterable of str, optional
        meter : str, optional
        minimum_severity : Severity, optional
        """
        query = sa.select(alarms).where(_enterprise_filter(alarms.c.enterprise, enterprises))
        if states is not None:
            query = query.where(alarms.c.state.in_([AlarmState(s).value for s in states]))
        if since is not None:
            query = query.where(alarms.c.raised_at >= since)
        if kinds is not None:
            query = query.where(alarms.c.kind.in_(list(kinds)))
        if meter is not None:
            query = query.where(alarms.c.meter == meter)
        if minimum_severity is not None:
            query = query.where(alarms.c.severity.in_([s.value for s in Severity if s >= minimum_severity]))
        query = query.order_by(alarms.c.raised_at.desc(), alarms.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._store.transaction("listing alarms") as c:
            return [_alarm(r) for r in c.execute(query).mappings()]

    def summary(self, enterprises: Iterable[str] | None = None) -> dict[str, dict[str, int]]:
        """Open alarms counted by enterprise and severity: ``{enterprise: {severity: n}}``."""
        query = (
            sa.select(alarms.c.enterprise, alarms.c.severity, sa.func.count())
            .where(alarms.c.state.in_(_OPEN_STATES), _enterprise_filter(alarms.c.enterprise, enterprises))
            .group_by(alarms.c.enterprise, alarms.c.severity)
        )
        result: dict[str, dict[str, int]] = {}
        with self._store.transaction("counting alarms") as c:
            for enterprise, severity, n in c.execute(query):
                result.setdefault(enterprise, {})[severity] = int(n)
        return result

    def open_alarms(self, enterprise: str, kinds: Iterable[str] | None = None) -> list[Alarm]:
        """The not-cleared alarms of an enterprise, oldest first."""
        query = sa.select(alarms).where(alarms.c.enterprise == enterprise, alarms.c.state.in_(_OPEN_STATES))
        if kinds is not None:
            query = query.where(alarms.c.kind.in_(list(kinds)))
        with self._store.transaction(f"reading open alarms of {enterprise}") as c:
            return [_alarm(r) for r in c.execute(query.order_by(alarms.c.id)).mappings()]

    def covering(self, enterprise: str, kind: str, key: str, at: dt.datetime) -> Alarm | None:
        """A cleared alarm of (enterprise, kind, key) that was open at ``at``, if any.

        A check run again over a window already checked finds conditions that were raised
        and cleared then; this tells it so, and nothing is raised twice.
        """
        query = (
            sa.select(alarms)
            .where(
                alarms.c.enterprise == enterprise,
                alarms.c.state == AlarmState.CLEARED.value,
                alarms.c.kind == kind,
                alarms.c.key == key,
                alarms.c.raised_at <= at,
                alarms.c.cleared_at >= at,
            )
            .order_by(alarms.c.id.desc())
            .limit(1)
        )
        with self._store.transaction(f"reading alarms of {enterprise}") as c:
            row = c.execute(query).mappings().first()
        return None if row is None else _alarm(row)

    def history(self, alarm_id: int) -> list[HistoryEntry]:
        """Every transition and note of an alarm, oldest first.

        Raises
        ------
        NotFoundError
        """
        with self._store.transaction(f"reading the history of alarm {alarm_id}") as c:
            _get_alarm(c, alarm_id)
            rows = c.execute(
                sa.select(alarm_history)
                .where(alarm_history.c.alarm_id == alarm_id)
                .order_by(alarm_history.c.id)
            ).mappings()
            return [_entry(r) for r in rows]

    # transitions

    def _change(
        self, alarm_id: int, action: str, step: Callable[[Alarm], tuple[Alarm, HistoryEntry]], event: str
    ) -> Alarm:
        with self._store.transaction(f"{action} alarm {alarm_id}", write=True) as c:
            alarm = _get_alarm(c, alarm_id, lock=True)
            changed, entry = step(alarm)
            return _apply(c, alarm, changed, entry, self._outbox, event)

    def acknowledge(
        self, alarm_id: int, actor: str, note: str | None = None, *, at: dt.datetime | None = None
    ) -> Alarm:
        """Acknowledge a raised alarm (it stops escalating).

        Raises
        ------
        NotFoundError
        AlarmStateError
            If it is already acknowledged or cleared.
        """
        when = self._at(at)
        return self._change(
            alarm_id, "acknowledging", lambda a: _acknowledge(a, actor, when, note), "acknowledged"
        )

    def clear(
        self, alarm_id: int, actor: str, note: str | None = None, *, at: dt.datetime | None = None
    ) -> Alarm:
        """Clear an alarm (``actor`` ``system`` when its condition ended).

        Raises
        ------
        NotFoundError
        AlarmStateError
            If it is already cleared.
        """
        when = self._at(at)
        return self._change(alarm_id, "clearing", lambda a: _clear(a, actor, when, note), "cleared")

    def add_note(
        self, alarm_id: int, actor: str, note: str, *, at: dt.datetime | None = None
    ) -> HistoryEntry:
        """Add a note to an alarm in any state.

        Raises
        ------
        NotFoundError
        InvalidInputError
            If the note is empty.
        """
        when = self._at(at)
        with self._store.transaction(f"noting on alarm {alarm_id}", write=True) as c:
            entry = _add_note(_get_alarm(c, alarm_id), actor, when, note)
            return _write_history(c, alarm_id, entry)

    def escalate_due(
        self, *, now: dt.datetime | None = None, enterprises: Iterable[str] | None = None
    ) -> list[Alarm]:
        """Escalate every raised alarm whose timeout has passed, one level each; return them."""
        when = self._at(now)
        query = sa.select(alarms.c.id).where(
            alarms.c.state == AlarmState.RAISED.value,
            alarms.c.escalate_after.is_not(None),
            alarms.c.severity != Severity.CRITICAL.value,
            _enterprise_filter(alarms.c.enterprise, enterprises),
        )
        escalated = []
        with self._store.transaction("escalating alarms", write=True) as c:
            for alarm_id in c.execute(query.order_by(alarms.c.id)).scalars().all():
                alarm = _get_alarm(c, alarm_id, lock=True)
                if _escalation_due(alarm, when):
                    changed, entry = _escalate(alarm, when)
                    escalated.append(_apply(c, alarm, changed, entry, self._outbox, "escalated"))
        return escalated

    # notifications

    def due_deliveries(self, *, now: dt.datetime | None = None, limit: int = 100) -> list[Delivery]:
        """Pending notifications whose next attempt is due, oldest first."""
        when = self._at(now)
        query = (
            sa.select(alarm_deliveries)
            .where(alarm_deliveries.c.status == "pending", alarm_deliveries.c.next_attempt_at <= when)
            .order_by(alarm_deliveries.c.next_attempt_at, alarm_deliveries.c.id)
            .limit(limit)
        )
        with self._store.transaction("reading due notifications") as c:
            return [_delivery(r) for r in c.execute(query).mappings()]

    def record_attempt(
        self,
        delivery_id: int,
        *,
        error: str | None,
        at: dt.datetime | None = None,
        next_attempt: dt.datetime | None = None,
    ) -> Delivery:
        """Record one attempt to send a notification.

        Parameters
        ----------
        delivery_id : int
        error : str or None
            None when it was sent; else what failed.
        at : datetime.datetime, optional
            When it was attempted.
        next_attempt : datetime.datetime, optional
            When to try again after a failure; None gives up (status ``failed``, kept).
        """
        when = self._at(at)
        with self._store.transaction(f"recording notification {delivery_id}", write=True) as c:
            row = (
                c.execute(sa.select(alarm_deliveries).where(alarm_deliveries.c.id == delivery_id))
                .mappings()
                .first()
            )
            if row is None:
                raise NotFoundError(f"no notification {delivery_id}")
            values: dict[str, Any] = {"attempts": int(row["attempts"]) + 1, "last_error": error}
            if error is None:
                values.update(status="sent", sent_at=when, next_attempt_at=None)
            elif next_attempt is None:
                values.update(status="failed", next_attempt_at=None)
            else:
                values.update(status="pending", next_attempt_at=_second(next_attempt))
            c.execute(sa.update(alarm_deliveries).where(alarm_deliveries.c.id == delivery_id).values(values))
            return _delivery({**row, **values})

    def list_deliveries(
        self,
        *,
        status: str | None = None,
        alarm_id: int | None = None,
        enterprises: Iterable[str] | None = None,
        limit: int | None = 100,
    ) -> list[Delivery]:
        """Notifications, newest first."""
        query = sa.select(alarm_deliveries)
        if status is not None:
            query = query.where(alarm_deliveries.c.status == status)
        if alarm_id is not None:
            query = query.where(alarm_deliveries.c.alarm_id == alarm_id)
        if enterprises is not None:
            ids = sa.select(alarms.c.id).where(_enterprise_filter(alarms.c.enterprise, enterprises))
            query = query.where(alarm_deliveries.c.alarm_id.in_(ids))
        query = query.order_by(alarm_deliveries.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._store.transaction("listing notifications") as c:
            return [_delivery(r) for r in c.execute(query).mappings()]

    def retry_failed(self, ids: Iterable[int] | None = None, *, now: dt.datetime | None = None) -> int:
        """Put notifications that were given up on back in the queue; return how many."""
        when = self._at(now)
        query = sa.update(alarm_deliveries).where(alarm_deliveries.c.status == "failed")
        if ids is not None:
            query = query.where(alarm_deliveries.c.id.in_(list(ids)))
        with self._store.transaction("requeueing notifications", write=True) as c:
            return int(c.execute(query.values(status="pending", next_attempt_at=when)).rowcount)

    # rule overrides

    def rule_overrides(self, enterprise: str) -> list[RuleOverride]:
        """The enterprise's overrides of the default rules.

        Raises
        ------
        NotFoundError
            If there is no such enterprise.
        """
        with self._store.transaction(f"reading alarm rules of {enterprise}") as c:
            key = _enterprise_key(c, enterprise)
            rows = c.execute(
                sa.select(alarm_rules)
                .where(alarm_rules.c.enterprise_key == key)
                .order_by(alarm_rules.c.rule, alarm_rules.c.meter)
            ).mappings()
            return [
                RuleOverride(
                    r["rule"],
                    r["meter"] or None,
                    r["enabled"],
                    Severity(r["severity"]) if r["severity"] else None,
                    dict(r["params"] or {}),
                    r["escalate_after"],
                    bool(r["escalate_after_set"]),
                )
                for r in rows
            ]

    def set_rule_override(self, enterprise: str, override: RuleOverride, actor: str) -> RuleOverride:
        """Store (or merge into the stored) override of a rule for an enterprise or one meter.

        Parameters set to None are stored as None (unset a default); other fields replace the
        stored ones only when given.

        Returns
        -------
        RuleOverride
            The override as stored.
        """
        meter = override.meter or ""
        with self._store.transaction(f"setting alarm rule {override.rule} of {enterprise}", write=True) as c:
            key = _enterprise_key(c, enterprise)
            where = (
                alarm_rules.c.enterprise_key == key,
                alarm_rules.c.rule == override.rule,
                alarm_rules.c.meter == meter,
            )
            row = c.execute(sa.select(alarm_rules).where(*where)).mappings().first()
            params = {**(dict(row["params"] or {}) if row else {}), **override.params}
            enabled = override.enabled if override.enabled is not None else (row["enabled"] if row else None)
            severity = override.severity.value if override.severity else (row["severity"] if row else None)
            if override.escalate_after_set:
                escalate, escalate_set = override.escalate_after, True
            else:
                escalate = row["escalate_after"] if row else None
                escalate_set = bool(row["escalate_after_set"]) if row else False
            values = {
                "enabled": enabled,
                "severity": severity,
                "params": params,
                "escalate_after": escalate,
                "escalate_after_set": escalate_set,
                "updated_at": self._at(None),
                "updated_by": actor,
            }
            if row is None:
                c.execute(
                    sa.insert(alarm_rules).values(
                        enterprise_key=key, rule=override.rule, meter=meter, **values
                    )
                )
            else:
                c.execute(sa.update(alarm_rules).where(*where).values(values))
        return RuleOverride(
            override.rule,
            override.meter,
            enabled,
            Severity(severity) if severity else None,
            params,
            escalate,
            escalate_set,
        )

    def remove_rule_override(self, enterprise: str, rule: str, meter: str | None = None) -> bool:
        """Remove an override (back to the defaults); False if there was none."""
        with self._store.transaction(f"removing alarm rule {rule} of {enterprise}", write=True) as c:
            key = _enterprise_key(c, enterprise)
            result = c.execute(
                sa.delete(alarm_rules).where(
                    alarm_rules.c.enterprise_key == key,
                    alarm_rules.c.rule == rule,
                    alarm_rules.c.meter == (meter or ""),
                )
            )
            return bool(result.rowcount)

    # checks

    def last_check(self, enterprise: str) -> dt.datetime | None:
        """End of the window the rules were last checked over for ``enterprise``."""
        with self._store.transaction(f"reading the last alarm check of {enterprise}") as c:
            value: dt.datetime | None = c.execute(
                sa.select(alarm_checks.c.checked_until).where(alarm_checks.c.enterprise == enterprise)
            ).scalar_one_or_none()
            return value

    def set_last_check(self, enterprise: str, until: dt.datetime, *, at: dt.datetime | None = None) -> None:
        """Record that the rules were checked for ``enterprise`` up to ``until``."""
        values = {"checked_until": _second(until), "checked_at": self._at(at)}
        with self._store.transaction(f"recording the alarm check of {enterprise}", write=True) as c:
            updated = c.execute(
                sa.update(alarm_checks).where(alarm_checks.c.enterprise == enterprise).values(values)
            )
            if not updated.rowcount:
                c.execute(sa.insert(alarm_checks).values(enterprise=enterprise, **values))

    def last_readings(
        self, enterprise: str, before: dt.datetime | None = None
    ) -> dict[str, dt.datetime | None]:
        """The time of each meter's last reading (before ``before``), by meter id; None if it has none."""
        r, m = t.readings, t.meters
        latest = sa.select(sa.func.max(r.c.ts)).where(r.c.meter_key == m.c.key)
        if before is not None:
            latest = latest.where(r.c.ts < before)
        with self._store.transaction(f"reading the last readings of {enterprise}") as c:
            key = _enterprise_key(c, enterprise)
            rows = c.execute(
                sa.select(m.c.id, latest.scalar_subquery().label("last")).where(m.c.enterprise_key == key)
            ).all()
        return {meter: (None if last is None else _as_time(last)) for meter, last in rows}


def _as_time(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return dt.datetime.fromtimestamp(int(value), dt.UTC)


def _enterprise_key(connection: sa.Connection, enterprise: str) -> int:
    key = connection.execute(
        sa.select(t.enterprises.c.key).where(t.enterprises.c.id == enterprise)
    ).scalar_one_or_none()
    if key is None:
        raise NotFoundError(f"no enterprise {enterprise!r}; see `shuixiao model show`")
    return int(key)


def _delivery(row: Mapping[Any, Any]) -> Delivery:
    return Delivery(
        int(row["id"]),
        int(row["alarm_id"]),
        row["event"],
        row["channel"],
        row["kind"],
        row["target"],
        dict(row["payload"] or {}),
        row["status"],
        int(row["attempts"]),
        row["last_error"],
        row["created_at"],
        row["next_attempt_at"],
        row["sent_at"],
    )


# --- leak events --------------------------------------------------------------------------------


def _leak(row: Mapping[Any, Any]) -> LeakEventRecord:
    return LeakEventRecord(
        id=int(row["id"]),
        enterprise=row["enterprise"],
        network=row["network"],
        source=row["source"],
        state=LeakState(row["state"]),
        state_at=row["state_at"],
        start=row["start"],
        detected=row["detected"],
        end=row["end"],
        flow=float(row["flow"]),
        uncertainty=row["uncertainty"],
        loss_volume=row["loss_volume"],
        suspects=tuple(Suspect(s["kind"], s["id"], float(s["score"])) for s in row["suspects"] or []),
        alarm_id=row["alarm_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _suspects(event: LeakEvent, limit: int = 10) -> list[dict[str, Any]]:
    return [
        {"kind": c.location.kind, "id": c.location.id, "score": round(float(c.score), 6)}
        for c in event.candidates[:limit]
    ]


class LeakEventStore:
    """Leak events with their workflow, linked to the alarms they raise.

    Parameters
    ----------
    store : Store
    outbox : Outbox, optional
        Notifications of the linked alarms.
    clock : callable, optional
        Returns the current time (aware); for tests.
    """

    def __init__(
        self, store: Store, *, outbox: Outbox | None = None, clock: Callable[[], dt.datetime] | None = None
    ) -> None:
        self._store = store
        self._outbox = outbox
        self._clock = clock or _now

    def _at(self, at: dt.datetime | None) -> dt.datetime:
        return _second(at if at is not None else self._clock())

    def record_detection(
        self,
        enterprise: str,
        event: LeakEvent,
        rule: ResolvedRule,
        *,
        network: str | None = None,
        source: str | None = None,
    ) -> tuple[LeakEventRecord, bool]:
        """Store a leak found by the detector as a new event with its alarm, or update its open event.

        A detection belongs to an open (suspected or confirmed) event of the same enterprise and
        network when its start lies within the rule's ``start_tolerance`` of the event's, or when
        both name the same best candidate; that event gets the new flow, suspects and end.  A new
        event starts ``suspected`` and raises a ``leak_suspected`` alarm.  When the detector
        saw the leak flow end, the alarm is cleared by ``system`` (the event stays for the crew
        to confirm or dismiss).

        Parameters
        ----------
        enterprise : str
        event : shuixiao.leaks.LeakEvent
        rule : ResolvedRule
            The enterprise's ``leak_suspected`` rule.
        network, source : str, optional
            Network model name; what the detection ran on.

        Returns
        -------
        (LeakEventRecord, bool)
            The event, and True when it is new.
        """
        now = self._at(None)
        tolerance = rule.params.get("start_tolerance") or 0.0
        best = str(event.best) if event.best else None
        start, detected = _second(event.start), _second(event.detected)
        end = _second(event.end) if event.end else None
        with self._store.transaction(f"recording a leak of {enterprise}", write=True) as c:
            query = sa.select(leak_events).where(
                leak_events.c.enterprise == enterprise, leak_events.c.state.in_(_LEAK_OPEN)
            )
            query = query.where(
                leak_events.c.network == network if network is not None else leak_events.c.network.is_(None)
            )
            rows = {int(r["id"]): _leak(r) for r in c.execute(_lock(query, c)).mappings()}
            candidates = [(i, r.start, str(r.suspects[0]) if r.suspects else None) for i, r in rows.items()]
            match = match_leak_event(start, best, candidates, tolerance)
            values = {
                "flow": float(event.flow),
                "uncertainty": event.uncertainty if math.isfinite(event.uncertainty) else None,
                "suspects": _suspects(event),
                "end": end,
                "loss_volume": _loss(event.flow, start, end) if end else None,
                "updated_at": now,
            }
            if match is not None:
                record = rows[match]
                c.execute(sa.update(leak_events).where(leak_events.c.id == match).values(values))
                note = f"flow {event.flow:.2f} m³/h, best {best or '—'}" + (
                    f", ended {end.isoformat()}" if end else ""
                )
                self._history(c, match, now, SYSTEM, "update", record.state, record.state, note)
                if end and record.alarm_id is not None:
                    self._clear_alarm(
                        c, record.alarm_id, now, f"the detector saw the leak flow end at {end.isoformat()}"
                    )
                return self._get(c, match), False
            inserted = c.execute(
                sa.insert(leak_events).values(
                    enterprise=enterprise,
                    network=network,
                    source=source,
                    state=LeakState.SUSPECTED.value,
                    state_at=now,
                    start=start,
                    detected=detected,
                    created_at=now,
                    **values,
                )
            ).inserted_primary_key
            assert inserted is not None
            event_id = int(inserted[0])
            self._history(c, event_id, now, SYSTEM, "detect", None, LeakState.SUSPECTED, source)
            alarm, _ = _raise(
                c, leak_alarm(rule, enterprise, event_id, event, network), now, self._outbox, now
            )
            c.execute(sa.update(leak_events).where(leak_events.c.id == event_id).values(alarm_id=alarm.id))
            if end:
                self._clear_alarm(
                    c, alarm.id, now, f"the detector saw the leak flow end at {end.isoformat()}"
                )
            return self._get(c, event_id), True

    def _clear_alarm(
        self, c: sa.Connection, alarm_id: int, at: dt.datetime, note: str, actor: str = SYSTEM
    ) -> None:
        alarm = _get_alarm(c, alarm_id, lock=True)
        if alarm.open:
            changed, entry = _clear(alarm, actor, at, note)
            _apply(c, alarm, changed, entry, self._outbox, "cleared")

    @staticmethod
    def _history(
        c: sa.Connection,
        event_id: int,
        at: dt.datetime,
        actor: str,
        action: str,
        before: LeakState | None,
        after: LeakState | None,
        note: str | None,
    ) -> None:
        c.execute(
            sa.insert(leak_event_history).values(
                event_id=event_id,
                at=at,
                actor=actor,
                action=action,
                from_state=before.value if before else None,
                to_state=after.value if after else None,
                note=note,
            )
        )

    @staticmethod
    def _get(c: sa.Connection, event_id: int, *, lock: bool = False) -> LeakEventRecord:
        query = sa.select(leak_events).where(leak_events.c.id == event_id)
        row = c.execute(_lock(query, c) if lock else query).mappings().first()
        if row is None:
            raise NotFoundError(f"no leak event {event_id}; list them with `shuixiao leak event list`")
        return _leak(row)

    def get(self, event_id: int) -> LeakEventRecord:
        """The leak event ``event_id``.

        Raises
        ------
        NotFoundError
        """
        with self._store.transaction(f"reading leak event {event_id}") as c:
            return self._get(c, event_id)

    def list_events(
        self,
        enterprises: Iterable[str] | None = None,
        states: Iterable[LeakState | str] | None = None,
        limit: int | None = 100,
        since: dt.datetime | None = None,
    ) -> list[LeakEventRecord]:
        """Leak events, newest detection first."""
        query = sa.select(leak_events).where(_enterprise_filter(leak_events.c.enterprise, enterprises))
        if states is not None:
            query = query.where(leak_events.c.state.in_([LeakState(s).value for s in states]))
        if since is not None:
            query = query.where(leak_events.c.detected >= since)
        query = query.order_by(leak_events.c.detected.desc(), leak_events.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._store.transaction("listing leak events") as c:
            return [_leak(r) for r in c.execute(query).mappings()]

    def history(self, event_id: int) -> list[HistoryEntry]:
        """Every step and note of a leak event, oldest first."""
        with self._store.transaction(f"reading the history of leak event {event_id}") as c:
            self._get(c, event_id)
            rows = c.execute(
                sa.select(leak_event_history)
                .where(leak_event_history.c.event_id == event_id)
                .order_by(leak_event_history.c.id)
            ).mappings()
            return [_entry(r) for r in rows]

    def transition(
        self,
        event_id: int,
        action: str,
        actor: str,
        note: str | None = None,
        *,
        at: dt.datetime | None = None,
    ) -> LeakEventRecord:
        """Move a leak event along its workflow, and its alarm with it.

        ``confirm`` acknowledges the linked alarm if nobody has; ``repair`` and ``dismiss``
        clear it (``repair`` also fixes the end and the water lost); ``reopen`` (the repair did
        not hold) raises a new alarm; ``verify`` closes the event.

        Parameters
        ----------
        event_id : int
        action : {"confirm", "repair", "verify", "reopen", "dismiss"}
        actor : str
        note : str, optional
        at : datetime.datetime, optional
            When it happened (a repair reported late); now when omitted.

        Raises
        ------
        NotFoundError
        AlarmStateError
            If the action is not allowed from the event's state.
        """
        if not actor or not actor.strip():
            raise InvalidInputError("say who did it: the actor must be a non-empty login")
        when = self._at(at)
        text = note.strip() if note and note.strip() else None
        with self._store.transaction(f"{action} leak event {event_id}", write=True) as c:
            record = self._get(c, event_id, lock=True)
            target = leak_transition(event_id, record.state, action, record.state_at)
            values: dict[str, Any] = {"state": target.value, "state_at": when, "updated_at": when}
            if action == "repair":
                end = min(record.end, when) if record.end else when
                values.update(end=end, loss_volume=_loss(record.flow, record.start, end))
            if action == "reopen":
                values.update(end=None, loss_volume=None)
            if action == "dismiss":
                values.update(loss_volume=None)
            c.execute(sa.update(leak_events).where(leak_events.c.id == event_id).values(values))
            self._history(c, event_id, when, actor.strip(), action, record.state, target, text)
            self._follow(c, record, action, actor.strip(), when, text)
            return self._get(c, event_id)

    def _follow(
        self,
        c: sa.Connection,
        record: LeakEventRecord,
        action: str,
        actor: str,
        at: dt.datetime,
        note: str | None,
    ) -> None:
        """Move the linked alarm with the event."""
        why = f"leak event {record.id} {action}" + (f": {note}" if note else "")
        if action == "reopen":
            previous = _get_alarm(c, record.alarm_id) if record.alarm_id is not None else None
            if previous is not None and previous.open:
                return
            spec = AlarmSpec(
                record.enterprise,
                "leak_suspected",
                f"leak-event/{record.id}",
                previous.initial_severity or previous.severity if previous else Severity.MAJOR,
                f"漏损复发：{previous.title_zh if previous else f'漏损事件 {record.id}'}",
                f"Leak back after repair: {previous.title_en if previous else f'leak event {record.id}'}",
                {"event": record.id, "reopened_by": actor},
                rule=previous.rule if previous else None,
                raised_at=at,
                escalate_after=previous.escalate_after if previous else None,
            )
            alarm, _ = _raise(c, spec, at, self._outbox, self._at(None))
            c.execute(sa.update(leak_events).where(leak_events.c.id == record.id).values(alarm_id=alarm.id))
            return
        if record.alarm_id is None:
            return
        alarm = _get_alarm(c, record.alarm_id, lock=True)
        if action == "confirm" and alarm.state is AlarmState.RAISED:
            changed, entry = _acknowledge(alarm, actor, at, why)
            _apply(c, alarm, changed, entry, self._outbox, "acknowledged")
        elif action in ("repair", "dismiss", "verify") and alarm.open:
            changed, entry = _clear(alarm, actor, at, why)
            _apply(c, alarm, changed, entry, self._outbox, "cleared")

    def add_note(self, event_id: int, actor: str, note: str, *, at: dt.datetime | None = None) -> None:
        """Add a note to a leak event in any state.

        Raises
        ------
        NotFoundError
        InvalidInputError
            If the note or the actor is empty.
        """
        if not note or not note.strip():
            raise InvalidInputError("a note needs some text")
        if not actor or not actor.strip():
            raise InvalidInputError("say who wrote it: the actor must be a non-empty login")
        when = self._at(at)
        with self._store.transaction(f"noting on leak event {event_id}", write=True) as c:
            record = self._get(c, event_id)
            self._history(c, event_id, when, actor.strip(), "note", record.state, record.state, note.strip())
