"""Planned water use and quota pace end to end: plans and daily aggregates in a real store, then
:class:`shuixiao.notify.AlarmChecker` raises, keeps and clears the alarms (SQLite and PostgreSQL).

Worked example (issue 3 item 8): plan 31 000 m³ for March 2025 (31 days), 800 m³ a day → at the
end of day 10, 8 000 m³ against a pro-rata plan of 10 000 m³ = 80 % → warning.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from shuixiao.alarms import AlarmState, Severity
from shuixiao.model import Enterprise, Meter, MeterKind, Park, ProductionRecord, Region
from shuixiao.notify import AlarmChecker, CheckReport
from shuixiao.storage import AlarmStore, Store
from shuixiao.storage.plans import PlanInput, PlanStore

pytestmark = pytest.mark.integration

ZONE = ZoneInfo("Asia/Shanghai")
# Share of the daily intake on each intake meter of the steel works (FT-103 reports a rate).
SHARES = {"FT-101": 0.625, "FT-104": 0.125, "FT-102": 0.125, "FT-103": 0.125}


def _local(day: int, month: int = 3) -> dt.datetime:
    """Ten minutes after local midnight starting day ``day`` (the check just after a day ends)."""
    return dt.datetime(2025, month, 1, 0, 10, tzinfo=ZONE) + dt.timedelta(days=day - 1)


def _write_days(store: Store, enterprise: str, days: range, volume: float) -> None:
    """Daily (P1D) aggregates of the intake meters: ``volume`` m³ a day in all."""
    keys = store.meter_keys(enterprise)
    starts = np.array([int(dt.datetime(2025, 3, d, tzinfo=ZONE).timestamp()) for d in days], dtype=np.int64)
    n = len(starts)
    for meter, share in SHARES.items():
        value = share * volume / 24.0 if meter == "FT-103" else share * volume  # m³/h for the rate meter
        v = np.full(n, value)
        store.write_aggregates(
            keys[meter], "P1D", starts, v, v, v, np.full(n, 96), np.zeros(n, dtype=np.int8)
        )


@pytest.fixture
def works(
    store: Store, regions: list[Region], parks: list[Park], make_enterprise: Callable[..., Enterprise]
) -> Store:
    base = make_enterprise()
    soft = Meter("FT-104", MeterKind.TOTALIZER, "volume", "m³", 1, flow="f-river-soft")
    steel = base.products[0]
    enterprise = dataclasses.replace(
        base,
        meters=(*base.meters, soft),
        products=(steel,),
        production=(ProductionRecord("steel", dt.date(2025, 3, 1), dt.date(2025, 4, 1), 31_000.0),),
    )
    store.save_model(regions, parks, [enterprise])
    return store


def _check(checker: AlarmChecker, until: dt.datetime, since: dt.datetime | None = None) -> CheckReport:
    return checker.check("xg-steel", since=since, until=until)


def _keys(alarms: list, kind: str) -> list[str]:  # type: ignore[type-arg]
    return sorted(a.key for a in alarms if a.kind == kind)


def test_plan_pace_warns_goes_critical_clears_and_the_month_ends_over_plan(works: Store) -> None:
    PlanStore(works).set_plans(
        [PlanInput("xg-steel", "2025-03", 31_000, authority="湘潭市水利局", document="潭水资〔2025〕3号")],
        by="wang",
    )
    checker = AlarmChecker(works, clock=lambda: _local(40))
    _write_days(works, "xg-steel", range(1, 11), 800.0)
    report = _check(checker, _local(11), since=_local(10))
    assert _keys(report.raised, "water_plan") == ["total/2025-03/warning"]
    warning = next(a for a in report.raised if a.kind == "water_plan")
    assert warning.severity is Severity.WARNING and warning.detail["ratio"] == pytest.approx(0.8)
    assert warning.raised_at == dt.datetime(2025, 3, 11, tzinfo=ZONE)

    _write_days(works, "xg-steel", range(11, 16), 2_000.0)  # 18 000 m³ against 15 000: 120 %
    report = _check(checker, _local(16))
    assert _keys(report.raised, "water_plan") == ["total/2025-03/critical"]
    assert next(a for a in report.raised if a.kind == "water_plan").severity is Severity.CRITICAL
    open_now = AlarmStore(works).open_alarms("xg-steel", kinds=["water_plan"])
    assert [a.id for a in open_now if a.key.endswith("warning")] == [warning.id]  # one alarm, kept

    _write_days(works, "xg-steel", range(16, 26), 100.0)  # 19 000 m³ against 25 000: 76 %
    report = _check(checker, _local(26))
    assert _keys(report.cleared, "water_plan") == ["total/2025-03/critical", "total/2025-03/warning"]
    assert all(a.cleared_by == "system" for a in report.cleared)

    _write_days(works, "xg-steel", range(26, 32), 3_000.0)  # 37 000 m³ in the month: 119 %
    report = _check(checker, _local(1, month=4))
    assert _keys(report.raised, "water_plan") == ["total/2025-03/over_plan"]
    over = next(a for a in report.raised if a.kind == "water_plan")
    assert over.severity is Severity.CRITICAL
    assert over.title_zh == "2025年3月超计划用水（全部水源）：取水 37,000 m³，月计划 31,000 m³（119%）"
    assert over.detail["measured_days"] == 31 and over.detail["intake_m3"] == pytest.approx(37_000.0)

    report = _check(checker, _local(2, month=4))  # April has no plan; March's outcome stays open
    assert _keys(report.raised, "water_plan") == [] and _keys(report.cleared, "water_plan") == []
    still = AlarmStore(works).open_alarms("xg-steel", kinds=["water_plan"])
    assert [(a.key, a.state) for a in still] == [("total/2025-03/over_plan", AlarmState.RAISED)]


def test_a_plan_per_source_and_a_revised_plan(works: Store) -> None:
    plans = PlanStore(works)
    plans.set_plans([PlanInput("xg-steel", "2025-03", 3_100, "municipal")], by="wang")
    _write_days(works, "xg-steel", range(1, 11), 800.0)  # 100 m³ a day of tap water: 100 % of its pace
    checker = AlarmChecker(works, clock=lambda: _local(40))
    report = _check(checker, _local(11), since=_local(10))
    assert _keys(report.raised, "water_plan") == ["municipal/2025-03/critical", "municipal/2025-03/warning"]
    plans.set_plans([PlanInput("xg-steel", "2025-03", 4_000, "municipal", note="调增")], by="li")
    _write_days(works, "xg-steel", range(11, 12), 800.0)  # 1 100 m³ against 4 000 × 11/31 = 1 419: 78 %
    report = _check(checker, _local(12))
    assert _keys(report.cleared, "water_plan") == ["municipal/2025-03/critical", "municipal/2025-03/warning"]
    assert [p.volume for p in plans.history("xg-steel", "2025-03", "municipal")] == [3_100.0, 4_000.0]


def test_no_plan_or_no_data_raises_nothing(works: Store) -> None:
    checker = AlarmChecker(works, clock=lambda: _local(40))
    _write_days(works, "xg-steel", range(1, 11), 5_000.0)
    assert _keys(_check(checker, _local(11), since=_local(10)).raised, "water_plan") == []
    PlanStore(works).set_plans([PlanInput("xg-steel", "2025-04", 1_000)], by="wang")
    assert _keys(_check(checker, _local(2, month=4)).raised, "water_plan") == []  # no April day measured yet


def test_quota_pace_warns_and_clears(works: Store) -> None:
    # GB/T 18916.2-2022 crude steel: general values 3.6–4.8 m³/t; 1 000 t a day of output.
    checker = AlarmChecker(works, clock=lambda: _local(40))
    _write_days(works, "xg-steel", range(1, 6), 6_000.0)  # 6 m³/t
    report = _check(checker, _local(3), since=_local(2))
    assert _keys(report.raised, "quota_pace") == []  # two days: fewer than minimum_days
    report = _check(checker, _local(6))
    assert _keys(report.raised, "quota_pace") == ["steel/2025-03"]
    alarm = next(a for a in report.raised if a.kind == "quota_pace")
    assert alarm.detail["value"] == pytest.approx(6.0) and alarm.detail["quota"] == 4.8
    _write_days(works, "xg-steel", range(6, 11), 1_000.0)  # 35 000 m³ / 10 000 t = 3.5 m³/t
    report = _check(checker, _local(11))
    assert _keys(report.cleared, "quota_pace") == ["steel/2025-03"]


@pytest.mark.slow
def test_the_demo_park_shows_plan_alarms_for_its_tight_enterprise_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from shuixiao.demo import DemoConfig
    from shuixiao.demo.build import build_demo

    with Store.open(f"sqlite:///{tmp_path}/demo.db") as store:
        store.upgrade()
        build_demo(store, DemoConfig(enterprises=3, days=12), tmp_path / "files")
        assert [len(PlanStore(store).list_plans(e.id)) for e in store.list_enterprises()] == [1, 1, 1]
        start = dt.datetime(2025, 1, 1, tzinfo=ZONE)
        checker = AlarmChecker(store, clock=lambda: start + dt.timedelta(days=12))
        checker.check_all(since=start, until=start + dt.timedelta(days=12))
        found = AlarmStore(store).list_alarms(kinds=["water_plan", "quota_pace"], limit=None)
    assert {(a.enterprise, a.kind) for a in found} == {("jinlan-dyeing", "water_plan")}
    assert {a.key for a in found} <= {"total/2025-01/warning", "total/2025-01/critical"}
    assert "total/2025-01/warning" in {a.key for a in found}
