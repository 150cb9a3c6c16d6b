"""From a rule and a series to findings: what to raise, with a deduplication key and titles.

:func:`evaluate_meter` runs one per-meter rule over a meter's series; :func:`evaluate_balance`
checks the daily level-1 against level-2 balance with :mod:`shuixiao.balance`;
:func:`leak_alarm` turns a leak found by :mod:`shuixiao.leaks` into an alarm.  Each result is a
:class:`KeyResult` per deduplication key: the findings (episodes) in order, and the state of the
condition at the end of the data, which decides whether an open alarm of that key is kept
(``active``), cleared by ``system`` (``inactive``) or left alone (``unknown``: no data).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from shuixiao.alarms._model import AlarmSpec, Severity
from shuixiao.alarms.episodes import (
    Episode,
    Evaluation,
    closure_episodes,
    offline_episodes,
    rate_of_change_episodes,
    stuck_episodes,
    threshold_episodes,
)
from shuixiao.alarms.rules import ResolvedRule, format_duration
from shuixiao.balance import Provenance, measurements_from_meters, water_balance
from shuixiao.errors import InvalidInputError, ShuixiaoError
from shuixiao.leaks import LeakEvent
from shuixiao.model import Enterprise, Meter
from shuixiao.reference import parameter

__all__ = [
    "Finding",
    "KeyResult",
    "MeterSeries",
    "evaluate_balance",
    "evaluate_meter",
    "human_duration",
    "leak_alarm",
    "lookback",
    "meter_interval",
]


def _utc(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


@dataclass(frozen=True)
class Finding:
    """One episode of a condition, ready to become an alarm.

    Parameters
    ----------
    rule, kind, key : str
        Rule id, kind and deduplication key (unique per enterprise and kind while open).
    meter : str or None
    severity : Severity
    escalate_after : float or None
        [s]
    title_zh, title_en : str
    detail : dict
        JSON-compatible facts (values in canonical units, times in ISO 8601 UTC).
    start, raised : datetime.datetime
        When the condition began and when it met the rule (UTC).
    end : datetime.datetime or None
        When it ended; None while it lasts.
    inherited : bool
        The episode continues an alarm that was open before the data began.
    """

    rule: str
    kind: str
    key: str
    meter: str | None
    severity: Severity
    escalate_after: float | None
    title_zh: str
    title_en: str
    detail: dict[str, Any]
    start: dt.datetime
    raised: dt.datetime
    end: dt.datetime | None
    inherited: bool = False

    def spec(self, enterprise: str) -> AlarmSpec:
        """The :class:`AlarmSpec` that raises this finding in ``enterprise``."""
        return AlarmSpec(
            enterprise,
            self.kind,
            self.key,
            self.severity,
            self.title_zh,
            self.title_en,
            self.detail,
            meter=self.meter,
            rule=self.rule,
            raised_at=self.raised,
            escalate_after=self.escalate_after,
        )


@dataclass(frozen=True)
class KeyResult:
    """The outcome of a rule for one deduplication key.

    Parameters
    ----------
    rule, kind, key : str
    meter : str or None
    state : {"active", "inactive", "unknown"}
        The condition at the end of the data.
    findings : tuple of Finding
        Its episodes, oldest first.
    """

    rule: str
    kind: str
    key: str
    meter: str | None
    state: Literal["active", "inactive", "unknown"]
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class MeterSeries:
    """A meter's data for one check.

    Parameters
    ----------
    meter : Meter
    ts, value : numpy.ndarray
        The signal the rules judge, oldest first: readings of rates, pressures, levels and
        analysers; for a totalizer, the mean flow of each base interval. [s since epoch],
        [``unit``]
    unit : str
        Canonical unit of ``value`` (``m³/h`` for totalizers).
    reading_ts : numpy.ndarray
        Times of every reading received (any quality), for the offline rule. [s since epoch]
    previous : int or None
        The last reading before ``reading_ts``. [s since epoch]
    end : int
        End of the window (now). [s since epoch]
    interval : float
        The meter's reporting interval (:func:`meter_interval`). [s]
    """

    meter: Meter
    ts: npt.NDArray[np.int64]
    value: npt.NDArray[np.float64]
    unit: str
    reading_ts: npt.NDArray[np.int64]
    previous: int | None
    end: int
    interval: float
    quantity: str = field(default="")

    def __post_init__(self) -> None:
        if not self.quantity:
            object.__setattr__(
                self, "quantity", "flow_rate" if self.meter.quantity == "volume" else self.meter.quantity
            )


def meter_interval(reading_ts: npt.ArrayLike, default: float) -> float:
    """The reporting interval of a meter: the median spacing of its readings, else ``default``.

    Examples
    --------
    >>> meter_interval([0, 900, 1800, 2700, 7200], 600.0), meter_interval([0, 900], 600.0)
    (900.0, 600.0)
    """
    t = np.unique(np.asarray(reading_ts, dtype=np.int64))
    if t.size < 3:
        return float(default)
    return float(np.median(np.diff(t)))


def lookback(rule: ResolvedRule, interval: float) -> float:
    """How much data before the evaluated window a rule needs to judge its start. [s]"""
    p = rule.params
    if rule.kind == "offline":
        return ((p.get("intervals") or 0) + 1) * (p.get("interval") or interval)
    if rule.kind == "stuck":
        return ((p.get("intervals") or 0) + 1) * interval + (p.get("history") or 0.0)
    if rule.kind == "rate_of_change":
        return max(p.get("history") or 0.0, p.get("clear_after") or 0.0) + interval
    if rule.kind in ("threshold", "quality_excursion"):
        return (p.get("minimum_duration") or 0.0) + interval
    return 0.0


_MINUTE = 60
_QUANTITY_NAMES = {
    "ph": ("pH", "pH"),
    "conductivity": ("电导率", "conductivity"),
    "turbidity": ("浊度", "turbidity"),
    "temperature": ("温度", "temperature"),
    "concentration": ("浓度", "concentration"),
    "fluorescence": ("荧光示踪剂", "tracer"),
}


def human_duration(seconds: float, language: str) -> str:
    """A duration for people: ``1 h 15 min`` / ``1 小时 15 分钟`` (days from 48 h on).

    Examples
    --------
    >>> human_duration(4500, "en"), human_duration(4500, "zh"), human_duration(3 * 86400, "en")
    ('1 h 15 min', '1 小时 15 分钟', '3 d')
    """
    minutes = round(seconds / _MINUTE)
    zh = language != "en"
    if minutes >= 48 * 60:
        days = minutes / 1440
        return f"{days:.3g} 天" if zh else f"{days:.3g} d"
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} 小时" if zh else f"{hours} h")
    if rest or not hours:
        parts.append(f"{rest} 分钟" if zh else f"{rest} min")
    return " ".join(parts)


def _num(x: float) -> str:
    return "—" if not math.isfinite(x) else f"{x:.4g}"


def _label(meter: Meter) -> str:
    return f"{meter.id}（{meter.name}）" if meter.name else meter.id


def _titles(
    kind: str, meter: Meter, unit: str, episode: Episode, params: Mapping[str, Any], direction: str = ""
) -> tuple[str, str]:
    m, x = _label(meter), episode.extreme
    if kind == "offline":
        return (
            f"{m} 离线：{human_duration(x, 'zh')} 无数据",
            f"{meter.id} offline: no data for {human_duration(x, 'en')}",
        )
    if kind == "stuck":
        return (
            f"{m} 读数停滞：{x:.0f} 个间隔不变（{_num(params['value'])} {unit}）",
            f"{meter.id} stuck: unchanged for {x:.0f} intervals at {_num(params['value'])} {unit}",
        )
    if kind == "rate_of_change":
        return (
            f"{m} 读数变化过快：每小时 {_num(x)} {unit}",
            f"{meter.id} changing too fast: {_num(x)} {unit} per hour",
        )
    limit = _num(params["limit"])
    if kind == "quality_excursion":
        zh, en = _QUANTITY_NAMES.get(meter.quantity, (meter.quantity, meter.quantity))
        shown = f"{_num(x)}" if unit == "pH" else f"{_num(x)} {unit}"
        side_zh, side_en = ("高于", "above") if direction == "high" else ("低于", "below")
        return (
            f"{m} 水质超标：{zh} {shown}，{side_zh}限值 {limit}",
            f"{meter.id} water quality out of limits: {en} {shown}, {side_en} {limit}",
        )
    if direction == "high":
        return (
            f"{m} 超上限：{_num(x)} {unit}（上限 {limit}）",
            f"{meter.id} above its high limit: {_num(x)} {unit} (limit {limit})",
        )
    return (
        f"{m} 低于下限：{_num(x)} {unit}（下限 {limit}）",
        f"{meter.id} below its low limit: {_num(x)} {unit} (limit {limit})",
    )


def _finding(
    rule: ResolvedRule, key: str, unit: str, episode: Episode, facts: dict[str, Any], direction: str = ""
) -> Finding:
    meter = rule.meter
    assert meter is not None
    title_zh, title_en = _titles(rule.kind, meter, unit, episode, facts, direction)
    detail: dict[str, Any] = {
        "rule": rule.id,
        "params": {k: v for k, v in rule.params.items() if v is not None},
        "start": _utc(episode.start).isoformat(),
        "end": _utc(episode.end).isoformat() if episode.end is not None else None,
        "value": episode.extreme if math.isfinite(episode.extreme) else None,
        "unit": unit,
    }
    detail.update({k: v for k, v in facts.items() if k != "value" or rule.kind == "stuck"})
    return Finding(
        rule.id,
        rule.kind,
        key,
        meter.id,
        rule.severity,
        rule.escalate_after,
        title_zh,
        title_en,
        detail,
        _utc(episode.start),
        _utc(episode.raised),
        _utc(episode.end) if episode.end is not None else None,
        episode.inherited,
    )


def evaluate_meter(
    rule: ResolvedRule, series: MeterSeries, *, open_keys: frozenset[str] = frozenset()
) -> list[KeyResult]:
    """Run a per-meter rule over a meter's series.

    Parameters
    ----------
    rule : ResolvedRule
        A per-meter rule resolved for ``series.meter`` (disabled rules give nothing).
    series : MeterSeries
    open_keys : frozenset of str
        Keys of this rule's kind with an open alarm: limit conditions continue from them
        (hysteresis across checks).

    Returns
    -------
    list of KeyResult
        One per key the rule judged (threshold rules: ``METER/high`` and ``METER/low`` for the
        limits that are set; other rules: the meter id).

    Examples
    --------
    >>> import numpy as np
    >>> from shuixiao.alarms.rules import load_rules, resolve_rules, RuleOverride
    >>> from shuixiao.model import Enterprise, Meter, MeterKind
    >>> e = Enterprise("e", "示例", "x", "3120", "r", meters=(Meter("PT-1", MeterKind.PRESSURE, "pressure", "kPa", 3),))
    >>> rule = next(r for r in resolve_rules(load_rules(), e) if r.id == "stuck")
    >>> t = np.arange(24, dtype=np.int64) * 900
    >>> v = np.concatenate([350.0 + np.arange(12) % 3, np.full(12, 352.5)])  # varies, then stuck
    >>> s = MeterSeries(e.meters[0], t, v, "kPa", t, None, 23 * 900, 900.0)
    >>> [(k.key, k.state, k.findings[0].title_en) for k in evaluate_meter(rule, s)]
    [('PT-1', 'active', 'PT-1 stuck: unchanged for 11 intervals at 352.5 kPa')]
    """
    if not rule.enabled or rule.meter is None:
        return []
    p, meter = rule.params, rule.meter
    if rule.kind == "offline":
        gap = ((p.get("intervals") or 0) + 1) * (p.get("interval") or series.interval)
        ev = offline_episodes(series.reading_ts, end=series.end, max_gap=gap, previous=series.previous)
        facts: dict[str, Any] = {"max_gap": format_duration(gap)}
        return [_result(rule, meter.id, ev, lambda e: _finding(rule, meter.id, "s", e, facts))]
    if rule.kind == "stuck":
        count = int(p.get("intervals") or 0)
        ev = stuck_episodes(
            series.ts,
            series.value,
            count=max(count, 1),
            tolerance=p.get("tolerance") or 0.0,
            history=p.get("history") or 0.0,
            minimum_history=int(p.get("minimum_history") or 0),
            max_repeat_share=_share(p.get("max_repeat_share")),
        )
        values = dict(zip(series.ts.tolist(), series.value.tolist(), strict=True))
        return [
            _result(
                rule,
                meter.id,
                ev,
                lambda e: _finding(rule, meter.id, series.unit, e, {"value": values.get(e.start, math.nan)}),
            )
        ]
    if rule.kind == "rate_of_change":
        if p.get("max_rate") is None and p.get("sigmas") is None:
            return []
        ev = rate_of_change_episodes(
            series.ts,
            series.value,
            max_rate=p.get("max_rate"),
            sigmas=p.get("sigmas"),
            history=p.get("history") or 90_000.0,
            minimum_history=int(p.get("minimum_history") or 2),
            clear_after=p.get("clear_after") or 0.0,
        )
        return [_result(rule, meter.id, ev, lambda e: _finding(rule, meter.id, series.unit, e, {}))]
    return _limits(rule, series, open_keys)


def _share(value: float | None) -> float:
    return 1.0 if value is None else min(max(value, 0.0), 1.0)


def _limits(rule: ResolvedRule, series: MeterSeries, open_keys: frozenset[str]) -> list[KeyResult]:
    p, meter = rule.params, rule.meter
    assert meter is not None
    results = []
    for direction in ("high", "low"):
        limit = p.get(direction)
        if limit is None:
            continue
        deadband = p.get("deadband")
        if deadband is None:
            deadband = (p.get("deadband_fraction") or 0.0) * abs(limit)
        key = f"{meter.id}/{direction}"
        ev = threshold_episodes(
            series.ts,
            series.value,
            limit,
            direction=direction,
            deadband=deadband,
            minimum_duration=p.get("minimum_duration") or 0.0,
            active_at_start=key in open_keys,
        )
        facts = {"limit": limit, "deadband": deadband, "direction": direction}
        results.append(
            _result(
                rule, key, ev, lambda e, f=facts, d=direction, k=key: _finding(rule, k, series.unit, e, f, d)
            )
        )
    return results


def _result(rule: ResolvedRule, key: str, ev: Evaluation, make: Any) -> KeyResult:
    meter = rule.meter.id if rule.meter else None
    return KeyResult(rule.id, rule.kind, key, meter, ev.state, tuple(make(e) for e in ev.episodes))


def evaluate_balance(
    rule: ResolvedRule, enterprise: Enterprise, days: Sequence[tuple[int, Mapping[str, float]]]
) -> list[KeyResult]:
    """Check the level-1 intake against the sum of the level-2 sub-units' intakes, day by day.

    Parameters
    ----------
    rule : ResolvedRule
        The ``balance_closure`` rule; its ``tolerance`` (None: ``closure_tolerance`` of the
        enterprise scope in the balance reference data, 0.10).
    enterprise : Enterprise
    days : sequence of (int, mapping of str to float)
        Start of each complete local day [s since epoch] and the volume each flow meter measured
        in it [m³]; NaN volumes are left out.  Days whose level-1 or level-2 intake is not
        measured throughout (a side inferred from the balances closes by construction) are
        skipped.

    Returns
    -------
    list of KeyResult
        One, key ``level1-level2``; days the balance does not determine are skipped.
    """
    if not rule.enabled:
        return []
    tolerance = rule.params.get("tolerance")
    if tolerance is None:
        tolerance = parameter("closure_tolerance", scope="enterprise").value
    starts, differences, sums = [], [], {}
    for start, volumes in days:
        given = {m: v for m, v in volumes.items() if math.isfinite(v)}
        try:
            check = water_balance(enterprise, measurements_from_meters(enterprise, given)).level_check
        except ShuixiaoError:
            continue
        if (
            check.level1.provenance is not Provenance.MEASURED
            or check.level2.provenance is not Provenance.MEASURED
        ):
            continue  # an inferred side closes by construction: no independent check that day
        starts.append(start)
        differences.append(check.difference)
        sums[start] = (check.level1.value, check.level2.value)
    ev = closure_episodes(starts, differences, tolerance=tolerance)
    key = "level1-level2"

    def make(e: Episode) -> Finding:
        level1, level2 = sums[e.start]
        detail = {
            "rule": rule.id,
            "tolerance": tolerance,
            "difference": e.extreme,
            "first_day": _utc(e.start).isoformat(),
            "level1_m3": level1,
            "level2_m3": level2,
            "end": _utc(e.end).isoformat() if e.end is not None else None,
        }
        return Finding(
            rule.id,
            rule.kind,
            key,
            None,
            rule.severity,
            rule.escalate_after,
            f"一级与二级计量水量不平衡：相差 {e.extreme:.1%}（允许 {tolerance:.0%}）",
            f"Level-1 and level-2 metering differ by {e.extreme:.1%} (tolerance {tolerance:.0%})",
            detail,
            _utc(e.start),
            _utc(e.raised),
            _utc(e.end) if e.end is not None else None,
        )

    return [KeyResult(rule.id, rule.kind, key, None, ev.state, tuple(make(e) for e in ev.episodes))]


def leak_alarm(
    rule: ResolvedRule, enterprise: str, event_id: int, event: LeakEvent, network: str | None = None
) -> AlarmSpec:
    """The alarm of a leak event found by the detector.

    Parameters
    ----------
    rule : ResolvedRule
        The ``leak_suspected`` rule: its ``critical_flow`` [m³/h] makes a larger leak critical.
    enterprise : str
    event_id : int
        The stored leak event; the key is ``leak-event/<id>``.
    event : shuixiao.leaks.LeakEvent
    network : str, optional
        Name of the network model.

    Raises
    ------
    InvalidInputError
        If the rule is not a leak rule.
    """
    if rule.kind != "leak_suspected":
        raise InvalidInputError(f"rule {rule.id} is not a leak_suspected rule")
    critical = rule.params.get("critical_flow")
    severity = Severity.CRITICAL if critical is not None and event.flow >= critical else rule.severity
    best = event.best
    where_zh = f"{'管段' if best.kind == 'pipe' else '节点'} {best.id}" if best else "位置未定"
    where_en = f"{best.kind} {best.id}" if best else "location unknown"
    detail = {
        "rule": rule.id,
        "event": event_id,
        "network": network,
        "start": event.start.astimezone(dt.UTC).isoformat(),
        "detected": event.detected.astimezone(dt.UTC).isoformat(),
        "flow_m3h": event.flow,
        "uncertainty_m": event.uncertainty if math.isfinite(event.uncertainty) else None,
        "candidates": [{c.location.kind: c.location.id, "score": c.score} for c in event.candidates[:5]],
    }
    return AlarmSpec(
        enterprise,
        rule.kind,
        f"leak-event/{event_id}",
        severity,
        f"疑似管网漏损：约 {event.flow:.1f} m³/h，疑似位置 {where_zh}",
        f"Suspected leak: about {event.flow:.1f} m³/h at {where_en}",
        detail,
        rule=rule.id,
        raised_at=event.detected,
        escalate_after=rule.escalate_after,
    )
