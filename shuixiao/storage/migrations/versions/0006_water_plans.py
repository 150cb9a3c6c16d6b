"""Planned water use (计划用水): monthly intake plans per enterprise and their revision history.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Types frozen as they are at this revision (shuixiao.storage.schema.UTCTimestamp: INTEGER seconds
# since the Unix epoch on SQLite, TIMESTAMP WITH TIME ZONE on PostgreSQL).
_UTC = sa.Integer().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")


def _columns() -> list[sa.Column[object]]:
    """The columns both tables share, in their order."""
    return [
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("enterprise_key", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False, comment="first day of the local calendar month"),
        sa.Column(
            "source_type", sa.String(), nullable=False, comment="SourceType value, or '' for the whole intake"
        ),
    ]


def upgrade() -> None:
    """Create the plan tables."""
    op.create_table(
        "water_plans",
        *_columns(),
        sa.Column("volume", sa.Double(), nullable=False, comment="planned intake of the month [m³]"),
        sa.Column("authority", sa.String(), nullable=True, comment="issuing water authority (下达单位)"),
        sa.Column("document", sa.String(), nullable=True, comment="document number of the plan (文号)"),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False, comment="1 when first set, +1 per revision"),
        sa.Column("set_at", _UTC, nullable=False),
        sa.Column("set_by", sa.String(), nullable=False, comment="login of who entered it"),
        sa.ForeignKeyConstraint(
            ["enterprise_key"],
            ["enterprises.key"],
            name=op.f("fk_water_plans_enterprise_key_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_water_plans")),
        sa.UniqueConstraint(
            "enterprise_key",
            "month",
            "source_type",
            name=op.f("uq_water_plans_enterprise_key_month_source_type"),
        ),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "water_plan_history",
        *_columns(),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("volume", sa.Double(), nullable=False, comment="[m³]"),
        sa.Column("authority", sa.String(), nullable=True),
        sa.Column("document", sa.String(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("set_at", _UTC, nullable=False),
        sa.Column("set_by", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_key"],
            ["enterprises.key"],
            name=op.f("fk_water_plan_history_enterprise_key_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_water_plan_history")),
        sa.UniqueConstraint(
            "enterprise_key",
            "month",
            "source_type",
            "revision",
            name=op.f("uq_water_plan_history_enterprise_key_month_source_type_revision"),
        ),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    """Drop the plan tables (and every plan and its history)."""
    op.drop_table("water_plan_history")
    op.drop_table("water_plans")
