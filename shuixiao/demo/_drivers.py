"""Time base, weather, activity profiles and the driven flows of a plant.

Everything here is vectorised over the intervals of the period; loops run
over days or months at most.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from shuixiao.demo import _parameters as P
from shuixiao.demo._plant import (
    Domestic,
    Lagged,
    Leak,
    LeakEvent,
    PlantTemplate,
    ProfileSpec,
    Rain,
    Rate,
    Tank,
    Tower,
    TowerTerm,
)

__all__ = [
    "Grid",
    "PlantDrivers",
    "TowerState",
    "Weather",
    "activity",
    "cooling_tower_balance",
    "evaporation_coefficient",
    "event_times",
    "make_grid",
    "make_weather",
    "occupancy",
    "plant_drivers",
    "smooth_noise",
    "tower_state",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Hourly shape of domestic use on a working day (wash-up at shift changes, canteen peaks); synthetic,
# normalised to a mean of 1 below.
_DOMESTIC_SHAPE = np.array(
    [0.35, 0.3, 0.3, 0.3, 0.35, 0.6, 1.3, 1.9, 1.6, 1.1, 1.0, 1.5,
     1.8, 1.2, 1.0, 1.0, 1.3, 1.8, 1.6, 1.3, 1.1, 0.9, 0.7, 0.5],
)  # fmt: skip
_DOMESTIC_SHAPE = _DOMESTIC_SHAPE / _DOMESTIC_SHAPE.mean()


@dataclass(frozen=True)
class Grid:
    """The intervals of a simulated period.

    Parameters
    ----------
    start : datetime.date
        First local day.
    days : int
        Number of days.
    interval : int
        Interval length. [s]
    ts : numpy.ndarray of int64
        Start of each interval. [s since epoch, UTC]
    hour : numpy.ndarray
        Local hour of the middle of each interval. [h]
    day : numpy.ndarray of int64
        Index of the local day of each interval.
    dates : tuple of datetime.date
        Local date of each day index.
    """

    start: dt.date
    days: int
    interval: int
    ts: IntArray
    hour: FloatArray
    day: IntArray
    dates: tuple[dt.date, ...]

    @property
    def n(self) -> int:
        """Number of intervals."""
        return int(self.ts.size)

    @property
    def per_day(self) -> int:
        """Intervals per day."""
        return 86400 // self.interval

    @property
    def hours(self) -> float:
        """Interval length. [h]"""
        return self.interval / 3600.0

    @property
    def end(self) -> int:
        """End of the period. [s since epoch, UTC]"""
        return int(self.ts[0]) + self.n * self.interval


def make_grid(start: dt.date, days: int, interval: int) -> Grid:
    """Return the grid of ``days`` local days from ``start`` (Asia/Shanghai has no DST)."""
    t0 = int(dt.datetime.combine(start, dt.time(), ZoneInfo(P.TIMEZONE)).timestamp())
    per_day = 86400 // interval
    k = np.arange(days * per_day, dtype=np.int64)
    return Grid(
        start=start,
        days=days,
        interval=interval,
        ts=t0 + k * interval,
        hour=(((k % per_day) * interval + interval / 2) / 3600.0).astype(np.float64),
        day=k // per_day,
        dates=tuple(start + dt.timedelta(days=d) for d in range(days)),
    )


def smooth_noise(rng: np.random.Generator, grid: Grid, knot: float = 3600.0) -> FloatArray:
    """Return zero-mean, unit-variance noise that varies smoothly between knots ``knot`` seconds apart."""
    span = grid.n * grid.interval
    knots = int(np.ceil(span / knot)) + 2
    values = rng.standard_normal(knots)
    position = (np.arange(grid.n) * grid.interval) / knot
    result: FloatArray = np.interp(position, np.arange(knots), values)
    return result


@dataclass(frozen=True)
class Weather:
    """Synthetic weather of the park.

    Parameters
    ----------
    temperature : numpy.ndarray
        Air temperature in each interval. [°C]
    rain : numpy.ndarray
        Rainfall in each interval. [mm]
    """

    temperature: FloatArray
    rain: FloatArray


def make_weather(grid: Grid, rng: np.random.Generator) -> Weather:
    """Return a plausible 岳阳 climate: seasonal cycle, weather anomalies, diurnal swing, rain days.

    Notes
    -----
    Daily mean :math:`T_d = \\bar T - A\\cos(2\\pi(doy - d_0)/365.25) + a_d` with an AR(1)
    anomaly :math:`a_d`; within the day :math:`T = T_d + A_d\\cos(2\\pi(h - 15)/24)`.  Rain days
    are drawn per month from the mean number of wet days and gamma-distributed amounts, and fall
    in one spell of 3–10 hours.  All numbers are in :mod:`shuixiao.demo._parameters`.
    """
    days = grid.days
    doy = np.array([d.timetuple().tm_yday for d in grid.dates], dtype=np.float64)
    month = np.array([d.month - 1 for d in grid.dates])
    seasonal = P.CLIMATE_ANNUAL_MEAN - P.CLIMATE_SEASONAL_AMPLITUDE * np.cos(
        2 * np.pi * (doy - P.CLIMATE_COLDEST_DAY) / 365.25
    )
    phi = P.CLIMATE_ANOMALY_PERSISTENCE
    shocks = rng.standard_normal(days) * P.CLIMATE_ANOMALY_SD
    anomaly = np.empty(days)
    anomaly[0] = shocks[0]
    for d in range(1, days):  # one step per day
        anomaly[d] = phi * anomaly[d - 1] + np.sqrt(1 - phi**2) * shocks[d]
    days_in_month = np.array([31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    wet_days = np.asarray(P.CLIMATE_MONTHLY_WET_DAYS)
    p_wet = wet_days[month] / days_in_month[month]
    wet = rng.random(days) < p_wet
    mean_amount = (np.asarray(P.CLIMATE_MONTHLY_RAIN) / wet_days)[month]
    shape = 0.75
    amount = np.where(wet, rng.gamma(shape, mean_amount / shape), 0.0)
    wetness = np.minimum(amount / 10.0, 1.0)
    daily_mean = seasonal + anomaly - 1.2 * wetness
    amplitude = P.CLIMATE_DIURNAL_AMPLITUDE * (1.0 - 0.5 * wetness)
    day = grid.day
    temperature = (
        daily_mean[day]
        + amplitude[day] * np.cos(2 * np.pi * (grid.hour - P.CLIMATE_WARMEST_HOUR) / 24.0)
        + P.VARIATION["air_temperature"] * smooth_noise(rng, grid)
    )
    duration = rng.integers(3, 11, size=days).astype(np.float64)
    begin = rng.random(days) * (24.0 - duration)
    inside = (grid.hour >= begin[day]) & (grid.hour < begin[day] + duration[day])
    rain = np.where(inside, amount[day] / (duration[day] / grid.hours), 0.0)
    return Weather(temperature=temperature, rain=rain)


def evaporation_coefficient(temperature: npt.ArrayLike) -> FloatArray:
    """Return the GB evaporation coefficient k of a cooling tower.

    Parameters
    ----------
    temperature : array_like
        Entering (ambient) air temperature. [°C]

    Returns
    -------
    numpy.ndarray
        k, interpolated linearly in the GB table and held constant beyond it. [1/°C]

    Notes
    -----
    GB 50050 / GB/T 50102: :math:`Q_e = k\\,\\Delta t\\,Q_r` (shared/reference/standards.md §7.5, the
    k table flagged [U]).

    Examples
    --------
    >>> evaporation_coefficient([20.0, 25.0]).round(5).tolist()
    [0.0014, 0.00145]
    """
    table = np.asarray(P.EVAPORATION_K_TABLE)
    result: FloatArray = np.interp(np.asarray(temperature, dtype=np.float64), table[:, 0], table[:, 1])
    return result


def _spring_festival(year: int) -> dt.date:
    """正月初一 of ``year`` (5 February when the table has no entry)."""
    return P.SPRING_FESTIVAL.get(year, dt.date(year, 2, 5))


def activity(spec: ProfileSpec, grid: Grid, rng: np.random.Generator) -> FloatArray:
    """Return the output of a plant in each interval as a share of design output.

    Parameters
    ----------
    spec : ProfileSpec
        Schedule, utilisation, holidays and stops.
    grid : Grid
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        u(t) ≥ 0. [unitless]
    """
    years = sorted({d.year for d in grid.dates} | {grid.dates[0].year - 1})
    month_key = np.array([(d.year - years[0]) * 12 + d.month - 1 for d in grid.dates])
    monthly = 1.0 + P.VARIATION["output_monthly"] * rng.standard_normal(12 * len(years) + 12)
    daily = 1.0 + P.VARIATION["output_daily"] * rng.standard_normal(grid.days)
    doy = np.array([d.timetuple().tm_yday for d in grid.dates], dtype=np.float64)
    season = 1.0 + spec.seasonal * np.cos(2 * np.pi * (doy - 196.0) / 365.25)  # peak mid July
    day_factor = spec.utilisation * monthly[month_key] * daily * season
    open_day = np.ones(grid.days)
    weekday = np.array([d.weekday() for d in grid.dates])
    for off in spec.weekly_off:
        open_day[weekday == off] = 0.0
    for year in years:
        if spec.festival_days:
            first = _spring_festival(year) - dt.timedelta(days=2)
            _set_days(open_day, grid, first, spec.festival_days, spec.festival_level)
        if spec.national_day_days:
            first = dt.date(year, *P.NATIONAL_DAY)
            _set_days(open_day, grid, first, spec.national_day_days, 0.0)
    d = grid.day
    u = day_factor[d] * open_day[d]
    if spec.schedule == "continuous":
        u = u * np.where(grid.hour < 8.0, spec.night, 1.0)
    else:
        ramp = np.clip((grid.hour - 8.0) / 0.5, 0.0, 1.0)
        u = u * np.where(grid.hour >= 8.0, ramp, 0.0)
    u = u * (1.0 + P.VARIATION["output_hourly"] * smooth_noise(rng, grid))
    elapsed = (grid.ts - grid.ts[0]).astype(np.float64)
    for stop in spec.stops:
        for year in years + [years[-1] + 1]:
            try:
                first = dt.date(year, stop.month, stop.day)
            except ValueError:
                continue
            starts = [first]
            if stop.every:
                step = dt.timedelta(days=stop.every)
                starts = [first + i * step for i in range(-400 // stop.every, 400 // stop.every + 1)]
                starts = [s for s in starts if s.year == year]
            for s in starts:
                begin = (s - grid.start).days * 86400.0 + 8 * 3600.0  # stops begin at 08:00
                inside = (elapsed >= begin) & (elapsed < begin + stop.days * 86400.0)
                u = np.where(inside, u * stop.level, u)
    result: FloatArray = np.clip(u, 0.0, 1.08)
    return result


def _set_days(values: FloatArray, grid: Grid, first: dt.date, days: int, level: float) -> None:
    """Cap ``values`` at ``level`` on ``days`` days from ``first`` (those inside the grid)."""
    begin = (first - grid.start).days
    lo, hi = max(begin, 0), min(begin + days, grid.days)
    if lo < hi:
        values[lo:hi] = np.minimum(values[lo:hi], level)


def occupancy(spec: ProfileSpec, u: FloatArray, grid: Grid) -> FloatArray:
    """Return staff presence relative to a working-day mean (1 on a normal day)."""
    hourly = np.interp(grid.hour, np.arange(24) + 0.5, _DOMESTIC_SHAPE, period=24)
    day_u = np.bincount(grid.day, weights=u, minlength=grid.days) / grid.per_day
    working = day_u > 0.05 * max(spec.utilisation, 1e-9)
    factor = np.where(working, 1.0, 0.35)
    result: FloatArray = hourly * factor[grid.day]
    return result


@dataclass(frozen=True)
class TowerState:
    """The water balance of one cooling tower over the period (rates, not volumes).

    Parameters
    ----------
    recirc, evaporation, drift, blowdown : numpy.ndarray
        Q_r, Q_e, Q_w, Q_b. [m³/h]
    cycles : numpy.ndarray
        Cycles of concentration N = Q_m / (Q_b + Q_w). [unitless]
    heat : numpy.ndarray
        Heat load relative to design. [unitless]
    makeup_conductivity : float
        Conductivity of the make-up water. [µS/cm]
    """

    recirc: FloatArray
    evaporation: FloatArray
    drift: FloatArray
    blowdown: FloatArray
    cycles: FloatArray
    heat: FloatArray
    makeup_conductivity: float

    @property
    def makeup(self) -> FloatArray:
        """Make-up Q_m = Q_e + Q_w + Q_b (GB 50050). [m³/h]"""
        result: FloatArray = self.evaporation + self.drift + self.blowdown
        return result


def cooling_tower_balance(
    recirc: npt.ArrayLike,
    cooling_range: npt.ArrayLike,
    k: npt.ArrayLike,
    cycles: npt.ArrayLike,
    drift: float,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    r"""Return evaporation, drift, blowdown and make-up of an open recirculating cooling tower.

    Parameters
    ----------
    recirc : array_like
        Recirculation rate Q_r. [m³/h]
    cooling_range : array_like
        Cooling range Δt (hot minus cold water). [°C]
    k : array_like
        Evaporation coefficient (:func:`evaporation_coefficient`). [1/°C]
    cycles : array_like
        Cycles of concentration N, greater than 1. [unitless]
    drift : float
        Drift (windage) loss as a share of recirculation. [unitless]

    Returns
    -------
    evaporation, drift, blowdown, makeup : numpy.ndarray
        Q_e, Q_w, Q_b and Q_m. [m³/h]

    Notes
    -----
    GB 50050 / GB/T 50102 (shared/reference/standards.md §7.5):

    .. math::

        Q_e = k\,\Delta t\,Q_r, \quad Q_w = d\,Q_r, \quad
        Q_b = \frac{Q_e}{N - 1} - Q_w, \quad Q_m = Q_e + Q_w + Q_b = \frac{N}{N-1} Q_e

    so that :math:`N = Q_m / (Q_b + Q_w)`.  When drift alone exceeds the loss needed for the
    target cycles the blowdown is zero and the tower runs at higher cycles.

    Examples
    --------
    The worked example of standards.md §7.5 (Q_r = 1000 m³/h, Δt = 8 °C, k = 0.0014, N = 5,
    drift 0.1 %): Q_e = 11.2, Q_w = 1.0, Q_b = 1.8, Q_m = 14.0 m³/h.

    >>> [round(float(x), 2) for x in cooling_tower_balance(1000.0, 8.0, 0.0014, 5.0, 0.001)]
    [11.2, 1.0, 1.8, 14.0]
    """
    q = np.asarray(recirc, dtype=np.float64)
    evaporation = (
        np.asarray(k, dtype=np.float64) * np.asarray(cooling_range, dtype=np.float64) * q
    )  # Q_e = k·Δt·Q_r
    windage = drift * q  # Q_w, a share of circulation
    blowdown = np.maximum(evaporation / (np.asarray(cycles, dtype=np.float64) - 1.0) - windage, 0.0)
    return evaporation, windage, blowdown, evaporation + windage + blowdown  # Q_m = Q_e + Q_w + Q_b


def tower_state(
    tower: Tower, u: FloatArray, temperature: FloatArray, scale: float, rng: np.random.Generator, grid: Grid
) -> TowerState:
    r"""Return the balance of a cooling tower driven by heat load and air temperature.

    Notes
    -----
    Recirculation pumps run nearly constant, :math:`Q_r = Q_{r,d}(0.8 + 0.2h)` with :math:`h`
    the heat load relative to design; the range follows the heat load,
    :math:`\Delta t = \Delta t_d\,h\,Q_{r,d}/Q_r`, so the heat rejected
    :math:`\propto \Delta t\,Q_r` is proportional to :math:`h`.  The balance itself is
    :func:`cooling_tower_balance`; the blowdown valve hunts around the target cycles (±4 %).
    """
    heat = (tower.base + (1.0 - tower.base) * u) * (1.0 + P.VARIATION["heat_load"] * smooth_noise(rng, grid))
    heat = np.maximum(heat, 0.0)
    design = tower.recirc * scale
    recirc = design * (0.8 + 0.2 * heat) * (1.0 + P.VARIATION["recirculation"] * rng.standard_normal(grid.n))
    cooling_range = tower.range * heat * design / recirc
    cycles = tower.cycles * (1.0 + P.VARIATION["cycles"] * smooth_noise(rng, grid, knot=6 * 3600.0))
    k = evaporation_coefficient(temperature)
    evaporation, drift, blowdown, makeup = cooling_tower_balance(
        recirc, cooling_range, k, cycles, tower.drift
    )
    actual = makeup / np.maximum(blowdown + drift, 1e-12)  # N = Q_m / (Q_b + Q_w)
    return TowerState(recirc, evaporation, drift, blowdown, actual, heat, tower.makeup_conductivity)


@dataclass(frozen=True)
class PlantDrivers:
    """Everything the flow equations of one plant need, for every interval.

    Parameters
    ----------
    volumes : dict
        Volume of each driven flow. [m³]
    storage : dict
        Increase of stored water of each levelled tank. [m³]
    levels : dict
        Level of each modelled tank at the start of each interval. [m]
    towers : dict of TowerState
    profiles : dict
        Activity profiles, including ``people`` (occupancy). [unitless]
    leak_extra : dict
        Injected leak rate of each leakage flow. [m³/h]
    """

    volumes: dict[str, FloatArray]
    storage: dict[str, FloatArray]
    levels: dict[str, FloatArray]
    towers: dict[str, TowerState]
    profiles: dict[str, FloatArray]
    leak_extra: dict[str, FloatArray]


def plant_drivers(
    template: PlantTemplate,
    grid: Grid,
    weather: Weather,
    scale: float,
    rng: np.random.Generator,
    leaks: tuple[LeakEvent, ...],
) -> PlantDrivers:
    """Compute the driven flows, tank storage and tower states of one plant."""
    main = activity(template.profile, grid, rng)
    profiles = {"main": main, "people": occupancy(template.profile, main, grid)}
    towers = {
        t.unit: tower_state(t, profiles[t.profile], weather.temperature, scale, rng, grid)
        for t in template.towers
    }
    leak_extra = {e.flow: np.zeros(grid.n) for e in leaks}
    for event in leaks:
        leak_extra[event.flow] += _leak_rate(event, grid) * scale
    dt_h = grid.hours
    volumes: dict[str, FloatArray] = {}
    storage: dict[str, FloatArray] = {}
    levels: dict[str, FloatArray] = {}
    tanks = {t.unit: t for t in template.tanks}
    for spec in template.flows:
        rule, fid = spec.rule, spec.flow.id
        if isinstance(rule, Rate):
            jitter = (
                1.0
                + P.VARIATION["rate_smooth"] * smooth_noise(rng, grid)
                + P.VARIATION["rate_white"] * rng.standard_normal(grid.n)
            )
            rate = rule.design * scale * (rule.base + (1.0 - rule.base) * profiles[rule.profile]) * jitter
            volumes[fid] = np.maximum(rate, 0.0) * dt_h
        elif isinstance(rule, TowerTerm):
            state = towers[rule.tower]
            term = {
                "recirc": state.recirc,
                "evaporation": state.evaporation,
                "drift": state.drift,
                "blowdown": state.blowdown,
            }[rule.term]
            volumes[fid] = term * rule.share * dt_h
        elif isinstance(rule, Domestic):
            per_hour = rule.persons * scale * rule.per_capita / 1000.0 / 24.0  # L/(person·d) → m³/h
            jitter = (
                1.0
                + P.VARIATION["domestic_smooth"] * smooth_noise(rng, grid)
                + P.VARIATION["domestic_white"] * rng.standard_normal(grid.n)
            )
            volumes[fid] = np.maximum(per_hour * profiles["people"] * jitter, 0.0) * dt_h
        elif isinstance(rule, Leak):
            wobble = P.VARIATION["leak_background"] * smooth_noise(rng, grid, knot=86400.0)
            background = rule.base * scale * (1.0 + wobble)
            extra = leak_extra.get(fid, 0.0)
            volumes[fid] = np.maximum(background, 0.0) * dt_h + extra * dt_h
    for spec in template.flows:
        rule = spec.rule
        if isinstance(rule, Lagged):
            source = next(s for s in template.flows if s.flow.id == rule.of)
            assert isinstance(source.rule, Rain)
            tank = tanks[spec.flow.from_unit]
            harvest, drained, level = _buffer(
                source.rule, tank, weather.rain, towers[rule.tower].makeup * rule.limit * dt_h, scale, grid
            )
            volumes[rule.of] = harvest
            volumes[spec.flow.id] = drained
            levels[tank.unit] = level
    for tank in template.tanks:
        if tank.buffer_of is None:
            storage[tank.unit], levels[tank.unit] = _scheduled_tank(tank, scale, grid, rng)
    return PlantDrivers(volumes, storage, levels, towers, profiles, leak_extra)


def _leak_rate(event: LeakEvent, grid: Grid) -> FloatArray:
    """Leak rate: grows linearly from ``start`` to ``peak``, holds until ``repair``. [m³/h at scale 1]"""
    span = grid.n * grid.interval
    t = (grid.ts - grid.ts[0]).astype(np.float64) + grid.interval / 2
    start, peak, repair = (round(f * span / grid.interval) * grid.interval for f in event_times(event))
    growth = np.clip((t - start) / max(peak - start, grid.interval), 0.0, 1.0)
    result: FloatArray = np.where((t >= start) & (t < repair), event.rate * growth, 0.0)
    return result


def event_times(event: LeakEvent) -> tuple[float, float, float]:
    """Return (start, peak, repair) of a leak event as shares of the period."""
    return event.start, event.peak, event.repair


def _scheduled_tank(
    tank: Tank, scale: float, grid: Grid, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """ΔV and level of a tank filled at night and drawn by day (level peaks at 07:00)."""
    boundaries = np.arange(grid.n + 1) * grid.interval
    hour = (boundaries % 86400) / 3600.0
    wander = np.interp(
        boundaries / 86400.0,
        np.arange(grid.days + 2),
        P.VARIATION["tank_level"] * rng.standard_normal(grid.days + 2),
    )
    level = tank.level + tank.swing * np.cos(2 * np.pi * (hour - 7.0) / 24.0) + wander
    area = tank.area * scale
    return area * np.diff(level), level[:-1]


def _buffer(
    rain: Rain, tank: Tank, rainfall: FloatArray, limit: FloatArray, scale: float, grid: Grid
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Harvest, drain and level of a buffer tank, one local day at a time.

    Each day the pump drains what the tank held at the start of the day, evenly, never more
    than ``limit`` in an interval; inflow is capped so the tank never exceeds its capacity.
    """
    raw = rainfall / 1000.0 * rain.area * scale * rain.runoff  # mm → m³
    capacity = rain.capacity * scale
    per_day = grid.per_day
    raw_d = raw.reshape(grid.days, per_day)
    lim_d = limit.reshape(grid.days, per_day)
    harvest = np.zeros_like(raw_d)
    drained = np.zeros_like(raw_d)
    stock = 0.0
    for d in range(grid.days):  # one step per day
        want = np.full(per_day, stock / per_day)
        out = np.minimum(want, lim_d[d])
        room = max(capacity - stock, 0.0)
        total = raw_d[d].sum()
        kept = raw_d[d] * (min(total, room) / total) if total > 0 else raw_d[d] * 0.0
        harvest[d], drained[d] = kept, out
        stock = stock + kept.sum() - out.sum()
    harvest_f, drained_f = harvest.ravel(), drained.ravel()
    stored = np.concatenate(([0.0], np.cumsum(harvest_f - drained_f)[:-1]))
    level = tank.level + stored / (tank.area * scale)
    return harvest_f, drained_f, level
