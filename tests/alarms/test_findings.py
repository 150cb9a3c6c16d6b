"""Findings with deduplication keys and titles: meters, the daily balance, leak detections."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from shuixiao.alarms import (
    MeterSeries,
    ResolvedRule,
    RuleOverride,
    Severity,
    evaluate_balance,
    evaluate_meter,
    human_duration,
    leak_alarm,
    load_rules,
    lookback,
    meter_interval,
    resolve_rules,
)
from shuixiao.errors import InvalidInputError
from shuixiao.leaks import Candidate, LeakEvent, Location
from shuixiao.model import Enterprise, Flow, FlowCategory, Meter, MeterKind, SourceType, UnitKind, WaterUnit

pytestmark = pytest.mark.unit

Q = 900
T0 = 1_740_787_200  # 2025-03-01T00:00:00Z


def _plant(*meters: Meter) -> Enterprise:
    units = (
        WaterUnit("src", "取水泵站", UnitKind.SOURCE, source_type=SourceType.SURFACE),
        WaterUnit("mill", "轧钢厂", UnitKind.WORKSHOP, level=2),
        WaterUnit("cast", "炼钢厂", UnitKind.WORKSHOP, level=2),
        WaterUnit("tower", "冷却塔", UnitKind.COOLING_TOWER, level=3, parent="mill"),
        WaterUnit("out", "总排口", UnitKind.DISCHARGE),
    )
    flows = (
        Flow("f-mill", "src", "mill", FlowCategory.FRESH),
        Flow("f-cast", "src", "cast", FlowCategory.FRESH),
        Flow("f-mill-out", "mill", "out", FlowCategory.DISCHARGE),
        Flow("f-cast-out", "cast", "out", FlowCategory.DISCHARGE),
    )
    return Enterprise("xg", "示例钢厂", "x", "3120", "r", units=units, flows=flows, meters=meters)


def _rule(enterprise: Enterprise, rule_id: str, meter: str | None = None, **params: float) -> ResolvedRule:
    overrides = [RuleOverride(rule_id, meter, params=dict(params))] if params else []
    return next(
        r
        for r in resolve_rules(load_rules(), enterprise, overrides)
        if r.id == rule_id and (r.meter.id if r.meter else None) == meter
    )


def _series(meter: Meter, values: np.ndarray, unit: str, end: int | None = None) -> MeterSeries:
    ts = T0 + np.arange(values.size, dtype=np.int64) * Q
    return MeterSeries(meter, ts, values, unit, ts, None, end if end is not None else int(ts[-1]), float(Q))


FT = Meter("FT-1", MeterKind.RATE, "flow_rate", "m³/h", 2, flow="f-mill", name="轧钢厂进水")


def test_threshold_keys_per_direction_and_bilingual_titles() -> None:
    plant = _plant(FT)
    rule = _rule(plant, "threshold", "FT-1", high=100.0, low=20.0)
    values = np.array([50.0, 120.0, 130.0, 60.0, 10.0, 10.0])
    results = {r.key: r for r in evaluate_meter(rule, _series(FT, values, "m³/h"))}
    assert set(results) == {"FT-1/high", "FT-1/low"}
    high = results["FT-1/high"].findings[0]
    assert high.title_zh == "FT-1（轧钢厂进水） 超上限：130 m³/h（上限 100）"
    assert high.title_en == "FT-1 above its high limit: 130 m³/h (limit 100)"
    assert high.detail["deadband"] == pytest.approx(5.0)  # 5 % of the limit for a flow (ISA-18.2)
    assert high.end == dt.datetime.fromtimestamp(T0 + 3 * Q, dt.UTC)
    assert results["FT-1/low"].state == "active" and results["FT-1/low"].findings[0].end is None
    spec = high.spec("xg")
    assert (spec.kind, spec.key, spec.meter, spec.rule, spec.severity) == (
        "threshold",
        "FT-1/high",
        "FT-1",
        "threshold",
        Severity.WARNING,
    )
    # no limit set: nothing judged
    assert evaluate_meter(_rule(plant, "threshold", "FT-1"), _series(FT, values, "m³/h")) == []


def test_open_alarm_keeps_a_limit_condition_inside_its_deadband() -> None:
    plant = _plant(FT)
    rule = _rule(plant, "threshold", "FT-1", high=100.0)
    series = _series(FT, np.array([99.0, 97.0, 98.0]), "m³/h")
    assert evaluate_meter(rule, series)[0].state == "inactive"
    kept = evaluate_meter(rule, series, open_keys=frozenset({"FT-1/high"}))[0]
    assert kept.state == "active" and kept.findings[0].inherited


def test_offline_stuck_and_rate_of_change_results() -> None:
    pt = Meter("PT-1", MeterKind.PRESSURE, "pressure", "kPa", 3, water_unit="tower")
    plant = _plant(pt)
    rng = np.random.default_rng(5)
    values = np.round(400.0 + rng.normal(0, 3, 60), 1)
    values[40:52] = 401.0
    series = _series(pt, values, "kPa", end=T0 + 70 * Q)
    offline = evaluate_meter(_rule(plant, "offline", "PT-1"), series)[0]
    assert offline.state == "active" and offline.key == "PT-1"
    assert offline.findings[0].title_en == "PT-1 offline: no data for 2 h 45 min"
    assert offline.findings[0].title_zh == "PT-1 离线：2 小时 45 分钟 无数据"
    stuck = evaluate_meter(_rule(plant, "stuck", "PT-1"), series)[0]
    assert [(f.start.timestamp(), f.detail["value"]) for f in stuck.findings] == [(T0 + 40 * Q, 401.0)]
    roc = evaluate_meter(_rule(plant, "rate_of_change", "PT-1"), series)[0]
    assert roc.findings == () and roc.state == "inactive"
    # a disabled rule judges nothing
    off = resolve_rules(load_rules(), plant, [RuleOverride("stuck", enabled=False)])
    assert all(evaluate_meter(r, series) == [] for r in off if r.id == "stuck")


def test_quality_excursion_on_cooling_water() -> None:
    ph = Meter("AT-1", MeterKind.QUALITY, "ph", "pH", 3, water_unit="tower")
    plant = _plant(ph)
    rule = _rule(plant, "quality.cooling.ph", "AT-1")
    values = np.array([8.5] * 4 + [9.6] * 6 + [9.45] * 2 + [9.3] * 2)  # GB/T 50050: 6.8–9.5
    result = next(r for r in evaluate_meter(rule, _series(ph, values, "pH")) if r.key == "AT-1/high")
    finding = result.findings[0]
    # on-delay one hour: the fifth reading above 9.5 meets the rule; 9.45 is inside the 0.1 deadband
    assert finding.raised.timestamp() == T0 + 8 * Q and finding.end is not None
    assert finding.end.timestamp() == T0 + 12 * Q
    assert finding.title_en == "AT-1 water quality out of limits: pH 9.6, above 9.5"
    assert finding.title_zh == "AT-1 水质超标：pH 9.6，高于限值 9.5"


def test_lookback_and_interval() -> None:
    plant = _plant(FT)
    assert lookback(_rule(plant, "offline", "FT-1"), 900.0) == 5 * 900
    assert lookback(_rule(plant, "rate_of_change", "FT-1"), 900.0) == 25 * 3600 + 900
    assert lookback(_rule(plant, "balance_closure"), 900.0) == 0.0
    assert meter_interval([0, 300, 600, 900, 5000], 900.0) == 300.0
    assert human_duration(50 * 3600, "zh") == "2.08 天" and human_duration(600, "en") == "10 min"


def test_daily_balance_closure_from_meter_volumes() -> None:
    # level 1 on the intake into a clear-water pool (a supply sub-unit), level 2 on the two workshops
    units = (
        WaterUnit("src", "取水泵站", UnitKind.SOURCE, source_type=SourceType.SURFACE),
        WaterUnit("pool", "清水池", UnitKind.STORAGE, level=2),
        WaterUnit("mill", "轧钢厂", UnitKind.WORKSHOP, level=2),
        WaterUnit("cast", "炼钢厂", UnitKind.WORKSHOP, level=2),
        WaterUnit("out", "总排口", UnitKind.DISCHARGE),
    )
    flows = (
        Flow("f-in", "src", "pool", FlowCategory.FRESH),
        Flow("f-mill", "pool", "mill", FlowCategory.FRESH),
        Flow("f-cast", "pool", "cast", FlowCategory.FRESH),
        Flow("f-mill-out", "mill", "out", FlowCategory.DISCHARGE),
        Flow("f-cast-out", "cast", "out", FlowCategory.DISCHARGE),
    )
    meters = (
        Meter("FT-IN", MeterKind.TOTALIZER, "volume", "m³", 1, flow="f-in", accuracy_class=1.0),
        Meter("FT-MILL", MeterKind.TOTALIZER, "volume", "m³", 2, flow="f-mill", accuracy_class=1.0),
        Meter("FT-CAST", MeterKind.TOTALIZER, "volume", "m³", 2, flow="f-cast", accuracy_class=1.0),
    )
    plant = Enterprise("xg", "示例钢厂", "x", "3120", "r", units=units, flows=flows, meters=meters)
    rule = _rule(plant, "balance_closure")  # tolerance: closure_tolerance.enterprise, 10 %
    day = 86_400
    days = [
        (T0, {"FT-IN": 1000.0, "FT-MILL": 550.0, "FT-CAST": 400.0}),  # 5 %
        (T0 + day, {"FT-IN": 1000.0, "FT-MILL": 500.0, "FT-CAST": 300.0}),  # 20 %
        (T0 + 2 * day, {"FT-IN": 1000.0, "FT-MILL": 550.0, "FT-CAST": float("nan")}),  # inferred: skipped
        (T0 + 3 * day, {"FT-IN": 1000.0, "FT-MILL": 560.0, "FT-CAST": 400.0}),  # 4 %
    ]
    result = evaluate_balance(rule, plant, days)[0]
    assert result.key == "level1-level2" and result.state == "inactive"
    (finding,) = result.findings
    assert finding.start.timestamp() == T0 + day and finding.raised.timestamp() == T0 + 2 * day
    assert finding.end is not None and finding.end.timestamp() == T0 + 4 * day
    assert finding.detail["difference"] == pytest.approx(0.2) and finding.detail["tolerance"] == 0.1
    assert finding.title_en == "Level-1 and level-2 metering differ by 20.0% (tolerance 10%)"
    assert evaluate_balance(_rule(plant, "balance_closure", tolerance=0.25), plant, days)[0].findings == ()
    assert evaluate_balance(rule, plant, [])[0].state == "unknown"


def test_leak_alarm_severity_and_key() -> None:
    plant = _plant(FT)
    rule = _rule(plant, "leak_suspected")
    start = dt.datetime(2025, 3, 1, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    event = LeakEvent(start, start, None, 6.9, (Candidate(Location("pipe", "P-yard"), 0.99),), 120.0)
    spec = leak_alarm(rule, "xg", 7, event, "steel")
    assert (spec.key, spec.severity, spec.kind) == ("leak-event/7", Severity.MAJOR, "leak_suspected")
    assert spec.title_zh == "疑似管网漏损：约 6.9 m³/h，疑似位置 管段 P-yard"
    assert spec.detail["candidates"] == [{"pipe": "P-yard", "score": 0.99}]
    burst = LeakEvent(start, start, None, 25.0, ())
    assert leak_alarm(rule, "xg", 8, burst).severity is Severity.CRITICAL  # ≥ critical_flow 20 m³/h
    assert leak_alarm(rule, "xg", 8, burst).title_en == "Suspected leak: about 25.0 m³/h at location unknown"
    with pytest.raises(InvalidInputError, match="not a leak_suspected rule"):
        leak_alarm(_rule(plant, "offline", "FT-1"), "xg", 1, event)
