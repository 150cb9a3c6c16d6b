"""Tests of the demo simulator: physics, meters, injected events, aggregates and truth."""

from __future__ import annotations

import datetime as dt
import json
import time

import numpy as np
import pytest

from shuixiao.demo import DemoConfig, DemoPark, EnterpriseData, build_park, resolutions, simulate
from shuixiao.demo._drivers import make_grid, make_weather
from shuixiao.demo._parameters import METER_TYPES, NATIONAL_INTAKE_2020
from shuixiao.demo._park import plans, weather_rng
from shuixiao.demo._simulate import physics
from shuixiao.demo._templates import TEMPLATES
from shuixiao.model import MeterKind, Quality, UnitKind, enterprise_problems
from shuixiao.series import totalizer_intervals
from shuixiao.units import to_canonical

pytestmark = pytest.mark.unit


def _iso(text: str) -> int:
    return int(dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC).timestamp())


def _agg(d: EnterpriseData, meter: str, resolution: str = "P1D"):  # type: ignore[no-untyped-def]
    return next(a for a in d.aggregates if a.meter_id == meter and a.resolution == resolution)


def _series(d: EnterpriseData, meter: str):  # type: ignore[no-untyped-def]
    return next(s for s in d.series if s.meter_id == meter)


# ----------------------------------------------------------------- physics


@pytest.mark.parametrize("index", range(6))
def test_true_flows_balance_every_unit_in_every_interval(config: DemoConfig, index: int) -> None:
    plan = plans(config)[index]
    grid = make_grid(config.start, config.days, config.interval)
    drivers, flows, _ = physics(plan, grid, make_weather(grid, weather_rng(config.seed)), config.seed)
    e = plan.enterprise
    tanks = {t.unit: t for t in plan.template.tanks}
    peak = max(float(v.max()) for v in flows.values())
    for v in flows.values():
        assert v.min() >= -1e-9 * peak
    for unit in e.units:
        if unit.is_boundary:
            continue
        inflow = sum((flows[f.id] for f in e.flows if f.to_unit == unit.id), np.zeros(grid.n))
        outflow = sum((flows[f.id] for f in e.flows if f.from_unit == unit.id), np.zeros(grid.n))
        stored = drivers.storage.get(unit.id, np.zeros(grid.n))
        if unit.id in tanks and tanks[unit.id].buffer_of is not None:
            level = drivers.levels[unit.id]
            stored = np.append(np.diff(level) * tanks[unit.id].area * plan.scale, inflow[-1] - outflow[-1])
        residual = inflow - outflow - stored
        assert np.all(np.abs(residual) <= 1e-9 * np.maximum(np.maximum(inflow, outflow), 1.0)), unit.id
    for unit, level in drivers.levels.items():  # levels follow the stored volume
        assert level.min() > 0, unit


def test_cooling_towers_follow_the_gb_balance(config: DemoConfig) -> None:
    plan = plans(config)[0]
    grid = make_grid(config.start, config.days, config.interval)
    drivers, _, _ = physics(plan, grid, make_weather(grid, weather_rng(config.seed)), config.seed)
    for uid, state in drivers.towers.items():
        makeup = state.makeup
        assert np.allclose(makeup, state.evaporation + state.drift + state.blowdown)
        cycles = makeup / (state.blowdown + state.drift)
        target = next(t.cycles for t in plan.template.towers if t.unit == uid)
        assert 0.85 * target < np.median(cycles) < 1.15 * target
        assert 0.005 < np.median(makeup / state.recirc) < 0.03  # make-up ≈ 1–2 % of circulation


# ----------------------------------------------------------------- determinism


def _run(seed: int) -> list[EnterpriseData]:
    config = DemoConfig(enterprises=2, days=3, seed=seed)
    return list(simulate(build_park(config), config))


def test_same_seed_same_data_other_seed_other_data() -> None:
    a, b, c = _run(3), _run(3), _run(4)
    for x, y in zip(a, b, strict=True):
        assert x.enterprise == y.enterprise
        assert json.dumps(x.truth, sort_keys=True) == json.dumps(y.truth, sort_keys=True)
        for s, t in zip(x.series, y.series, strict=True):
            assert np.array_equal(s.ts, t.ts) and np.array_equal(s.value, t.value)
            assert np.array_equal(s.quality, t.quality)
        for s, t in zip(x.aggregates, y.aggregates, strict=True):
            assert np.array_equal(s.value, t.value, equal_nan=True)
    assert json.dumps(a[0].truth["flows"]) != json.dumps(c[0].truth["flows"])
    assert not np.array_equal(a[0].series[0].value, c[0].series[0].value)


def test_simulate_refuses_a_park_of_another_configuration(park: DemoPark) -> None:
    with pytest.raises(ValueError, match="another configuration"):
        next(simulate(park, DemoConfig(enterprises=3, days=12)))


def test_simulate_yields_one_enterprise_at_a_time(park: DemoPark, config: DemoConfig) -> None:
    stream = simulate(park, config)
    assert iter(stream) is stream
    first = next(stream)
    assert first.enterprise.id == park.enterprises[0].id


# ----------------------------------------------------------------- model, records, truth


def test_final_models_are_valid_and_carry_records(
    data: dict[str, EnterpriseData], config: DemoConfig
) -> None:
    for d in data.values():
        e = d.enterprise
        assert enterprise_problems(e) == []
        assert e.production and e.value_added and e.energy
        assert e.production[0].start == config.start and e.production[-1].end == config.end
        assert sum(r.quantity for r in e.production) == pytest.approx(
            d.truth["product"]["production"], rel=1e-6
        )
        assert {u.kind for u in e.units if u.id in {r.water_unit for r in e.energy}} >= {
            UnitKind.COOLING_TOWER
        }
        json.dumps(d.truth)  # JSON-serialisable


def test_truth_describes_the_period(data: dict[str, EnterpriseData], config: DemoConfig) -> None:
    steel = data["steel"].truth
    assert steel["period"]["start"] == "2025-04-19T16:00:00Z"
    assert len(steel["daily"]["dates"]) == config.days
    for fid, total in steel["flows"].items():
        assert sum(steel["daily"]["flows"][fid]) == pytest.approx(total, rel=1e-6, abs=0.05)
    totals = steel["totals"]
    assert totals["total_use"] == pytest.approx(totals["intake"] + totals["reused"], rel=1e-9)
    change = sum(totals["storage_change"].values())
    balance = totals["consumption"] + totals["discharge"] + totals["leakage"] + change
    assert balance == pytest.approx(totals["intake"], rel=1e-6)  # Vi = Vco + Vd + Vl (+ ΔV)


def test_intake_per_product_sits_near_the_national_averages(data: dict[str, EnterpriseData]) -> None:
    ratio = {k: d.truth["product"]["ratio_to_national"] for k, d in data.items()}
    for key in ("steel", "refinery", "beer", "aluminium"):
        assert 0.85 <= ratio[key] <= 1.15, (key, ratio[key])
    assert ratio["dyeing"] > 1.2  # the park's poor performer
    assert ratio["paper"] < 0.8  # the park's best performer
    assert ratio["paper"] < min(ratio.values()) + 1e-12 and ratio["dyeing"] == max(ratio.values())
    for d in data.values():
        assert (
            d.truth["product"]["national_average_2020"]
            == NATIONAL_INTAKE_2020[d.truth["product"]["benchmark"]][0]
        )


def test_reuse_rates_and_value_added_are_plausible(data: dict[str, EnterpriseData]) -> None:
    reuse = {k: d.truth["indicators"]["reuse_rate"] for k, d in data.items()}
    assert reuse["steel"] > 96 and reuse["refinery"] > 96
    assert 80 < reuse["paper"] < 90
    assert 30 < reuse["dyeing"] < 50
    assert 30 < reuse["beer"] < 55
    assert 88 < reuse["aluminium"] < 97
    per_va = {k: d.truth["indicators"]["intake_per_value_added"] for k, d in data.items()}
    assert all(3 < v < 250 for v in per_va.values()), per_va
    intake = sum(d.truth["totals"]["intake"] for d in data.values())
    value = sum(d.truth["value_added"] for d in data.values()) / 1e4
    assert 15 < intake / value < 60  # park overall, national 2020: 32.9 m³/万元


# ----------------------------------------------------------------- meters


def test_measured_intake_is_within_the_accuracy_class(data: dict[str, EnterpriseData]) -> None:
    for d in data.values():
        e = d.enterprise
        sources = {u.id for u in e.units if u.kind is UnitKind.SOURCE}
        flows = {f.id for f in e.flows if f.from_unit in sources}
        meters = [m for m in e.meters if m.flow in flows and m.kind is MeterKind.TOTALIZER]
        assert {m.flow for m in meters} == flows
        measured = sum(float(_agg(d, m.id).value.sum()) for m in meters)
        worst = max(m.accuracy_class or 0.0 for m in meters) / 100.0
        assert measured / d.truth["totals"]["intake"] - 1.0 == pytest.approx(0.0, abs=worst), e.id
        production = d.truth["product"]["production"]
        assert measured / production == pytest.approx(d.truth["product"]["intake_per_product"], rel=worst)


def test_totalizer_aggregates_equal_the_metered_volumes(data: dict[str, EnterpriseData]) -> None:
    checked = 0
    for d in data.values():
        for m in d.enterprise.meters:
            if m.kind is not MeterKind.TOTALIZER:
                continue
            daily = _agg(d, m.id)
            metered = np.array(d.truth["meters"][m.id]["daily_metered"])
            resolution = next(
                METER_TYPES[t].resolution for t in METER_TYPES if METER_TYPES[t].model == m.model
            )
            assert daily.value.size == metered.size
            assert np.all(np.abs(daily.value - metered) <= 2 * resolution + 1e-6 * metered), m.id
            s = _series(d, m.id)
            iv = totalizer_intervals(s.ts, s.value, register_max=m.register_max, resets=_resets(d, m.id))
            assert iv.volume.min() >= 0, m.id
            checked += 1
    assert checked > 80


def _resets(d: EnterpriseData, meter: str) -> list:  # type: ignore[type-arg]
    from shuixiao.series import Reset

    return [
        Reset(e.ts, e.detail["old_register"], e.detail["new_register"])
        for e in d.events
        if e.meter_id == meter and e.kind == "replacement"
    ]


def test_rollover_and_replacement(data: dict[str, EnterpriseData]) -> None:
    steel = data["steel"]
    kinds = {(e.kind, e.meter_id) for e in steel.events}
    assert kinds == {("rollover", "FT-1002"), ("replacement", "FT-3003")}
    rollover = next(e for e in steel.events if e.kind == "rollover")
    meter = steel.enterprise.meter("FT-1002")
    s = _series(steel, "FT-1002")
    assert rollover.detail["register_max"] == meter.register_max
    assert np.any(np.diff(s.value) < 0) and s.value.max() < meter.register_max
    replacement = next(e for e in steel.events if e.kind == "replacement")
    s = _series(steel, "FT-3003")
    after = s.value[s.ts > replacement.ts]
    assert after[0] < 10.0 and replacement.detail["old_register"] > 1000.0
    assert steel.enterprise.meter("FT-3003").device == replacement.detail["new_device"]
    assert (
        steel.enterprise.meter("FT-3003").calibrated
        == dt.datetime.fromtimestamp(replacement.ts, dt.UTC).date()
    )
    start, end = _iso(steel.truth["period"]["start"]), _iso(steel.truth["period"]["end"])
    assert start < rollover.ts < end and start < replacement.ts < end
    assert {e["kind"] for e in steel.truth["events"]} >= {
        "rollover",
        "replacement",
        "leak",
        "drift",
        "stuck",
        "gap",
    }


def test_rollover_happens_in_very_short_runs() -> None:
    config = DemoConfig(enterprises=1, days=1)
    steel = next(simulate(build_park(config), config))
    assert {e.kind for e in steel.events} == {"rollover", "replacement"}


def test_gaps_are_missing_rows(data: dict[str, EnterpriseData], config: DemoConfig) -> None:
    per_day = 86400 // config.interval
    seen = 0
    for d in data.values():
        for event in d.truth["events"]:
            if event["kind"] != "gap":
                continue
            a, b = _iso(event["start"]), _iso(event["end"])
            for meter in event["meters"]:
                s = _series(d, meter)
                assert not np.any((s.ts >= a) & (s.ts < b)), meter
                assert np.any(s.ts < a) and np.any(s.ts >= b)
                assert _agg(d, meter).count.min() < per_day
                seen += 1
    assert seen >= 10


def test_a_leak_shows_between_upstream_and_downstream_meters(data: dict[str, EnterpriseData]) -> None:
    steel = data["steel"]
    leak = next(e for e in steel.truth["events"] if e["kind"] == "leak")
    level = _series(steel, "LT-3401")
    area = next(t.area for t in TEMPLATES[0].tanks)
    inlet = _agg(steel, "FT-2001")

    def imbalance(day: int) -> float:
        out = sum(_agg(steel, m).value[day] for m in ("FT-2002", "FT-2003", "FT-2004", "FT-2005"))
        t0 = inlet.start[day]
        stored = area * (level.value[level.ts == t0 + 86400][0] - level.value[level.ts == t0][0])
        return float(inlet.value[day] - out - stored)

    peak_day = int(np.searchsorted(inlet.start, _iso(leak["peak"]), side="right")) - 1
    extra = leak["peak_rate"] * 24.0
    assert imbalance(peak_day) - imbalance(0) > 0.5 * extra


def test_quality_excursion_stuck_meter_and_drift(data: dict[str, EnterpriseData]) -> None:
    steel = data["steel"]
    event = next(e for e in steel.truth["events"] if e["kind"] == "quality_excursion")
    ph = _series(steel, "AT-3201")
    a, b = _iso(event["out_of_range_start"]), _iso(event["out_of_range_end"])
    inside = ph.value[(ph.ts >= a) & (ph.ts < b)]
    assert event["out_of_range_hours"] >= 4 and np.median(inside) > event["limit"]
    good = ph.quality == Quality.GOOD
    assert np.all(ph.value[good & (ph.ts < _iso(event["failure"]))] < 9.0)
    stuck = next(e for e in steel.truth["events"] if e["kind"] == "stuck")
    s = _series(steel, stuck["meter"])
    frozen = s.value[(s.ts >= _iso(stuck["start"])) & (s.ts < _iso(stuck["end"]))]
    assert frozen.size > 10 and np.all(frozen == stuck["value"])
    drift = next(e for e in steel.truth["events"] if e["kind"] == "drift")
    metered = np.array(steel.truth["meters"][drift["meter"]]["daily_metered"])
    flow = steel.enterprise.meter(drift["meter"]).flow
    true = np.array(steel.truth["daily"]["flows"][flow])
    assert (metered[-1] / true[-1]) / (metered[0] / true[0]) - 1 > 0.75 * drift["error"]


def test_analysers_report_their_weekly_check_as_bad(data: dict[str, EnterpriseData]) -> None:
    steel = data["steel"]
    s = _series(steel, "AT-3202")
    bad = s.quality == Quality.BAD
    assert bad.any() and np.all(s.value[bad] == 1413.0)
    daily = _agg(steel, "AT-3202")
    assert daily.value.max() < 1413.0 * 2 and daily.quality.max() < Quality.BAD


def test_rate_meters_read_the_flow_in_their_own_unit(data: dict[str, EnterpriseData]) -> None:
    al = data["aluminium"]
    meter = al.enterprise.meter("FI-3101")
    assert meter.unit == "L/s"
    s = _series(al, meter.id)
    true = np.array(al.truth["daily"]["flows"][meter.flow]) / 24.0  # m³/h
    daily = _agg(al, meter.id)  # canonical m³/h
    assert np.allclose(daily.value, true, rtol=0.01 + meter.accuracy_class / 100.0)
    assert np.allclose(to_canonical(s.value, "L/s", "flow_rate").mean(), true.mean(), rtol=0.02)


def test_every_meter_has_every_resolution(data: dict[str, EnterpriseData], config: DemoConfig) -> None:
    steel = data["steel"]
    expected = resolutions(config.interval)
    assert expected == ["PT15M", "PT1H", "P1D", "P1M"]
    for m in steel.enterprise.meters:
        got = [a.resolution for a in steel.aggregates if a.meter_id == m.id]
        assert got == expected
    months = _agg(steel, "FT-1001", "P1M")
    assert [
        dt.datetime.fromtimestamp(int(t), dt.timezone(dt.timedelta(hours=8))).day for t in months.start
    ] == [
        1,
        1,
    ]
    daily = _agg(steel, "FT-1001")
    assert np.all((daily.start + 8 * 3600) % 86400 == 0)  # local midnight


@pytest.mark.slow
def test_default_year_is_fast_and_calibrated() -> None:
    config = DemoConfig()
    park = build_park(config)
    started = time.perf_counter()
    truths = []
    readings = 0
    for d in simulate(park, config):
        truths.append(d.truth)
        readings += sum(s.ts.size for s in d.series)
    elapsed = time.perf_counter() - started
    assert elapsed < 20.0
    assert readings > 5_000_000
    for truth, template in zip(truths, TEMPLATES, strict=True):
        ratio = truth["product"]["ratio_to_national"]
        assert ratio == pytest.approx(template.expected_ratio, abs=0.08), template.key
        events = {e["kind"] for e in truth["events"]}
        assert "gap" in events
    assert {e["kind"] for e in truths[0]["events"]} >= {
        "rollover",
        "replacement",
        "quality_excursion",
        "leak",
    }
