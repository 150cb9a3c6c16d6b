"""What the hydraulic model expects the sensors to read, given the measured state of the network.

On a network with tanks, pumps and switching pipes the readings depend on the tank levels and
on which pumps run far more than on the time of day, and in ways (head losses ∝ Q^1.85, one
regime per pump state) that a regression learned over a few days does not carry over to the
next.  The hydraulic model does: for every reading instant the steady state is found (one
snapshot per group of similar instants, corrected linearly within the group) with the
measured tank levels, the pump and pipe states seen by their flow meters and the
demands read by the customer meters (the model's own pattern demand where a junction has no
meter); the detector then works on the readings less this expectation, the *model residuals*
(the "calibration residuals" of BattLeDIM entries, Vrachimis et al. 2022 [1]_), whose response
to a leak is exactly the snapshot signature of :func:`~shuixiao.leaks.detect.sensitivity_matrix`.

References
----------
.. [1] S. G. Vrachimis et al., "Battle of the Leakage Detection and Isolation Methods,"
   *J. Water Resour. Plann. Manage.*, 148(12), 04022068, 2022,
   :doi:`10.1061/(ASCE)WR.1943-5452.0001601`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from shuixiao.leaks._epanet import Session, Snapshots, switched_links
from shuixiao.leaks._records import Sensor
from shuixiao.leaks.losses import leak_defaults
from shuixiao.leaks.network import PipeNetwork, _junction_demand

if TYPE_CHECKING:
    from shuixiao.leaks.detect import Sensitivity

__all__ = ["CLOSED_SHARE", "TANK_MARGIN", "hydraulic_expectation", "level_step", "open_state"]

_HOUR = 3600.0
_DAY = 86400.0
CLOSED_SHARE = 0.02
"""A flow below this share of its 99th training percentile means a closed link. [unitless]"""
TANK_MARGIN = 0.05
"""A measured level this close to a tank's limit leaves the instant without expectation. [m]

EPANET closes the links that would overfill a full tank or drain an empty one.  A measured
level is noisy (a few cm), so whether the tank is full, and takes no water, or just below
full, and fills at a high rate, cannot be told from it: on Net3 those instants (4 % of the
readings) carried model residuals of hundreds of m³/h, and the rest stayed within noise.
"""


def open_state(values: npt.NDArray[np.float64], train: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """Open (1) or closed (0) from a link's flow readings; NaN where a reading is missing.

    A reading below :data:`CLOSED_SHARE` of the 99th percentile of the absolute training
    readings is closed.
    """
    magnitude = np.abs(values)
    known = magnitude[train][np.isfinite(magnitude[train])]
    top = float(np.percentile(known, 99)) if len(known) else 0.0
    state = np.where(magnitude >= CLOSED_SHARE * top, 1.0, 0.0) if top > 0 else np.ones_like(magnitude)
    return np.where(np.isfinite(magnitude), state, np.nan)


def _model_seconds(index: pd.DatetimeIndex, clocktime: float) -> npt.NDArray[np.float64]:
    """Seconds of model time at each reading: patterns start at the first day's local midnight + clock time.

    This is the convention of :func:`~shuixiao.leaks.simulate_scenario`.
    """
    local = index.tz_localize(None) if index.tz is not None else index
    first = local[0]
    offset = ((first - first.normalize()).total_seconds() - clocktime) % _DAY
    elapsed = (local - first).total_seconds().to_numpy(dtype=np.float64)
    return np.asarray(offset + elapsed, dtype=np.float64)


def hydraulic_expectation(
    network: PipeNetwork,
    sensors: Mapping[str, Sensor],
    frame: pd.DataFrame,
    monitored: Sequence[str],
    train: npt.NDArray[np.bool_],
    signatures: Sensitivity,
) -> npt.NDArray[np.float64]:
    """Expected reading of every monitored sensor at every row of ``frame``.

    Parameters
    ----------
    network : PipeNetwork
    sensors : mapping of str to Sensor
    frame : pandas.DataFrame
        Readings on a regular grid, one column per sensor id, indexed by local timestamps;
        pressure and level [m], flow and demand [m³/h].
    monitored : sequence of str
        The pressure and flow sensors to predict, the columns of the result.
    train : ndarray of bool
        The training rows (for the open/closed threshold of switching links).
    signatures : Sensitivity
        The leak signatures of the monitored sensors, which are also their responses to a
        change of demand (a leak is a demand) [m/(m³/h)], [unitless].

    Returns
    -------
    ndarray, shape (rows, monitored)
        Pressure [m] and flow [m³/h]; NaN at instants when a tank is within
        :data:`TANK_MARGIN` of its limits.

    Notes
    -----
    The instants are grouped by hour of the local day, the states of the switched links, the
    tank levels in classes of :func:`level_step`, the total demand in classes of
    ``baseline_demand_step`` of its mean (``leak_defaults.yaml``) and the heads of the reservoirs.  For each
    group one snapshot is solved at the group's mean demands and levels, and one more per
    tank with its level moved by a class width; within the group the expectation is that
    snapshot plus the demands' deviations times the hour's signatures plus the levels'
    deviations times the finite-difference slope.  A year of 5-min readings on L-Town takes
    a few hundred snapshots instead of 105,120, and the linearisation error (second order in
    the deviations, a few % of the demand) stays well below the sensors' noise.

    A tank without a level sensor, or a pump or switching pipe without a flow meter, takes the
    level or state the model's own two-day run has at that hour of the second day; a missing
    reading is replaced in the same way (levels, states) or by the model's pattern demand.
    """
    wn = network.model()
    clocktime = float(wn.options.time.start_clocktime)
    tanks = list(wn.tank_name_list)
    switched = switched_links(wn)
    level_of = {str(s.node): sid for sid, s in sensors.items() if s.type == "pressure" and s.node in tanks}
    flow_of = {str(s.link): sid for sid, s in sensors.items() if s.type == "flow" and s.link in switched}
    demand_of = {str(s.node): sid for sid, s in sensors.items() if s.type == "demand" and sid in frame}
    index = pd.DatetimeIndex(frame.index)
    seconds = _model_seconds(index, clocktime)
    rows = len(frame)

    # fallbacks: the model's own levels and states by hour of day
    with Session(network.model(), step=3600, steps=48, flat_demands=False) as session:
        base = session.run(pressure=tanks, status=switched)
    hour = ((seconds // _HOUR).astype(np.int64) % 24) + 24
    levels = base["pressure"][hour] if tanks else np.zeros((rows, 0))
    states = base["status"][hour] if switched else np.zeros((rows, 0))
    for i, tank in enumerate(tanks):
        if tank in level_of and level_of[tank] in frame:
            measured = frame[level_of[tank]].to_numpy(dtype=np.float64)
            levels[:, i] = np.where(np.isfinite(measured), measured, levels[:, i])
    near_limit = np.zeros(rows, dtype=bool)
    for i, tank in enumerate(tanks):
        low, high = float(wn.get_node(tank).min_level), float(wn.get_node(tank).max_level)
        near_limit |= (levels[:, i] >= high - TANK_MARGIN) | (levels[:, i] <= low + TANK_MARGIN)
    for i, link in enumerate(switched):
        if link in flow_of and flow_of[link] in frame:
            seen = open_state(frame[flow_of[link]].to_numpy(dtype=np.float64), train)
            states[:, i] = np.where(np.isfinite(seen), seen, states[:, i])

    junctions = list(wn.junction_name_list)
    demands = np.column_stack([_junction_demand(wn, j, seconds) for j in junctions]) * _HOUR
    for k, junction in enumerate(junctions):
        if junction in demand_of:
            measured = frame[demand_of[junction]].to_numpy(dtype=np.float64)
            demands[:, k] = np.where(np.isfinite(measured), measured, demands[:, k])

    pressure = [str(sensors[s].node) for s in monitored if sensors[s].type == "pressure"]
    links = [str(sensors[s].link) for s in monitored if sensors[s].type == "flow" and sensors[s].link]
    sources = [str(sensors[s].node) for s in monitored if sensors[s].type == "flow" and sensors[s].node]
    where: list[tuple[str, int, float]] = []
    for sid in monitored:
        sensor = sensors[sid]
        if sensor.type == "pressure":
            where.append(("pressure", pressure.index(str(sensor.node)), 1.0))
        elif sensor.link is not None:
            where.append(("flow", links.index(sensor.link), 1.0))
        else:  # the supply of a source is the negative of its EPANET demand
            where.append(("outflow", sources.index(str(sensor.node)), -1.0))

    # one snapshot per group of instants that share the hour of the day, the link states, the
    # tank levels within a step and the heads of the reservoirs; within a group the expectation
    # moves linearly with the demands (by the leak signatures) and the tank levels
    step = level_step()
    share = float(leak_defaults()["baseline_demand_step"]["value"])
    local_hour = _local_hours(index)
    heads = _reservoir_multipliers(wn, seconds)
    total = demands.sum(axis=1)
    demand_class = np.floor(total / max(share * float(np.mean(total)), 1e-9))
    key = np.column_stack([local_hour, states, np.floor(levels / step), demand_class, np.round(heads, 6)])
    usable = np.flatnonzero(~near_limit)
    groups, member = np.unique(key[usable], axis=0, return_inverse=True)
    member = member.reshape(-1)
    column = {n: i for i, n in enumerate(signatures.nodes)}
    order = [column[j] for j in junctions]
    demand_slope = signatures.rows(monitored)[:, :, order]  # (24, monitored, junctions) per m³/h
    out = np.full((rows, len(monitored)), np.nan)
    with Snapshots(wn, flat_demands=True) as snapshots:

        def solve(time: float, level: npt.NDArray[np.float64], state: npt.NDArray[np.float64]) -> list[float]:
            snapshots.set_state(time, level, state)
            solved = snapshots.solve(pressure=pressure, flow=links, outflow=sources)
            return [sign * float(solved[kind][column]) for kind, column, sign in where]

        for g in range(len(groups)):
            members = usable[member == g]
            first = int(members[0])
            demand = demands[members].mean(axis=0)
            level = levels[members].mean(axis=0)
            snapshots.set_demands(demand)
            reference = np.array(solve(float(seconds[first]), level, states[first]))
            expected = reference + (demands[members] - demand) @ demand_slope[local_hour[first]].T
            for i, tank in enumerate(tanks):
                high = float(wn.get_node(tank).max_level)
                delta = step if level[i] + step <= high - TANK_MARGIN else -step
                moved = level.copy()
                moved[i] += delta
                slope = (np.array(solve(float(seconds[first]), moved, states[first])) - reference) / delta
                expected += np.outer(levels[members, i] - level[i], slope)
            out[members] = expected
    return out


def _local_hours(index: pd.DatetimeIndex) -> npt.NDArray[np.intp]:
    """Hour of the local day of every timestamp (its wall-clock time in the offset it was given with)."""
    local = index.tz_localize(None) if index.tz is not None else index
    return np.asarray(local.hour, dtype=np.intp)


def _reservoir_multipliers(wn: Any, seconds: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Head-pattern multiplier of every reservoir that has a head pattern, at every instant. [unitless]"""
    step = float(wn.options.time.pattern_timestep) or _HOUR
    start = float(wn.options.time.pattern_start)
    columns = []
    for name in wn.reservoir_name_list:
        pattern = wn.get_node(name).head_pattern_name
        if pattern and pattern in wn.pattern_name_list:
            values = np.asarray(wn.get_pattern(pattern).multipliers, dtype=np.float64)
            if len(values):
                columns.append(values[((seconds + start) // step).astype(np.int64) % len(values)])
    return np.column_stack(columns) if columns else np.zeros((len(seconds), 0))


def level_step() -> float:
    """Width of the tank-level classes of the grouped baseline snapshots, from ``leak_defaults.yaml``. [m]"""
    return float(leak_defaults()["baseline_level_step"]["value"])
