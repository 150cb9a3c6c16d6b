"""Checking the alarm rules against stored readings: raise, clear, escalate, notify.

:class:`AlarmChecker` evaluates an enterprise's rules (:func:`shuixiao.alarms.resolve_rules`:
the defaults with the enterprise's overrides) over the window since its last check, kept per
enterprise, reading what each rule needs before the window too (its lookback).  For each
deduplication key it raises an alarm for a condition that met its rule (once: an open alarm of
the key is only touched), clears the open alarm by ``system`` when the condition has ended
(the history says so), raises and clears at once a condition that came and went between two
checks, escalates unacknowledged alarms whose timeout passed, records the end of the window,
and sends the notifications that became due.  :func:`run_every` repeats it until stopped.

Readings flagged ``bad`` are left out of the value rules (but show that a meter is online);
totalizers are judged by their mean flow between readings [m³/h], from the register
differences with rollovers and recorded replacements
(:func:`shuixiao.series.totalizer_intervals`).

The planned-water-use and quota-pace rules (:mod:`shuixiao.alarms.plans`) are judged for every
local month the window touches, over the month's complete local days up to the end of the window:
the intake is the volume of the flows leaving source units (those of the plan's source type for a
plan per source), each flow's first meter with data that day (daily aggregates ``P1D``; a rate
meter's mean rate times the day's hours); a day counts as measured when every such flow has a
volume, and the plans are those of :class:`shuixiao.storage.plans.PlanStore`.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from shuixiao.alarms import (
    SYSTEM,
    Alarm,
    KeyResult,
    MeterSeries,
    PlanProgress,
    ProductProgress,
    ResolvedRule,
    RuleSet,
    evaluate_balance,
    evaluate_meter,
    evaluate_plan,
    evaluate_quota,
    load_rules,
    lookback,
    meter_interval,
    resolve_rules,
)
from shuixiao.balance import period_production
from shuixiao.errors import InvalidInputError
from shuixiao.model import Enterprise, Meter, MeterKind, Quality
from shuixiao.notify.config import NotifyConfig
from shuixiao.notify.dispatch import DeliveryReport, deliver_due, make_outbox
from shuixiao.series import Reset, totalizer_intervals
from shuixiao.storage import AlarmStore, Store
from shuixiao.storage.plans import PlanStore, daily_intake, intake_flows
from shuixiao.units import canonical_unit, lookup_unit

__all__ = ["AlarmChecker", "CheckReport", "run_every"]

_BAD = int(Quality.BAD)
_FLOW_METERS = (MeterKind.TOTALIZER, MeterKind.RATE)


def _seconds(values: object) -> npt.NDArray[np.int64]:
    """Epoch seconds of a tz-aware pandas column."""
    array = np.asarray(values, dtype="datetime64[s]")
    return array.astype(np.int64)


def _utc(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


@dataclass(frozen=True)
class CheckReport:
    """What one check of one enterprise did.

    Parameters
    ----------
    enterprise : str
    since, until : datetime.datetime
        The evaluated window (UTC).
    raised, cleared, escalated : list of Alarm
        Alarms raised, cleared by ``system`` and escalated by this check.
    open : int
        Open alarms of the enterprise afterwards.
    """

    enterprise: str
    since: dt.datetime
    until: dt.datetime
    raised: list[Alarm] = field(default_factory=list)
    cleared: list[Alarm] = field(default_factory=list)
    escalated: list[Alarm] = field(default_factory=list)
    open: int = 0


class AlarmChecker:
    """Checks alarm rules against a store and notifies.

    Parameters
    ----------
    store : Store
        A migrated store.
    rules : RuleSet, optional
        The default rules; those of ``shuixiao/data/alarm_rules.yaml`` when omitted.
    notify : NotifyConfig, optional
        Notification channels; none when omitted (alarms are still stored).
    timezone : str
        IANA zone of the local calendar (daily balances) and of times in messages.
    clock : callable, optional
        Returns the current time (aware); for tests.
    """

    def __init__(
        self,
        store: Store,
        *,
        rules: RuleSet | None = None,
        notify: NotifyConfig | None = None,
        timezone: str = "Asia/Shanghai",
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.store = store
        self.rules = rules or load_rules()
        self.notify = notify
        self.zone = ZoneInfo(timezone)
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.alarms = AlarmStore(store, outbox=make_outbox(notify) if notify else None, clock=self._now)

    def _now(self) -> dt.datetime:
        return self._clock().astimezone(dt.UTC).replace(microsecond=0)

    def check_all(
        self,
        enterprises: Iterable[str] | None = None,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> list[CheckReport]:
        """Check every enterprise (or those named) and send due notifications."""
        ids = list(enterprises) if enterprises is not None else [e.id for e in self.store.list_enterprises()]
        reports = [self.check(e, since=since, until=until, deliver=False) for e in ids]
        self.deliver()
        return reports

    def deliver(self) -> DeliveryReport | None:
        """Send the notifications that are due (None without a notification config)."""
        if self.notify is None:
            return None
        return deliver_due(self.alarms, self.notify, self.rules, now=self._now())

    def check(
        self,
        enterprise: str,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        deliver: bool = True,
    ) -> CheckReport:
        """Check one enterprise over ``[since, until)``.

        Parameters
        ----------
        enterprise : str
        since : datetime.datetime, optional
            Start of the window; the end of the last check, or ``first_window`` before
            ``until`` for the first one.
        until : datetime.datetime, optional
            End of the window; now when omitted.
        deliver : bool
            Send due notifications afterwards.

        Raises
        ------
        NotFoundError
            If there is no such enterprise.
        InvalidInputError
            If ``since`` is not before ``until``.
        """
        model = self.store.load_enterprise(enterprise)
        end = (until or self._now()).astimezone(dt.UTC).replace(microsecond=0)
        last = self.alarms.last_check(enterprise)
        start = since or last or end - dt.timedelta(seconds=self.rules.first_window)
        start = start.astimezone(dt.UTC).replace(microsecond=0)
        if start >= end and since is None:  # the last check already reached the end: nothing new
            return CheckReport(enterprise, end, end, open=len(self.alarms.open_alarms(enterprise)))
        if start >= end:
            raise InvalidInputError(
                f"nothing to check for {enterprise}: --since {start.isoformat()} is not before {end.isoformat()}"
            )
        rules = resolve_rules(self.rules, model, self.alarms.rule_overrides(enterprise))
        open_alarms = {(a.kind, a.key): a for a in self.alarms.open_alarms(enterprise)}
        results = self._evaluate(model, rules, start, end, open_alarms)
        report = CheckReport(enterprise, start, end)
        for result in results:
            self._apply(enterprise, result, open_alarms, start, end, report)
        report.escalated.extend(self.alarms.escalate_due(now=self._now(), enterprises=[enterprise]))
        self.alarms.set_last_check(enterprise, end)
        report = CheckReport(
            enterprise,
            start,
            end,
            report.raised,
            report.cleared,
            report.escalated,
            len(self.alarms.open_alarms(enterprise)),
        )
        if deliver:
            self.deliver()
        return report

    # --- evaluation --------------------------------------------------------------------------

    def _evaluate(
        self,
        model: Enterprise,
        rules: list[ResolvedRule],
        start: dt.datetime,
        end: dt.datetime,
        open_alarms: dict[tuple[str, str], Alarm],
    ) -> list[KeyResult]:
        by_meter: dict[str, list[ResolvedRule]] = {}
        results: list[KeyResult] = []
        monthly: list[ResolvedRule] = []
        for rule in rules:
            if not rule.enabled:
                continue
            if rule.meter is not None:
                by_meter.setdefault(rule.meter.id, []).append(rule)
            elif rule.kind == "balance_closure":
                results += evaluate_balance(rule, model, self._days(model, start, end))
            elif rule.kind in ("water_plan", "quota_pace"):
                monthly.append(rule)
        if monthly:
            results += self._monthly(model, monthly, start, end)
        previous = self.alarms.last_readings(model.id, before=start)
        meters = {m.id: m for m in model.meters}
        for meter_id, meter_rules in by_meter.items():
            series = self._series(model, meters[meter_id], meter_rules, start, end, previous.get(meter_id))
            for rule in meter_rules:
                keys = frozenset(k for (kind, k) in open_alarms if kind == rule.kind)
                results += evaluate_meter(rule, series, open_keys=keys)
        return results

    def _series(
        self,
        model: Enterprise,
        meter: Meter,
        rules: list[ResolvedRule],
        start: dt.datetime,
        end: dt.datetime,
        last_before: dt.datetime | None,
    ) -> MeterSeries:
        interval = self.rules.interval
        for _ in range(2):  # the meter's own interval may need a longer lookback than the default
            back = max((lookback(r, interval) for r in rules), default=0.0)
            low = start - dt.timedelta(seconds=back)
            frame = self.store.read_readings(model.id, meter.id, low, end)
            reading_ts = _seconds(frame["ts"])
            own = meter_interval(reading_ts, self.rules.interval)
            if own <= interval:
                break
            interval = own
        good = frame["quality"].to_numpy() != _BAD
        ts, value = reading_ts[good], frame["value"].to_numpy(dtype=np.float64)[good]
        unit = canonical_unit(meter.quantity)
        if meter.kind is MeterKind.TOTALIZER:
            ts, value = self._flows(model, meter, ts, value)
            unit = canonical_unit("flow_rate")
        previous = int(last_before.timestamp()) if last_before is not None else None
        return MeterSeries(meter, ts, value, unit, reading_ts, previous, int(end.timestamp()), interval)

    def _flows(
        self, model: Enterprise, meter: Meter, ts: npt.NDArray[np.int64], register: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Mean flow between consecutive totalizer readings, at the later reading. [m³/h]"""
        unit = lookup_unit(meter.unit, meter.quantity)
        register_max = (
            meter.register_max * unit.factor + unit.offset if meter.register_max is not None else None
        )
        resets = [
            Reset(
                int(e.ts.timestamp()),
                float(e.detail["old_register"]) * unit.factor,
                float(e.detail["new_register"]) * unit.factor,
            )
            for e in self.store.list_meter_events(model.id, meter.id)
            if e.kind == "replacement"
            and _numbers(e.detail.get("old_register"), e.detail.get("new_register"))
        ]
        intervals = totalizer_intervals(ts, register, register_max=register_max, resets=resets)
        hours = (intervals.end - intervals.start).astype(np.float64) / 3600.0
        return intervals.end, intervals.volume / hours

    def _days(
        self, model: Enterprise, start: dt.datetime, end: dt.datetime
    ) -> list[tuple[int, dict[str, float]]]:
        """Complete local days ending in (start − 1 day, end], with each flow meter's volume. [m³]"""
        low = start - dt.timedelta(days=2)
        days: dict[int, dict[str, float]] = {}
        for meter in model.meters:
            if meter.kind not in _FLOW_METERS or meter.flow is None:
                continue
            frame = self.store.read_aggregates(model.id, meter.id, "P1D", low, end)
            for day, value, count in zip(
                _seconds(frame["start"]).tolist(),
                frame["value"].tolist(),
                frame["count"].tolist(),
                strict=True,
            ):
                if not count:
                    continue
                local = _utc(day).astimezone(self.zone)
                following = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), self.zone)
                if following > end or following <= start - dt.timedelta(days=1):
                    continue
                hours = (following - local).total_seconds() / 3600.0
                days.setdefault(day, {})[meter.id] = (
                    value if meter.kind is MeterKind.TOTALIZER else value * hours
                )
        return sorted(days.items())

    def _monthly(
        self, model: Enterprise, rules: list[ResolvedRule], start: dt.datetime, end: dt.datetime
    ) -> list[KeyResult]:
        """The planned-water-use and quota-pace results of every local month in ``[start, end)``."""
        results: list[KeyResult] = []
        local_end = end.astimezone(self.zone)
        cut = dt.datetime.combine(local_end.date(), dt.time(), self.zone)  # end of the last complete day
        month = start.astimezone(self.zone).date().replace(day=1)
        while month <= local_end.date():
            following = (month + dt.timedelta(days=32)).replace(day=1)
            last = min(cut.date(), following)  # day after the last complete day of the month
            if last > month:
                at = dt.datetime.combine(last, dt.time(), self.zone)
                daily = daily_intake(self.store, model, month, last, self.zone)
                for rule in rules:
                    if rule.kind == "water_plan":
                        results += self._plan_results(model, rule, month, last, at, daily)
                    else:
                        results += self._quota_results(model, rule, month, at, daily)
            month = following
        return results

    def _plan_results(
        self,
        model: Enterprise,
        rule: ResolvedRule,
        month: dt.date,
        last: dt.date,
        at: dt.datetime,
        daily: dict[dt.date, dict[str, float]],
    ) -> list[KeyResult]:
        results: list[KeyResult] = []
        for plan in PlanStore(self.store).list_plans(model.id, start=month, end=month):
            flows = intake_flows(model, plan.source_type)
            days = [volumes for volumes in daily.values() if all(f.id in volumes for f in flows)]
            progress = PlanProgress(
                month,
                plan.source_type,
                plan.volume,
                sum(sum(v[f.id] for f in flows) for v in days),
                len(days),
                (last - month).days,
                at,
            )
            results += evaluate_plan(rule, progress)
        return results

    def _quota_results(
        self,
        model: Enterprise,
        rule: ResolvedRule,
        month: dt.date,
        at: dt.datetime,
        daily: dict[dt.date, dict[str, float]],
    ) -> list[KeyResult]:
        if len(model.products) != 1 or model.products[0].benchmark_product is None:
            return []  # the whole intake is one product's only when there is one product
        product = model.products[0]
        assert product.benchmark_product is not None
        flows = intake_flows(model)
        days = [d for d, volumes in daily.items() if all(f.id in volumes for f in flows)]
        output = sum(period_production(model, d, d + dt.timedelta(days=1)).get(product.id, 0.0) for d in days)
        progress = ProductProgress(
            month,
            product.id,
            product.name,
            product.benchmark_product,
            product.unit,
            sum(daily[d][f.id] for d in days for f in flows),
            output,
            len(days),
            at,
        )
        return evaluate_quota(rule, progress)

    # --- applying the results ------------------------------------------------------------------

    def _apply(
        self,
        enterprise: str,
        result: KeyResult,
        open_alarms: dict[tuple[str, str], Alarm],
        start: dt.datetime,
        end: dt.datetime,
        report: CheckReport,
    ) -> None:
        key = (result.kind, result.key)
        current = open_alarms.get(key)
        handled = False
        for finding in result.findings:
            if (
                finding.end is not None
                and finding.end <= start
                and (current is None or finding.end <= current.raised_at)
            ):
                continue  # over before this window (and before the open alarm): an earlier check saw it
            handled = True
            if (
                current is None
                and finding.end is not None
                and self.alarms.covering(enterprise, result.kind, result.key, finding.raised)
            ):
                continue  # raised and cleared by an earlier check of this window
            if current is None:
                seen = min(end, finding.end) if finding.end else end
                current, new = self.alarms.raise_or_touch(finding.spec(enterprise), seen=seen)
                if new:
                    report.raised.append(current)
            elif finding.end is None:
                current, _ = self.alarms.raise_or_touch(finding.spec(enterprise), seen=end)
            if finding.end is not None:
                at = max(finding.end, current.raised_at)
                report.cleared.append(
                    self.alarms.clear(
                        current.id, SYSTEM, f"condition ended at {finding.end.isoformat()}", at=at
                    )
                )
                current = None
        if current is not None and not handled and result.state == "inactive":
            note = f"condition no longer found in the readings up to {end.isoformat()}"
            report.cleared.append(self.alarms.clear(current.id, SYSTEM, note, at=max(end, current.raised_at)))
            current = None
        if current is None:
            open_alarms.pop(key, None)
        else:
            open_alarms[key] = current


def _numbers(*values: object) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values)


def run_every(seconds: float, task: Callable[[], object], stop: threading.Event) -> int:
    """Run ``task`` now and then every ``seconds`` until ``stop`` is set; return the rounds run.

    A round is never interrupted: setting ``stop`` (e.g. from a SIGINT or SIGTERM handler)
    ends the loop at the next wait.

    Examples
    --------
    >>> import threading
    >>> stop, rounds = threading.Event(), []
    >>> def task():
    ...     rounds.append(1)
    ...     if len(rounds) == 3:
    ...         stop.set()
    >>> run_every(0.01, task, stop)
    3
    """
    if not seconds > 0:
        raise InvalidInputError(f"the interval must be > 0 s, not {seconds}")
    rounds = 0
    while not stop.is_set():
        task()
        rounds += 1
        if stop.wait(seconds):
            break
    return rounds
