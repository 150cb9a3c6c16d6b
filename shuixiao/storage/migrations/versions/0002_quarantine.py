"""Quarantine: records that ingestion rejected, kept with the reason until they are replayed.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# An instant in UTC: INTEGER seconds since the Unix epoch on SQLite, TIMESTAMP WITH TIME ZONE on
# PostgreSQL (shuixiao.storage.schema.UTCTimestamp, frozen here as it was at this revision).
_UTC = sa.Integer().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")


def upgrade() -> None:
    """Create the quarantine table and its indexes."""
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "enterprise", sa.String(), nullable=True, comment="enterprise id as received; null if unknown"
        ),
        sa.Column("meter", sa.String(), nullable=True, comment="meter id as received; null if unknown"),
        sa.Column("origin", sa.SmallInteger(), nullable=False, comment="Origin value"),
        sa.Column("source", sa.String(), nullable=False, comment="file name, MQTT topic, ..."),
        sa.Column("received", _UTC, nullable=False),
        sa.Column(
            "payload",
            sa.Text(),
            nullable=False,
            comment="the record as received (JSON) or the raw message",
        ),
        sa.Column("reason", sa.String(), nullable=False, comment="reason code, e.g. unknown_meter"),
        sa.Column("message", sa.Text(), nullable=False, comment="what is wrong and what to do"),
        sa.Column("replayed_at", _UTC, nullable=True, comment="when a replay accepted it"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_quarantine_enterprise_reason"), "quarantine", ["enterprise", "reason"])
    op.create_index(op.f("ix_quarantine_replayed_at"), "quarantine", ["replayed_at"])


def downgrade() -> None:
    """Drop the quarantine table (and with it every quarantined record)."""
    op.drop_index(op.f("ix_quarantine_replayed_at"), table_name="quarantine")
    op.drop_index(op.f("ix_quarantine_enterprise_reason"), table_name="quarantine")
    op.drop_table("quarantine")
