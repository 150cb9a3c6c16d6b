"""Leak detection and localisation from flow and pressure readings.

The detector works in four steps.

1. **Normal behaviour.**  On a leak-free training window every monitored sensor (pressure
   and flow) is regressed on what a leak does not change — time-of-day harmonics and, when
   customer meters exist, their demands (or main components) with the total and its
   square — and on the other monitored sensors (a cross regression, as LILA regresses
   pressures on each other [4]_).  The residuals :math:`r(t)` are what is left; their
   covariance :math:`\\Sigma` on the training window describes the noise and
   :math:`W = \\Sigma^{-1}` whitens it.
2. **Signatures.**  For every junction *k* the hydraulic model is run with one emitter at
   *k* (EPANET 2.2, two days at hourly steps; the second day is used) and the change of every
   sensor per m³/h of leak flow, hour by hour, is its signature :math:`s_k(h)`; a pipe's
   signature is the mean of its end junctions'.  Signatures pass through the same cross
   regression as the readings.  The matrix is computed once per network and sensor set (the
   hours shared between worker processes) and cached.
3. **Detection.**  For every junction the leak flow is estimated at every step by weighted
   least squares, :math:`\\hat q_k(t) = s_k^\\top W r(t) / s_k^\\top W s_k` [m³/h], and a
   one-sided CUSUM (Page 1954 [1]_) with a drift of half the smallest leak of interest runs
   on each; the largest raises the alarm.  The change point (the last time that CUSUM was
   zero) estimates the start; the flow is re-estimated during a hold-off, after which the
   event is localised and its signature subtracted, so further leaks are found on top of
   it.  A second CUSUM per event watches for its end.
4. **Localisation.**  The mean residual change :math:`\\Delta r` after the start (up to
   ``localization_window``, less the mean before it) is compared with every candidate's
   signature by the whitened correlation
   :math:`\\rho_k = s_k^\\top W \\Delta r / \\sqrt{s_k^\\top W s_k\\; \\Delta r^\\top W \\Delta r}`
   (the angle method of residual-sensitivity localisation, Pérez et al. 2011 [2]_;
   Casillas et al. 2014 [3]_).  Candidates are ranked by :math:`\\rho_k`; an event whose best
   :math:`\\rho_k` stays below ``confirm_correlation`` is not reported, since a leak moves the
   residuals along one signature and a misfit of the model does not.  The generalised
   likelihood ratio :math:`n_\\mathrm{eff}(s_k^\\top W \\Delta r)^2 / s_k^\\top W s_k` gives a
   95 % confidence set (within 3.84 of the best, :math:`\\chi^2_1`, scaled up by the best
   candidate's misfit over its :math:`\\chi^2` expectation); its largest distance from the
   best candidate is the stated distance uncertainty.

References
----------
.. [1] E. S. Page, "Continuous inspection schemes," *Biometrika*, 41(1/2), 100–115, 1954.
.. [2] R. Pérez et al., "Methodology for leakage isolation using pressure sensitivity
   analysis in water distribution networks," *Control Eng. Pract.*, 19(10), 1157–1167,
   2011, :doi:`10.1016/j.conengprac.2011.06.004`.
.. [3] M. V. Casillas et al., "Model-based leak detection and location in water
   distribution networks considering an extended-horizon analysis of pressure
   sensitivities," *J. Hydroinform.*, 16(3), 649–670, 2014, :doi:`10.2166/hydro.2013.019`.
.. [4] I. Daniel et al., "A sequential pressure-based algorithm for data-driven leakage
   identification and model-based localization in water distribution networks,"
   *J. Water Resour. Plann. Manage.*, 148(6), 04022025, 2022,
   :doi:`10.1061/(ASCE)WR.1943-5452.0001535`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from shuixiao._workers import usable_cores, worker_count
from shuixiao.errors import InvalidInputError
from shuixiao.leaks._baseline import _local_hours, hydraulic_expectation, open_state
from shuixiao.leaks._epanet import Session, Snapshots, switched_links
from shuixiao.leaks._records import Candidate, LeakEvent, Sensor, check_sensors
from shuixiao.leaks.losses import leak_defaults
from shuixiao.leaks.network import Location, PipeNetwork, network_from_text

__all__ = ["DetectionResult", "DetectorSettings", "Sensitivity", "detect_leaks", "sensitivity_matrix"]

_HOUR = 3600.0
_CHI2_95 = 3.841458820694124  # 95 % quantile of χ² with one degree of freedom
_POOL_SNAPSHOTS = 5000  # signature snapshots from which worker processes pay off (about 10 s of solving)
_FORMAT = 2  # version of the cached sensitivity file (2: snapshots with tank levels held)


@dataclass(frozen=True)
class Sensitivity:
    """Signatures of leaks: how each sensor responds to a leak at each junction, hour by hour.

    Parameters
    ----------
    sensors : tuple of str
        Sensor ids (pressure and flow sensors), the rows.
    nodes : tuple of str
        Candidate junctions, the columns.
    hourly : ndarray, shape (24, sensors, nodes)
        Change of each sensor per m³/h of leak flow at each junction, for each hour of the
        local day: pressure [m/(m³/h)], flow [unitless].
    """

    sensors: tuple[str, ...]
    nodes: tuple[str, ...]
    hourly: npt.NDArray[np.float64]

    @property
    def matrix(self) -> npt.NDArray[np.float64]:
        """Daily mean of :attr:`hourly`, shape (sensors, nodes)."""
        mean: npt.NDArray[np.float64] = self.hourly.mean(axis=0)
        return mean

    def rows(self, sensor_ids: Sequence[str]) -> npt.NDArray[np.float64]:
        """:attr:`hourly` restricted to ``sensor_ids``, in that order: shape (24, len(ids), nodes)."""
        index = {s: i for i, s in enumerate(self.sensors)}
        return self.hourly[:, [index[s] for s in sensor_ids], :]


def _cache_key(network: PipeNetwork, sensors: Mapping[str, Sensor], leak_flow: float) -> str:
    spec = sorted((sid, s.type, s.node or "", s.link or "") for sid, s in sensors.items())
    text = json.dumps([_FORMAT, network.fingerprint, spec, round(leak_flow, 6)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def is_tank_level(network: PipeNetwork, sensor: Sensor) -> bool:
    """Whether ``sensor`` is a pressure sensor on a tank, i.e. measures its water level [m]."""
    return sensor.type == "pressure" and sensor.node is not None and network.node_kind(sensor.node) == "tank"


def _responding(network: PipeNetwork, sensors: Mapping[str, Sensor]) -> dict[str, Sensor]:
    """The sensors a leak moves at once: pressures at junctions and flows (not meters, not tank levels)."""
    return {sid: s for sid, s in sensors.items() if s.type != "demand" and not is_tank_level(network, s)}


def sensitivity_matrix(
    network: PipeNetwork,
    sensors: Mapping[str, Sensor],
    *,
    leak_flow: float | None = None,
    cache_dir: Path | None = None,
    workers: int | None = None,
) -> Sensitivity:
    """Simulate one emitter per junction and return every sensor's response, hour by hour.

    Parameters
    ----------
    network : PipeNetwork
    sensors : mapping of str to Sensor
        Demand sensors and tank levels are ignored: a leak does not change what a customer
        meter reads, and the detector takes tank levels as given.
    leak_flow : float, optional
        Size of the simulated leak; default 1 % of the network's mean demand, within
        1–20 m³/h. [m³/h]
    cache_dir : pathlib.Path, optional
        Directory for the cached matrix, keyed by the INP text, the sensors and
        ``leak_flow``; nothing is cached when None.
    workers : int, optional
        Processes that share the snapshots, a share of the hours each; default the number
        of CPU cores this process may use for networks of more than about 200 junctions,
        else 1.  With 1 everything runs in this process; otherwise the processes are
        spawned, so a script that calls this must guard its entry point with
        ``if __name__ == "__main__":``.

    Returns
    -------
    Sensitivity

    Raises
    ------
    InvalidInputError
        If ``leak_flow`` is not positive or ``workers`` is not a whole number ≥ 1.

    Notes
    -----
    A two-day extended run at hourly steps with the model's own demand patterns and
    controls gives, for each hour of its second day, the tank levels and the states of the
    pumps and of the pipes that controls switch.  At each of those hours one steady-state
    snapshot per junction is solved with those levels and states held fixed and an emitter
    at the junction; the change of each reading divided by the emitter's flow is the
    junction's signature for that hour.  Holding the tanks at their level gives the
    instantaneous response of a leak, which is what the detector sees once it has
    regressed the readings on the measured tank levels and pump states; on a network
    without tanks it equals the response of an extended run.  Hours are the model's clock
    (``START CLOCKTIME``), taken as local time.  About 1 s for Net3 (92 junctions) and a
    minute of CPU for L-Town (782), shared between the worker processes.
    """
    if workers is not None:
        workers = worker_count(workers)
    monitored = _responding(network, sensors)
    total = sum(network.demand(j) for j in network.junctions)
    q0 = float(leak_flow) if leak_flow is not None else min(max(0.01 * total, 1.0), 20.0)
    if not q0 > 0:
        raise InvalidInputError(f"leak_flow must be > 0 m³/h, not {q0}")
    key = _cache_key(network, monitored, q0)
    path = cache_dir / f"sensitivity-{key}.npz" if cache_dir is not None else None
    if path is not None and path.exists():
        try:
            with np.load(path, allow_pickle=False) as data:
                return Sensitivity(
                    tuple(str(s) for s in data["sensors"]),
                    tuple(str(n) for n in data["nodes"]),
                    np.asarray(data["hourly"], dtype=np.float64),
                )
        except (OSError, KeyError, ValueError):
            pass  # a damaged cache file is recomputed and replaced
    ids = list(monitored)
    pressure = [str(monitored[s].node) for s in ids if monitored[s].type == "pressure"]
    links = [str(monitored[s].link) for s in ids if monitored[s].type == "flow" and monitored[s].link]
    sources = [str(monitored[s].node) for s in ids if monitored[s].type == "flow" and monitored[s].node]
    # where each sensor's reading is in a snapshot: (kind, column, sign)
    where: list[tuple[str, int, float]] = []
    for sid in ids:
        sensor = monitored[sid]
        if sensor.type == "pressure":
            where.append(("pressure", pressure.index(str(sensor.node)), 1.0))
        elif sensor.link is not None:
            where.append(("flow", links.index(sensor.link), 1.0))
        else:  # the supply of a source is the negative of its EPANET demand
            where.append(("outflow", sources.index(str(sensor.node)), -1.0))
    nodes = network.junctions
    tanks = [n for n in network.sources if network.node_kind(n) == "tank"]
    wn = network.model()
    clock = int(float(wn.options.time.start_clocktime) // 3600)
    switched = switched_links(wn)
    with Session(network.model(), step=3600, steps=48, flat_demands=False) as session:
        state = session.run(pressure=tanks + nodes, status=switched)
    hours = [
        _Hour(
            row,
            (row + clock) % 24,
            state["pressure"][row, : len(tanks)],
            state["status"][row],
            state["pressure"][row, len(tanks) :],
        )
        for row in range(24, 48)
    ]
    if workers is None:  # a process costs seconds to start: worth it for large networks only
        workers = usable_cores() if len(nodes) * len(hours) >= _POOL_SNAPSHOTS else 1
    count = max(1, min(len(hours), workers))
    batches = [hours[i::count] for i in range(count)]
    job = _SignatureJob(network.inp_text, q0, pressure, links, sources, where)
    hourly = np.zeros((24, len(ids), len(nodes)))
    if count == 1:
        done = [job.run(batches[0])]
    else:
        with ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn")) as pool:
            done = list(pool.map(job.run, batches))
    for batch in done:
        for hour, values in batch:
            hourly[hour] = values
    result = Sensitivity(tuple(ids), tuple(nodes), hourly)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.stem + ".part.npz")
        np.savez(temporary, sensors=np.array(ids), nodes=np.array(nodes), hourly=hourly)
        temporary.replace(path)
    return result


@dataclass(frozen=True)
class _Hour:
    """The network's state at one hour of the model's second day, where signatures are taken."""

    row: int  # hours since the start of the model's patterns
    hour: int  # hour of the local day
    levels: npt.NDArray[np.float64]  # of the tanks [m]
    states: npt.NDArray[np.float64]  # of the switched links, 1 open
    pressure: npt.NDArray[np.float64]  # of every junction [m]


@dataclass(frozen=True)
class _SignatureJob:
    """Signatures of every junction at some hours: a picklable task for a worker process.

    Each process opens its own EPANET project from the INP text; snapshots of one hour start
    from the previous snapshot's solution, so contiguous work stays cheap.
    """

    inp_text: str
    leak_flow: float  # [m³/h]
    pressure: list[str]
    links: list[str]
    sources: list[str]
    where: list[tuple[str, int, float]]  # where each sensor's reading is in a snapshot

    def run(self, hours: list[_Hour]) -> list[tuple[int, npt.NDArray[np.float64]]]:
        network = network_from_text(self.inp_text)
        nodes = network.junctions
        out = []
        with Snapshots(network.model(), emitter_nodes=nodes) as snapshots:
            for h in hours:
                values = np.zeros((len(self.where), len(nodes)))
                snapshots.set_state(h.row * _HOUR, h.levels, h.states)
                base = snapshots.solve(pressure=self.pressure, flow=self.links, outflow=self.sources)
                for k, node in enumerate(nodes):
                    coefficient = self.leak_flow / math.sqrt(max(float(h.pressure[k]), 1.0))
                    snapshots.set_emitter(node, coefficient)
                    run = snapshots.solve(
                        pressure=[*self.pressure, node], flow=self.links, outflow=self.sources
                    )
                    snapshots.set_emitter(node, 0.0)
                    q = coefficient * math.sqrt(max(float(run["pressure"][-1]), 0.0))
                    if not q > 1e-9:
                        continue  # no pressure, no leak: the junction has no signature at this hour
                    for i, (kind, column, sign) in enumerate(self.where):
                        values[i, k] = sign * (run[kind][column] - base[kind][column]) / q
                out.append((h.hour, values))
        return out


@dataclass(frozen=True)
class DetectorSettings:
    """Tuning of :func:`detect_leaks`.

    Parameters
    ----------
    training : datetime.timedelta, optional
        Leak-free window at the start of the readings used to learn normal behaviour.
        Default: 7 days when the readings span at least 14 days, else a third of the span
        (at least one day is needed).
    minimum_flow : float
        Smallest leak of interest: the CUSUM's drift is half of it, and events whose
        estimated flow stays below 75 % of it are dropped as model misfit. [m³/h]
    threshold : float, optional
        CUSUM alarm threshold, in units of the training noise of :math:`\\hat q` [unitless].
        Default: the larger of 8 and 1.5 × the CUSUM's maximum over the training window.
    harmonics : int
        Time-of-day harmonics in the normal-behaviour model.
    localization_window : datetime.timedelta
        Longest stretch of data after a leak's start averaged for its localisation.
    candidates : int
        Number of candidates reported per event.
    candidate_kind : {"pipe", "node"}
        Report pipes (as BattLeDIM scores them) or junctions.
    holdoff : datetime.timedelta
        After an alarm no new alarm is raised for this long; meanwhile the event's flow is
        re-estimated, and at its end the event is localised with the data so far.
    merge_distance : float
        A new alarm whose best junction is this close to an open event's location is taken
        as the same leak growing (an incipient leak), not as a new leak. [m]
    cross_regression : bool
        Also regress every monitored sensor on the others, which absorbs what all sensors
        share (tank levels, pump switching, demand swings); the leak signatures are passed
        through the same regression.
    detection_sensors : {"all", "flow"}
        Sensors whose residuals raise alarms: all, or the flow meters only (a water balance
        against the customer meters, for networks where pressures follow tank levels and
        pump switching); localisation always uses all sensors.
    hydraulic_baseline : {"auto", "on", "off"}
        Subtract from the readings what the hydraulic model expects given the measured tank
        levels, pump states and customer demands (steady-state snapshots of groups of similar
        readings, corrected linearly, :mod:`~shuixiao.leaks._baseline`) before learning normal behaviour; ``auto`` does so
        on networks with tanks, where tank levels and pump switching drive the readings.
    confirm_correlation : float, optional
        An event is reported only when its best candidate's whitened correlation
        :math:`\\rho` with the residual change reaches this: a leak moves the residuals
        along one signature, a misfit of the model does not.  Default ``confirm_correlation``
        of ``leak_defaults.yaml``. [unitless]
    adaptation : datetime.timedelta, optional
        Normal behaviour follows slow change (seasons, the sum of the leaks found so far,
        which the linear model only approximates): once a day, every sensor's residual at
        each hour of the day is re-centred on its median over this long a window, leaving out
        the rows of the events being tracked.  An open event that has lasted through half of
        the window becomes part of normal behaviour (absorbed); its repair is still watched.
        The first window is the first full one after the training window, so a record shorter
        than training + window + lag is examined against the training window alone.  None
        keeps the normal behaviour of the training window for the whole period.
    adaptation_lag : datetime.timedelta
        The adaptation window ends this long before the day it re-centres, so that a leak
        not yet alarmed is not learned as normal before its CUSUM has had time to grow.
    """

    training: dt.timedelta | None = None
    minimum_flow: float = 2.0
    threshold: float | None = None
    harmonics: int = 4
    localization_window: dt.timedelta = dt.timedelta(hours=24)
    candidates: int = 10
    candidate_kind: Literal["pipe", "node"] = "pipe"
    holdoff: dt.timedelta = dt.timedelta(hours=2)
    merge_distance: float = 300.0
    cross_regression: bool = True
    detection_sensors: Literal["all", "flow"] = "all"
    hydraulic_baseline: Literal["auto", "on", "off"] = "auto"
    confirm_correlation: float | None = None
    adaptation: dt.timedelta | None = dt.timedelta(days=14)
    adaptation_lag: dt.timedelta = dt.timedelta(days=2)

    def confirmation(self) -> float:
        """The smallest whitened correlation of a reported event's best candidate. [unitless]"""
        if self.confirm_correlation is not None:
            return self.confirm_correlation
        return float(leak_defaults()["confirm_correlation"]["value"])

    def __post_init__(self) -> None:
        if not self.minimum_flow > 0:
            raise InvalidInputError(f"minimum_flow must be > 0 m³/h, not {self.minimum_flow}")
        if self.threshold is not None and not self.threshold > 0:
            raise InvalidInputError(f"threshold must be > 0, not {self.threshold}")
        if self.candidate_kind not in ("pipe", "node"):
            raise InvalidInputError("candidate_kind is pipe or node")
        if self.candidates < 1:
            raise InvalidInputError("report at least one candidate")
        if self.detection_sensors not in ("all", "flow"):
            raise InvalidInputError("detection_sensors is all or flow")
        if self.hydraulic_baseline not in ("auto", "on", "off"):
            raise InvalidInputError("hydraulic_baseline is auto, on or off")
        if self.adaptation is not None and self.adaptation < dt.timedelta(days=1):
            raise InvalidInputError(f"the adaptation window is at least a day, not {self.adaptation}")
        if self.adaptation_lag < dt.timedelta(0):
            raise InvalidInputError(f"the adaptation lag cannot be negative, not {self.adaptation_lag}")
        if self.confirm_correlation is not None and not 0 < self.confirm_correlation <= 1:
            raise InvalidInputError(
                f"confirm_correlation is a correlation in (0, 1], not {self.confirm_correlation}"
            )


@dataclass(frozen=True)
class DetectionResult:
    """What :func:`detect_leaks` found, with the series behind it.

    Parameters
    ----------
    events : tuple of LeakEvent
        Detected leaks, in order of detection.
    flow : pandas.Series
        Leak-flow estimate :math:`\\hat q(t)` at every step. [m³/h]
    statistic : pandas.Series
        The detection CUSUM. [unitless]
    threshold : float
        The alarm threshold used. [unitless]
    training_end : datetime.datetime
        End of the training window.
    sensors_used : tuple of str
        Sensors with readings that entered the residual model (monitored and drivers).
    sensors_without_readings : tuple of str
        Sensors of the sensor file that had no readings.
    noise : float
        Standard deviation of :math:`\\hat q` on the training window. [m³/h]
    """

    events: tuple[LeakEvent, ...]
    flow: pd.Series
    statistic: pd.Series
    threshold: float
    training_end: dt.datetime
    sensors_used: tuple[str, ...]
    sensors_without_readings: tuple[str, ...] = field(default_factory=tuple)
    noise: float = float("nan")


def _features(index: pd.DatetimeIndex, harmonics: int) -> npt.NDArray[np.float64]:
    """Intercept and time-of-day harmonics at the local wall-clock time of ``index``."""
    local = index.tz_localize(None) if index.tz is not None else index
    day = (local - local.normalize()).total_seconds().to_numpy(dtype=np.float64) / 86400.0
    columns = [np.ones_like(day)]
    for h in range(1, harmonics + 1):
        columns += [np.sin(2 * np.pi * h * day), np.cos(2 * np.pi * h * day)]
    return np.column_stack(columns)


def _regular(readings: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Put readings on a regular grid at their median interval; fill gaps up to 1 h."""
    frame = readings.sort_index()
    frame = frame[~frame.index.duplicated(keep="last")]
    if len(frame) < 3:
        raise InvalidInputError("too few readings: at least three timestamps are needed")
    step = float(np.median(np.diff(pd.DatetimeIndex(frame.index).as_unit("ns").asi8))) / 1e9
    if not step > 0:
        raise InvalidInputError("the readings' timestamps do not advance")
    grid = pd.date_range(frame.index[0], frame.index[-1], freq=pd.Timedelta(seconds=step))
    frame = frame.reindex(grid.union(frame.index)).interpolate(
        method="time", limit=max(1, int(_HOUR // step)), limit_area="inside"
    )
    return frame.reindex(grid), step


def _whitener(residuals: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Inverse of the shrunk residual covariance (10 % towards its diagonal)."""
    ok = np.isfinite(residuals).all(axis=1)
    data = residuals[ok]
    cov = np.cov(data, rowvar=False).reshape(residuals.shape[1], residuals.shape[1])
    diag = np.diag(np.diag(cov))
    shrunk = np.asarray(0.9 * cov + 0.1 * diag, dtype=np.float64)
    floor = np.eye(len(cov)) * max(1e-12, 1e-9 * float(np.trace(cov)))
    inverse: npt.NDArray[np.float64] = np.asarray(np.linalg.inv(shrunk + floor), dtype=np.float64)
    return inverse


def _robust_std(values: npt.NDArray[np.float64]) -> float:
    v = values[np.isfinite(values)]
    if len(v) == 0:
        return float("nan")
    mad = float(np.median(np.abs(v - np.median(v)))) * 1.4826
    return max(mad, float(np.std(v)) * 0.5, 1e-9)


def _effective_share(values: npt.NDArray[np.float64]) -> float:
    """n_eff / n of an AR(1) series: (1 − ρ₁)/(1 + ρ₁), at most 1."""
    v = values[np.isfinite(values)]
    if len(v) < 4:
        return 1.0
    v = v - v.mean()
    denominator = float(np.dot(v, v))
    rho = float(np.dot(v[:-1], v[1:])) / denominator if denominator > 0 else 0.0
    rho = min(max(rho, 0.0), 0.99)
    return (1.0 - rho) / (1.0 + rho)


def detect_leaks(
    network: PipeNetwork,
    sensors: Mapping[str, Sensor],
    readings: pd.DataFrame,
    *,
    settings: DetectorSettings | None = None,
    sensitivity: Sensitivity | None = None,
    cache_dir: Path | None = None,
) -> DetectionResult:
    """Detect and localise leaks in a period of readings.

    Parameters
    ----------
    network : PipeNetwork
        The network model the sensitivities are simulated with.
    sensors : mapping of str to Sensor
        Every sensor the readings may name.
    readings : pandas.DataFrame
        One column per sensor id, indexed by timezone-aware timestamps; pressure [m], flow
        and demand [m³/h].  Sensors without a column (or with no values) are left out.
    settings : DetectorSettings, optional
    sensitivity : Sensitivity, optional
        Precomputed signatures; computed (and cached in ``cache_dir``) when None.
    cache_dir : pathlib.Path, optional

    Returns
    -------
    DetectionResult

    Raises
    ------
    InvalidInputError
        If the readings name unknown sensors, are too short for a training window, or no
        pressure or flow sensor has readings.

    Notes
    -----
    The time of day of a reading is its wall-clock time in the UTC offset it was given
    with; it selects the hourly signature and the harmonics of the normal-behaviour model.
    """
    settings = settings or DetectorSettings()
    check_sensors(network, sensors)
    unknown = sorted(set(readings.columns) - set(sensors))
    if unknown:
        raise InvalidInputError(
            f"readings name sensors that are not in the sensor file: {', '.join(unknown)}"
        )
    present = [c for c in readings.columns if readings[c].notna().any()]
    missing = tuple(sorted(set(sensors) - set(present)))
    frame, step = _regular(readings[present].astype(np.float64))
    responding = _responding(network, sensors)
    monitored = [s for s in present if s in responding]
    drivers = [s for s in present if sensors[s].type == "demand"]
    levels = [s for s in present if is_tank_level(network, sensors[s])]
    if not monitored:
        raise InvalidInputError("no pressure or flow sensor has readings; nothing to detect leaks with")
    index = pd.DatetimeIndex(frame.index)
    span = index[-1] - index[0] + pd.Timedelta(seconds=step)
    training = settings.training
    if training is None:
        training = dt.timedelta(days=7) if span >= pd.Timedelta(days=14) else span / 3
    train_end = index[0] + pd.Timedelta(training)
    if pd.Timedelta(training) < pd.Timedelta(hours=23) or train_end >= index[-1]:
        raise InvalidInputError(
            f"the readings span {span}; at least a leak-free day of training plus data to examine is needed"
        )
    train = np.asarray(index < train_end)

    # 1. normal behaviour
    flows = [s for s in monitored if sensors[s].type == "flow"]
    x = _design(frame, drivers, index, train, settings.harmonics, _states(frame, levels, flows, train))
    y = frame[monitored].to_numpy()
    sens = sensitivity or sensitivity_matrix(network, sensors, cache_dir=cache_dir)
    baseline = settings.hydraulic_baseline
    if baseline == "on" or (
        baseline == "auto" and any(network.node_kind(n) == "tank" for n in network.sources)
    ):
        y = y - hydraulic_expectation(network, sensors, frame, monitored, train, sens)
    residual, coupling = _residuals(x, y, train, monitored, settings.cross_regression)
    w = _whitener(residual[train])

    # 2. signatures, passed through the same regression: a leak moves the residuals by (I − G)·s
    transform = np.eye(len(monitored)) - coupling
    s_hours = np.einsum("ij,hjk->hik", transform, sens.rows(monitored))  # (24, monitored, junctions)
    hour = _local_hours(index)

    # 3. detection: a bank of CUSUMs, one per junction, on the chosen sensors
    if settings.detection_sensors == "flow":
        rows = [i for i, sid in enumerate(monitored) if sensors[sid].type == "flow"]
        if not rows:
            raise InvalidInputError("detection on flow sensors needs at least one flow sensor with readings")
    else:
        rows = list(range(len(monitored)))
    full = _Bank(residual, w, s_hours, hour)
    bank = (
        full
        if len(rows) == len(monitored)
        else _Bank(residual[:, rows], _whitener(residual[train][:, rows]), s_hours[:, rows, :], hour)
    )
    if not bank.usable.any():
        raise InvalidInputError("the sensors do not respond to leaks in this network")
    drift = settings.minimum_flow / 2.0
    q_train = bank.flows(np.flatnonzero(train))
    sigma = np.array([_robust_std(q_train[:, k]) for k in range(q_train.shape[1])])
    train_statistic = _cusum_bank(q_train, drift, sigma)
    threshold = settings.threshold or max(8.0, 1.5 * float(np.max(train_statistic, initial=0.0)))
    seen = np.isfinite(q_train).any(axis=1)
    share = _effective_share(np.nanmean(q_train[seen], axis=1)) if seen.any() else 1.0
    tracker = _Tracker(index, step, settings, bank, full, rows, sigma, drift, threshold, sens, network, share)
    events = tracker.run(int(np.argmin(train)) if not train.all() else len(index))
    return DetectionResult(
        tuple(events),
        pd.Series(tracker.flow, index=index, name="flow"),
        pd.Series(tracker.statistic, index=index, name="cusum"),
        threshold,
        train_end.to_pydatetime(),
        tuple(monitored + levels + drivers),
        missing,
        float(np.median(sigma[np.isfinite(sigma)])) if np.isfinite(sigma).any() else float("nan"),
    )


_MAX_DRIVERS = 20


def _residuals(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    train: npt.NDArray[np.bool_],
    names: list[str],
    cross: bool,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Residuals of every monitored sensor and the coupling matrix G of the cross regression.

    Sensor j is regressed on the exogenous regressors ``x`` and, with ``cross``, on the
    other monitored sensors (as LILA regresses pressures on each other, Daniel et al.
    2022); ``G[j, i]`` is the coefficient of sensor i.  Ridge regularisation of 10⁻³ per
    sample on standardised regressors keeps the fit stable when sensors are nearly collinear.
    """
    m = y.shape[1]
    coupling = np.zeros((m, m))
    residual = np.full_like(y, np.nan)
    centre = np.nanmean(y[train], axis=0)
    scale = np.nanstd(y[train], axis=0)
    scale[~(scale > 0)] = 1.0
    z = (y - centre) / scale
    for j in range(m):
        others = [i for i in range(m) if i != j] if cross else []
        lhs_all = np.column_stack([x, z[:, others]]) if others else x
        ok = train & np.isfinite(y[:, j]) & np.isfinite(lhs_all).all(axis=1)
        if ok.sum() < lhs_all.shape[1] + 2:
            raise InvalidInputError(f"sensor {names[j]} has too few readings in the training window")
        lhs = lhs_all[ok]
        penalty = np.eye(lhs.shape[1]) * 1e-3 * len(lhs)
        penalty[0, 0] = 0.0  # no penalty on the intercept
        beta = np.linalg.solve(lhs.T @ lhs + penalty, lhs.T @ y[ok, j])
        residual[:, j] = y[:, j] - lhs_all @ beta
        for c, i in enumerate(others):
            coupling[j, i] = beta[x.shape[1] + c] / scale[i]
    return residual, coupling


def _design(
    frame: pd.DataFrame,
    drivers: list[str],
    index: pd.DatetimeIndex,
    train: npt.NDArray[np.bool_],
    harmonics: int,
    states: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Regressors of normal behaviour: harmonics, network states, customer demands (or main components), D²."""
    x = _features(index, harmonics)
    if states.shape[1]:
        x = np.column_stack([x, states])
    if not drivers:
        return x
    d = frame[drivers].to_numpy()
    d = np.where(np.isfinite(d), d, np.nanmean(d[train], axis=0))
    centre = d[train].mean(axis=0)
    scale = d[train].std(axis=0)
    scale[scale <= 0] = 1.0
    z = (d - centre) / scale
    if z.shape[1] > _MAX_DRIVERS:  # many customer meters: keep their main components
        _, _, vt = np.linalg.svd(z[train], full_matrices=False)
        z = z @ vt[:_MAX_DRIVERS].T
    total = d.sum(axis=1)
    t_scale = float(total[train].std()) or 1.0
    t = (total - float(total[train].mean())) / t_scale
    return np.column_stack([x, z, t, t**2])


def _states(
    frame: pd.DataFrame, levels: list[str], flows: list[str], train: npt.NDArray[np.bool_]
) -> npt.NDArray[np.float64]:
    """The network's state as regressors: tank levels, and open/closed indicators of switching flows.

    A tank level [m] enters standardised.  A flow meter that reads closed (see
    :func:`~shuixiao.leaks._baseline.open_state`) for at least :data:`_SWITCH_SHARE` of the
    training rows and open for as many is on a pump or a pipe that opens and closes; its
    state (1 open, 0 closed) enters as an indicator.  Columns that do not vary over the
    training window are left out.
    """
    columns = []
    for sid in levels:
        v = frame[sid].to_numpy(dtype=np.float64)
        centre = float(np.nanmean(v[train]))
        v = np.where(np.isfinite(v), v, centre)
        spread = float(np.std(v[train]))
        if spread > 0:
            columns.append((v - centre) / spread)
    for sid in flows:
        state = open_state(frame[sid].to_numpy(dtype=np.float64), train)
        share = float(np.nanmean(state[train])) if np.isfinite(state[train]).any() else 1.0
        if min(share, 1.0 - share) < _SWITCH_SHARE:
            continue
        columns.append(np.where(np.isfinite(state), state, share))
    if not columns:
        return np.zeros((len(frame), 0))
    return np.column_stack(columns)


_SWITCH_SHARE = 0.05


_MixTerms = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]


class _Bank:
    """Per-junction leak-flow estimates :math:`\\hat q_k(t) = s_k^\\top W r(t) / s_k^\\top W s_k`.

    Signatures depend on the hour of the day: ``s_hours`` has shape (24, sensors, junctions).
    """

    def __init__(
        self,
        residual: npt.NDArray[np.float64],
        w: npt.NDArray[np.float64],
        s_hours: npt.NDArray[np.float64],
        hour: npt.NDArray[np.intp],
    ) -> None:
        self.base = residual  # against the training window's normal behaviour
        self.residual = residual.copy()  # re-centred by :meth:`recentre`
        self.valid: npt.NDArray[np.bool_] = np.asarray(np.isfinite(residual).any(axis=1), dtype=bool)
        self.filled = np.where(np.isfinite(residual), residual, 0.0)
        self.w = w
        self.s = s_hours
        self.hour = hour
        self.ws = np.einsum("ij,hjk->hik", w, s_hours)  # W s, (24, M, K)
        energy = np.einsum("hjk,hjk->hk", s_hours, self.ws)  # sᵀ W s, (24, K)
        self.usable = (energy > 1e-12).all(axis=0)
        self.energy = np.where(energy > 1e-12, energy, 1.0)
        self._mixes: dict[bytes, _MixTerms] = {}

    def recentre(self, rows: slice, offset: npt.NDArray[np.float64]) -> None:
        """Residuals at ``rows`` become the training-window residuals less ``offset`` by hour: (24, M)."""
        self.residual[rows] = self.base[rows] - offset[self.hour[rows]]
        self.filled[rows] = np.where(np.isfinite(self.residual[rows]), self.residual[rows], 0.0)

    def flows(self, rows: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
        """:math:`\\hat q_k` at ``rows`` for every junction k. [m³/h]"""
        out = np.full((len(rows), self.s.shape[2]), np.nan)
        hours = self.hour[rows]
        for h in np.unique(hours):
            pick = hours == h
            out[pick] = self.filled[rows[pick]] @ self.ws[h] / self.energy[h]
        out[:, ~self.usable] = np.nan
        out[~self.valid[rows]] = np.nan
        return out

    def response(self, weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """How a unit leak at the junction mix ``weights`` moves every :math:`\\hat q_k`, by hour: (24, K)."""
        signature = np.einsum("hjk,k->hj", self.s, weights)
        out: npt.NDArray[np.float64] = np.einsum("hj,hjk->hk", signature, self.ws) / self.energy
        return out

    def mix_flow(
        self,
        row: int,
        weights: npt.NDArray[np.float64],
        others: list[tuple[float, npt.NDArray[np.float64]]],
    ) -> float:
        """Leak-flow estimate at row ``row`` for a leak at the junction mix ``weights``. [m³/h]

        ``others`` are (flow [m³/h], junction mix) of leaks whose effect is taken out first.
        """
        if not self.valid[row]:
            return float("nan")
        h = int(self.hour[row])
        signature, ws, energy = self.mix_terms(weights)
        if not energy[h] > 1e-12:
            return float("nan")
        fit = float(self.filled[row] @ ws[h])
        for flow, mix in others:
            fit -= flow * float(self.mix_terms(mix)[0][h] @ ws[h])
        return fit / float(energy[h])

    def mix_terms(self, weights: npt.NDArray[np.float64]) -> _MixTerms:
        """Signature (24, M), W·signature (24, M) and energy (24,) of a junction mix, kept per mix."""
        key = weights.tobytes()
        found = self._mixes.get(key)
        if found is None:
            signature = np.einsum("hjk,k->hj", self.s, weights)
            ws = signature @ self.w.T
            found = self._mixes[key] = (signature, ws, np.einsum("hj,hj->h", signature, ws))
        return found

    def window_signatures(self, rows: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
        """Junction signatures averaged over the hours of ``rows``: (M, K)."""
        counts = np.bincount(self.hour[rows], minlength=24).astype(np.float64)
        mean: npt.NDArray[np.float64] = np.einsum("h,hjk->jk", counts / max(counts.sum(), 1.0), self.s)
        return mean


def _cusum_bank(
    q: npt.NDArray[np.float64], drift: float, sigma: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Largest CUSUM of the bank at every row."""
    level = np.zeros(q.shape[1])
    out = np.zeros(q.shape[0])
    scale = np.where(np.isfinite(sigma) & (sigma > 0), sigma, np.inf)
    for i in range(q.shape[0]):
        row = q[i]
        ok = np.isfinite(row)
        level[ok] = np.maximum(0.0, level[ok] + (row[ok] - drift) / scale[ok])
        out[i] = float(level.max(initial=0.0))
    return out


@dataclass
class _Open:
    """An event being tracked."""

    start: int
    alarm: int
    weights: npt.NDArray[np.float64]  # the event's location as a mix of junctions
    flow: float  # [m³/h]
    response: npt.NDArray[np.float64]  # (24, K)
    fixed: bool = False
    end: int | None = None
    down: float = 0.0
    down_zero: int = -1
    candidates: tuple[Candidate, ...] = ()
    location: Location | None = None
    uncertainty: float = float("nan")
    from_normal: bool = False  # localised against normal behaviour, not the day before (a slow leak)
    absorbed: int | None = None  # first row whose re-centred normal behaviour includes the event

    def live(self) -> bool:
        """Still open and not yet part of the re-centred normal behaviour."""
        return self.end is None and self.absorbed is None

    def on(self, rows: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_]:
        """Rows at which the event adds to the residuals: from its start to its end or absorption."""
        stop = min((x for x in (self.end, self.absorbed) if x is not None), default=np.iinfo(np.intp).max)
        return np.asarray((rows >= self.start) & (rows < stop), dtype=bool)


class _Tracker:
    """Runs the CUSUM bank over the examined rows, opening and closing events."""

    _CHUNK = 2048

    def __init__(
        self,
        index: pd.DatetimeIndex,
        step: float,
        settings: DetectorSettings,
        bank: _Bank,
        full: _Bank,
        rows: list[int],
        sigma: npt.NDArray[np.float64],
        drift: float,
        threshold: float,
        sens: Sensitivity,
        network: PipeNetwork,
        share: float,
    ) -> None:
        self.index = index
        self.settings = settings
        self.bank = bank
        self.full = full
        self.rows = rows
        self.sigma = np.where(np.isfinite(sigma) & (sigma > 0), sigma, np.inf)
        self.drift = drift
        self.keep = 0.75 * settings.minimum_flow  # smaller events are taken as model misfit
        self.confirm = settings.confirmation()  # so are events that no single leak explains
        self.threshold = threshold
        self.sens = sens
        self.network = network
        self.share = share
        self.window = max(1, int(settings.localization_window.total_seconds() // step))
        self.holdoff = max(1, int(settings.holdoff.total_seconds() // step))
        self.day = max(1, int(86400.0 // step))
        adaptation = settings.adaptation
        self.span = 0 if adaptation is None else max(1, int(adaptation.total_seconds() // step))
        self.lag = int(settings.adaptation_lag.total_seconds() // step)
        self.offset = np.zeros((24, full.s.shape[1]))  # the residuals' drift by hour, (24, M)
        n = len(index)
        self.flow = np.full(n, np.nan)
        self.statistic = np.zeros(n)
        self.events: list[_Open] = []
        self.mixes, self.locations = _candidate_mixes(sens, network, settings.candidate_kind)

    def run(self, first: int) -> list[LeakEvent]:
        n = len(self.index)
        k_count = self.bank.s.shape[2]
        level = np.zeros(k_count)
        zero = np.full(k_count, first)
        quiet = first
        # the first adaptation window is the first full one after the training window
        recentre = first + self.span + self.lag if self.span else n
        chunk_rows = np.arange(0)
        chunk: npt.NDArray[np.float64] = np.zeros((0, k_count))
        for i in range(first, n):
            if i == recentre:
                self._recentre(i, i + self.day)
                recentre = i + self.day
            if len(chunk_rows) == 0 or i > chunk_rows[-1]:
                chunk_rows = np.arange(i, min(n, i + self._CHUNK, recentre))
                chunk = self.bank.flows(chunk_rows)
            raw = chunk[i - chunk_rows[0]]
            if not np.isfinite(raw).any():
                self.statistic[i] = float(level.max(initial=0.0))
                continue
            h = int(self.bank.hour[i])
            active = [e for e in self.events if e.live()]
            self._refine(active, i)
            active = [e for e in self.events if e.live()]
            self._watch_end(active, i)
            explained = sum((e.flow * e.response[h] for e in active if e.live()), np.zeros(k_count))
            q = raw - explained
            self.flow[i] = float(np.nanmedian(raw[self.bank.usable]))
            ok = np.isfinite(q)
            level[ok] = np.maximum(0.0, level[ok] + (q[ok] - self.drift) / self.sigma[ok])
            zero[level == 0.0] = i
            top = int(np.argmax(level))
            self.statistic[i] = float(level[top])
            if level[top] > self.threshold and i >= quiet:
                start = min(int(zero[top]) + 1, i)
                self._open(start, i, top)
                level[:] = 0.0
                zero[:] = i
                quiet = i + self.holdoff
        kept = []
        for event in self.events:
            self._localise(event)
            if event.flow >= self.keep and event.candidates and event.candidates[0].score >= self.confirm:
                kept.append(event)
        return [self._result(e) for e in kept]

    def _recentre(self, begin: int, end: int) -> None:
        """Re-centre the residuals of rows ``begin:end`` on the adaptation window before them.

        The offset of each sensor at each hour of the day is its median residual against the
        training window's normal behaviour over the window: what normal behaviour has drifted
        by.  The rows of live events are left out, so a leak is not learned as normal while it
        is tracked.  A live event that has lasted through half of the window becomes part of
        normal behaviour (absorbed): its estimated effect is added to the window's rows before
        its start, so the median takes it in at once, and its effect is no longer taken out of
        the residuals (:meth:`_watch_end` still watches for its repair).
        """
        stop = begin - self.lag
        rows = np.arange(stop - self.span, stop)
        for e in self.events:
            if e.live() and e.fixed and e.start < rows[len(rows) // 2]:
                e.absorbed = begin
        base = self.full.base[rows].copy()
        hours = self.full.hour[rows]
        keep = np.ones(len(rows), dtype=bool)
        for e in self.events:
            if e.live():
                keep &= ~e.on(rows)
            elif e.absorbed is not None and e.end is None and e.start > rows[0]:
                before = rows < e.start
                base[before] += e.flow * self.full.mix_terms(e.weights)[0][hours[before]]
        if keep.sum() >= self.day:  # else live events fill the window: the last offset stays
            base, hours = base[keep], hours[keep]
            self.offset = np.zeros((24, base.shape[1]))
            for h in range(24):
                at = base[hours == h]
                seen = np.isfinite(at).any(axis=0)
                self.offset[h, seen] = np.nanmedian(at[:, seen], axis=0)
        where = slice(begin, end)
        self.full.recentre(where, self.offset)
        if self.bank is not self.full:
            self.bank.recentre(where, self.offset[:, self.rows])

    def _open(self, start: int, alarm: int, node: int) -> None:
        rows = np.arange(start, alarm + 1)
        q = self.bank.flows(rows)[:, node] - self._explained(rows, node)
        flow = float(np.nanmean(q)) if np.isfinite(q).any() else 0.0
        here = Location("node", self.sens.nodes[node])
        for other in reversed(self.events):
            if not other.live() or other.location is None:
                continue
            if self.network.distance(here, other.location) <= self.settings.merge_distance:
                other.flow += max(flow, 0.0)  # the leak grew (an incipient leak): one event, larger
                return
        weights = np.zeros(self.bank.s.shape[2])
        weights[node] = 1.0
        self.events.append(_Open(start, alarm, weights, flow, self.bank.response(weights)))

    def _explained(self, rows: npt.NDArray[np.intp], node: int) -> npt.NDArray[np.float64]:
        out = np.zeros(len(rows))
        hours = self.bank.hour[rows]
        for e in self.events:
            on = e.on(rows)
            out += np.where(on, e.flow * e.response[hours, node], 0.0)
        return out

    def _refine(self, active: list[_Open], i: int) -> None:
        """During the hold-off after an alarm, re-estimate the event's flow from the data so far.

        At the end of the hold-off the event is localised with the data so far; its best
        candidate's signature and flow are what later steps subtract.  An event whose flow is
        then below 75 % of the smallest leak of interest is dropped as a misfit of the model.
        """
        for e in active:
            if e.fixed:
                continue
            if i - e.alarm >= self.holdoff:
                e.fixed = True
                best = self._localise(e, until=i + 1)
                if best is None or best[1] < self.keep:
                    best = self._slow_leak(e, i + 1) or best
                if best is not None:
                    e.weights, e.flow = best
                    e.response = self.bank.response(e.weights)
                if e.flow < self.keep:
                    self.events.remove(e)
                continue
            rows = np.arange(e.start, i + 1)
            node = int(np.argmax(e.weights))
            q = self.bank.flows(rows)[:, node]
            hours = self.bank.hour[rows]
            for o in active:
                if o is not e:
                    q = q - o.flow * o.response[hours, node]
            if np.isfinite(q).any():
                e.flow = float(np.nanmean(q))

    def _slow_leak(self, event: _Open, until: int) -> tuple[npt.NDArray[np.float64], float] | None:
        """Localise ``event`` against normal behaviour when the day before it explains too little.

        A leak that grows over days or weeks has reached most of its size before its CUSUM
        alarms, so the change over the day before the alarm is small and the event would be
        dropped as a misfit.  Its residuals against the normal-behaviour model (what the
        CUSUM saw) are then used instead, if one leak explains them (the confirmation) with at
        least 75 % of the smallest leak of interest; otherwise the event keeps its first
        localisation.
        """
        kept = (event.candidates, event.location, event.uncertainty, event.flow)
        best = self._localise(event, until=until, from_normal=True)
        if (
            best is not None
            and best[1] >= self.keep
            and event.candidates
            and event.candidates[0].score >= self.confirm
        ):
            event.from_normal = True
            return best
        event.candidates, event.location, event.uncertainty, event.flow = kept
        return None

    def _others(self, event: _Open, rows: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
        """What the other events, at their estimated flows, add to the residuals at ``rows``: (rows, M)."""
        out = np.zeros((len(rows), self.full.s.shape[1]))
        hours = self.full.hour[rows]
        for o in self.events:
            if o is event:
                continue
            on = o.on(rows)
            if on.any():
                out[on] += o.flow * self.full.mix_terms(o.weights)[0][hours[on]]
        return out

    def _watch_end(self, active: list[_Open], i: int) -> None:
        """A second CUSUM per open event: has its flow gone (a repair)?

        ``active`` are the live events.  An absorbed event's flow is part of normal behaviour,
        so its estimate stays near zero while it lasts and falls to minus its flow when it is
        repaired; a live event's estimate falls from its flow to zero.
        """
        for e in [e for e in self.events if e.end is None]:
            if not e.fixed or e.flow <= self.drift:
                continue
            # the flow estimate of the event's own location (a junction, or a pipe's mix of its
            # ends), less what the other live events add to it: how its flow was estimated
            q = self.bank.mix_flow(i, e.weights, [(o.flow, o.weights) for o in active if o is not e])
            if not np.isfinite(q):
                continue
            present = e.flow if e.live() else 0.0
            node = int(np.argmax(e.weights))
            e.down = max(0.0, e.down + (present - e.flow / 2.0 - q) / self.sigma[node])
            if e.down == 0.0 or e.down_zero < 0:
                e.down_zero = i
            if e.down > self.threshold:
                e.end = e.down_zero + 1

    def _localise(
        self, event: _Open, until: int | None = None, *, from_normal: bool | None = None
    ) -> tuple[npt.NDArray[np.float64], float] | None:
        """Rank candidates by whitened correlation of the mean residual change with their signatures.

        The change is the mean residual after the event's start less the mean over the window
        before it (after any earlier event's start); with ``from_normal`` (default: the
        event's own choice, see :meth:`_slow_leak`) it is the mean residual itself, i.e. the
        change from the normal behaviour learned on the training window.

        Returns the best candidate's junction mix and leak flow [m³/h], or None.
        """
        if from_normal is None:
            from_normal = event.from_normal
        residual = self.full.residual
        n = len(residual)
        later = [e.start for e in self.events if e.start > event.start]
        stop = min([n, event.start + self.window, *later, *([until] if until is not None else [])])
        if event.end is not None:
            stop = min(stop, event.end)
        earlier = [e.start for e in self.events if e.start < event.start]
        begin = max([0, event.start - self.window, *earlier])
        after_rows = np.arange(event.start, stop)
        after = residual[after_rows]
        if from_normal:
            after = after - self._others(event, after_rows)
        before = residual[begin : event.start]
        if len(after) == 0 or not np.isfinite(after).any():
            return None
        delta = np.nanmean(after, axis=0)
        if not from_normal and len(before) and np.isfinite(before).any():
            delta = delta - np.nanmean(before, axis=0)
        delta = np.nan_to_num(delta)
        if not self.locations:
            return None
        signatures = self.full.window_signatures(after_rows) @ self.mixes  # (M, candidates)
        w = self.full.w
        ws = w @ signatures
        fit = delta @ ws
        energy = np.einsum("ij,ij->j", signatures, ws)
        norm = math.sqrt(max(float(delta @ w @ delta), 1e-300))
        positive = energy > 1e-12
        safe = np.where(positive, energy, 1.0)
        rho = np.where(positive, fit / np.sqrt(safe) / norm, -np.inf)
        flow = np.where(positive, fit / safe, 0.0)
        order = np.argsort(-rho, kind="stable")
        best = int(order[0])
        if not np.isfinite(rho[best]):
            return None
        event.candidates = tuple(
            Candidate(self.locations[k], round(float(rho[k]), 4))
            for k in order[: self.settings.candidates]
            if np.isfinite(rho[k])
        )
        event.location = self.locations[best]
        if float(flow[best]) > 0:
            event.flow = float(flow[best])
        n_eff = max(1.0, len(after) * self.share)
        glr = np.where(positive & (flow > 0), n_eff * fit**2 / safe, -np.inf)
        # the misfit of the best candidate, against its χ² expectation (M − 1 degrees of freedom),
        # scales the noise up where the model explains the residuals less well than the noise would
        freedom = max(1, len(delta) - 1)
        misfit = n_eff * float(delta @ w @ delta) * (1.0 - float(rho[best]) ** 2)
        inside = np.flatnonzero(glr >= float(glr[best]) - _CHI2_95 * max(1.0, misfit / freedom))
        if inside.size:
            event.uncertainty = round(
                max(self.network.distance(self.locations[best], self.locations[k]) for k in inside), 1
            )
        mix: npt.NDArray[np.float64] = self.mixes[:, best]
        return mix, float(flow[best])

    def _result(self, event: _Open) -> LeakEvent:
        n = len(self.index)
        end = None if event.end is None else self.index[min(event.end, n - 1)].to_pydatetime()
        return LeakEvent(
            self.index[event.start].to_pydatetime(),
            self.index[event.alarm].to_pydatetime(),
            end,
            round(max(event.flow, 0.0), 3),
            event.candidates,
            event.uncertainty,
        )


def _candidate_mixes(
    sens: Sensitivity, network: PipeNetwork, kind: str
) -> tuple[npt.NDArray[np.float64], list[Location]]:
    """Candidates as mixes of junction columns: a junction itself, or a pipe's end junctions."""
    column = {n: i for i, n in enumerate(sens.nodes)}
    k = len(sens.nodes)
    if kind == "node":
        return np.eye(k), [Location("node", n) for n in sens.nodes]
    columns, locations = [], []
    for pipe in network.pipes:
        ends = [column[n] for n in network.link_nodes(pipe) if n in column]
        if not ends:
            continue
        mix = np.zeros(k)
        mix[ends] = 1.0 / len(ends)
        columns.append(mix)
        locations.append(Location("pipe", pipe))
    if not columns:
        return np.zeros((k, 0)), []
    return np.column_stack(columns), locations
