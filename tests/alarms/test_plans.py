"""Planned water use and quota pace (pure engine): the pro-rata ratio, levels, month end, quota.

Worked example (issue 3 item 8, the platform's requirement): a plan of 31 000 m³ in a 31-day
month, 8 000 m³ taken by the end of day 10 → 80 % of the plan's pace → warning.
Quota: GB/T 18916.2-2022 crude steel, general values 3.6–4.8 m³/t by plant configuration
(shuixiao/data/reference/quotas_gbt18916.yaml).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pytest

from shuixiao.alarms import (
    ENTERPRISE_KINDS,
    PlanProgress,
    ProductProgress,
    ResolvedRule,
    RuleOverride,
    Severity,
    evaluate_plan,
    evaluate_quota,
    load_rules,
    month_days,
    plan_pace_ratio,
    resolve_rules,
)
from shuixiao.errors import InvalidInputError
from shuixiao.model import Enterprise, SourceType

pytestmark = pytest.mark.unit

MARCH = dt.date(2025, 3, 1)
ENTERPRISE = Enterprise("e", "示例", "x", "3120", "r")


def _at(day: int) -> dt.datetime:
    """End of local day ``day`` of March 2025 (Asia/Shanghai midnight) in UTC."""
    return dt.datetime(2025, 2, 28, 16, tzinfo=dt.UTC) + dt.timedelta(days=day)


def _rule(kind: str, *overrides: RuleOverride) -> ResolvedRule:
    return next(r for r in resolve_rules(load_rules(), ENTERPRISE, overrides) if r.kind == kind)


def _progress(
    intake: float, days: int, *, plan: float = 31_000.0, elapsed: int | None = None
) -> PlanProgress:
    return PlanProgress(
        MARCH,
        None,
        plan,
        intake,
        days,
        days if elapsed is None else elapsed,
        _at(days if elapsed is None else elapsed),
    )


def _states(results: list) -> dict[str, str]:  # type: ignore[type-arg]
    return {r.key: r.state for r in results}


def test_the_rules_ship_with_sourced_levels() -> None:
    rules = load_rules()
    plan, quota = rules.rule("water_plan"), rules.rule("quota_pace")
    assert {"water_plan", "quota_pace"} <= set(ENTERPRISE_KINDS)
    assert (plan.params["warning"].value, plan.params["critical"].value) == (0.8, 1.0)
    assert "issue 3 item 8" in plan.params["warning"].source
    assert plan.severity is Severity.WARNING and plan.escalate_after is None
    assert quota.params["minimum_days"].value == 3.0


def test_worked_example_pro_rata() -> None:
    assert plan_pace_ratio(8_000.0, 31_000.0, 10, 31) == pytest.approx(0.8, abs=1e-12)
    assert plan_pace_ratio(31_000.0, 31_000.0, 31, 31) == pytest.approx(1.0)
    ratios = plan_pace_ratio(np.array([0.0, 8_000.0, 12_000.0]), 31_000.0, np.array([10, 10, 10]), 31)
    np.testing.assert_allclose(ratios, [0.0, 0.8, 1.2])
    assert math.isnan(plan_pace_ratio(0.0, 31_000.0, 0, 31))
    assert math.isnan(plan_pace_ratio(float("nan"), 31_000.0, 10, 31))
    assert month_days(dt.date(2024, 2, 1)) == 29


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((8_000.0, 0.0, 10, 31), "a monthly plan must be > 0 m³"),
        ((8_000.0, -1.0, 10, 31), "a monthly plan must be > 0 m³"),
        ((-1.0, 31_000.0, 10, 31), "intake cannot be negative"),
        ((8_000.0, 31_000.0, 32, 31), "must lie between 0 and the month's"),
        ((8_000.0, 31_000.0, -1, 31), "must lie between 0 and the month's"),
    ],
)
def test_bad_ratio_inputs(args: tuple[float, float, int, int], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        plan_pace_ratio(*args)


def test_warning_at_80_percent_of_the_pace() -> None:
    results = evaluate_plan(_rule("water_plan"), _progress(8_000.0, 10))
    assert _states(results) == {"total/2025-03/warning": "active", "total/2025-03/critical": "inactive"}
    finding = results[0].findings[0]
    assert finding.severity is Severity.WARNING and finding.escalate_after is None
    assert finding.title_zh == (
        "2025年3月计划用水预警（全部水源）：前 10 天取水 8,000 m³，为按日进度计划 10,000 m³ 的 80%（月计划 31,000 m³）"
    )
    assert finding.title_en.startswith("Water-use plan 2025-03 (all sources): 8,000 m³ in 10 days, 80% of")
    assert finding.detail["ratio"] == pytest.approx(0.8)
    assert finding.detail["pace_m3"] == pytest.approx(10_000.0)
    assert finding.raised == _at(10) and finding.end is None and finding.meter is None


def test_just_under_the_warning_level_is_quiet() -> None:
    assert set(_states(evaluate_plan(_rule("water_plan"), _progress(7_999.0, 10))).values()) == {"inactive"}


def test_critical_at_the_plan_pace_is_a_second_alarm() -> None:
    results = evaluate_plan(_rule("water_plan"), _progress(10_000.0, 10))
    assert _states(results) == {"total/2025-03/warning": "active", "total/2025-03/critical": "active"}
    critical = results[1].findings[0]
    assert critical.severity is Severity.CRITICAL
    assert "超计划用水进度" in critical.title_zh and "100%" in critical.title_zh


def test_month_end_actual_against_plan() -> None:
    rule = _rule("water_plan")
    over = evaluate_plan(rule, _progress(32_550.0, 31))
    assert _states(over) == {
        "total/2025-03/warning": "inactive",
        "total/2025-03/critical": "inactive",
        "total/2025-03/over_plan": "active",
    }
    finding = over[2].findings[0]
    assert finding.severity is Severity.CRITICAL
    assert finding.title_zh == "2025年3月超计划用水（全部水源）：取水 32,550 m³，月计划 31,000 m³（105%）"
    under = evaluate_plan(rule, _progress(30_000.0, 31))
    assert _states(under)["total/2025-03/over_plan"] == "inactive"


def test_missing_days_are_judged_on_the_measured_ones() -> None:
    progress = _progress(7_200.0, 9, elapsed=10)  # one day of the ten not measured
    assert progress.pace == pytest.approx(9_000.0) and progress.ratio == pytest.approx(0.8)
    assert _states(evaluate_plan(_rule("water_plan"), progress))["total/2025-03/warning"] == "active"


def test_a_plan_per_source_type_has_its_own_keys() -> None:
    progress = dataclasses.replace(_progress(2_500.0, 10, plan=7_750.0), source_type=SourceType.GROUNDWATER)
    results = evaluate_plan(_rule("water_plan"), progress)
    assert _states(results) == {
        "groundwater/2025-03/warning": "active",
        "groundwater/2025-03/critical": "active",
    }
    assert "（地下水）" in results[0].findings[0].title_zh


def test_overrides_disabled_rules_and_too_few_days() -> None:
    quiet = _rule("water_plan", RuleOverride("water_plan", enabled=False))
    assert evaluate_plan(quiet, _progress(30_000.0, 10)) == []
    assert evaluate_plan(_rule("water_plan"), _progress(0.0, 0, elapsed=1)) == []
    later = _rule("water_plan", RuleOverride("water_plan", params={"minimum_days": 5.0, "critical": None}))
    assert evaluate_plan(later, _progress(3_000.0, 3)) == []
    assert _states(evaluate_plan(later, _progress(5_000.0, 5))) == {"total/2025-03/warning": "active"}
    major = _rule("water_plan", RuleOverride("water_plan", severity=Severity.MAJOR))
    assert evaluate_plan(major, _progress(8_000.0, 10))[0].findings[0].severity is Severity.MAJOR


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"month": dt.date(2025, 3, 2)}, "must be the first day of a month"),
        ({"measured_days": 11}, "need 0 ≤ measured"),
        ({"elapsed_days": 32}, "need 0 ≤ measured"),
        ({"at": dt.datetime(2025, 3, 10)}, "must be an aware datetime"),
    ],
)
def test_bad_progress(fields: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        dataclasses.replace(_progress(8_000.0, 10), **fields)


def _product(intake: float, production: float, days: int, benchmark: str = "crude_steel") -> ProductProgress:
    return ProductProgress(MARCH, "steel", "粗钢", benchmark, "t", intake, production, days, _at(days))


def test_quota_pace_against_the_most_lenient_general_value() -> None:
    rule = _rule("quota_pace")
    # GB/T 18916.2-2022: general values 4.8 (coking, cold rolling) … 3.6 m³/t; 4.8 is the limit.
    above = evaluate_quota(rule, _product(49_000.0, 10_000.0, 10))
    assert [(r.key, r.state) for r in above] == [("steel/2025-03", "active")]
    finding = above[0].findings[0]
    assert finding.severity is Severity.WARNING
    assert finding.detail["quota"] == 4.8 and finding.detail["value"] == pytest.approx(4.9)
    assert all(q["standard"].startswith("GB/T 18916.2") for q in finding.detail["quotas"])
    assert sorted(q["value"] for q in finding.detail["quotas"]) == [3.6, 4.2, 4.5, 4.8]
    assert finding.title_zh == "2025年3月粗钢单位产品取水量 4.9 m³/t（前 10 天），超过定额通用值 4.8 m³/t"
    assert [r.state for r in evaluate_quota(rule, _product(48_000.0, 10_000.0, 10))] == ["inactive"]


def test_quota_pace_judges_nothing_it_cannot() -> None:
    rule = _rule("quota_pace")
    assert evaluate_quota(rule, _product(49_000.0, 10_000.0, 2)) == []  # fewer than 3 days
    assert evaluate_quota(rule, _product(49_000.0, 0.0, 10)) == []  # no output
    assert evaluate_quota(rule, _product(49_000.0, 10_000.0, 10, "beer")) == []  # no quota in the tables
    off = _rule("quota_pace", RuleOverride("quota_pace", enabled=False))
    assert evaluate_quota(off, _product(49_000.0, 10_000.0, 10)) == []
