"""KPIs against quotas and targets, and the water balance as an acyclic Sankey, from the assessment."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shuixiao.assess import assess_enterprise
from shuixiao.service._cache import TimedCache
from shuixiao.service.web._assess import add_assessment, best_tier, kpis_of
from shuixiao.service.web._config import defaults
from shuixiao.service.web._enterprise import enterprise_view
from shuixiao.service.web._i18n import Translator
from shuixiao.service.web._sankey import sankey_views
from shuixiao.storage import Store

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def march(demo_url: str) -> object:
    zone = ZoneInfo("Asia/Shanghai")
    with Store.open(demo_url) as store:
        return assess_enterprise(
            store,
            "jinlan-dyeing",
            dt.datetime(2025, 3, 10, tzinfo=zone),
            dt.datetime(2025, 4, 1, tzinfo=zone),
        )


def test_kpis(march: object) -> None:
    t = Translator("zh")
    kpis = {k.key: k for k in kpis_of(march, t)}  # type: ignore[arg-type]
    assert {
        "intake",
        "reuse_rate",
        "intake_per_value_added",
        "discharge_rate",
        "leakage_rate",
        "tier",
    } <= set(kpis)
    product = next(k for k in kpis if k.startswith("intake_per_product:"))
    # The dyeing plant is the park's worst: above its 2025 target, flagged bad.
    assert kpis[product].status == "bad"
    assert "2025 年目标" in (kpis[product].reference or "")
    assert kpis[product].unit == "m³/100m"
    reuse = kpis["reuse_rate"]
    assert 30 < float(reuse.value) < 50
    assert reuse.reference == "节水型企业要求 ≥ 45 %" and reuse.status == "bad"
    assert kpis["intake"].note in {"实测", "平衡推算", "估算"}
    assert kpis["tier"].value == "未达到节水型企业"
    assert best_tier(march)[0] == "none"  # type: ignore[arg-type]
    english = {k.key: k for k in kpis_of(march, Translator("en"))}  # type: ignore[arg-type]
    assert english["reuse_rate"].reference == "water-saving enterprise: ≥ 45 %"
    assert kpis["intake_per_value_added"].unit == "m³/万元"
    assert english["intake_per_value_added"].unit == "m³/10⁴ CNY"


def _acyclic(view: dict[str, Any]) -> bool:
    successors: dict[str, list[str]] = {}
    for link in view["links"]:
        successors.setdefault(link["source"], []).append(link["target"])
    state: dict[str, int] = {}

    def visit(node: str) -> bool:
        state[node] = 1
        for nxt in successors.get(node, []):
            if state.get(nxt) == 1 or (nxt not in state and not visit(nxt)):
                return False
        state[node] = 2
        return True

    return all(visit(n["id"]) for n in view["nodes"] if n["id"] not in state)


def test_sankey_views_are_acyclic_and_complete(march: Any) -> None:
    sankey = march.sankey()
    data = sankey_views(sankey, march.enterprise, Translator("zh"))
    views = {v["key"]: v for v in data["views"]}
    assert list(views) == ["units", "equipment", "loops"]
    known = [link for link in sankey.links if math.isfinite(link.value) and link.value > 0]
    assert data["missing"] == sum(1 for link in sankey.links if not math.isfinite(link.value))
    for view in views.values():
        assert _acyclic(view), view["key"]  # ECharts draws only acyclic diagrams
        ids = {n["id"] for n in view["nodes"]}
        assert all(link["source"] in ids and link["target"] in ids for link in view["links"])
        assert all(
            link["value"] > 0 and link["status"] in ("measured", "inferred", "estimated")
            for link in view["links"]
        )
    # With every flow drawn, the volumes are all there (each link once, returns included).
    assert sum(link["value"] for link in views["loops"]["links"]) == pytest.approx(
        sum(link.value for link in known), rel=1e-6
    )
    assert len(views["loops"]["links"]) == len(known)
    recirculated = sum(link.value for link in known if link.category == "recirculated")
    assert sum(link["value"] for link in views["equipment"]["links"]) == pytest.approx(
        sum(link.value for link in known) - recirculated, rel=1e-6
    )
    # The sub-unit view merges equipment into its level-2 unit: fewer nodes, no level-3 unit left.
    level3 = {u.id for u in march.enterprise.units if u.level == 3 and u.parent}
    assert len(views["units"]["nodes"]) < len(views["equipment"]["nodes"])
    assert not ({n["id"].removesuffix("#return") for n in views["units"]["nodes"]} & level3)
    assert any(
        n["id"].endswith("#return") and n["label"].endswith("（回流）") for n in views["loops"]["nodes"]
    )
    assert len({link["status"] for link in views["loops"]["links"]}) >= 2


def test_add_assessment_fills_the_view(demo_store: Store, zone: ZoneInfo) -> None:
    t = Translator("en")
    steel = demo_store.load_enterprise("ronghu-steel")
    view = enterprise_view(demo_store, steel, None, t, zone, defaults(), str)
    cache = TimedCache[object](60, 4)
    add_assessment(view, demo_store, "Asia/Shanghai", t, cache)  # type: ignore[arg-type]
    assert view.kpis and view.sankey is not None
    assert view.assessment_note is not None and "2025-04-01 to 2025-04-18" in view.assessment_note
    assert view.month is not None
    direct = assess_enterprise(demo_store, "ronghu-steel", view.month.since, view.month.until)
    assert view.findings == [f.text_en for f in direct.findings] and view.findings
    assert "sankey" in view.charts
    again = enterprise_view(demo_store, steel, None, t, zone, defaults(), str)
    add_assessment(again, demo_store, "Asia/Shanghai", t, cache)  # type: ignore[arg-type]
    assert again.kpis == view.kpis


def test_nothing_to_assess_without_data(demo_store: Store, zone: ZoneInfo) -> None:
    t = Translator("zh")
    steel = demo_store.load_enterprise("ronghu-steel")
    view = enterprise_view(demo_store, steel, None, t, zone, defaults(), str)
    view.month = None
    add_assessment(view, demo_store, "Asia/Shanghai", t, None)
    assert view.kpis == [] and view.sankey is None
