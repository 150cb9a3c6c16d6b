"""Ledger tiles keep the inner node hashes of a full tile, so a proof reads them instead of hashing them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``ledger_tiles.nodes`` (NULL for tiles written before; proofs hash their nodes, as before)."""
    with op.batch_alter_table("ledger_tiles") as batch:
        batch.add_column(
            sa.Column(
                "nodes",
                sa.LargeBinary(),
                nullable=True,
                comment="the tile's complete inner node hashes, heights 1 to 7 (254 x 32 bytes when full)",
            )
        )


def downgrade() -> None:
    """Drop ``ledger_tiles.nodes`` (proofs hash the inner nodes again)."""
    with op.batch_alter_table("ledger_tiles") as batch:
        batch.drop_column("nodes")
