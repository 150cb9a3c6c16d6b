"""The fresh-water supply network of a demo plant as an EPANET model.

The network starts at the template's ``network_root`` (a clear-water reservoir
or treatment plant) modelled as an EPANET reservoir; a pump lifts into a ring
main of tee junctions ``RM-01`` … laid round the site; every unit that takes
fresh water from the network is a junction **whose id is the unit id**,
connected by a branch pipe to the nearest tee (workshops) or to the unit that
feeds it (equipment).  Base demands are the units' design draw of fresh water;
process units follow the plant's daily shift pattern.  Coordinates are metres
on the site plan.

:func:`network_sensors` gives the plant's leak-monitoring sensor set on that network:
the leak engine's default placement (:func:`shuixiao.leaks.place_sensors`) plus each
level-2 meter on fresh water from the network root, on the branch pipe ``P-<unit>`` it
measures, so that the meter placement cuts the network into one district-metered area per
metered workshop (:func:`shuixiao.leaks.zones.district_metered_areas`).
:func:`meter_sensors` places only the plant's own fresh-water totalizers on the network,
under their meter ids, and :func:`meter_readings` turns their simulated interval volumes into
the leak engine's readings, so that the detector runs on the plant's own meter data.

``wntr`` is imported inside :func:`network_inp` only.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import tempfile
from collections import deque
from collections.abc import Mapping
from zoneinfo import ZoneInfo

import pandas as pd

from shuixiao.demo import _parameters as P
from shuixiao.demo._plant import PlantTemplate
from shuixiao.demo._records import DemoConfig, EnterpriseData
from shuixiao.leaks import PipeNetwork, Sensor, interval_readings, place_sensors
from shuixiao.model import Enterprise, FlowCategory, UnitKind
from shuixiao.series import resolutions

__all__ = ["meter_readings", "meter_sensors", "network_inp", "network_sensors"]

# Ductile-iron and steel pipe sizes (DN, mm) used for plant water mains.
_DN = (80, 100, 150, 200, 250, 300, 350, 400, 450, 500, 600, 700, 800, 900, 1000, 1200)
_VELOCITY = 1.2  # design velocity of supply mains [m/s] (common sizing range 1.0–1.5 m/s)
_PUMP_HEAD = 40.0  # design head of the supply pumps [m]
_GROUND = 30.0  # site elevation [m above sea level], 岳阳 lakeside plain
_TANK_LEVEL = 3.0  # water level in the clear-water reservoir above ground [m]
_HAZEN_WILLIAMS = {"main": 120.0, "branch": 110.0}  # C of lined ductile iron / older steel
_PATTERNED = frozenset({UnitKind.PROCESS, UnitKind.WORKSHOP, UnitKind.DIRECT_COOLING, UnitKind.DOMESTIC})


def _diameter(flow: float) -> float:
    """Smallest standard diameter carrying ``flow`` [m³/h] at the design velocity. [m]"""
    needed = math.sqrt(4.0 * flow / 3600.0 / (math.pi * _VELOCITY)) * 1000.0
    for dn in _DN:
        if dn >= needed:
            return dn / 1000.0
    return _DN[-1] / 1000.0


def _xy(x: float, y: float) -> tuple[float, float]:
    """Site-plan coordinates rounded to 0.1 m (and never −0.0). [m]"""
    return round(x, 1) + 0.0, round(y, 1) + 0.0


def network_inp(template: PlantTemplate, enterprise: Enterprise, design: dict[str, float]) -> str:
    """Return the EPANET ``.inp`` text of a plant's fresh-water supply network.

    Parameters
    ----------
    template : PlantTemplate
    enterprise : Enterprise
        The enterprise (for the title and unit kinds).
    design : dict
        Design flow of every flow id. [m³/h]

    Returns
    -------
    str
        INP text in CMH flow units with Hazen-Williams head loss, 24 h of hourly patterns.
    """
    import wntr  # optional heavy dependency, loaded only here

    root = template.network_root
    units = {u.id: u for u in enterprise.units}
    # distribution runs from the root through workshops and treatment units, not along process streams
    distributors = {root} | {
        u.id for u in enterprise.units if u.kind in (UnitKind.WORKSHOP, UnitKind.TREATMENT)
    }
    fresh = [
        s.flow
        for s in template.flows
        if s.flow.category is FlowCategory.FRESH
        and s.flow.to_unit is not None
        and s.flow.from_unit in distributors
    ]
    # units reachable from the root through fresh water, in breadth-first order
    parent: dict[str, str] = {}
    order: list[str] = []
    queue = deque([root])
    while queue:
        here = queue.popleft()
        for f in fresh:
            target = f.to_unit
            if f.from_unit == here and target is not None and target not in parent and target != root:
                if units[target].is_boundary:
                    continue
                parent[target] = here
                order.append(target)
                queue.append(target)
    reach = set(parent) | {root}
    draw: dict[str, float] = {}
    for uid in order:
        into = sum(design[f.id] for f in fresh if f.to_unit == uid and f.from_unit in reach)
        onward = sum(design[f.id] for f in fresh if f.from_unit == uid and f.to_unit in parent)
        draw[uid] = round(max(into - onward, 0.0), 6)
    subtree = dict(draw)
    for uid in reversed(order):
        if parent[uid] != root:
            subtree[parent[uid]] = subtree.get(parent[uid], 0.0) + subtree[uid]
    total = sum(draw.values())

    wn = wntr.network.WaterNetworkModel()
    wn.title = [
        f"{enterprise.name_en or enterprise.id} fresh-water supply network",
        "Junction ids are the ids of the water units they supply; RM-xx are ring-main tees.",
    ]
    profile = template.profile
    if profile.schedule == "two_shift":
        raw = [0.05] * 8 + [1.0] * 16
    else:
        raw = [profile.night] * 8 + [1.0] * 16
    mean = sum(raw) / len(raw)
    wn.add_pattern("SHIFT", [round(r / mean, 4) for r in raw])

    half_w = 260.0 + 12.0 * math.sqrt(max(total, 1.0))  # site grows with its water use [m]
    half_h = 0.62 * half_w
    workshops = [u for u in order if parent[u] == root]
    n_tees = max(8, 22 - len(order), len(workshops))
    tees = []
    for k in range(n_tees):
        angle = math.pi + 2.0 * math.pi * k / n_tees  # RM-01 nearest the reservoir (west)
        xy = _xy(half_w * math.cos(angle), half_h * math.sin(angle))
        name = f"RM-{k + 1:02d}"
        tees.append((name, xy))
        wn.add_junction(name, base_demand=0.0, elevation=_GROUND, coordinates=xy)
    reservoir_xy = _xy(-half_w - 120.0, 0.0)
    wn.add_reservoir(root, base_head=_GROUND + _TANK_LEVEL, coordinates=reservoir_xy)
    q = max(total, 1.0) / 3600.0  # design draws are peak-hour draws [m³/s]
    wn.add_curve("PUMP-1", "HEAD", [(0.0, _PUMP_HEAD * 4 / 3), (q, _PUMP_HEAD), (2 * q, 0.0)])
    wn.add_pump("PU-1", root, tees[0][0], pump_type="HEAD", pump_parameter="PUMP-1")
    main_d = _diameter(max(total, 1.0) * 0.6)
    for k in range(n_tees):
        (a, pa), (b, pb) = tees[k], tees[(k + 1) % n_tees]
        wn.add_pipe(
            f"P-{a}-{b}",
            a,
            b,
            length=round(1.05 * math.dist(pa, pb), 1),
            diameter=main_d,
            roughness=_HAZEN_WILLIAMS["main"],
        )
    coords: dict[str, tuple[float, float]] = {}
    for k, uid in enumerate(workshops):
        angle = math.pi + 2.0 * math.pi * (k + 0.5) / len(workshops)
        coords[uid] = _xy(1.3 * half_w * math.cos(angle), 1.3 * half_h * math.sin(angle))
    children: dict[str, list[str]] = {}
    for uid in order:
        if parent[uid] != root:
            children.setdefault(parent[uid], []).append(uid)
    for uid in order:  # breadth-first: parents are placed before their children
        for j, child in enumerate(children.get(uid, [])):
            px, py = coords[uid]
            out = math.atan2(py, px) + (j - (len(children[uid]) - 1) / 2) * 0.55
            radius = 70.0 + 25.0 * (j % 2)
            coords[child] = _xy(px + radius * math.cos(out), py + radius * math.sin(out))
    for k, uid in enumerate(order):
        kind = units[uid].kind
        pattern = "SHIFT" if kind in _PATTERNED else None
        base = draw[uid] * (mean / max(raw) if pattern else 1.0)  # the pattern peaks at the design draw
        elevation = round(_GROUND + 1.5 * math.sin(1.7 * k), 2)
        wn.add_junction(
            uid,
            base_demand=round(base, 6) / 3600.0,
            demand_pattern=pattern,
            elevation=elevation,
            coordinates=coords[uid],
        )
    for uid in order:
        if parent[uid] == root:
            tee = min(tees, key=lambda t: math.dist(t[1], coords[uid]))
            start, kind_ = tee[0], "main"
            start_xy = tee[1]
        else:
            start, kind_ = parent[uid], "branch"
            start_xy = coords[parent[uid]]
        wn.add_pipe(
            f"P-{uid}",
            start,
            uid,
            length=round(1.1 * math.dist(start_xy, coords[uid]) + 5.0, 1),
            diameter=_diameter(max(subtree[uid], 0.5)),
            roughness=_HAZEN_WILLIAMS[kind_],
        )
    options = wn.options
    options.time.duration = 24 * 3600
    options.time.hydraulic_timestep = 3600
    options.time.pattern_timestep = 3600
    options.time.report_timestep = 3600
    options.hydraulic.headloss = "H-W"
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "network.inp")
        wntr.network.write_inpfile(wn, path, units="CMH")
        with open(path, encoding="utf-8") as handle:
            return handle.read()


def network_sensors(enterprise: Enterprise, network: PipeNetwork) -> dict[str, Sensor]:
    """Return a plant's leak-monitoring sensors on its supply network.

    Parameters
    ----------
    enterprise : Enterprise
        The plant, whose level-2 meters on fresh water from the network root become flow
        sensors on the branch pipes ``P-<unit>`` they measure.
    network : PipeNetwork
        The plant's network, as :func:`network_inp` built it.

    Returns
    -------
    dict of str to Sensor
        The leak engine's default placement (pressure sensors, the supply-pump flow meter,
        a customer meter at every consumer) and the workshop meters, by sensor id.
    """
    (root,) = network.sources
    flows = {f.id: f for f in enterprise.flows}
    sensors = place_sensors(network)
    for meter in enterprise.meters:
        flow = flows.get(str(meter.flow))
        if flow and meter.level == 2 and flow.from_unit == root and network.has_link(f"P-{flow.to_unit}"):
            sensors[meter.id] = Sensor("flow", link=f"P-{flow.to_unit}")
    return sensors


def meter_sensors(enterprise: Enterprise, network: PipeNetwork) -> dict[str, Sensor]:
    """Return the plant's own fresh-water totalizers as leak sensors on its supply network.

    Parameters
    ----------
    enterprise : Enterprise
        The plant and its meters.
    network : PipeNetwork
        The plant's network, as :func:`network_inp` built it (junction ids are unit ids, the
        branch pipe into unit ``u`` is ``P-<u>``).

    Returns
    -------
    dict of str to Sensor
        By meter id, in the enterprise's meter order:

        * the meter of the one fresh-water flow into the network root, as the flow the root
          supplies (``{type: flow, node: <root>}``); none when several flows enter the root
          (their sum is not a meter's reading).  A root with storage (a clear-water
          reservoir) supplies its intake less its storage change; the daily filling and
          drawing is normal behaviour the detector learns;
        * a meter on fresh water from a node of the network into a junction with one pipe (a consumer at the end of a
          branch), as its customer meter (``{type: demand, node: <unit>}``);
        * a meter on fresh water from a node of the network into any other junction, on the branch pipe ``P-<unit>``
          that carries it (``{type: flow, link: P-<unit>}``): the workshop meters.

        Only volume meters (totalizers) count; rate meters and analysers are left out.
    """
    (root,) = network.sources
    ends: dict[str, int] = {}
    for link in network.links:
        for node in network.link_nodes(link):
            ends[node] = ends.get(node, 0) + 1
    flows = {f.id: f for f in enterprise.flows}
    fresh = [
        (m, flows[str(m.flow)])
        for m in enterprise.meters
        if m.flow is not None
        and str(m.quantity) == "volume"
        and flows[str(m.flow)].category == FlowCategory.FRESH
    ]
    into_root = [(m, f) for m, f in fresh if f.to_unit == root]
    sensors: dict[str, Sensor] = {}
    for meter, flow in fresh:
        target = str(flow.to_unit)
        if flow.to_unit == root:
            if len(into_root) == 1:
                sensors[meter.id] = Sensor("flow", node=root)
        elif (
            network.has_node(str(flow.from_unit))
            and network.has_node(target)
            and network.node_kind(target) == "junction"
        ):
            if ends.get(target) == 1:
                sensors[meter.id] = Sensor("demand", node=target)
            elif network.has_link(f"P-{target}"):
                sensors[meter.id] = Sensor("flow", link=f"P-{target}")
    return sensors


def meter_readings(data: EnterpriseData, sensors: Mapping[str, Sensor], config: DemoConfig) -> pd.DataFrame:
    """Return the leak engine's readings of ``sensors`` from a simulated plant's aggregates.

    Parameters
    ----------
    data : EnterpriseData
        What :func:`shuixiao.demo.simulate` yielded for the plant.
    sensors : mapping of str to Sensor
        Sensors named by meter id, e.g. from :func:`meter_sensors`.
    config : DemoConfig
        The configuration it was simulated with (its reading interval).

    Returns
    -------
    pandas.DataFrame
        The mean flow of every base interval (15 min by default) of each sensor's meter
        [m³/h], indexed in Asia/Shanghai time; gaps are NaN
        (:func:`shuixiao.leaks.interval_readings`, as for stored aggregates).
    """
    base = resolutions(config.interval)[0]
    volumes = {
        a.meter_id: pd.DataFrame(
            {"start": pd.to_datetime(a.start, unit="s", utc=True), "value": a.value, "count": a.count}
        )
        for a in data.aggregates
        if a.resolution == base and a.meter_id in sensors
    }
    return interval_readings(volumes, dt.timedelta(seconds=config.interval), ZoneInfo(P.TIMEZONE))
