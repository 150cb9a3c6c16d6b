"""How meters see the true flows and water quality: error, faults, registers, gaps.

A meter reads the truth through a fixed bias drawn within its accuracy class,
reading noise, and the faults injected into it (drift, stuck value).  A
totalizer integrates what it measures into a register with a finite
resolution that rolls over at ``register_max``; a replaced totalizer starts
again from a small register.  Communication gaps remove rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from shuixiao.demo._drivers import Grid
from shuixiao.demo._parameters import MeterType
from shuixiao.demo._records import MeterEvent, MeterSeries
from shuixiao.model import Meter, MeterKind, Quality
from shuixiao.series import Reset
from shuixiao.units import lookup_unit

__all__ = ["Faults", "Observed", "observe", "quantise", "serial"]

FloatArray = npt.NDArray[np.float64]

# Standard solutions read by analysers during their weekly check (Quality.BAD): pH 7.00 buffer,
# 1 413 µS/cm KCl standard, 20 NTU formazin standard.
_CALIBRATION_VALUE = {"ph": 7.0, "conductivity": 1413.0, "turbidity": 20.0}
_CALIBRATION_WEEKDAY = 2  # Wednesday
_CALIBRATION_HOURS = (10.0, 10.5)  # local time


@dataclass
class Faults:
    """Faults injected into one meter (indices are interval numbers)."""

    drift: tuple[int, int, float] | None = None  # start, end, relative error reached at end
    stuck: tuple[int, int] | None = None  # first, last + 1
    gaps: list[tuple[int, int]] = field(default_factory=list)  # first, last + 1 (of interval starts)
    rollover_at: int | None = None  # reading index at which the register wraps
    replacement_at: int | None = None  # interval during which the device is swapped


@dataclass
class Observed:
    """One meter's readings and the truth about them."""

    series: MeterSeries
    events: list[MeterEvent]
    resets: list[Reset]
    bias: float
    bias_after: float | None = None
    metered: FloatArray | None = None  # totalizers: volume measured in each interval [m³]
    detail: dict[str, Any] = field(default_factory=dict)


def serial(rng: np.random.Generator, code: str, year: int) -> str:
    """Return a device serial number like ``EMF19-402817``."""
    return f"{code}{year % 100:02d}-{int(rng.integers(100000, 999999))}"


def quantise(values: FloatArray, resolution: float) -> FloatArray:
    """Truncate to the device resolution, as a display or register does."""
    decimals = max(0, int(-np.floor(np.log10(resolution) + 1e-9)))
    result: FloatArray = np.round(np.floor(values / resolution + 1e-7) * resolution, decimals)
    return result


def observe(
    meter: Meter,
    mtype: MeterType,
    truth: FloatArray,
    grid: Grid,
    rng: np.random.Generator,
    faults: Faults,
    *,
    signal: str | None = None,
    register_start: float = 0.0,
) -> Observed:
    """Return what ``meter`` reports about ``truth``.

    Parameters
    ----------
    meter : Meter
    mtype : MeterType
    truth : numpy.ndarray
        Per interval: the true volume for flow meters [m³]; the true value for the others
        [canonical unit].
    grid : Grid
    rng : numpy.random.Generator
    faults : Faults
    signal : str, optional
        Analyser signal name (for its calibration value).
    register_start : float
        Register at the start of the period. [meter unit]
    """
    n = grid.n
    accuracy = (meter.accuracy_class or 0.0) / 100.0
    bias = float(rng.uniform(-0.5, 0.5) * accuracy)  # fixed error within the class
    error = np.full(n, bias)
    bias_after: float | None = None
    if faults.replacement_at is not None:
        bias_after = float(rng.uniform(-0.25, 0.25) * accuracy)  # a new, freshly verified device
        error[faults.replacement_at + 1 :] = bias_after
        error[faults.replacement_at] = 0.5 * (bias + bias_after)
    if faults.drift is not None:
        first, last, reached = faults.drift
        ramp = np.clip((np.arange(n) - first) / max(last - first, 1), 0.0, 1.0)
        error = (1.0 + error) * (1.0 + reached * ramp) - 1.0
    noise = mtype.noise * rng.standard_normal(n)
    if meter.kind is MeterKind.TOTALIZER:
        return _totalizer(
            meter, mtype, truth, grid, rng, faults, error, noise, bias, bias_after, register_start
        )
    quantity = meter.quantity
    if quantity == "flow_rate":
        rate = truth / grid.hours * (1.0 + error) * (1.0 + noise)  # m³/h
        value = rate / lookup_unit(meter.unit, quantity).factor
    else:
        unit = lookup_unit(meter.unit, quantity)
        value = truth + noise * (1.0 if quantity != "conductivity" else truth / 1500.0) - unit.offset
        value = value / unit.factor
    value = np.maximum(value, 0.0) if quantity != "temperature" else value
    value = quantise(value, mtype.resolution)
    quality = np.zeros(n, dtype=np.int8)
    if faults.stuck is not None:
        a, b = faults.stuck
        value[a:b] = value[a]
    if signal in _CALIBRATION_VALUE:
        weekday = np.array([d.weekday() for d in grid.dates])[grid.day]
        hour = grid.hour
        check = (
            (weekday == _CALIBRATION_WEEKDAY)
            & (hour >= _CALIBRATION_HOURS[0])
            & (hour < _CALIBRATION_HOURS[1])
        )
        value[check] = _CALIBRATION_VALUE[signal] / lookup_unit(meter.unit, quantity).factor
        quality[check] = Quality.BAD
    keep = _keep(n, faults.gaps)
    series = MeterSeries(meter.id, grid.ts[keep].copy(), value[keep], quality[keep])
    return Observed(series, [], [], bias)


def _keep(n: int, gaps: list[tuple[int, int]], extra: int = 0) -> npt.NDArray[np.bool_]:
    """Mask of the rows a meter sends (False inside communication gaps)."""
    keep = np.ones(n + extra, dtype=bool)
    for a, b in gaps:
        keep[a:b] = False
    return keep


def _totalizer(
    meter: Meter,
    mtype: MeterType,
    truth: FloatArray,
    grid: Grid,
    rng: np.random.Generator,
    faults: Faults,
    error: FloatArray,
    noise: FloatArray,
    bias: float,
    bias_after: float | None,
    register_start: float,
) -> Observed:
    """Register readings of a totalizer: integrate, replace, roll over, truncate, drop gaps."""
    n = grid.n
    metered = np.maximum(truth * (1.0 + error) * (1.0 + noise), 0.0)  # m³
    factor = lookup_unit(meter.unit, "volume").factor  # meter unit → m³
    counted = metered / factor  # meter unit
    cumulative = np.concatenate(([0.0], np.cumsum(counted)))  # at readings 0..n
    if faults.rollover_at is not None and meter.register_max is not None:
        k = faults.rollover_at  # the register wraps between readings k − 1 and k
        register_start = float(meter.register_max) - 0.5 * (cumulative[k - 1] + cumulative[k])
        register_start = float(quantise(np.array([register_start]), mtype.resolution)[0])
    register = register_start + cumulative
    ts = np.concatenate((grid.ts, [grid.end])).astype(np.int64)
    events: list[MeterEvent] = []
    resets: list[Reset] = []
    detail: dict[str, Any] = {}
    if faults.replacement_at is not None:
        k = faults.replacement_at
        at = int(grid.ts[k]) + grid.interval // 2
        old = float(quantise(np.array([register[k] + 0.5 * counted[k]]), mtype.resolution)[0])
        new = float(quantise(np.array([rng.uniform(0.0, 3.0)]), mtype.resolution)[0])
        register[k + 1 :] = new + (cumulative[k + 1 :] - cumulative[k] - 0.5 * counted[k])
        new_device = serial(rng, mtype.code, grid.start.year)
        detail = {
            "new_device": new_device,
            "old_device": meter.device,
            "old_register": old,
            "new_register": new,
        }
        events.append(MeterEvent(meter.id, at, "replacement", dict(detail)))
        resets.append(Reset(at, old, new))
    if meter.register_max is not None:
        rmax = float(meter.register_max)
        wrapped = np.floor(register / rmax)
        if np.any(np.diff(wrapped) > 0):
            k = int(np.flatnonzero(np.diff(wrapped) > 0)[0]) + 1
            before = float(quantise(np.array([register[k - 1] % rmax]), mtype.resolution)[0])
            after = float(quantise(np.array([register[k] % rmax]), mtype.resolution)[0])
            events.append(
                MeterEvent(
                    meter.id,
                    int(ts[k]),
                    "rollover",
                    {"register_max": rmax, "register_before": before, "register_after": after},
                )
            )
        register = register - wrapped * rmax
    value = quantise(register, mtype.resolution)
    quality = np.zeros(n + 1, dtype=np.int8)
    keep = _keep(n, faults.gaps, extra=1)
    series = MeterSeries(meter.id, ts[keep], value[keep], quality[keep])
    return Observed(series, events, resets, bias, bias_after, metered, detail)
