"""Read endpoints: session, regions, parks, enterprises, meters, series, events, quarantine; exports."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.integration


def test_session_login_me_logout(module_world: Any, test_password: str) -> None:
    client = module_world.client()
    refused = client.post(
        "/api/v1/session/login", json={"login": "regulator", "password": "not the password"}
    )
    assert refused.status_code == 401 and "login failed" in refused.json()["detail"]
    answer = client.post("/api/v1/session/login", json={"login": "regulator", "password": test_password})
    assert answer.status_code == 200
    me = answer.json()
    assert me["user"]["role"] == "regulator" and me["enterprises"] == ["xg-steel"]
    assert "password" not in answer.text and "$argon2" not in answer.text
    assert client.get("/api/v1/session/me").json()["csrf_token"] == me["csrf_token"]
    bearer = module_world.client("regulator").get("/api/v1/session/me").json()
    assert bearer["csrf_token"] is None and bearer["user"]["login"] == "regulator"
    assert (
        client.post("/api/v1/session/logout", headers={"X-CSRF-Token": me["csrf_token"]}).status_code == 204
    )
    assert client.get("/api/v1/session/me").status_code == 401
    assert module_world.client("regulator").post("/api/v1/session/logout").status_code == 403


def test_regions_and_parks_follow_the_scope(module_world: Any) -> None:
    regulator = module_world.client("regulator")
    assert [r["id"] for r in regulator.get("/api/v1/regions").json()["items"]] == ["cn-hn", "cn-hn-xt"]
    assert regulator.get("/api/v1/regions/cn-hn-xt").json()["parent"] == "cn-hn"
    assert [p["id"] for p in regulator.get("/api/v1/parks").json()["items"]] == ["xt-jiuhua"]
    admin = module_world.client("admin")
    assert admin.get("/api/v1/regions").json()["total"] == 4
    assert [p["id"] for p in admin.get("/api/v1/parks", params={"region": "cn-gd"}).json()["items"]] == [
        "sz-park"
    ]
    assert admin.get("/api/v1/parks/sz-park").json()["name_en"] == "Shenzhen demo park"
    viewer = module_world.client("enterprise_viewer")
    assert [r["id"] for r in viewer.get("/api/v1/regions").json()["items"]] == ["cn-hn", "cn-hn-xt"]


def test_enterprise_list_filters_and_pages(module_world: Any) -> None:
    admin = module_world.client("admin")
    every = admin.get("/api/v1/enterprises").json()
    assert [e["id"] for e in every["items"]] == ["sz-steel", "xg-steel"] and every["total"] == 2
    assert every["items"][1]["n_meters"] == 2
    page = admin.get("/api/v1/enterprises", params={"limit": 1, "offset": 1}).json()
    assert page == {"items": page["items"], "total": 2, "limit": 1, "offset": 1}
    assert page["items"][0]["id"] == "xg-steel"
    for params, ids in (
        ({"region": "cn-hn"}, ["xg-steel"]),
        ({"park": "sz-park"}, ["sz-steel"]),
        ({"industry": "31"}, ["sz-steel", "xg-steel"]),
        ({"industry": "25"}, []),
        ({"q": "深圳"}, ["sz-steel"]),
        ({"q": "xiangtan"}, ["xg-steel"]),
    ):
        assert [e["id"] for e in admin.get("/api/v1/enterprises", params=params).json()["items"]] == ids, (
            params
        )


def test_enterprise_detail_with_meters_and_latest_values(module_world: Any) -> None:
    detail = module_world.client("enterprise_viewer").get("/api/v1/enterprises/xg-steel").json()
    assert [u["id"] for u in detail["units"]][:2] == ["src-river", "ironmaking"]
    assert {f["id"] for f in detail["flows"]} >= {"f-river", "f-loop"}
    meters = {m["id"]: m for m in detail["meters"]}
    assert meters["FT-101"]["latest"] == {
        "ts": "2025-01-02T07:45:00+08:00",
        "value": 1000.0 + 10.25 * 95,
        "quality": "good",
    }
    assert meters["FT-201"]["canonical_unit"] == "m³/h" and meters["FT-201"]["unit"] == "L/s"
    assert meters["FT-201"]["latest"]["value"] == pytest.approx(7.2)  # 2 L/s stored as 7.2 m³/h
    assert detail["products"][0]["benchmark_product"] == "crude_steel"


def test_meters_list_and_one_meter(module_world: Any) -> None:
    client = module_world.client("park_operator")
    listed = client.get("/api/v1/enterprises/xg-steel/meters").json()
    assert [m["id"] for m in listed["items"]] == ["FT-101", "FT-201"]
    assert [
        m["id"]
        for m in client.get("/api/v1/enterprises/xg-steel/meters", params={"level": 2}).json()["items"]
    ] == ["FT-201"]
    one = client.get("/api/v1/enterprises/xg-steel/meters/FT-101").json()
    assert one["kind"] == "totalizer" and one["latest"]["quality"] == "good"
    assert client.get("/api/v1/enterprises/xg-steel/meters/NOPE").status_code == 404


def test_readings_with_time_range_and_pagination(module_world: Any) -> None:
    client = module_world.client("service_provider")
    url = "/api/v1/enterprises/xg-steel/meters/FT-101/readings"
    every = client.get(url).json()
    assert every["total"] == 96 and len(every["items"]) == 96
    first = every["items"][0]
    assert first == {"ts": "2025-01-01T08:00:00+08:00", "value": 1000.0, "quality": "good", "origin": "file"}
    window = client.get(
        url, params={"start": "2025-01-01T10:00:00+08:00", "end": "2025-01-01T11:00:00+08:00"}
    ).json()
    assert window["total"] == 4 and window["items"][0]["ts"] == "2025-01-01T10:00:00+08:00"
    naive = client.get(url, params={"start": "2025-01-01T10:00:00", "end": "2025-01-01T11:00:00"}).json()
    assert naive["items"] == window["items"]  # no offset: the instance's zone (Asia/Shanghai)
    page = client.get(url, params={"limit": 10, "offset": 90}).json()
    assert page["total"] == 96 and len(page["items"]) == 6
    backwards = client.get(url, params={"start": "2025-01-02T00:00:00Z", "end": "2025-01-01T00:00:00Z"})
    assert backwards.status_code == 422 and "end is before start" in backwards.json()["detail"]


def test_aggregates_at_each_resolution(module_world: Any) -> None:
    client = module_world.client("enterprise_manager")
    url = "/api/v1/enterprises/xg-steel/meters/FT-101/aggregates"
    hours = client.get(url, params={"resolution": "hour"}).json()
    assert hours["total"] == 24
    assert hours["items"][0]["value"] == pytest.approx(4 * 10.25) and hours["items"][0]["count"] >= 4
    assert client.get(url, params={"resolution": "PT1H"}).json()["total"] == 24
    assert client.get(url, params={"resolution": "15min"}).json()["total"] >= 95
    days = client.get(url, params={"resolution": "day"}).json()["items"]
    assert sum(d["value"] for d in days) == pytest.approx(95 * 10.25)
    assert (
        client.get(url, params={"resolution": "month"}).json()["items"][0]["start"]
        == "2025-01-01T00:00:00+08:00"
    )
    bad = client.get(url, params={"resolution": "fortnightly"})
    assert bad.status_code == 422 and "15min, hour, day, month" in bad.json()["detail"]


def test_events_of_the_enterprise(module_world: Any) -> None:
    client = module_world.client("auditor")
    events = client.get("/api/v1/enterprises/xg-steel/events").json()
    assert events["items"] == [
        {
            "meter": "FT-101",
            "ts": "2025-01-01T08:00:00+08:00",
            "kind": "calibration",
            "detail": {"note": "a-calibration"},
        }
    ]
    assert client.get("/api/v1/enterprises/xg-steel/events", params={"meter": "FT-201"}).json()["total"] == 0
    assert (
        client.get("/api/v1/enterprises/xg-steel/events", params={"start": "2025-02-01"}).json()["total"] == 0
    )


def test_quarantine_list_per_scope(module_world: Any) -> None:
    mine = module_world.client("enterprise_viewer").get("/api/v1/quarantine").json()
    assert [(q["enterprise"], q["meter"], q["reason"]) for q in mine["items"]] == [
        ("xg-steel", "ZZ-A", "unknown_meter")
    ]
    every = module_world.client("admin").get("/api/v1/quarantine").json()
    assert every["total"] >= 2
    assert (
        module_world.client("admin").get("/api/v1/quarantine", params={"reason": "conflict"}).json()["total"]
        == 0
    )


def _csv(answer: Any) -> list[list[str]]:
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


def test_exports_csv_xlsx_json_with_localised_headers(module_world: Any) -> None:
    client = module_world.client("enterprise_viewer")  # language zh
    url = "/api/v1/enterprises/xg-steel/meters/FT-101/readings"
    rows = _csv(client.get(url, params={"format": "csv"}))
    assert rows[0] == ["时间", "读数", "质量标志", "来源"] and len(rows) == 97
    assert rows[1] == ["2025-01-01T08:00:00+08:00", "1000.0", "good", "file"]
    english = _csv(client.get(url, params={"format": "csv", "lang": "en", "limit": 2}))
    assert english[0] == ["Time", "Value", "Quality", "Origin"] and len(english) == 3
    book = load_workbook(io.BytesIO(client.get(url, params={"format": "xlsx"}).content))
    sheet = book.active
    assert [c.value for c in sheet[1]] == ["时间", "读数", "质量标志", "来源"] and sheet.max_row == 97
    download = client.get(url, params={"format": "json"})
    assert "attachment" in download.headers["content-disposition"] and len(download.json()) == 96
    for path in (
        "/api/v1/enterprises",
        "/api/v1/regions",
        "/api/v1/parks",
        "/api/v1/enterprises/xg-steel/meters",
        "/api/v1/enterprises/xg-steel/meters/FT-101/aggregates",
        "/api/v1/enterprises/xg-steel/events",
        "/api/v1/enterprises/xg-steel/grants",
        "/api/v1/quarantine",
    ):
        table = _csv(client.get(path, params={"format": "csv"}))
        assert len(table[0]) >= 3 and all(any("\u4e00" <= ch <= "\u9fff" for ch in h) for h in table[0]), path


def test_exported_text_never_becomes_a_formula(world: Any) -> None:
    admin = world.client("admin")
    created = admin.post(
        "/api/v1/users",
        json={
            "login": "formula",
            "name": '=HYPERLINK("http://x")',
            "password": "correct horse battery staple",
            "role": "admin",
            "scope_kind": "platform",
        },
    )
    assert created.status_code == 201
    rows = _csv(admin.get("/api/v1/users", params={"format": "csv"}))
    assert '\'=HYPERLINK("http://x")' in [r[1] for r in rows]
    sheet = load_workbook(io.BytesIO(admin.get("/api/v1/users", params={"format": "xlsx"}).content)).active
    cell = next(c for row in sheet.iter_rows() for c in row if c.value and str(c.value).startswith("=HYPER"))
    assert cell.data_type == "s"
