"""Monthly water-use plans (计划用水) over the REST API: every role, every bad input, history, audit.

Plans are issued per enterprise and month by the water authority and revised with the earlier
versions kept (seed 003, 计划用水管理: 核定、编制调整、下达检查); docs/water-plans.md.
Runs on SQLite and PostgreSQL (the ``world`` fixture).
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

pytestmark = pytest.mark.integration

A_PLANS = "/api/v1/enterprises/xg-steel/plans"
B_PLANS = "/api/v1/enterprises/sz-steel/plans"
MARCH = {"volume": 31_000, "authority": "湘潭市水利局", "document": "潭水资〔2025〕3号"}


def _audit(world: Any) -> list[dict[str, Any]]:
    answer = world.client("admin").get("/api/v1/audit", params={"action": "plan."})
    assert answer.status_code == 200
    return list(answer.json()["items"])


def _problem(answer: Any, status: int, *fragments: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = answer.json()
    for fragment in fragments:
        assert fragment in problem["detail"], problem["detail"]
    return problem


def test_the_manager_sets_revises_and_reads_the_history(world: Any) -> None:
    manager = world.client("enterprise_manager")
    first = manager.put(f"{A_PLANS}/2025-03", json=MARCH)
    assert first.status_code == 200, first.text
    assert first.json() | {"set_at": None} == {
        "enterprise": "xg-steel",
        "month": "2025-03",
        "source_type": None,
        "volume": 31_000.0,
        "unit": "m³",
        "authority": "湘潭市水利局",
        "document": "潭水资〔2025〕3号",
        "note": None,
        "revision": 1,
        "set_at": None,
        "set_by": "enterprise-manager",
    }
    assert first.json()["set_at"].endswith("+08:00")  # the instance's zone, Asia/Shanghai
    assert manager.put(f"{A_PLANS}/2025-03", json=MARCH).json()["revision"] == 1  # the same: no revision
    revised = manager.put(f"{A_PLANS}/2025-03", json={"volume": 29_000, "note": "调减"})
    assert (revised.json()["revision"], revised.json()["volume"]) == (2, 29_000.0)

    history = manager.get(f"{A_PLANS}/2025-03/history").json()
    assert history["total"] == 2
    assert [(v["revision"], v["volume"], v["document"], v["note"]) for v in history["items"]] == [
        (1, 31_000.0, "潭水资〔2025〕3号", None),
        (2, 29_000.0, None, "调减"),
    ]
    now = world.client("regulator").get(f"{A_PLANS}/2025-03").json()
    assert (now["volume"], now["revision"]) == (29_000.0, 2)
    assert manager.get(f"{A_PLANS}/2025-04/history").json()["total"] == 0  # never set

    audited = _audit(world)
    assert [(e["action"], e["target"], e["enterprise"], e["actor"]) for e in audited] == [
        ("plan.set", "2025-03", "xg-steel", "enterprise-manager")
    ] * 3
    assert audited[0]["detail"] == {
        "plans": [{"month": "2025-03", "source_type": None, "volume_m3": 29_000.0, "revision": 2}]
    }


def test_a_year_in_one_request_then_list_and_export(world: Any) -> None:
    manager = world.client("enterprise_manager")
    year = [{"month": f"2025-{m:02d}", "volume": 30_000 + 100 * m} for m in range(1, 13)]
    year.append({"month": "2025-03", "volume": 9_000, "source_type": "municipal"})
    answer = manager.post(A_PLANS, json={"plans": year})
    assert answer.status_code == 200, answer.text
    assert len(answer.json()) == 13 and {p["revision"] for p in answer.json()} == {1}
    manager.put(f"{A_PLANS}/2026-01", json={"volume": 1.2, "unit": "万m³"})  # 12 000 m³

    listed = world.client("park_operator").get(A_PLANS, params={"year": 2025}).json()
    assert listed["total"] == 13
    assert [(p["month"], p["source_type"]) for p in listed["items"][2:4]] == [
        ("2025-03", None),
        ("2025-03", "municipal"),
    ]
    assert manager.get(A_PLANS).json()["total"] == 14
    assert manager.get(f"{A_PLANS}/2026-01").json()["volume"] == pytest.approx(12_000.0)
    ranged = manager.get(A_PLANS, params={"start": "2025-11", "end": "2026-01"}).json()
    assert [p["month"] for p in ranged["items"]] == ["2025-11", "2025-12", "2026-01"]
    source = manager.get(f"{A_PLANS}/2025-03", params={"source_type": "municipal"}).json()
    assert source["volume"] == 9_000.0
    page = manager.get(A_PLANS, params={"year": 2025, "limit": 5, "offset": 10}).json()
    assert [p["month"] for p in page["items"]] == ["2025-10", "2025-11", "2025-12"]

    download = manager.get(A_PLANS, params={"year": 2025, "format": "csv", "lang": "zh"})
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["月份", "水源类型", "计划水量(m³)"] and len(rows) == 14
    assert rows[1][:3] == ["2025-01", "", "30100.0"]
    assert _audit(world)[-1]["target"] == "2025-01…2025-12"


ROLE_ACCESS = [
    # user key, reads tenant A, writes tenant A (status), sees tenant B
    ("admin", 200, 200, 200),
    ("regulator", 200, 403, 404),
    ("park_operator", 200, 403, 404),
    ("enterprise_manager", 200, 200, 404),
    ("enterprise_viewer", 200, 403, 404),
    ("auditor", 200, 403, 404),
    ("service_provider", 200, 403, 404),
    ("b_manager", 404, 404, 200),
]


@pytest.mark.parametrize(("key", "read", "write", "other"), ROLE_ACCESS)
def test_permissions_of_every_role(world: Any, key: str, read: int, write: int, other: int) -> None:
    admin = world.client("admin")
    for plans in (A_PLANS, B_PLANS):
        assert admin.put(f"{plans}/2025-05", json={"volume": 1_000}).status_code == 200
    client = world.client(key)
    assert client.get(A_PLANS).status_code == read
    assert client.get(f"{A_PLANS}/2025-05").status_code == read
    assert client.get(f"{A_PLANS}/2025-05/history").status_code == read
    assert client.put(f"{A_PLANS}/2025-05", json={"volume": 2_000}).status_code == write
    assert client.post(A_PLANS, json={"plans": [{"month": "2025-06", "volume": 5}]}).status_code == write
    assert client.get(B_PLANS).status_code == other
    assert client.get(f"{B_PLANS}/2025-05/history").status_code == other
    expected = 2_000.0 if write == 200 else 1_000.0
    assert admin.get(f"{A_PLANS}/2025-05").json()["volume"] == expected
    if write == 403:
        _problem(
            client.put(f"{A_PLANS}/2025-05", json={"volume": 3}), 403, "may read enterprise", "not change"
        )
    if read == 404:
        _problem(client.get(A_PLANS), 404, "no enterprise 'xg-steel' that you may see")


def test_devices_anonymous_clients_and_sessions(world: Any) -> None:
    assert world.client("device").get(A_PLANS).status_code == 403
    assert world.client("device").put(f"{A_PLANS}/2025-03", json=MARCH).status_code == 403
    assert world.client().get(A_PLANS).status_code == 401
    assert world.client().put(f"{A_PLANS}/2025-03", json=MARCH).status_code == 401
    session = world.session("enterprise_manager")
    assert session.put(f"{A_PLANS}/2025-03", json=MARCH).status_code == 200
    del session.headers["X-CSRF-Token"]
    _problem(session.put(f"{A_PLANS}/2025-03", json={"volume": 5}), 403, "anti-forgery")
    assert session.get(f"{A_PLANS}/2025-03").json()["volume"] == 31_000.0  # reads need no token


@pytest.mark.parametrize(
    ("month", "body", "fragments"),
    [
        ("2025-03", {"volume": -5}, ("body.volume", "greater than 0")),
        ("2025-03", {"volume": 0}, ("body.volume", "greater than 0")),
        ("2025-03", {}, ("body.volume", "required")),
        ("2025-03", {"volume": "many"}, ("body.volume",)),
        ("2025-03", {"volume": 5, "unit": "kg"}, ("'kg' is not a unit of volume", "m³")),
        ("2025-03", {"volume": 5, "unit": "m³/h"}, ("not a unit of volume",)),
        ("2025-03", {"volume": 5, "source_type": "seawater?"}, ("source type", "unknown", "groundwater")),
        ("2025-03", {"volume": 5, "volume_m3": 5}, ("body.volume_m3",)),
        ("2025-13", {"volume": 5}, ("'2025-13' is not a month", "YYYY-MM")),
        ("2025-00", {"volume": 5}, ("is not a month",)),
        ("25-03", {"volume": 5}, ("is not a month",)),
        ("2025-03-15", {"volume": 5}, ("is not a month",)),
    ],
)
def test_bad_plans_are_refused_with_a_problem(
    world: Any, month: str, body: dict[str, Any], fragments: tuple[str, ...]
) -> None:
    manager = world.client("enterprise_manager")
    _problem(manager.put(f"{A_PLANS}/{month}", json=body), 422, *fragments)
    assert manager.get(A_PLANS).json()["total"] == 0
    assert _audit(world) == []


def test_non_finite_volumes_are_refused(world: Any) -> None:
    manager = world.client("enterprise_manager")
    for literal in ("NaN", "Infinity", "-Infinity"):
        answer = manager.put(
            f"{A_PLANS}/2025-03",
            content=f'{{"volume": {literal}}}',
            headers={"Content-Type": "application/json"},
        )
        _problem(answer, 422, "body.volume", "finite")
    assert manager.get(A_PLANS).json()["total"] == 0


def test_unknown_enterprises_months_and_sources_are_not_found_or_invalid(world: Any) -> None:
    admin = world.client("admin")
    _problem(admin.put("/api/v1/enterprises/no-such-works/plans/2025-03", json=MARCH), 404, "no-such-works")
    _problem(admin.get("/api/v1/enterprises/no-such-works/plans"), 404, "no-such-works")
    _problem(admin.get(f"{A_PLANS}/2025-03"), 404, "no water-use plan for 2025-03")
    _problem(admin.get(f"{A_PLANS}/2025-3x"), 422, "is not a month")
    _problem(admin.get(f"{A_PLANS}/2025-03", params={"source_type": "lava"}), 422, "source type 'lava'")
    _problem(admin.get(A_PLANS, params={"year": 2025, "start": "2025-01"}), 422, "either year or start/end")
    _problem(admin.get(A_PLANS, params={"year": 1900}), 422, "query.year")
    _problem(admin.get(A_PLANS, params={"start": "March"}), 422, "'March' is not a month")


def test_a_year_with_a_bad_month_stores_nothing(world: Any) -> None:
    manager = world.client("enterprise_manager")
    year = [{"month": f"2025-{m:02d}", "volume": 1_000} for m in range(1, 13)]
    bad_unit = [*year[:5], {"month": "2025-06", "volume": 1, "unit": "kWh"}]
    _problem(
        manager.post(A_PLANS, json={"plans": bad_unit}), 422, "plans[5] (2025-06)", "not a unit of volume"
    )
    twice = [*year, {"month": "2025-03", "volume": 2_000}]
    _problem(manager.post(A_PLANS, json={"plans": twice}), 422, "both for xg-steel 2025-03")
    _problem(manager.post(A_PLANS, json={"plans": []}), 422, "body.plans")
    _problem(manager.post(A_PLANS, json={"plans": [{"volume": 5}]}), 422, "body.plans.0.month")
    assert manager.get(A_PLANS).json()["total"] == 0 and _audit(world) == []


def test_the_plans_are_in_the_openapi_document(world: Any) -> None:
    document = world.client().get("/api/v1/openapi.json").json()
    paths = document["paths"]
    assert set(paths["/api/v1/enterprises/{enterprise_id}/plans/{month}"]) == {"get", "put"}
    assert set(paths["/api/v1/enterprises/{enterprise_id}/plans"]) == {"get", "post"}
    assert "get" in paths["/api/v1/enterprises/{enterprise_id}/plans/{month}/history"]
    schemas = document["components"]["schemas"]
    assert schemas["WaterPlanSet"]["properties"]["volume"]["exclusiveMinimum"] == 0
    assert {"WaterPlanPublic", "WaterPlansSet", "WaterPlanMonth"} <= schemas.keys()
