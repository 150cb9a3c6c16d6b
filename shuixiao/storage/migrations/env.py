"""Alembic environment of the store.

:meth:`shuixiao.storage.Store.upgrade` runs the migrations on its own
connection, passed as ``config.attributes["connection"]``, so the SQLite
pragmas and the open transaction of the store apply.  When Alembic is run from
the command line instead, ``sqlalchemy.url`` names the database.  SQLite
migrations run in batch mode (copy and move), which is how SQLite alters tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from shuixiao.storage.schema import metadata


def run_migrations_offline() -> None:
    """Emit the migrations as SQL for the URL in the configuration (``alembic upgrade --sql``)."""
    url = context.config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=url is not None and url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the store's connection, or on the configured URL."""
    connection = context.config.attributes.get("connection")
    if isinstance(connection, sa.Connection):
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("set sqlalchemy.url, or run migrations through shuixiao.storage.Store.upgrade()")
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as own:
            _run(own)
            own.commit()
    finally:
        engine.dispose()


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


# Alembic executes this module inside a migration run; a plain import (a doctest
# collector, a documentation build) finds no context and does nothing.
if hasattr(context, "config"):
    if context.is_offline_mode():
        run_migrations_offline()
    else:
        run_migrations_online()
