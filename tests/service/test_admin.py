"""Writes: users, API tokens, device tokens, grants, quarantine replay; each audited."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration


def _audit(world: Any, action: str) -> list[dict[str, Any]]:
    answer = world.client("admin").get("/api/v1/audit", params={"action": action})
    assert answer.status_code == 200
    return list(answer.json()["items"])


def test_users_create_read_update_disable(world: Any, test_password: str) -> None:
    admin = world.client("admin")
    body = {
        "login": "new-viewer",
        "name": "新用户",
        "password": test_password,
        "role": "enterprise_viewer",
        "scope_kind": "enterprise",
        "scope_id": "xg-steel",
        "language": "en",
    }
    created = admin.post("/api/v1/users", json=body)
    assert created.status_code == 201 and created.json()["language"] == "en"
    assert admin.post("/api/v1/users", json=body).status_code == 422  # taken
    weak = admin.post("/api/v1/users", json=body | {"login": "weak", "password": "short"})
    assert weak.status_code == 422 and "at least 12 characters" in weak.json()["detail"]
    bad_scope = admin.post(
        "/api/v1/users", json=body | {"login": "bad", "scope_kind": "park", "scope_id": "xt-jiuhua"}
    )
    assert bad_scope.status_code == 422
    assert (
        admin.post("/api/v1/users", json=body | {"login": "nope", "scope_id": "no-plant"}).status_code == 404
    )
    assert admin.get("/api/v1/users/new-viewer").json()["name"] == "新用户"
    assert "new-viewer" in [u["login"] for u in admin.get("/api/v1/users").json()["items"]]
    assert [u["login"] for u in admin.get("/api/v1/users", params={"role": "auditor"}).json()["items"]] == [
        "auditor"
    ]

    session = world.client()
    login = session.post("/api/v1/session/login", json={"login": "new-viewer", "password": test_password})
    assert login.status_code == 200
    changed = admin.patch("/api/v1/users/new-viewer", json={"name": "改名", "role": "enterprise_manager"})
    assert changed.json()["role"] == "enterprise_manager" and changed.json()["scope_id"] == "xg-steel"
    assert admin.patch("/api/v1/users/new-viewer", json={"role": "park_operator"}).status_code == 422
    assert admin.patch("/api/v1/users/new-viewer", json={"active": False}).json()["active"] is False
    assert session.get("/api/v1/session/me").status_code == 401  # disabling ends its sessions
    assert (
        world.client()
        .post("/api/v1/session/login", json={"login": "new-viewer", "password": test_password})
        .status_code
        == 401
    )
    actions = [e["action"] for e in _audit(world, "user.")]
    assert actions == ["user.update", "user.update", "user.create"]


def test_password_change_ends_sessions(world: Any) -> None:
    session = world.session("enterprise_viewer")
    admin = world.client("admin")
    assert admin.patch("/api/v1/users/enterprise-viewer", json={"password": "short"}).status_code == 422
    assert (
        admin.patch(
            "/api/v1/users/enterprise-viewer", json={"password": "another long passphrase"}
        ).status_code
        == 200
    )
    assert session.get("/api/v1/session/me").status_code == 401
    fresh = world.client().post(
        "/api/v1/session/login", json={"login": "enterprise-viewer", "password": "another long passphrase"}
    )
    assert fresh.status_code == 200
    assert _audit(world, "user.update")[0]["detail"] == {"password": "changed"}


def test_last_administrator_stays(world: Any) -> None:
    admin = world.client("admin")
    answer = admin.patch("/api/v1/users/admin", json={"active": False})
    assert answer.status_code == 422 and "last active administrator" in answer.json()["detail"]
    assert admin.patch("/api/v1/users/admin", json={"role": "auditor"}).status_code == 422


def test_api_token_issue_use_revoke(world: Any) -> None:
    admin = world.client("admin")
    issued = admin.post("/api/v1/tokens", json={"login": "regulator", "name": "dashboard", "days": 30})
    assert issued.status_code == 201
    token = issued.json()["token"]
    assert token.startswith("sxa_") and issued.json()["expires"] is not None
    client = world.client()
    client.headers["Authorization"] = f"Bearer {token}"
    assert client.get("/api/v1/session/me").json()["user"]["login"] == "regulator"
    listed = admin.get("/api/v1/tokens", params={"login": "regulator"}).json()["items"]
    assert [t["name"] for t in listed] == ["dashboard", "regulator-token"] and all(
        t["token"] is None for t in listed
    )
    revoked = admin.delete(f"/api/v1/tokens/{issued.json()['id']}")
    assert revoked.json()["revoked_at"] is not None
    assert client.get("/api/v1/session/me").status_code == 401  # revoked at once
    assert admin.delete("/api/v1/tokens/99999").status_code == 404
    assert [e["action"] for e in _audit(world, "token.")] == ["token.revoke", "token.create"]


def test_tokens_of_disabled_users_stop(world: Any) -> None:
    client = world.client("auditor")
    assert client.get("/api/v1/session/me").status_code == 200
    world.client("admin").patch("/api/v1/users/auditor", json={"active": False})
    assert client.get("/api/v1/session/me").status_code == 401


def test_device_tokens_by_the_enterprise_manager(world: Any) -> None:
    manager = world.client("enterprise_manager")
    issued = manager.post(
        "/api/v1/device-tokens",
        json={"name": "gw-7", "enterprise": "xg-steel", "device": "gw-7", "meters": ["FT-101"]},
    )
    assert issued.status_code == 201 and issued.json()["token"].startswith("sxd_")
    assert issued.json()["meters"] == ["FT-101"]
    assert (
        manager.post(
            "/api/v1/device-tokens", json={"name": "x", "enterprise": "xg-steel", "meters": ["NOPE"]}
        ).status_code
        == 404
    )
    listed = manager.get("/api/v1/device-tokens").json()["items"]
    assert {t["name"] for t in listed} == {"gw-7", "device"}
    assert world.client("enterprise_viewer").get("/api/v1/device-tokens").status_code == 403
    assert manager.delete(f"/api/v1/device-tokens/{issued.json()['id']}").json()["revoked_at"] is not None
    gone = world.client()
    gone.headers["Authorization"] = f"Bearer {issued.json()['token']}"
    reading = {"readings": [{"meter": "FT-101", "ts": 1735776000, "value": 5000.0}]}
    assert gone.post("/api/v1/ingest/readings", json=reading).status_code == 401
    entries = _audit(world, "device_token.")
    assert [e["action"] for e in entries] == ["device_token.revoke", "device_token.create"]
    assert all(e["enterprise"] == "xg-steel" for e in entries)


def test_grants_open_and_close_a_providers_view(world: Any) -> None:
    manager = world.client("enterprise_manager")
    provider = world.client("service_provider")
    admin = world.client("admin")
    admin.post(
        "/api/v1/users",
        json={
            "login": "water-saver",
            "name": "节水公司",
            "password": "correct horse battery staple",
            "role": "service_provider",
            "scope_kind": "platform",
        },
    )
    granted = manager.post(
        "/api/v1/enterprises/xg-steel/grants", json={"provider": "water-saver", "note": "合同 2025-07"}
    )
    assert granted.status_code == 201 and granted.json()["granted_by"] == "enterprise-manager"
    assert (
        manager.post("/api/v1/enterprises/xg-steel/grants", json={"provider": "regulator"}).status_code == 422
    )
    history = manager.get("/api/v1/enterprises/xg-steel/grants").json()["items"]
    assert {g["provider"] for g in history} == {"water-saver", "service-provider"}
    assert [g["provider"] for g in provider.get("/api/v1/enterprises/xg-steel/grants").json()["items"]] == [
        "service-provider"
    ]
    assert provider.get("/api/v1/enterprises/xg-steel").status_code == 200
    revoked = manager.delete(f"/api/v1/enterprises/xg-steel/grants/{world.ids['a_grant']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_by"] == "enterprise-manager"
    assert provider.get("/api/v1/enterprises/xg-steel").status_code == 404
    assert provider.get("/api/v1/enterprises").json()["total"] == 0
    kept = manager.get("/api/v1/enterprises/xg-steel/grants", params={"active": False}).json()["items"]
    assert [g["provider"] for g in kept] == ["service-provider"]  # revoked, kept as history
    assert (
        world.client("enterprise_viewer")
        .post("/api/v1/enterprises/xg-steel/grants", json={"provider": "water-saver"})
        .status_code
        == 403
    )
    assert manager.delete("/api/v1/enterprises/xg-steel/grants/99999").status_code == 404
    assert [e["action"] for e in _audit(world, "grant.") if e["enterprise"] == "xg-steel"] == [
        "grant.revoke",
        "grant.create",
    ]


def test_replay_by_a_writer_is_audited(world: Any) -> None:
    store = world.store
    from shuixiao.model import Meter, MeterKind

    enterprise = store.load_enterprise("xg-steel")
    meters = (*enterprise.meters, Meter("ZZ-A", MeterKind.RATE, "flow_rate", "m³/h", 2, flow="f-loop"))
    store.save_enterprise(enterprise.__class__(**{**enterprise.__dict__, "meters": meters}), replace=True)
    answer = world.client("enterprise_manager").post(
        "/api/v1/quarantine/replay", json={"enterprise": "xg-steel"}
    )
    assert answer.status_code == 200
    assert answer.json() | {"reasons": {}} == {
        "examined": 1,
        "accepted": 1,
        "duplicate": 0,
        "rejected": 0,
        "not_replayable": 0,
        "reasons": {},
    }
    assert world.client("enterprise_viewer").get("/api/v1/quarantine").json()["total"] == 0
    entry = _audit(world, "quarantine.replay")[0]
    assert entry["actor"] == "enterprise-manager" and entry["detail"]["accepted"] == 1


def test_audit_log_for_admins_and_scoped_auditors(world: Any) -> None:
    world.client().post("/api/v1/session/login", json={"login": "regulator", "password": "wrong wrong wrong"})
    admin = world.client("admin").get("/api/v1/audit").json()
    assert {e["action"] for e in admin["items"]} >= {"login", "grant.create"}
    failures = (
        world.client("admin").get("/api/v1/audit", params={"action": "login", "outcome": "failure"}).json()
    )
    assert failures["items"][0]["target"] == "regulator" and failures["items"][0]["client_ip"] == "testclient"
    auditor = world.client("auditor").get("/api/v1/audit").json()
    assert all(e["enterprise"] == "xg-steel" for e in auditor["items"])
    assert world.client("auditor").get("/api/v1/audit", params={"enterprise": "sz-steel"}).status_code == 404
    for role in ("regulator", "enterprise_manager", "service_provider"):
        assert world.client(role).get("/api/v1/audit").status_code == 403
    rows = world.client("admin").get("/api/v1/audit", params={"format": "csv", "lang": "en"}).text
    assert rows.lstrip("\ufeff").startswith(
        "ID,Time,Actor,Action,Target,Enterprise,Outcome,Client address,Detail"
    )
