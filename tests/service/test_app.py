"""The application: security headers, CSRF, the problem schema, 401/403/404, docs, health."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shuixiao.config import Settings
from shuixiao.errors import SchemaVersionError, StorageError
from shuixiao.service import create_app
from shuixiao.service._headers import CONTENT_SECURITY_POLICY
from shuixiao.storage import Store

pytestmark = pytest.mark.integration

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def test_health_needs_no_login(module_world: Any) -> None:
    answer = module_world.client().get("/api/v1/health")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok" and answer.json()["schema_revision"]


@pytest.mark.parametrize("path", ["/api/v1/health", "/api/v1/enterprises", "/api/v1/docs", "/nowhere"])
def test_security_headers_on_every_response(module_world: Any, path: str) -> None:
    answer = module_world.client().get(path)
    headers = answer.headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in headers  # plain HTTP: no HSTS
    if path.startswith("/api/"):
        assert headers["cache-control"] == "no-store"


def test_hsts_when_cookies_are_secure(module_world: Any, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="sqlite:///unused.db", cookie_secure=True)
    app = create_app(settings, store=module_world.store)
    client = TestClient(app, base_url="https://testserver")
    answer = client.get("/api/v1/health")
    assert answer.headers["strict-transport-security"].startswith("max-age=31536000")
    login = client.post(
        "/api/v1/session/login",
        json={"login": "enterprise-viewer", "password": "correct horse battery staple"},
    )
    cookie = login.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_unauthenticated_is_401_problem(module_world: Any) -> None:
    answer = module_world.client().get("/api/v1/enterprises")
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"].startswith("Bearer")
    body = answer.json()
    assert PROBLEM_KEYS <= body.keys() and body["status"] == 401
    assert body["type"] == "urn:shuixiao:problem:unauthenticated" and "shuixiao users token" in body["detail"]


@pytest.mark.parametrize("header", ["Bearer sxa_unknown", "Bearer ", "Basic dXNlcjpwYXNz", "Token x"])
def test_bad_credentials_are_401(module_world: Any, header: str) -> None:
    answer = module_world.client().get("/api/v1/enterprises", headers={"Authorization": header})
    assert answer.status_code == 401, answer.text
    assert answer.json()["status"] == 401


def test_403_for_a_role_404_for_another_tenant(module_world: Any) -> None:
    viewer = module_world.client("enterprise_viewer")
    forbidden = viewer.post("/api/v1/quarantine/replay", json={"enterprise": "xg-steel"})
    assert (
        forbidden.status_code == 403
        and "may read enterprise 'xg-steel' but not change it" in forbidden.json()["detail"]
    )
    hidden = viewer.post("/api/v1/quarantine/replay", json={"enterprise": "sz-steel"})
    missing = viewer.post("/api/v1/quarantine/replay", json={"enterprise": "no-such-plant"})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace("sz-steel", "X") == missing.json()["detail"].replace(
        "no-such-plant", "X"
    )


def test_validation_errors_are_problems(module_world: Any) -> None:
    answer = module_world.client("admin").get("/api/v1/enterprises", params={"limit": "many"})
    assert answer.status_code == 422
    body = answer.json()
    assert body["type"] == "urn:shuixiao:problem:invalid_request"
    assert body["errors"][0]["location"] == "query.limit"
    too_many = module_world.client("admin").get("/api/v1/enterprises", params={"limit": 10**6})
    assert too_many.status_code == 422 and "at most" in too_many.json()["detail"]


def test_unknown_path_and_method(module_world: Any) -> None:
    client = module_world.client("admin")
    assert client.get("/api/v1/nothing-here").json()["status"] == 404
    answer = client.delete("/api/v1/enterprises")
    assert answer.status_code == 405 and answer.headers["content-type"] == "application/problem+json"


def test_csrf_is_required_for_cookie_writes(module_world: Any) -> None:
    client = module_world.session("enterprise_manager")
    token = client.headers.pop("X-CSRF-Token")
    body = {"enterprise": "xg-steel", "ids": [999999]}
    refused = client.post("/api/v1/quarantine/replay", json=body)
    assert refused.status_code == 403 and "anti-forgery" in refused.json()["detail"]
    wrong = client.post("/api/v1/quarantine/replay", json=body, headers={"X-CSRF-Token": token[:-1] + "x"})
    assert wrong.status_code == 403
    assert client.get("/api/v1/session/me").json()["csrf_token"] == token  # reads need no token
    accepted = client.post("/api/v1/quarantine/replay", json=body, headers={"X-CSRF-Token": token})
    assert accepted.status_code == 200 and accepted.json()["examined"] == 0
    form = client.post("/api/v1/session/logout", data={"csrf_token": token})
    assert form.status_code == 204
    assert client.get("/api/v1/session/me").status_code == 401


def test_bearer_requests_need_no_csrf(module_world: Any) -> None:
    answer = module_world.client("enterprise_manager").post(
        "/api/v1/quarantine/replay", json={"enterprise": "xg-steel", "ids": [999999]}
    )
    assert answer.status_code == 200


def test_device_tokens_cannot_read(module_world: Any) -> None:
    answer = module_world.client("device").get("/api/v1/enterprises")
    assert answer.status_code == 403 and "device token may only send readings" in answer.json()["detail"]


def test_docs_page_has_no_scripts_and_lists_every_endpoint(module_world: Any) -> None:
    client = module_world.client()
    page = client.get("/api/v1/docs")
    assert (
        page.status_code == 200
        and "<script" not in page.text
        and "http" not in page.text.split("<body>")[1].split("openapi.json")[0]
    )
    spec = client.get("/api/v1/openapi.json").json()
    for path in spec["paths"]:
        assert path in page.text
    assert spec["info"]["title"] == "shuixiao API"


def test_create_app_refuses_an_old_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/empty.db"
    with Store.open(url) as store, pytest.raises(SchemaVersionError, match="shuixiao db upgrade"):
        create_app(Settings(data_dir=tmp_path, database_url=url), store=store)
    with pytest.raises(SchemaVersionError):
        create_app(Settings(data_dir=tmp_path, database_url=url))


def test_create_app_opens_and_closes_its_own_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/own.db"
    with Store.open(url) as store:
        store.upgrade()
    app = create_app(Settings(data_dir=tmp_path, database_url=url))
    with TestClient(app) as client:
        assert client.get("/api/v1/health").status_code == 200
    with pytest.raises(StorageError, match="is closed"):
        app.state.store.schema_version()


def test_a_running_server_keeps_its_start_up_objects_out_of_collections(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/frozen.db"
    with Store.open(url) as store:
        store.upgrade()
        app = create_app(Settings(data_dir=tmp_path, database_url=url), store=store)
        assert gc.get_freeze_count() == 0
        with TestClient(app) as client:
            assert gc.get_freeze_count() > 0
            assert client.get("/api/v1/health").status_code == 200
        assert gc.get_freeze_count() == 0
