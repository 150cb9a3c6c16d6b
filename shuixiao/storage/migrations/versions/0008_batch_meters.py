"""Batch readings kept per batch and meter, with only the readings ingestion did not accept listed one by one.

``ledger_batch_readings`` (a row per batch reading) becomes ``ledger_batch_meters`` (a row per batch and
meter: the positions and times of its readings, packed) and ``ledger_batch_exceptions`` (a row per batch
reading that was a duplicate or rejected). Existing rows are converted both ways.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 00:00:00
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Iterator, Sequence
from itertools import chain
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = sa.Integer().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_CHUNK = 5_000  # rows per INSERT
_PAGE = 10_000  # batch ids converted at a time


def _seconds(value: Any) -> int:
    """Epoch seconds of a stored time (an integer on SQLite, a datetime on PostgreSQL)."""
    return int(value) if isinstance(value, int) else int((value - _EPOCH).total_seconds())


def _binder(connection: sa.Connection) -> Any:
    if connection.dialect.name == "sqlite":
        return int
    return lambda seconds: _EPOCH + dt.timedelta(seconds=seconds)


def _insert(connection: sa.Connection, table: str, columns: Sequence[str], rows: Iterator[tuple[Any, ...]]) -> None:
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == _CHUNK:
            connection.exec_driver_sql(sql, chunk)
            chunk = []
    if chunk:
        connection.exec_driver_sql(sql, chunk)


def _pages(connection: sa.Connection, table: str, sql: str) -> Iterator[tuple[Any, ...]]:
    """The rows of ``sql`` (which ends in a ``batch_id`` range and an ORDER BY), batch ids a page at a time."""
    low, high = connection.exec_driver_sql(f"SELECT MIN(batch_id), MAX(batch_id) FROM {table}").one()
    if low is None:
        return
    for first in range(int(low), int(high) + 1, _PAGE):
        yield from connection.exec_driver_sql(sql.format(first=first, last=first + _PAGE)).fetchall()


def _batch_readings_table() -> None:
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


def upgrade() -> None:
    """Create the per-meter and exception tables, convert the reading rows, drop ``ledger_batch_readings``."""
    op.create_table(
        "ledger_batch_meters",
        sa.Column("batch_id", _ID, nullable=False),
        sa.Column("meter_key", sa.Integer(), nullable=False, comment="meters.key"),
        sa.Column("first_ts", _UTC, nullable=False, comment="earliest time of its readings in the batch"),
        sa.Column("last_ts", _UTC, nullable=False, comment="latest time of its readings in the batch"),
        sa.Column("readings", sa.Integer(), nullable=False, comment="number of its readings in the batch"),
        sa.Column(
            "positions",
            sa.LargeBinary(),
            nullable=False,
            comment="their indexes in the batch, uint32 big-endian each",
        ),
        sa.Column(
            "times", sa.LargeBinary(), nullable=False, comment="their times, s since epoch, int64 big-endian each"
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["ledger_batches.id"],
            name=op.f("fk_ledger_batch_meters_batch_id_ledger_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("batch_id", "meter_key", name=op.f("pk_ledger_batch_meters")),
        sqlite_with_rowid=False,
        comment="the readings of each meter a batch carries (one row per batch and meter)",
    )
    op.create_index(
        op.f("ix_ledger_batch_meters_meter_key_last_ts"), "ledger_batch_meters", ["meter_key", "last_ts"]
    )
    op.create_table(
        "ledger_batch_exceptions",
        sa.Column("batch_id", _ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, comment="index of the reading in the batch"),
        sa.Column("meter_key", sa.Integer(), nullable=False, comment="meters.key"),
        sa.Column("ts", _UTC, nullable=False),
        sa.Column(
            "outcome", sa.SmallInteger(), nullable=False, comment="Outcome value at ingestion, not accepted"
        ),
        sa.Column("quarantine_id", sa.Integer(), nullable=True, comment="quarantine.id when rejected"),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["ledger_batches.id"],
            name=op.f("fk_ledger_batch_exceptions_batch_id_ledger_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("batch_id", "position", name=op.f("pk_ledger_batch_exceptions")),
        sqlite_with_rowid=False,
        comment="batch readings that ingestion did not accept; every other batch reading was accepted",
    )
    op.create_index(
        op.f("ix_ledger_batch_exceptions_meter_key_ts"), "ledger_batch_exceptions", ["meter_key", "ts"]
    )
    connection = op.get_bind()
    connection.exec_driver_sql(
        "INSERT INTO ledger_batch_exceptions (batch_id, position, meter_key, ts, outcome, quarantine_id) "
        "SELECT batch_id, position, meter_key, ts, outcome, quarantine_id FROM ledger_batch_readings "
        "WHERE outcome <> 0"
    )
    when = _binder(connection)
    rows = _pages(
        connection,
        "ledger_batch_readings",
        "SELECT batch_id, meter_key, position, ts FROM ledger_batch_readings "
        "WHERE batch_id >= {first} AND batch_id < {last} ORDER BY batch_id, meter_key, position",
    )

    def grouped() -> Iterator[tuple[Any, ...]]:
        key: tuple[int, int] | None = None
        positions: list[int] = []
        times: list[int] = []
        for batch_id, meter_key, position, ts in chain(rows, [(None, None, None, None)]):
            if key is not None and key != (batch_id, meter_key):
                count = len(times)
                yield (
                    *key,
                    when(min(times)),
                    when(max(times)),
                    count,
                    struct.pack(f">{count}I", *positions),
                    struct.pack(f">{count}q", *times),
                )
                positions, times = [], []
            if batch_id is not None:
                key = (int(batch_id), int(meter_key))
                positions.append(int(position))
                times.append(_seconds(ts))

    _insert(
        connection,
        "ledger_batch_meters",
        ("batch_id", "meter_key", "first_ts", "last_ts", "readings", "positions", "times"),
        grouped(),
    )
    op.drop_index(op.f("ix_ledger_batch_readings_meter_key_ts"), table_name="ledger_batch_readings")
    op.drop_table("ledger_batch_readings")


def downgrade() -> None:
    """Recreate ``ledger_batch_readings`` with a row per batch reading, from the per-meter and exception rows."""
    _batch_readings_table()
    connection = op.get_bind()
    when = _binder(connection)
    exceptions = {
        (int(batch_id), int(position)): (int(outcome), quarantine_id)
        for batch_id, position, outcome, quarantine_id in connection.exec_driver_sql(
            "SELECT batch_id, position, outcome, quarantine_id FROM ledger_batch_exceptions"
        )
    }
    meters = _pages(
        connection,
        "ledger_batch_meters",
        "SELECT batch_id, meter_key, positions, times FROM ledger_batch_meters "
        "WHERE batch_id >= {first} AND batch_id < {last} ORDER BY batch_id, meter_key",
    )

    def expanded() -> Iterator[tuple[Any, ...]]:
        for batch_id, meter_key, positions, times in meters:
            count = len(times) // 8
            for position, ts in zip(
                struct.unpack(f">{count}I", positions), struct.unpack(f">{count}q", times), strict=True
            ):
                outcome, quarantine_id = exceptions.get((int(batch_id), position), (0, None))
                yield (int(batch_id), position, int(meter_key), when(ts), outcome, quarantine_id)

    _insert(
        connection,
        "ledger_batch_readings",
        ("batch_id", "position", "meter_key", "ts", "outcome", "quarantine_id"),
        expanded(),
    )
    op.drop_index(op.f("ix_ledger_batch_exceptions_meter_key_ts"), table_name="ledger_batch_exceptions")
    op.drop_table("ledger_batch_exceptions")
    op.drop_index(op.f("ix_ledger_batch_meters_meter_key_last_ts"), table_name="ledger_batch_meters")
    op.drop_table("ledger_batch_meters")
