"""The leak event pages: list, event with the network map of its suspects, workflow steps.

The event is a real detection: a leak of 8 m³/h on pipe P-sinter of the demo steel works, simulated
with ``simulate_scenario`` on the network the demo build wrote (``demo/networks/ronghu-steel.inp``),
found by ``detect_leaks`` and recorded with ``LeakEventStore.record_detection`` under the enterprise's
``leak_suspected`` rule, as ``shuixiao leak detect --store`` does.  The browser test draws the map in
Chromium and keeps a screenshot.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shuixiao.alarms import load_rules, resolve_rules
from shuixiao.leaks import (
    DetectorSettings,
    Leak,
    Location,
    detect_leaks,
    network_from_text,
    place_sensors,
    read_network,
    simulate_scenario,
)
from shuixiao.service.web._leaks import map_data, network_file
from shuixiao.storage import Store
from shuixiao.storage.alarms import AlarmStore, LeakEventRecord, LeakEventStore

pytestmark = pytest.mark.integration

CST = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2025, 4, 1, tzinfo=CST)
ENTERPRISE = "ronghu-steel"
IRON_BRANCH = {"P-iron", "P-iron_ct", "P-slag", "P-sinter", "P-yard"}


@pytest.fixture(scope="module")
def event(demo_dir: Path, demo_url: str) -> LeakEventRecord:
    """A leak on P-sinter, detected on simulated readings and stored as a suspected leak event."""
    file = demo_dir / "demo" / "networks" / f"{ENTERPRISE}.inp"
    network = read_network(file)
    sensors = place_sensors(network)
    leak = Leak(Location("pipe", "P-sinter"), T0 + dt.timedelta(hours=33), None, 8.0, id="L1")
    scenario = simulate_scenario(network, sensors, [leak], start=T0, days=2.5, seed=3)
    result = detect_leaks(
        network, sensors, scenario.readings, settings=DetectorSettings(training=dt.timedelta(days=1))
    )
    assert len(result.events) == 1
    with Store.open(demo_url) as store:
        model = store.load_enterprise(ENTERPRISE)
        rules = resolve_rules(load_rules(), model, AlarmStore(store).rule_overrides(ENTERPRISE))
        rule = next(r for r in rules if r.kind == "leak_suspected")
        record, created = LeakEventStore(store).record_detection(
            ENTERPRISE, result.events[0], rule, network=network.name, source="test readings"
        )
    assert created
    return record


def _chart_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html, re.S)
    assert found is not None, "the page carries its chart data"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_list_of_an_enterprises_leak_events(
    client: TestClient, log_in: Callable[[str], str], event: LeakEventRecord
) -> None:
    log_in("wang.steel")
    page = client.get(f"/enterprises/{ENTERPRISE}/leaks")
    assert page.status_code == 200
    assert "管网漏损事件" in page.text
    assert f'data-leak="{event.id}"' in page.text
    assert f'href="/enterprises/{ENTERPRISE}/leaks/{event.id}"' in page.text
    assert "最可能位置" in page.text and f"管段 {event.suspects[0].id}" in page.text


def test_event_page_draws_the_suspects_on_the_network(
    client: TestClient, log_in: Callable[[str], str], event: LeakEventRecord, demo_url: str
) -> None:
    log_in("wang.steel")
    page = client.get(f"/enterprises/{ENTERPRISE}/leaks/{event.id}")
    assert page.status_code == 200
    assert f"漏损事件 #{event.id}" in page.text
    with Store.open(demo_url) as store:  # suspected, or confirmed once the workflow test ran
        state = LeakEventStore(store).get(event.id).state.value
    assert f'aria-current="step" data-state="{state}"' in page.text
    assert 'data-action="dismiss"' in page.text
    assert 'data-action="verify"' not in page.text  # only from repaired
    leak_map = _chart_data(page.text)["leak_map"]
    # the best suspect is on the iron-works branch where the leak was put, ranked first
    best = leak_map["suspects"][0]
    assert best["rank"] == 1 and best["kind"] == "pipe" and best["id"] in IRON_BRANCH
    assert best["id"] == event.suspects[0].id
    assert [s["rank"] for s in leak_map["suspects"]] == list(range(1, len(event.suspects) + 1))
    # every pipe of the file is drawn; the shaded zone contains the best suspect
    network = read_network(network_file(client.app.state.settings.data_dir, ENTERPRISE))  # type: ignore[arg-type]
    assert {p["id"] for p in leak_map["pipes"]} == set(network.links)
    zone = {p["id"] for p in leak_map["pipes"] if p["zone"]}
    assert best["id"] in zone
    assert len(leak_map["nodes"]) == len(network.nodes)
    assert "leak-map.js" in page.text


def test_workflow_steps_from_the_page(
    client: TestClient, log_in: Callable[[str], str], event: LeakEventRecord, demo_url: str
) -> None:
    token = log_in("wang.steel")
    here = f"/enterprises/{ENTERPRISE}/leaks/{event.id}"
    answer = client.post(
        here + "/transition", data={"action": "confirm", "note": "现场发现渗漏", "csrf_token": token}
    )
    assert answer.status_code == 303 and answer.headers["location"] == here
    page = client.get(here)
    assert 'aria-current="step" data-state="confirmed"' in page.text
    assert "现场发现渗漏" in page.text and "wang.steel" in page.text
    # an action the state does not allow leaves the event as it is
    again = client.post(here + "/transition", data={"action": "verify", "csrf_token": token})
    assert again.status_code == 303
    with Store.open(demo_url) as store:
        stored = LeakEventStore(store).get(event.id)
        assert stored.state.value == "confirmed"
        actions = [h.action for h in LeakEventStore(store).history(event.id)]
    assert actions == ["detect", "confirm"]
    bad = client.post(here + "/transition", data={"action": "explode", "csrf_token": token})
    assert bad.status_code == 400


def test_readers_without_write_access_see_no_actions_and_are_refused(
    client: TestClient, log_in: Callable[[str], str], event: LeakEventRecord
) -> None:
    token = log_in("chen.hunan")  # the regulator reads the enterprise but may not change it
    here = f"/enterprises/{ENTERPRISE}/leaks/{event.id}"
    page = client.get(here)
    assert page.status_code == 200
    assert "data-action=" not in page.text
    refused = client.post(here + "/transition", data={"action": "dismiss", "csrf_token": token})
    assert refused.status_code == 403


def test_other_tenants_and_wrong_paths_answer_404(
    client: TestClient, log_in: Callable[[str], str], event: LeakEventRecord
) -> None:
    token = log_in("li.dyeing")  # another enterprise's viewer
    assert client.get(f"/enterprises/{ENTERPRISE}/leaks").status_code == 404
    assert client.get(f"/enterprises/{ENTERPRISE}/leaks/{event.id}").status_code == 404
    answer = client.post(
        f"/enterprises/{ENTERPRISE}/leaks/{event.id}/transition",
        data={"action": "dismiss", "csrf_token": token},
    )
    assert answer.status_code == 404
    # the event under its own enterprise's list only
    assert client.get(f"/enterprises/jinlan-dyeing/leaks/{event.id}").status_code == 404
    assert client.get("/enterprises/jinlan-dyeing/leaks/999999").status_code == 404
    assert client.get("/enterprises/jinlan-dyeing/leaks").status_code == 200
    assert client.get("/enterprises/jinlan-dyeing/leaks/x").status_code == 422
    client.cookies.clear()
    assert client.get(f"/enterprises/{ENTERPRISE}/leaks").status_code in (303, 401)


def test_english(client: TestClient, log_in: Callable[[str], str], event: LeakEventRecord) -> None:
    log_in("wang.steel")
    client.cookies.set("shuixiao_lang", "en")
    page = client.get(f"/enterprises/{ENTERPRISE}/leaks/{event.id}")
    assert f"Leak event #{event.id}" in page.text and "Network map" in page.text
    assert _chart_data(page.text)["leak_map"]["labels"]["zone"] == "Uncertainty zone"


def test_network_file_lookup_and_a_network_without_coordinates(
    tmp_path: Path, event: LeakEventRecord
) -> None:
    assert network_file(tmp_path, "../secret") is None
    assert network_file(tmp_path, ".hidden") is None
    assert network_file(tmp_path, None) is None
    assert network_file(tmp_path, ENTERPRISE) is None
    (tmp_path / "demo" / "networks").mkdir(parents=True)
    (tmp_path / "demo" / "networks" / f"{ENTERPRISE}.inp").write_text("x", encoding="utf-8")
    (tmp_path / "networks").mkdir()
    kept = tmp_path / "networks" / f"{ENTERPRISE}.inp"
    kept.write_text("x", encoding="utf-8")
    assert network_file(tmp_path, ENTERPRISE) == kept  # the copy kept by `leak detect --store` first
    bare = network_from_text(
        "[JUNCTIONS]\n J1 10 5\n[RESERVOIRS]\n R 60\n[PIPES]\n P1 R J1 100 200 120 0 Open\n"
        "[OPTIONS]\n Units CMH\n[END]\n"
    )
    assert map_data(bare, event, {}) is None


@pytest.mark.slow
def test_event_map_in_the_browser(login_as: Callable[..., Any], event: LeakEventRecord) -> None:
    session = login_as("wang.steel")
    session.goto(f"/enterprises/{ENTERPRISE}/leaks/{event.id}")
    session.page.wait_for_selector("#leak-map[data-ready='true'] canvas")
    option: dict[str, Any] = session.page.evaluate(
        "() => JSON.parse(JSON.stringify(echarts.getInstanceByDom(document.getElementById('leak-map')).getOption()))"
    )
    names = [s["name"] for s in option["series"]]
    assert names == ["管道", "不确定范围", "节点", "疑似管段", "疑似位置排序"]
    ranks = option["series"][4]["data"]
    assert ranks[0]["name"] == event.suspects[0].id and ranks[0]["rank"] == 1
    session.shot("leak-event-map")
    assert session.errors == []
    session.goto(f"/enterprises/{ENTERPRISE}/leaks")
    session.shot("leak-events")
    assert session.errors == []
