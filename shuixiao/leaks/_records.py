"""The records the leak engine passes around: sensors, leaks (ground truth) and detected events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from shuixiao.errors import InvalidInputError
from shuixiao.leaks.network import Location, PipeNetwork

__all__ = ["Candidate", "Leak", "LeakEvent", "Sensor"]

SensorType = Literal["pressure", "flow", "demand"]
SENSOR_TYPES: tuple[str, ...] = ("pressure", "flow", "demand")
SENSOR_UNITS = {"pressure": "m", "flow": "m³/h", "demand": "m³/h"}
"""Unit of each sensor type in readings files and inside the engine (pressure as head)."""


@dataclass(frozen=True)
class Sensor:
    """A measuring point of a pipe network.

    Parameters
    ----------
    type : {"pressure", "flow", "demand"}
        Pressure head at a node [m]; flow in a link, positive from its start to its end
        node [m³/h] (or, at a reservoir or tank, the flow it supplies [m³/h]); consumption
        of a junction as its customer meter sees it, leaks excluded [m³/h].
    node : str, optional
        The node measured (pressure, demand, and flow out of a source).
    link : str, optional
        The link measured (flow).
    """

    type: SensorType
    node: str | None = None
    link: str | None = None

    def __post_init__(self) -> None:
        if self.type not in SENSOR_TYPES:
            raise InvalidInputError(f"sensor type {self.type!r} is unknown; use pressure, flow or demand")
        if (self.node is None) == (self.link is None):
            raise InvalidInputError("a sensor names exactly one of node and link")
        if self.link is not None and self.type != "flow":
            raise InvalidInputError(f"a {self.type} sensor is on a node, not on a link")

    @property
    def target(self) -> str:
        """The node or link id measured."""
        return self.node if self.node is not None else str(self.link)

    @property
    def unit(self) -> str:
        """Unit of the readings: ``m`` or ``m³/h``."""
        return SENSOR_UNITS[self.type]


@dataclass(frozen=True)
class Leak:
    """A leak of a scenario: where, when, how large and how it grows.

    Parameters
    ----------
    location : Location
        The leaking pipe (modelled at its midpoint) or node.
    start : datetime.datetime
        When the leak starts (timezone-aware).
    end : datetime.datetime or None
        When it is repaired; None when it outlasts the period.
    peak_flow : float
        Largest leak flow. [m³/h]
    shape : {"abrupt", "incipient"}
        Abrupt leaks reach ``peak_flow`` at ``start``; incipient leaks grow linearly from
        zero at ``start`` to ``peak_flow`` at ``peak_time`` and stay there.
    peak_time : datetime.datetime, optional
        When an incipient leak reaches its peak; defaults to ``start`` for abrupt leaks.
    id : str
        A name for reports, e.g. ``L1``.
    """

    location: Location
    start: dt.datetime
    end: dt.datetime | None
    peak_flow: float
    shape: Literal["abrupt", "incipient"] = "abrupt"
    peak_time: dt.datetime | None = None
    id: str = ""

    def __post_init__(self) -> None:
        if self.shape not in ("abrupt", "incipient"):
            raise InvalidInputError(f"leak shape {self.shape!r} is unknown; use abrupt or incipient")
        if not self.peak_flow >= 0:
            raise InvalidInputError(f"leak {self.id}: peak flow must be ≥ 0 m³/h, not {self.peak_flow}")
        if self.start.tzinfo is None:
            raise InvalidInputError(f"leak {self.id}: give the start with its UTC offset")
        if self.end is not None and self.end <= self.start:
            raise InvalidInputError(f"leak {self.id}: end {self.end} is not after start {self.start}")
        if self.peak_time is not None and self.peak_time < self.start:
            raise InvalidInputError(f"leak {self.id}: peak time is before the start")

    @property
    def reaches_peak(self) -> dt.datetime:
        """When the leak is at full size: ``peak_time`` for incipient leaks, else ``start``."""
        if self.shape == "incipient" and self.peak_time is not None:
            return self.peak_time
        return self.start

    def flow(self, times: pd.DatetimeIndex | npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Leak flow of the shape model at ``times``. [m³/h]

        Parameters
        ----------
        times : DatetimeIndex or array of datetime64
            Timezone-aware instants.

        Returns
        -------
        ndarray
            0 before ``start`` and from ``end`` on; ``peak_flow`` once at full size;
            a linear ramp in between for incipient leaks. [m³/h]
        """
        t = pd.DatetimeIndex(times)
        seconds = (t - pd.Timestamp(self.start)).total_seconds().to_numpy(dtype=np.float64)
        ramp = (pd.Timestamp(self.reaches_peak) - pd.Timestamp(self.start)).total_seconds()
        share = np.ones_like(seconds) if ramp <= 0 else np.clip(seconds / ramp, 0.0, 1.0)
        active = seconds >= 0
        if self.end is not None:
            active &= np.asarray(t < pd.Timestamp(self.end))
        return np.where(active, self.peak_flow * share, 0.0)


@dataclass(frozen=True)
class Candidate:
    """A suspected leak location with its score.

    Parameters
    ----------
    location : Location
        The pipe or node.
    score : float
        Correlation between the observed residual signature and the location's simulated
        sensitivity, in the whitened residual space; 1 is a perfect match. [unitless]
    """

    location: Location
    score: float


@dataclass(frozen=True)
class LeakEvent:
    """A leak found by the detector.

    Parameters
    ----------
    start : datetime.datetime
        Estimated start of the leak (the change point).
    detected : datetime.datetime
        When the alarm was raised; BattLeDIM scores this instant.
    end : datetime.datetime or None
        Estimated end (repair), or None while it lasts.
    flow : float
        Estimated leak flow. [m³/h]
    candidates : tuple of Candidate
        Suspected locations, best first.
    uncertainty : float
        Distance from the best candidate within which the leak lies at about 95 %
        confidence under the residual model (the likelihood-ratio set). [m]
    """

    start: dt.datetime
    detected: dt.datetime
    end: dt.datetime | None
    flow: float
    candidates: tuple[Candidate, ...] = field(default_factory=tuple)
    uncertainty: float = float("nan")

    @property
    def best(self) -> Location | None:
        """The best candidate's location, if any."""
        return self.candidates[0].location if self.candidates else None


def check_sensors(network: PipeNetwork, sensors: Mapping[str, Sensor]) -> None:
    """Raise if a sensor names a node or link the network lacks, or sits where it cannot measure."""
    problems = []
    for sid, sensor in sensors.items():
        if sensor.link is not None and not network.has_link(sensor.link):
            problems.append(f"{sid}: no link {sensor.link!r} in the network")
        if sensor.node is not None:
            if not network.has_node(sensor.node):
                problems.append(f"{sid}: no node {sensor.node!r} in the network")
            elif sensor.type == "demand" and network.node_kind(sensor.node) != "junction":
                problems.append(f"{sid}: a demand sensor must be on a junction")
            elif sensor.type == "flow" and network.node_kind(sensor.node) == "junction":
                problems.append(f"{sid}: a flow sensor on a node must be on a reservoir or tank")
    if problems:
        raise InvalidInputError("sensors do not fit the network: " + "; ".join(problems))
