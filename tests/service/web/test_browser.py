"""The dashboards in a real browser: Debian's Chromium driven by Playwright against the running service.

Each role logs in and lands on its dashboard; the water balance draws as an ECharts Sankey;
the language switches to English and stays; an alarm is acknowledged; a meter's readings
download as CSV; another tenant's pages answer 404.  Screenshots of every page are kept
(see ``conftest.py``) and no page logs an error (a Content-Security-Policy violation would).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shuixiao.alarms import AlarmSpec, AlarmState, Severity
from shuixiao.storage import AccountStore, Store
from shuixiao.storage.alarms import AlarmStore

pytestmark = [pytest.mark.integration, pytest.mark.slow]

Login = Callable[..., Any]
ZONE = ZoneInfo("Asia/Shanghai")

# login -> (where it lands, a text of that page)
HOMES = {
    "wang.steel": ("/enterprises/ronghu-steel", "岳阳荣湖钢铁有限公司"),
    "li.dyeing": ("/enterprises/jinlan-dyeing", "岳阳锦澜印染有限公司"),
    "zhao.park": ("/parks/dongting-park", "洞庭滨湖绿色工业园（示范）"),
    "chen.hunan": ("/regions/hunan", "湖南省"),
    "sun.audit": ("/regions/yueyang", "岳阳市"),
    "zhou.service": ("/enterprises/yungang-refinery", "岳阳云港石化有限公司"),
    "admin": ("/enterprises", "企业一览"),
}


def _chart(session: Any, element: str) -> dict[str, Any]:
    """The option of the ECharts instance drawn in ``element`` (after the page's script ran)."""
    session.page.wait_for_selector(f"#{element}[data-ready='true'] canvas")
    option: dict[str, Any] = session.page.evaluate(
        "id => { const o = echarts.getInstanceByDom(document.getElementById(id)).getOption();"
        " return JSON.parse(JSON.stringify(o)); }",
        element,
    )
    return option


@pytest.mark.parametrize("login", list(HOMES))
def test_each_role_lands_on_its_dashboard(login_as: Login, login: str) -> None:
    session = login_as(login)
    path, heading = HOMES[login]
    assert session.page.url.endswith(path)
    assert session.page.inner_text("[data-testid=page-title]").strip() == heading
    assert session.page.get_attribute("html", "lang") == "zh-CN"
    session.shot(f"home-{login}")
    assert session.errors == []


def test_enterprise_dashboard_draws_the_water_balance(login_as: Login) -> None:
    session = login_as("wang.steel")
    sankey = _chart(session, "sankey-chart")
    series = sankey["series"][0]
    assert series["type"] == "sankey"
    assert len(series["data"]) >= 5 and len(series["links"]) >= 5
    styles = {json.dumps(link["lineStyle"], sort_keys=True) for link in series["links"]}
    assert len(styles) >= 2, "measured and inferred/estimated links are drawn differently"
    trend = _chart(session, "trend-chart")
    assert {s["name"] for s in trend["series"]} == {"取水量", "重复利用水量", "排水量"}
    assert any(v is not None for v in trend["series"][0]["data"])
    # Tooltips draw on the canvas: hovering adds no inline style the CSP would refuse.
    box = session.page.locator("#trend-chart canvas").first.bounding_box()
    assert box is not None
    session.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    session.page.wait_for_timeout(300)
    kpis = session.page.locator("[data-kpi]")
    assert kpis.count() >= 6
    assert session.page.locator("[data-kpi=reuse_rate] .kpi-value").inner_text().strip().endswith("%")
    tree = session.page.locator("[data-testid=unit-tree]")
    assert tree.locator("a", has_text="FT-1001").count() == 1
    session.shot("enterprise-ronghu-steel")
    # The equipment view with its cooling loops draws more nodes than the sub-unit view.
    session.page.click("[data-view='2']")
    loops = _chart(session, "sankey-chart")["series"][0]
    assert len(loops["data"]) > len(series["data"])
    session.shot("enterprise-ronghu-steel-loops")
    assert session.errors == []


def test_language_switch_and_preference(login_as: Login, demo_url: str) -> None:
    session = login_as("li.dyeing")
    assert session.page.locator("#tree-h").inner_text() == "用水单元与计量器具"
    with session.page.expect_navigation(wait_until="networkidle"):
        session.page.click("[data-testid=language-switch]")
    assert session.page.get_attribute("html", "lang") == "en"
    assert session.page.locator("#tree-h").inner_text() == "Water units and meters"
    assert session.page.inner_text("[data-testid=page-title]").startswith("Yueyang Jinlan")
    trend = _chart(session, "trend-chart")
    assert {s["name"] for s in trend["series"]} == {"Intake", "Reused water", "Discharge"}
    session.shot("enterprise-jinlan-dyeing-en")
    # The choice stays: in the cookie for the next page, and as the user's preference.
    session.goto("/enterprises/jinlan-dyeing/meters/FT-1001")
    assert "Raw readings" in session.page.content() or "Register readings" in session.page.content()
    with Store.open(demo_url) as store:
        assert AccountStore(store).get_user("li.dyeing").language == "en"
    with session.page.expect_navigation(wait_until="networkidle"):
        session.page.click("[data-testid=language-switch]")
    assert session.page.get_attribute("html", "lang") == "zh-CN"
    assert session.errors == []


def test_acknowledge_an_alarm(login_as: Login, demo_url: str) -> None:
    with Store.open(demo_url) as store:
        alarm = AlarmStore(store).raise_alarm(
            AlarmSpec(
                "ronghu-steel",
                "threshold",
                "AT-3201/high",
                Severity.MAJOR,
                "高炉净环 pH 超过 9.5",
                "Blast-furnace loop pH above 9.5",
                {"value": 9.8, "limit": 9.5},
                meter="AT-3201",
            )
        )
    viewer = login_as("sun.audit")  # reads the enterprise, may not acknowledge
    viewer.goto("/enterprises/ronghu-steel")
    assert viewer.page.locator(f"tr[data-alarm='{alarm.id}']").count() == 1
    assert viewer.page.locator(f"tr[data-alarm='{alarm.id}'] [data-testid=acknowledge]").count() == 0

    session = login_as("wang.steel")
    row = session.page.locator(f"tr[data-alarm='{alarm.id}']")
    assert row.locator("[data-testid=alarm-state]").inner_text().startswith("未确认")
    session.shot("alarm-raised")
    with session.page.expect_navigation(wait_until="networkidle"):
        row.locator("[data-testid=acknowledge]").click()
    row = session.page.locator(f"tr[data-alarm='{alarm.id}']")
    assert row.locator("[data-testid=alarm-state]").inner_text().startswith("已确认")
    assert row.locator("[data-testid=acknowledge]").count() == 0
    session.shot("alarm-acknowledged")
    with Store.open(demo_url) as store:
        stored = AlarmStore(store).get(alarm.id)
        assert stored.state is AlarmState.ACKNOWLEDGED and stored.acknowledged_by == "wang.steel"
        entries, _ = AccountStore(store).list_audit(actor="wang.steel", action="alarm.acknowledge")
    assert any(e.action == "alarm.acknowledge" and e.target == f"alarm:{alarm.id}" for e in entries)
    assert session.errors == [] and viewer.errors == []


def test_acknowledge_needs_the_forms_token(login_as: Login, server: Any) -> None:
    session = login_as("wang.steel")
    response = session.page.request.post(server.url + "/enterprises/ronghu-steel/alarms/1/acknowledge")
    assert response.status == 403


def test_meter_page_and_csv_export(login_as: Login, demo_url: str) -> None:
    session = login_as("wang.steel")
    session.goto("/enterprises/ronghu-steel/meters/AT-3202?days=3&end=2025-04-03")
    raw = _chart(session, "raw-chart")
    points = raw["series"][0]["data"]
    assert any(p[1] is None for p in points), "the communication gap breaks the line"
    assert raw["useUTC"] is True
    interval = _chart(session, "interval-chart")
    assert interval["series"][0]["data"]
    session.shot("meter-AT-3202-gap")

    session.goto("/enterprises/ronghu-steel/meters/FT-1002?days=2&end=2025-04-10")
    summary = session.page.inner_text("[data-testid=meter-summary]")
    shown = int(re.match(r"\d+", summary.replace(",", "")).group(0))  # type: ignore[union-attr]
    with session.page.expect_download() as download:
        session.page.click("[data-testid=export-csv]")
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    assert "读数" in header  # the page is in Chinese: so are the download's column headers
    assert len(body) == shown > 0
    with Store.open(demo_url) as store:
        stored = store.read_readings(
            "ronghu-steel",
            "FT-1002",
            dt.datetime(2025, 4, 9, tzinfo=ZONE),
            dt.datetime(2025, 4, 11, tzinfo=ZONE),
        )
    assert len(body) == len(stored)
    value = header.index("读数")
    assert float(body[0][value]) == pytest.approx(float(stored["value"].iloc[0]))
    session.shot("meter-FT-1002")
    assert session.errors == []


@pytest.mark.parametrize(
    ("login", "path"),
    [
        ("wang.steel", "/enterprises/jinlan-dyeing"),
        ("wang.steel", "/enterprises/jinlan-dyeing/meters/FT-1001"),
        ("wang.steel", "/parks/dongting-park"),
        ("wang.steel", "/regions/hunan"),
        ("li.dyeing", "/enterprises/ronghu-steel"),
        ("zhou.service", "/enterprises/ronghu-steel"),
        ("zhao.park", "/regions/hunan"),
        ("sun.audit", "/regions/hunan"),
        ("wang.steel", "/enterprises/no-such-enterprise"),
        ("wang.steel", "/enterprises/ronghu-steel/meters/NO-SUCH"),
    ],
)
def test_pages_of_other_tenants_are_not_found(login_as: Login, login: str, path: str) -> None:
    session = login_as(login)
    response = session.goto(path)
    assert response is not None and response.status == 404
    content = session.page.content()
    assert "页面不存在" in content
    assert "锦澜" not in content or login == "li.dyeing"  # nothing of the other tenant leaks


def test_regulator_drills_down_to_the_worst_enterprise(login_as: Login) -> None:
    session = login_as("chen.hunan")
    bars = _chart(session, "ranking-chart")
    assert bars["series"][0]["data"]
    worst = session.page.locator("[data-testid=enterprise-ranking] tr.highlight")
    assert worst.count() == 1
    assert worst.get_attribute("data-enterprise") == "jinlan-dyeing"  # the demo's worst performer
    session.shot("region-hunan")
    with session.page.expect_navigation(wait_until="networkidle"):
        worst.locator("a").first.click()
    assert session.page.url.endswith("/enterprises/jinlan-dyeing")
    product = session.page.locator("[data-kpi^='intake_per_product']")
    assert "status-bad" in (product.get_attribute("class") or "")
    assert session.page.locator(".findings li").count() > 0
    session.shot("region-drill-jinlan-dyeing")
    with session.page.expect_navigation(wait_until="networkidle"):
        session.page.click("[data-testid=language-switch]")
    assert "Intake per product" in session.page.inner_text("[data-kpi^='intake_per_product']")
    session.shot("region-drill-jinlan-dyeing-en")
    with session.page.expect_navigation(wait_until="networkidle"):
        session.page.click("[data-testid=language-switch]")
    assert session.errors == []


def test_park_dashboard(login_as: Login) -> None:
    session = login_as("zhao.park")
    rows = session.page.locator("[data-testid=enterprise-ranking] tbody tr")
    assert rows.count() == 3
    balance = _chart(session, "sankey-chart")["series"][0]
    names = {n["name"] for n in balance["data"]}
    assert {"ronghu-steel", "yungang-refinery", "jinlan-dyeing"} <= names
    assert "园区再生水厂" in session.page.inner_text("#flows-h + table")
    assert session.errors == []


def test_tablet_layout(login_as: Login) -> None:
    session = login_as("wang.steel", viewport=(768, 1024))
    _chart(session, "sankey-chart")
    overflow = session.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "no horizontal scrolling on a tablet"
    session.shot("tablet-enterprise")
    session.goto("/enterprises/ronghu-steel/meters/FT-1001")
    assert session.page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    session.shot("tablet-meter")
    assert session.errors == []


def test_login_failure_and_logout(browser: Any, server: Any, artifacts: Any) -> None:
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(server.url + "/enterprises/ronghu-steel")
        assert "/login?next=" in page.url
        page.fill("#login", "wang.steel")
        page.fill("#password", "wrong password here")
        with page.expect_navigation():
            page.click("form.form button[type=submit]")
        assert "登录失败" in page.inner_text("[data-testid=login-error]")
        page.screenshot(path=str(artifacts / "login-failed.png"), full_page=True)
        page.fill("#password", server.password)
        with page.expect_navigation(wait_until="networkidle"):
            page.click("form.form button[type=submit]")
        assert page.url.endswith("/enterprises/ronghu-steel")  # back to where it was going
        with page.expect_navigation(wait_until="networkidle"):
            page.click("form.logout button")
        assert page.url.endswith("/login")
        page.goto(server.url + "/enterprises/ronghu-steel")
        assert "/login?next=" in page.url
    finally:
        context.close()
