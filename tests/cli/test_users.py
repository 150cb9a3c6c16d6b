"""``shuixiao users``: add, list, passwd, disable, token, device-token, grant, revoke, demo."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path
from typing import Any

import pytest

from shuixiao.service._secrets import token_hash, verify_password
from shuixiao.storage import AccountStore, Store

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text + "\n"))


def _store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path}/data/shuixiao.db")


@pytest.fixture
def demo(run: Any) -> Any:
    """A data directory with a small demo park."""
    assert run("db", "upgrade")[0] == 0
    assert run("demo", "build", "--enterprises", "2", "--days", "2")[0] == 0
    return run


def test_add_list_passwd_disable(demo: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    run = demo
    _stdin(monkeypatch, PASSWORD)
    status, out, _ = run(
        "users",
        "add",
        "zhang.san",
        "--role",
        "regulator",
        "--scope",
        "region:hunan",
        "--name",
        "张三",
        "--password-stdin",
    )
    assert status == 0 and "已添加用户 zhang.san" in out
    _stdin(monkeypatch, PASSWORD)
    status, _, err = run("users", "add", "zhang.san", "--role", "admin", "--password-stdin")
    assert status == 1 and "is taken" in err
    _stdin(monkeypatch, "short")
    status, _, err = run("users", "add", "li.si", "--role", "admin", "--password-stdin")
    assert status == 1 and "at least 12 characters" in err
    _stdin(monkeypatch, PASSWORD)
    status, _, err = run(
        "users", "add", "li.si", "--role", "park_operator", "--scope", "park:nowhere", "--password-stdin"
    )
    assert status == 1 and "no park 'nowhere'" in err
    status, out, _ = run("--lang", "en", "users", "list")
    assert status == 0 and "zhang.san" in out and "region:hunan" in out and "Users" in out
    listed = json.loads(run("users", "list", "--json")[1])
    assert [u["login"] for u in listed] == ["zhang.san"]
    _stdin(monkeypatch, "a brand new passphrase")
    assert run("users", "passwd", "zhang.san", "--password-stdin")[0] == 0
    with _store(tmp_path) as store:
        found = AccountStore(store).credentials("zhang.san")
        assert found is not None and verify_password(found[1], "a brand new passphrase")
    status, out, _ = run("users", "disable", "zhang.san")
    assert status == 0 and "已停用" in out
    assert run("users", "disable", "zhang.san", "--enable")[0] == 0
    with _store(tmp_path) as store:
        assert AccountStore(store).get_user("zhang.san").active
        entries, _ = AccountStore(store).list_audit()
        assert {e.action for e in entries} == {"user.create", "user.password", "user.update"}
        assert all(e.actor and e.actor.startswith("cli") for e in entries)


def test_tokens_grants_and_revocation(demo: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    run = demo
    _stdin(monkeypatch, PASSWORD)
    run("users", "add", "saver", "--role", "service_provider", "--password-stdin")
    status, out, _ = run("users", "token", "saver", "--name", "reports", "--days", "7")
    assert status == 0
    token = next(word for word in out.split() if word.startswith("sxa_"))
    with _store(tmp_path) as store:
        found = AccountStore(store).api_token(token_hash(token))
        assert found is not None and found[0].expires is not None
    assert "reports" in run("users", "token", "--list")[1]
    assert run("users", "token", "--revoke", str(found[0].id))[0] == 0
    status, _, err = run("users", "token", "saver")
    assert status == 1 and "--name" in err
    status, out, _ = run(
        "users", "device-token", "--enterprise", "ronghu-steel", "--name", "gw-9", "--meter", "FT-1001"
    )
    assert status == 0 and "sxd_" in out
    status, _, err = run(
        "users", "device-token", "--enterprise", "ronghu-steel", "--name", "x", "--meter", "NOPE"
    )
    assert status == 1 and "has no meter NOPE" in err
    assert "gw-9" in run("users", "device-token", "--list", "--enterprise", "ronghu-steel")[1]
    status, out, _ = run("users", "grant", "ronghu-steel", "saver", "--note", "合同")
    assert status == 0 and "saver" in out
    status, out, _ = run("users", "revoke", "ronghu-steel", "saver")
    assert status == 0 and "1" in out
    with _store(tmp_path) as store:
        grants = AccountStore(store).list_grants(enterprise="ronghu-steel")
        assert len(grants) == 1 and grants[0].revoked_at is not None
    status, _, err = run("users", "grant", "ronghu-steel", "nobody")
    assert status == 1 and "no user 'nobody'" in err


def test_demo_users_are_idempotent_and_private(demo: Any, tmp_path: Path) -> None:
    run = demo
    status, out, _ = run("users", "demo")
    assert status == 0 and "demo-regulator" in out and "region:hunan" in out and "sxd_" in out
    first = json.loads(run("users", "demo", "--json")[1])
    second = json.loads(run("users", "demo", "--json")[1])
    assert first == second
    assert {u["role"] for u in first["users"]} == {
        "admin",
        "regulator",
        "park_operator",
        "enterprise_manager",
        "enterprise_viewer",
        "auditor",
        "service_provider",
    }
    kept = tmp_path / "data" / "demo" / "users.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    with _store(tmp_path) as store:
        accounts = AccountStore(store)
        assert len(accounts.list_users()) == 7
        for user in first["users"]:
            stored = accounts.credentials(user["login"])
            assert stored is not None and verify_password(stored[1], user["password"])
        provider = accounts.get_user("demo-provider")
        assert accounts.granted_enterprises(provider.id) == {"yungang-refinery"}
        assert accounts.device_token(token_hash(first["device_token"])) is not None


def test_demo_users_need_the_demo_park(run: Any) -> None:
    run("db", "upgrade")
    status, _, err = run("users", "demo")
    assert status == 1 and "shuixiao demo build" in err
