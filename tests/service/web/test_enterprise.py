"""The enterprise dashboard's metered part (period, trend, tree) and its template, without a browser."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from shuixiao.config import Settings
from shuixiao.service.web._config import defaults
from shuixiao.service.web._enterprise import Kpi, enterprise_view, pick_month
from shuixiao.service.web._i18n import Translator
from shuixiao.service.web._render import local_path, render
from shuixiao.storage import Store

pytestmark = pytest.mark.integration


def _request(tmp_path: Path, path: str = "/enterprises/ronghu-steel", query: str = "") -> Request:
    app = Starlette()
    app.state.settings = Settings(data_dir=tmp_path)
    scope = {
        "type": "http",
        "app": app,
        "method": "GET",
        "path": path,
        "root_path": "",
        "query_string": query.encode(),
        "headers": [],
        "scheme": "http",
        "server": ("testserver", 80),
    }
    request = Request(scope)
    request.state.csrf_token = "token-<&>"
    return request


@pytest.mark.unit
def test_pick_month(zone: ZoneInfo) -> None:
    assert pick_month(None, None, zone) == (None, [])
    span = (dt.datetime(2024, 11, 30, 15, tzinfo=dt.UTC), dt.datetime(2025, 2, 1, 3, tzinfo=dt.UTC))
    month, months = pick_month("2024-12", span, zone)
    assert months == ["2025-02", "2025-01", "2024-12", "2024-11"]
    assert month is not None and month.key == "2024-12"
    assert month.end == dt.datetime(2025, 1, 1, tzinfo=zone)


def test_view_and_page(demo_store: Store, zone: ZoneInfo, tmp_path: Path) -> None:
    steel = demo_store.load_enterprise("ronghu-steel")
    t = Translator("zh")
    view = enterprise_view(
        demo_store, steel, "2025-03", t, zone, defaults(), lambda m: f"/enterprises/x/meters/{m}"
    )
    assert view.has_data and view.month_key == "2025-03" and view.months == ["2025-04", "2025-03"]
    assert view.name == "岳阳荣湖钢铁有限公司" and view.industry == "3120 炼钢"
    assert view.region == "岳阳市" and view.park.startswith("洞庭滨湖")
    assert view.last_reading == "2025-04-19 00:00"
    assert view.trend.months == ["2025-03"]
    charts = view.charts
    assert charts["trend"]["labels"] == {"intake": "取水量", "reuse": "重复利用水量", "discharge": "排水量"}
    assert "sankey" not in charts
    view.kpis = [Kpi("reuse_rate", "重复利用率", "97.4", "%", "目标 ≥ 97", "ok")]
    view.alarms = []
    view.notarisation = None
    html = render(
        _request(tmp_path),
        "enterprise.html",
        t=t,
        principal=None,
        title=view.name,
        page="enterprise",
        charts=True,
        view=view,
    ).body.decode()
    assert '<h1 data-testid="page-title">岳阳荣湖钢铁有限公司</h1>' in html
    assert 'data-kpi="reuse_rate"' in html and "当前没有报警" in html
    assert "/static/vendor/echarts/echarts.min.js" in html
    assert 'value="token-&lt;&amp;&gt;"' in html  # escaping is on
    assert "<script>" not in html and " style=" not in html  # CSP: no inline scripts or styles
    block = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html, re.S)
    assert block is not None
    data = json.loads(block.group(1))
    assert data["trend"]["days"][0] == "2025-03-10"
    assert all(f'href="/enterprises/x/meters/{m.id}"' in html for m in steel.meters)


def test_english_page_and_no_data(demo_store: Store, zone: ZoneInfo, tmp_path: Path) -> None:
    steel = demo_store.load_enterprise("ronghu-steel")
    t = Translator("en")
    view = enterprise_view(demo_store, steel, None, t, zone, defaults(), str)
    assert view.month_key == "2025-04" and view.name.startswith("Yueyang Ronghu")
    html = render(
        _request(tmp_path),
        "enterprise.html",
        t=t,
        principal=None,
        title="x",
        page="enterprise",
        charts=True,
        view=view,
    ).body.decode()
    assert 'lang="en"' in html and "Water units and meters" in html and "中文" in html
    assert view.industry == "3120 Steelmaking" and "<span>3120 Steelmaking</span>" in html
    empty = demo_store.load_enterprise("jinlan-dyeing")
    with Store.open(f"sqlite:///{tmp_path}/empty.db") as store:
        store.upgrade()
        store.save_model(demo_store.list_regions(), demo_store.list_parks(), [empty])
        bare = enterprise_view(store, empty, None, t, zone, defaults(), str)
    assert not bare.has_data and bare.trend.empty and bare.months == [] and bare.last_reading == "–"
    html = render(
        _request(tmp_path),
        "enterprise.html",
        t=t,
        principal=None,
        title="x",
        page="enterprise",
        charts=True,
        view=bare,
    ).body.decode()
    assert "shuixiao demo build" in html


@pytest.mark.unit
def test_local_path_refuses_other_sites() -> None:
    assert local_path("/parks/p?x=1") == "/parks/p?x=1"
    for target in ("http://evil.example/", "//evil.example", "/\\evil.example", "evil", "", None, "/a\nb"):
        assert local_path(target, "/home") == "/home"
