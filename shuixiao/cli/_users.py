"""``shuixiao users``: user accounts, API and device tokens, service-provider grants, demo accounts."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from rich.table import Table

from shuixiao.cli._context import Context
from shuixiao.errors import InvalidInputError
from shuixiao.service.accounts import (
    add_user,
    change_password,
    grant_provider,
    issue_api_token,
    issue_device_token,
    revoke_provider,
)
from shuixiao.service.auth import ROLE_SCOPES
from shuixiao.service.demo_users import ensure_demo_users
from shuixiao.storage import AccountStore

_ROLES = [r.value for r in ROLE_SCOPES]


def _actor() -> str:
    """Who acts, for the audit log: the operating-system user running the command."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def register(nouns: Any) -> None:
    """Add the ``users`` command and its verbs to ``nouns``."""
    users = nouns.add_parser(
        "users",
        help="user accounts, tokens and grants",
        description=(
            "Manage who may use the service: users with a role and a scope, API tokens, device tokens for "
            "ingestion, and service-provider grants. See docs/service.md."
        ),
    )
    verbs = users.add_subparsers(dest="verb", metavar="<verb>", required=True)

    add = verbs.add_parser("add", help="add a user", description="Add a user with a role and a scope.")
    add.add_argument("login", help="login name: lower-case letters, digits, '.', '_', '-'")
    add.add_argument("--role", required=True, choices=_ROLES, help="the user's role")
    add.add_argument(
        "--scope",
        default="platform",
        metavar="KIND[:ID]",
        help="platform (default), region:ID, park:ID or enterprise:ID",
    )
    add.add_argument("--name", help="display name (default: the login)")
    add.add_argument(
        "--language", choices=("zh", "en"), default="zh", help="language of the pages (default zh)"
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of asking",
    )
    add.set_defaults(handler=add_cmd)

    ls = verbs.add_parser("list", help="list users")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(handler=list_cmd)

    passwd = verbs.add_parser("passwd", help="set a user's password (ends its sessions)")
    passwd.add_argument("login")
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    passwd.set_defaults(handler=passwd_cmd)

    disable = verbs.add_parser("disable", help="disable a user (its sessions and tokens stop working)")
    disable.add_argument("login")
    disable.add_argument("--enable", action="store_true", help="enable the user again instead")
    disable.set_defaults(handler=disable_cmd)

    token = verbs.add_parser(
        "token",
        help="issue, list or revoke API tokens",
        description="Issue an API token acting as a user (shown once), list tokens, or revoke one.",
    )
    token.add_argument("login", nargs="?", help="the user the token acts as (issue; filter for --list)")
    token.add_argument("--name", help="what the token is for, e.g. energy-dashboard (issue)")
    token.add_argument("--days", type=int, metavar="N", help="expire after N days (default: never)")
    token.add_argument("--list", action="store_true", help="list tokens instead")
    token.add_argument("--revoke", type=int, metavar="ID", help="revoke the token with this id")
    token.set_defaults(handler=token_cmd)

    device = verbs.add_parser(
        "device-token",
        help="issue, list or revoke device tokens for ingestion",
        description=(
            "Issue a token with which a meter or gateway sends readings to POST /api/v1/ingest/readings, "
            "bound to one enterprise and optionally to a device id and a set of meters (shown once)."
        ),
    )
    device.add_argument("--enterprise", metavar="ID", help="enterprise the device ingests into")
    device.add_argument("--name", help="name of the token, e.g. the gateway's serial number")
    device.add_argument("--device", metavar="ID", help="bind to this gateway or device id")
    device.add_argument(
        "--meter", action="append", metavar="ID", help="bind to this meter (repeat for several)"
    )
    device.add_argument("--days", type=int, metavar="N", help="expire after N days (default: never)")
    device.add_argument("--list", action="store_true", help="list device tokens instead")
    device.add_argument("--revoke", type=int, metavar="ID", help="revoke the device token with this id")
    device.set_defaults(handler=device_cmd)

    grant = verbs.add_parser("grant", help="grant a service provider access to an enterprise")
    grant.add_argument("enterprise", help="enterprise id")
    grant.add_argument("provider", help="login of a service_provider user")
    grant.add_argument("--note", help="why, e.g. the contract number")
    grant.set_defaults(handler=grant_cmd)

    revoke = verbs.add_parser("revoke", help="revoke a service provider's access to an enterprise")
    revoke.add_argument("enterprise", help="enterprise id")
    revoke.add_argument("provider", help="login of the service_provider user")
    revoke.set_defaults(handler=revoke_cmd)

    demo = verbs.add_parser(
        "demo",
        help="create one user per role for the demo park",
        description=(
            "Create (idempotently) one user per role for the demo park built by `shuixiao demo build`, with "
            "random passwords kept in <data_dir>/demo/users.json (mode 0600), and print them."
        ),
    )
    demo.add_argument("--json", action="store_true", help="print JSON")
    demo.set_defaults(handler=demo_cmd)


def _password(ctx: Context, login: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(ctx.t("users.password_prompt", login=login))
    if getpass.getpass(ctx.t("users.password_again")) != first:
        raise InvalidInputError("the two passwords differ; run the command again")
    return first


def _scope(text: str) -> tuple[str, str | None]:
    kind, _, ident = text.partition(":")
    return kind.strip(), ident.strip() or None


def add_cmd(ctx: Context, args: argparse.Namespace) -> int:
    """Add a user."""
    store = ctx.store()
    kind, scope_id = _scope(args.scope)
    password = _password(ctx, args.login, args.password_stdin)
    user = add_user(
        store, args.login, args.name or args.login, password, args.role, kind, scope_id, args.language
    )
    AccountStore(store).audit(
        _actor(), "user.create", user.login, {"role": user.role, "scope": args.scope}, None, "success"
    )
    ctx.out.print(ctx.t("users.added", login=user.login, role=user.role, scope=args.scope))
    return 0


def list_cmd(ctx: Context, args: argparse.Namespace) -> int:
    """List the users."""
    users = AccountStore(ctx.store()).list_users()
    if args.json:
        ctx.print_json([u.__dict__ for u in users])
        return 0
    if not users:
        ctx.out.print(ctx.t("users.none"))
        return 0
    table = Table(title=ctx.t("users.title"))
    for key in ("col.login", "col.name", "col.role", "col.scope", "col.active", "col.last_login"):
        table.add_column(ctx.t(key))
    zone = ctx.settings.zone
    for u in users:
        scope = "platform" if u.scope_id is None else f"{u.scope_kind}:{u.scope_id}"
        last = u.last_login.astimezone(zone).strftime("%Y-%m-%d %H:%M") if u.last_login else "—"
        table.add_row(u.login, u.name, u.role, scope, "✓" if u.active else "✗", last)
    ctx.out.print(table)
    return 0


def passwd_cmd(ctx: Context, args: argparse.Namespace) -> int:
    """Set a user's password."""
    store = ctx.store()
    user = AccountStore(store).get_user(args.login)
    change_password(store, user.id, _password(ctx, user.login, args.password_stdin))
    AccountStore(store).audit(_actor(), "user.password", user.login, {}, None, "success")
    ctx.out.print(ctx.t("users.password_changed", login=user.login))
    return 0


def disable_cmd(ctx: Context, args: argparse.Namespace) -> int:
    """Disable (or enable) a user."""
    accounts = AccountStore(ctx.store())
    user = accounts.update_user(accounts.get_user(args.login).id, active=args.enable)
    accounts.audit(_actor(), "user.update", user.login, {"active": user.active}, None, "success")
    ctx.out.print(ctx.t("users.enabled" if user.active else "users.disabled", login=user.login))
    return 0


def _expiry(ctx: Context, value: Any) -> str:
    return value.astimezone(ctx.settings.zone).strftime("%Y-%m-%d") if value is not None else "—"


def token_cmd(ctx: Context, args: argparse.Namespace) -> int:
    """Issue, list or revoke API tokens."""
    store = ctx.store()
    accounts = AccountStore(store)
    if args.revoke is not None:
        revoked = accounts.revoke_api_token(args.revoke)
        accounts.audit(
            _actor(), "token.revoke", f"token:{revoked.id}", {"login": revoked.login}, None, "success"
        )
        ctx.out.print(ctx.t("users.revoked", id=revoked.id))
        return 0
    if args.list:
        user_id = accounts.get_user(args.login).id if args.login else None
        table = Table(title=ctx.t("users.tokens_title"))
        for key in ("col.id", "col.login", "col.name", "col.expires", "col.revoked"):
            table.add_column(ctx.t(key))
        for t in accounts.list_api_tokens(user_id):
            table.add_row(str(t.id), t.login, t.name, _expiry(ctx, t.expires), _expiry(ctx, t.revoked_at))
        ctx.out.print(table)
        return 0
    if not args.login or not args.name:
        raise InvalidInputError("give the user and a name: shuixiao users token LOGIN --name NAME [--days N]")
    secret, token = issue_api_token(store, args.login, args.name, _actor(), args.days)
    accounts.audit(
        _actor(),
        "token.create",
        f"token:{token.id}",
        {"login": token.login, "name": token.name},
        None,
        "success",
    )
    ctx.out.print(
        ctx.t(
            "users.token", token=secret, id=token.id, login=token.login, expires=_expiry(ctx, token.expires)
        )
    )
    return 0


def device_cmd(ctx: Context, args: argparse.Namespace) -> int:
    """Issue, list or revoke device tokens."""
    store = ctx.store()
    accounts = AccountStore(store)
    if args.revoke is not None:
        revoked = accounts.revoke_device_token(args.revoke)
        detail = {"name": revoked.name}
        accounts.audit(
            _actor(),
            "device_token.revoke",
            f"device_token:{revoked.id}",
            detail,
            None,
            "success",
            enterprise=revoked.enterprise,
        )
        ctx.out.print(ctx.t("users.revoked", id=revoked.id))
        return 0
    if args.list:
        table = Table(title=ctx.t("users.devices_title"))
        for key in (
            "col.id",
            "col.name",
            "col.enterprise",
            "col.device",
            "col.meters",
            "col.expires",
            "col.revoked",
        ):
            table.add_column(ctx.t(key))
        for t in accounts.list_device_tokens(args.enterprise):
            meters = ", ".join(t.meters) if t.meters is not None else "*"
            table.add_row(
                str(t.id),
                t.name,
                t.enterprise,
                t.device or "—",
                meters,
                _expiry(ctx, t.expires),
                _expiry(ctx, t.revoked_at),
            )
        ctx.out.print(table)
        return 0
    if not args.enterprise or not args.name:
        raise InvalidInputError(
            "give the enterprise and a name: shuixiao users device-token --enterprise ID --name NAME"
        )
    secret, token = issue_device_token(
        store, args.name, args.enterprise, _actor(), device=args.device, meters=args.meter, days=args.days
    )
    binding: dict[str, Any] = {"name": token.name, "device": token.device, "meters": args.meter}
    accounts.audit(
        _actor(),
        "device_token.create",
        f"device_token:{token.id}",
        binding,
        None,
        "success",
        enterprise=token.enterprise,
    )
    ctx.out.print(
        ctx.t(
            "users.device_token",
            token=secret,
            id=token.id,
            enterprise=token.enterprise,
            expires=_expiry(ctx, token.expires),
        )
    )
    return 0


def grant_cmd(ctx: Context, args: argparse.Namespace) -> int:
    """Grant a service provider access to an enterprise."""
    store = ctx.store()
    grant = grant_provider(store, args.enterprise, args.provider, _actor(), args.note)
    AccountStore(store).audit(
        _actor(),
        "grant.create",
        args.provider,
        {"grant": grant.id},
        None,
        "success",
        enterprise=args.enterprise,
    )
    ctx.out.print(ctx.t("users.granted", provider=args.provider, enterprise=args.enterprise, id=grant.id))
    return 0


def revoke_cmd(ctx: Context, args: argparse.Namespace) -> int:
    """Revoke a service provider's access to an enterprise."""
    store = ctx.store()
    revoked = revoke_provider(store, args.enterprise, args.provider, _actor())
    for grant in revoked:
        AccountStore(store).audit(
            _actor(),
            "grant.revoke",
            args.provider,
            {"grant": grant.id},
            None,
            "success",
            enterprise=args.enterprise,
        )
    ctx.out.print(
        ctx.t("users.revoked_grant", provider=args.provider, enterprise=args.enterprise, count=len(revoked))
    )
    return 0


def demo_cmd(ctx: Context, args: argparse.Namespace) -> int:
    """Create the demo users and print them."""
    accounts = ensure_demo_users(ctx.store(), ctx.settings.data_dir)
    if args.json:
        ctx.print_json(
            {
                "users": [a.__dict__ for a in accounts.users],
                "device_token": accounts.device_token,
                "device_enterprise": accounts.device_enterprise,
            }
        )
        return 0
    table = Table(title=ctx.t("users.demo_title", path=accounts.path))
    for key in ("col.login", "col.password", "col.role", "col.scope", "col.name"):
        table.add_column(ctx.t(key))
    for a in accounts.users:
        table.add_row(a.login, a.password, a.role, a.scope, a.name)
    ctx.out.print(table)
    ctx.out.print(
        ctx.t("users.demo_device", enterprise=accounts.device_enterprise, token=accounts.device_token)
    )
    return 0
