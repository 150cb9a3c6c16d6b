"""The engines against the demo park's ground truth.

Period volumes come from the simulated meters exactly as a platform would see them: the
'P1D' aggregates of every totalizer summed, and every rate meter's daily mean × 24 h.  Reuse
flows the meters and balances leave undetermined are estimated from their design rates (as a
water-balance test estimates circulation from pump ratings), one at a time until the reuse rate
is determined.  The storage changes of the two tanks whose level the demo measures are taken
from the truth, as the level meter and the tank's area would give them (the model carries no
tank geometry).

"Within the meter error the simulator used": each given volume may be off by at most half its
accuracy class (the simulator's fixed bias is drawn within ±½ class) or, for the meters with an
injected drift and for design estimates, by their actual error; a computed total may be off by
Σ |∂total/∂input| · that allowance.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pytest

from shuixiao.balance import (
    Measurement,
    Provenance,
    WaterBalance,
    estimate_from_design,
    indicators,
    period_production,
    period_value_added,
    reconcile,
    water_balance,
)
from shuixiao.demo import DemoConfig, EnterpriseData, build_park, simulate
from shuixiao.model import FlowCategory, MeterKind

pytestmark = pytest.mark.integration

CONFIG = DemoConfig(enterprises=6, days=14)
HOURS = CONFIG.days * 24.0
REUSE_ORDER = [
    FlowCategory.RECIRCULATED,
    FlowCategory.CONDENSATE,
    FlowCategory.RECLAIMED,
    FlowCategory.CASCADED,
]
RESOLUTION = 0.1  # coarsest register resolution of the demo's totalizers [m³]


@pytest.fixture(scope="module")
def demo() -> dict[str, EnterpriseData]:
    park = build_park(CONFIG)
    return {d.enterprise.id: d for d in simulate(park, CONFIG)}


def meter_measurements(d: EnterpriseData) -> list[Measurement]:
    daily = {a.meter_id: a for a in d.aggregates if a.resolution == "P1D"}
    result = []
    for m in d.enterprise.meters:
        if m.flow is None or m.kind not in (MeterKind.TOTALIZER, MeterKind.RATE):
            continue
        agg = daily[m.id]
        volume = (
            float(agg.value.sum()) if m.kind is MeterKind.TOTALIZER else float(np.nansum(agg.value) * 24.0)
        )
        result.append(Measurement(m.flow, volume, accuracy_class=m.accuracy_class, meter=m.id))
    return result


def balanced(d: EnterpriseData) -> tuple[WaterBalance, list[Measurement]]:
    """Balance on the meters, with design estimates added until the reuse rate is determined."""
    e = d.enterprise
    given = meter_measurements(d)
    storage = d.truth["totals"]["storage_change"]
    b = water_balance(e, given, storage=storage)
    while (missing := indicators(b)["reuse_rate"].inputs.get(Provenance.MISSING)) is not None:
        order = {c: i for i, c in enumerate(REUSE_ORDER)}
        candidates = [f for f in missing if e.flow(f).category in order]
        candidates.sort(key=lambda f: order[e.flow(f).category])
        given += estimate_from_design(e, HOURS, candidates[:1])
        b = water_balance(e, given, storage=storage)
    return b, given


def allowance(d: EnterpriseData, given: list[Measurement]) -> dict[str, float]:
    """Largest error each given volume may have under the simulator's error model. [m³]"""
    truth = d.truth["flows"]
    drifting = {ev["meter"] for ev in d.truth["events"] if ev["kind"] == "drift"}
    result = {}
    for m in given:
        error = abs(m.value - truth[m.flow])
        if m.provenance is Provenance.ESTIMATED or m.meter in drifting:
            result[m.flow] = error
        else:
            assert m.accuracy_class is not None
            result[m.flow] = 0.5 * m.accuracy_class / 100.0 * truth[m.flow] * 1.02 + RESOLUTION
    return result


def bounds(b: WaterBalance, flows: list[str], allowed: dict[str, float]) -> tuple[float, float]:
    """Computed total and the largest error the inputs' allowances permit. [m³]"""
    total = b.total(flows).value
    return total, sum(abs(g) * allowed[f] for f, g in b.sensitivity(flows).items()) + 1e-6 * abs(total)


@pytest.mark.parametrize("index", range(6))
def test_meters_err_within_their_class_except_injected_drifts(
    demo: dict[str, EnterpriseData], index: int
) -> None:
    d = list(demo.values())[index]
    truth = d.truth["flows"]
    beyond = {
        m.meter
        for m in meter_measurements(d)
        if m.accuracy_class is not None
        and abs(m.value - truth[m.flow]) > 0.5 * m.accuracy_class / 100 * truth[m.flow] * 1.02 + RESOLUTION
    }
    assert beyond <= {ev["meter"] for ev in d.truth["events"] if ev["kind"] == "drift"}


@pytest.mark.parametrize("index", range(6))
def test_intake_per_product_reuse_and_leakage_agree_with_truth(
    demo: dict[str, EnterpriseData], index: int
) -> None:
    d = list(demo.values())[index]
    e, truth = d.enterprise, d.truth
    b, given = balanced(d)
    allowed = allowance(d, given)
    start, end = CONFIG.start, CONFIG.start + dt.timedelta(days=CONFIG.days)
    ind = indicators(
        b,
        production=period_production(e, start, end),
        value_added=period_value_added(e, start, end),
        period_days=CONFIG.days,
    )
    # intake per product: level-1 meters only
    product = e.products[0].id
    per_product = ind.intake_per_product[product]
    assert per_product.provenance is Provenance.MEASURED
    intake_flows = list(ind["intake"].inputs[Provenance.MEASURED])
    vi, vi_err = bounds(b, intake_flows, allowed)
    production = truth["product"]["production"]
    assert per_product.value == pytest.approx(vi / production)
    assert abs(per_product.value - truth["indicators"]["intake_per_product"]) <= vi_err / production + 1e-4
    # reuse rate: bounds of Vr and Vi
    reused_flows = [f for flows in ind["reused"].inputs.values() for f in flows]
    vr, vr_err = bounds(b, reused_flows, allowed)
    low = (vr - vr_err) / (vr - vr_err + vi + vi_err) * 100
    high = (vr + vr_err) / (vr + vr_err + vi - vi_err) * 100
    assert ind["reuse_rate"].value == pytest.approx(vr / (vr + vi) * 100)
    assert low - 1e-3 <= truth["indicators"]["reuse_rate"] <= high + 1e-3
    # leakage: where the meters determine it
    leak_flows = [f.id for f in e.flows if f.category is FlowCategory.LEAKAGE]
    leak = ind["leakage"]
    if leak.provenance is Provenance.MISSING:
        assert math.isnan(leak.value)
        assert set(leak.inputs[Provenance.MISSING]) <= set(leak_flows)
        # the leak is lumped with other unmetered outflows of its unit: that sum is determined
        unit = e.flow(leak.inputs[Provenance.MISSING][0]).from_unit
        lumped = [f for f in b.undetermined if e.flow(f).from_unit == unit]
        total, err = bounds(b, lumped, allowed)
        assert abs(total - sum(truth["flows"][f] for f in lumped)) <= err
    else:
        vl, vl_err = bounds(b, leak_flows, allowed)
        assert abs(vl - truth["totals"]["leakage"]) <= vl_err


@pytest.mark.parametrize("index", range(6))
def test_every_enterprise_closes_within_tolerance(demo: dict[str, EnterpriseData], index: int) -> None:
    d = list(demo.values())[index]
    b, _ = balanced(d)
    assert b.level_check.within_tolerance is True
    assert b.level1.within_tolerance is True
    checked = [
        u for u in b.units.values() if u.closure_provenance in (Provenance.MEASURED, Provenance.ESTIMATED)
    ]
    assert checked, "every demo plant has units metered on all sides"
    assert all(u.within_tolerance for u in checked), [(u.unit, u.closure) for u in checked]


def test_reconciliation_names_an_injected_biased_meter(demo: dict[str, EnterpriseData]) -> None:
    d = demo["yungang-refinery"]
    storage = d.truth["totals"]["storage_change"]
    clean = reconcile(d.enterprise, meter_measurements(d), storage=storage)
    assert clean.initial_test.passed and clean.suspect is None
    # RO permeate to cooling station 1 (FT-3011) sits between two metered balances: it alone can be named
    biased = [
        dataclasses.replace(m, value=m.value * 1.08) if m.meter == "FT-3011" else m
        for m in meter_measurements(d)
    ]
    rec = reconcile(d.enterprise, biased, storage=storage)
    assert not rec.initial_test.passed
    assert rec.suspect == "FT-3011"
    assert rec.global_test.passed


def test_reconciliation_names_the_equivalent_set(demo: dict[str, EnterpriseData]) -> None:
    # the steelworks' supply meter FT-2003 and its three branch meters form one balance: a bias on
    # any of them is found, but no test can say which of the four it is
    d = demo["ronghu-steel"]
    storage = d.truth["totals"]["storage_change"]
    biased = [
        dataclasses.replace(m, value=m.value * 1.05) if m.meter == "FT-2003" else m
        for m in meter_measurements(d)
    ]
    rec = reconcile(d.enterprise, biased, storage=storage)
    assert rec.suspect is None
    assert set(rec.suspects[0]) == {"FT-2003", "FT-3005", "FT-3006", "FT-3007"}
