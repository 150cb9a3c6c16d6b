"""Fixtures of the service tests: two tenants in a real database, one user per role, the app.

Tenant A is the steel works ``xg-steel`` in park ``xt-jiuhua`` (湘潭, 湖南); tenant B is
``sz-steel`` in park ``sz-park`` (深圳, 广东).  Every role is given to a user of
tenant A's side (scoped to A's enterprise, park or province); ``b_manager`` and
``b_device`` belong to B.  Each user has a bearer API token (``world.client(key)``),
and all share one password, so that session logins can be tested too.

B's data carries markers (its name, credit code, reading values and water-use plan, event
note, a quarantined meter id) that must never appear in an answer to A's side.

Test modules cannot import this file (``--import-mode=importlib``); helpers are fixtures.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shuixiao.config import Settings
from shuixiao.ingest import Pipeline, RawReading, Source
from shuixiao.model import (
    Enterprise,
    Flow,
    FlowCategory,
    Meter,
    MeterKind,
    Origin,
    Park,
    Product,
    Region,
    SourceType,
    UnitKind,
    WaterUnit,
    credit_code_check_character,
)
from shuixiao.service import create_app
from shuixiao.service._secrets import hash_password, new_token
from shuixiao.storage import AccountStore, Store
from shuixiao.storage.plans import PlanInput, PlanStore

PASSWORD = "correct horse battery staple"
A, B = "xg-steel", "sz-steel"
B_NAME = "深圳示范钢铁有限公司"
B_CREDIT = "91440300MA5FPX7Q1"
B_VALUE_BASE = 777_000.5
B_EVENT_NOTE = "b-secret-calibration"
B_QUARANTINED_METER = "ZZ-B-SECRET"
B_MARKERS = (
    B_NAME,
    B_CREDIT,
    "777000.5",
    B_EVENT_NOTE,
    B_QUARANTINED_METER,
    "广东省",
    "深圳市",
    "深圳示范园",
)
"""Strings only tenant B's data contains; none may reach tenant A's side."""

ROLE_USERS: dict[str, tuple[str, str, str | None]] = {
    "admin": ("admin", "platform", None),
    "regulator": ("regulator", "region", "cn-hn"),
    "park_operator": ("park_operator", "park", "xt-jiuhua"),
    "enterprise_manager": ("enterprise_manager", "enterprise", A),
    "enterprise_viewer": ("enterprise_viewer", "enterprise", A),
    "auditor": ("auditor", "region", "cn-hn"),
    "service_provider": ("service_provider", "platform", None),
    "b_manager": ("enterprise_manager", "enterprise", B),
}
"""User key -> (role, scope kind, scope id); the login is the key with '-' for '_'."""


@cache
def password_hash() -> str:
    """One argon2id hash of :data:`PASSWORD`, shared by every test user (hashing is slow on purpose)."""
    return hash_password(PASSWORD)


@dataclass
class World:
    """The two tenants, their users and tokens, and the app on top."""

    store: Store
    app: FastAPI
    tokens: dict[str, str]
    ids: dict[str, Any] = field(default_factory=dict)

    def client(self, key: str | None = None) -> TestClient:
        """A client authenticated with the bearer token of ``key`` (a user key, ``device`` or ``b_device``)."""
        client = TestClient(self.app, raise_server_exceptions=False)
        if key is not None:
            client.headers["Authorization"] = f"Bearer {self.tokens[key]}"
        return client

    def session(self, key: str) -> TestClient:
        """A client logged in with the session cookie of user ``key``; sends the CSRF header."""
        client = TestClient(self.app, raise_server_exceptions=False)
        answer = client.post("/api/v1/session/login", json={"login": login_of(key), "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        return client


def login_of(key: str) -> str:
    """The login of user ``key``."""
    return key.replace("_", "-")


def _regions() -> list[Region]:
    return [
        Region("cn-hn", "湖南省", "430000", name_en="Hunan"),
        Region("cn-hn-xt", "湘潭市", "430300", parent="cn-hn", name_en="Xiangtan"),
        Region("cn-gd", "广东省", "440000", name_en="Guangdong"),
        Region("cn-gd-sz", "深圳市", "440300", parent="cn-gd", name_en="Shenzhen"),
    ]


def _parks() -> list[Park]:
    return [
        Park("xt-jiuhua", "湘潭九华经济技术开发区", "cn-hn-xt", name_en="Xiangtan Jiuhua EDZ"),
        Park("sz-park", "深圳示范园", "cn-gd-sz", name_en="Shenzhen demo park"),
    ]


def make_enterprise(enterprise_id: str, **changes: Any) -> Enterprise:
    """A small steel works: a river intake, a workshop with a cooling loop, an outfall; two meters."""
    first17 = "91430300712123456"
    fields: dict[str, Any] = {
        "id": enterprise_id,
        "name": "湘钢示范钢铁有限公司",
        "credit_code": first17 + credit_code_check_character(first17),
        "industry_code": "3120",
        "region": "cn-hn-xt",
        "park": "xt-jiuhua",
        "name_en": "Xiangtan Demo Steel",
        "units": (
            WaterUnit("src-river", "湘江取水泵站", UnitKind.SOURCE, source_type=SourceType.SURFACE),
            WaterUnit("ironmaking", "炼铁厂", UnitKind.WORKSHOP, level=2),
            WaterUnit(
                "bf-cooling", "高炉净环水系统", UnitKind.INDIRECT_COOLING, level=3, parent="ironmaking"
            ),
            WaterUnit("outfall", "总排口", UnitKind.DISCHARGE),
        ),
        "flows": (
            Flow("f-river", "src-river", "ironmaking", FlowCategory.FRESH, 300.0),
            Flow("f-loop", "ironmaking", "bf-cooling", FlowCategory.RECIRCULATED),
            Flow("f-return", "bf-cooling", "ironmaking", FlowCategory.RECIRCULATED),
            Flow("f-discharge", "ironmaking", "outfall", FlowCategory.DISCHARGE),
        ),
        "meters": (
            Meter(
                "FT-101",
                MeterKind.TOTALIZER,
                "volume",
                "m³",
                1,
                flow="f-river",
                installed=dt.date(2021, 3, 1),
            ),
            Meter("FT-201", MeterKind.RATE, "flow_rate", "L/s", 2, flow="f-loop"),
        ),
        "products": (Product("steel", "粗钢", "t", benchmark_product="crude_steel"),),
    }
    fields.update(changes)
    return Enterprise(**fields)


def _series(store: Store, enterprise: str, base: float, start: dt.datetime) -> None:
    records = [
        RawReading("FT-101", int((start + dt.timedelta(minutes=15 * i)).timestamp()), base + 10.25 * i)
        for i in range(96)
    ]
    records.append(RawReading("FT-201", int(start.timestamp()), 2.0, unit="L/s"))
    pipeline = Pipeline(store)
    result = pipeline.ingest(enterprise, records, Source(Origin.FILE, f"{enterprise}.csv"))
    assert result.accepted == len(records), result.reasons()


def build_world(store: Store, data_dir: Path) -> World:
    """Fill ``store`` with the two tenants, users, tokens and grants; return the world with its app."""
    store.save_model(_regions(), _parks(), [])
    store.save_enterprise(make_enterprise(A))
    store.save_enterprise(
        make_enterprise(
            B,
            name=B_NAME,
            name_en="Shenzhen Demo Steel",
            region="cn-gd-sz",
            park="sz-park",
            credit_code=B_CREDIT + credit_code_check_character(B_CREDIT),
        )
    )
    day = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    _series(store, A, 1000.0, day)
    _series(store, B, B_VALUE_BASE, day)
    store.add_meter_event(B, "FT-101", day, "calibration", {"note": B_EVENT_NOTE})
    store.add_meter_event(A, "FT-101", day, "calibration", {"note": "a-calibration"})
    Pipeline(store).ingest(
        B, [RawReading(B_QUARANTINED_METER, 1735689600, 1.0)], Source(Origin.FILE, "b.csv")
    )
    Pipeline(store).ingest(A, [RawReading("ZZ-A", 1735689600, 1.0)], Source(Origin.FILE, "a.csv"))
    PlanStore(store).set_plans([PlanInput(B, "2025-01", B_VALUE_BASE, note=B_EVENT_NOTE)], by="b-manager")
    accounts = AccountStore(store)
    tokens: dict[str, str] = {}
    ids: dict[str, Any] = {}
    for key, (role, kind, scope) in ROLE_USERS.items():
        user = accounts.create_user(login_of(key), key, password_hash(), role, kind, scope)
        token, digest = new_token("sxa_")
        ids[f"{key}_token"] = accounts.add_api_token(digest, user.id, f"{key}-token", "test").id
        tokens[key] = token
        ids[f"{key}_user"] = user.id
    for key, enterprise in (("device", A), ("b_device", B)):
        token, digest = new_token("sxd_")
        ids[f"{key}_token"] = accounts.add_device_token(digest, key, enterprise, "test").id
        tokens[key] = token
    ids["a_grant"] = accounts.add_grant(A, ids["service_provider_user"], "admin").id
    provider_b = accounts.create_user(
        "provider-b", "B's provider", password_hash(), "service_provider", "platform", None
    )
    ids["b_grant"] = accounts.add_grant(B, provider_b.id, "b-manager").id
    accounts.audit(
        "b-manager", "grant.create", "provider-b", {"note": B_EVENT_NOTE}, None, "success", enterprise=B
    )
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir}/unused.db")
    return World(store, create_app(settings, store=store), tokens, ids)


@pytest.fixture
def world(store: Store, tmp_path: Path) -> World:
    """The two tenants on a fresh database (SQLite and PostgreSQL)."""
    return build_world(store, tmp_path)


def _postgres_server() -> sa.URL:
    url = os.environ.get(
        "SHUIXIAO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    return sa.make_url(url).set(drivername="postgresql+psycopg")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def module_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The two tenants, built once per test module, on SQLite and on a PostgreSQL database of its own."""
    directory = tmp_path_factory.mktemp("world")
    if request.param == "sqlite":
        with Store.open(f"sqlite:///{directory}/shuixiao.db") as store:
            store.upgrade()
            yield build_world(store, directory)
        return
    request.getfixturevalue("postgres_database")  # skips (or fails under CI) when there is no server
    server = _postgres_server()
    name = f"shuixiao_world_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        with Store.open(server.set(database=name).render_as_string(hide_password=False)) as store:
            store.upgrade()
            yield build_world(store, directory)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def b_markers() -> tuple[str, ...]:
    """Strings only tenant B's data contains."""
    return B_MARKERS


@pytest.fixture(scope="session")
def test_password() -> str:
    """The password of every test user."""
    return PASSWORD


@pytest.fixture(scope="session")
def world_builder() -> Any:
    """:func:`build_world`, for fixtures that build the two tenants on a database of their own."""
    return build_world
