"""The structure of the demo park: regions, the park, and each enterprise's model."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from functools import cache

import numpy as np

from shuixiao.demo import _parameters as P
from shuixiao.demo._drivers import cooling_tower_balance, evaporation_coefficient
from shuixiao.demo._observe import serial
from shuixiao.demo._plant import (
    Domestic,
    Lagged,
    Leak,
    MeterSpec,
    PlantTemplate,
    Rain,
    Rate,
    TowerTerm,
)
from shuixiao.demo._records import DemoConfig, DemoPark
from shuixiao.demo._system import FlowSystem, flow_system
from shuixiao.demo._templates import TEMPLATES
from shuixiao.model import (
    Enterprise,
    Meter,
    MeterKind,
    Park,
    Product,
    Region,
    Site,
    credit_code_check_character,
)

__all__ = [
    "Plan",
    "build_park",
    "credit_code",
    "design_flows",
    "meter_kind",
    "plans",
    "rng_for",
    "system_of",
    "weather_rng",
]

# GB 11714-1997 全国组织机构代码编制规则: check digit C9 = 11 − Σ(Cᵢ·Wᵢ) mod 11 (10 → X, 11 → 0).
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

_STREAM_IDENTITY, _STREAM_WEATHER = 1, 2
_PARK_INDEX = 1_000_000

_KIND_OF_TYPE = {
    "emf": MeterKind.TOTALIZER,
    "ultrasonic": MeterKind.TOTALIZER,
    "woltman": MeterKind.TOTALIZER,
    "class1": MeterKind.TOTALIZER,
    "channel": MeterKind.TOTALIZER,
    "rate": MeterKind.RATE,
    "ph": MeterKind.QUALITY,
    "cond": MeterKind.QUALITY,
    "turb": MeterKind.QUALITY,
    "pressure": MeterKind.PRESSURE,
    "level": MeterKind.LEVEL,
}
_QUANTITY_OF_TYPE = {
    "ph": "ph",
    "cond": "conductivity",
    "turb": "turbidity",
    "pressure": "pressure",
    "level": "level",
}
_RECALIBRATED = frozenset({"emf", "ultrasonic", "channel", "rate", "ph", "cond", "turb", "pressure", "level"})
_ROADS = ("滨湖大道", "临港路", "云溪路", "松阳湖路", "金港路", "长岭路")


def rng_for(seed: int, index: int, stream: int) -> np.random.Generator:
    """Return the random generator of one stream of one enterprise (or of the park)."""
    return np.random.default_rng(np.random.SeedSequence([seed, index, stream]))


def weather_rng(seed: int) -> np.random.Generator:
    """Return the random generator of the park's weather."""
    return rng_for(seed, _PARK_INDEX, _STREAM_WEATHER)


@cache
def system_of(template: PlantTemplate) -> FlowSystem:
    """Return the (cached) flow equations of a template."""
    return flow_system(template)


def meter_kind(spec: MeterSpec) -> MeterKind:
    """Return the kind of a template meter."""
    return spec.kind if spec.kind is not None else _KIND_OF_TYPE[spec.type]


def design_flows(template: PlantTemplate, scale: float, temperature: float = 25.0) -> dict[str, float]:
    """Return every flow at design output, 25 °C air and no storage change. [m³/h]"""
    towers = {}
    k = evaporation_coefficient([temperature])[0]
    for t in template.towers:
        recirc = t.recirc * scale
        evaporation, drift, blowdown, _ = cooling_tower_balance(recirc, t.range, k, t.cycles, t.drift)
        towers[t.unit] = {
            "recirc": recirc,
            "evaporation": float(evaporation),
            "drift": float(drift),
            "blowdown": float(blowdown),
        }
    drivers: dict[str, np.ndarray] = {}
    for spec in template.flows:
        rule, value = spec.rule, None
        if isinstance(rule, Rate):
            value = rule.design * scale
        elif isinstance(rule, TowerTerm):
            value = towers[rule.tower][rule.term] * rule.share
        elif isinstance(rule, Domestic):
            value = rule.persons * scale * rule.per_capita / 1000.0 / 24.0
        elif isinstance(rule, Leak):
            value = rule.base * scale
        elif isinstance(rule, Rain | Lagged):
            value = 0.0
        if value is not None:
            drivers[spec.flow.id] = np.array([value])
    system = system_of(template)
    storage = {u: np.zeros(1) for u in system.tanks}
    solved = system.solve(drivers, storage)[:, 0]
    return {fid: float(v) for fid, v in zip(system.flows, solved, strict=True)}


@dataclass(frozen=True)
class Plan:
    """How one enterprise of the park is generated.

    Parameters
    ----------
    index : int
        Position in the park.
    template : PlantTemplate
    scale : float
        Size relative to the template. [unitless]
    enterprise : Enterprise
        Its model, without periodic records.
    design : dict
        Every flow at design output. [m³/h]
    register_start : dict
        Register of each totalizer at the start of the period. [meter unit]
    """

    index: int
    template: PlantTemplate
    scale: float
    enterprise: Enterprise
    design: dict[str, float]
    register_start: dict[str, float]


def plans(config: DemoConfig) -> list[Plan]:
    """Return the deterministic plan of every enterprise of the park."""
    return [_plan(config, i) for i in range(config.enterprises)]


def enterprise_ids(config: DemoConfig) -> list[str]:
    """Return the ids of the park's enterprises without building networks (no wntr import).

    Examples
    --------
    >>> enterprise_ids(DemoConfig(enterprises=2))
    ['ronghu-steel', 'yungang-refinery']
    """
    return [plan.enterprise.id for plan in plans(config)]


def _brand(index: int) -> tuple[str, str]:
    """Trade name (Chinese, romanised) of the enterprise at ``index``."""
    cn, en = P.BRANDS[index % len(P.BRANDS)]
    rounds = index // len(P.BRANDS)
    if rounds:
        numerals = "二三四五六七八九十"
        return cn + numerals[(rounds - 1) % len(numerals)], f"{en} {rounds + 1}"
    return cn, en


def _organisation_code(rng: np.random.Generator) -> str:
    """A 9-character organisation code with its GB 11714 check digit."""
    body = "".join(str(int(d)) for d in rng.integers(0, 10, size=8))
    check = 11 - sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def credit_code(rng: np.random.Generator, admin_code: str) -> str:
    """Return a well-formed 统一社会信用代码 (GB 32100-2015) registered in ``admin_code``."""
    first17 = P.CREDIT_CODE_PREFIX + admin_code + _organisation_code(rng)
    return first17 + credit_code_check_character(first17)


def _plan(config: DemoConfig, index: int) -> Plan:
    """The plan of the enterprise at ``index``: template, size, identity, model, registers."""
    template = TEMPLATES[index % len(TEMPLATES)]
    rng = rng_for(config.seed, index, _STREAM_IDENTITY)
    scale = 1.0 if index < len(TEMPLATES) else float(rng.uniform(0.5, 1.6))
    design = design_flows(template, scale)
    brand_cn, brand_en = _brand(index)
    ent_id = f"{brand_en.lower().replace(' ', '')}-{template.key}"
    lat0, lon0 = P.PARK_LOCATION
    site = Site(
        id="main",
        name=template.site_name,
        address=f"湖南省岳阳市洞庭滨湖绿色工业园{_ROADS[index % len(_ROADS)]}{8 + 6 * index}号",
        latitude=round(lat0 + 0.012 * ((index % 4) - 1.5) + float(rng.uniform(-0.002, 0.002)), 5),
        longitude=round(lon0 + 0.015 * ((index // 4) % 4 - 1.5) + float(rng.uniform(-0.002, 0.002)), 5),
    )
    inflow: dict[str, float] = {}
    outflow: dict[str, float] = {}
    for spec in template.flows:
        f = spec.flow
        outflow[f.from_unit] = outflow.get(f.from_unit, 0.0) + design[f.id]
        if f.to_unit is not None:
            inflow[f.to_unit] = inflow.get(f.to_unit, 0.0) + design[f.id]
    units = tuple(
        dataclasses.replace(
            u, site=site.id, design_flow=round(max(inflow.get(u.id, 0.0), outflow.get(u.id, 0.0)), 1)
        )
        for u in template.units
    )
    flows = tuple(
        dataclasses.replace(s.flow, design_flow=round(max(design[s.flow.id], 0.0), 2)) for s in template.flows
    )
    meters, starts = _meters(template, design, rng, config)
    product = template.product
    enterprise = Enterprise(
        id=ent_id,
        name=template.name.format(brand=brand_cn),
        credit_code=credit_code(rng, P.CITY[2]),
        industry_code=template.industry_code,
        region=P.CITY[0],
        park=P.PARK[0],
        name_en=template.name_en.format(brand=brand_en),
        employees=max(int(round(template.employees * scale)), 1),
        sites=(site,),
        units=units,
        flows=flows,
        meters=meters,
        products=(Product(product.id, product.name, product.unit, product.benchmark, product.name_en),),
    )
    return Plan(index, template, scale, enterprise, design, starts)


def _meters(
    template: PlantTemplate, design: dict[str, float], rng: np.random.Generator, config: DemoConfig
) -> tuple[tuple[Meter, ...], dict[str, float]]:
    """The template's meters with devices, dates and registers; and each register's start value."""
    events = template.events
    rollover = events.rollover.meter if events.rollover else None
    meters: list[Meter] = []
    starts: dict[str, float] = {}
    latest = config.start - dt.timedelta(days=180)
    earliest = min(dt.date(2012, 1, 1), latest - dt.timedelta(days=1))
    for spec in template.meters:
        mtype = P.METER_TYPES[spec.type]
        kind = meter_kind(spec)
        installed = earliest + dt.timedelta(days=int(rng.integers(0, (latest - earliest).days + 1)))
        calibrated = installed
        if spec.type in _RECALIBRATED:
            calibrated = max(
                installed, config.start - dt.timedelta(days=int(rng.integers(20, P.CALIBRATION_PERIOD_DAYS)))
            )
        register_max = None
        if kind is MeterKind.TOTALIZER and spec.flow is not None:
            rate = max(design.get(spec.flow, 0.0), 0.01)  # m³/h
            if spec.id == rollover:
                digits = int(np.ceil(np.log10(2.0 * rate * 24.0 * config.days)))
                register_max = float(10 ** max(digits, 2))
            else:
                digits = int(np.ceil(np.log10(rate * 8760.0 * 8.0)))
                register_max = float(10 ** min(max(digits, 5), 9))
                # what the register counted since installation (at 60–90 % of design), wrapped as it would
                counted = rate * float(rng.uniform(0.6, 0.9)) * 24.0 * (config.start - installed).days
                room = max(register_max - 1.5 * rate * 24.0 * config.days, 1.0)  # no wrap in the period
                starts[spec.id] = float(np.floor(counted % register_max % room))
        quantity = (
            "volume"
            if kind is MeterKind.TOTALIZER
            else "flow_rate"
            if kind is MeterKind.RATE
            else _QUANTITY_OF_TYPE[spec.type]
        )
        meters.append(
            Meter(
                id=spec.id,
                kind=kind,
                quantity=quantity,
                unit=spec.unit,
                level=spec.level,
                flow=spec.flow,
                water_unit=spec.water_unit,
                accuracy_class=mtype.accuracy_class
                if kind in (MeterKind.TOTALIZER, MeterKind.RATE)
                else None,
                installed=installed,
                calibrated=calibrated,
                device=serial(rng, mtype.code, installed.year),
                register_max=register_max,
                model=mtype.model,
                name=spec.name,
            )
        )
    return tuple(meters), starts


def build_park(config: DemoConfig) -> DemoPark:
    """Return the structure of the demo park: regions, park, enterprise models and pipe networks.

    Parameters
    ----------
    config : DemoConfig

    Returns
    -------
    DemoPark
        Enterprises carry their water system and meters but no periodic records;
        :func:`simulate` adds those.  ``networks`` holds each enterprise's supply
        network as EPANET ``.inp`` text (requires ``wntr``).

    Examples
    --------
    >>> park = build_park(DemoConfig(enterprises=2, days=7))
    >>> [e.industry_code for e in park.enterprises]
    ['3120', '2511']
    >>> park.regions[1].admin_code, park.enterprises[0].credit_code[:8]
    ('430600', '91430600')
    """
    from shuixiao.demo._network import network_inp

    province = Region(P.PROVINCE[0], P.PROVINCE[1], P.PROVINCE[2], None, P.PROVINCE[3])
    city = Region(P.CITY[0], P.CITY[1], P.CITY[2], province.id, P.CITY[3])
    park = Park(P.PARK[0], P.PARK[1], city.id, P.PARK[2])
    items = plans(config)
    networks = {p.enterprise.id: network_inp(p.template, p.enterprise, p.design) for p in items}
    return DemoPark((province, city), park, tuple(p.enterprise for p in items), networks)
