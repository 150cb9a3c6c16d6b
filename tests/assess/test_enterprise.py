"""Enterprise assessments from the stored demo park, checked against the simulator's ground truth.

"Within the meter error the simulator used": each meter's fixed bias lies within ±½ its accuracy
class (``docs/demo-park.md``), so a measured volume may be off by ½·class·V (plus the register
resolution); a flow the meters drift on, or a design estimate, by its actual error.  A computed
total may be off by Σ |∂total/∂input| · that allowance (the balance's sensitivities).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pytest

from shuixiao.assess import EnterpriseAssessment, assess_enterprise, local_period
from shuixiao.assess.enterprise import provincial_table, region_chain
from shuixiao.balance import Grade, Provenance
from shuixiao.errors import InvalidInputError
from shuixiao.storage import Store
from tests.assess.conftest import DEMO

pytestmark = pytest.mark.integration

IDS = ["ronghu-steel", "yungang-refinery", "jinlan-dyeing", "bihu-paper", "dongquan-beer", "yinhu-aluminium"]
RESOLUTION = 0.1  # coarsest register resolution of the demo's totalizers [m³]
VARIANTS = {"crude_steel": "no_coking_no_cold_rolling"}


def period() -> tuple[dt.datetime, dt.datetime]:
    """The demo's days: from local midnight of its start, DEMO.days long."""
    start, _ = local_period(2025, 1)
    return start, start + dt.timedelta(days=DEMO.days)


@pytest.fixture(scope="module")
def assessed(demo: tuple[Store, dict[str, Any], Path]) -> dict[str, EnterpriseAssessment]:
    store, _, _ = demo
    start, end = period()
    return {e: assess_enterprise(store, e, start, end, variants=VARIANTS) for e in IDS}


def allowance(a: EnterpriseAssessment, truth: dict[str, Any]) -> dict[str, float]:
    """Largest error each balance input may have under the simulator's error model. [m³]"""
    flows = truth["flows"]
    drifting = {ev["meter"] for ev in truth["events"] if ev["kind"] == "drift"}
    classes = {m.id: m.accuracy_class for m in a.enterprise.meters}
    result: dict[str, float] = {}
    for v in a.volumes.meters.values():
        if v.provenance is Provenance.MISSING:
            continue
        cls = classes[v.meter]
        bound = (
            abs(v.value - flows[v.flow])
            if v.meter in drifting or cls is None
            else 0.5 * cls / 100 * flows[v.flow] * 1.02 + RESOLUTION
        )
        result[v.flow] = max(result.get(v.flow, 0.0), bound)
    for f in a.estimated_flows:
        result[f] = abs(a.balance.flows[f].value - flows[f])
    return result


def bounds(a: EnterpriseAssessment, flows: list[str], allowed: dict[str, float]) -> tuple[float, float]:
    total = a.balance.total(flows).value
    return total, sum(abs(g) * allowed[f] for f, g in a.balance.sensitivity(flows).items()) + 1e-6 * abs(
        total
    )


@pytest.mark.parametrize("eid", IDS)
def test_intake_per_product_agrees_with_truth_within_meter_error(
    assessed: dict[str, EnterpriseAssessment], demo: tuple[Store, dict[str, Any], Path], eid: str
) -> None:
    a, truth = assessed[eid], demo[1]["enterprises"][eid]
    product = a.enterprise.products[0].id
    per_product = a.indicators.intake_per_product[product]
    assert per_product.provenance is Provenance.MEASURED
    intake_flows = [f for flows in a.indicators["intake"].inputs.values() for f in flows]
    vi, err = bounds(a, intake_flows, allowance(a, truth))
    production = truth["product"]["production"]
    assert a.production[product] == pytest.approx(production, rel=1e-9)
    assert per_product.value == pytest.approx(vi / production)
    assert abs(per_product.value - truth["indicators"]["intake_per_product"]) <= err / production + 1e-4
    national = a.benchmark(truth["product"]["benchmark"])
    assert national is not None
    assert national.baseline_2020 == truth["product"]["national_average_2020"]


@pytest.mark.parametrize("eid", IDS)
def test_reuse_rate_and_leakage_agree_with_truth(
    assessed: dict[str, EnterpriseAssessment], demo: tuple[Store, dict[str, Any], Path], eid: str
) -> None:
    a, truth = assessed[eid], demo[1]["enterprises"][eid]
    allowed = allowance(a, truth)
    ind = a.indicators
    vi, vi_err = bounds(a, [f for fs in ind["intake"].inputs.values() for f in fs], allowed)
    vr, vr_err = bounds(a, [f for fs in ind["reused"].inputs.values() for f in fs], allowed)
    low = (vr - vr_err) / (vr - vr_err + vi + vi_err) * 100
    high = (vr + vr_err) / (vr + vr_err + vi - vi_err) * 100
    assert ind["reuse_rate"].value == pytest.approx(vr / (vr + vi) * 100)
    assert low - 1e-3 <= truth["indicators"]["reuse_rate"] <= high + 1e-3
    expected = Provenance.ESTIMATED if a.estimated_flows else ind["reuse_rate"].provenance
    assert ind["reuse_rate"].provenance is expected
    leak = ind["leakage"]
    leak_flows = [f.id for f in a.enterprise.flows if f.category.value == "leakage"]
    if leak.provenance is Provenance.MISSING:
        assert math.isnan(leak.value)
    else:
        vl, vl_err = bounds(a, leak_flows, allowed)
        assert abs(vl - truth["totals"]["leakage"]) <= vl_err


@pytest.mark.parametrize("eid", IDS)
def test_balances_close_and_the_json_is_strict(assessed: dict[str, EnterpriseAssessment], eid: str) -> None:
    a = assessed[eid]
    assert a.balance.level1.within_tolerance is True
    assert a.balance.level_check.within_tolerance is True
    assert a.reconciliation is not None and a.reconciliation.initial_test.passed
    data = a.to_dict()
    text = json.dumps(data, allow_nan=False, ensure_ascii=False)  # NaN would be invalid JSON
    assert json.loads(text)["enterprise"]["id"] == eid
    assert data["period"]["days"] == DEMO.days
    assert set(data["tiers"]) == {"water_saving", "benchmark", "leader"}


def test_sankey_has_one_link_per_flow_with_its_status(assessed: dict[str, EnterpriseAssessment]) -> None:
    a = assessed["ronghu-steel"]
    s = a.sankey()
    assert len(s.links) == len(a.enterprise.flows)
    ids = {n.id for n in s.nodes}
    assert {link.source for link in s.links} | {link.target for link in s.links} <= ids
    assert {"__consumption__", "__leakage__"} <= ids
    by_flow = {link.flow: link for link in s.links}
    for f, v in a.balance.flows.items():
        assert by_flow[f].status == v.provenance.value
    assert {link.status for link in s.links} >= {"measured", "inferred", "estimated"}
    sources = [n for n in s.nodes if n.kind == "source"]
    assert all(n.column == 0 for n in sources)
    assert max(n.column for n in s.nodes) == next(n.column for n in s.nodes if n.id == "__consumption__")


def test_benchmarks_against_national_and_hunan_tables(assessed: dict[str, EnterpriseAssessment]) -> None:
    a = assessed["ronghu-steel"]
    assert provincial_table(a.regions) == "430000"
    national, hunan = a.benchmark("crude_steel"), a.benchmark("crude_steel", "430000")
    assert national is not None and hunan is not None
    assert national.grade is Grade.GENERAL  # 2.1 < value ≤ 3.6 (GB/T 18916.2, variant given)
    assert national.expected_2025 == pytest.approx(2.25) and hunan.expected_2025 == pytest.approx(3.15)
    quota_findings = [f for f in a.findings if f.code == "quota"]
    assert quota_findings and quota_findings[0].potential is not None and quota_findings[0].potential > 0


def test_the_steel_variant_is_read_from_the_model_and_a_wrong_one_is_refused(
    demo: tuple[Store, dict[str, Any], Path],
) -> None:
    # the demo steel works has no coking plant and no cold-rolling mill (docs/demo-park.md): its
    # units say so, and GB/T 18916.2's "no coking, no cold rolling" column applies (3.6 / 2.1 m³/t)
    store, _, _ = demo
    a = assess_enterprise(store, "ronghu-steel", *period())
    b = a.benchmark("crude_steel")
    assert b is not None and b.variant == "no_coking_no_cold_rolling" and b.grade is Grade.GENERAL
    assert "from the model" in (b.note or "") and "no coking unit" in (b.note or "")
    with pytest.raises(InvalidInputError, match="coking_cold_rolling, coking_no_cold_rolling"):
        assess_enterprise(store, "ronghu-steel", *period(), variants={"crude_steel": "electric"})
    with pytest.raises(
        InvalidInputError, match="products whose quotas have variants: coal_power, crude_steel"
    ):
        assess_enterprise(store, "ronghu-steel", *period(), variants={"beer": "lager"})


def test_gaps_in_the_demo_keep_totalizers_measured(assessed: dict[str, EnterpriseAssessment]) -> None:
    gapped = [
        v
        for a in assessed.values()
        for v in a.volumes.meters.values()
        if v.coverage < 1.0 and v.kind.value == "totalizer"
    ]
    assert gapped, "the demo injects communication gaps"
    assert all(
        v.volume_coverage == pytest.approx(1.0) and v.provenance is Provenance.MEASURED for v in gapped
    )


def test_region_chain(demo: tuple[Store, dict[str, Any], Path]) -> None:
    store, _, _ = demo
    chain = region_chain(store.list_regions(), store.load_enterprise("ronghu-steel").region)
    assert [r.admin_code for r in chain] == ["430600", "430000"]


@pytest.mark.slow
def test_a_year_of_the_demo_reproduces_the_stated_ratios(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The demo's stated intake per product over the 2020 national average (docs/demo-park.md)."""
    from shuixiao.demo import DemoConfig
    from shuixiao.demo.build import build_demo

    directory = tmp_path_factory.mktemp("year")
    with Store.open(f"sqlite:///{directory}/db.sqlite") as store:
        store.upgrade()
        build_demo(store, DemoConfig(), directory)
        truth = json.loads((directory / "truth.json").read_text(encoding="utf-8"))
        stated = {
            "ronghu-steel": 1.01, "yungang-refinery": 1.05, "jinlan-dyeing": 1.28,
            "bihu-paper": 0.69, "dongquan-beer": 0.99, "yinhu-aluminium": 0.96,
        }  # fmt: skip
        for eid, ratio in stated.items():
            a = assess_enterprise(store, eid, *local_period(2025), variants=VARIANTS)
            t = truth["enterprises"][eid]
            b = a.benchmark(t["product"]["benchmark"])
            assert b is not None
            intake_flows = [f for fs in a.indicators["intake"].inputs.values() for f in fs]
            _, err = bounds(a, intake_flows, allowance(a, t))
            slack = err / t["product"]["production"] / b.baseline_2020
            assert abs(b.ratio_to_baseline - ratio) <= 0.005 + slack, (eid, b.ratio_to_baseline)
            assert (
                abs(b.value - t["indicators"]["intake_per_product"])
                <= err / t["product"]["production"] + 1e-4
            )
