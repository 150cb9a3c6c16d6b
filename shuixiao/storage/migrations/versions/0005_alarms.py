"""Early warning and leak events: alarm rules, alarms with their history, leak events with their workflow.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Types frozen as they are at this revision (shuixiao.storage.schema.UTCTimestamp: INTEGER seconds
# since the Unix epoch on SQLite, TIMESTAMP WITH TIME ZONE on PostgreSQL).
_UTC = sa.Integer().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_OPEN = sa.text("state != 'cleared'")


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def upgrade() -> None:
    """Create the alarm and leak-event tables."""
    op.create_table(
        "alarm_rules",
        _id(),
        sa.Column("enterprise_key", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(), nullable=False, comment="rule id of shuixiao/data/alarm_rules.yaml"),
        sa.Column("meter", sa.String(), nullable=False, comment="meter id, or '' for every meter of the enterprise"),
        sa.Column("enabled", sa.Boolean(), nullable=True, comment="null: as the defaults say"),
        sa.Column("severity", sa.String(), nullable=True, comment="Severity value; null: as the defaults say"),
        sa.Column("params", _JSON, nullable=False, comment="parameter → value in canonical units (s for durations)"),
        sa.Column("escalate_after", sa.Double(), nullable=True, comment="[s]; null with escalate_after_set: never"),
        sa.Column("escalate_after_set", sa.Boolean(), nullable=False, comment="escalate_after overrides the default"),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.Column("updated_by", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_key"],
            ["enterprises.key"],
            name=op.f("fk_alarm_rules_enterprise_key_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_rules")),
        sa.UniqueConstraint("enterprise_key", "rule", "meter", name=op.f("uq_alarm_rules_enterprise_key_rule_meter")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "alarms",
        _id(),
        sa.Column("enterprise", sa.String(), nullable=False, comment="enterprise id (no foreign key: alarms outlive it)"),
        sa.Column("kind", sa.String(), nullable=False, comment="e.g. offline, threshold, leak_suspected"),
        sa.Column("key", sa.String(), nullable=False, comment="deduplication key within enterprise and kind"),
        sa.Column("meter", sa.String(), nullable=True),
        sa.Column("rule", sa.String(), nullable=True, comment="rule id that raised it"),
        sa.Column("severity", sa.String(), nullable=False, comment="Severity value, after escalation"),
        sa.Column("initial_severity", sa.String(), nullable=False, comment="Severity value when raised"),
        sa.Column("state", sa.String(), nullable=False, comment="AlarmState value"),
        sa.Column("title_zh", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("detail", _JSON, nullable=False),
        sa.Column("raised_at", _UTC, nullable=False, comment="when the condition met its rule"),
        sa.Column("created_at", _UTC, nullable=False, comment="when the platform raised it"),
        sa.Column("last_seen", _UTC, nullable=True, comment="last check that found the condition"),
        sa.Column("acknowledged_at", _UTC, nullable=True),
        sa.Column("acknowledged_by", sa.String(), nullable=True),
        sa.Column("cleared_at", _UTC, nullable=True),
        sa.Column("cleared_by", sa.String(), nullable=True, comment="login, or 'system' when the condition ended"),
        sa.Column("escalated", sa.Integer(), nullable=False, comment="times the severity went up"),
        sa.Column("escalated_at", _UTC, nullable=True),
        sa.Column("escalate_after", sa.Double(), nullable=True, comment="[s]; null: never escalates"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarms")),
        sqlite_autoincrement=True,
    )
    # At most one not-cleared alarm per (enterprise, kind, key): a persisting condition is one alarm.
    op.create_index(
        op.f("ix_alarms_enterprise_kind_key"),
        "alarms",
        ["enterprise", "kind", "key"],
        unique=True,
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )
    op.create_index(op.f("ix_alarms_enterprise_state"), "alarms", ["enterprise", "state"])
    op.create_index(op.f("ix_alarms_raised_at"), "alarms", ["raised_at"])
    op.create_table(
        "alarm_history",
        _id(),
        sa.Column("alarm_id", sa.Integer(), nullable=False),
        sa.Column("at", _UTC, nullable=False),
        sa.Column("actor", sa.String(), nullable=False, comment="login, or 'system'"),
        sa.Column("action", sa.String(), nullable=False, comment="raise, acknowledge, clear, escalate, note"),
        sa.Column("from_state", sa.String(), nullable=True),
        sa.Column("to_state", sa.String(), nullable=True),
        sa.Column("severity", sa.String(), nullable=True, comment="severity after the action"),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alarm_id"], ["alarms.id"], name=op.f("fk_alarm_history_alarm_id_alarms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_history")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_alarm_history_alarm_id"), "alarm_history", ["alarm_id"])
    op.create_table(
        "alarm_deliveries",
        _id(),
        sa.Column("alarm_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(), nullable=False, comment="raised, escalated, acknowledged, cleared"),
        sa.Column("channel", sa.String(), nullable=False, comment="channel name in the notification config"),
        sa.Column("kind", sa.String(), nullable=False, comment="webhook or email"),
        sa.Column("target", sa.String(), nullable=False, comment="URL or e-mail addresses"),
        sa.Column("payload", _JSON, nullable=False, comment="the message as rendered when queued"),
        sa.Column("status", sa.String(), nullable=False, comment="pending, sent or failed (gave up)"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("next_attempt_at", _UTC, nullable=True),
        sa.Column("sent_at", _UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["alarm_id"], ["alarms.id"], name=op.f("fk_alarm_deliveries_alarm_id_alarms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_deliveries")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_alarm_deliveries_alarm_id"), "alarm_deliveries", ["alarm_id"])
    op.create_index(
        op.f("ix_alarm_deliveries_status_next_attempt_at"), "alarm_deliveries", ["status", "next_attempt_at"]
    )
    op.create_table(
        "alarm_checks",
        sa.Column("enterprise", sa.String(), nullable=False, comment="enterprise id"),
        sa.Column("checked_until", _UTC, nullable=False, comment="end of the last evaluated window"),
        sa.Column("checked_at", _UTC, nullable=False, comment="when that check ran"),
        sa.PrimaryKeyConstraint("enterprise", name=op.f("pk_alarm_checks")),
    )
    op.create_table(
        "leak_events",
        _id(),
        sa.Column("enterprise", sa.String(), nullable=False, comment="enterprise id (no foreign key: events outlive it)"),
        sa.Column("network", sa.String(), nullable=True, comment="network model name"),
        sa.Column("source", sa.String(), nullable=True, comment="what found it, e.g. the readings file"),
        sa.Column("state", sa.String(), nullable=False, comment="LeakState value"),
        sa.Column("state_at", _UTC, nullable=False, comment="when the current state was reached"),
        sa.Column("start", _UTC, nullable=False, comment="estimated start of the leak"),
        sa.Column("detected", _UTC, nullable=False),
        sa.Column("end", _UTC, nullable=True, comment="end seen in the data or the repair"),
        sa.Column("flow", sa.Double(), nullable=False, comment="estimated leak flow [m³/h]"),
        sa.Column("uncertainty", sa.Double(), nullable=True, comment="localisation uncertainty [m]"),
        sa.Column("loss_volume", sa.Double(), nullable=True, comment="water lost, once the leak ended [m³]"),
        sa.Column("suspects", _JSON, nullable=False, comment="[{kind: pipe|node, id, score}], best first"),
        sa.Column("alarm_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["alarm_id"], ["alarms.id"], name=op.f("fk_leak_events_alarm_id_alarms"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leak_events")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_leak_events_enterprise_state"), "leak_events", ["enterprise", "state"])
    op.create_table(
        "leak_event_history",
        _id(),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("at", _UTC, nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column(
            "action",
            sa.String(),
            nullable=False,
            comment="detect, update, confirm, repair, verify, reopen, dismiss, note",
        ),
        sa.Column("from_state", sa.String(), nullable=True),
        sa.Column("to_state", sa.String(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["leak_events.id"],
            name=op.f("fk_leak_event_history_event_id_leak_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leak_event_history")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_leak_event_history_event_id"), "leak_event_history", ["event_id"])


def downgrade() -> None:
    """Drop the alarm and leak-event tables (and every alarm, note, notification and leak event)."""
    op.drop_index(op.f("ix_leak_event_history_event_id"), table_name="leak_event_history")
    op.drop_table("leak_event_history")
    op.drop_index(op.f("ix_leak_events_enterprise_state"), table_name="leak_events")
    op.drop_table("leak_events")
    op.drop_table("alarm_checks")
    op.drop_index(op.f("ix_alarm_deliveries_status_next_attempt_at"), table_name="alarm_deliveries")
    op.drop_index(op.f("ix_alarm_deliveries_alarm_id"), table_name="alarm_deliveries")
    op.drop_table("alarm_deliveries")
    op.drop_index(op.f("ix_alarm_history_alarm_id"), table_name="alarm_history")
    op.drop_table("alarm_history")
    op.drop_index(op.f("ix_alarms_raised_at"), table_name="alarms")
    op.drop_index(op.f("ix_alarms_enterprise_state"), table_name="alarms")
    op.drop_index(op.f("ix_alarms_enterprise_kind_key"), table_name="alarms")
    op.drop_table("alarms")
    op.drop_table("alarm_rules")
