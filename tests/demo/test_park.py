"""Tests of the demo park's structure: configuration, identities, water systems, meters."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from shuixiao.demo import DemoConfig, DemoPark, build_park
from shuixiao.demo._park import plans
from shuixiao.errors import InvalidInputError
from shuixiao.model import (
    MeterKind,
    SourceType,
    UnitKind,
    credit_code_problem,
    enterprise_problems,
    industry_name,
)

pytestmark = pytest.mark.unit

INDUSTRIES = {"3120", "2511", "1713", "2221", "1513", "3216"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"enterprises": 0}, "enterprises"),
        ({"days": 0}, "days"),
        ({"interval": 30}, "at least 60"),
        ({"interval": 700}, "divide a day"),
        ({"seed": -1}, "seed"),
        ({"days": 2.5}, "whole number"),
        ({"start": dt.datetime(2025, 1, 1)}, "date"),
        ({"start": dt.date(1900, 1, 1)}, "outside"),
    ],
)
def test_config_refuses_bad_options(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        DemoConfig(**kwargs)  # type: ignore[arg-type]


def test_config_defaults() -> None:
    c = DemoConfig()
    assert (c.enterprises, c.days, c.interval, c.seed, c.start) == (6, 365, 900, 2025, dt.date(2025, 1, 1))
    assert c.end == dt.date(2026, 1, 1)


def test_regions_and_park_are_in_yueyang(park: DemoPark) -> None:
    province, city = park.regions
    assert (province.name, province.admin_code) == ("湖南省", "430000")
    assert (city.name, city.admin_code, city.parent) == ("岳阳市", "430600", province.id)
    assert park.park.region == city.id


def test_one_enterprise_per_key_industry(park: DemoPark) -> None:
    assert {e.industry_code for e in park.enterprises} == INDUSTRIES
    for e in park.enterprises:
        assert industry_name(e.industry_code) is not None
        assert e.name.startswith("岳阳") and e.name_en


def test_models_are_valid(park: DemoPark) -> None:
    regions = [r.id for r in park.regions]
    for e in park.enterprises:
        assert enterprise_problems(e, regions=regions, parks=[park.park.id]) == [], e.id


def test_credit_codes_are_well_formed(park: DemoPark) -> None:
    codes = [e.credit_code for e in park.enterprises]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert credit_code_problem(code) is None
        assert code[:2] == "91" and code[2:8] == "430600"  # 工商 enterprise, registered in 岳阳


@pytest.mark.parametrize("index", range(6))
def test_water_systems_are_complete(park: DemoPark, index: int) -> None:
    e = park.enterprises[index]
    kinds = {u.kind for u in e.units}
    assert 15 <= len(e.units) <= 80
    assert {UnitKind.SOURCE, UnitKind.COOLING_TOWER, UnitKind.BOILER, UnitKind.DISCHARGE} <= kinds
    assert {u.treatment_type.value for u in e.units if u.treatment_type} >= {
        "ultrafiltration",
        "reverse_osmosis",
    }
    assert {m.level for m in e.meters} == {1, 2, 3}
    assert any(f.category.value == "condensate" for f in e.flows)
    assert any(f.category.value == "leakage" for f in e.flows)
    flows = {f.id: f for f in e.flows}
    units = {u.id: u for u in e.units}
    metered = {m.flow for m in e.meters if m.kind is MeterKind.TOTALIZER}
    for f in e.flows:  # level-1 totalizers on every source and discharge flow
        if units[f.from_unit].kind is UnitKind.SOURCE or (
            f.to_unit and units[f.to_unit].kind is UnitKind.DISCHARGE
        ):
            assert f.id in metered, f.id
    for m in e.meters:
        assert (
            m.device and m.installed and m.calibrated and m.installed <= m.calibrated < dt.date(2025, 4, 20)
        )
        if m.kind is MeterKind.TOTALIZER:
            assert m.register_max is not None and m.accuracy_class in (0.5, 1.0, 2.0, 2.5)
        if m.flow:
            assert m.flow in flows


def test_instruments_cover_quality_pressure_level_and_rates(park: DemoPark) -> None:
    meters = [m for e in park.enterprises for m in e.meters]
    quantities = {m.quantity for m in meters}
    assert {"ph", "conductivity", "turbidity", "pressure", "level", "flow_rate", "volume"} <= quantities
    assert {"L/s", "MPa", "m³/h", "t/h"} <= {m.unit for m in meters}
    sources = {u.source_type for e in park.enterprises for u in e.units if u.source_type}
    assert {SourceType.SURFACE, SourceType.GROUNDWATER, SourceType.MUNICIPAL} <= sources
    assert {SourceType.RECLAIMED, SourceType.RAINWATER} <= sources


def test_the_park_is_deterministic() -> None:
    a = build_park(DemoConfig(enterprises=2, days=3, seed=11))
    b = build_park(DemoConfig(enterprises=2, days=3, seed=11))
    c = build_park(DemoConfig(enterprises=2, days=3, seed=12))
    assert a == b
    assert a.enterprises != c.enterprises


def test_more_enterprises_cycle_the_templates() -> None:
    config = DemoConfig(enterprises=14, days=2)
    items = plans(config)
    ents = [p.enterprise for p in items]
    assert [e.industry_code for e in ents[6:12]] == [e.industry_code for e in ents[:6]]
    for field in ("id", "name", "name_en", "credit_code"):
        values = [getattr(e, field) for e in ents]
        assert len(set(values)) == len(values), field
    assert len({round(p.scale, 3) for p in items[6:]}) == 8
    assert all(0.5 <= p.scale <= 1.6 for p in items)
    for e in ents:
        assert enterprise_problems(e) == []


def test_the_models_carry_design_flows(park: DemoPark) -> None:
    steel = park.enterprises[0]
    intake = sum(f.design_flow or 0.0 for f in steel.flows if f.from_unit.startswith("src_"))
    assert 500 < intake < 900  # m³/h at design output
    assert all(dataclasses.asdict(u)["design_flow"] is not None for u in steel.units)
