"""Database tables of the store (SQLAlchemy Core).

The tables mirror :mod:`shuixiao.model.entities` column for column, plus the
time-series tables ``readings``, ``aggregates`` and ``meter_events``, and the
``quarantine`` of records that ingestion rejected.
Everything an enterprise owns hangs off ``enterprises.key`` (a surrogate
integer) and goes with it on delete; the model's string identifiers are
unique per enterprise.  Collections keep a ``position`` column so an
enterprise loads with its tuples in the order it was saved.

Quantities are stored in canonical units (:mod:`shuixiao.units`); timestamps
are UTC (:class:`UTCTimestamp`).  This module is the source the Alembic
migrations are written against: change it only together with a new
migration in ``migrations/versions``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from shuixiao.errors import InvalidInputError

__all__ = [
    "EPOCH_MAX",
    "UTCTimestamp",
    "aggregates",
    "energy_records",
    "enterprises",
    "flows",
    "meter_events",
    "meters",
    "metadata",
    "parks",
    "production_records",
    "products",
    "quarantine",
    "readings",
    "regions",
    "sites",
    "utc_seconds",
    "value_added_records",
    "water_units",
]

EPOCH_MAX = 7_258_118_400
"""First second not accepted as a timestamp (2200-01-01T00:00:00Z). [s since 1970-01-01T00:00:00Z]"""


def utc_seconds(value: dt.datetime) -> int:
    """Return an aware datetime as whole seconds since the Unix epoch.

    Parameters
    ----------
    value : datetime.datetime
        An aware datetime in any time zone.

    Returns
    -------
    int
        Seconds since 1970-01-01T00:00:00Z, fractions dropped. [s]

    Raises
    ------
    InvalidInputError
        If ``value`` is naive (has no time zone) or is not a datetime.

    Examples
    --------
    >>> from zoneinfo import ZoneInfo
    >>> utc_seconds(dt.datetime(2024, 1, 1, 8, tzinfo=ZoneInfo("Asia/Shanghai")))
    1704067200
    """
    if not isinstance(value, dt.datetime):
        raise InvalidInputError(f"expected a datetime, got {type(value).__name__} {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInputError(
            f"naive datetime {value.isoformat()} has no time zone; times are stored in UTC, so say which "
            "zone it is in, e.g. datetime(..., tzinfo=ZoneInfo('Asia/Shanghai')) or tzinfo=timezone.utc"
        )
    delta = value - _EPOCH
    return delta.days * 86_400 + delta.seconds


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class UTCTimestamp(sa.TypeDecorator[dt.datetime]):
    """An instant in time, stored in UTC to the whole second.

    On PostgreSQL the column is ``TIMESTAMP WITH TIME ZONE``; on SQLite it is
    an ``INTEGER`` of seconds since the Unix epoch, which is compact and fast
    to compare.  Values bound to it must be aware datetimes (any zone; they
    are converted); naive datetimes raise :class:`~shuixiao.errors.InvalidInputError`.
    Fractions of a second are dropped.  Values read back are aware datetimes
    in UTC.
    """

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Return ``INTEGER`` on SQLite and ``TIMESTAMP WITH TIME ZONE`` elsewhere."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.Integer())
        return dialect.type_descriptor(sa.TIMESTAMP(timezone=True))

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        """Convert an aware datetime to what the column stores; refuse naive ones."""
        if value is None:
            return None
        seconds = utc_seconds(value)
        if dialect.name == "sqlite":
            return seconds
        return _EPOCH + dt.timedelta(seconds=seconds)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC)
        return _EPOCH + dt.timedelta(seconds=int(value))


metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
"""All tables of the store, with deterministic constraint names (needed by SQLite batch migrations)."""

_DEFERRED: dict[str, Any] = {"deferrable": True, "initially": "DEFERRED"}
_CASCADE: dict[str, Any] = {"ondelete": "CASCADE"}

_DOUBLE: sa.Double[float] = sa.Double()
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _owned(name: str, *columns: sa.Column[Any] | sa.Constraint, **kw: Any) -> sa.Table:
    """A table owned by an enterprise: ``enterprise_key`` (cascade) and ``position`` come first."""
    return sa.Table(
        name,
        metadata,
        sa.Column(
            "enterprise_key",
            sa.Integer,
            sa.ForeignKey("enterprises.key", **_CASCADE),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False, comment="index in the enterprise's tuple"),
        *columns,
        **kw,
    )


def _local(table: str, *columns: str) -> sa.ForeignKeyConstraint:
    """A deferred foreign key to another collection of the same enterprise."""
    return sa.ForeignKeyConstraint(
        ["enterprise_key", *columns],
        [f"{table}.enterprise_key", f"{table}.id"],
        **_DEFERRED,
    )


regions = sa.Table(
    "regions",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("admin_code", sa.String, nullable=False, comment="GB/T 2260 six-digit code"),
    sa.Column("parent", sa.String, sa.ForeignKey("regions.id", **_DEFERRED), nullable=True),
    sa.Column("name_en", sa.String, nullable=True),
)

parks = sa.Table(
    "parks",
    metadata,
    sa.Column("id", sa.String, primary_key=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("region", sa.String, sa.ForeignKey("regions.id", **_DEFERRED), nullable=False),
    sa.Column("name_en", sa.String, nullable=True),
)

enterprises = sa.Table(
    "enterprises",
    metadata,
    sa.Column("key", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String, nullable=False, unique=True),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("credit_code", sa.String(18), nullable=False),
    sa.Column("industry_code", sa.String(4), nullable=False),
    sa.Column("region", sa.String, sa.ForeignKey("regions.id", **_DEFERRED), nullable=False),
    sa.Column("park", sa.String, sa.ForeignKey("parks.id", **_DEFERRED), nullable=True),
    sa.Column("name_en", sa.String, nullable=True),
    sa.Column("employees", sa.Integer, nullable=True),
    sqlite_autoincrement=True,
)

sites = _owned(
    "sites",
    sa.Column("id", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("address", sa.String, nullable=True),
    sa.Column("latitude", _DOUBLE, nullable=True, comment="WGS 84 [°]"),
    sa.Column("longitude", _DOUBLE, nullable=True, comment="WGS 84 [°]"),
    sa.PrimaryKeyConstraint("enterprise_key", "id"),
)

water_units = _owned(
    "water_units",
    sa.Column("id", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("kind", sa.String, nullable=False, comment="UnitKind value"),
    sa.Column("level", sa.SmallInteger, nullable=True),
    sa.Column("parent", sa.String, nullable=True),
    sa.Column("site", sa.String, nullable=True),
    sa.Column("source_type", sa.String, nullable=True, comment="SourceType value"),
    sa.Column("treatment_type", sa.String, nullable=True, comment="TreatmentType value"),
    sa.Column("design_flow", _DOUBLE, nullable=True, comment="[m³/h]"),
    sa.Column("name_en", sa.String, nullable=True),
    sa.PrimaryKeyConstraint("enterprise_key", "id"),
    _local("water_units", "parent"),
    _local("sites", "site"),
)

flows = _owned(
    "flows",
    sa.Column("id", sa.String, nullable=False),
    sa.Column("from_unit", sa.String, nullable=False),
    sa.Column("to_unit", sa.String, nullable=True),
    sa.Column("category", sa.String, nullable=False, comment="FlowCategory value"),
    sa.Column("design_flow", _DOUBLE, nullable=True, comment="[m³/h]"),
    sa.Column("name", sa.String, nullable=True),
    sa.PrimaryKeyConstraint("enterprise_key", "id"),
    _local("water_units", "from_unit"),
    _local("water_units", "to_unit"),
)

meters = sa.Table(
    "meters",
    metadata,
    sa.Column("key", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "enterprise_key",
        sa.Integer,
        sa.ForeignKey("enterprises.key", **_CASCADE),
        nullable=False,
    ),
    sa.Column("position", sa.Integer, nullable=False, comment="index in the enterprise's tuple"),
    sa.Column("id", sa.String, nullable=False),
    sa.Column("kind", sa.String, nullable=False, comment="MeterKind value"),
    sa.Column("quantity", sa.String, nullable=False),
    sa.Column("unit", sa.String, nullable=False, comment="the unit the meter reports in"),
    sa.Column("level", sa.SmallInteger, nullable=False),
    sa.Column("flow", sa.String, nullable=True),
    sa.Column("water_unit", sa.String, nullable=True),
    sa.Column("accuracy_class", _DOUBLE, nullable=True, comment="[% of reading]"),
    sa.Column("installed", sa.Date, nullable=True),
    sa.Column("calibrated", sa.Date, nullable=True),
    sa.Column("device", sa.String, nullable=True),
    sa.Column("register_max", _DOUBLE, nullable=True, comment="[meter unit]"),
    sa.Column("model", sa.String, nullable=True),
    sa.Column("name", sa.String, nullable=True),
    sa.UniqueConstraint("enterprise_key", "id"),
    _local("flows", "flow"),
    _local("water_units", "water_unit"),
    sqlite_autoincrement=True,
)

products = _owned(
    "products",
    sa.Column("id", sa.String, nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("unit", sa.String, nullable=False, comment="key of PRODUCT_UNITS"),
    sa.Column("benchmark_product", sa.String, nullable=True),
    sa.Column("name_en", sa.String, nullable=True),
    sa.PrimaryKeyConstraint("enterprise_key", "id"),
)

production_records = _owned(
    "production_records",
    sa.Column("product", sa.String, nullable=False),
    sa.Column("start_date", sa.Date, nullable=False, comment="first local day"),
    sa.Column("end_date", sa.Date, nullable=False, comment="local day after the last"),
    sa.Column("quantity", _DOUBLE, nullable=False, comment="[product unit]"),
    sa.PrimaryKeyConstraint("enterprise_key", "position"),
    _local("products", "product"),
)

value_added_records = _owned(
    "value_added_records",
    sa.Column("start_date", sa.Date, nullable=False, comment="first local day"),
    sa.Column("end_date", sa.Date, nullable=False, comment="local day after the last"),
    sa.Column("value", _DOUBLE, nullable=False, comment="[CNY]"),
    sa.PrimaryKeyConstraint("enterprise_key", "position"),
)

energy_records = _owned(
    "energy_records",
    sa.Column("water_unit", sa.String, nullable=False),
    sa.Column("start_date", sa.Date, nullable=False, comment="first local day"),
    sa.Column("end_date", sa.Date, nullable=False, comment="local day after the last"),
    sa.Column("electricity", _DOUBLE, nullable=False, comment="[kWh]"),
    sa.Column("steam", _DOUBLE, nullable=False, comment="[t]"),
    sa.PrimaryKeyConstraint("enterprise_key", "position"),
    _local("water_units", "water_unit"),
)

readings = sa.Table(
    "readings",
    metadata,
    # No foreign key to meters: checking it costs more than the insert itself on PostgreSQL.
    # The store checks meter keys before writing and deletes these rows with their meter.
    sa.Column("meter_key", sa.Integer, nullable=False, comment="meters.key"),
    sa.Column("ts", UTCTimestamp(), nullable=False),
    sa.Column("value", _DOUBLE, nullable=False, comment="canonical unit of the meter's quantity"),
    sa.Column("quality", sa.SmallInteger, nullable=False, comment="Quality value"),
    sa.Column("origin", sa.SmallInteger, nullable=False, comment="Origin value"),
    sa.PrimaryKeyConstraint("meter_key", "ts"),
    sqlite_with_rowid=False,
)

aggregates = sa.Table(
    "aggregates",
    metadata,
    # No foreign key to meters: checking it costs more than the insert itself on PostgreSQL.
    # The store checks meter keys before writing and deletes these rows with their meter.
    sa.Column("meter_key", sa.Integer, nullable=False, comment="meters.key"),
    sa.Column("resolution", sa.String, nullable=False, comment="ISO 8601 duration, e.g. PT1H"),
    sa.Column("start", UTCTimestamp(), nullable=False),
    sa.Column("value", _DOUBLE, nullable=False, comment="sum for volumes, mean otherwise"),
    sa.Column("minimum", _DOUBLE, nullable=False),
    sa.Column("maximum", _DOUBLE, nullable=False),
    sa.Column("count", sa.Integer, nullable=False, comment="readings in the interval"),
    sa.Column("quality", sa.SmallInteger, nullable=False, comment="worst Quality in the interval"),
    sa.Column(
        "month_before",
        _DOUBLE,
        nullable=True,
        comment="P1D rows: sum or mean of the month's values before the day; NULL where not kept",
    ),
    sa.PrimaryKeyConstraint("meter_key", "resolution", "start"),
    sqlite_with_rowid=False,
)

meter_events = sa.Table(
    "meter_events",
    metadata,
    sa.Column(
        "meter_key",
        sa.Integer,
        sa.ForeignKey("meters.key", **_CASCADE),
        nullable=False,
    ),
    sa.Column("ts", UTCTimestamp(), nullable=False),
    sa.Column("kind", sa.String, nullable=False, comment="e.g. replacement, rollover"),
    sa.Column("detail", _JSON, nullable=False),
    sa.PrimaryKeyConstraint("meter_key", "ts", "kind"),
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    # No foreign key to enterprises: a record is quarantined even when its enterprise does not
    # exist (yet), and quarantined records outlive a deleted enterprise as evidence.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("enterprise", sa.String, nullable=True, comment="enterprise id as received; null if unknown"),
    sa.Column("meter", sa.String, nullable=True, comment="meter id as received; null if unknown"),
    sa.Column("origin", sa.SmallInteger, nullable=False, comment="Origin value"),
    sa.Column("source", sa.String, nullable=False, comment="file name, MQTT topic, ..."),
    sa.Column("received", UTCTimestamp(), nullable=False),
    sa.Column("payload", sa.Text, nullable=False, comment="the record as received (JSON) or the raw message"),
    sa.Column("reason", sa.String, nullable=False, comment="reason code, e.g. unknown_meter"),
    sa.Column("message", sa.Text, nullable=False, comment="what is wrong and what to do"),
    sa.Column("replayed_at", UTCTimestamp(), nullable=True, comment="when a replay accepted it"),
    sa.Index(None, "enterprise", "reason"),
    sa.Index(None, "replayed_at"),
    sqlite_autoincrement=True,
)
