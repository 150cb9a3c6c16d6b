"""Logins, rate limiting, sessions, argon2, visibility and write rights (shuixiao.service.auth)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from shuixiao.errors import AuthenticationError, InvalidInputError, NotFoundError
from shuixiao.service import load_policy
from shuixiao.service._secrets import hash_password, needs_rehash, token_hash, verify_password
from shuixiao.service.auth import (
    LOGIN_FAILED,
    Principal,
    Role,
    authenticate,
    can_write,
    check_scope,
    close_session,
    open_session,
    visible_enterprises,
)
from shuixiao.storage import AccountStore
from shuixiao.storage.accounts import user_sessions

pytestmark = pytest.mark.integration


def _principal(role: str, kind: str = "platform", scope: str | None = None) -> Principal:
    return Principal(1, "x", "x", Role(role), kind, scope, "zh")  # type: ignore[arg-type]


def test_password_hashes_are_argon2id_with_the_policy_parameters() -> None:
    policy = load_policy()
    digest = hash_password("a long enough passphrase")
    assert digest.startswith(
        f"$argon2id$v=19$m={policy.argon2_memory_cost},t={policy.argon2_time_cost},p={policy.argon2_parallelism}$"
    )
    assert verify_password(digest, "a long enough passphrase")
    assert not verify_password(digest, "a long enough passphrasE")
    assert not verify_password("not a hash", "x")
    assert not needs_rehash(digest)
    weaker = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$" + "A" * 43
    assert needs_rehash(weaker) and needs_rehash("garbage")


def test_password_policy_is_enforced() -> None:
    policy = load_policy()
    with pytest.raises(InvalidInputError, match=f"at least {policy.password_min_length} characters"):
        hash_password("short")
    with pytest.raises(InvalidInputError, match=f"at most {policy.password_max_length}"):
        hash_password("x" * (policy.password_max_length + 1))


def test_login_success_failure_and_audit(world: Any, test_password: str) -> None:
    store = world.store
    principal = authenticate(store, " Enterprise-Manager ", test_password, "10.0.0.1")
    assert (principal.login, principal.role, principal.scope_id) == (
        "enterprise-manager",
        Role.ENTERPRISE_MANAGER,
        "xg-steel",
    )
    for login, password in (("enterprise-manager", "wrong password!!"), ("nobody", test_password), ("", "")):
        with pytest.raises(AuthenticationError) as caught:
            authenticate(store, login, password, "10.0.0.1")
        assert str(caught.value) == LOGIN_FAILED
    entries, total = AccountStore(store).list_audit(action="login")
    assert total == 4
    reasons = [(e.target, e.outcome, e.detail.get("reason")) for e in reversed(entries)]
    assert reasons == [
        ("enterprise-manager", "success", None),
        ("enterprise-manager", "failure", "wrong_password"),
        ("nobody", "failure", "unknown_login"),
        ("", "failure", "unknown_login"),
    ]
    assert AccountStore(store).get_user("enterprise-manager").last_login is not None


def test_disabled_user_cannot_log_in(world: Any, test_password: str) -> None:
    accounts = AccountStore(world.store)
    accounts.update_user(accounts.get_user("enterprise-viewer").id, active=False)
    with pytest.raises(AuthenticationError):
        authenticate(world.store, "enterprise-viewer", test_password, None)
    entries, _ = accounts.list_audit(action="login", outcome="failure")
    assert entries[0].detail == {"reason": "disabled"}


def test_rate_limit_per_login_and_per_address(world: Any, test_password: str) -> None:
    policy = load_policy()
    store = world.store
    for _ in range(policy.login_failures_per_login):
        with pytest.raises(AuthenticationError):
            authenticate(store, "auditor", "wrong password!!", f"10.1.0.{_}")
    with pytest.raises(AuthenticationError):  # the right password, but the login is locked
        authenticate(store, "auditor", test_password, "10.9.9.9")
    entries, _ = AccountStore(store).list_audit(action="login", outcome="rate_limited")
    assert [e.target for e in entries] == ["auditor"]
    assert (
        authenticate(store, "regulator", test_password, "10.9.9.9").login == "regulator"
    )  # others unaffected

    for n in range(policy.login_failures_per_ip):
        with pytest.raises(AuthenticationError):
            authenticate(store, f"guess-{n}", "whatever password", "192.0.2.7")
    with pytest.raises(AuthenticationError):
        authenticate(store, "regulator", test_password, "192.0.2.7")
    assert authenticate(store, "regulator", test_password, "192.0.2.8").login == "regulator"


def test_rate_limit_window_slides(world: Any, test_password: str) -> None:
    policy = load_policy()
    accounts = AccountStore(world.store)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=policy.login_window + 60)
    for _ in range(policy.login_failures_per_login):
        accounts.audit(None, "login", "auditor", {"reason": "wrong_password"}, "10.0.0.1", "failure", now=old)
    assert authenticate(world.store, "auditor", test_password, "10.0.0.1").login == "auditor"


def test_sessions_store_only_the_hash_and_close(world: Any) -> None:
    principal = authenticate(world.store, "enterprise-viewer", "correct horse battery staple", None)
    tokens = open_session(world.store, principal, lifetime=3600)
    assert tokens.session.startswith("sxs_") and len(tokens.csrf) >= 40
    with world.store.transaction("reading sessions") as connection:
        stored = connection.execute(sa.select(user_sessions.c.token_hash, user_sessions.c.csrf_token)).all()
    assert stored == [(token_hash(tokens.session), tokens.csrf)]
    assert tokens.session not in str(stored)
    close_session(world.store, tokens.session)
    assert AccountStore(world.store).session(token_hash(tokens.session)) is None
    for lifetime in (0, -60):
        with pytest.raises(InvalidInputError, match="session_lifetime"):
            open_session(world.store, principal, lifetime=lifetime)


def test_session_expiry_and_idle_timeout(world: Any) -> None:
    client = world.session("enterprise-viewer".replace("-", "_"))
    assert client.get("/api/v1/session/me").status_code == 200
    with world.store.transaction("aging sessions", write=True) as connection:
        connection.execute(sa.update(user_sessions).values(last_seen=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)))
    assert client.get("/api/v1/session/me").status_code == 401  # idle too long
    client = world.session("enterprise_viewer")
    with world.store.transaction("ending sessions", write=True) as connection:
        connection.execute(sa.update(user_sessions).values(expires=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)))
    assert client.get("/api/v1/session/me").status_code == 401  # past its lifetime
    with world.store.transaction("counting sessions") as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(user_sessions)).scalar_one() == 0


def test_visible_enterprises_per_role(world: Any) -> None:
    store = world.store
    expected = {
        ("admin", "platform", None): {"xg-steel", "sz-steel"},
        ("regulator", "platform", None): {"xg-steel", "sz-steel"},
        ("regulator", "region", "cn-hn"): {"xg-steel"},
        ("regulator", "region", "cn-gd-sz"): {"sz-steel"},
        ("park_operator", "park", "sz-park"): {"sz-steel"},
        ("enterprise_viewer", "enterprise", "xg-steel"): {"xg-steel"},
        ("auditor", "region", "cn-gd"): {"sz-steel"},
        ("device", "enterprise", "xg-steel"): set(),
    }
    for (role, kind, scope), wanted in expected.items():
        assert visible_enterprises(store, _principal(role, kind, scope)) == wanted, role
    provider = AccountStore(store).get_user("service-provider")
    principal = Principal(
        provider.id, provider.login, provider.name, Role.SERVICE_PROVIDER, "platform", None, "zh"
    )
    assert visible_enterprises(store, principal) == {"xg-steel"}
    AccountStore(store).revoke_grant(world.ids["a_grant"], "admin")
    assert visible_enterprises(store, principal) == set()


@pytest.mark.unit
def test_only_administrators_and_the_own_manager_write() -> None:
    assert can_write(_principal("admin"), "anything")
    assert can_write(_principal("enterprise_manager", "enterprise", "a"), "a")
    assert not can_write(_principal("enterprise_manager", "enterprise", "a"), "b")
    for role, kind in (
        ("regulator", "platform"),
        ("park_operator", "park"),
        ("enterprise_viewer", "enterprise"),
        ("auditor", "platform"),
        ("service_provider", "platform"),
        ("device", "enterprise"),
    ):
        assert not can_write(_principal(role, kind, "a"), "a"), role


def test_roles_take_only_their_scopes(world: Any) -> None:
    store = world.store
    assert check_scope(store, "regulator", "region", "cn-hn") == (Role.REGULATOR, "region")
    with pytest.raises(InvalidInputError, match="unknown role 'boss'"):
        check_scope(store, "boss", "platform", None)
    with pytest.raises(InvalidInputError, match="devices are not users"):
        check_scope(store, "device", "enterprise", "xg-steel")
    with pytest.raises(InvalidInputError, match="takes a scope of kind enterprise"):
        check_scope(store, "enterprise_viewer", "park", "xt-jiuhua")
    with pytest.raises(InvalidInputError, match="takes no id"):
        check_scope(store, "admin", "platform", "x")
    with pytest.raises(NotFoundError, match="no park 'nowhere'"):
        check_scope(store, "park_operator", "park", "nowhere")
