"""Water savings of an enterprise from stored data (节水效果评价, 合同节水; IPMVP Option C).

:func:`assess_savings` builds the monthly (or daily) series of intake, production and,
when the enterprise has an air-temperature sensor, mean temperature and cooling
degree-days from the store, chooses and fits the baseline model on the baseline period
(:func:`shuixiao.balance.savings.select_baseline`), and computes the savings of the
reporting period with their Guideline 14 uncertainty, valued at the tariff of
``water_tariffs.yaml``.  See ``docs/balance.md`` (savings).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np

from shuixiao.assess import _json
from shuixiao.assess._findings import Note
from shuixiao.assess._period import as_zone, check_period, local_dates, month_starts
from shuixiao.assess.enterprise import region_chain
from shuixiao.assess.volumes import MeterVolume, PeriodVolumes, flow_meters, volume_series
from shuixiao.balance import period_production, water_balance
from shuixiao.balance.savings import Savings, Selection, cooling_degree_days, savings, select_baseline
from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.model import Enterprise, UnitKind
from shuixiao.reference import ParameterEntry, parameter
from shuixiao.storage import Store

__all__ = ["SavingsAssessment", "SeriesPoint", "assess_savings", "water_tariff"]


@dataclass(frozen=True)
class SeriesPoint:
    """One period of the savings series.

    Parameters
    ----------
    start, end : datetime.datetime
        Aware UTC.
    intake : float
        [m³]; NaN when the meters do not give it.
    regressors : dict of str to float
        ``production`` [product unit], ``temperature`` [°C], ``cooling_degree_days`` [°C·d].
    coverage : float
        Mean volume coverage of the intake meters. [unitless]
    """

    start: dt.datetime
    end: dt.datetime
    intake: float
    regressors: dict[str, float]
    coverage: float


@dataclass(frozen=True)
class SavingsAssessment:
    """Savings of an enterprise between a baseline and a reporting period.

    Parameters
    ----------
    enterprise : str
    granularity : {'month', 'day'}
    baseline, reporting : tuple of SeriesPoint
    selection : Selection
        The candidate models and the chosen one.
    result : Savings
        Savings with their interval at ``result.confidence``.
    tariff : ParameterEntry
        The tariff used. [CNY/m³]
    money, money_low, money_high : float
        Savings and their interval valued at the tariff. [CNY]
    temperature_meter : str or None
    notes : tuple of Note
    """

    enterprise: str
    granularity: str
    baseline: tuple[SeriesPoint, ...]
    reporting: tuple[SeriesPoint, ...]
    selection: Selection
    result: Savings
    tariff: ParameterEntry
    tariff_value: float
    money: float
    money_low: float
    money_high: float
    temperature_meter: str | None
    notes: tuple[Note, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``docs/assess.md``)."""
        m = self.result.model
        r = self.result

        def point(p: SeriesPoint) -> dict[str, Any]:
            return {
                "start": _json.when(p.start),
                "end": _json.when(p.end),
                "intake_m3": _json.num(p.intake),
                "regressors": {k: _json.num(v) for k, v in p.regressors.items()},
                "coverage": _json.num(p.coverage),
            }

        return {
            "enterprise": self.enterprise,
            "granularity": self.granularity,
            "model": {
                "equation": m.equation(),
                "regressors": list(m.regressors),
                "coefficients": [float(b) for b in m.coefficients],
                "standard_errors": [float(b) for b in m.standard_errors],
                "t_values": [_json.num(float(b)) for b in m.t_values],
                "n": m.n,
                "p": m.p,
                "r_squared": _json.num(m.r_squared),
                "adjusted_r_squared": _json.num(m.adjusted_r_squared),
                "rmse_m3": _json.num(m.rmse),
                "cv_rmse_percent": _json.num(m.cv_rmse),
                "nmbe_percent": _json.num(m.nmbe),
                "autocorrelation": _json.num(m.autocorrelation),
                "criterion": self.selection.criterion,
                "candidates": [
                    {"regressors": list(c.regressors), "admissible": c.admissible, "reason": c.reason}
                    for c in self.selection.candidates
                ],
            },
            "quality": [
                {
                    "name": c.name,
                    "value": _json.num(c.value),
                    "threshold": c.threshold,
                    "operator": c.operator,
                    "passed": c.passed,
                    "reference": c.reference,
                }
                for c in r.checks
            ],
            "savings": {
                "adjusted_baseline_m3": _json.num(r.adjusted_baseline),
                "reporting_m3": _json.num(r.reporting),
                "savings_m3": _json.num(r.savings),
                "fraction": _json.num(r.fraction),
                "confidence": r.confidence,
                "uncertainty_m3": _json.num(r.uncertainty),
                "fsu": _json.num(r.fsu),
                "low_m3": _json.num(r.low),
                "high_m3": _json.num(r.high),
                "prediction_uncertainty_m3": _json.num(r.prediction_uncertainty),
                "significant": r.significant,
            },
            "money": {
                "tariff_cny_per_m3": self.tariff_value,
                "tariff_reference": f"{self.tariff.id} [{self.tariff.confidence}]",
                "savings_cny": _json.num(self.money),
                "low_cny": _json.num(self.money_low),
                "high_cny": _json.num(self.money_high),
            },
            "temperature_meter": self.temperature_meter,
            "baseline": [point(p) for p in self.baseline],
            "reporting": [point(p) for p in self.reporting],
            "notes": [n.to_dict() for n in self.notes],
        }


def water_tariff(store: Store, enterprise: Enterprise) -> ParameterEntry:
    """Return the tariff of the innermost region of the enterprise that has one, else the default."""
    for r in region_chain(store.list_regions(), enterprise.region):
        try:
            return parameter("water_tariff", table="water_tariffs", scope=r.admin_code)
        except NotFoundError:
            continue
    return parameter("water_tariff", table="water_tariffs", scope="default")


def _cuts(start: dt.datetime, end: dt.datetime, granularity: str, zone: ZoneInfo) -> list[dt.datetime]:
    if granularity == "month":
        return month_starts(start.astimezone(dt.UTC), end.astimezone(dt.UTC), zone)
    days = (end - start).days
    result = []
    first = start.astimezone(zone).date()
    for i in range(days + 2):
        day = first + dt.timedelta(days=i)
        cut = dt.datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(dt.UTC)
        if cut >= end:
            break
        result.append(cut)
    result.append(end.astimezone(dt.UTC))
    return result


def _intake(enterprise: Enterprise, volumes: PeriodVolumes) -> tuple[float, float]:
    """Intake of one bucket and the coverage of its meters: metered source flows, else the balance."""
    kinds = {u.id: u.kind for u in enterprise.units}
    intake_flows = {f.id for f in enterprise.flows if kinds.get(f.from_unit) is UnitKind.SOURCE}
    metered: dict[str, list[MeterVolume]] = {}
    for v in volumes.meters.values():
        if v.flow in intake_flows:
            metered.setdefault(v.flow, []).append(v)
    if set(metered) == intake_flows:
        total, coverage = 0.0, []
        for vs in metered.values():
            known = [v for v in vs if math.isfinite(v.value)]
            if not known:
                return math.nan, 0.0
            total += known[0].value
            coverage += [v.volume_coverage for v in vs]
        return total, float(np.mean(coverage)) if coverage else 1.0
    b = water_balance(enterprise, volumes.measurements())
    return b.level1.intake.value, volumes.coverage


def _temperature(
    store: Store, enterprise: Enterprise, meter_id: str | None, start: dt.datetime, end: dt.datetime
) -> tuple[str | None, list[tuple[float, float]]]:
    """Daily (start epoch, mean temperature) of the air-temperature meter, if one is named."""
    if meter_id is None:
        return None, []
    meter = enterprise.meter(meter_id)
    if meter.quantity != "temperature" or meter.flow is not None:
        raise InvalidInputError(f"meter {meter_id} measures {meter.quantity}, not air temperature")
    days = store.read_aggregates(enterprise.id, meter_id, "P1D", start, end)
    return meter_id, [(ts.timestamp(), float(v)) for ts, v in zip(days["start"], days["value"], strict=True)]


def _series(
    store: Store,
    enterprise: Enterprise,
    start: dt.datetime,
    end: dt.datetime,
    granularity: str,
    zone: ZoneInfo,
    daily_temperature: list[tuple[float, float]],
) -> list[SeriesPoint]:
    cuts = _cuts(start, end, granularity, zone)
    buckets = volume_series(store, enterprise, cuts, zone=zone)
    points = []
    for pv in buckets:
        intake, coverage = _intake(enterprise, pv)
        first, last = local_dates(pv.start, pv.end, zone)
        produced = period_production(enterprise, first, last)
        regs: dict[str, float] = {}
        if len(enterprise.products) == 1:
            regs["production"] = produced.get(enterprise.products[0].id, 0.0)
        else:
            for p in enterprise.products:
                regs[f"production_{p.id}"] = produced.get(p.id, 0.0)
        temps = [
            t
            for ts, t in daily_temperature
            if pv.start.timestamp() <= ts < pv.end.timestamp() and math.isfinite(t)
        ]
        if daily_temperature:
            regs["temperature"] = float(np.mean(temps)) if temps else math.nan
            regs["cooling_degree_days"] = cooling_degree_days(temps) if temps else math.nan
        points.append(SeriesPoint(pv.start, pv.end, intake, regs, coverage))
    return points


def assess_savings(
    store: Store,
    enterprise_id: str,
    baseline: tuple[dt.datetime, dt.datetime],
    reporting: tuple[dt.datetime, dt.datetime],
    *,
    granularity: Literal["month", "day"] = "month",
    zone: str | ZoneInfo = "Asia/Shanghai",
    temperature_meter: str | None = None,
    confidence: float | None = None,
    tariff: float | None = None,
) -> SavingsAssessment:
    """Fit the baseline model on ``baseline`` and return the savings of ``reporting``.

    Parameters
    ----------
    store : Store
    enterprise_id : str
    baseline, reporting : tuple of datetime.datetime
        ``(start, end)`` of each period, aware, at local midnight (whole months for
        ``granularity='month'``).
    granularity : {'month', 'day'}
        One observation per local month (IPMVP billing-period practice) or per day.
    zone : str or zoneinfo.ZoneInfo
    temperature_meter : str, optional
        Meter of the air temperature (an ambient sensor, typically attached to a cooling tower's
        unit); without it the candidate models use production only (a water-temperature sensor
        looks the same in the model, so none is picked automatically).
    confidence : float, optional
        Two-sided confidence of the interval. [unitless]  Default ``savings_confidence`` (0.90).
    tariff : float, optional
        [CNY/m³]  Default: ``water_tariffs.yaml`` for the enterprise's region.

    Raises
    ------
    InvalidInputError
        For overlapping periods, too few usable baseline periods, or an unknown granularity.
    NotFoundError
        If the enterprise or the temperature meter does not exist.
    """
    if granularity not in ("month", "day"):
        raise InvalidInputError(f"granularity is month or day, not {granularity!r}")
    tz = as_zone(zone)
    for a, b in (baseline, reporting):
        check_period(a, b)
    if baseline[1] > reporting[0] and reporting[1] > baseline[0]:
        raise InvalidInputError("the baseline and reporting periods overlap")
    enterprise = store.load_enterprise(enterprise_id)
    if not flow_meters(enterprise):
        raise InvalidInputError(f"enterprise {enterprise_id} has no flow meters")
    lo, hi = min(baseline[0], reporting[0]), max(baseline[1], reporting[1])
    meter, daily = _temperature(store, enterprise, temperature_meter, lo, hi)
    notes: list[Note] = []
    if meter is None:
        notes.append(
            Note(
                "temperature",
                "未指定气温计量器具：基准模型仅以产量为自变量",
                "no air-temperature meter given: models on production only",
            )
        )
    if granularity == "day":
        notes.append(
            Note(
                "production",
                "长于一天的产量记录按天均摊：日模型只在记录变化处看到产量变化",
                "production records longer than a day are spread evenly over their days: a daily model "
                "sees production change only where the records do",
            )
        )
    base_points = _series(store, enterprise, *baseline, granularity, tz, daily)
    report_points = _series(store, enterprise, *reporting, granularity, tz, daily)
    usable = [p for p in base_points if math.isfinite(p.intake)]
    if len(usable) < len(base_points):
        k = len(base_points) - len(usable)
        notes.append(
            Note(
                "gaps",
                f"基准期 {k} 个时段无取水量，未参与拟合",
                f"{k} baseline periods without intake left out",
            )
        )
    required = [k for k in (usable[0].regressors if usable else {}) if k.startswith("production")]
    y = [p.intake for p in usable]
    selection = select_baseline(
        y,
        {k: [p.regressors[k] for p in usable] for k in required},
        {
            k: [p.regressors[k] for p in usable]
            for k in ("temperature", "cooling_degree_days")
            if meter is not None
        },
    )
    used = [
        p
        for p in report_points
        if math.isfinite(p.intake)
        and all(math.isfinite(p.regressors.get(k, math.nan)) for k in selection.model.regressors)
    ]
    if not used:
        raise InvalidInputError("no reporting period has intake and the model's regressors")
    if len(used) < len(report_points):
        k = len(report_points) - len(used)
        notes.append(
            Note("gaps", f"报告期 {k} 个时段缺数据，未计入", f"{k} reporting periods without data left out")
        )
    level = confidence if confidence is not None else parameter("savings_confidence", table="assess").value
    result = savings(
        selection.model,
        [p.intake for p in used],
        {k: [p.regressors[k] for p in used] for k in selection.model.regressors},
        confidence=level,
        granularity=granularity,
    )
    entry = water_tariff(store, enterprise)
    price = tariff if tariff is not None else entry.value
    if tariff is not None:
        notes.append(
            Note(
                "tariff",
                f"水价取给定的 {tariff} 元/m³（数据表 {entry.id} 为 {entry.value}）",
                f"tariff {tariff} CNY/m³ given instead of {entry.id} ({entry.value})",
            )
        )
    return SavingsAssessment(
        enterprise=enterprise_id,
        granularity=granularity,
        baseline=tuple(base_points),
        reporting=tuple(report_points),
        selection=selection,
        result=result,
        tariff=entry,
        tariff_value=price,
        money=result.savings * price,
        money_low=result.low * price,
        money_high=result.high * price,
        temperature_meter=meter,
        notes=tuple(notes),
    )
