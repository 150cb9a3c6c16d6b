"""Demo accounts: one user per role for the demo park, with random passwords kept in the data directory.

``shuixiao users demo`` calls :func:`ensure_demo_users` after ``shuixiao demo
build``.  Passwords are drawn at random the first time, per data directory, and
kept in ``<data_dir>/demo/users.json`` (mode 0600) so that running it again
prints the same accounts; there is no default password anywhere.  A device
token for the first demo enterprise is kept there too, for the gateway agent.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shuixiao.demo import DemoConfig, enterprise_ids
from shuixiao.errors import NotFoundError
from shuixiao.service._secrets import token_hash, verify_password
from shuixiao.service.accounts import add_user, change_password, grant_provider, issue_device_token
from shuixiao.storage import AccountStore, Store

__all__ = ["DemoAccount", "DemoAccounts", "ensure_demo_users"]


@dataclass(frozen=True)
class DemoAccount:
    """A demo user: login, password, role, scope (``kind:id`` or ``platform``) and display name."""

    login: str
    password: str
    role: str
    scope: str
    name: str


@dataclass(frozen=True)
class DemoAccounts:
    """The demo users, the device token of the demo gateway and the file that keeps them."""

    users: list[DemoAccount]
    device_token: str
    device_enterprise: str
    path: Path


def _plan(store: Store) -> tuple[list[tuple[str, str, str, str | None, str]], str, str]:
    """(login, role, scope kind, scope id, name) of each demo user, the enterprise of the device, the granted one."""
    present = {s.id: s for s in store.list_enterprises()}
    ours = [present[i] for i in enterprise_ids(DemoConfig(enterprises=60)) if i in present]
    if not ours:
        raise NotFoundError("the demo park is not in the database; run `shuixiao demo build` first")
    first, granted = ours[0], ours[min(1, len(ours) - 1)]
    regions = {r.id: r for r in store.list_regions()}
    province = first.region
    while regions[province].parent is not None:
        province = regions[province].parent or province
    park = first.park or ""
    plan = [
        ("demo-admin", "admin", "platform", None, "演示管理员"),
        ("demo-regulator", "regulator", "region", province, "演示监管部门"),
        ("demo-park", "park_operator", "park", park, "演示园区管理方"),
        ("demo-manager", "enterprise_manager", "enterprise", first.id, "演示企业水管员"),
        ("demo-viewer", "enterprise_viewer", "enterprise", first.id, "演示企业查看员"),
        ("demo-auditor", "auditor", "region", province, "演示审计员"),
        ("demo-provider", "service_provider", "platform", None, "演示节水服务机构"),
    ]
    if not park:
        plan = [p for p in plan if p[1] != "park_operator"]
    return plan, first.id, granted.id


def _read(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def _write(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=2)
    os.chmod(path, 0o600)


def ensure_demo_users(store: Store, data_dir: Path) -> DemoAccounts:
    """Create (or repair) one user per role for the demo park; idempotent.

    Parameters
    ----------
    store : Store
        A migrated store holding the demo park.
    data_dir : pathlib.Path
        The instance's data directory; the accounts are kept in ``demo/users.json`` there.

    Returns
    -------
    DemoAccounts

    Raises
    ------
    NotFoundError
        If the demo park has not been built.
    """
    path = data_dir / "demo" / "users.json"
    kept = _read(path)
    passwords: dict[str, str] = dict(kept.get("passwords") or {})
    plan, device_enterprise, granted = _plan(store)
    accounts = AccountStore(store)
    existing = {u.login: u for u in accounts.list_users()}
    users = []
    for login, role, kind, scope_id, name in plan:
        password = passwords.get(login) or secrets.token_urlsafe(12)
        passwords[login] = password
        user = existing.get(login)
        if user is None:
            user = add_user(store, login, name, password, role, kind, scope_id)
        elif accounts.credentials(login) is not None:
            changes = {"role": role, "scope_kind": kind, "scope_id": scope_id, "active": True}
            accounts.update_user(user.id, **changes)
            stored = accounts.credentials(login)
            if stored is None or not verify_password(stored[1], password):
                change_password(store, user.id, password)
        users.append(
            DemoAccount(login, password, role, "platform" if scope_id is None else f"{kind}:{scope_id}", name)
        )
    grant_provider(store, granted, "demo-provider", "demo-admin", "演示授权 / demo grant")
    token = kept.get("device_token")
    known = accounts.device_token(token_hash(token)) if isinstance(token, str) else None
    if known is None or known.revoked_at is not None or known.enterprise != device_enterprise:
        token, _ = issue_device_token(store, "demo-gateway", device_enterprise, "demo-admin")
    assert isinstance(token, str)
    _write(path, {"passwords": passwords, "device_token": token, "device_enterprise": device_enterprise})
    return DemoAccounts(users, token, device_enterprise, path)
