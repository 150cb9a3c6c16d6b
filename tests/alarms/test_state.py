"""The alarm state machine: transitions, validation, escalation once per level, notes, history."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from shuixiao.alarms import (
    SYSTEM,
    Alarm,
    AlarmSpec,
    AlarmState,
    AlarmStateError,
    Severity,
    acknowledge,
    add_note,
    clear,
    escalate,
    escalation_due,
    next_escalation,
)
from shuixiao.errors import InvalidInputError

pytestmark = pytest.mark.unit

T0 = dt.datetime(2025, 3, 1, 8, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def _alarm(
    severity: Severity = Severity.WARNING, escalate_after: float | None = 3600.0, **kw: object
) -> Alarm:
    return Alarm(
        1,
        "xg-steel",
        "offline",
        "FT-101",
        severity,
        AlarmState.RAISED,
        "FT-101 离线",
        "FT-101 offline",
        {},
        T0,
        escalate_after=escalate_after,
        **kw,  # type: ignore[arg-type]
    )


def test_severity_order_and_up() -> None:
    assert sorted(Severity, key=lambda s: s.rank) == [
        Severity.INFO,
        Severity.WARNING,
        Severity.MAJOR,
        Severity.CRITICAL,
    ]
    assert Severity.INFO < Severity.WARNING <= Severity.WARNING < Severity.CRITICAL
    assert Severity.MAJOR.up() is Severity.CRITICAL and Severity.CRITICAL.up() is Severity.CRITICAL
    assert Severity.INFO.__lt__("warning") is NotImplemented


def test_acknowledge_then_clear_with_history() -> None:
    acked, first = acknowledge(_alarm(), "wang", T0 + HOUR / 2, "  crew on the way ")
    assert acked.state is AlarmState.ACKNOWLEDGED and acked.acknowledged_by == "wang"
    assert (first.action, first.from_state, first.to_state, first.note) == (
        "acknowledge",
        "raised",
        "acknowledged",
        "crew on the way",
    )
    done, second = clear(acked, "li", T0 + HOUR)
    assert done.state is AlarmState.CLEARED and done.cleared_at == T0 + HOUR and second.note is None
    assert not done.open


def test_invalid_transitions_say_what_to_do() -> None:
    done, _ = clear(_alarm(), SYSTEM, T0 + HOUR, "condition ended")
    with pytest.raises(AlarmStateError, match="cleared alarm cannot be acknowledged.*raises a new alarm"):
        acknowledge(done, "wang", T0 + 2 * HOUR)
    with pytest.raises(AlarmStateError, match="already cleared"):
        clear(done, "wang", T0 + 2 * HOUR)
    acked, _ = acknowledge(_alarm(), "wang", T0)
    with pytest.raises(AlarmStateError, match="already acknowledged.*add a note instead"):
        acknowledge(acked, "li", T0)
    assert isinstance(AlarmStateError("x"), InvalidInputError)


def test_inputs_are_checked() -> None:
    with pytest.raises(InvalidInputError, match="actor"):
        acknowledge(_alarm(), " ", T0)
    with pytest.raises(InvalidInputError, match="aware"):
        clear(_alarm(), "wang", dt.datetime(2025, 3, 1))
    with pytest.raises(InvalidInputError, match="note needs some text"):
        add_note(_alarm(), "wang", T0, "  ")
    entry = add_note(_alarm(), "wang", T0, "valve V-3 closed")
    assert (entry.action, entry.from_state, entry.to_state) == ("note", "raised", "raised")


def test_spec_validation() -> None:
    with pytest.raises(InvalidInputError, match="non-empty key"):
        AlarmSpec("e", "offline", "", Severity.MAJOR, "t", "t")
    with pytest.raises(InvalidInputError, match="severity 'loud' is unknown"):
        AlarmSpec("e", "offline", "k", "loud", "t", "t")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="escalate_after"):
        AlarmSpec("e", "offline", "k", Severity.MAJOR, "t", "t", escalate_after=0)
    with pytest.raises(InvalidInputError, match="aware"):
        AlarmSpec("e", "offline", "k", Severity.MAJOR, "t", "t", raised_at=dt.datetime(2025, 1, 1))
    assert AlarmSpec("e", "offline", "k", "major", "t", "t").severity is Severity.MAJOR  # type: ignore[arg-type]


def test_escalation_once_per_level_until_critical() -> None:
    alarm = _alarm(Severity.WARNING, 3600.0)
    assert next_escalation(alarm) == T0 + HOUR
    assert not escalation_due(alarm, T0 + HOUR / 2)
    with pytest.raises(AlarmStateError, match="due at"):
        escalate(alarm, T0 + HOUR / 2)
    up, entry = escalate(alarm, T0 + HOUR)
    assert (up.severity, up.escalated, up.initial_severity) == (Severity.MAJOR, 1, Severity.WARNING)
    assert entry.actor == SYSTEM and "warning → major" in (entry.note or "")
    # the next level needs another timeout from this escalation, not from the raise
    assert not escalation_due(up, T0 + HOUR + HOUR / 2)
    top, _ = escalate(up, T0 + 2 * HOUR)
    assert top.severity is Severity.CRITICAL and top.escalated == 2
    assert next_escalation(top) is None and not escalation_due(top, T0 + 10 * HOUR)


def test_no_escalation_when_acknowledged_cleared_or_without_timeout() -> None:
    acked, _ = acknowledge(_alarm(), "wang", T0)
    assert next_escalation(acked) is None
    assert next_escalation(_alarm(escalate_after=None)) is None
    with pytest.raises(AlarmStateError, match="does not escalate"):
        escalate(acked, T0 + 5 * HOUR)


def test_escalation_counts_from_when_the_platform_raised_it() -> None:
    # a condition of yesterday found today: nobody could have acknowledged it before today
    old = _alarm(created_at=T0 + 24 * HOUR)
    assert next_escalation(old) == T0 + 25 * HOUR


class AlarmMachine(RuleBasedStateMachine):
    """Any sequence of actions keeps the alarm consistent and its history complete."""

    def __init__(self) -> None:
        super().__init__()
        self.alarm = _alarm(Severity.INFO, 600.0)
        self.now = T0
        self.history = 1  # the raise
        self.levels: list[Severity] = []

    @rule(minutes=st.integers(0, 120))
    def wait(self, minutes: int) -> None:
        self.now += dt.timedelta(minutes=minutes)

    @rule()
    def ack(self) -> None:
        before = self.alarm.state
        try:
            self.alarm, _ = acknowledge(self.alarm, "wang", self.now)
        except AlarmStateError:
            assert before is not AlarmState.RAISED
        else:
            assert before is AlarmState.RAISED
            self.history += 1

    @rule()
    def clear_it(self) -> None:
        before = self.alarm.state
        try:
            self.alarm, _ = clear(self.alarm, SYSTEM, self.now)
        except AlarmStateError:
            assert before is AlarmState.CLEARED
        else:
            self.history += 1

    @rule()
    def check_escalation(self) -> None:
        if escalation_due(self.alarm, self.now):
            before = self.alarm.severity
            self.alarm, _ = escalate(self.alarm, self.now)
            assert self.alarm.severity.rank == before.rank + 1
            self.levels.append(self.alarm.severity)
            self.history += 1

    @invariant()
    def consistent(self) -> None:
        a = self.alarm
        assert (a.acknowledged_at is not None) == (a.acknowledged_by is not None)
        assert (a.state is AlarmState.CLEARED) == (a.cleared_at is not None)
        if a.state is AlarmState.ACKNOWLEDGED:
            assert a.cleared_at is None
        # each level is reached, and notified, at most once
        assert len(self.levels) == len(set(self.levels)) == a.escalated <= 3
        assert a.severity.rank == Severity.INFO.rank + a.escalated


TestAlarmMachine = AlarmMachine.TestCase
TestAlarmMachine.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)


@given(st.lists(st.sampled_from(["ack", "clear", "note"]), max_size=8))
def test_no_transition_leaves_cleared(actions: list[str]) -> None:
    alarm, _ = clear(_alarm(), SYSTEM, T0)
    for action in actions:
        if action == "note":
            add_note(alarm, "wang", T0, "still cleared")
            continue
        with pytest.raises(AlarmStateError):
            (acknowledge if action == "ack" else clear)(alarm, "wang", T0)
    assert alarm.state is AlarmState.CLEARED
