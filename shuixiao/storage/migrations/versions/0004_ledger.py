"""Ledger: device keys, signed batches, the Merkle log, checkpoints, cosignatures and incidents.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Types frozen as they are at this revision (shuixiao.storage.schema.UTCTimestamp: INTEGER seconds
# since the Unix epoch on SQLite, TIMESTAMP WITH TIME ZONE on PostgreSQL).
_UTC = sa.Integer().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_LOCAL = sa.text("kind = 'local'")


def upgrade() -> None:
    """Create the ledger tables."""
    op.create_table(
        "ledger_logs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "kind", sa.String(), nullable=False, comment="local (this store's log) or mirror (a followed log)"
        ),
        sa.Column("origin", sa.String(), nullable=True, comment="checkpoint origin; null until bound"),
        sa.Column("vkey", sa.Text(), nullable=True, comment="the log's note verifier key"),
        sa.Column("size", sa.BigInteger(), nullable=False, comment="number of leaves"),
        sa.Column("created", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_logs")),
        sa.UniqueConstraint("origin", name=op.f("uq_ledger_logs_origin")),
        sqlite_autoincrement=True,
        comment="transparency logs: the local one and mirrors followed as a witness",
    )
    op.create_index(
        "ix_ledger_logs_local", "ledger_logs", ["kind"], unique=True, sqlite_where=_LOCAL, postgresql_where=_LOCAL
    )
    op.create_table(
        "ledger_tiles",
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False, comment="tile level (nodes of height 8 level)"),
        sa.Column("idx", sa.BigInteger(), nullable=False, comment="tile index within the level"),
        sa.Column("hashes", sa.LargeBinary(), nullable=False, comment="the tile's node hashes, 32 bytes each"),
        sa.ForeignKeyConstraint(
            ["log_id"], ["ledger_logs.id"], name=op.f("fk_ledger_tiles_log_id_ledger_logs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("log_id", "level", "idx", name=op.f("pk_ledger_tiles")),
        sqlite_with_rowid=False,
        comment="C2SP tlog-tiles of each log",
    )
    op.create_table(
        "ledger_device_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("device", sa.String(), nullable=False, comment="device id as in its batches"),
        sa.Column("enterprise", sa.String(), nullable=False, comment="enterprise id owning the device"),
        sa.Column("public_key", sa.LargeBinary(), nullable=False, comment="Ed25519 public key, 32 bytes"),
        sa.Column("valid_from", _UTC, nullable=False),
        sa.Column("valid_to", _UTC, nullable=True, comment="end of validity, exclusive (rotation)"),
        sa.Column("revoked_at", _UTC, nullable=True, comment="compromised from this time on"),
        sa.Column("reason", sa.Text(), nullable=True, comment="why the key was revoked"),
        sa.Column("created", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_device_keys")),
        sa.UniqueConstraint("device", "public_key", name=op.f("uq_ledger_device_keys_device_public_key")),
        sqlite_autoincrement=True,
        comment="device keys with their history (register, rotate, revoke)",
    )
    op.create_index(
        op.f("ix_ledger_device_keys_enterprise_device"), "ledger_device_keys", ["enterprise", "device"]
    )
    op.create_table(
        "ledger_meters",
        sa.Column("enterprise", sa.String(), nullable=False),
        sa.Column("meter", sa.String(), nullable=False),
        sa.Column("device", sa.String(), nullable=True, comment="device that signs this meter's readings"),
        sa.Column(
            "unsigned_allowed", sa.Boolean(), nullable=False, comment="readings without a batch are acceptable"
        ),
        sa.Column("updated", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("enterprise", "meter", name=op.f("pk_ledger_meters")),
        comment="notarisation of each meter: signing device and the enterprise's unsigned-ingestion choice",
    )
    op.create_index(op.f("ix_ledger_meters_device"), "ledger_meters", ["device"])
    op.create_table(
        "ledger_batches",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("enterprise", sa.String(), nullable=True, comment="null in a mirror"),
        sa.Column("device", sa.String(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("previous_hash", sa.LargeBinary(), nullable=False),
        sa.Column(
            "batch_hash", sa.LargeBinary(), nullable=False, comment="SHA-256 of the encoding: the leaf data"
        ),
        sa.Column("created", _UTC, nullable=False, comment="when the device closed the batch"),
        sa.Column("received", _UTC, nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False, comment="Ed25519 signature of the encoding"),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("readings", sa.Integer(), nullable=False, comment="number of readings"),
        sa.Column(
            "status", sa.String(), nullable=False, comment="linked, gap (a predecessor missing) or mirrored"
        ),
        sa.Column("encoding", sa.LargeBinary(), nullable=False, comment="canonical batch encoding"),
        sa.ForeignKeyConstraint(
            ["key_id"], ["ledger_device_keys.id"], name=op.f("fk_ledger_batches_key_id_ledger_device_keys")
        ),
        sa.ForeignKeyConstraint(
            ["log_id"], ["ledger_logs.id"], name=op.f("fk_ledger_batches_log_id_ledger_logs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_batches")),
        sa.UniqueConstraint("log_id", "device", "sequence", name=op.f("uq_ledger_batches_log_id_device_sequence")),
        sa.UniqueConstraint("log_id", "leaf_index", name=op.f("uq_ledger_batches_log_id_leaf_index")),
        sqlite_autoincrement=True,
        comment="device-signed batches, one leaf of the log each",
    )
    op.create_table(
        "ledger_batch_readings",
        sa.Column("batch_id", _ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, comment="index of the reading in the batch"),
        sa.Column("meter_key", sa.Integer(), nullable=False, comment="meters.key"),
        sa.Column("ts", _UTC, nullable=False),
        sa.Column("outcome", sa.SmallInteger(), nullable=False, comment="Outcome value at ingestion"),
        sa.Column("quarantine_id", sa.Integer(), nullable=True, comment="quarantine.id when rejected"),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["ledger_batches.id"],
            name=op.f("fk_ledger_batch_readings_batch_id_ledger_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("batch_id", "position", name=op.f("pk_ledger_batch_readings")),
        sqlite_with_rowid=False,
        comment="the stored reading each batch reading became",
    )
    op.create_index(
        op.f("ix_ledger_batch_readings_meter_key_ts"), "ledger_batch_readings", ["meter_key", "ts"]
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, comment="the checkpoint as a note signed by the log"),
        sa.Column("created", _UTC, nullable=False, comment="signed (local) or first seen (mirror)"),
        sa.ForeignKeyConstraint(
            ["log_id"],
            ["ledger_logs.id"],
            name=op.f("fk_ledger_checkpoints_log_id_ledger_logs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_checkpoints")),
        sa.UniqueConstraint("log_id", "size", "root", name=op.f("uq_ledger_checkpoints_log_id_size_root")),
        sqlite_autoincrement=True,
        comment="signed checkpoints (C2SP tlog-checkpoint)",
    )
    op.create_table(
        "ledger_cosignatures",
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("witness", sa.String(), nullable=False, comment="witness key name"),
        sa.Column("key_id", sa.BigInteger(), nullable=False, comment="witness key ID (uint32)"),
        sa.Column("timestamp", _UTC, nullable=False, comment="time in the cosignature"),
        sa.Column(
            "signature", sa.LargeBinary(), nullable=False, comment="timestamp and Ed25519 signature, 72 bytes"
        ),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["ledger_checkpoints.id"],
            name=op.f("fk_ledger_cosignatures_checkpoint_id_ledger_checkpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("checkpoint_id", "witness", "key_id", name=op.f("pk_ledger_cosignatures")),
        comment="witness cosignatures (C2SP tlog-cosignature)",
    )
    op.create_table(
        "ledger_incidents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(), nullable=False, comment="missing_batch, fork, tamper, split_view, ..."),
        sa.Column("log_id", sa.Integer(), nullable=True),
        sa.Column("enterprise", sa.String(), nullable=True),
        sa.Column("device", sa.String(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False, comment="what was found, for a person"),
        sa.Column("detail", _JSON, nullable=False, comment="evidence: sequences, hashes, the refused batch"),
        sa.Column("created", _UTC, nullable=False),
        sa.Column("resolved_at", _UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["log_id"],
            ["ledger_logs.id"],
            name=op.f("fk_ledger_incidents_log_id_ledger_logs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_incidents")),
        sqlite_autoincrement=True,
        comment="ledger incidents",
    )
    op.create_index(op.f("ix_ledger_incidents_kind_resolved_at"), "ledger_incidents", ["kind", "resolved_at"])
    op.create_index(op.f("ix_ledger_incidents_enterprise"), "ledger_incidents", ["enterprise"])


def downgrade() -> None:
    """Drop the ledger tables (and with them the log, its checkpoints and the device key history)."""
    op.drop_index(op.f("ix_ledger_incidents_enterprise"), table_name="ledger_incidents")
    op.drop_index(op.f("ix_ledger_incidents_kind_resolved_at"), table_name="ledger_incidents")
    op.drop_table("ledger_incidents")
    op.drop_table("ledger_cosignatures")
    op.drop_table("ledger_checkpoints")
    op.drop_index(op.f("ix_ledger_batch_readings_meter_key_ts"), table_name="ledger_batch_readings")
    op.drop_table("ledger_batch_readings")
    op.drop_table("ledger_batches")
    op.drop_index(op.f("ix_ledger_meters_device"), table_name="ledger_meters")
    op.drop_table("ledger_meters")
    op.drop_index(op.f("ix_ledger_device_keys_enterprise_device"), table_name="ledger_device_keys")
    op.drop_table("ledger_device_keys")
    op.drop_table("ledger_tiles")
    op.drop_index("ix_ledger_logs_local", table_name="ledger_logs")
    op.drop_table("ledger_logs")
