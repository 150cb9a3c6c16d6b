"""A year (or any period) of meter data for the demo park, one enterprise at a time."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from shuixiao.demo import _parameters as P
from shuixiao.demo._drivers import (
    Grid,
    PlantDrivers,
    Weather,
    make_grid,
    make_weather,
    plant_drivers,
    smooth_noise,
)
from shuixiao.demo._observe import Faults, Observed, observe
from shuixiao.demo._park import Plan, plans, rng_for, system_of, weather_rng
from shuixiao.demo._plant import Excursion, PlantTemplate
from shuixiao.demo._records import (
    DemoConfig,
    DemoPark,
    EnterpriseData,
    MeterAggregate,
)
from shuixiao.errors import InvalidInputError
from shuixiao.model import (
    EnergyRecord,
    Enterprise,
    FlowCategory,
    Meter,
    MeterKind,
    ProductionRecord,
    Quality,
    UnitKind,
    ValueAddedRecord,
)
from shuixiao.series import aggregate_by_bucket, bucket_starts, resolutions, totalizer_intervals
from shuixiao.units import lookup_unit, to_canonical

__all__ = ["physics", "simulate", "template_flow"]

FloatArray = npt.NDArray[np.float64]

_STREAM_DRIVERS, _STREAM_METERS, _STREAM_RECORDS = 3, 4, 5
_USE_KINDS = frozenset(
    {UnitKind.PROCESS, UnitKind.INDIRECT_COOLING, UnitKind.DIRECT_COOLING, UnitKind.BOILER, UnitKind.DOMESTIC}
)
_REUSED = frozenset({FlowCategory.CASCADED, FlowCategory.RECLAIMED, FlowCategory.CONDENSATE})
_ENERGY_OF_TREATMENT = {
    "clarification": "clarification",
    "softening": "demineralisation",
    "demineralisation": "demineralisation",
    "multimedia_filter": "clarification",
    "wastewater_plant": "wastewater_plant",
    "ultrafiltration": "ultrafiltration",
    "reverse_osmosis": "reverse_osmosis",
}


def simulate(park: DemoPark, config: DemoConfig) -> Iterator[EnterpriseData]:
    """Simulate the meter data of every enterprise of ``park``, one enterprise at a time.

    Parameters
    ----------
    park : DemoPark
        The park :func:`build_park` returned for the same ``config``.
    config : DemoConfig

    Yields
    ------
    EnterpriseData
        The enterprise with its monthly records, the readings of every meter,
        their aggregates, meter events and the ground truth.

    Raises
    ------
    InvalidInputError
        If ``park`` was built with another configuration.
    """
    items = plans(config)
    if [e.id for e in park.enterprises] != [p.enterprise.id for p in items]:
        raise InvalidInputError(
            "the park was built with another configuration (enterprise ids differ); "
            "call build_park and simulate with the same DemoConfig"
        )
    return _generate(park, config, items)


def _generate(park: DemoPark, config: DemoConfig, items: list[Plan]) -> Iterator[EnterpriseData]:
    """Yield the enterprises one by one (the work happens as the caller iterates)."""
    grid = make_grid(config.start, config.days, config.interval)
    weather = make_weather(grid, weather_rng(config.seed))
    buckets = {res: bucket_starts(grid.ts, res, P.TIMEZONE) for res in resolutions(config.interval)}
    for plan, enterprise in zip(items, park.enterprises, strict=True):
        yield _simulate_enterprise(plan, enterprise, grid, weather, buckets, config)


def _index(share: float, n: int) -> int:
    """Interval index at ``share`` of a period of ``n`` intervals."""
    return min(max(int(round(share * n)), 0), max(n - 1, 0))


def _simulate_enterprise(
    plan: Plan,
    enterprise: Enterprise,
    grid: Grid,
    weather: Weather,
    buckets: dict[str, npt.NDArray[np.int64]],
    config: DemoConfig,
) -> EnterpriseData:
    """Simulate one enterprise: physics, meters, aggregates, records and truth."""
    template = plan.template
    drivers, flows, rng = physics(plan, grid, weather, config.seed)
    faults = _faults(template, grid)
    signals, excursion_truth = _signals(template, enterprise, flows, drivers, weather, grid, plan, rng)
    meter_rng = rng_for(config.seed, plan.index, _STREAM_METERS)
    specs = {m.id: m for m in template.meters}
    observed: dict[str, Observed] = {}
    for meter in enterprise.meters:
        spec = specs[meter.id]
        seen = flows[meter.flow] if meter.flow is not None else signals[meter.id]
        observed[meter.id] = observe(
            meter,
            P.METER_TYPES[spec.type],
            seen,
            grid,
            meter_rng,
            faults.get(meter.id, Faults()),
            signal=spec.signal,
            register_start=plan.register_start.get(meter.id, 0.0),
        )
    aggregates: list[MeterAggregate] = []
    for meter in enterprise.meters:
        aggregates += _aggregates(meter, observed[meter.id], grid, buckets)
    events = [e for m in enterprise.meters for e in observed[m.id].events]
    records_rng = rng_for(config.seed, plan.index, _STREAM_RECORDS)
    final = _final_enterprise(enterprise, plan, drivers, flows, grid, observed, records_rng)
    truth = _truth(final, plan, flows, drivers, grid, observed, faults, excursion_truth)
    return EnterpriseData(
        enterprise=final,
        series=[observed[m.id].series for m in enterprise.meters],
        aggregates=aggregates,
        events=events,
        truth=truth,
    )


def physics(
    plan: Plan, grid: Grid, weather: Weather, seed: int
) -> tuple[PlantDrivers, dict[str, FloatArray], np.random.Generator]:
    """Return the drivers and the true volume of every flow in every interval of one plant.

    Returns
    -------
    drivers : PlantDrivers
    flows : dict of numpy.ndarray
        Volume of each flow per interval. [m³]
    rng : numpy.random.Generator
        The plant's driver stream, positioned after the physics (for quality signals).
    """
    template = plan.template
    rng = rng_for(seed, plan.index, _STREAM_DRIVERS)
    drivers = plant_drivers(template, grid, weather, plan.scale, rng, template.events.leaks)
    system = system_of(template)
    volumes = system.solve(drivers.volumes, drivers.storage)
    flows = {fid: volumes[i] for i, fid in enumerate(system.flows)}
    _check(template, flows, grid)
    return drivers, flows, rng


def _check(template: PlantTemplate, flows: dict[str, FloatArray], grid: Grid) -> None:
    """Refuse a template whose flows go negative (a template-writing mistake)."""
    scale = max(float(np.max(np.abs(v))) for v in flows.values())
    for fid, v in flows.items():
        if v.size and float(v.min()) < -1e-9 * scale:
            k = int(np.argmin(v))
            raise RuntimeError(
                f"{template.key}: flow {fid} is negative ({v[k]:.3f} m³) at interval {k} of {grid.n}; "
                "the template's rates do not fit together"
            )


def _faults(template: PlantTemplate, grid: Grid) -> dict[str, Faults]:
    """Place the template's meter faults on the grid (interval indices)."""
    events = template.events
    n, per_hour = grid.n, 3600.0 / grid.interval
    faults: dict[str, Faults] = {}

    def of(meter: str) -> Faults:
        """The faults of ``meter``, created when first needed."""
        return faults.setdefault(meter, Faults())

    if events.rollover is not None:
        of(events.rollover.meter).rollover_at = max(_index(events.rollover.at, n), 1)
    if events.replacement is not None:
        of(events.replacement.meter).replacement_at = _index(events.replacement.at, n)
    for drift in events.drifts:
        of(drift.meter).drift = (_index(drift.start, n), _index(drift.end, n), drift.error)
    for stuck in events.stuck:
        first = _index(stuck.at, n)
        of(stuck.meter).stuck = (first, min(first + max(int(stuck.hours * per_hour), 1), n))
    for gap in events.gaps:
        day = min(int(gap.at * grid.days), grid.days - 1)
        first = day * grid.per_day + int(gap.hour * per_hour)
        length = max(int(min(gap.hours, 24 - gap.hour) * per_hour), 1)
        for meter in gap.meters:
            of(meter).gaps.append((first, min(first + length, n)))
    return faults


def _signals(
    template: PlantTemplate,
    enterprise: Enterprise,
    flows: dict[str, FloatArray],
    drivers: PlantDrivers,
    weather: Weather,
    grid: Grid,
    plan: Plan,
    rng: np.random.Generator,
) -> tuple[dict[str, FloatArray], list[dict[str, Any]]]:
    """True values seen by analysers, pressure and level meters (canonical units)."""
    doy = np.array([d.timetuple().tm_yday for d in grid.dates], dtype=np.float64)[grid.day]
    dry_season = 1.0 + P.DRY_SEASON_SALINITY * np.cos(2 * np.pi * (doy - 15.0) / 365.25)  # low river flow
    rain_effect = (
        np.convolve(weather.rain, np.ones(grid.per_day), mode="full")[: grid.n] / 10.0
    )  # last 24 h [cm]
    excursions: dict[str, Excursion] = {e.tower: e for e in template.events.excursions}
    base, wobble, per_rain = P.COOLING_TURBIDITY
    permeate, per_degree = P.PERMEATE_CONDUCTIVITY
    specs = {m.id: m for m in template.meters}
    signals: dict[str, FloatArray] = {}
    ph_cache: dict[str, FloatArray] = {}
    truth_events: list[dict[str, Any]] = []
    for meter in enterprise.meters:
        spec = specs[meter.id]
        where = spec.water_unit
        if spec.signal is None or where is None:
            continue
        if spec.signal == "ph":
            if where not in ph_cache:
                ph = P.COOLING_PH_SETPOINT + P.COOLING_PH_WOBBLE * smooth_noise(rng, grid, knot=6 * 3600.0)
                if where in excursions:
                    ph, event = _excursion(ph, excursions[where], grid)
                    truth_events.append(event)
                ph_cache[where] = ph
            signals[meter.id] = ph_cache[where]
        elif spec.signal == "conductivity":
            state = drivers.towers[where]
            signals[meter.id] = state.cycles * state.makeup_conductivity * dry_season
        elif spec.signal == "turbidity":
            signals[meter.id] = (
                base + wobble * np.abs(smooth_noise(rng, grid, knot=12 * 3600.0)) + per_rain * rain_effect
            )
        elif spec.signal == "permeate_conductivity":
            signals[meter.id] = (
                permeate
                * (1.0 + per_degree * (weather.temperature - 15.0))
                * (1.0 + 0.05 * smooth_noise(rng, grid, 86400.0))
            )
        elif spec.signal == "reuse_turbidity":
            low, spread = P.REUSE_TURBIDITY
            signals[meter.id] = low + spread * np.abs(smooth_noise(rng, grid, knot=6 * 3600.0))
        elif spec.signal == "pressure":
            outflows = [fid for fid in flows if template_flow(template, fid).from_unit == where]
            rate = sum(flows[f] for f in outflows) / grid.hours
            design = max(sum(plan.design[f] for f in outflows), 1.0)
            shutoff, drop = P.SUPPLY_HEAD
            head = shutoff - drop * (rate / design) ** 2 + 0.3 * smooth_noise(rng, grid)  # pump curve [m]
            signals[meter.id] = head * 9.80665  # m H₂O → kPa
        elif spec.signal == "level":
            signals[meter.id] = drivers.levels[where]
    for event in truth_events:
        event["meters"] = [
            m.id
            for m in enterprise.meters
            if specs[m.id].signal == "ph" and specs[m.id].water_unit == event["unit"]
        ]
    return signals, truth_events


def template_flow(template: PlantTemplate, flow_id: str) -> Any:
    """Return the flow ``flow_id`` of a template."""
    return next(s.flow for s in template.flows if s.flow.id == flow_id)


def _excursion(ph: FloatArray, excursion: Excursion, grid: Grid) -> tuple[FloatArray, dict[str, Any]]:
    """Cooling-water pH after an acid-dosing failure: first-order rise, then recovery."""
    first = _index(excursion.at, grid.n)
    t = (np.arange(grid.n) - first) * grid.hours  # hours since the failure
    rise = np.where(t >= 0, 1.0 - np.exp(-np.clip(t, 0, None) / 1.5), 0.0)  # τ = 1.5 h
    at_repair = 1.0 - np.exp(-excursion.hours / 1.5)
    recovery = at_repair * np.exp(-np.clip(t - excursion.hours, 0, None) / 1.0)  # τ = 1 h
    shape = np.where(t < excursion.hours, rise, recovery)
    result = ph + (excursion.peak - P.COOLING_PH_SETPOINT) * shape
    limit = P.GBT50050_PH_RANGE[1]
    above = np.flatnonzero(result > limit)
    event: dict[str, Any] = {
        "kind": "quality_excursion",
        "unit": excursion.tower,
        "quantity": "ph",
        "cause": "加酸泵故障 acid-dosing pump failure",
        "failure": _iso(int(grid.ts[first])),
        "restored": _iso(int(grid.ts[first]) + int(excursion.hours * 3600)),
        "peak": round(float(result.max()), 3),
        "limit": limit,
        "out_of_range_start": _iso(int(grid.ts[above[0]])) if above.size else None,
        "out_of_range_end": _iso(int(grid.ts[above[-1]]) + grid.interval) if above.size else None,
        "out_of_range_hours": round(above.size * grid.hours, 2),
    }
    return result, event


def _aggregates(
    meter: Meter, obs: Observed, grid: Grid, buckets: dict[str, npt.NDArray[np.int64]]
) -> list[MeterAggregate]:
    """Aggregate one meter at every resolution (volumes from the register, other values as read)."""
    series = obs.series
    t0 = int(grid.ts[0])
    if meter.kind is MeterKind.TOTALIZER:
        intervals = totalizer_intervals(
            series.ts, series.value, register_max=meter.register_max, resets=obs.resets
        )
        values = intervals.volume * lookup_unit(meter.unit, "volume").factor  # → m³
        index = (intervals.start - t0) // grid.interval
        quality = np.zeros(values.size, dtype=np.int8)
        how = "sum"
    else:
        values = to_canonical(series.value.astype(np.float64), meter.unit, meter.quantity)
        values = np.where(series.quality >= Quality.BAD, np.nan, values)  # known-bad readings are left out
        index = (series.ts - t0) // grid.interval
        quality = series.quality
        how = "mean"
    result = []
    for res, starts in buckets.items():
        agg = aggregate_by_bucket(starts[index], values, how, quality)  # type: ignore[arg-type]
        result.append(
            MeterAggregate(
                meter.id, res, agg.start, agg.value, agg.minimum, agg.maximum, agg.count, agg.quality
            )
        )
    return result


def _months(grid: Grid) -> list[tuple[dt.date, dt.date, npt.NDArray[np.bool_]]]:
    """Calendar months of the period: (first day, day after, mask of intervals)."""
    keys = [(d.year, d.month) for d in grid.dates]
    result = []
    for key in sorted(set(keys)):
        days = [i for i, k in enumerate(keys) if k == key]
        first, last = grid.dates[days[0]], grid.dates[days[-1]]
        mask = (grid.day >= days[0]) & (grid.day <= days[-1])
        result.append((first, last + dt.timedelta(days=1), mask))
    return result


def _final_enterprise(
    enterprise: Enterprise,
    plan: Plan,
    drivers: PlantDrivers,
    flows: dict[str, FloatArray],
    grid: Grid,
    observed: dict[str, Observed],
    rng: np.random.Generator,
) -> Enterprise:
    """Return the enterprise with monthly records and the replaced meter's new device."""
    template = plan.template
    product = template.product
    output = product.design_rate * plan.scale * drivers.profiles["main"] * grid.hours
    production, value_added, energy = [], [], []
    unit_kinds = {u.id: u for u in enterprise.units}
    ends = {s.flow.id: s.flow.to_unit for s in template.flows}
    intake_plants = {uid for uid in unit_kinds if _is_intake_plant(template, uid)}
    for first, after, mask in _months(grid):
        quantity = float(output[mask].sum())
        production.append(ProductionRecord(product.id, first, after, round(quantity, 2)))
        price = 1.0 + P.VARIATION["value_added_price"] * float(rng.standard_normal())
        value_added.append(ValueAddedRecord(first, after, round(quantity * product.value_added * price, 0)))
        for uid, unit in unit_kinds.items():
            kwh = 0.0
            inflow = sum(float(v[mask].sum()) for fid, v in flows.items() if ends[fid] == uid)
            if unit.kind is UnitKind.TREATMENT and unit.treatment_type is not None:
                kwh = inflow * P.ENERGY_INTENSITY[_ENERGY_OF_TREATMENT[unit.treatment_type.value]]
                if uid in intake_plants:
                    kwh += inflow * P.ENERGY_INTENSITY["intake_pumping"]
            elif unit.kind is UnitKind.COOLING_TOWER:
                recirc = float(drivers.towers[uid].recirc[mask].sum()) * grid.hours
                kwh = recirc * (P.ENERGY_INTENSITY["recirculation"] + P.ENERGY_INTENSITY["tower_fans"])
            if kwh > 0:
                energy.append(EnergyRecord(uid, first, after, electricity=round(kwh, 0)))
    meters = []
    for m in enterprise.meters:
        detail = observed[m.id].detail
        if detail.get("new_device"):
            replaced = dt.datetime.fromtimestamp(observed[m.id].events[0].ts, dt.UTC).date()
            m = dataclasses.replace(m, device=detail["new_device"], calibrated=replaced)
        meters.append(m)
    return dataclasses.replace(
        enterprise,
        meters=tuple(meters),
        production=tuple(production),
        value_added=tuple(value_added),
        energy=tuple(energy),
    )


def _is_intake_plant(template: PlantTemplate, uid: str) -> bool:
    """True when ``uid`` takes water straight from a source (it pumps the intake)."""
    units = {u.id: u for u in template.units}
    return any(
        s.flow.to_unit == uid and units[s.flow.from_unit].kind is UnitKind.SOURCE for s in template.flows
    )


def _gap_windows(template: PlantTemplate, faults: dict[str, Faults]) -> list[tuple[int, int]]:
    """Interval window of each planned gap (as :func:`_faults` placed it)."""
    seen: dict[str, int] = {}
    windows = []
    for gap in template.events.gaps:
        meter = gap.meters[0]
        windows.append(faults[meter].gaps[seen.get(meter, 0)])
        seen[meter] = seen.get(meter, 0) + 1
    return windows


def _iso(ts: int) -> str:
    """ISO 8601 UTC text of an epoch second."""
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _truth(
    enterprise: Enterprise,
    plan: Plan,
    flows: dict[str, FloatArray],
    drivers: PlantDrivers,
    grid: Grid,
    observed: dict[str, Observed],
    faults: dict[str, Faults],
    excursions: list[dict[str, Any]],
) -> dict[str, Any]:
    """Return the JSON-serialisable ground truth of one enterprise."""
    template = plan.template
    units = {u.id: u for u in enterprise.units}
    spec_flows = {f.id: f for f in enterprise.flows}
    total = {fid: float(v.sum()) for fid, v in flows.items()}

    def summed(pred: Any) -> float:
        """Total volume of the flows for which ``pred`` holds. [m³]"""
        return sum(total[f.id] for f in spec_flows.values() if pred(f))

    intake = summed(lambda f: units[f.from_unit].kind is UnitKind.SOURCE)
    non_conventional = summed(
        lambda f: f.category is FlowCategory.NON_CONVENTIONAL and units[f.from_unit].is_boundary
    )
    recirculated = summed(
        lambda f: (
            f.category is FlowCategory.RECIRCULATED
            and f.to_unit is not None
            and units[f.to_unit].kind in _USE_KINDS
        )
    )
    by_category = {c.value: summed(lambda f, c=c: f.category is c) for c in FlowCategory}
    reused = recirculated + sum(by_category[c.value] for c in _REUSED)
    production = sum(r.quantity for r in enterprise.production)
    value_added = sum(r.value for r in enterprise.value_added)
    product = template.product
    national = P.NATIONAL_INTAKE_2020[product.benchmark][0]
    per_product = intake / production if production > 0 else None
    day_index = grid.day
    daily = {
        fid: [round(x, 3) for x in np.bincount(day_index, weights=v, minlength=grid.days).tolist()]
        for fid, v in flows.items()
    }
    storage_change = {u: float(v.sum()) for u, v in drivers.storage.items()}
    for tank in template.tanks:
        if tank.buffer_of is not None:
            inflow = sum(total[f.id] for f in spec_flows.values() if f.to_unit == tank.unit)
            outflow = sum(total[f.id] for f in spec_flows.values() if f.from_unit == tank.unit)
            storage_change[tank.unit] = inflow - outflow
    meters: dict[str, Any] = {}
    for m in enterprise.meters:
        obs = observed[m.id]
        entry: dict[str, Any] = {"bias": round(obs.bias, 6)}
        if obs.bias_after is not None:
            entry["bias_after_replacement"] = round(obs.bias_after, 6)
        if obs.metered is not None:
            entry["daily_metered"] = [
                round(x, 4) for x in np.bincount(day_index, weights=obs.metered, minlength=grid.days).tolist()
            ]
        meters[m.id] = entry
    events: list[dict[str, Any]] = []
    for leak in template.events.leaks:
        extra = drivers.leak_extra[leak.flow]
        on = np.flatnonzero(extra > 0)
        if on.size == 0:
            continue
        events.append(
            {
                "kind": "leak",
                "flow": leak.flow,
                "unit": spec_flows[leak.flow].from_unit,
                "description": leak.description,
                "start": _iso(int(grid.ts[on[0]])),
                "peak": _iso(int(grid.ts[int(np.argmax(extra))])),
                "repair": _iso(int(grid.ts[on[-1]]) + grid.interval),
                "peak_rate": round(float(extra.max()), 3),
                "volume": round(float(extra.sum() * grid.hours), 2),
            }
        )
    for mid, fault in faults.items():
        if fault.drift is not None:
            first, last, error = fault.drift
            events.append(
                {
                    "kind": "drift",
                    "meter": mid,
                    "start": _iso(int(grid.ts[first])),
                    "end": _iso(int(grid.ts[last])),
                    "error": error,
                }
            )
        if fault.stuck is not None:
            a, b = fault.stuck
            events.append(
                {
                    "kind": "stuck",
                    "meter": mid,
                    "start": _iso(int(grid.ts[a])),
                    "end": _iso(int(grid.ts[a]) + (b - a) * grid.interval),
                    "value": float(
                        observed[mid].series.value[np.searchsorted(observed[mid].series.ts, grid.ts[a])]
                    ),
                }
            )
    for gap, (a, b) in zip(template.events.gaps, _gap_windows(template, faults), strict=True):
        if b > a:
            events.append(
                {
                    "kind": "gap",
                    "meters": list(gap.meters),
                    "cause": gap.cause,
                    "start": _iso(int(grid.ts[a])),
                    "end": _iso(int(grid.ts[a]) + (b - a) * grid.interval),
                }
            )
    for obs in observed.values():
        for event in obs.events:
            events.append({"kind": event.kind, "meter": event.meter_id, "ts": _iso(event.ts), **event.detail})
    events += excursions
    leakage = by_category[FlowCategory.LEAKAGE.value]
    return {
        "enterprise": enterprise.id,
        "template": template.key,
        "scale": plan.scale,
        "period": {
            "start": _iso(int(grid.ts[0])),
            "end": _iso(grid.end),
            "days": grid.days,
            "interval": grid.interval,
            "timezone": P.TIMEZONE,
        },
        "product": {
            "id": product.id,
            "unit": product.unit,
            "production": round(production, 3),
            "benchmark": product.benchmark,
            "national_average_2020": national,
            "intake_per_product": round(per_product, 5) if per_product is not None else None,
            "ratio_to_national": round(per_product / national, 4) if per_product is not None else None,
        },
        "totals": {
            "intake": round(intake, 3),
            "non_conventional": round(non_conventional, 3),
            "recirculated": round(recirculated, 3),
            "cascaded": round(by_category["cascaded"], 3),
            "reclaimed": round(by_category["reclaimed"], 3),
            "condensate": round(by_category["condensate"], 3),
            "reused": round(reused, 3),
            "total_use": round(intake + reused, 3),
            "consumption": round(by_category["consumption"], 3),
            "discharge": round(by_category["discharge"], 3),
            "leakage": round(leakage, 3),
            "storage_change": {u: round(v, 3) for u, v in storage_change.items()},
        },
        "indicators": {
            "reuse_rate": round(100.0 * reused / (intake + reused), 3) if intake + reused > 0 else None,
            "intake_per_product": round(per_product, 5) if per_product is not None else None,
            "intake_per_value_added": round(intake / (value_added / 1e4), 3) if value_added > 0 else None,
            "leakage_rate": round(100.0 * leakage / intake, 3) if intake > 0 else None,
            "discharge_rate": round(100.0 * by_category["discharge"] / intake, 3) if intake > 0 else None,
        },
        "value_added": round(value_added, 0),
        "flows": {fid: round(v, 3) for fid, v in total.items()},
        "daily": {"dates": [d.isoformat() for d in grid.dates], "flows": daily},
        "meters": meters,
        "events": events,
        "conventions": {
            "intake": "Σ flows leaving source units (fresh and non-conventional)",
            "recirculated": "Σ recirculated flows into use units (the supply leg of each loop)",
            "reused": "recirculated + cascaded + reclaimed + condensate",
            "reuse_rate": "reused / (intake + reused) × 100 %",
            "leakage_rate": "leakage / intake × 100 %",
            "value_added": "CNY; intake_per_value_added in m³ per 10⁴ CNY",
        },
    }
