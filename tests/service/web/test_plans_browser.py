"""The planned-water-use panel in a real browser (Chromium through Playwright): the enterprise
manager reads the month's pace against the rule's levels and sets a month's plan with the form;
a reader sees the panel without the form.  No page may log an error (a CSP violation would)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shuixiao.storage import AccountStore, Store
from shuixiao.storage.plans import PlanStore

pytestmark = [pytest.mark.integration, pytest.mark.slow]

Login = Callable[..., Any]
STATES_ZH = {"正常", "预警", "超进度", "超计划用水", "未判断"}


def test_the_manager_reads_the_pace_and_sets_a_plan(login_as: Login, demo_url: str) -> None:
    session = login_as("wang.steel")
    page = session.page
    assert page.url.endswith("/enterprises/ronghu-steel")
    panel = page.locator("[data-testid=plans]")
    assert panel.locator("h2").inner_text() == "计划用水（2025 年）"
    now = panel.locator("[data-testid=plan-now]")
    assert now.count() >= 1
    assert now.first.locator("[data-testid=plan-state]").inner_text() in STATES_ZH
    gauge = now.first.locator("meter.plan-gauge")
    assert (gauge.get_attribute("low"), gauge.get_attribute("high")) == ("0.8", "1.0")  # the rule's levels
    assert "达到 80% 预警" in panel.locator("[data-testid=plan-levels]").inner_text()
    assert panel.locator("[data-testid=plan-year] tbody tr").count() >= 2

    panel.locator("details.plan-set summary").click()
    page.fill("#plan-month", "2025-11")
    page.fill("#plan-volume", "52000")
    page.fill("#plan-document", "岳水资〔2025〕11号")
    with page.expect_navigation(wait_until="networkidle"):
        page.click("[data-testid=plan-save]")
    assert page.url.endswith("/enterprises/ronghu-steel?month=2025-11#plan-h")
    row = page.locator("[data-testid=plan-year] tr[data-month='2025-11']")
    assert row.count() == 1 and "52,000" in row.inner_text() and "岳水资〔2025〕11号" in row.inner_text()
    session.shot("plans-panel")
    assert session.errors == []
    with Store.open(demo_url) as store:
        plan = PlanStore(store).get_plan("ronghu-steel", "2025-11")
        entries, _ = AccountStore(store).list_audit(actor="wang.steel", action="plan.set")
    assert (plan.volume, plan.set_by) == (52_000.0, "wang.steel")
    assert any(e.target == "2025-11" and e.outcome == "success" for e in entries)


def test_a_reader_sees_the_panel_without_the_form(login_as: Login) -> None:
    session = login_as("sun.audit")
    session.goto("/enterprises/ronghu-steel")
    assert session.page.locator("[data-testid=plans]").count() == 1
    assert session.page.locator("[data-testid=plan-form]").count() == 0
    assert session.errors == []
