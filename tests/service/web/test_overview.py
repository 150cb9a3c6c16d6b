"""The park and region dashboards' view models, from the park and region assessments."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import pytest

from shuixiao.assess import assess_park, assess_region
from shuixiao.service.web._i18n import Translator
from shuixiao.service.web._overview import data_span, park_view, region_view
from shuixiao.storage import Store

pytestmark = pytest.mark.integration

MEMBERS = ["jinlan-dyeing", "ronghu-steel", "yungang-refinery"]


def test_park_view(demo_store: Store, zone: ZoneInfo) -> None:
    start, end = dt.datetime(2025, 3, 10, tzinfo=zone), dt.datetime(2025, 4, 1, tzinfo=zone)
    assessment = assess_park(demo_store, "dongting-park", start, end, zone=zone)
    visible = {"ronghu-steel"}
    view = park_view(
        assessment, Translator("zh"), zone, lambda e: f"/enterprises/{e}" if e in visible else None, "岳阳市"
    )
    assert view.period == "2025-03-10 – 2025-03-31"
    assert [r.id for r in view.rows][0] == "jinlan-dyeing" and view.rows[0].worst
    assert "全国 2020 年均值" in view.rows[0].why
    ratios = [r.ratio_value for r in view.rows if math.isfinite(r.ratio_value)]
    assert ratios == sorted(ratios, reverse=True)
    assert {r.id: r.href for r in view.rows} == {
        "jinlan-dyeing": None,
        "ronghu-steel": "/enterprises/ronghu-steel",
        "yungang-refinery": None,
    }
    assert [k.key for k in view.kpis][:3] == ["intake", "reuse_rate", "intake_per_value_added"]
    assert view.exchanges and {x["direction"] for x in view.exchanges} <= {"取用", "外供"}
    bars = view.charts["bars"]
    assert bars["categories"][0] == "岳阳锦澜印染有限公司" and bars["reference"] == 1.0
    sankey = view.charts["sankey"]
    ids = {n["id"] for n in sankey["nodes"]}
    assert set(MEMBERS) <= ids and "__fresh__" in ids
    assert all(
        link["source"] in ids and link["target"] in ids and link["value"] > 0 for link in sankey["links"]
    )
    # What enters each enterprise in the diagram is its intake (conventional + the park's supplies).
    for a in assessment.enterprises:
        entering = sum(link["value"] for link in sankey["links"] if link["target"] == a.enterprise.id)
        assert entering == pytest.approx(a.indicators["intake"].value, rel=1e-3)


def test_region_view(demo_store: Store, zone: ZoneInfo) -> None:
    start, end = dt.datetime(2025, 3, 10, tzinfo=zone), dt.datetime(2025, 4, 19, tzinfo=zone)
    progress = assess_region(demo_store, "hunan", 2025, zone=zone, period=(start, end))
    view = region_view(progress, [2025], Translator("en"), zone, lambda e: f"/enterprises/{e}")
    assert view.name == "Hunan Province" and view.year == 2025
    assert view.rows[0].id == "jinlan-dyeing" and view.rows[0].worst
    assert {r.status for r in view.targets} <= {"met", "on_track", "behind", "unknown"}
    assert any(r.scope == "national" for r in view.targets)
    assert any(r.scope == "provincial · Hunan Province" for r in view.targets)
    assert view.products and all(r.href and r.href.startswith("/enterprises/") for r in view.products)
    steel = [r for r in view.products if r.href == "/enterprises/ronghu-steel"]
    assert steel and steel[0].label == "Yueyang Ronghu Iron & Steel Co., Ltd. · Crude steel"
    assert steel[0].unit == "m³/t"
    assert all(r.unit != "1" for r in view.targets)
    for row in view.targets:
        assert row.progress is None or 0 <= row.progress <= 100


def test_data_span(demo_store: Store) -> None:
    span = data_span(demo_store, MEMBERS)
    assert span is not None
    assert span[0] == dt.datetime(2025, 3, 9, 16, tzinfo=dt.UTC)
    assert span[1] == dt.datetime(2025, 4, 18, 16, tzinfo=dt.UTC)
    assert data_span(demo_store, []) is None
