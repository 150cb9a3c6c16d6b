"""District-metered areas (zones, 计量分区) from meter placement, and the water balance of each zone.

A zone is a part of the network whose every way in or out passes a flow meter, so that what
enters it less what its customer meters record is what it loses (plus unmetered use).  The
zones follow from where the flow meters are: cut every link that carries a flow sensor and take
the connected components of the junctions that remain.

Rules
-----
* **Zones hold junctions, and the tanks whose level is measured.**  A tank with a level sensor
  (a pressure sensor on the tank node) joins the zone it is linked to without a meter, and its
  storage change, from its volume table, is part of that zone's balance: a zone fed through a
  tank is closed when the tank's filling is metered (L-Town's Area C: ``PUMP_1`` and the level of
  ``T1``).  Reservoirs, and tanks without a level sensor, lie outside every zone: a link between
  such a source and a zone is a boundary of the zone, metered on the link or by a flow sensor on
  the source node (what it supplies, positive out of it).  A source-node flow sensor counts only
  when every link from its source into zones lies in one zone and none has a meter of its own;
  otherwise it is listed among the meters not used, with the reason.
* **Boundary meters carry a sign**: +1 when the link's positive direction (start → end node, the
  sign of the readings) enters the zone, −1 when it leaves it.  A meter on a link whose two ends
  lie in the same zone (a meter inside a loop) is an *interior* meter and bounds nothing.
* A zone is **closed** when it has at least one boundary meter and every link between it and a
  source is metered; otherwise it is **open** and says which link lets water in unmetered.  All
  links count as open pipes (the topology ignores initial status and controls).
* **Zone ids** are readable and stable: ``DMA-<sensor>`` after the meter feeding the zone (a meter
  from a reservoir or tank first, then the others, by sensor id), or ``DMA@<node>`` after the
  zone's first junction (file order) when no meter feeds it.  Names can be overridden.
* **Pipe length** of a zone: its interior pipes and its pipes from sources in full, half of each
  metered pipe to another zone.  Pipes between two sources belong to no zone.
* **Connections** (for UARL): the junctions of the zone with a positive mean demand.

The balance of a closed zone at every reading instant is

.. math::

    Q_{res}(t) = \\sum_b s_b\\,Q_b(t) - \\sum_c D_c(t) - \\sum_k \\frac{dV_k}{dt}

with :math:`s_b = \\pm 1` the signs of its boundary meters, :math:`Q_b` their flows,
:math:`D_c` its customer meters and :math:`V_k` the water stored in its tanks [m³/h]: real
losses plus unmetered use and meter error.  Volumes
[m³] integrate each reading over the time to the next.

References
----------
.. [1] UK Water Industry Research / WRc, *Managing leakage*, Report E: interpreting measured
   night flows (district metered areas), 1994.
.. [2] J. Thornton, R. Sturm and G. Kunkel, *Water Loss Control*, 2nd ed., McGraw-Hill, 2008,
   ch. 16 (DMA design and night flows).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.leaks._records import Sensor, check_sensors
from shuixiao.leaks.losses import (
    IwaWaterBalance,
    infrastructure_leakage_index,
    iwa_water_balance,
    minimum_night_flow,
    unavoidable_real_losses,
)
from shuixiao.leaks.network import PipeNetwork

__all__ = [
    "BoundaryMeter",
    "TankStorage",
    "UnmeteredLink",
    "Zone",
    "ZoneBalance",
    "Zoning",
    "district_metered_areas",
    "zone_balance",
]


@dataclass(frozen=True)
class BoundaryMeter:
    """A flow sensor on a zone's boundary.

    Parameters
    ----------
    sensor : str
        The sensor id.
    links : tuple of str
        The links it measures: one, or every junction link of a source for a flow sensor on a
        reservoir or tank node.
    sign : {1, -1}
        +1 when a positive reading is water entering the zone, −1 when it leaves.
    neighbour : str or None
        The zone on the other side; None when the other side is a source.
    source : str or None
        The reservoir or tank on the other side, if any.
    """

    sensor: str
    links: tuple[str, ...]
    sign: int
    neighbour: str | None = None
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the meter as a plain dict (JSON output)."""
        return {
            "sensor": self.sensor,
            "links": list(self.links),
            "sign": self.sign,
            "neighbour": self.neighbour,
            "source": self.source,
        }


@dataclass(frozen=True)
class UnmeteredLink:
    """A link through which water enters or leaves a zone without a usable meter.

    Parameters
    ----------
    link : str
        The link id.
    source : str
        The reservoir or tank at its other end.
    reason : str
        Why it counts as unmetered.
    """

    link: str
    source: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        """Return the link as a plain dict (JSON output)."""
        return {"link": self.link, "source": self.source, "reason": self.reason}


@dataclass(frozen=True)
class TankStorage:
    """A tank inside a zone, with the level sensor that gives its storage.

    Parameters
    ----------
    tank : str
        The tank id.
    sensor : str
        Its level sensor (a pressure sensor on the tank node). [m]
    levels : tuple of float
        Water levels of its volume table, increasing. [m]
    volumes : tuple of float
        Stored volume at each level. [m³]
    """

    tank: str
    sensor: str
    levels: tuple[float, ...]
    volumes: tuple[float, ...]

    def volume(self, level: pd.Series) -> pd.Series:
        """Stored volume at the levels read, linear in the table and held at its ends. [m³]"""
        values = np.interp(level.to_numpy(dtype=np.float64), self.levels, self.volumes)
        return pd.Series(np.where(level.isna(), np.nan, values), index=level.index)

    def to_dict(self) -> dict[str, Any]:
        """Return the tank as a plain dict (JSON output)."""
        return {"tank": self.tank, "sensor": self.sensor, "volume_m3": round(self.volumes[-1], 3)}


@dataclass(frozen=True)
class Zone:
    """A district-metered area: junctions bounded by flow meters.

    Parameters
    ----------
    id : str
        Zone id (``DMA-<sensor>``, ``DMA@<node>``, or the name given).
    nodes : tuple of str
        Its junctions, in file order.
    meters : tuple of BoundaryMeter
        Its boundary meters, by sensor id.
    unmetered : tuple of UnmeteredLink
        Links to sources without a usable meter; empty for a closed zone.
    interior_meters : tuple of str
        Flow sensors on links with both ends in the zone.
    customer_meters : tuple of str
        Demand sensors at its junctions.
    pressure_sensors : tuple of str
        Pressure sensors at its junctions.
    length : float
        Pipe length (rules in the module docstring). [m]
    connections : int
        Junctions with a positive mean demand. [unitless]
    tanks : tuple of TankStorage
        Tanks with a level sensor linked to the zone without a meter: their storage change
        is part of its balance.
    """

    id: str
    nodes: tuple[str, ...]
    meters: tuple[BoundaryMeter, ...]
    unmetered: tuple[UnmeteredLink, ...]
    interior_meters: tuple[str, ...]
    customer_meters: tuple[str, ...]
    pressure_sensors: tuple[str, ...]
    length: float
    connections: int
    tanks: tuple[TankStorage, ...] = ()

    @property
    def closed(self) -> bool:
        """Whether every way in or out of the zone is metered (and there is one)."""
        return bool(self.meters) and not self.unmetered

    @property
    def reason(self) -> str | None:
        """Why the zone is open; None when it is closed."""
        if self.unmetered:
            return "; ".join(u.reason for u in self.unmetered)
        if not self.meters:
            return "no link leads into it: an isolated part of the network"
        return None

    def to_dict(self) -> dict[str, Any]:
        """Return the zone as a plain dict (JSON output); length in m."""
        return {
            "id": self.id,
            "closed": self.closed,
            "reason": self.reason,
            "nodes": list(self.nodes),
            "length_m": round(self.length, 3),
            "connections": self.connections,
            "meters": [m.to_dict() for m in self.meters],
            "unmetered": [u.to_dict() for u in self.unmetered],
            "tanks": [t.to_dict() for t in self.tanks],
            "interior_meters": list(self.interior_meters),
            "customer_meters": list(self.customer_meters),
            "pressure_sensors": list(self.pressure_sensors),
        }


@dataclass(frozen=True)
class Zoning:
    """The zones of a network under a sensor set.

    Parameters
    ----------
    network : str
        The network's name.
    zones : tuple of Zone
        The zones, by id.
    unused_meters : mapping of str to str
        Flow sensors that bound no zone, with the reason.
    """

    network: str
    zones: tuple[Zone, ...]
    unused_meters: Mapping[str, str]

    def zone(self, zone_id: str) -> Zone:
        """Return the zone ``zone_id``.

        Raises
        ------
        NotFoundError
            If there is no such zone.
        """
        for zone in self.zones:
            if zone.id == zone_id:
                return zone
        known = ", ".join(z.id for z in self.zones)
        raise NotFoundError(f"no zone {zone_id!r} in network {self.network!r}; the zones are {known}")

    def zone_of(self, node: str) -> Zone:
        """Return the zone holding junction ``node``.

        Raises
        ------
        NotFoundError
            If no zone holds it (it is a reservoir or tank, or not in the network).
        """
        for zone in self.zones:
            if node in zone.nodes:
                return zone
        raise NotFoundError(f"no zone of network {self.network!r} holds node {node!r}; zones hold junctions")

    def to_dict(self) -> dict[str, Any]:
        """Return the zoning as a plain dict (JSON output)."""
        return {
            "network": self.network,
            "zones": [z.to_dict() for z in self.zones],
            "unused_meters": dict(sorted(self.unused_meters.items())),
        }


def _components(network: PipeNetwork, members: list[str], cut: set[str]) -> dict[str, str]:
    """Node → first node (file order) of its component, over the links not in ``cut``."""
    parent = {n: n for n in members}
    position = {n: i for i, n in enumerate(network.nodes)}

    def find(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for link in network.links:
        if link in cut:
            continue
        a, b = network.link_nodes(link)
        if a in parent and b in parent:
            ra, rb = sorted((find(a), find(b)), key=position.__getitem__)
            parent[rb] = ra
    return {n: find(n) for n in parent}


def district_metered_areas(
    network: PipeNetwork,
    sensors: Mapping[str, Sensor],
    *,
    names: Mapping[str, str] | None = None,
) -> Zoning:
    """Split a network into district-metered areas at its flow meters.

    Parameters
    ----------
    network : PipeNetwork
        The network.
    sensors : mapping of str to Sensor
        All sensors: flow sensors on links or source nodes bound the zones, level sensors
        (pressure sensors on tanks) bring their tanks into the zones, demand sensors are the
        zones' customer meters, pressure sensors on junctions give their pressure.
    names : mapping of str to str, optional
        New zone ids, keyed by the default zone id or by any junction of the zone.

    Returns
    -------
    Zoning
        The zones, with the flow sensors that bound none.

    Raises
    ------
    InvalidInputError
        If a sensor names a node or link the network lacks, or ``names`` names no zone, gives one
        zone two names or two zones one name.

    Notes
    -----
    The rules (tanks and reservoirs, signs, ids, lengths) are in the module docstring.  A
    network without flow sensors is one open zone per connected part.

    Examples
    --------
    >>> from importlib import resources
    >>> from shuixiao.leaks import Sensor, read_network
    >>> net = read_network(resources.files("wntr").joinpath("library/networks/Net1.inp"))
    >>> zoning = district_metered_areas(net, {"Q-9": Sensor("flow", link="9")})
    >>> [(z.id, z.closed, len(z.nodes)) for z in zoning.zones]
    [('DMA-Q-9', False, 9)]
    >>> zoning.zones[0].reason
    'tank 2 is linked by 110 without a meter'
    >>> zoning = district_metered_areas(
    ...     net, {"Q-9": Sensor("flow", link="9"), "L-2": Sensor("pressure", node="2")}
    ... )
    >>> [(z.id, z.closed, [t.tank for t in z.tanks]) for z in zoning.zones]
    [('DMA-Q-9', True, ['2'])]
    """
    check_sensors(network, sensors)
    by_link: dict[str, list[str]] = {}
    by_source: dict[str, list[str]] = {}
    level: dict[str, str] = {}
    for sid in sorted(sensors):
        sensor = sensors[sid]
        if sensor.type == "flow" and sensor.link is not None:
            by_link.setdefault(sensor.link, []).append(sid)
        elif sensor.type == "flow":
            by_source.setdefault(str(sensor.node), []).append(sid)
        elif sensor.type == "pressure" and network.node_kind(str(sensor.node)) == "tank":
            level.setdefault(str(sensor.node), sid)
    unused: dict[str, str] = {}
    for link, ids in by_link.items():
        for sid in ids[1:]:
            unused[sid] = f"link {link} is measured by {ids[0]} already"
    cut = set(by_link)
    # tanks with a level sensor join the zone they are linked to without a meter
    root = _components(network, network.junctions + sorted(level), cut)
    with_junctions = {root[n] for n in network.junctions}
    stored = {t: root[t] for t in level if root[t] in with_junctions}
    root = {n: r for n, r in root.items() if network.node_kind(n) == "junction" or n in stored}

    def outside(node: str) -> bool:
        return node not in root

    # flow sensors on source nodes: usable when the source's links into zones are unmetered and in one zone
    source_meter: dict[str, str] = {}
    for source, ids in by_source.items():
        kind = network.node_kind(source)
        for sid in ids[1:]:
            unused[sid] = f"{kind} {source} is measured by {ids[0]} already"
        if not outside(source):
            unused[ids[0]] = (
                f"tank {source} lies inside a zone: its level sensor {level[source]} accounts for it"
            )
            continue
        into = [k for k in network.links if _zone_end(network, root, k, source) is not None]
        metered = [k for k in into if k in by_link]
        fed = {root[str(_zone_end(network, root, k, source))] for k in into}
        if not into:
            unused[ids[0]] = f"{kind} {source} supplies no zone"
        elif metered:
            unused[ids[0]] = f"{kind} {source} has meters on its links ({', '.join(metered)})"
        elif len(fed) > 1:
            unused[ids[0]] = f"{kind} {source} feeds {len(fed)} zones: its supply cannot be split"
        else:
            source_meter[source] = ids[0]

    members: dict[str, list[str]] = {}
    for node in network.junctions:
        members.setdefault(root[node], []).append(node)
    meters: dict[str, list[BoundaryMeter]] = {r: [] for r in members}
    unmetered: dict[str, list[UnmeteredLink]] = {r: [] for r in members}
    interior: dict[str, list[str]] = {r: [] for r in members}
    length = dict.fromkeys(members, 0.0)
    for link in network.links:
        a, b = network.link_nodes(link)
        size = network.length(link)
        za, zb = root.get(a), root.get(b)
        meter = by_link[link][0] if link in by_link else None
        if za is None and zb is None:
            if meter is not None:
                unused[meter] = f"link {link} joins two sources and bounds no zone"
            continue
        if za is not None and zb is not None:
            if za == zb:
                length[za] += size
                if meter is not None:
                    interior[za].append(meter)
                continue
            # only a metered link separates two zones
            length[za] += size / 2.0
            length[zb] += size / 2.0
            meters[za].append(BoundaryMeter(str(meter), (link,), -1, neighbour=zb))
            meters[zb].append(BoundaryMeter(str(meter), (link,), +1, neighbour=za))
            continue
        zone, source = (za, b) if za is not None else (str(zb), a)
        length[zone] += size
        sign = +1 if za is None else -1  # readings are positive from start to end node
        if meter is not None:
            meters[zone].append(BoundaryMeter(meter, (link,), sign, source=source))
        elif source not in source_meter:
            kind = network.node_kind(source)
            unmetered[zone].append(
                UnmeteredLink(link, source, f"{kind} {source} is linked by {link} without a meter")
            )
    for source, sid in source_meter.items():
        links = tuple(k for k in network.links if _zone_end(network, root, k, source) is not None)
        zone = root[str(_zone_end(network, root, links[0], source))]
        meters[zone].append(BoundaryMeter(sid, links, +1, source=source))

    default = {r: _default_id(members[r][0], meters[r]) for r in members}
    final = _apply_names(default, members, names)
    zones = []
    for r, nodes in members.items():
        inside = set(nodes)
        bounded = sorted(
            (
                BoundaryMeter(m.sensor, m.links, m.sign, final[m.neighbour], m.source)
                if m.neighbour is not None
                else m
                for m in meters[r]
            ),
            key=lambda m: m.sensor,
        )
        tanks = tuple(
            TankStorage(t, level[t], *_table(network, t)) for t in network.nodes if stored.get(t) == r
        )
        zones.append(
            Zone(
                id=final[r],
                nodes=tuple(nodes),
                meters=tuple(bounded),
                unmetered=tuple(unmetered[r]),
                interior_meters=tuple(sorted(interior[r])),
                customer_meters=tuple(
                    s for s in sorted(sensors) if sensors[s].type == "demand" and sensors[s].node in inside
                ),
                pressure_sensors=tuple(
                    s for s in sorted(sensors) if sensors[s].type == "pressure" and sensors[s].node in inside
                ),
                length=length[r],
                connections=sum(1 for n in nodes if network.demand(n) > 0),
                tanks=tanks,
            )
        )
    zones.sort(key=lambda z: z.id)
    return Zoning(network.name, tuple(zones), unused)


def _table(network: PipeNetwork, tank: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Level → volume table of ``tank`` as tuples ([m], [m³])."""
    levels, volumes = network.tank_table(tank)
    return tuple(float(h) for h in levels), tuple(float(v) for v in volumes)


def _zone_end(network: PipeNetwork, root: Mapping[str, str], link: str, source: str) -> str | None:
    """The zone node at the other end of ``link`` when it joins ``source`` (outside) to a zone."""
    a, b = network.link_nodes(link)
    if a == source and b in root:
        return b
    if b == source and a in root:
        return a
    return None


def _default_id(first_node: str, meters: list[BoundaryMeter]) -> str:
    feeding = sorted((m.source is None, m.sensor) for m in meters if m.sign > 0)
    return f"DMA-{feeding[0][1]}" if feeding else f"DMA@{first_node}"


def _apply_names(
    default: Mapping[str, str], members: Mapping[str, list[str]], names: Mapping[str, str] | None
) -> dict[str, str]:
    """Representative → final zone id, after the names given by default id or by junction."""
    final = dict(default)
    if not names:
        return final
    by_default = {v: r for r, v in default.items()}
    by_node = {n: r for r, nodes in members.items() for n in nodes}
    given: dict[str, str] = {}
    for key, name in names.items():
        r = by_default.get(str(key), by_node.get(str(key)))
        if r is None:
            raise InvalidInputError(
                f"zone name {name!r} is given for {key!r}, which is neither a zone id "
                f"({', '.join(sorted(default.values()))}) nor a junction of the network"
            )
        if r in given and given[r] != str(name):
            raise InvalidInputError(
                f"zone {default[r]} is given two names, {given[r]!r} and {name!r}: keep one"
            )
        given[r] = str(name)
    final.update(given)
    taken: dict[str, str] = {}
    for r, zone_id in final.items():
        if zone_id in taken:
            raise InvalidInputError(
                f"two zones ({default[taken[zone_id]]} and {default[r]}) would both be called {zone_id!r}"
            )
        taken[zone_id] = r
    return final


# --- balance -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneBalance:
    """The water balance of a closed zone over a readings period.

    Parameters
    ----------
    zone : str
        Zone id.
    inflow : pandas.Series
        Net inflow, Σ sign × boundary flow, per reading instant. [m³/h]
    consumption : pandas.Series
        Metered consumption, Σ customer meters. [m³/h]
    storage : pandas.Series
        Rate of filling of the zone's tanks, to the next reading; 0 without tanks. [m³/h]
    residual : pandas.Series
        Inflow less consumption and storage: real losses plus unmetered use and meter
        error. [m³/h]
    complete : float
        Share of reading instants at which every meter of the zone read; the volumes and
        pressure cover these instants only. [unitless]
    hours : float
        Time the volumes cover. [h]
    system_input_volume : float
        Net inflow less the water stored in the zone's tanks (IWA: corrected for storage). [m³]
    consumption_volume : float
        Metered consumption volume. [m³]
    storage_volume : float
        Water stored in the zone's tanks over the period (negative when they emptied). [m³]
    minimum_night_flow : pandas.Series
        MNF of the net inflow per night. [m³/h]
    net_night_flow : pandas.Series
        Lowest rolling-hour residual per night: night losses plus unmetered night use. [m³/h]
    water_balance : IwaWaterBalance or None
        IWA balance with the customer meters as unbilled metered consumption; None when a
        volume is negative (a zone that exports more than it takes).
    pressure : float
        Mean of the zone's junction pressure sensors; NaN without any. [m]
    unavoidable_real_losses : float
        UARL over :attr:`hours`; NaN outside its validity or without pressure. [m³]
    infrastructure_leakage_index : float
        Real losses over UARL. [unitless]
    """

    zone: str
    inflow: pd.Series
    consumption: pd.Series
    storage: pd.Series
    residual: pd.Series
    complete: float
    hours: float
    system_input_volume: float
    consumption_volume: float
    storage_volume: float
    minimum_night_flow: pd.Series
    net_night_flow: pd.Series
    water_balance: IwaWaterBalance | None
    pressure: float
    unavoidable_real_losses: float
    infrastructure_leakage_index: float

    @property
    def residual_volume(self) -> float:
        """Volume of the residual: net inflow less metered consumption. [m³]"""
        return self.system_input_volume - self.consumption_volume

    def to_dict(self) -> dict[str, Any]:
        """Return the balance as a plain dict (JSON output): volumes m³, flows m³/h, pressure m."""

        def number(value: float, digits: int = 3) -> float | None:
            return round(value, digits) if math.isfinite(value) else None

        def nights(series: pd.Series) -> dict[str, float | None]:
            return {str(k): number(float(v)) for k, v in series.items()}

        return {
            "zone": self.zone,
            "start": _iso(self.inflow.index[0]) if len(self.inflow) else None,
            "end": _iso(self.inflow.index[-1]) if len(self.inflow) else None,
            "complete": number(self.complete, 4),
            "hours": number(self.hours),
            "system_input_m3": number(self.system_input_volume),
            "consumption_m3": number(self.consumption_volume),
            "storage_m3": number(self.storage_volume),
            "residual_m3": number(self.residual_volume),
            "mean_residual_m3h": number(self.residual_volume / self.hours) if self.hours > 0 else None,
            "minimum_night_flow_m3h": nights(self.minimum_night_flow),
            "net_night_flow_m3h": nights(self.net_night_flow),
            "real_losses_m3": number(self.water_balance.real_losses) if self.water_balance else None,
            "pressure_m": number(self.pressure),
            "uarl_m3": number(self.unavoidable_real_losses),
            "ili": number(self.infrastructure_leakage_index),
        }


def _iso(value: Any) -> str:
    return str(pd.Timestamp(value).isoformat())


def _durations(index: pd.DatetimeIndex) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Hours each reading stands for: the time to the next one, the median step for the last."""
    seconds = np.asarray((index[1:] - index[:-1]).total_seconds(), dtype=np.float64)
    if seconds.size == 0:
        raise InvalidInputError("a zone balance needs at least two reading instants")
    return np.append(seconds, np.median(seconds)) / 3600.0


def zone_balance(
    zone: Zone,
    readings: pd.DataFrame,
    *,
    window: tuple[str, str] = ("02:00", "04:00"),
    timezone: str | None = None,
    check_validity: bool = True,
) -> ZoneBalance:
    """Compute the water balance of a closed zone from flow, demand and pressure readings.

    Parameters
    ----------
    zone : Zone
        A closed zone from :func:`district_metered_areas`.
    readings : pandas.DataFrame
        One column per sensor id, indexed by time (as :func:`~shuixiao.leaks.read_readings`
        returns it); flows and demands [m³/h], pressures [m].
    window : tuple of str
        Night window of the minimum night flow, local time.
    timezone : str, optional
        IANA zone of the local time; default: the timestamps' wall-clock time.
    check_validity : bool
        Give UARL (and ILI) only inside the range the UARL formula was derived for; pass
        False for a screening value on a plant network (see
        :func:`~shuixiao.leaks.unavoidable_real_losses`).

    Returns
    -------
    ZoneBalance

    Raises
    ------
    InvalidInputError
        If the zone is open, a meter (boundary, customer or tank level) of the zone has no
        readings, there are fewer than two reading instants, or at none of them did every
        meter of the zone read.

    Notes
    -----
    Residual :math:`Q_{res}(t) = \\sum_b s_b Q_b(t) - \\sum_c D_c(t) - \\sum_k \\Delta V_k / \\Delta t`
    [m³/h], the storage term over the interval to the next reading (so the last instant of a
    zone with tanks is incomplete); volumes
    :math:`V = \\sum_t Q(t)\\,\\Delta t` over the instants at which every meter of the zone
    read.  The IWA balance takes the customer meters as unbilled metered consumption (a plant's
    own draws) and no apparent losses, so its real losses equal the residual volume; UARL is
    :func:`~shuixiao.leaks.unavoidable_real_losses` with the zone's pipe length, connections,
    no private pipe and the mean pressure of its sensors, times the days covered, and ILI =
    real losses / UARL (Lambert et al. 1999).  MNF uses
    :func:`~shuixiao.leaks.minimum_night_flow` (minimum rolling hour).

    Examples
    --------
    Net1 fed by pump 9, tank 2 (diameter 50.5 ft) rising 1 cm/h, no customer meters:

    >>> from importlib import resources
    >>> from shuixiao.leaks import Sensor, read_network
    >>> net = read_network(resources.files("wntr").joinpath("library/networks/Net1.inp"))
    >>> sensors = {"Q-9": Sensor("flow", link="9"), "L-2": Sensor("pressure", node="2")}
    >>> (zone,) = district_metered_areas(net, sensors).zones
    >>> t = pd.date_range("2025-01-01", periods=25, freq="1h", tz="Asia/Shanghai")
    >>> readings = pd.DataFrame({"Q-9": 100.0, "L-2": 35.0 + 0.01 * np.arange(25)}, index=t)
    >>> b = zone_balance(zone, readings)
    >>> round(float(b.storage.iloc[0]), 2), b.hours, round(b.residual_volume, 1)  # m³/h, h, m³
    (1.86, 24.0, 2355.3)
    """
    if not zone.closed:
        raise InvalidInputError(f"zone {zone.id} is open ({zone.reason}): its balance would not close")
    needed = [m.sensor for m in zone.meters] + list(zone.customer_meters) + [t.sensor for t in zone.tanks]
    missing = [sid for sid in needed if sid not in readings.columns]
    if missing:
        raise InvalidInputError(
            f"zone {zone.id}: no readings for {', '.join(missing)}; every boundary and customer meter "
            "must read for the balance"
        )
    if not isinstance(readings.index, pd.DatetimeIndex):
        raise InvalidInputError("the readings need a DatetimeIndex (read them with read_readings)")
    frame = readings.sort_index()
    index = pd.DatetimeIndex(frame.index)
    hours = _durations(index)
    # DMA balance: Σ signed boundary flows − Σ customer meters = losses + unmetered use [m³/h]
    inflow = sum(
        (m.sign * frame[m.sensor].astype(np.float64) for m in zone.meters),
        start=pd.Series(0.0, index=index),
    )
    consumption = sum(
        (frame[c].astype(np.float64) for c in zone.customer_meters), start=pd.Series(0.0, index=index)
    )
    storage = pd.Series(0.0, index=index)
    for tank in zone.tanks:
        volume = tank.volume(frame[tank.sensor]).to_numpy()
        # filling rate over the interval to the next reading [m³/h]; unknown after the last one
        storage += np.append(np.diff(volume) / hours[:-1], np.nan)
    residual = inflow - consumption - storage
    inflow.name, consumption.name, storage.name, residual.name = (
        "inflow",
        "consumption",
        "storage",
        "residual",
    )
    ok = residual.notna().to_numpy()
    if not ok.any():
        raise InvalidInputError(
            f"zone {zone.id}: no reading instant at which all of {', '.join(needed)} read"
            + (" (a tank's storage needs the next reading too)" if zone.tanks else "")
        )
    covered = float(hours[ok].sum())
    stored = float((storage.to_numpy()[ok] * hours[ok]).sum())
    siv = float((inflow.to_numpy()[ok] * hours[ok]).sum()) - stored
    used = float((consumption.to_numpy()[ok] * hours[ok]).sum())
    balance = iwa_water_balance(siv, unbilled_metered=used) if siv >= 0 and used >= 0 else None
    pressure = float("nan")
    if zone.pressure_sensors:
        present = [p for p in zone.pressure_sensors if p in frame.columns]
        values = frame.loc[ok, present].to_numpy(dtype=np.float64) if present else np.empty(0)
        if values.size and np.isfinite(values).any():
            pressure = float(np.nanmean(values))
    days = covered / 24.0
    uarl = (
        float(
            unavoidable_real_losses(
                zone.length / 1000.0, float(zone.connections), 0.0, pressure, check_validity=check_validity
            )
        )
        * days
    )
    ili = float(infrastructure_leakage_index(balance.real_losses, uarl)) if balance else float("nan")
    return ZoneBalance(
        zone=zone.id,
        inflow=inflow,
        consumption=consumption,
        storage=storage,
        residual=residual,
        complete=float(ok.mean()),
        hours=covered,
        system_input_volume=siv,
        consumption_volume=used,
        storage_volume=stored,
        minimum_night_flow=minimum_night_flow(inflow[ok], window=window, timezone=timezone),
        net_night_flow=minimum_night_flow(residual[ok], window=window, timezone=timezone),
        water_balance=balance,
        pressure=pressure,
        unavoidable_real_losses=uarl,
        infrastructure_leakage_index=ili,
    )
