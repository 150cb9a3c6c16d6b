"""Initial schema: the water-system model, readings, aggregates and meter events.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# An instant in UTC: INTEGER seconds since the Unix epoch on SQLite, TIMESTAMP WITH TIME ZONE on
# PostgreSQL (shuixiao.storage.schema.UTCTimestamp, frozen here as it was at this revision).
_UTC = sa.Integer().with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")


def upgrade() -> None:
    """Create every table."""
    op.create_table(
        "regions",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("admin_code", sa.String(), nullable=False, comment="GB/T 2260 six-digit code"),
        sa.Column("parent", sa.String(), nullable=True),
        sa.Column("name_en", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent"],
            ["regions.id"],
            name=op.f("fk_regions_parent_regions"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regions")),
    )
    op.create_table(
        "parks",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("name_en", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["region"],
            ["regions.id"],
            name=op.f("fk_parks_region_regions"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parks")),
    )
    op.create_table(
        "enterprises",
        sa.Column("key", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("industry_code", sa.String(length=4), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("park", sa.String(), nullable=True),
        sa.Column("name_en", sa.String(), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["park"],
            ["parks.id"],
            name=op.f("fk_enterprises_park_parks"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["region"],
            ["regions.id"],
            name=op.f("fk_enterprises_region_regions"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_enterprises")),
        sa.UniqueConstraint("id", name=op.f("uq_enterprises_id")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "products",
        sa.Column("enterprise_key", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, comment="index in the enterprise's tuple"),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False, comment="key of PRODUCT_UNITS"),
        sa.Column("benchmark_product", sa.String(), nullable=True),
        sa.Column("name_en", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_key"],
            ["enterprises.key"],
            name=op.f("fk_products_enterprise_key_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("enterprise_key", "id", name=op.f("pk_products")),
    )
    op.create_table(
        "sites",
        sa.Column("enterprise_key", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, comment="index in the enterprise's tuple"),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=True),
        sa.Column("latitude", sa.Double(), nullable=True, comment="WGS 84 [°]"),
        sa.Column("longitude", sa.Double(), nullable=True, comment="WGS 84 [°]"),
        sa.ForeignKeyConstraint(
            ["enterprise_key"],
            ["enterprises.key"],
            name=op.f("fk_sites_enterprise_key_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("enterprise_key", "id", name=op.f("pk_sites")),
    )
    op.create_table(
        "value_added_records",
        sa.Column("enterprise_key", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, comment="index in the enterprise's tuple"),
        sa.Column("start_date", sa.Date(), nullable=False, comment="first local day"),
        sa.Column("end_date", sa.Date(), nullable=False, comment="local day after the last"),
        sa.Column("value", sa.Double(), nullable=False, comment="[CNY]"),
        sa.ForeignKeyConstraint(
            ["enterprise_key"],
            ["enterprises.key"],
            name=op.f("fk_value_added_records_enterprise_key_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("enterprise_key", "position", name=op.f("pk_value_added_records")),
    )
    op.create_table(
        "production_records",
        sa.Column("enterprise_key", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, comment="index in the enterprise's tuple"),
        sa.Column("product", sa.String(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False, comment="first local day"),
        sa.Column("end_date", sa.Date(), nullable=False, comment="local day after the last"),
        sa.Column("quantity", sa.Double(), nullable=False, comment="[product unit]"),
        sa.ForeignKeyConstraint(
            ["enterprise_key", "product"],
            ["products.enterprise_key", "products.id"],
            name=op.f("fk_production_records_enterprise_key_product_products"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_key"],
            ["enterprises.key"],
            name=op.f("fk_production_records_enterprise_key_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("enterprise_key", "position", name=op.f("pk_production_records")),
    )
    op.create_table(
        "water_units",
        sa.Column("enterprise_key", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, comment="index in the enterprise's tuple"),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False, comment="UnitKind value"),
        sa.Column("level", sa.SmallInteger(), nullable=True),
        sa.Column("parent", sa.String(), nullable=True),
        sa.Column("site", sa.String(), nullable=True),
        sa.Column("source_type", sa.String(), nullable=True, comment="SourceType value"),
        sa.Column("treatment_type", sa.String(), nullable=True, comment="TreatmentType value"),
        sa.Column("design_flow", sa.Double(), nullable=True, comment="[m³/h]"),
        sa.Column("name_en", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_key", "parent"],
            ["water_units.enterprise_key", "water_units.id"],
            name=op.f("fk_water_units_enterprise_key_parent_water_units"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_key", "site"],
            ["sites.enterprise_key", "sites.id"],
            name=op.f("fk_water_units_enterprise_key_site_sites"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_key"],
            ["enterprises.key"],
            name=op.f("fk_water_units_enterprise_key_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("enterprise_key", "id", name=op.f("pk_water_units")),
    )
    op.create_table(
        "energy_records",
        sa.Column("enterprise_key", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, comment="index in the enterprise's tuple"),
        sa.Column("water_unit", sa.String(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False, comment="first local day"),
        sa.Column("end_date", sa.Date(), nullable=False, comment="local day after the last"),
        sa.Column("electricity", sa.Double(), nullable=False, comment="[kWh]"),
        sa.Column("steam", sa.Double(), nullable=False, comment="[t]"),
        sa.ForeignKeyConstraint(
            ["enterprise_key", "water_unit"],
            ["water_units.enterprise_key", "water_units.id"],
            name=op.f("fk_energy_records_enterprise_key_water_unit_water_units"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_key"],
            ["enterprises.key"],
            name=op.f("fk_energy_records_enterprise_key_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("enterprise_key", "position", name=op.f("pk_energy_records")),
    )
    op.create_table(
        "flows",
        sa.Column("enterprise_key", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, comment="index in the enterprise's tuple"),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("from_unit", sa.String(), nullable=False),
        sa.Column("to_unit", sa.String(), nullable=True),
        sa.Column("category", sa.String(), nullable=False, comment="FlowCategory value"),
        sa.Column("design_flow", sa.Double(), nullable=True, comment="[m³/h]"),
        sa.Column("name", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_key", "from_unit"],
            ["water_units.enterprise_key", "water_units.id"],
            name=op.f("fk_flows_enterprise_key_from_unit_water_units"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_key", "to_unit"],
            ["water_units.enterprise_key", "water_units.id"],
            name=op.f("fk_flows_enterprise_key_to_unit_water_units"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_key"],
            ["enterprises.key"],
            name=op.f("fk_flows_enterprise_key_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("enterprise_key", "id", name=op.f("pk_flows")),
    )
    op.create_table(
        "meters",
        sa.Column("key", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("enterprise_key", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, comment="index in the enterprise's tuple"),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False, comment="MeterKind value"),
        sa.Column("quantity", sa.String(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False, comment="the unit the meter reports in"),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("flow", sa.String(), nullable=True),
        sa.Column("water_unit", sa.String(), nullable=True),
        sa.Column("accuracy_class", sa.Double(), nullable=True, comment="[% of reading]"),
        sa.Column("installed", sa.Date(), nullable=True),
        sa.Column("calibrated", sa.Date(), nullable=True),
        sa.Column("device", sa.String(), nullable=True),
        sa.Column("register_max", sa.Double(), nullable=True, comment="[meter unit]"),
        sa.Column("model", sa.String(), nullable=True),
        sa.Column("name", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_key", "flow"],
            ["flows.enterprise_key", "flows.id"],
            name=op.f("fk_meters_enterprise_key_flow_flows"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_key", "water_unit"],
            ["water_units.enterprise_key", "water_units.id"],
            name=op.f("fk_meters_enterprise_key_water_unit_water_units"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_key"],
            ["enterprises.key"],
            name=op.f("fk_meters_enterprise_key_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_meters")),
        sa.UniqueConstraint("enterprise_key", "id", name=op.f("uq_meters_enterprise_key_id")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "aggregates",
        sa.Column("meter_key", sa.Integer(), nullable=False, comment="meters.key"),
        sa.Column("resolution", sa.String(), nullable=False, comment="ISO 8601 duration, e.g. PT1H"),
        sa.Column("start", _UTC, nullable=False),
        sa.Column("value", sa.Double(), nullable=False, comment="sum for volumes, mean otherwise"),
        sa.Column("minimum", sa.Double(), nullable=False),
        sa.Column("maximum", sa.Double(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False, comment="readings in the interval"),
        sa.Column("quality", sa.SmallInteger(), nullable=False, comment="worst Quality in the interval"),
        sa.PrimaryKeyConstraint("meter_key", "resolution", "start", name=op.f("pk_aggregates")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "meter_events",
        sa.Column("meter_key", sa.Integer(), nullable=False),
        sa.Column("ts", _UTC, nullable=False),
        sa.Column("kind", sa.String(), nullable=False, comment="e.g. replacement, rollover"),
        sa.Column("detail", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.ForeignKeyConstraint(
            ["meter_key"], ["meters.key"], name=op.f("fk_meter_events_meter_key_meters"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("meter_key", "ts", "kind", name=op.f("pk_meter_events")),
    )
    op.create_table(
        "readings",
        sa.Column("meter_key", sa.Integer(), nullable=False, comment="meters.key"),
        sa.Column("ts", _UTC, nullable=False),
        sa.Column("value", sa.Double(), nullable=False, comment="canonical unit of the meter's quantity"),
        sa.Column("quality", sa.SmallInteger(), nullable=False, comment="Quality value"),
        sa.Column("origin", sa.SmallInteger(), nullable=False, comment="Origin value"),
        sa.PrimaryKeyConstraint("meter_key", "ts", name=op.f("pk_readings")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    """Drop every table."""
    op.drop_table("readings")
    op.drop_table("meter_events")
    op.drop_table("aggregates")
    op.drop_table("meters")
    op.drop_table("flows")
    op.drop_table("energy_records")
    op.drop_table("water_units")
    op.drop_table("production_records")
    op.drop_table("value_added_records")
    op.drop_table("sites")
    op.drop_table("products")
    op.drop_table("enterprises")
    op.drop_table("parks")
    op.drop_table("regions")
