"""Ledger tiles written before revision 0007 get their inner node hashes, so proofs over old logs read them too.

Every ``ledger_tiles`` row whose ``nodes`` is NULL gets the nodes an append
writes with a row (:func:`shuixiao.ledger.tile_nodes` of its hashes). The rows
are read in primary-key order, a page at a time, so memory stays bounded
however long the logs are. A row whose hashes are not a whole tile (a damaged
row, which ``shuixiao ledger verify`` reports) keeps NULL: proofs hash its nodes
as before.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from shuixiao.errors import InvalidInputError
from shuixiao.ledger import tile_nodes

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PAGE = 1_000  # rows read (and updated) at a time: up to 8 KiB of hashes and 8 KiB of nodes each

_tiles = sa.table(
    "ledger_tiles",
    sa.column("log_id", sa.Integer()),
    sa.column("level", sa.SmallInteger()),
    sa.column("idx", sa.BigInteger()),
    sa.column("hashes", sa.LargeBinary()),
    sa.column("nodes", sa.LargeBinary()),
)


def _nodes(hashes: bytes) -> bytes | None:
    """The inner nodes of a row, or None when its hashes are not a tile."""
    try:
        return tile_nodes(hashes)
    except InvalidInputError:
        return None


def upgrade() -> None:
    """Fill ``ledger_tiles.nodes`` where it is NULL, a page of rows at a time in primary-key order."""
    connection = op.get_bind()
    t = _tiles
    key = (t.c.log_id, t.c.level, t.c.idx)
    page = sa.select(*key, t.c.hashes).where(t.c.nodes.is_(None)).order_by(*key).limit(_PAGE)
    fill = (
        sa.update(t)
        .where(
            t.c.log_id == sa.bindparam("row_log"),
            t.c.level == sa.bindparam("row_level"),
            t.c.idx == sa.bindparam("row_index"),
        )
        .values(nodes=sa.bindparam("row_nodes"))
    )
    after: tuple[Any, ...] | None = None
    while True:
        query = page if after is None else page.where(sa.tuple_(*key) > sa.tuple_(*after))
        rows = connection.execute(query).all()
        if not rows:
            break
        filled = [
            {"row_log": log_id, "row_level": level, "row_index": index, "row_nodes": nodes}
            for log_id, level, index, hashes in rows
            if (nodes := _nodes(bytes(hashes))) is not None
        ]
        if filled:
            connection.execute(fill, filled)
        after = tuple(rows[-1][:3])


def downgrade() -> None:
    """Nothing to undo: revision 0008 has the ``nodes`` column and reads it.

    The filled nodes are the ones an append since revision 0007 writes with its rows, and nothing tells
    a filled row from an appended one; emptying them again would only make proofs hash them.
    """
