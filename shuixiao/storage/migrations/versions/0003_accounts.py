"""Accounts: users, sessions, API and device tokens, service-provider grants and the audit log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# An instant in UTC: INTEGER seconds since the Unix epoch on SQLite, TIMESTAMP WITH TIME ZONE on
# PostgreSQL (shuixiao.storage.schema.UTCTimestamp, frozen here as it was at this revision).
_UTC = sa.Integer().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create the account tables and their indexes."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("login", sa.String(), nullable=False, comment="lower-case login name"),
        sa.Column("name", sa.String(), nullable=False, comment="display name"),
        sa.Column("password_hash", sa.String(), nullable=False, comment="argon2id PHC string"),
        sa.Column("role", sa.String(), nullable=False, comment="Role value"),
        sa.Column("scope_kind", sa.String(), nullable=False, comment="platform, region, park or enterprise"),
        sa.Column("scope_id", sa.String(), nullable=True, comment="region, park or enterprise id; null for platform"),
        sa.Column("language", sa.String(), nullable=False, comment="zh or en"),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created", _UTC, nullable=False),
        sa.Column("last_login", _UTC, nullable=True),
        sa.Column("password_changed", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("login", name=op.f("uq_users_login")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "user_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False, comment="SHA-256 (hex) of the cookie value"),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(), nullable=False, comment="anti-forgery token of the session"),
        sa.Column("created", _UTC, nullable=False),
        sa.Column("expires", _UTC, nullable=False, comment="absolute end of the session"),
        sa.Column("last_seen", _UTC, nullable=False),
        sa.Column("client_ip", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_user_sessions")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False, comment="SHA-256 (hex) of the token"),
        sa.Column("user_id", sa.Integer(), nullable=False, comment="the token acts as this user"),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("created", _UTC, nullable=False),
        sa.Column("created_by", sa.String(), nullable=False, comment="login of who issued it"),
        sa.Column("expires", _UTC, nullable=True),
        sa.Column("revoked_at", _UTC, nullable=True),
        sa.Column("last_used", _UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "device_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False, comment="SHA-256 (hex) of the token"),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("enterprise", sa.String(), nullable=False, comment="enterprise id the device ingests into"),
        sa.Column("device", sa.String(), nullable=True, comment="gateway or device id it is bound to"),
        sa.Column("meters", _JSON, nullable=True, comment="meter ids it may send; null for every meter"),
        sa.Column("created", _UTC, nullable=False),
        sa.Column("created_by", sa.String(), nullable=False, comment="login of who issued it"),
        sa.Column("expires", _UTC, nullable=True),
        sa.Column("revoked_at", _UTC, nullable=True),
        sa.Column("last_used", _UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_device_tokens_token_hash")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_device_tokens_enterprise"), "device_tokens", ["enterprise"])
    op.create_table(
        "provider_grants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("enterprise", sa.String(), nullable=False, comment="enterprise id that grants access"),
        sa.Column("provider_id", sa.Integer(), nullable=False, comment="service-provider user"),
        sa.Column("granted_by", sa.String(), nullable=False, comment="login"),
        sa.Column("granted_at", _UTC, nullable=False),
        sa.Column("revoked_by", sa.String(), nullable=True, comment="login"),
        sa.Column("revoked_at", _UTC, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["users.id"], name=op.f("fk_provider_grants_provider_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_grants")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_provider_grants_enterprise"), "provider_grants", ["enterprise"])
    op.create_index(op.f("ix_provider_grants_provider_id"), "provider_grants", ["provider_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", _UTC, nullable=False),
        sa.Column("actor", sa.String(), nullable=True, comment="login, device:<name>, or null when unknown"),
        sa.Column("action", sa.String(), nullable=False, comment="e.g. login, user.create, ingest.readings"),
        sa.Column("target", sa.String(), nullable=True, comment="what was acted on"),
        sa.Column("enterprise", sa.String(), nullable=True, comment="enterprise the entry concerns"),
        sa.Column("detail", _JSON, nullable=False),
        sa.Column("client_ip", sa.String(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=False, comment="success, failure, denied or rate_limited"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_audit_log_action_target_at"), "audit_log", ["action", "target", "at"])
    op.create_index(op.f("ix_audit_log_action_client_ip_at"), "audit_log", ["action", "client_ip", "at"])
    op.create_index(op.f("ix_audit_log_enterprise_at"), "audit_log", ["enterprise", "at"])
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])


def downgrade() -> None:
    """Drop the account tables (every user, session, token, grant and audit entry)."""
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_enterprise_at"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_action_client_ip_at"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_action_target_at"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index(op.f("ix_provider_grants_provider_id"), table_name="provider_grants")
    op.drop_index(op.f("ix_provider_grants_enterprise"), table_name="provider_grants")
    op.drop_table("provider_grants")
    op.drop_index(op.f("ix_device_tokens_enterprise"), table_name="device_tokens")
    op.drop_table("device_tokens")
    op.drop_table("api_tokens")
    op.drop_index(op.f("ix_user_sessions_user_id"), table_name="user_sessions")
    op.drop_table("user_sessions")
    op.drop_table("users")
