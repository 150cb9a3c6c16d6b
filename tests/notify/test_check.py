"""End to end: readings through the ingestion pipeline, then `AlarmChecker` raises, keeps and clears alarms."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from shuixiao.alarms import SYSTEM, AlarmState, RuleOverride, Severity
from shuixiao.errors import InvalidInputError
from shuixiao.ingest import Pipeline, RawReading, Source
from shuixiao.model import Enterprise, Origin, Park, Region
from shuixiao.notify import AlarmChecker, Channel, NotifyConfig, run_every
from shuixiao.storage import AlarmStore, Store
from tests.notify.conftest import WebhookReceiver

pytestmark = pytest.mark.integration

T0 = 1_740_787_200  # 2025-03-01T00:00:00Z
Q = 900
H = 3600


def _at(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(T0 + seconds, dt.UTC)


def _readings() -> list[RawReading]:
    """Two days of 15-min readings of three meters of the steel works, with three faults.

    * FT-201 (flow, reported in m³/h): about 800 m³/h; 1100 m³/h from 26 h to 31 h (over a 1000 limit);
    * PT-201 (pressure): about 350 kPa; exactly 352.5 kPa from 24 h to 30 h (stuck);
    * AT-201 (conductivity): about 1500 µS/cm; nothing from 27 h to 32 h (offline).
    """
    rng = np.random.default_rng(7)
    records = []
    for k in range(int(40 * H / Q)):
        t = k * Q
        flow = 1100.0 if 26 * H <= t < 31 * H else 800.0
        records.append(RawReading("FT-201", T0 + t, round(flow + rng.normal(0, 8), 2), unit="m³/h"))
        pressure = 352.5 if 24 * H <= t < 30 * H else round(350 + rng.normal(0, 2), 2)
        records.append(RawReading("PT-201", T0 + t, pressure, unit="kPa"))
        if not 27 * H < t < 32 * H:
            records.append(RawReading("AT-201", T0 + t, round(1500 + rng.normal(0, 20), 1)))
    return records


@pytest.fixture
def plant(
    store: Store, regions: list[Region], parks: list[Park], make_enterprise: Callable[..., Enterprise]
) -> Store:
    store.save_model(regions, parks, [make_enterprise()])
    result = Pipeline(store, clock=lambda: T0 + 100 * H).ingest(
        "xg-steel", _readings(), Source(Origin.FILE, "plant.csv", timezone="UTC")
    )
    assert result.rejected == 0
    AlarmStore(store).set_rule_override(
        "xg-steel", RuleOverride("threshold", "FT-201", params={"high": 1000.0}), "wang"
    )
    return store


def test_faults_raise_exactly_the_expected_alarms_once_and_clear(
    plant: Store, webhook: WebhookReceiver
) -> None:
    now = [_at(29 * H)]
    notify = NotifyConfig(
        (Channel("ops", "webhook", url=webhook.url, min_severity=Severity.INFO),), timezone="UTC"
    )
    checker = AlarmChecker(plant, notify=notify, clock=lambda: now[0])
    alarms = checker.alarms

    first = checker.check("xg-steel")  # the first check looks back a day
    assert (first.since, first.until) == (_at(5 * H), _at(29 * H))
    raised = {(a.kind, a.key): a for a in first.raised}
    assert set(raised) == {
        ("threshold", "FT-201/high"),
        ("rate_of_change", "FT-201"),  # the step from 800 to 1100 m³/h, 30 standard deviations
        ("stuck", "PT-201"),
        ("offline", "AT-201"),
    }
    # the step was one: after an hour of calm its (info) alarm cleared itself within the window
    assert [(a.kind, a.cleared_at) for a in first.cleared] == [("rate_of_change", _at(27 * H))]
    assert first.open == 3
    assert raised[("threshold", "FT-201/high")].raised_at == _at(26 * H)
    assert raised[("stuck", "PT-201")].raised_at == _at(26 * H)  # 8 unchanged intervals after 24 h
    assert raised[("offline", "AT-201")].raised_at == _at(27 * H + 5 * Q)  # (4 + 1) intervals of silence
    assert raised[("threshold", "FT-201/high")].severity is Severity.WARNING
    assert raised[("offline", "AT-201")].title_zh == "AT-201 离线：2 小时 无数据"

    # a second check over the next half hour: the conditions persist, nothing new
    now[0] = _at(29.5 * H)
    second = checker.check("xg-steel")
    assert (second.since, second.raised, second.cleared, second.open) == (_at(29 * H), [], [], 3)
    assert alarms.get(raised[("offline", "AT-201")].id).last_seen == _at(29.5 * H)
    # and the same window again (re-run with --since) does not duplicate either
    again = checker.check("xg-steel", since=_at(20 * H), until=_at(29.5 * H))
    assert again.raised == [] and again.open == 3

    # the faults end: every alarm clears itself, recorded as done by 'system'
    now[0] = _at(36 * H)
    third = checker.check("xg-steel")
    cleared = {(a.kind, a.key): a for a in third.cleared}
    assert (
        set(cleared) == set(raised) - {("rate_of_change", "FT-201")}
        and third.raised == []
        and third.open == 0
    )
    # (the step back down is within 6 standard deviations of a day that now includes the high flow)
    assert cleared[("threshold", "FT-201/high")].cleared_at == _at(31 * H)
    assert cleared[("stuck", "PT-201")].cleared_at == _at(30 * H)
    assert cleared[("offline", "AT-201")].cleared_at == _at(32 * H)
    for alarm in cleared.values():
        assert alarm.cleared_by == SYSTEM
        last = alarms.history(alarm.id)[-1]
        assert (last.actor, last.action, last.to_state) == (SYSTEM, "clear", "cleared")
        assert last.note and last.note.startswith("condition ended at")

    events = sorted((r.json()["event"], r.json()["alarm"]["key"]) for r in webhook.received)
    keys = [k for _, k in raised]
    assert events == sorted([("raised", k) for k in keys] + [("cleared", k) for k in keys])


def test_a_condition_that_came_and_went_is_raised_and_cleared(plant: Store) -> None:
    checker = AlarmChecker(plant, clock=lambda: _at(40 * H))
    report = checker.check("xg-steel", since=_at(20 * H), until=_at(40 * H))
    assert {(a.kind, a.key) for a in report.raised} == {(a.kind, a.key) for a in report.cleared}
    assert len(report.raised) == 4 and report.open == 0
    assert all(a.state is AlarmState.CLEARED for a in report.cleared)


def test_escalation_of_an_unacknowledged_alarm(plant: Store) -> None:
    now = [_at(29 * H)]
    checker = AlarmChecker(plant, clock=lambda: now[0])
    first = checker.check("xg-steel")
    offline = next(a for a in first.raised if a.kind == "offline")
    threshold = next(a for a in first.raised if a.kind == "threshold")
    stuck = next(a for a in first.raised if a.kind == "stuck")
    checker.alarms.acknowledge(stuck.id, "wang")
    now[0] = _at(29 * H) + dt.timedelta(hours=4)  # PT4H after they were raised (by the platform)
    report = checker.check("xg-steel", since=_at(28 * H), until=_at(29 * H) + dt.timedelta(minutes=1))
    assert sorted((a.id, a.severity) for a in report.escalated) == sorted(
        [(offline.id, Severity.CRITICAL), (threshold.id, Severity.MAJOR)]
    )  # one level each; the acknowledged one stays
    assert checker.alarms.get(stuck.id).severity is Severity.WARNING
    now[0] += dt.timedelta(hours=4)
    later = checker.check("xg-steel", since=_at(28 * H), until=_at(29 * H) + dt.timedelta(minutes=2))
    assert [(a.id, a.severity) for a in later.escalated] == [(threshold.id, Severity.CRITICAL)]


def test_bad_windows_and_unknown_enterprises(plant: Store) -> None:
    checker = AlarmChecker(plant, clock=lambda: _at(29 * H))
    with pytest.raises(InvalidInputError, match="is not before"):
        checker.check("xg-steel", since=_at(30 * H))
    checker.check("xg-steel")
    assert checker.check("xg-steel").since == _at(29 * H)  # nothing new: an empty window
    reports = checker.check_all()
    assert [r.enterprise for r in reports] == ["xg-steel"]


@pytest.mark.unit
def test_run_every_stops_when_asked() -> None:
    stop, rounds = threading.Event(), []
    timer = threading.Timer(0.3, stop.set)
    timer.start()
    assert run_every(0.05, lambda: rounds.append(1), stop) == len(rounds) >= 2
    with pytest.raises(InvalidInputError):
        run_every(0, lambda: None, stop)


@pytest.mark.slow
def test_the_demo_park_faults_and_nothing_else(tmp_path: Path) -> None:
    """The default rules against the ground truth of the demo park: every injected fault, no false warning."""
    from shuixiao.demo import DemoConfig
    from shuixiao.demo.build import build_demo

    with Store.open(f"sqlite:///{tmp_path}/demo.db") as store:
        store.upgrade()
        build_demo(store, DemoConfig(enterprises=2, days=5), tmp_path / "files")
        truth = json.loads((tmp_path / "files" / "truth.json").read_text(encoding="utf-8"))
        start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        now = [start]
        checker = AlarmChecker(store, clock=lambda: now[0])
        for step in range(1, 21):  # every 6 hours over the five days
            now[0] = start + dt.timedelta(hours=6 * step)
            checker.check_all(since=start if step == 1 else None, until=now[0])
        found = AlarmStore(store).list_alarms(limit=None)
    expected: set[tuple[str, str, str]] = set()
    for enterprise, data in truth["enterprises"].items():
        for event in data["events"]:
            if event["kind"] == "gap":
                expected |= {(enterprise, "offline", m) for m in event["meters"]}
            elif event["kind"] == "stuck":
                expected.add((enterprise, "stuck", event["meter"]))
            elif event["kind"] == "quality_excursion":
                expected |= {(enterprise, "quality.cooling.ph", m) for m in event["meters"]}
    warnings = {(a.enterprise, a.rule or "", a.meter or "") for a in found if a.severity > Severity.INFO}
    assert warnings == expected and len(expected) == 10
    assert all(a.state is AlarmState.CLEARED and a.cleared_by == SYSTEM for a in found)
    # a stuck meter is found after its eight unchanged intervals
    for a in found:
        if a.rule == "stuck":
            fault = next(e for e in truth["enterprises"][a.enterprise]["events"] if e.get("meter") == a.meter)
            assert a.raised_at - dt.datetime.fromisoformat(fault["start"]) == dt.timedelta(hours=2)


def test_a_condition_cleared_by_hand_while_it_lasts_comes_back(plant: Store) -> None:
    now = [_at(29 * H)]
    checker = AlarmChecker(plant, clock=lambda: now[0])
    offline = next(a for a in checker.check("xg-steel").raised if a.kind == "offline")
    checker.alarms.clear(offline.id, "wang", "known outage")
    now[0] = _at(29.5 * H)
    (again,) = checker.check("xg-steel").raised
    assert (again.kind, again.key) == ("offline", "AT-201") and again.id != offline.id
