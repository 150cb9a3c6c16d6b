"""A small plant whose readings go through the real ingestion pipeline, and a short demo park.

The plant: one well feeding a workshop that discharges to an outfall and consumes the rest.
``FT-1`` (totalizer, class 1) measures the intake at a constant 10 m³/h, ``FI-2`` (rate meter,
m³/h, class 2) the discharge at a constant 6 m³/h, ``FT-3`` (totalizer) the same discharge,
so every true volume is rate × hours and gaps can be placed at will.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from shuixiao.demo import DemoConfig
from shuixiao.demo.build import build_demo
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
    ProductionRecord,
    Region,
    SourceType,
    UnitKind,
    ValueAddedRecord,
    WaterUnit,
    credit_code_check_character,
)
from shuixiao.storage import Store

ZONE = "Asia/Shanghai"
INTAKE_RATE = 10.0  # m³/h
DISCHARGE_RATE = 6.0  # m³/h
HOUR = 3600


def local(*args: int) -> dt.datetime:
    """A local (Asia/Shanghai) wall-clock time as aware UTC."""
    from zoneinfo import ZoneInfo

    return dt.datetime(*args, tzinfo=ZoneInfo(ZONE)).astimezone(dt.UTC)  # type: ignore[misc]


def small_plant() -> tuple[list[Region], Park, Enterprise]:
    """The plant of the module docstring with its region and park."""
    regions = [
        Region("hn", "湖南省", "430000", name_en="Hunan"),
        Region("yy", "岳阳市", "430600", parent="hn", name_en="Yueyang"),
    ]
    park = Park("p1", "测试园区", "yy", name_en="Test park")
    first17 = "91430600712123456"
    units = (
        WaterUnit("well", "深井", UnitKind.SOURCE, source_type=SourceType.GROUNDWATER),
        WaterUnit("ws", "车间", UnitKind.WORKSHOP, level=2),
        WaterUnit("out", "排口", UnitKind.DISCHARGE),
    )
    flows = (
        Flow("in", "well", "ws", FlowCategory.FRESH),
        Flow("d", "ws", "out", FlowCategory.DISCHARGE),
        Flow("use", "ws", None, FlowCategory.CONSUMPTION),
    )
    installed = dt.date(2024, 6, 1)
    meters = (
        Meter(
            "FT-1", MeterKind.TOTALIZER, "volume", "m³", 1, flow="in", accuracy_class=1.0, installed=installed
        ),
        Meter(
            "FI-2", MeterKind.RATE, "flow_rate", "m³/h", 1, flow="d", accuracy_class=2.0, installed=installed
        ),
        Meter(
            "FT-3", MeterKind.TOTALIZER, "volume", "m³", 1, flow="d", accuracy_class=2.0, installed=installed
        ),
    )
    months = [(dt.date(2025, m, 1), dt.date(2025 + (m == 12), m % 12 + 1, 1)) for m in range(1, 13)]
    enterprise = Enterprise(
        "plant",
        "测试工厂",
        first17 + credit_code_check_character(first17),
        "3120",
        "yy",
        park="p1",
        units=units,
        flows=flows,
        meters=meters,
        products=(Product("steel", "粗钢", "t", benchmark_product="crude_steel"),),
        production=tuple(ProductionRecord("steel", a, b, 1000.0 * (b - a).days) for a, b in months),
        value_added=tuple(ValueAddedRecord(a, b, 1.0e6 * (b - a).days) for a, b in months),
    )
    return regions, park, enterprise


def hourly(
    start: dt.datetime, end: dt.datetime, skip: Iterable[tuple[dt.datetime, dt.datetime]] = ()
) -> list[int]:
    """Epoch seconds of every hour in ``[start, end]`` outside the ``skip`` windows ``[a, b)``."""
    windows = [(a.timestamp(), b.timestamp()) for a, b in skip]
    result = []
    t = int(start.timestamp())
    while t <= end.timestamp():
        if not any(a <= t < b for a, b in windows):
            result.append(t)
        t += HOUR
    return result


@pytest.fixture
def plant_store(store: Store) -> Callable[..., Store]:
    """``plant_store(intake=[ts…], rate=[ts…], discharge=[ts…])``: the plant with readings at those times."""
    regions, park, enterprise = small_plant()
    store.save_model(regions, (park,), (enterprise,))
    origin = local(2025, 1, 1).timestamp()

    def fill(intake: Iterable[int] = (), rate: Iterable[int] = (), discharge: Iterable[int] = ()) -> Store:
        records = [RawReading("FT-1", t, 1000.0 + INTAKE_RATE * (t - origin) / HOUR) for t in intake]
        records += [RawReading("FI-2", t, DISCHARGE_RATE) for t in rate]
        records += [RawReading("FT-3", t, 50.0 + DISCHARGE_RATE * (t - origin) / HOUR) for t in discharge]
        pipeline = Pipeline(store, interval=HOUR, timezone=ZONE)
        result = pipeline.ingest("plant", records, Source(Origin.FILE, "test"))
        assert all(r.status.value in ("accepted", "duplicate") for r in result.results), [
            r for r in result.results if r.status.value not in ("accepted", "duplicate")
        ][:3]
        return store

    return fill


DEMO = DemoConfig(enterprises=6, days=40, seed=2025)
"""January and nine days of February 2025: a whole month (monthly aggregates) and a part (daily)."""


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, dict[str, Any], Path]:
    """The demo park of :data:`DEMO` in an SQLite store, with its ground truth."""
    directory = tmp_path_factory.mktemp("assess-demo")
    store = Store.open(f"sqlite:///{directory}/db.sqlite")
    store.upgrade()
    build_demo(store, DEMO, directory)
    truth = json.loads((directory / "truth.json").read_text(encoding="utf-8"))
    return store, truth, directory
