"""Alarms, their history and notifications, rule overrides and leak events in the store (migration 0005)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shuixiao.alarms import (
    SYSTEM,
    Alarm,
    AlarmSpec,
    AlarmState,
    AlarmStateError,
    LeakState,
    RuleOverride,
    Severity,
    load_rules,
    resolve_rules,
)
from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.leaks import Candidate, LeakEvent, Location
from shuixiao.model import Enterprise, Park, Region
from shuixiao.storage import AlarmStore, DeliverySpec, LeakEventStore, Store
from shuixiao.storage import alarms as tables
from shuixiao.storage.schema import metadata
from shuixiao.storage.store import _alembic_config

pytestmark = pytest.mark.integration

T0 = dt.datetime(2025, 3, 1, 8, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
MINE = {
    "alarm_rules",
    "alarms",
    "alarm_history",
    "alarm_deliveries",
    "alarm_checks",
    "leak_events",
    "leak_event_history",
}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


def _spec(key: str = "FT-101", **changes: object) -> AlarmSpec:
    fields: dict[str, object] = {
        "enterprise": "xg-steel",
        "kind": "offline",
        "key": key,
        "severity": Severity.WARNING,
        "title_zh": f"{key} 离线",
        "title_en": f"{key} offline",
        "detail": {"max_gap": "PT1H15M"},
        "meter": key,
        "rule": "offline",
        "raised_at": T0,
        "escalate_after": 3600.0,
    }
    fields.update(changes)
    return AlarmSpec(**fields)  # type: ignore[arg-type]


def test_migration_builds_exactly_these_tables(store: Store) -> None:
    with store._engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
        names = set(sa.inspect(connection).get_table_names())
    assert MINE <= names
    assert [d for d in differences if any(t in repr(d) for t in MINE)] == []
    with store._engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "0004")
    with store._engine.connect() as connection:
        assert not MINE & set(sa.inspect(connection).get_table_names())
    store.upgrade()
    assert {t.name for t in (tables.alarms, tables.leak_events)} <= MINE


def test_a_persisting_condition_is_one_alarm(store: Store) -> None:
    clock = Clock()
    alarms = AlarmStore(store, clock=clock)
    first, new = alarms.raise_or_touch(_spec())
    assert new and first.state is AlarmState.RAISED and first.raised_at == T0 and first.created_at == T0
    clock.now = T0 + HOUR
    again, new = alarms.raise_or_touch(_spec(title_en="changed"))
    assert (
        not new
        and again.id == first.id
        and again.last_seen == T0 + HOUR
        and again.title_en == "FT-101 offline"
    )
    other = alarms.raise_alarm(_spec("FT-102"))
    assert other.id != first.id
    # once cleared, the same condition raises a new alarm
    alarms.clear(first.id, SYSTEM, "data back")
    third = alarms.raise_alarm(_spec())
    assert third.id not in (first.id, other.id)
    assert [a.id for a in alarms.open_alarms("xg-steel")] == [other.id, third.id]


def test_details_without_json_numbers_are_stored(store: Store) -> None:
    alarm = AlarmStore(store).raise_alarm(
        _spec(detail={"value": float("nan"), "limits": [1.0, float("inf")]})
    )
    assert alarm.detail == {"value": None, "limits": [1.0, None]}


def test_the_database_refuses_a_second_open_alarm_of_a_key(store: Store) -> None:
    alarm = AlarmStore(store).raise_alarm(_spec())
    row = {c.name: getattr(alarm, c.name, None) for c in tables.alarms.columns if c.name != "id"}
    row.update(severity="warning", initial_severity="warning", state="raised", detail={}, escalated=0)
    with pytest.raises(sa.exc.IntegrityError), store._engine.begin() as connection:
        connection.execute(sa.insert(tables.alarms).values(row))


def test_concurrent_raises_give_one_alarm(store: Store) -> None:
    ids: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            ids.append(AlarmStore(store).raise_alarm(_spec("FT-301")).id)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(set(ids)) == 1
    assert len(AlarmStore(store).list_alarms(["xg-steel"])) == 1


def test_transitions_history_and_notes(store: Store) -> None:
    clock = Clock()
    alarms = AlarmStore(store, clock=clock)
    alarm = alarms.raise_alarm(_spec())
    clock.now = T0 + HOUR / 4
    acked = alarms.acknowledge(alarm.id, "wang", "去现场查看")
    assert acked.acknowledged_by == "wang" and acked.acknowledged_at == T0 + HOUR / 4
    alarms.add_note(alarm.id, "li", "网关重启")
    clock.now = T0 + HOUR
    done = alarms.clear(alarm.id, "wang", "恢复")
    assert done.state is AlarmState.CLEARED and alarms.get(alarm.id) == done
    with pytest.raises(AlarmStateError, match="cleared alarm cannot be acknowledged"):
        alarms.acknowledge(alarm.id, "li")
    history = alarms.history(alarm.id)
    assert [(h.actor, h.action, h.from_state, h.to_state, h.note) for h in history] == [
        (SYSTEM, "raise", None, "raised", None),
        ("wang", "acknowledge", "raised", "acknowledged", "去现场查看"),
        ("li", "note", "acknowledged", "acknowledged", "网关重启"),
        ("wang", "clear", "acknowledged", "cleared", "恢复"),
    ]
    assert [h.at for h in history] == [T0, T0 + HOUR / 4, T0 + HOUR / 4, T0 + HOUR]
    with pytest.raises(NotFoundError, match="no alarm 999"):
        alarms.get(999)
    with pytest.raises(NotFoundError):
        alarms.history(999)
    with pytest.raises(InvalidInputError, match="note needs some text"):
        alarms.add_note(alarm.id, "li", "")


def test_listing_filters_and_summary(store: Store) -> None:
    alarms = AlarmStore(store)
    a = alarms.raise_alarm(_spec("FT-1", raised_at=T0))
    b = alarms.raise_alarm(_spec("FT-2", raised_at=T0 + HOUR, severity=Severity.CRITICAL, enterprise="other"))
    c = alarms.raise_alarm(_spec("FT-3", raised_at=T0 + 2 * HOUR, kind="stuck", meter="FT-3"))
    alarms.clear(c.id, "wang")
    assert [x.id for x in alarms.list_alarms()] == [c.id, b.id, a.id]
    assert [x.id for x in alarms.list_alarms(["xg-steel"])] == [c.id, a.id]
    assert [x.id for x in alarms.list_alarms(None, [AlarmState.RAISED])] == [b.id, a.id]
    assert [x.id for x in alarms.list_alarms(None, ["cleared"])] == [c.id]
    assert [x.id for x in alarms.list_alarms(since=T0 + HOUR)] == [c.id, b.id]
    assert [x.id for x in alarms.list_alarms(kinds=["stuck"])] == [c.id]
    assert [x.id for x in alarms.list_alarms(meter="FT-1")] == [a.id]
    assert [x.id for x in alarms.list_alarms(minimum_severity=Severity.MAJOR)] == [b.id]
    assert [x.id for x in alarms.list_alarms(limit=1)] == [c.id]
    assert alarms.list_alarms(frozenset()) == []
    assert alarms.summary() == {"xg-steel": {"warning": 1}, "other": {"critical": 1}}
    assert alarms.summary(["other"]) == {"other": {"critical": 1}}


def test_escalation_is_stored_and_notified(store: Store) -> None:
    clock = Clock()
    events: list[tuple[int, str, str]] = []

    def outbox(alarm: Alarm, event: str) -> Sequence[DeliverySpec]:
        events.append((alarm.id, event, alarm.severity.value))
        return [DeliverySpec("ops", "webhook", "http://127.0.0.1:9/hook", {"event": event, "id": alarm.id})]

    alarms = AlarmStore(store, outbox=outbox, clock=clock)
    alarm = alarms.raise_alarm(_spec(severity=Severity.MAJOR))
    quiet = alarms.raise_alarm(_spec("FT-2", escalate_after=None))
    clock.now = T0 + HOUR / 2
    assert alarms.escalate_due() == []
    clock.now = T0 + HOUR
    (up,) = alarms.escalate_due()
    assert (up.id, up.severity, up.escalated, up.escalated_at) == (alarm.id, Severity.CRITICAL, 1, T0 + HOUR)
    assert alarms.get(alarm.id).initial_severity is Severity.MAJOR
    clock.now = T0 + 5 * HOUR
    assert alarms.escalate_due() == []  # critical is the top
    assert alarms.get(quiet.id).escalated == 0
    assert events == [
        (alarm.id, "raised", "major"),
        (quiet.id, "raised", "warning"),
        (alarm.id, "escalated", "critical"),
    ]
    queued = alarms.list_deliveries(alarm_id=alarm.id)
    assert [(d.event, d.status, d.attempts) for d in queued] == [
        ("escalated", "pending", 0),
        ("raised", "pending", 0),
    ]
    assert alarms.history(alarm.id)[-1].action == "escalate"


def test_deliveries_are_retried_then_kept(store: Store) -> None:
    clock = Clock()
    outbox: Callable[[Alarm, str], Sequence[DeliverySpec]] = lambda alarm, event: [  # noqa: E731
        DeliverySpec("mail", "email", "a@example.com", {"event": event})
    ]
    alarms = AlarmStore(store, outbox=outbox, clock=clock)
    alarm = alarms.raise_alarm(_spec())
    (due,) = alarms.due_deliveries()
    failed = alarms.record_attempt(due.id, error="connection refused", next_attempt=T0 + HOUR)
    assert (failed.status, failed.attempts, failed.last_error) == ("pending", 1, "connection refused")
    assert alarms.due_deliveries() == []  # not yet due
    clock.now = T0 + HOUR
    assert [d.id for d in alarms.due_deliveries()] == [due.id]
    gave_up = alarms.record_attempt(due.id, error="connection refused", next_attempt=None)
    assert (gave_up.status, gave_up.attempts) == ("failed", 2)
    assert alarms.due_deliveries() == [] and alarms.list_deliveries(status="failed")[0].id == due.id
    assert alarms.retry_failed() == 1
    sent = alarms.record_attempt(due.id, error=None)
    assert (sent.status, sent.attempts, sent.sent_at, sent.last_error) == ("sent", 3, T0 + HOUR, None)
    assert alarms.list_deliveries(enterprises=["other"]) == []
    assert alarms.list_deliveries(enterprises=["xg-steel"])[0].alarm_id == alarm.id
    with pytest.raises(NotFoundError):
        alarms.record_attempt(999, error=None)


def test_rule_overrides_per_enterprise_and_meter(
    store: Store, regions: list[Region], parks: list[Park], make_enterprise: Callable[..., Enterprise]
) -> None:
    store.save_model(regions, parks, [make_enterprise()])
    alarms = AlarmStore(store)
    assert alarms.rule_overrides("xg-steel") == []
    alarms.set_rule_override("xg-steel", RuleOverride("threshold", "FT-201", params={"high": 900.0}), "wang")
    alarms.set_rule_override(
        "xg-steel",
        RuleOverride("threshold", "FT-201", params={"low": 100.0}, severity=Severity.MAJOR),
        "wang",
    )
    alarms.set_rule_override(
        "xg-steel", RuleOverride("offline", escalate_after=None, escalate_after_set=True, enabled=False), "li"
    )
    stored = {(o.rule, o.meter): o for o in alarms.rule_overrides("xg-steel")}
    threshold = stored[("threshold", "FT-201")]
    assert threshold.params == {"high": 900.0, "low": 100.0} and threshold.severity is Severity.MAJOR
    offline = stored[("offline", None)]
    assert offline.enabled is False and offline.escalate_after_set and offline.escalate_after is None
    resolved = resolve_rules(load_rules(), store.load_enterprise("xg-steel"), stored.values())
    ft201 = next(r for r in resolved if r.id == "threshold" and r.meter and r.meter.id == "FT-201")
    assert ft201.params["high"] == 900.0 and ft201.severity is Severity.MAJOR
    assert alarms.remove_rule_override("xg-steel", "threshold", "FT-201")
    assert not alarms.remove_rule_override("xg-steel", "threshold", "FT-201")
    with pytest.raises(NotFoundError, match="no enterprise 'nope'"):
        alarms.rule_overrides("nope")
    # overrides go with their enterprise
    store.delete_enterprise("xg-steel")
    with store._engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(tables.alarm_rules)).scalar_one() == 0
        )


def test_check_bookkeeping_and_last_readings(
    store: Store, regions: list[Region], parks: list[Park], make_enterprise: Callable[..., Enterprise]
) -> None:
    store.save_model(regions, parks, [make_enterprise()])
    alarms = AlarmStore(store)
    assert alarms.last_check("xg-steel") is None
    alarms.set_last_check("xg-steel", T0)
    alarms.set_last_check("xg-steel", T0 + HOUR)
    assert alarms.last_check("xg-steel") == T0 + HOUR
    key = store.meter_keys("xg-steel")["FT-201"]
    t = int(T0.timestamp())
    store.write_readings(key, [t, t + 900, t + 1800], [1.0, 2.0, 3.0], [0, 0, 0], 4)
    last = alarms.last_readings("xg-steel")
    assert last["FT-201"] == T0 + dt.timedelta(seconds=1800) and last["FT-101"] is None
    assert alarms.last_readings("xg-steel", before=T0 + dt.timedelta(seconds=900))["FT-201"] == T0


def _event(start: dt.datetime, flow: float, pipe: str, end: dt.datetime | None = None) -> LeakEvent:
    candidates = (Candidate(Location("pipe", pipe), 0.97), Candidate(Location("pipe", "P-next"), 0.9))
    return LeakEvent(start, start + HOUR / 2, end, flow, candidates, 150.0)


def test_leak_events_workflow_with_their_alarm(store: Store) -> None:
    clock = Clock()
    clock.now = T0 + 2 * HOUR
    events = LeakEventStore(store, clock=clock)
    alarms = AlarmStore(store, clock=clock)
    model = Enterprise("xg-steel", "示例", "x", "3120", "r")
    rule = next(r for r in resolve_rules(load_rules(), model) if r.kind == "leak_suspected")
    record, new = events.record_detection(
        "xg-steel", _event(T0, 6.0, "P-yard"), rule, network="steel", source="r.csv"
    )
    assert new and record.state is LeakState.SUSPECTED and record.suspects[0].id == "P-yard"
    assert record.loss(T0 + 4 * HOUR) == pytest.approx(24.0)  # 6 m³/h for 4 h
    alarm = alarms.get(record.alarm_id or 0)
    assert (alarm.kind, alarm.key, alarm.severity) == (
        "leak_suspected",
        f"leak-event/{record.id}",
        Severity.MAJOR,
    )
    # the same leak detected again (start re-estimated): the event is updated, no second alarm
    again, new = events.record_detection("xg-steel", _event(T0 + HOUR, 7.5, "P-next"), rule, network="steel")
    assert not new and again.id == record.id and again.flow == 7.5
    assert len(alarms.list_alarms(["xg-steel"])) == 1
    # another leak, far in time and elsewhere: a second event
    other, new = events.record_detection(
        "xg-steel", _event(T0 + 30 * HOUR, 3.0, "P-mill"), rule, network="steel"
    )
    assert new and other.id != record.id
    clock.now = T0 + 3 * HOUR
    confirmed = events.transition(record.id, "confirm", "wang", "现场发现渗漏")
    assert confirmed.state is LeakState.CONFIRMED
    assert alarms.get(alarm.id).state is AlarmState.ACKNOWLEDGED
    repaired = events.transition(record.id, "repair", "zhao", at=T0 + 5 * HOUR)
    assert repaired.end == T0 + 5 * HOUR and repaired.loss_volume == pytest.approx(7.5 * 5)
    assert alarms.get(alarm.id).state is AlarmState.CLEARED
    reopened = events.transition(record.id, "reopen", "wang", "still wet")
    assert reopened.state is LeakState.CONFIRMED and reopened.alarm_id not in (None, alarm.id)
    assert alarms.get(reopened.alarm_id or 0).state is AlarmState.RAISED
    events.transition(record.id, "repair", "zhao")
    verified = events.transition(record.id, "verify", "wang")
    assert verified.state is LeakState.VERIFIED
    with pytest.raises(AlarmStateError, match="it is final"):
        events.transition(record.id, "dismiss", "wang")
    events.add_note(record.id, "li", "管段已更换")
    history = events.history(record.id)
    assert [h.action for h in history] == [
        "detect",
        "update",
        "confirm",
        "repair",
        "reopen",
        "repair",
        "verify",
        "note",
    ]
    assert [h.actor for h in history][:3] == [SYSTEM, SYSTEM, "wang"]
    dismissed = events.transition(other.id, "dismiss", "wang", "新增用水点，非漏损")
    assert dismissed.state is LeakState.DISMISSED and dismissed.loss_volume is None
    assert alarms.get(other.alarm_id or 0).state is AlarmState.CLEARED
    assert [e.id for e in events.list_events(["xg-steel"], [LeakState.VERIFIED])] == [record.id]
    assert [e.id for e in events.list_events(since=T0 + 20 * HOUR)] == [other.id]
    with pytest.raises(NotFoundError, match="no leak event 999"):
        events.get(999)
    with pytest.raises(InvalidInputError):
        events.transition(record.id, "note", " ")
    with pytest.raises(InvalidInputError):
        events.add_note(record.id, "li", " ")


def test_a_leak_already_over_clears_its_alarm(store: Store) -> None:
    events = LeakEventStore(store, clock=lambda: T0 + 10 * HOUR)
    model = Enterprise("xg-steel", "示例", "x", "3120", "r")
    rule = next(r for r in resolve_rules(load_rules(), model) if r.kind == "leak_suspected")
    record, _ = events.record_detection("xg-steel", _event(T0, 30.0, "P-1", end=T0 + 2 * HOUR), rule)
    assert record.loss_volume == pytest.approx(60.0) and record.state is LeakState.SUSPECTED
    alarm = AlarmStore(store).get(record.alarm_id or 0)
    assert (
        alarm.severity is Severity.CRITICAL
        and alarm.state is AlarmState.CLEARED
        and alarm.cleared_by == SYSTEM
    )
