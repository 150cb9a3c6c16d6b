"""Leak scenarios on any EPANET network: sensor readings with their ground truth.

A scenario is an extended-period simulation of a network with:

* leaks on pipes (or at nodes) with a start, an optional repair and an abrupt or incipient
  shape; a pipe leak sits on a node that splits the pipe at its midpoint, as in the
  BattLeDIM 2020 generator (``dataset_generator.py``: ``wntr.morph.split_pipe``);
* demand uncertainty: every junction's demand is its pattern demand times
  :math:`1 + x_t`, with :math:`x_t` an AR(1) process of standard deviation
  ``demand_noise`` and correlation time ``demand_correlation``;
* model uncertainty: the simulated pipes' roughness differs from the model's by a
  lognormal factor of spread ``roughness_uncertainty``, so that a detector using the
  nominal model works, as in practice, with a model that is not the truth;
* sensors with Gaussian noise and a reading resolution.

**Simulator.** EPANET 2.2 through wntr's toolkit binding, with every leak an *emitter*
:math:`Q = C\\,p^{0.5}` (EpanetSimulator ignores ``Junction.add_leak``; an emitter with
:math:`C = C_d A \\sqrt{2g}` gives the same flow as WNTR's orifice leak model, see
``shared/reference/leak.md`` §3.1).  The coefficient is set at every step, which is how an
incipient leak grows; it is sized so that the leak flow at the node's mean pressure is
the requested peak flow, and the truth records the flow actually simulated.

Everything is deterministic in ``seed`` (``numpy.random.SeedSequence([seed, stream])``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from shuixiao.errors import InvalidInputError
from shuixiao.leaks._epanet import Session, switched_links
from shuixiao.leaks._records import Leak, Sensor, check_sensors
from shuixiao.leaks.network import Location, PipeNetwork, _junction_demand

__all__ = [
    "Scenario",
    "ScenarioSettings",
    "place_sensors",
    "random_leaks",
    "simulate_scenario",
]

_HOUR = 3600.0
_STREAM_LEAKS, _STREAM_DEMAND, _STREAM_ROUGHNESS, _STREAM_SENSORS = 1, 2, 3, 4


@dataclass(frozen=True)
class ScenarioSettings:
    """How a scenario is simulated and measured.

    Parameters
    ----------
    interval : int
        Reading interval. [s]
    demand_noise : float
        Standard deviation of the multiplicative demand noise. [unitless]
    demand_correlation : float
        Correlation time of the demand noise. [s]
    roughness_uncertainty : float
        Spread of the lognormal factor on each pipe's roughness. [unitless]
    pressure_noise : float
        Standard deviation of pressure sensor noise. [m]
    pressure_resolution : float
        Resolution of pressure readings. [m]
    flow_noise : float
        Standard deviation of flow and demand meter noise, relative to the reading. [unitless]
    flow_resolution : float
        Resolution of flow and demand readings. [m³/h]
    """

    interval: int = 300
    demand_noise: float = 0.05
    demand_correlation: float = 3600.0
    roughness_uncertainty: float = 0.05
    pressure_noise: float = 0.02
    pressure_resolution: float = 0.01
    flow_noise: float = 0.005
    flow_resolution: float = 0.01

    def __post_init__(self) -> None:
        if self.interval < 1 or 86400 % self.interval:
            raise InvalidInputError(f"interval must divide a day in seconds, not {self.interval}")
        for name in (
            "demand_noise",
            "demand_correlation",
            "roughness_uncertainty",
            "pressure_noise",
            "pressure_resolution",
            "flow_noise",
            "flow_resolution",
        ):
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                raise InvalidInputError(f"{name} must be a finite number ≥ 0, not {value}")


@dataclass(frozen=True)
class Scenario:
    """A simulated scenario: readings, sensors and ground truth.

    Parameters
    ----------
    network : str
        Name of the network.
    sensors : dict of str to Sensor
        Sensor id → sensor.
    readings : pandas.DataFrame
        One column per sensor id, one row per timestamp (timezone-aware); pressure [m],
        flow and demand [m³/h].
    leaks : tuple of Leak
        The leaks, with ``peak_flow`` the largest simulated leak flow.
    leak_flows : pandas.DataFrame
        Simulated flow of every leak (columns: leak ids). [m³/h]
    settings : ScenarioSettings
    seed : int
    warnings : tuple of str
        Warnings EPANET gave (e.g. negative pressures), if any.
    """

    network: str
    sensors: dict[str, Sensor]
    readings: pd.DataFrame
    leaks: tuple[Leak, ...]
    leak_flows: pd.DataFrame
    settings: ScenarioSettings
    seed: int
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def start(self) -> dt.datetime:
        """First timestamp."""
        first = pd.Timestamp(self.readings.index[0])
        out: dt.datetime = first.to_pydatetime()
        return out

    @property
    def end(self) -> dt.datetime:
        """The instant after the last reading: the end of the period."""
        last = pd.Timestamp(self.readings.index[-1])
        out: dt.datetime = (last + pd.Timedelta(seconds=self.settings.interval)).to_pydatetime()
        return out


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, stream]))


def _spread(network: PipeNetwork, candidates: Sequence[str], count: int) -> list[str]:
    """Pick ``count`` nodes far apart along the pipes (farthest-point sampling, deterministic)."""
    if count <= 0 or not candidates:
        return []
    order = network.nodes
    index = {n: i for i, n in enumerate(order)}
    chosen = (
        [max(candidates, key=lambda n: (network.node_distance(network.sources[0], n), n))]
        if (network.sources)
        else [candidates[0]]
    )
    nearest = network.node_distances(chosen[0])[[index[c] for c in candidates]]
    while len(chosen) < min(count, len(candidates)):
        finite = np.where(np.isfinite(nearest), nearest, -1.0)
        pick = candidates[int(np.argmax(finite))]
        if pick in chosen:
            break
        chosen.append(pick)
        nearest = np.minimum(nearest, network.node_distances(pick)[[index[c] for c in candidates]])
    return chosen


def place_sensors(
    network: PipeNetwork,
    *,
    pressure: int | None = None,
    demand_share: float = 1.0,
    inflow: bool = True,
) -> dict[str, Sensor]:
    """Choose a sensor set for a network.

    Parameters
    ----------
    network : PipeNetwork
    pressure : int, optional
        Number of pressure sensors, spread over the junctions by farthest-point sampling of
        the pipe distance. Default: :math:`\\max(3, \\lceil\\sqrt{J}\\rceil)` for J junctions
        (5 on a demo plant, 10 on Net3, 28 on L-Town, which has 33).
    demand_share : float
        Share of the junctions with demand that have a customer meter (``demand``
        sensor), largest demands first; 1 meters every consumer, as GB/T 24789 asks of the
        main water-using equipment of an enterprise. [unitless]
    inflow : bool
        Put a flow meter on every link through which a reservoir or tank feeds the junctions,
        and on every pump and every pipe that the model's controls open and close (their
        state, which SCADA reports, is what the detector reads from them).

    Returns
    -------
    dict of str to Sensor
        Ids ``P-<node>``, ``Q-<link>``, ``D-<node>``, and ``L-<tank>`` for the level of
        every tank (a pressure sensor on the tank, in m), which the detector needs on a
        network with tanks.
    """
    if not 0.0 <= demand_share <= 1.0:
        raise InvalidInputError(f"demand_share must be between 0 and 1, not {demand_share}")
    junctions = network.junctions
    n_pressure = max(3, math.ceil(math.sqrt(len(junctions)))) if pressure is None else pressure
    sensors: dict[str, Sensor] = {}
    for node in _spread(network, junctions, n_pressure):
        sensors[f"P-{node}"] = Sensor("pressure", node=node)
    if inflow:
        for link in network.inflow_links():
            sensors[f"Q-{link}"] = Sensor("flow", link=link)
        for link in switched_links(network.model()):
            sensors[f"Q-{link}"] = Sensor("flow", link=link)
    for tank in network.sources:
        if network.node_kind(tank) == "tank":
            sensors[f"L-{tank}"] = Sensor("pressure", node=tank)
    consumers = sorted((j for j in junctions if network.demand(j) > 0), key=lambda j: (-network.demand(j), j))
    for node in consumers[: round(demand_share * len(consumers))]:
        sensors[f"D-{node}"] = Sensor("demand", node=node)
    return sensors


def random_leaks(
    network: PipeNetwork,
    count: int,
    *,
    start: dt.datetime,
    end: dt.datetime,
    seed: int = 2025,
    flow_range: tuple[float, float] = (2.0, 20.0),
    incipient_share: float = 0.3,
    repair_share: float = 0.3,
    minimum_duration: dt.timedelta = dt.timedelta(hours=6),
) -> list[Leak]:
    """Draw leaks on random pipes, the chance of a pipe proportional to its length.

    Parameters
    ----------
    network : PipeNetwork
    count : int
        Number of leaks.
    start, end : datetime.datetime
        Leaks start in [start, end − minimum_duration] (timezone-aware).
    seed : int
    flow_range : tuple of float
        Peak flows are log-uniform in this range. [m³/h]
    incipient_share : float
        Chance that a leak is incipient, growing linearly to its peak over 6 h to 7 d. [unitless]
    repair_share : float
        Chance that a leak is repaired before ``end``. [unitless]
    minimum_duration : datetime.timedelta
        Every leak lasts at least this long inside the period.

    Returns
    -------
    list of Leak
        In order of start, ids ``L1``, ``L2``, …
    """
    if count < 0:
        raise InvalidInputError(f"the number of leaks must be ≥ 0, not {count}")
    low, high = flow_range
    if not 0 < low <= high:
        raise InvalidInputError(f"the flow range must be 0 < low ≤ high, not {flow_range}")
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInputError("give start and end with their UTC offset")
    latest = end - minimum_duration
    if count and latest <= start:
        raise InvalidInputError("the period is too short for leaks lasting the minimum duration")
    pipes = [p for p in network.pipes if network.length(p) > 0]
    if count and not pipes:
        raise InvalidInputError(f"network {network.name!r} has no pipe to put a leak on")
    rng = _rng(seed, _STREAM_LEAKS)
    lengths = np.array([network.length(p) for p in pipes])
    span = (latest - start).total_seconds()
    drafts = []
    for _ in range(count):
        pipe = pipes[int(rng.choice(len(pipes), p=lengths / lengths.sum()))]
        begin = start + dt.timedelta(seconds=round(float(rng.uniform(0, span)) / 60) * 60)
        flow = float(np.exp(rng.uniform(np.log(low), np.log(high))))
        incipient = bool(rng.uniform() < incipient_share)
        room = (end - begin).total_seconds()
        peak = None
        if incipient:
            growth = float(rng.uniform(6 * _HOUR, 7 * 24 * _HOUR))
            peak = begin + dt.timedelta(seconds=round(min(growth, 0.8 * room) / 60) * 60)
        stop = None
        if rng.uniform() < repair_share:
            after = float(rng.uniform(minimum_duration.total_seconds(), room))
            stop = begin + dt.timedelta(seconds=round(after / 60) * 60)
            if stop >= end:
                stop = None
        drafts.append((begin, pipe, flow, incipient, peak, stop))
    drafts.sort(key=lambda d: (d[0], d[1]))
    return [
        Leak(
            Location("pipe", pipe),
            begin,
            stop,
            round(flow, 3),
            "incipient" if incipient else "abrupt",
            peak if incipient else None,
            f"L{i + 1}",
        )
        for i, (begin, pipe, flow, incipient, peak, stop) in enumerate(drafts)
    ]


def simulate_scenario(
    network: PipeNetwork,
    sensors: Mapping[str, Sensor],
    leaks: Sequence[Leak],
    *,
    start: dt.datetime,
    days: float,
    seed: int = 2025,
    settings: ScenarioSettings | None = None,
) -> Scenario:
    """Simulate a network with leaks and return what its sensors read.

    Parameters
    ----------
    network : PipeNetwork
    sensors : mapping of str to Sensor
    leaks : sequence of Leak
        ``peak_flow`` is the leak flow wanted at the node's mean pressure. [m³/h]
    start : datetime.datetime
        First reading, timezone-aware; the model's patterns start here.
    days : float
        Length of the period. [d]
    seed : int
    settings : ScenarioSettings, optional

    Returns
    -------
    Scenario

    Raises
    ------
    InvalidInputError
        For sensors or leaks that do not fit the network, or a network EPANET cannot solve.

    Examples
    --------
    >>> import datetime as dt
    >>> from importlib import resources
    >>> from shuixiao.leaks import Leak, Location, read_network, place_sensors
    >>> net = read_network(resources.files("wntr").joinpath("library/networks/Net3.inp"))
    >>> t0 = dt.datetime(2025, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    >>> leak = Leak(Location("pipe", "123"), t0 + dt.timedelta(hours=6), None, 10.0, id="L1")
    >>> s = simulate_scenario(net, place_sensors(net), [leak], start=t0, days=0.5, seed=1)
    >>> s.readings.shape, round(s.leaks[0].peak_flow)
    ((144, 79), 10)
    """
    settings = settings or ScenarioSettings()
    if start.tzinfo is None:
        raise InvalidInputError("give the start with its UTC offset, e.g. 2025-01-01T00:00+08:00")
    if not days > 0:
        raise InvalidInputError(f"days must be > 0, not {days}")
    check_sensors(network, sensors)
    step = settings.interval
    steps = int(round(days * 86400 / step))
    if steps < 2:
        raise InvalidInputError("the period must hold at least two readings")
    times = pd.date_range(pd.Timestamp(start), periods=steps, freq=pd.Timedelta(seconds=step))
    ids = [leak.id or f"L{i + 1}" for i, leak in enumerate(leaks)]
    if len(set(ids)) != len(ids):
        raise InvalidInputError("leak ids must be unique")
    for leak in leaks:
        network.location(leak.location.kind, leak.location.id)  # raises when unknown

    wn = network.model()
    # pipe leaks sit on a node splitting the pipe at its midpoint (BattLeDIM generator)
    leak_nodes = []
    for i, leak in enumerate(leaks):
        if leak.location.kind == "pipe":
            node = f"{leak.location.id}~leak{i + 1}"
            _split(wn, leak.location.id, node, f"{leak.location.id}~{i + 1}")
            leak_nodes.append(node)
        else:
            if network.node_kind(leak.location.id) != "junction":
                raise InvalidInputError(f"leak {ids[i]}: a node leak must be on a junction")
            leak_nodes.append(leak.location.id)
    _perturb_roughness(wn, settings.roughness_uncertainty, _rng(seed, _STREAM_ROUGHNESS))

    seconds = np.arange(steps, dtype=np.float64) * step
    offset = _pattern_offset(wn, start)
    junctions = list(wn.junction_name_list)
    nominal = np.column_stack([_junction_demand(wn, j, seconds + offset) for j in junctions]) * _HOUR
    noise = _ar1(
        _rng(seed, _STREAM_DEMAND),
        steps,
        len(junctions),
        settings.demand_noise,
        step,
        settings.demand_correlation,
    )
    demands = np.maximum(nominal * (1.0 + noise), 0.0)

    pressure_nodes = [s.node for s in sensors.values() if s.type == "pressure" and s.node]
    flow_links = [s.link for s in sensors.values() if s.type == "flow" and s.link]
    source_nodes = [s.node for s in sensors.values() if s.type == "flow" and s.node]
    unique_nodes = list(dict.fromkeys(leak_nodes))
    with Session(wn, step=step, steps=steps, flat_demands=True, emitter_nodes=unique_nodes) as session:
        coefficients = np.zeros((steps, len(unique_nodes)))
        mean_pressure = np.zeros(len(unique_nodes))
        if leaks:
            reference = session.run(demands=nominal, pressure=unique_nodes)["pressure"]
            mean_pressure = np.nanmean(np.maximum(reference, 0.0), axis=0)
            for leak, node in zip(leaks, leak_nodes, strict=True):
                column = unique_nodes.index(node)
                c = leak.peak_flow / math.sqrt(max(float(mean_pressure[column]), 1.0))
                share = leak.flow(times) / leak.peak_flow if leak.peak_flow > 0 else np.zeros(steps)
                coefficients[:, column] += c * share
        result = session.run(
            demands=demands,
            emitters=coefficients if unique_nodes else None,
            pressure=list(dict.fromkeys(pressure_nodes + unique_nodes)),
            flow=flow_links,
            outflow=source_nodes,
        )
        warnings = tuple(dict.fromkeys(session.warnings))
    recorded_pressure = list(dict.fromkeys(pressure_nodes + unique_nodes))
    pressure = {n: result["pressure"][:, i] for i, n in enumerate(recorded_pressure)}

    # leak flow from the emitter law at the simulated pressure of the leak node
    exponent = float(wn.options.hydraulic.emitter_exponent)
    leak_flow = {}
    for i, (leak, node) in enumerate(zip(leaks, leak_nodes, strict=True)):
        column = unique_nodes.index(node)
        mine = leak.peak_flow / math.sqrt(max(float(mean_pressure[column]), 1.0))
        share = leak.flow(times) / leak.peak_flow if leak.peak_flow > 0 else np.zeros(steps)
        leak_flow[ids[i]] = mine * share * np.maximum(pressure[node], 0.0) ** exponent
    truth = []
    for i, leak in enumerate(leaks):
        peak = float(np.max(leak_flow[ids[i]])) if steps else 0.0
        truth.append(replace(leak, id=ids[i], peak_flow=round(peak, 3)))

    rng = _rng(seed, _STREAM_SENSORS)
    columns: dict[str, npt.NDArray[np.float64]] = {}
    flow_values = {k: result["flow"][:, i] for i, k in enumerate(flow_links)}
    source_values = {n: -result["outflow"][:, i] for i, n in enumerate(source_nodes)}
    column_of = {j: i for i, j in enumerate(junctions)}
    for sid, sensor in sensors.items():
        if sensor.type == "pressure":
            true = pressure[str(sensor.node)]
            value = true + rng.normal(0.0, settings.pressure_noise, steps)
            columns[sid] = _quantize(value, settings.pressure_resolution)
        else:
            if sensor.type == "demand":
                true = demands[:, column_of[str(sensor.node)]]
            elif sensor.link is not None:
                true = flow_values[sensor.link]
            else:
                true = source_values[str(sensor.node)]
            value = true * (1.0 + rng.normal(0.0, settings.flow_noise, steps))
            columns[sid] = _quantize(value, settings.flow_resolution)
    readings = pd.DataFrame(columns, index=times)
    readings.index.name = "timestamp"
    flows = pd.DataFrame(leak_flow, index=times)
    return Scenario(network.name, dict(sensors), readings, tuple(truth), flows, settings, seed, warnings)


def _split(wn: Any, pipe: str, node: str, new_pipe: str) -> None:
    """Split ``pipe`` at its midpoint with a new junction (in place)."""
    import wntr  # optional heavy dependency, loaded only for hydraulic runs

    wntr.morph.split_pipe(
        wn, pipe, new_pipe, node, add_pipe_at_end=True, split_at_point=0.5, return_copy=False
    )


def _perturb_roughness(wn: Any, spread: float, rng: np.random.Generator) -> None:
    if spread <= 0:
        return
    for name in sorted(wn.pipe_name_list):
        pipe = wn.get_link(name)
        pipe.roughness = float(pipe.roughness) * float(np.exp(rng.normal(0.0, spread)))


def _pattern_offset(wn: Any, start: dt.datetime) -> float:
    """Seconds into the model's pattern cycle at ``start``: patterns begin at local midnight."""
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    return ((start - midnight).total_seconds() - float(wn.options.time.start_clocktime)) % 86400.0


def _ar1(
    rng: np.random.Generator, steps: int, n: int, sigma: float, step: float, correlation: float
) -> npt.NDArray[np.float64]:
    """AR(1) noise of standard deviation ``sigma`` and correlation time ``correlation`` [s]."""
    if sigma <= 0 or n == 0:
        return np.zeros((steps, n))
    phi = math.exp(-step / correlation) if correlation > 0 else 0.0
    shocks = rng.normal(0.0, sigma * math.sqrt(1.0 - phi * phi), (steps, n))
    out = np.empty((steps, n))
    out[0] = rng.normal(0.0, sigma, n)
    for k in range(1, steps):
        out[k] = phi * out[k - 1] + shocks[k]
    return out


def _quantize(values: npt.NDArray[np.float64], resolution: float) -> npt.NDArray[np.float64]:
    if resolution <= 0:
        return values
    decimals = max(0, -math.floor(math.log10(resolution)) + 1)
    return np.round(np.round(values / resolution) * resolution, decimals)
