"""``shuixiao db``: create and upgrade the database schema."""

from __future__ import annotations

import argparse
from typing import Any

from shuixiao.cli._context import Context


def register(nouns: Any) -> None:
    """Add the ``db`` command and its verbs to ``nouns``."""
    db = nouns.add_parser(
        "db", help="database schema: upgrade, status", description="Manage the database schema."
    )
    verbs = db.add_subparsers(dest="verb", metavar="<verb>", required=True)
    up = verbs.add_parser(
        "upgrade",
        help="create or upgrade the schema to this version",
        description="Create the database (SQLite file or PostgreSQL schema) or upgrade it to this version.",
    )
    up.set_defaults(handler=upgrade)
    st = verbs.add_parser("status", help="show the database URL and schema revision")
    st.set_defaults(handler=status)


def upgrade(ctx: Context, _args: argparse.Namespace) -> int:
    """Upgrade the schema to the newest revision."""
    store = ctx.store(check_schema=False)
    store.upgrade()
    ctx.out.print(ctx.t("db.upgraded", url=store.url, revision=store.schema_version()))
    return 0


def status(ctx: Context, _args: argparse.Namespace) -> int:
    """Print the database URL and its schema revision."""
    store = ctx.store(check_schema=False)
    revision = store.schema_version()
    ctx.out.print(ctx.t("db.status", url=store.url, revision=revision or ctx.t("db.empty")))
    return 0
