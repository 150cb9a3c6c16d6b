"""Semantic validation of an enterprise's water system.

:func:`enterprise_problems` checks everything that types alone cannot: unique
identifiers, references that resolve, the level hierarchy, flows whose
category fits their ends, meters whose kind, quantity and unit agree, and the
enterprise's identity codes.  It returns every problem at once; paths index
into the enterprise's collections exactly as a model file lists them
(``meters[3].unit``), so a file reader can point at the line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator

from shuixiao.errors import Problem, UnitError
from shuixiao.model.entities import Enterprise, Flow, Meter, Park, Region, WaterUnit
from shuixiao.model.identity import credit_code_problem, industry_code_problem
from shuixiao.model.kinds import (
    METER_KIND_QUANTITIES,
    NON_CONVENTIONAL_SOURCES,
    PRODUCT_UNITS,
    FlowCategory,
    MeterKind,
    UnitKind,
)
from shuixiao.units import lookup_unit

__all__ = ["enterprise_problems", "park_problems", "region_problems"]

_ADMIN_CODE = re.compile(r"^\d{6}$")

# Categories that leave the system and therefore have no target unit.
_SINKLESS = frozenset({FlowCategory.CONSUMPTION, FlowCategory.LEAKAGE})


def enterprise_problems(
    enterprise: Enterprise,
    *,
    regions: Iterable[str] | None = None,
    parks: Iterable[str] | None = None,
) -> list[Problem]:
    """Return every problem in ``enterprise``; an empty list means it is valid.

    Parameters
    ----------
    enterprise : Enterprise
        The model to check.
    regions, parks : iterable of str, optional
        Identifiers known to exist; when given, the enterprise's ``region`` and
        ``park`` must be among them.

    Returns
    -------
    list of Problem
        In document order.
    """
    e = enterprise
    problems: list[Problem] = []
    add = problems.append

    if (msg := credit_code_problem(e.credit_code)) is not None:
        add(Problem("credit_code", msg))
    if (msg := industry_code_problem(e.industry_code)) is not None:
        add(Problem("industry_code", msg))
    if regions is not None and e.region not in set(regions):
        add(Problem("region", f"region {e.region!r} does not exist; create it first or fix the id"))
    if parks is not None and e.park is not None and e.park not in set(parks):
        add(Problem("park", f"park {e.park!r} does not exist; create it first or fix the id"))
    if e.employees is not None and e.employees < 0:
        add(Problem("employees", "must be zero or more"))

    for name in ("sites", "units", "flows", "meters", "products"):
        problems += _duplicates(name, (item.id for item in getattr(e, name)))

    units = {u.id: u for u in e.units}
    sites = {s.id for s in e.sites}
    for i, u in enumerate(e.units):
        problems += _unit_problems(f"units[{i}]", u, units, sites)
    if not any(u.kind is UnitKind.SOURCE for u in e.units):
        add(Problem("units", "no unit of kind 'source': every enterprise takes water from somewhere"))

    flows = {f.id: f for f in e.flows}
    for i, f in enumerate(e.flows):
        problems += _flow_problems(f"flows[{i}]", f, units)

    for i, m in enumerate(e.meters):
        problems += _meter_problems(f"meters[{i}]", m, flows, units)

    products = {p.id for p in e.products}
    for i, p in enumerate(e.products):
        if p.unit not in PRODUCT_UNITS:
            add(
                Problem(
                    f"products[{i}].unit",
                    f"{p.unit!r} is not a production unit; use one of {', '.join(PRODUCT_UNITS)}",
                )
            )
    for i, r in enumerate(e.production):
        where = f"production[{i}]"
        if r.product not in products:
            add(Problem(f"{where}.product", f"no product {r.product!r}; add it under products"))
        problems += _period_problems(where, r.start, r.end)
        if not r.quantity >= 0:
            add(Problem(f"{where}.quantity", f"{r.quantity} is not a production quantity (≥ 0)"))
    for i, v in enumerate(e.value_added):
        problems += _period_problems(f"value_added[{i}]", v.start, v.end)
        if not v.value == v.value:  # NaN
            add(Problem(f"value_added[{i}].value", "is not a number"))
    for i, g in enumerate(e.energy):
        where = f"energy[{i}]"
        if g.water_unit not in units:
            add(Problem(f"{where}.water_unit", f"no unit {g.water_unit!r}"))
        problems += _period_problems(where, g.start, g.end)
        for attr in ("electricity", "steam"):
            if not getattr(g, attr) >= 0:
                add(Problem(f"{where}.{attr}", "must be zero or more"))
    return problems


def region_problems(region: Region, where: str = "") -> list[Problem]:
    """Return the problems of one region on its own (its parent's existence is the caller's to check).

    Parameters
    ----------
    region : Region
    where : str
        Path of the region in its document, e.g. ``regions[2]``; prefixes every problem's path.

    Examples
    --------
    >>> [p.path for p in region_problems(Region("hn", "湖南省", "43000"), "regions[0]")]
    ['regions[0].admin_code']
    """
    dot = f"{where}." if where else ""
    problems = []
    if not region.id.strip():
        problems.append(Problem(f"{dot}id", "is empty; give the region an id"))
    if not _ADMIN_CODE.match(region.admin_code):
        problems.append(
            Problem(
                f"{dot}admin_code",
                f"{region.admin_code!r} is not a GB/T 2260 code: write six digits, e.g. 430000",
            )
        )
    if region.parent is not None and region.parent == region.id:
        problems.append(Problem(f"{dot}parent", "a region cannot be its own parent"))
    return problems


def park_problems(park: Park, where: str = "") -> list[Problem]:
    """Return the problems of one park on its own (its region's existence is the caller's to check)."""
    dot = f"{where}." if where else ""
    return [] if park.id.strip() else [Problem(f"{dot}id", "is empty; give the park an id")]


def _duplicates(collection: str, ids: Iterable[str]) -> Iterator[Problem]:
    seen: Counter[str] = Counter()
    for i, key in enumerate(ids):
        seen[key] += 1
        if seen[key] > 1:
            yield Problem(
                f"{collection}[{i}].id",
                f"duplicate id {key!r}; every id in {collection} must be unique",
            )


def _unit_problems(
    where: str, u: WaterUnit, units: dict[str, WaterUnit], sites: set[str]
) -> Iterator[Problem]:
    if u.is_boundary:
        if u.level is not None:
            yield Problem(f"{where}.level", f"a {u.kind} sits on the enterprise boundary: leave level empty")
        if u.parent is not None:
            yield Problem(f"{where}.parent", f"a {u.kind} has no parent unit: remove parent")
    elif u.level == 2:
        if u.parent is not None:
            yield Problem(f"{where}.parent", "a level-2 unit belongs to the enterprise: remove parent")
    elif u.level == 3:
        parent = units.get(u.parent) if u.parent is not None else None
        if u.parent is None:
            yield Problem(f"{where}.parent", "a level-3 unit needs the id of its level-2 parent")
        elif parent is None:
            yield Problem(f"{where}.parent", f"no unit {u.parent!r}")
        elif parent.level != 2:
            yield Problem(f"{where}.parent", f"parent {u.parent!r} must be a level-2 unit")
    else:
        yield Problem(f"{where}.level", f"level must be 2 (sub-unit) or 3 (equipment), not {u.level}")
    if u.kind is UnitKind.SOURCE and u.source_type is None:
        yield Problem(f"{where}.source_type", "a source needs a source_type (e.g. groundwater, municipal)")
    if u.kind is not UnitKind.SOURCE and u.source_type is not None:
        yield Problem(f"{where}.source_type", "only sources have a source_type: remove it")
    if u.kind is UnitKind.TREATMENT and u.treatment_type is None:
        yield Problem(
            f"{where}.treatment_type",
            "a treatment unit needs a treatment_type (e.g. reverse_osmosis)",
        )
    if u.kind is not UnitKind.TREATMENT and u.treatment_type is not None:
        yield Problem(f"{where}.treatment_type", "only treatment units have a treatment_type: remove it")
    if u.site is not None and u.site not in sites:
        yield Problem(f"{where}.site", f"no site {u.site!r}; add it under sites")
    if u.design_flow is not None and not u.design_flow >= 0:
        yield Problem(f"{where}.design_flow", "must be zero or more [m³/h]")


def _flow_problems(where: str, f: Flow, units: dict[str, WaterUnit]) -> Iterator[Problem]:
    origin = units.get(f.from_unit)
    target = units.get(f.to_unit) if f.to_unit is not None else None
    if origin is None:
        yield Problem(f"{where}.from_unit", f"no unit {f.from_unit!r}: the flow dangles")
    if f.to_unit is None:
        if f.category not in _SINKLESS:
            yield Problem(
                f"{where}.to_unit",
                f"a {f.category} flow needs a to_unit; only consumption and leakage leave the system",
            )
    elif target is None:
        yield Problem(f"{where}.to_unit", f"no unit {f.to_unit!r}: the flow dangles")
    elif f.category in _SINKLESS:
        yield Problem(f"{where}.to_unit", f"{f.category} leaves the system: remove to_unit")
    if f.to_unit is not None and f.to_unit == f.from_unit:
        yield Problem(where, "a flow from a unit to itself: model the loop through its equipment")
    if target is not None and target.kind is UnitKind.SOURCE:
        yield Problem(f"{where}.to_unit", f"{target.id!r} is a source: water cannot flow into a source")
    if origin is not None and origin.kind in (UnitKind.DISCHARGE, UnitKind.EXTERNAL_SUPPLY):
        yield Problem(f"{where}.from_unit", f"{origin.id!r} is a {origin.kind}: water cannot flow out of it")
    if origin is not None and origin.kind is UnitKind.SOURCE:
        expected = (
            FlowCategory.NON_CONVENTIONAL
            if origin.source_type in NON_CONVENTIONAL_SOURCES
            else FlowCategory.FRESH
        )
        if f.category is not expected:
            yield Problem(
                f"{where}.category",
                f"water from a {origin.source_type} source is {expected}, not {f.category}",
            )
    if target is not None and target.kind is UnitKind.DISCHARGE and f.category is not FlowCategory.DISCHARGE:
        yield Problem(f"{where}.category", f"flows into a discharge outlet are 'discharge', not {f.category}")
    if f.category is FlowCategory.DISCHARGE and target is not None and target.kind is not UnitKind.DISCHARGE:
        yield Problem(f"{where}.category", "a 'discharge' flow must end at a discharge unit")
    if (
        target is not None
        and target.kind is UnitKind.EXTERNAL_SUPPLY
        and f.category is not FlowCategory.EXTERNAL_SUPPLY
    ):
        yield Problem(
            f"{where}.category", f"flows to external supply are 'external_supply', not {f.category}"
        )
    if f.design_flow is not None and not f.design_flow >= 0:
        yield Problem(f"{where}.design_flow", "must be zero or more [m³/h]")


def _meter_problems(
    where: str, m: Meter, flows: dict[str, Flow], units: dict[str, WaterUnit]
) -> Iterator[Problem]:
    if (m.flow is None) == (m.water_unit is None):
        yield Problem(where, "a meter measures exactly one thing: give either flow or water_unit")
    if m.flow is not None and m.flow not in flows:
        yield Problem(f"{where}.flow", f"no flow {m.flow!r}: the meter is on nothing")
    if m.water_unit is not None and m.water_unit not in units:
        yield Problem(f"{where}.water_unit", f"no unit {m.water_unit!r}: the meter is on nothing")
    if m.kind in (MeterKind.TOTALIZER, MeterKind.RATE) and m.flow is None:
        yield Problem(f"{where}.flow", f"a {m.kind} meter measures a flow: give flow")
    allowed = METER_KIND_QUANTITIES[m.kind]
    if m.quantity not in allowed:
        yield Problem(
            f"{where}.quantity",
            f"a {m.kind} meter measures {' or '.join(sorted(allowed))}, not {m.quantity!r}",
        )
    else:
        try:
            lookup_unit(m.unit, m.quantity)
        except UnitError as err:
            yield Problem(f"{where}.unit", str(err))
    if m.level not in (1, 2, 3):
        yield Problem(f"{where}.level", f"metering level is 1, 2 or 3, not {m.level}")
    elif m.level == 1 and m.flow in flows:
        flow = flows[m.flow]
        ends = [units.get(flow.from_unit), units.get(flow.to_unit) if flow.to_unit else None]
        if not any(u is not None and u.is_boundary for u in ends):
            yield Problem(
                f"{where}.level",
                "a level-1 meter measures water crossing the enterprise boundary; "
                "this flow has no source, discharge or external-supply end",
            )
    if m.accuracy_class is not None and not 0 < m.accuracy_class <= 20:
        yield Problem(f"{where}.accuracy_class", "accuracy class is a percentage between 0 and 20")
    if m.register_max is not None:
        if m.kind is not MeterKind.TOTALIZER:
            yield Problem(f"{where}.register_max", "only totalizers roll over: remove register_max")
        elif not m.register_max > 0:
            yield Problem(f"{where}.register_max", "must be greater than zero")
    if m.installed is not None and m.calibrated is not None and m.calibrated < m.installed:
        yield Problem(f"{where}.calibrated", "calibrated before it was installed: check both dates")


def _period_problems(where: str, start: object, end: object) -> Iterator[Problem]:
    if start is not None and end is not None and not end > start:  # type: ignore[operator]
        yield Problem(f"{where}.end", "end must be after start (end is the first day after the period)")
