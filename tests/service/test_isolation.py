"""The tenant-isolation matrix: every role × every /api/v1 endpoint × a resource of the other tenant.

The endpoints are read from the application's routes, so a new endpoint joins the matrix by
itself; one whose parameters or body the matrix cannot fill makes :func:`test_every_route_is_covered`
fail until it is described here.  Every request targets tenant B from tenant A's side and must be
answered 401 (anonymous), 403 or 404, and never with B's data (the markers of the conftest).  Lists
without a path parameter may answer 200, filtered to what the principal may see.  As a control, an
administrator reads every one of B's resources with 200, so the 404s are not accidents of wrong ids.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration

PUBLIC = {("GET", "/api/v1/health"), ("POST", "/api/v1/session/login")}
"""Endpoints that need no login; they hold no tenant data."""

ROLES = [
    None,
    "regulator",
    "park_operator",
    "enterprise_manager",
    "enterprise_viewer",
    "auditor",
    "service_provider",
    "device",
]
"""Tenant A's side (None: anonymous); the administrator is the control, not a tenant."""

B_FILTERS = {
    "enterprise": "sz-steel",
    "region": "cn-gd",
    "park": "sz-park",
    "login": "b-manager",
    "meter": "FT-101",
}


def _bodies(password: str) -> dict[tuple[str, str], Any]:
    """A body aimed at tenant B for every endpoint that takes one."""
    reading = {"meter": "FT-101", "ts": 1735689600, "value": 1.0}
    return {
        ("POST", "/api/v1/quarantine/replay"): {"enterprise": "sz-steel"},
        ("POST", "/api/v1/ingest/readings"): {"enterprise": "sz-steel", "readings": [reading]},
        ("POST", "/api/v1/ingest/batches"): {
            "schema": "shuixiao.batch/1",
            "device": "b_device",
            "readings": [],
        },
        ("POST", "/api/v1/users"): {
            "login": "intruder",
            "name": "x",
            "password": password,
            "role": "enterprise_manager",
            "scope_kind": "enterprise",
            "scope_id": "sz-steel",
        },
        ("PATCH", "/api/v1/users/{login}"): {"active": False},
        ("POST", "/api/v1/tokens"): {"login": "b-manager", "name": "stolen"},
        ("POST", "/api/v1/device-tokens"): {"name": "stolen", "enterprise": "sz-steel"},
        ("POST", "/api/v1/enterprises/{enterprise_id}/grants"): {"provider": "service-provider"},
        ("PUT", "/api/v1/enterprises/{enterprise_id}/plans/{month}"): {"volume": 1.0},
        ("POST", "/api/v1/enterprises/{enterprise_id}/plans"): {
            "plans": [{"month": "2025-02", "volume": 1.0}]
        },
    }


def _path_values(path: str, ids: dict[str, Any]) -> dict[str, Any]:
    """Tenant B's identifiers for the parameters of ``path``."""
    token = ids["b_device_token"] if path.startswith("/api/v1/device-tokens") else ids["b_manager_token"]
    return {
        "enterprise_id": "sz-steel",
        "meter_id": "FT-101",
        "region_id": "cn-gd",
        "park_id": "sz-park",
        "login": "b-manager",
        "token_id": token,
        "grant_id": ids["b_grant"],
        "month": "2025-01",
    }


def _operations(app: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """Every operation of the application's OpenAPI document, by (method, path)."""
    found = {}
    for path, methods in app.openapi()["paths"].items():
        for method, operation in methods.items():
            found[(method.upper(), path)] = operation
    return found


def _routes(app: Any) -> list[tuple[str, str]]:
    return sorted(_operations(app))


def _call(world: Any, role: str | None, method: str, path: str, password: str, *, filtered: bool) -> Any:
    values = _path_values(path, world.ids)
    url = path.format(**{k: v for k, v in values.items() if "{" + k + "}" in path})
    body = _bodies(password).get((method, path))
    params = B_FILTERS if filtered else None
    return world.client(role).request(method, url, json=body, params=params)


def test_every_route_is_covered(module_world: Any, b_markers: tuple[str, ...], test_password: str) -> None:
    routes = _routes(module_world.app)
    assert len(routes) > 25
    bodies = _bodies(test_password)
    for (method, path), operation in _operations(module_world.app).items():
        assert path.startswith("/api/v1/"), path
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert names <= set(_path_values(path, module_world.ids)), f"{method} {path}: fill {names}"
        if "requestBody" in operation and (method, path) not in PUBLIC:
            assert (method, path) in bodies, f"{method} {path} takes a body: describe one aimed at tenant B"
    assert set(bodies) <= set(routes), "a body is described for an endpoint that no longer exists"
    assert PUBLIC <= set(routes)
    assert b_markers


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_other_tenant_is_never_answered(
    module_world: Any, role: str | None, b_markers: tuple[str, ...], test_password: str
) -> None:
    failures = []
    for method, path in _routes(module_world.app):
        if (method, path) in PUBLIC:
            continue
        is_list = method == "GET" and "{" not in path
        for filtered in (True, False) if is_list else (True,):
            answer = _call(module_world, role, method, path, test_password, filtered=filtered)
            allowed = {401} if role is None else {403, 404, 200} if is_list else {403, 404}
            if path == "/api/v1/ingest/batches" and role == "device":
                allowed = {403, 404, 422}  # the notary refuses a batch of a device it does not know
            leaked = [m for m in (*b_markers, *(() if filtered else ("sz-steel",))) if m in answer.text]
            if answer.status_code not in allowed or leaked:
                failures.append(
                    f"{method} {path} (filtered={filtered}): {answer.status_code} {leaked} {answer.text[:160]}"
                )
    assert not failures, "\n".join(failures)


def test_cookie_sessions_are_isolated_too(module_world: Any, b_markers: tuple[str, ...]) -> None:
    client = module_world.session("enterprise_viewer")
    for url in ("/api/v1/enterprises/sz-steel", "/api/v1/enterprises/sz-steel/meters/FT-101/readings"):
        answer = client.get(url)
        assert answer.status_code == 404
        assert not [m for m in b_markers if m in answer.text]
    listed = client.get("/api/v1/enterprises").json()
    assert [e["id"] for e in listed["items"]] == ["xg-steel"]


def test_control_administrator_reads_every_resource_of_the_other_tenant(
    module_world: Any, test_password: str
) -> None:
    admin = module_world.client("admin")
    for method, path in _routes(module_world.app):
        if method != "GET" or "{" not in path:
            continue
        answer = _call(module_world, "admin", method, path, test_password, filtered=True)
        assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text[:200]}"
    detail = admin.get("/api/v1/enterprises/sz-steel").text
    assert "深圳示范钢铁有限公司" in detail
    readings = admin.get("/api/v1/enterprises/sz-steel/meters/FT-101/readings", params={"limit": 1}).text
    assert "777000.5" in readings
