"""AccountStore on SQLite and PostgreSQL: users, sessions, tokens, grants, audit log; migration 0003."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic import command

from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.storage import AccountStore, Store
from shuixiao.storage.store import _alembic_config

pytestmark = pytest.mark.integration

T0 = dt.datetime(2025, 3, 1, 8, tzinfo=dt.UTC)
TABLES = {"users", "user_sessions", "api_tokens", "device_tokens", "provider_grants", "audit_log"}


def test_users(store: Store) -> None:
    accounts = AccountStore(store)
    user = accounts.create_user(
        "li.lei", "李雷", "$argon2id$hash", "regulator", "region", "cn-hn", "en", now=T0
    )
    assert (user.login, user.role, user.scope_id, user.language, user.active) == (
        "li.lei",
        "regulator",
        "cn-hn",
        "en",
        True,
    )
    assert user.created == T0 and user.password_changed == T0 and user.last_login is None
    with pytest.raises(InvalidInputError, match="login 'li.lei' is taken"):
        accounts.create_user("li.lei", "x", "h", "admin", "platform", None)
    assert accounts.get_user("li.lei") == accounts.get_user(user.id) == user
    assert accounts.credentials("li.lei") == (user, "$argon2id$hash")
    assert accounts.credentials("nobody") is None
    with pytest.raises(NotFoundError, match="no user 'nobody'"):
        accounts.get_user("nobody")
    accounts.create_user("han.meimei", "韩梅梅", "h", "admin", "platform", None)
    assert [u.login for u in accounts.list_users()] == ["han.meimei", "li.lei"]
    assert [u.login for u in accounts.list_users(role="admin")] == ["han.meimei"]
    changed = accounts.update_user(user.id, name="李雷雷", active=False)
    assert (changed.name, changed.active) == ("李雷雷", False)
    with pytest.raises(InvalidInputError, match="cannot change"):
        accounts.update_user(user.id, password_hash="x")
    accounts.record_login(user.id, now=T0)
    assert accounts.get_user(user.id).last_login == T0
    accounts.set_password(user.id, "$argon2id$new", now=T0 + dt.timedelta(days=1))
    assert accounts.credentials("li.lei")[1] == "$argon2id$new"  # type: ignore[index]
    with pytest.raises(NotFoundError):
        accounts.set_password(999, "x")


def test_sessions_end_with_password_change_and_disabling(store: Store) -> None:
    accounts = AccountStore(store)
    user = accounts.create_user("a", "A", "h", "admin", "platform", None)
    accounts.add_session("f" * 64, user.id, "csrf", T0 + dt.timedelta(hours=12), "10.0.0.1", now=T0)
    record = accounts.session("f" * 64)
    assert record is not None and record.user == user and record.csrf_token == "csrf"
    assert (record.created, record.last_seen, record.expires) == (T0, T0, T0 + dt.timedelta(hours=12))
    accounts.touch_session("f" * 64, now=T0 + dt.timedelta(minutes=5))
    assert accounts.session("f" * 64).last_seen == T0 + dt.timedelta(minutes=5)  # type: ignore[union-attr]
    accounts.set_password(user.id, "h2")
    assert accounts.session("f" * 64) is None
    accounts.add_session("e" * 64, user.id, "csrf", T0 + dt.timedelta(hours=12), now=T0)
    accounts.update_user(user.id, active=False)
    assert accounts.session("e" * 64) is None
    accounts.add_session("d" * 64, user.id, "c", T0 + dt.timedelta(hours=1), now=T0)
    accounts.add_session("c" * 64, user.id, "c", T0 + dt.timedelta(days=2), now=T0 + dt.timedelta(days=1))
    assert accounts.session("d" * 64) is None  # expired sessions are swept when one opens
    assert accounts.delete_session("c" * 64) and not accounts.delete_session("c" * 64)


def test_api_and_device_tokens(store: Store) -> None:
    accounts = AccountStore(store)
    user = accounts.create_user("a", "A", "h", "admin", "platform", None)
    token = accounts.add_api_token("1" * 64, user.id, "dash", "root", T0 + dt.timedelta(days=30), now=T0)
    assert (token.login, token.name, token.created_by, token.revoked_at) == ("a", "dash", "root", None)
    found = accounts.api_token("1" * 64)
    assert found is not None and found == (token, user)
    assert accounts.api_token("2" * 64) is None
    revoked = accounts.revoke_api_token(token.id, now=T0)
    assert revoked.revoked_at == T0 and accounts.revoke_api_token(token.id).revoked_at == T0  # stays
    assert accounts.list_api_tokens(user.id) == [revoked]
    with pytest.raises(NotFoundError):
        accounts.revoke_api_token(99)
    device = accounts.add_device_token(
        "3" * 64, "gw-1", "xg-steel", "root", device="gw-1", meters=["FT-2", "FT-1", "FT-1"]
    )
    assert device.meters == ("FT-1", "FT-2") and device.device == "gw-1"
    every = accounts.add_device_token("4" * 64, "gw-2", "xg-steel", "root")
    assert every.meters is None
    assert [d.name for d in accounts.list_device_tokens("xg-steel")] == ["gw-2", "gw-1"]
    assert accounts.list_device_tokens("other") == []
    accounts.touch_token("device", device.id, now=T0)
    assert accounts.device_token("3" * 64).last_used == T0  # type: ignore[union-attr]
    assert accounts.revoke_device_token(device.id, now=T0).revoked_at == T0
    with pytest.raises(NotFoundError):
        accounts.revoke_device_token(99)
    with store.transaction("deleting the user", write=True) as connection:
        connection.execute(sa.text("DELETE FROM users"))
    assert accounts.list_api_tokens() == []  # tokens go with their user


def test_grants_keep_their_history(store: Store) -> None:
    accounts = AccountStore(store)
    provider = accounts.create_user("p", "P", "h", "service_provider", "platform", None)
    grant = accounts.add_grant("xg-steel", provider.id, "manager", "contract 7", now=T0)
    assert accounts.add_grant("xg-steel", provider.id, "manager") == grant  # an active grant is reused
    assert accounts.granted_enterprises(provider.id) == {"xg-steel"}
    revoked = accounts.revoke_grant(grant.id, "manager", now=T0 + dt.timedelta(days=1))
    assert revoked.revoked_by == "manager" and accounts.granted_enterprises(provider.id) == frozenset()
    again = accounts.add_grant("xg-steel", provider.id, "manager")
    assert again.id != grant.id
    assert [g.id for g in accounts.list_grants(enterprise="xg-steel")] == [again.id, grant.id]
    assert [g.id for g in accounts.list_grants(active=False)] == [grant.id]
    assert accounts.list_grants(provider_id=provider.id, active=True)[0].provider == "p"
    with pytest.raises(NotFoundError):
        accounts.revoke_grant(999, "x")


def test_audit_log(store: Store) -> None:
    accounts = AccountStore(store)
    first = accounts.audit(
        None, "login", "li.lei", {"reason": "wrong_password"}, "10.0.0.1", "failure", now=T0
    )
    accounts.audit(
        "li.lei", "grant.create", "p", {"grant": 1}, "10.0.0.1", "success", enterprise="xg-steel", now=T0
    )
    accounts.audit("han", "user.create", "x", None, None, "success", now=T0 + dt.timedelta(hours=1))
    entries, total = accounts.list_audit()
    assert total == 3 and [e.action for e in entries] == ["user.create", "grant.create", "login"]
    assert (
        entries[2].id == first and entries[2].detail == {"reason": "wrong_password"} and entries[2].at == T0
    )
    assert accounts.list_audit(enterprises=frozenset({"xg-steel"}))[1] == 1
    assert accounts.list_audit(action="user.")[1] == 1 and accounts.list_audit(actor="han")[1] == 1
    assert accounts.list_audit(start=T0 + dt.timedelta(minutes=30))[1] == 1
    assert accounts.list_audit(end=T0 + dt.timedelta(minutes=30), outcome="failure")[1] == 1
    page, total = accounts.list_audit(limit=1, offset=1)
    assert total == 3 and [e.action for e in page] == ["grant.create"]
    assert accounts.count_failures("login", T0, target="li.lei") == 1
    assert accounts.count_failures("login", T0, ip="10.0.0.1") == 1
    assert accounts.count_failures("login", T0 + dt.timedelta(seconds=1), target="li.lei") == 0
    with pytest.raises(InvalidInputError, match="outcome 'maybe'"):
        accounts.audit(None, "x", None, None, None, "maybe")
    with pytest.raises(InvalidInputError, match="JSON-compatible"):
        accounts.audit(None, "x", None, {"v": float("nan")}, None, "success")


def test_migration_0003_goes_down_and_up(store: Store) -> None:
    AccountStore(store).create_user("a", "A", "h", "admin", "platform", None)
    with store._engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "0002")
        assert not TABLES & set(sa.inspect(connection).get_table_names())
        command.upgrade(_alembic_config(connection), "0003")
        assert TABLES <= set(sa.inspect(connection).get_table_names())
    store.upgrade()
    store.check_schema()
    assert AccountStore(store).list_users() == []
