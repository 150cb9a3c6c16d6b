"""Tables, the UTC timestamp type and the migrations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shuixiao.errors import InvalidInputError, SchemaVersionError
from shuixiao.storage import Store, schema
from shuixiao.storage.store import _alembic_config

SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.integration


@pytest.mark.unit
def test_utc_seconds_converts_any_zone() -> None:
    local = dt.datetime(2024, 6, 1, 8, 0, 0, tzinfo=SHANGHAI)
    assert schema.utc_seconds(local) == schema.utc_seconds(dt.datetime(2024, 6, 1, tzinfo=dt.UTC))
    assert schema.utc_seconds(dt.datetime(1970, 1, 1, 0, 0, 1, 999_999, tzinfo=dt.UTC)) == 1


@pytest.mark.unit
def test_utc_seconds_rejects_naive_datetimes() -> None:
    with pytest.raises(InvalidInputError, match="naive datetime 2024-06-01T08:00:00 has no time zone"):
        schema.utc_seconds(dt.datetime(2024, 6, 1, 8))
    with pytest.raises(InvalidInputError, match="expected a datetime"):
        schema.utc_seconds(dt.date(2024, 6, 1))  # type: ignore[arg-type]


@pytest.mark.unit
def test_timestamp_type_per_dialect() -> None:
    column = schema.readings.c.ts
    assert str(column.type.compile(dialect=sa.dialects.sqlite.dialect())) == "INTEGER"
    assert str(column.type.compile(dialect=sa.dialects.postgresql.dialect())) == "TIMESTAMP WITH TIME ZONE"
    decorator = schema.UTCTimestamp()
    sqlite, postgresql = sa.dialects.sqlite.dialect(), sa.dialects.postgresql.dialect()
    noon = dt.datetime(2024, 1, 1, 12, tzinfo=SHANGHAI)
    assert decorator.process_bind_param(noon, sqlite) == 1_704_081_600
    assert decorator.process_bind_param(noon, postgresql) == dt.datetime(2024, 1, 1, 4, tzinfo=dt.UTC)
    assert decorator.process_bind_param(None, sqlite) is None
    assert decorator.process_result_value(1_704_081_600, sqlite) == noon
    assert decorator.process_result_value(noon, postgresql).tzinfo is dt.UTC  # type: ignore[union-attr]
    assert decorator.process_result_value(None, sqlite) is None
    with pytest.raises(InvalidInputError, match="naive"):
        decorator.process_bind_param(dt.datetime(2024, 1, 1), sqlite)


@pytest.mark.unit
def test_every_model_table_is_defined() -> None:
    assert sorted(schema.metadata.tables) == [
        "aggregates",
        "alarm_checks",
        "alarm_deliveries",
        "alarm_history",
        "alarm_rules",
        "alarms",
        "api_tokens",
        "audit_log",
        "device_tokens",
        "energy_records",
        "enterprises",
        "flows",
        "leak_event_history",
        "leak_events",
        "ledger_batch_exceptions",
        "ledger_batch_meters",
        "ledger_batches",
        "ledger_checkpoints",
        "ledger_cosignatures",
        "ledger_device_keys",
        "ledger_incidents",
        "ledger_logs",
        "ledger_meters",
        "ledger_tiles",
        "meter_events",
        "meters",
        "parks",
        "production_records",
        "products",
        "provider_grants",
        "quarantine",
        "readings",
        "regions",
        "sites",
        "user_sessions",
        "users",
        "value_added_records",
        "water_plan_history",
        "water_plans",
        "water_units",
    ]


def test_migrations_build_exactly_the_tables(store: Store) -> None:
    with store._engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, schema.metadata)
    assert differences == []


def test_sqlite_layout_and_pragmas(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path}/shuixiao.db") as store, store._engine.connect() as connection:
        store.upgrade()
        ddl = connection.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'readings'").scalar_one()
        pragmas = [
            connection.exec_driver_sql(f"PRAGMA {name}").scalar_one()
            for name in ("foreign_keys", "journal_mode", "synchronous")
        ]
    assert ddl.rstrip().endswith("WITHOUT ROWID")
    assert pragmas == [1, "wal", 1]  # synchronous=NORMAL is 1


def test_upgrade_from_empty_and_downgrade(empty_store: Store) -> None:
    assert empty_store.schema_version() is None
    empty_store.upgrade()
    assert empty_store.schema_version() == "0010"
    empty_store.upgrade()  # already at head: nothing to do
    assert empty_store.schema_version() == "0010"
    with empty_store._engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "base")
    with empty_store._engine.connect() as connection:
        left = set(sa.inspect(connection).get_table_names()) - {"alembic_version"}
    assert left == set()
    assert empty_store.schema_version() is None


def test_check_schema_on_an_empty_database(empty_store: Store) -> None:
    with pytest.raises(SchemaVersionError) as caught:
        empty_store.check_schema()
    message = str(caught.value)
    assert f"database at {empty_store.url} is at revision none" in message
    assert "code expects 0010: run `shuixiao db upgrade`" in message


def test_check_schema_behind_and_ahead(store: Store) -> None:
    store.check_schema()
    with store._engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffffffff'")
    with pytest.raises(SchemaVersionError, match="newer shuixiao; upgrade shuixiao"):
        store.check_schema()


def test_tables_missing_says_upgrade(empty_store: Store) -> None:
    with pytest.raises(SchemaVersionError, match="no shuixiao tables .*run `shuixiao db upgrade`"):
        empty_store.list_enterprises()


def test_the_month_before_migration_keeps_the_aggregates(store: Store) -> None:
    """0010 adds ``aggregates.month_before`` as NULL (not kept) to the rows there are, and drops it again."""
    with store._engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "0009")
        connection.exec_driver_sql(
            "INSERT INTO aggregates (meter_key, resolution, start, value, minimum, maximum, count, quality) "
            f"VALUES (1, 'P1D', {'0' if store._engine.dialect.name == 'sqlite' else 'now()'}, 2.5, 1, 4, 3, 0)"
        )
    with store._engine.connect() as connection:
        assert "month_before" not in {c["name"] for c in sa.inspect(connection).get_columns("aggregates")}
    store.upgrade()
    assert store.schema_version() == "0010"
    with store._engine.connect() as connection:
        rows = connection.execute(
            sa.select(schema.aggregates.c.value, schema.aggregates.c.month_before)
        ).all()
    assert [tuple(r) for r in rows] == [(2.5, None)]
