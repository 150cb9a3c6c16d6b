"""Small hand-computable water systems for the balance engine tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shuixiao.model import Enterprise, Flow, FlowCategory, SourceType, TreatmentType, UnitKind, WaterUnit

F = FlowCategory


def enterprise(units: tuple[WaterUnit, ...], flows: tuple[Flow, ...], **extra: object) -> Enterprise:
    """An enterprise with only a water system (identity codes are not checked by the engines)."""
    fields: dict[str, object] = {"units": units, "flows": flows, **extra}
    return Enterprise("t", "测试企业", "91430300712123456X", "3120", "r", **fields)  # type: ignore[arg-type]


@pytest.fixture
def worked_example() -> Enterprise:
    """The synthetic example of standards.md §1.4 as a plant.

    Vi = 1000, Vcy = 8000, Vs = 500, Vco = 300, Vd = 650, Vl = 50 (m³/d): a workshop takes
    1000 m³ of groundwater, sends 800 to a cooling tower and 200 to a process; the tower
    circulates 8000 through a heat exchanger, evaporates 300 and cascades 500 of blowdown to the
    process, which discharges 650 and leaks 50.
    """
    units = (
        WaterUnit("src", "深井", UnitKind.SOURCE, source_type=SourceType.GROUNDWATER),
        WaterUnit("ws", "车间", UnitKind.WORKSHOP, level=2),
        WaterUnit("tower", "冷却塔", UnitKind.COOLING_TOWER, level=3, parent="ws"),
        WaterUnit("hx", "换热器", UnitKind.INDIRECT_COOLING, level=3, parent="ws"),
        WaterUnit("proc", "工艺", UnitKind.PROCESS, level=3, parent="ws"),
        WaterUnit("out", "排口", UnitKind.DISCHARGE),
    )
    flows = (
        Flow("intake", "src", "ws", F.FRESH),
        Flow("makeup", "ws", "tower", F.FRESH),
        Flow("process", "ws", "proc", F.FRESH),
        Flow("supply", "tower", "hx", F.RECIRCULATED, design_flow=340.0),
        Flow("return", "hx", "tower", F.RECIRCULATED),
        Flow("evap", "tower", None, F.CONSUMPTION),
        Flow("blowdown", "tower", "proc", F.CASCADED),
        Flow("discharge", "proc", "out", F.DISCHARGE),
        Flow("leak", "proc", None, F.LEAKAGE),
    )
    return enterprise(units, flows)


WORKED_VALUES = {
    "intake": 1000.0,
    "makeup": 800.0,
    "process": 200.0,
    "supply": 8000.0,
    "return": 8000.0,
    "evap": 300.0,
    "blowdown": 500.0,
    "discharge": 650.0,
    "leak": 50.0,
}


@pytest.fixture
def two_workshops() -> Enterprise:
    """A treatment plant (supply sub-unit) feeding two workshops with one process each.

    True volumes: intake 1000; the plant discharges 30 of backwash, leaks 20 and delivers 600
    to workshop A and 350 to B; A's process consumes 100 and discharges 500; B's consumes 50
    and discharges 300.
    """
    units = (
        WaterUnit("src", "水源", UnitKind.SOURCE, source_type=SourceType.SURFACE),
        WaterUnit("wtp", "净水站", UnitKind.TREATMENT, level=2, treatment_type=TreatmentType.CLARIFICATION),
        WaterUnit("A", "甲车间", UnitKind.WORKSHOP, level=2),
        WaterUnit("a1", "甲工艺", UnitKind.PROCESS, level=3, parent="A"),
        WaterUnit("B", "乙车间", UnitKind.WORKSHOP, level=2),
        WaterUnit("b1", "乙工艺", UnitKind.PROCESS, level=3, parent="B"),
        WaterUnit("out", "总排口", UnitKind.DISCHARGE),
    )
    flows = (
        Flow("src-wtp", "src", "wtp", F.FRESH),
        Flow("wtp-out", "wtp", "out", F.DISCHARGE),
        Flow("wtp-leak", "wtp", None, F.LEAKAGE),
        Flow("wtp-A", "wtp", "A", F.FRESH),
        Flow("wtp-B", "wtp", "B", F.FRESH),
        Flow("A-a1", "A", "a1", F.FRESH),
        Flow("a1-use", "a1", None, F.CONSUMPTION),
        Flow("a1-out", "a1", "out", F.DISCHARGE),
        Flow("B-b1", "B", "b1", F.FRESH),
        Flow("b1-use", "b1", None, F.CONSUMPTION),
        Flow("b1-out", "b1", "out", F.DISCHARGE),
    )
    return enterprise(units, flows)


@pytest.fixture
def worked_values() -> dict[str, float]:
    """True volumes of :func:`worked_example`. [m³]"""
    return dict(WORKED_VALUES)


@pytest.fixture
def plant() -> Callable[..., Enterprise]:
    """``plant(units, flows, **fields)``: an enterprise with only a water system."""
    return enterprise
