"""Shared fixtures: database backends for the storage tests, and a realistic enterprise.

Storage tests take ``store`` (migrated) or ``empty_store`` (not migrated); both
run once on SQLite (a file under ``tmp_path``) and once on PostgreSQL.  For
PostgreSQL a uniquely named database is created for the test session on the
server named by ``SHUIXIAO_TEST_POSTGRES_URL`` (default: the local server)
and dropped at the end; each test starts from an empty ``public`` schema.
When the server cannot be reached the PostgreSQL tests are skipped with the
reason shown, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from shuixiao.model import (
    EnergyRecord,
    Enterprise,
    Flow,
    FlowCategory,
    Meter,
    MeterKind,
    Park,
    Product,
    ProductionRecord,
    Region,
    Site,
    SourceType,
    TreatmentType,
    UnitKind,
    ValueAddedRecord,
    WaterUnit,
    credit_code_check_character,
)
from shuixiao.storage import Store

MQTT_VARIABLE = "SHUIXIAO_TEST_MQTT"
POSTGRES_URL_VARIABLE = "SHUIXIAO_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _server_url() -> sa.URL:
    url = sa.make_url(os.environ.get(POSTGRES_URL_VARIABLE, DEFAULT_POSTGRES_URL))
    return url.set(drivername="postgresql+psycopg")


def _admin_engine(url: sa.URL) -> sa.Engine:
    return sa.create_engine(
        url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool, connect_args={"connect_timeout": 5}
    )


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this test session (dropped afterwards)."""
    server = _server_url()
    name = f"shuixiao_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = _admin_engine(server)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.DBAPIError as err:
        admin.dispose()
        first_line = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
        reason = (
            f"PostgreSQL tests need a server where a database can be created; "
            f"{server.render_as_string(hide_password=True)} failed: {first_line}. "
            f"Start PostgreSQL or set {POSTGRES_URL_VARIABLE}"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (required when CI=true)", pytrace=False)
        pytest.skip(reason)
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _empty_public_schema(url: str) -> None:
    engine = _admin_engine(sa.make_url(url))
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """URL of an empty database: an SQLite file in a not-yet-existing directory, or PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/data/shuixiao.db"
    url: str = request.getfixturevalue("postgres_database")
    _empty_public_schema(url)
    return url


@pytest.fixture
def empty_store(database_url: str) -> Iterator[Store]:
    """A store on an empty database (no schema)."""
    with Store.open(database_url) as store:
        yield store


@pytest.fixture
def store(empty_store: Store) -> Store:
    """A store migrated to the newest schema."""
    empty_store.upgrade()
    return empty_store


# --- a realistic model ---------------------------------------------------------------------------


@pytest.fixture
def regions() -> list[Region]:
    """A province and a city in it."""
    return [
        Region("cn-hn", "湖南省", "430000", name_en="Hunan"),
        Region("cn-hn-xt", "湘潭市", "430300", parent="cn-hn", name_en="Xiangtan"),
    ]


@pytest.fixture
def parks() -> list[Park]:
    """One industrial park in the city."""
    return [Park("xt-jiuhua", "湘潭九华经济技术开发区", "cn-hn-xt", name_en="Xiangtan Jiuhua EDZ")]


def build_enterprise(enterprise_id: str = "xg-steel", **changes: Any) -> Enterprise:
    """A steel works: three sources, three workshops, cooling, softening, a boiler and a wastewater plant."""
    first17 = "91430300712123456"
    sites = (
        Site("main", "主厂区", address="湖南省湘潭市岳塘区钢城路1号", latitude=27.862, longitude=112.951),
    )
    units = (
        WaterUnit("src-river", "湘江取水泵站", UnitKind.SOURCE, source_type=SourceType.SURFACE, site="main"),
        WaterUnit("src-city", "市政自来水", UnitKind.SOURCE, source_type=SourceType.MUNICIPAL),
        WaterUnit("src-reclaimed", "城市再生水", UnitKind.SOURCE, source_type=SourceType.RECLAIMED),
        WaterUnit("ironmaking", "炼铁厂", UnitKind.WORKSHOP, level=2, site="main", name_en="Ironmaking"),
        WaterUnit(
            "bf1-cooling",
            "1号高炉净环水系统",
            UnitKind.INDIRECT_COOLING,
            level=3,
            parent="ironmaking",
            design_flow=12000.0,
        ),
        WaterUnit("bf1-tower", "1号高炉冷却塔", UnitKind.COOLING_TOWER, level=3, parent="ironmaking"),
        WaterUnit("steelmaking", "炼钢厂", UnitKind.WORKSHOP, level=2),
        WaterUnit("bof-cooling", "转炉浊环水系统", UnitKind.DIRECT_COOLING, level=3, parent="steelmaking"),
        WaterUnit("utilities", "动力厂", UnitKind.WORKSHOP, level=2),
        WaterUnit(
            "softening",
            "软水站",
            UnitKind.TREATMENT,
            level=3,
            parent="utilities",
            treatment_type=TreatmentType.SOFTENING,
        ),
        WaterUnit("boiler", "燃气锅炉", UnitKind.BOILER, level=3, parent="utilities", design_flow=35.5),
        WaterUnit(
            "wwtp",
            "综合污水处理站",
            UnitKind.TREATMENT,
            level=3,
            parent="utilities",
            treatment_type=TreatmentType.WASTEWATER_PLANT,
        ),
        WaterUnit("office", "办公生活区", UnitKind.DOMESTIC, level=2),
        WaterUnit("outfall", "总排口", UnitKind.DISCHARGE),
    )
    flows = (
        Flow("f-river", "src-river", "bf1-cooling", FlowCategory.FRESH, 300.0, "高炉补水"),
        Flow("f-river-soft", "src-river", "softening", FlowCategory.FRESH, 40.0),
        Flow("f-city", "src-city", "office", FlowCategory.FRESH, 20.0),
        Flow("f-reclaimed", "src-reclaimed", "bof-cooling", FlowCategory.NON_CONVENTIONAL, 80.0),
        Flow("f-bf-loop", "bf1-cooling", "bf1-tower", FlowCategory.RECIRCULATED, 12000.0),
        Flow("f-tower-return", "bf1-tower", "bf1-cooling", FlowCategory.RECIRCULATED),
        Flow("f-tower-evap", "bf1-tower", None, FlowCategory.CONSUMPTION, name="蒸发风吹损失"),
        Flow("f-blowdown", "bf1-tower", "bof-cooling", FlowCategory.CASCADED, 40.0, "排污水串联"),
        Flow("f-soft-boiler", "softening", "boiler", FlowCategory.FRESH),
        Flow("f-steam", "boiler", "steelmaking", FlowCategory.STEAM),
        Flow("f-bof-ww", "bof-cooling", "wwtp", FlowCategory.WASTEWATER),
        Flow("f-office-ww", "office", "wwtp", FlowCategory.WASTEWATER),
        Flow("f-reuse", "wwtp", "bf1-tower", FlowCategory.RECLAIMED),
        Flow("f-discharge", "wwtp", "outfall", FlowCategory.DISCHARGE),
        Flow("f-leak", "bf1-cooling", None, FlowCategory.LEAKAGE),
    )
    meters = (
        Meter(
            "FT-101",
            MeterKind.TOTALIZER,
            "volume",
            "m³",
            1,
            flow="f-river",
            accuracy_class=2.0,
            installed=dt.date(2021, 3, 1),
            calibrated=dt.date(2024, 3, 1),
            device="SN-88120",
            register_max=99_999_999.0,
            model="E+H Promag 10W",
            name="取水总表",
        ),
        Meter("FT-102", MeterKind.TOTALIZER, "volume", "t", 1, flow="f-city"),
        Meter("FT-103", MeterKind.RATE, "flow_rate", "m3/h", 1, flow="f-reclaimed"),
        Meter("FT-201", MeterKind.RATE, "flow_rate", "L/s", 2, flow="f-bf-loop"),
        Meter("FT-301", MeterKind.TOTALIZER, "volume", "m³", 1, flow="f-discharge"),
        Meter("AT-201", MeterKind.QUALITY, "conductivity", "µS/cm", 3, water_unit="bf1-tower"),
        Meter("PT-201", MeterKind.PRESSURE, "pressure", "MPa", 3, water_unit="bf1-cooling"),
        Meter("LT-301", MeterKind.LEVEL, "level", "m", 3, water_unit="wwtp", name="调节池液位"),
    )
    products = (
        Product("steel", "粗钢", "t", benchmark_product="crude_steel", name_en="Crude steel"),
        Product("power", "自发电", "kWh"),
    )
    fields: dict[str, Any] = {
        "id": enterprise_id,
        "name": "湘钢示范钢铁有限公司",
        "credit_code": first17 + credit_code_check_character(first17),
        "industry_code": "3120",
        "region": "cn-hn-xt",
        "park": "xt-jiuhua",
        "name_en": "Xiangtan Demo Steel Co., Ltd.",
        "employees": 3200,
        "sites": sites,
        "units": units,
        "flows": flows,
        "meters": meters,
        "products": products,
        "production": (
            ProductionRecord("steel", dt.date(2024, 1, 1), dt.date(2024, 2, 1), 182_350.5),
            ProductionRecord("steel", dt.date(2024, 2, 1), dt.date(2024, 3, 1), 169_020.0),
            ProductionRecord("power", dt.date(2024, 1, 1), dt.date(2024, 2, 1), 4.2e7),
        ),
        "value_added": (ValueAddedRecord(dt.date(2024, 1, 1), dt.date(2025, 1, 1), 2.13e9),),
        "energy": (
            EnergyRecord("bf1-cooling", dt.date(2024, 1, 1), dt.date(2024, 2, 1), electricity=1.25e6),
            EnergyRecord("boiler", dt.date(2024, 1, 1), dt.date(2024, 2, 1), electricity=8.0e4, steam=12.5),
        ),
    }
    fields.update(changes)
    return Enterprise(**fields)


@pytest.fixture
def make_enterprise() -> Callable[..., Enterprise]:
    """Factory of a realistic, valid steel works: ``make_enterprise(id, **field_changes)``."""
    return build_enterprise


@pytest.fixture(scope="session")
def broker() -> tuple[str, int]:
    """Host and port of a reachable MQTT broker (``SHUIXIAO_TEST_MQTT``, default 127.0.0.1:1883).

    Skips with the reason when none answers, except under ``CI=true``, where it fails.
    """
    host, _, port = os.environ.get(MQTT_VARIABLE, "127.0.0.1:1883").rpartition(":")
    address = (host or "127.0.0.1", int(port))
    try:
        socket.create_connection(address, timeout=2).close()
    except OSError as err:
        reason = (
            f"MQTT tests need a broker at {address[0]}:{address[1]} ({err.strerror or err}); start mosquitto "
            f"or set {MQTT_VARIABLE}=host:port"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (required when CI=true)", pytrace=False)
        pytest.skip(reason)
    return address
