"""What the demo generator hands to its caller: configuration, park, per-enterprise data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from shuixiao.errors import InvalidInputError
from shuixiao.model import Enterprise, Origin, Park, Region

__all__ = [
    "DemoConfig",
    "DemoPark",
    "EnterpriseData",
    "MeterAggregate",
    "MeterEvent",
    "MeterSeries",
]

MAX_ENTERPRISES = 200
"""Largest park the generator builds."""
MAX_DAYS = 3660
"""Longest period the generator simulates (ten years). [d]"""


@dataclass(frozen=True)
class DemoConfig:
    """Options of the demo park.

    Parameters
    ----------
    enterprises : int
        Number of enterprises, at least 1.  The first six are one per industry
        (steel, refinery, dyeing, paper, beer, aluminium); further ones cycle
        the six templates with other names, codes and sizes.
    days : int
        Length of the simulated period, at least 1. [d]
    interval : int
        Reading interval; at least 60 and a divisor of 86 400. [s]
    seed : int
        Seed of every random draw; the same seed gives the same park and data.
    start : datetime.date
        First day, starting at local (Asia/Shanghai) midnight.

    Raises
    ------
    InvalidInputError
        If an option is out of range; the message says what to use instead.

    Examples
    --------
    >>> DemoConfig(days=7).interval
    900
    >>> DemoConfig(interval=700)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    shuixiao.errors.InvalidInputError: interval 700 s does not divide a day (86 400 s); use e.g. ...
    """

    enterprises: int = 6
    days: int = 365
    interval: int = 900
    seed: int = 2025
    start: dt.date = dt.date(2025, 1, 1)

    def __post_init__(self) -> None:
        """Check every option; raise InvalidInputError with what to use instead."""
        for name in ("enterprises", "days", "interval", "seed"):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or isinstance(value, bool):
                raise InvalidInputError(f"{name} must be a whole number, not {value!r}")
        if not 1 <= self.enterprises <= MAX_ENTERPRISES:
            raise InvalidInputError(
                f"enterprises must be between 1 and {MAX_ENTERPRISES}, not {self.enterprises}; "
                "6 gives one enterprise per key industry"
            )
        if not 1 <= self.days <= MAX_DAYS:
            raise InvalidInputError(f"days must be between 1 and {MAX_DAYS}, not {self.days}; 365 is a year")
        if self.interval < 60:
            raise InvalidInputError(f"interval must be at least 60 s, not {self.interval}; 900 is 15 minutes")
        if 86400 % self.interval:
            raise InvalidInputError(
                f"interval {self.interval} s does not divide a day (86 400 s); use e.g. 300, 600, 900 or 3600"
            )
        if self.seed < 0:
            raise InvalidInputError(f"seed must be zero or more, not {self.seed}")
        if not isinstance(self.start, dt.date) or isinstance(self.start, dt.datetime):
            raise InvalidInputError(f"start must be a date (datetime.date), not {self.start!r}")
        if not 1990 <= self.start.year <= 2100:
            raise InvalidInputError(f"start year {self.start.year} is outside 1990–2100")

    @property
    def end(self) -> dt.date:
        """The day after the last simulated day."""
        return self.start + dt.timedelta(days=self.days)


@dataclass(frozen=True)
class DemoPark:
    """The structure of the demo park (no time series).

    Parameters
    ----------
    regions : tuple of Region
        Province first, then city.
    park : Park
    enterprises : tuple of Enterprise
        Water systems and meters, without production, value-added or energy records.
    networks : dict
        EPANET ``.inp`` text of each enterprise's supply network, keyed by enterprise id;
        junction ids are the ids of the units they supply.
    """

    regions: tuple[Region, ...]
    park: Park
    enterprises: tuple[Enterprise, ...]
    networks: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MeterSeries:
    """The readings of one meter, exactly as the device reports them.

    Parameters
    ----------
    meter_id : str
    ts : numpy.ndarray of int64
        Reading times; gaps are missing rows. [s since epoch, UTC]
    value : numpy.ndarray of float64
        Reading in the meter's own unit; totalizers report their register. [meter unit]
    quality : numpy.ndarray of int8
        :class:`shuixiao.model.Quality` of each reading.
    origin : Origin
        Always :attr:`Origin.DEMO`.
    """

    meter_id: str
    ts: npt.NDArray[np.int64]
    value: npt.NDArray[np.float64]
    quality: npt.NDArray[np.int8]
    origin: Origin = Origin.DEMO


@dataclass(frozen=True)
class MeterAggregate:
    """The aggregates of one meter at one resolution (columns of equal length).

    Parameters
    ----------
    meter_id : str
    resolution : str
        ISO 8601 duration: the base interval (``PT15M``), ``PT1H``, ``P1D`` or ``P1M``.
    start : numpy.ndarray of int64
        Bucket starts on the Asia/Shanghai calendar. [s since epoch, UTC]
    value : numpy.ndarray of float64
        Volume (sum, m³) for totalizers; mean in the canonical unit otherwise.
    minimum, maximum : numpy.ndarray of float64
        Smallest and largest interval volume or reading in the bucket. [canonical unit]
    count : numpy.ndarray of int64
        Values in the bucket; gaps and readings flagged bad lower it.
    quality : numpy.ndarray of int8
        Worst quality in the bucket.
    """

    meter_id: str
    resolution: str
    start: npt.NDArray[np.int64]
    value: npt.NDArray[np.float64]
    minimum: npt.NDArray[np.float64]
    maximum: npt.NDArray[np.float64]
    count: npt.NDArray[np.int64]
    quality: npt.NDArray[np.int8]


@dataclass(frozen=True)
class MeterEvent:
    """Something that happened to a meter's device (replacement, rollover).

    Parameters
    ----------
    meter_id : str
    ts : int
        When it happened. [s since epoch, UTC]
    kind : str
        ``replacement`` or ``rollover``.
    detail : dict
        JSON-serialisable facts: registers before and after, device serials, ``register_max``.
    """

    meter_id: str
    ts: int
    kind: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class EnterpriseData:
    """Everything simulated for one enterprise.

    Parameters
    ----------
    enterprise : Enterprise
        The final model, with monthly production, value-added and energy records.
    series : list of MeterSeries
    aggregates : list of MeterAggregate
    events : list of MeterEvent
    truth : dict
        Ground truth (JSON-serialisable): injected events, true volumes and indicators.
    """

    enterprise: Enterprise
    series: list[MeterSeries]
    aggregates: list[MeterAggregate]
    events: list[MeterEvent]
    truth: dict[str, Any]
