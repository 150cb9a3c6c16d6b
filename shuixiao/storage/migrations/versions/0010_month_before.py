"""Daily aggregate rows keep the month's sum or mean before the day, so a late reading recomputes its month from its day.

``aggregates.month_before`` is NULL on every existing row, which ingestion
reads as "not kept": the first late reading in such a month recomputes the
month from its readings, as before, and fills the column for the days it
rewrites.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

def upgrade() -> None:
    """Add the nullable ``month_before`` column."""
    op.add_column(
        "aggregates",
        sa.Column(
            "month_before",
            sa.Double(),
            nullable=True,
            comment="P1D rows: sum or mean of the month's values before the day; NULL where not kept",
        ),
    )


def downgrade() -> None:
    """Drop ``month_before``."""
    op.drop_column("aggregates", "month_before")  # SQLite 3.35 and later drop a column in place
