"""Tests of shuixiao.model.enterprise_problems: every rule, each on a minimal plant."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from shuixiao.model import (
    Enterprise,
    Flow,
    FlowCategory,
    Meter,
    MeterKind,
    Product,
    ProductionRecord,
    SourceType,
    TreatmentType,
    UnitKind,
    ValueAddedRecord,
    WaterUnit,
    credit_code_check_character,
    enterprise_problems,
)
from shuixiao.model.entities import EnergyRecord, Site

pytestmark = pytest.mark.unit

CODE = "914306000000000" + "01"
CODE += credit_code_check_character(CODE)


def plant(**changes: object) -> Enterprise:
    """A small valid plant: well → workshop → cooling system with tower → outlet."""
    e = Enterprise(
        id="p",
        name="示例厂",
        credit_code=CODE,
        industry_code="3120",
        region="430600",
        sites=(Site("s1", "厂区"),),
        units=(
            WaterUnit("well", "1号井", UnitKind.SOURCE, source_type=SourceType.GROUNDWATER),
            WaterUnit("rw", "再生水", UnitKind.SOURCE, source_type=SourceType.RECLAIMED),
            WaterUnit("ws", "炼钢车间", UnitKind.WORKSHOP, level=2, site="s1"),
            WaterUnit("cool", "净环水系统", UnitKind.INDIRECT_COOLING, level=3, parent="ws"),
            WaterUnit(
                "ro", "反渗透", UnitKind.TREATMENT, level=2, treatment_type=TreatmentType.REVERSE_OSMOSIS
            ),
            WaterUnit("out", "总排口", UnitKind.DISCHARGE),
        ),
        flows=(
            Flow("f1", "well", "ws", FlowCategory.FRESH),
            Flow("f2", "rw", "ws", FlowCategory.NON_CONVENTIONAL),
            Flow("f3", "ws", "cool", FlowCategory.FRESH),
            Flow("f4", "cool", None, FlowCategory.CONSUMPTION),
            Flow("f5", "ws", "out", FlowCategory.DISCHARGE),
            Flow("f6", "ws", "ro", FlowCategory.WASTEWATER),
            Flow("f7", "ro", "ws", FlowCategory.RECLAIMED),
        ),
        meters=(
            Meter(
                "FT1",
                MeterKind.TOTALIZER,
                "volume",
                "m3",
                1,
                flow="f1",
                accuracy_class=2.0,
                register_max=99999,
            ),
            Meter("FT3", MeterKind.RATE, "flow_rate", "L/s", 3, flow="f3"),
            Meter("PH1", MeterKind.QUALITY, "ph", "pH", 3, water_unit="cool"),
        ),
        products=(Product("steel", "粗钢", "t"),),
        production=(ProductionRecord("steel", dt.date(2025, 1, 1), dt.date(2025, 2, 1), 1000.0),),
        value_added=(ValueAddedRecord(dt.date(2025, 1, 1), dt.date(2025, 2, 1), 1e7),),
        energy=(EnergyRecord("cool", dt.date(2025, 1, 1), dt.date(2025, 2, 1), electricity=1e5),),
    )
    return dataclasses.replace(e, **changes)  # type: ignore[arg-type]


def paths(e: Enterprise, **kwargs: object) -> list[str]:
    return [p.path for p in enterprise_problems(e, **kwargs)]  # type: ignore[arg-type]


def test_valid_plant_has_no_problems() -> None:
    assert enterprise_problems(plant()) == []


def test_identity_codes() -> None:
    assert paths(plant(credit_code="914306000000000010", industry_code="C31")) == [
        "credit_code",
        "industry_code",
    ]


def test_known_regions_and_parks() -> None:
    e = plant(park="nowhere")
    assert paths(e, regions=["430600"], parks=["gp"]) == ["park"]
    assert paths(e, regions=["430000"], parks=["nowhere"]) == ["region"]
    assert paths(e) == []


def test_duplicate_ids_point_at_the_second() -> None:
    e = plant()
    e = dataclasses.replace(e, meters=(*e.meters, dataclasses.replace(e.meters[0], level=1)))
    assert paths(e) == ["meters[3].id"]


def test_unit_hierarchy_rules() -> None:
    e = plant()
    units = list(e.units)
    units[0] = dataclasses.replace(units[0], level=2)  # boundary with a level
    units[2] = dataclasses.replace(units[2], parent="cool")  # level-2 with a parent
    units[3] = dataclasses.replace(units[3], parent="ghost")  # parent that does not exist
    units[4] = dataclasses.replace(units[4], level=4)  # no such level
    units[5] = dataclasses.replace(units[5], parent="ws")  # boundary with a parent
    assert paths(dataclasses.replace(e, units=tuple(units))) == [
        "units[0].level",
        "units[2].parent",
        "units[3].parent",
        "units[4].level",
        "units[5].parent",
    ]


def test_level3_needs_a_level2_parent() -> None:
    e = plant()
    units = list(e.units)
    units.append(WaterUnit("pump", "泵", UnitKind.PROCESS, level=3))
    units.append(WaterUnit("pump2", "泵", UnitKind.PROCESS, level=3, parent="cool"))
    assert paths(dataclasses.replace(e, units=tuple(units))) == ["units[6].parent", "units[7].parent"]


def test_kind_specific_fields() -> None:
    e = plant()
    units = list(e.units)
    units[0] = dataclasses.replace(units[0], source_type=None)
    units[2] = dataclasses.replace(
        units[2], source_type=SourceType.GROUNDWATER, treatment_type=TreatmentType.SOFTENING
    )
    units[4] = dataclasses.replace(units[4], treatment_type=None, site="nowhere", design_flow=-1.0)
    assert paths(dataclasses.replace(e, units=tuple(units))) == [
        "units[0].source_type",
        "units[2].source_type",
        "units[2].treatment_type",
        "units[4].treatment_type",
        "units[4].site",
        "units[4].design_flow",
    ]


def test_plant_without_a_source() -> None:
    e = plant()
    units = tuple(u for u in e.units if u.kind is not UnitKind.SOURCE)
    assert "units" in paths(dataclasses.replace(e, units=units, flows=(), meters=()))


@pytest.mark.parametrize(
    ("flow", "expected"),
    [
        (Flow("x", "ghost", "ws", FlowCategory.FRESH), ["flows[7].from_unit"]),
        (Flow("x", "ws", "ghost", FlowCategory.FRESH), ["flows[7].to_unit"]),
        (Flow("x", "ws", None, FlowCategory.FRESH), ["flows[7].to_unit"]),
        (Flow("x", "ws", "cool", FlowCategory.LEAKAGE), ["flows[7].to_unit"]),
        (Flow("x", "ws", "ws", FlowCategory.CASCADED), ["flows[7]"]),
        (Flow("x", "ws", "well", FlowCategory.FRESH), ["flows[7].to_unit"]),
        (Flow("x", "out", "ws", FlowCategory.WASTEWATER), ["flows[7].from_unit"]),
        (Flow("x", "well", "ws", FlowCategory.NON_CONVENTIONAL), ["flows[7].category"]),
        (Flow("x", "rw", "ws", FlowCategory.FRESH), ["flows[7].category"]),
        (Flow("x", "ws", "out", FlowCategory.WASTEWATER), ["flows[7].category"]),
        (Flow("x", "ws", "cool", FlowCategory.DISCHARGE), ["flows[7].category"]),
        (Flow("x", "ws", "cool", FlowCategory.FRESH, design_flow=-2.0), ["flows[7].design_flow"]),
    ],
)
def test_flow_rules(flow: Flow, expected: list[str]) -> None:
    e = plant()
    assert paths(dataclasses.replace(e, flows=(*e.flows, flow))) == expected


def test_external_supply_flows() -> None:
    e = plant()
    units = (*e.units, WaterUnit("ext", "外供邻厂", UnitKind.EXTERNAL_SUPPLY))
    good = Flow("x", "ws", "ext", FlowCategory.EXTERNAL_SUPPLY)
    bad = Flow("y", "ws", "ext", FlowCategory.CASCADED)
    assert paths(dataclasses.replace(e, units=units, flows=(*e.flows, good, bad))) == ["flows[8].category"]


@pytest.mark.parametrize(
    ("meter", "expected"),
    [
        (Meter("m", MeterKind.TOTALIZER, "volume", "m3", 2), ["meters[3]", "meters[3].flow"]),
        (Meter("m", MeterKind.TOTALIZER, "volume", "m3", 2, flow="f1", water_unit="ws"), ["meters[3]"]),
        (Meter("m", MeterKind.TOTALIZER, "volume", "m3", 2, flow="nope"), ["meters[3].flow"]),
        (Meter("m", MeterKind.QUALITY, "ph", "pH", 2, water_unit="nope"), ["meters[3].water_unit"]),
        (Meter("m", MeterKind.TOTALIZER, "flow_rate", "m3/h", 2, flow="f3"), ["meters[3].quantity"]),
        (Meter("m", MeterKind.RATE, "flow_rate", "m3", 2, flow="f3"), ["meters[3].unit"]),
        (Meter("m", MeterKind.PRESSURE, "pressure", "MPa", 4, water_unit="ws"), ["meters[3].level"]),
        (Meter("m", MeterKind.TOTALIZER, "volume", "m3", 1, flow="f3"), ["meters[3].level"]),
        (
            Meter("m", MeterKind.TOTALIZER, "volume", "m3", 2, flow="f3", accuracy_class=0.0),
            ["meters[3].accuracy_class"],
        ),
        (
            Meter("m", MeterKind.RATE, "flow_rate", "m3/h", 2, flow="f3", register_max=10.0),
            ["meters[3].register_max"],
        ),
        (
            Meter("m", MeterKind.TOTALIZER, "volume", "m3", 2, flow="f3", register_max=0.0),
            ["meters[3].register_max"],
        ),
        (
            Meter(
                "m",
                MeterKind.LEVEL,
                "level",
                "m",
                3,
                water_unit="ws",
                installed=dt.date(2024, 5, 1),
                calibrated=dt.date(2024, 4, 1),
            ),
            ["meters[3].calibrated"],
        ),
    ],
)
def test_meter_rules(meter: Meter, expected: list[str]) -> None:
    e = plant()
    assert paths(dataclasses.replace(e, meters=(*e.meters, meter))) == expected


def test_level1_meter_on_a_discharge_flow_is_fine() -> None:
    e = plant()
    meter = Meter("m", MeterKind.TOTALIZER, "volume", "m3", 1, flow="f5")
    assert paths(dataclasses.replace(e, meters=(*e.meters, meter))) == []


def test_records() -> None:
    e = plant(
        products=(Product("steel", "粗钢", "t"), Product("slag", "渣", "bucket")),
        production=(
            ProductionRecord("iron", dt.date(2025, 1, 1), dt.date(2025, 2, 1), 1.0),
            ProductionRecord("steel", dt.date(2025, 2, 1), dt.date(2025, 2, 1), -1.0),
        ),
        value_added=(ValueAddedRecord(dt.date(2025, 1, 1), dt.date(2025, 2, 1), float("nan")),),
        energy=(
            EnergyRecord("ghost", dt.date(2025, 1, 1), dt.date(2025, 2, 1), electricity=-1.0, steam=-1.0),
        ),
        employees=-3,
    )
    assert paths(e) == [
        "employees",
        "products[1].unit",
        "production[0].product",
        "production[1].end",
        "production[1].quantity",
        "value_added[0].value",
        "energy[0].water_unit",
        "energy[0].electricity",
        "energy[0].steam",
    ]


def test_lookups() -> None:
    e = plant()
    assert e.unit("cool").parent == "ws"
    assert e.flow("f4").to_unit is None
    assert e.meter("PH1").quantity == "ph"
    assert [u.id for u in e.children("ws")] == ["cool"]
    assert e.unit("well").is_boundary and not e.unit("ws").is_boundary
    with pytest.raises(KeyError, match="no WaterUnit 'nope'"):
        e.unit("nope")
