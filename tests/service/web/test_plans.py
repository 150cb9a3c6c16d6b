"""The planned-water-use panel (计划用水) of the enterprise dashboard and its form.

Worked example (issue 3 item 8, docs/water-plans.md): plan 31 000 m³ for March 2025 (31 days),
800 m³ a day → after 10 days 8 000 m³ against 31 000 × 10/31 = 10 000 m³ pro rata: 80 %, the
warning level of the ``water_plan`` rule.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from fastapi.testclient import TestClient

from shuixiao.alarms import RuleOverride
from shuixiao.model import Enterprise, Meter, MeterKind, Park, Region, SourceType
from shuixiao.service.web._i18n import Translator
from shuixiao.service.web._plans import PLAN_STATES, plan_panel
from shuixiao.service.web._texts import TEXTS
from shuixiao.storage import AccountStore, AlarmStore, Store
from shuixiao.storage.plans import PlanInput, PlanStore

pytestmark = pytest.mark.integration

SHARES = {"FT-101": 0.625, "FT-104": 0.125, "FT-102": 0.125, "FT-103": 0.125}
"""Share of the daily intake on each intake meter of the steel works (FT-103 reports m³/h)."""


def _write_days(store: Store, zone: ZoneInfo, days: range, volume: float) -> None:
    keys = store.meter_keys("xg-steel")
    starts = np.array([int(dt.datetime(2025, 3, d, tzinfo=zone).timestamp()) for d in days], dtype=np.int64)
    n = len(starts)
    for meter, share in SHARES.items():
        value = share * volume / 24.0 if meter == "FT-103" else share * volume
        v = np.full(n, value)
        store.write_aggregates(
            keys[meter], "P1D", starts, v, v, v, np.full(n, 96), np.zeros(n, dtype=np.int8)
        )


@pytest.fixture
def works(
    store: Store, regions: list[Region], parks: list[Park], make_enterprise: Callable[..., Enterprise]
) -> Enterprise:
    base = make_enterprise()
    soft = Meter("FT-104", MeterKind.TOTALIZER, "volume", "m³", 1, flow="f-river-soft")
    model = dataclasses.replace(base, meters=(*base.meters, soft), production=())
    store.save_model(regions, parks, [model])
    PlanStore(store).set_plans(
        [
            PlanInput("xg-steel", "2025-03", 31_000, authority="湘潭市水利局", document="潭水资〔2025〕3号"),
            PlanInput("xg-steel", "2025-03", 3_100, SourceType.MUNICIPAL),
            PlanInput("xg-steel", "2025-04", 30_000),
        ],
        by="wang",
    )
    return model


def test_the_panel_judges_as_the_rule_does(store: Store, works: Enterprise, zone: ZoneInfo) -> None:
    _write_days(store, zone, range(1, 11), 800.0)
    after_day_10 = dt.datetime(2025, 3, 11, 0, 10, tzinfo=zone)
    panel = plan_panel(store, works, dt.date(2025, 3, 1), after_day_10, zone, Translator("zh"), True)
    assert (panel.month, panel.year, panel.warning, panel.critical) == ("2025-03", 2025, 0.8, 1.0)
    total, municipal = panel.current
    assert (total.scope, total.plan, total.intake, total.pace, total.days) == (
        "全部水源",
        "31,000",
        "8,000",
        "10,000",
        "10/10",
    )
    assert (total.percent, total.state, total.status) == ("80%", "warning", "warn")
    assert total.document == "湘潭市水利局 潭水资〔2025〕3号"
    assert (municipal.scope, municipal.percent, municipal.state, municipal.status) == (
        "自来水",
        "100%",
        "critical",
        "bad",
    )
    april = panel.year_rows[2]
    assert (april.month, april.days, april.intake, april.state, april.ratio) == (
        "2025-04",
        "0/0",
        "–",
        "not_judged",
        None,
    )
    assert panel.gauge_max == pytest.approx(1.0) and panel.form_action == "/enterprises/xg-steel/plans"
    assert [o.value for o in panel.sources][:2] == ["", "surface"]

    # The levels are the enterprise's rule: an override moves them, and the states with them.
    AlarmStore(store).set_rule_override(
        "xg-steel", RuleOverride("water_plan", params={"warning": 0.9, "critical": 1.2}), "wang"
    )
    raised = plan_panel(store, works, dt.date(2025, 3, 1), after_day_10, zone, Translator("en"), False)
    assert (raised.warning, raised.critical, raised.gauge_max) == (0.9, 1.2, 1.2)
    assert [(r.scope, r.state) for r in raised.current] == [
        ("all sources", "ok"),
        ("municipal supply", "warning"),
    ]
    AlarmStore(store).set_rule_override("xg-steel", RuleOverride("water_plan", enabled=False), "wang")
    off = plan_panel(store, works, dt.date(2025, 3, 1), after_day_10, zone, Translator("zh"), False)
    assert not off.enabled and {r.state for r in off.current} == {"not_judged"}


def test_at_the_end_of_the_month_the_panel_says_over_plan(
    store: Store, works: Enterprise, zone: ZoneInfo
) -> None:
    _write_days(store, zone, range(1, 32), 1_100.0)  # 34 100 m³ in March: 110 % of 31 000
    april = dt.datetime(2025, 4, 2, tzinfo=zone)
    panel = plan_panel(store, works, dt.date(2025, 4, 1), april, zone, Translator("zh"), True)
    march = {r.scope: r for r in panel.year_rows if r.month == "2025-03"}
    assert (march["全部水源"].state, march["全部水源"].percent, march["全部水源"].days) == (
        "over_plan",
        "110%",
        "31/31",
    )
    assert [r.month for r in panel.current] == ["2025-04"] and panel.current[0].days == "0/1"
    assert panel.current[0].state == "not_judged"


def test_every_state_has_its_texts() -> None:
    for state in PLAN_STATES:
        assert f"plan_state.{state}" in TEXTS


# --- the page and the form over the demo park (no browser) -------------------------------------------


def _form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_the_page_shows_the_panel_and_the_form_to_the_manager_only(
    client: TestClient, log_in: Callable[[str], str], demo_store: Store, zone: ZoneInfo
) -> None:
    log_in("wang.steel")
    page = client.get("/enterprises/ronghu-steel", params={"month": "2025-03"})
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="plans"' in html and "计划用水（2025 年）" in html
    assert 'data-testid="plan-form"' in html and 'action="/enterprises/ronghu-steel/plans"' in html
    assert "达到 80% 预警，达到 100% 为超进度" in html  # the levels of the rule
    steel = demo_store.load_enterprise("ronghu-steel")
    expected = plan_panel(
        demo_store, steel, dt.date(2025, 3, 1), dt.datetime.now(dt.UTC), zone, Translator("zh"), True
    )
    shown = re.findall(r'<tr data-month="([0-9-]+)" data-state="([a-z_]+)"', html)
    assert shown == [(r.month, r.state) for r in expected.year_rows] and len(shown) >= 2
    assert [r.month for r in expected.current] == ["2025-03"]

    client.cookies.clear()
    log_in("sun.audit")  # reads the enterprise, may not set plans
    client.cookies.set("shuixiao_lang", "en")
    seen = client.get("/enterprises/ronghu-steel").text
    assert "Planned water use (2025)" in seen and 'data-testid="plan-form"' not in seen


def _audit(store: Store, outcome: str) -> list[Any]:
    entries, _ = AccountStore(store).list_audit(action="plan.set", outcome=outcome)
    return entries


def test_the_form_sets_a_plan_and_refuses_bad_ones(
    client: TestClient, log_in: Callable[[str], str], demo_store: Store
) -> None:
    token = log_in("wang.steel")
    form = {
        "csrf_token": token,
        "month": "2025-09",
        "volume": "41000",
        "source_type": "",
        "document": "岳水资〔2025〕9号",
    }
    before = client.get(
        "/enterprises/ronghu-steel"
    ).text  # the year's plans are now kept for the data version
    assert '<tr data-month="2025-09"' not in before
    answer = client.post("/enterprises/ronghu-steel/plans", data=form)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/enterprises/ronghu-steel?month=2025-09#plan-h"
    stored = PlanStore(demo_store).get_plan("ronghu-steel", "2025-09")
    assert (stored.volume, stored.document, stored.set_by) == (41_000.0, "岳水资〔2025〕9号", "wang.steel")
    assert any(e.target == "2025-09" and e.actor == "wang.steel" for e in _audit(demo_store, "success"))
    page = client.get(answer.headers["location"]).text
    assert '<tr data-month="2025-09"' in page

    for bad, message in (
        ({"volume": "-5"}, "finite number of m³ &gt; 0"),
        ({"volume": "lots"}, "must be a number of m³"),
        ({"volume": "nan"}, "finite number"),
        ({"month": "2025-13"}, "is not a month"),
        ({"source_type": "lava"}, "source type"),
    ):
        refused = client.post(
            "/enterprises/ronghu-steel/plans", data=form | bad, headers={"Accept": "text/html"}
        )
        assert refused.status_code == 422 and message in refused.text, refused.text[-600:]
    assert len([e for e in _audit(demo_store, "failure") if e.actor == "wang.steel"]) >= 5
    assert PlanStore(demo_store).get_plan("ronghu-steel", "2025-09").revision == 1

    assert (
        client.post("/enterprises/ronghu-steel/plans", data=form | {"csrf_token": "forged"}).status_code
        == 403
    )
    assert client.post("/enterprises/jinlan-dyeing/plans", data=form).status_code == 404  # another tenant

    client.cookies.clear()
    viewer_token = log_in("sun.audit")
    denied = client.post(
        "/enterprises/ronghu-steel/plans", data=form | {"csrf_token": viewer_token, "volume": "1"}
    )
    assert denied.status_code == 403
    assert any(e.actor == "sun.audit" for e in _audit(demo_store, "denied"))
    assert PlanStore(demo_store).get_plan("ronghu-steel", "2025-09").volume == 41_000.0
