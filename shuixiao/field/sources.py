"""Where the agent's readings come from: Modbus meters, or the demo park's simulated meters.

A source is read once per poll round and returns a :class:`SourceRound`: the
readings it took and the state to keep with them (appended to the buffer in
the same transaction, so a restart continues where the last committed round
ended).

* :class:`ModbusSource` polls meters through register maps.  Each reading is
  stamped with the second its read completed (rounds start at ``interval``
  boundaries, so a 15-minute meter reads at :00, :15, :30, :45), converted to
  the meter's unit and flagged ``bad`` or ``suspect`` from the map's status
  word and measuring range.  A read that
  fails is **skipped** (a gap) and the device's error is kept in its status;
  after a device fails to answer, the other meters on the same server are
  skipped for the round instead of waiting for each to time out.
* :class:`DemoSource` replays the readings the demo generator
  (:mod:`shuixiao.demo`) simulates for the meters of one demo enterprise, with
  their original timestamps, ``speed`` times faster than real time.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

import numpy as np
import numpy.typing as npt

from shuixiao.demo import DemoConfig, build_park, simulate
from shuixiao.errors import ConfigurationError
from shuixiao.field._records import FieldReading
from shuixiao.field.maps import Point
from shuixiao.field.modbus import ModbusEndpoint, ModbusError, read_point
from shuixiao.model import Quality
from shuixiao.units import from_canonical, lookup_unit, to_canonical

__all__ = [
    "DemoMeter",
    "DemoSource",
    "DeviceStatus",
    "MeterSource",
    "ModbusDevice",
    "ModbusMeter",
    "ModbusSource",
    "SourceRound",
    "convert",
]

DEMO_ROUND_LIMIT: Final = 50_000
"""Most readings the demo source hands over in one round (the rest follow at once). [readings]"""


@dataclass(frozen=True)
class SourceRound:
    """What one read of a source produced.

    Parameters
    ----------
    readings : list of FieldReading
    state : dict
        State entries to append with the readings.
    more : bool
        The source has further readings due now (read it again without waiting).
    """

    readings: list[FieldReading]
    state: dict[str, str] = field(default_factory=dict)
    more: bool = False


class MeterSource(Protocol):
    """A source of readings, read by the agent once per round."""

    def read(self, now: float, slot: int) -> SourceRound:
        """Take the readings due at ``now``; ``slot`` is the round's slot time [s since epoch]."""

    def close(self) -> None:
        """Release connections."""


def convert(value: float, unit: str, target: str, quantity: str) -> float:
    """Convert ``value`` from ``unit`` to ``target``, both units of ``quantity`` (``shuixiao.units``).

    Examples
    --------
    >>> convert(2.0, "L/s", "m³/h", "flow_rate")
    7.2
    """
    if unit == target:
        return value
    return float(from_canonical(to_canonical(value, unit, quantity), target, quantity))


# --- Modbus ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModbusDevice:
    """A Modbus device the agent polls.

    Parameters
    ----------
    name : str
        Its name in the configuration.
    host : str
    port : int
    unit : int
        Unit id (the RS-485 address behind a gateway).
    timeout : float
        Connection and response timeout. [s]
    retries : int
        Further attempts after a failed read.
    """

    name: str
    host: str
    port: int = 502
    unit: int = 1
    timeout: float = 3.0
    retries: int = 1


@dataclass(frozen=True)
class ModbusMeter:
    """A platform meter read from a point of a Modbus device.

    Parameters
    ----------
    meter : str
        Meter id in the platform.
    device : str
        Name of the :class:`ModbusDevice`.
    point : Point
        The point of the device's register map.
    unit : str
        Unit the reading is sent in (a unit of the point's quantity).
    """

    meter: str
    device: str
    point: Point
    unit: str


@dataclass
class DeviceStatus:
    """How a device answered lately (kept in the buffer's state as ``device.<name>``).

    Parameters
    ----------
    ok : bool
        The last read succeeded.
    error : str or None
        The last error.
    since : float
        When ``ok`` last changed. [s since epoch]
    failures : int
        Failed reads in a row.
    last_ok : float or None
        Last successful read. [s since epoch]
    """

    ok: bool = True
    error: str | None = None
    since: float = 0.0
    failures: int = 0
    last_ok: float | None = None

    def to_json(self) -> str:
        """Return the status as a JSON text."""
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> DeviceStatus:
        """Read a status written by :meth:`to_json`."""
        return cls(**json.loads(text))


class ModbusSource:
    """Polls Modbus meters, one reused connection per server (see the module documentation).

    Parameters
    ----------
    devices : sequence of ModbusDevice
    meters : sequence of ModbusMeter
    on_change : callable, optional
        Called with ``(device name, DeviceStatus)`` when a device starts or stops failing.
    clock : callable
        Current time [s since epoch]: readings are stamped with it, in whole seconds, as each read completes.
    """

    def __init__(
        self,
        devices: Sequence[ModbusDevice],
        meters: Sequence[ModbusMeter],
        *,
        on_change: Callable[[str, DeviceStatus], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._devices = {d.name: d for d in devices}
        self._meters = list(meters)
        self._endpoints: dict[tuple[str, int], ModbusEndpoint] = {}
        for device in devices:
            key = (device.host, device.port)
            if key not in self._endpoints:
                self._endpoints[key] = ModbusEndpoint(
                    device.host, device.port, timeout=device.timeout, retries=device.retries
                )
        self._status: dict[str, DeviceStatus] = {}
        self._on_change = on_change or (lambda _name, _status: None)

    def restore(self, state: Mapping[str, str]) -> None:
        """Take up the device status kept in the buffer."""
        for name in self._devices:
            text = state.get(f"device.{name}")
            if text is not None:
                self._status[name] = DeviceStatus.from_json(text)

    def endpoint(self, device: str) -> ModbusEndpoint:
        """Return the connection a device is read through."""
        d = self._devices[device]
        return self._endpoints[(d.host, d.port)]

    def read(self, now: float, slot: int) -> SourceRound:
        """Read every meter once; each reading is stamped with the second its read completed."""
        readings: list[FieldReading] = []
        down: set[tuple[str, int]] = set()
        outcome: dict[str, str | None] = {}
        for meter in self._meters:
            device = self._devices[meter.device]
            key = (device.host, device.port)
            if key in down:
                outcome.setdefault(device.name, f"skipped: {device.host}:{device.port} did not answer")
                continue
            try:
                taken = read_point(self._endpoints[key], device.unit, meter.point)
            except ModbusError as err:
                outcome[device.name] = f"{meter.meter}: {err}"
                if err.transport:
                    down.add(key)
                continue
            outcome.setdefault(device.name, None)
            value = taken.value
            if math.isfinite(value):
                value = convert(value, meter.point.unit, meter.unit, meter.point.quantity)
            readings.append(FieldReading(meter.meter, int(self._clock()), value, meter.unit, taken.quality))
        state = {f"device.{name}": self._update(name, error, now) for name, error in outcome.items()}
        return SourceRound(readings, state)

    def _update(self, name: str, error: str | None, now: float) -> str:
        status = self._status.setdefault(name, DeviceStatus(since=now))
        ok = error is None
        changed = ok != status.ok or (status.failures == 0 and not ok)
        if ok != status.ok:
            status.since = now
        status.ok, status.error = ok, error
        status.failures = 0 if ok else status.failures + 1
        if ok:
            status.last_ok = now
        if changed:
            self._on_change(name, status)
        return status.to_json()

    def close(self) -> None:
        """Close every connection."""
        for endpoint in self._endpoints.values():
            endpoint.close()


# --- the demo park ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoMeter:
    """A platform meter whose readings are the demo generator's.

    Parameters
    ----------
    meter : str
        Meter id in the platform (usually the demo's own id).
    demo_meter : str
        Meter id in the demo enterprise.
    unit : str or None
        Unit the readings are sent in; the demo meter's own unit when None.
    """

    meter: str
    demo_meter: str
    unit: str | None = None


@dataclass(frozen=True)
class _Series:
    meter: str
    ts: npt.NDArray[np.int64]
    value: npt.NDArray[np.float64]
    quality: npt.NDArray[np.int8]
    unit: str
    target: str
    quantity: str


class DemoSource:
    """Replays the demo generator's readings of one enterprise's meters (see the module documentation).

    Readings are due when their timestamp is at most
    ``start + (now − anchor) × speed``, where ``start`` is the first reading of
    the simulated period and ``anchor`` the moment the agent first ran
    (kept in the buffer); ``speed`` 0 makes every reading due at once.

    Parameters
    ----------
    enterprise : str
        A demo enterprise id, e.g. ``ronghu-steel``.
    meters : sequence of DemoMeter
    config : DemoConfig
        The simulated park and period (the platform's demo must be built with the same seed).
    speed : float
        Simulated seconds per real second; 0 for as fast as possible. [unitless]

    Raises
    ------
    ConfigurationError
        If the enterprise or a meter is not in the demo park.
    """

    def __init__(
        self, enterprise: str, meters: Sequence[DemoMeter], config: DemoConfig, speed: float
    ) -> None:
        if speed < 0 or not math.isfinite(speed):
            raise ConfigurationError(f"demo speed must be 0 or more, not {speed}")
        park = build_park(config)
        ids = [e.id for e in park.enterprises]
        if enterprise not in ids:
            raise ConfigurationError(
                f"enterprise {enterprise!r} is not in the demo park of {config.enterprises} enterprises "
                f"(seed {config.seed}): use one of {', '.join(ids)}"
            )
        data = next(d for d in simulate(park, config) if d.enterprise.id == enterprise)
        models = {m.id: m for m in data.enterprise.meters}
        series = {s.meter_id: s for s in data.series}
        unknown = [m.demo_meter for m in meters if m.demo_meter not in models]
        if unknown:
            hints = [
                f"{m} (did you mean {', '.join(difflib.get_close_matches(m, models, 3)) or 'none close'}?)"
                for m in unknown
            ]
            raise ConfigurationError(f"demo enterprise {enterprise} has no meter {'; '.join(hints)}")
        self._series = []
        for m in meters:
            model = models[m.demo_meter]
            target = m.unit or model.unit
            lookup_unit(target, model.quantity)
            s = series[m.demo_meter]
            self._series.append(
                _Series(m.meter, s.ts, s.value, s.quality, model.unit, target, model.quantity)
            )
        self._start = int(min((int(s.ts[0]) for s in self._series if s.ts.size), default=0))
        self._speed = speed
        self._anchor: float | None = None
        self._cursor: dict[str, int] = {}
        self.period = (dt.datetime.fromtimestamp(self._start, dt.UTC), config.end)
        """First reading and the day after the last simulated day."""

    def restore(self, state: Mapping[str, str]) -> None:
        """Take up the anchor and the cursors kept in the buffer (a fresh start when they are absent)."""
        anchor = state.get("demo.anchor")
        self._anchor = float(anchor) if anchor is not None else None
        self._cursor = {
            s.meter: int(state[f"demo.cursor.{s.meter}"])
            for s in self._series
            if f"demo.cursor.{s.meter}" in state
        }

    @property
    def exhausted(self) -> bool:
        """Every reading of the simulated period was handed over."""
        return all(
            not s.ts.size or self._cursor.get(s.meter, -(2**62)) >= int(s.ts[-1]) for s in self._series
        )

    def read(self, now: float, slot: int) -> SourceRound:
        """Hand over the readings due at ``now`` (at most :data:`DEMO_ROUND_LIMIT`)."""
        state: dict[str, str] = {}
        if self._anchor is None:
            self._anchor = now
            state["demo.anchor"] = repr(now)
        due = math.inf if self._speed == 0 else self._start + (now - self._anchor) * self._speed
        readings: list[FieldReading] = []
        more = False
        for s in self._series:
            room = DEMO_ROUND_LIMIT - len(readings)
            first = int(np.searchsorted(s.ts, self._cursor.get(s.meter, -(2**62)), side="right"))
            last = int(np.searchsorted(s.ts, due, side="right")) if math.isfinite(due) else s.ts.size
            if last - first > room:
                last, more = first + room, True
            for k in range(first, last):
                value = convert(float(s.value[k]), s.unit, s.target, s.quantity)
                quality = Quality(int(s.quality[k])).name.lower()
                readings.append(FieldReading(s.meter, int(s.ts[k]), value, s.target, quality))
            if last > first:
                self._cursor[s.meter] = int(s.ts[last - 1])
                state[f"demo.cursor.{s.meter}"] = str(self._cursor[s.meter])
        return SourceRound(readings, state, more)

    def close(self) -> None:
        """Nothing to release."""
