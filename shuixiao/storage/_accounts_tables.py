"""Tables of the accounts (revision ``0003``): users, sessions, tokens, grants, the audit log."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from shuixiao.storage.schema import UTCTimestamp, metadata

__all__ = [
    "USER_COLUMNS",
    "api_tokens",
    "audit_log",
    "device_tokens",
    "provider_grants",
    "user_sessions",
    "users",
]

_JSON = sa.JSON(none_as_null=True).with_variant(sa.dialects.postgresql.JSONB(none_as_null=True), "postgresql")
_CASCADE: dict[str, Any] = {"ondelete": "CASCADE"}

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("login", sa.String, nullable=False, unique=True, comment="lower-case login name"),
    sa.Column("name", sa.String, nullable=False, comment="display name"),
    sa.Column("password_hash", sa.String, nullable=False, comment="argon2id PHC string"),
    sa.Column("role", sa.String, nullable=False, comment="Role value"),
    sa.Column("scope_kind", sa.String, nullable=False, comment="platform, region, park or enterprise"),
    sa.Column(
        "scope_id", sa.String, nullable=True, comment="region, park or enterprise id; null for platform"
    ),
    sa.Column("language", sa.String, nullable=False, comment="zh or en"),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created", UTCTimestamp(), nullable=False),
    sa.Column("last_login", UTCTimestamp(), nullable=True),
    sa.Column("password_changed", UTCTimestamp(), nullable=False),
    sqlite_autoincrement=True,
)

user_sessions = sa.Table(
    "user_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True, comment="SHA-256 (hex) of the cookie value"),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", **_CASCADE), nullable=False, index=True),
    sa.Column("csrf_token", sa.String, nullable=False, comment="anti-forgery token of the session"),
    sa.Column("created", UTCTimestamp(), nullable=False),
    sa.Column("expires", UTCTimestamp(), nullable=False, comment="absolute end of the session"),
    sa.Column("last_seen", UTCTimestamp(), nullable=False),
    sa.Column("client_ip", sa.String, nullable=True),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True, comment="SHA-256 (hex) of the token"),
    sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", **_CASCADE),
        nullable=False,
        comment="the token acts as this user",
    ),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("created", UTCTimestamp(), nullable=False),
    sa.Column("created_by", sa.String, nullable=False, comment="login of who issued it"),
    sa.Column("expires", UTCTimestamp(), nullable=True),
    sa.Column("revoked_at", UTCTimestamp(), nullable=True),
    sa.Column("last_used", UTCTimestamp(), nullable=True),
    sqlite_autoincrement=True,
)

device_tokens = sa.Table(
    "device_tokens",
    metadata,
    # No foreign key to enterprises: an enterprise is replaced whole by a model import, and its
    # device tokens must survive that; the service checks the enterprise when a token is issued.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True, comment="SHA-256 (hex) of the token"),
    sa.Column("name", sa.String, nullable=False),
    sa.Column(
        "enterprise", sa.String, nullable=False, index=True, comment="enterprise id the device ingests into"
    ),
    sa.Column("device", sa.String, nullable=True, comment="gateway or device id it is bound to"),
    sa.Column("meters", _JSON, nullable=True, comment="meter ids it may send; null for every meter"),
    sa.Column("created", UTCTimestamp(), nullable=False),
    sa.Column("created_by", sa.String, nullable=False, comment="login of who issued it"),
    sa.Column("expires", UTCTimestamp(), nullable=True),
    sa.Column("revoked_at", UTCTimestamp(), nullable=True),
    sa.Column("last_used", UTCTimestamp(), nullable=True),
    sqlite_autoincrement=True,
)

provider_grants = sa.Table(
    "provider_grants",
    metadata,
    # Rows are never deleted: a revoked grant stays as history.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "enterprise", sa.String, nullable=False, index=True, comment="enterprise id that grants access"
    ),
    sa.Column(
        "provider_id",
        sa.Integer,
        sa.ForeignKey("users.id", **_CASCADE),
        nullable=False,
        index=True,
        comment="service-provider user",
    ),
    sa.Column("granted_by", sa.String, nullable=False, comment="login"),
    sa.Column("granted_at", UTCTimestamp(), nullable=False),
    sa.Column("revoked_by", sa.String, nullable=True, comment="login"),
    sa.Column("revoked_at", UTCTimestamp(), nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sqlite_autoincrement=True,
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    # No foreign keys: entries outlive the users, tokens and enterprises they name.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCTimestamp(), nullable=False),
    sa.Column("actor", sa.String, nullable=True, comment="login, device:<name>, or null when unknown"),
    sa.Column("action", sa.String, nullable=False, comment="e.g. login, user.create, ingest.readings"),
    sa.Column("target", sa.String, nullable=True, comment="what was acted on"),
    sa.Column("enterprise", sa.String, nullable=True, comment="enterprise the entry concerns"),
    sa.Column("detail", _JSON, nullable=False),
    sa.Column("client_ip", sa.String, nullable=True),
    sa.Column("outcome", sa.String, nullable=False, comment="success, failure, denied or rate_limited"),
    sa.Index(None, "action", "target", "at"),
    sa.Index(None, "action", "client_ip", "at"),
    sa.Index(None, "enterprise", "at"),
    sa.Index(None, "at"),
    sqlite_autoincrement=True,
)


USER_COLUMNS = [c for c in users.c if c.name != "password_hash"]
"""Every column of ``users`` but the password hash."""
