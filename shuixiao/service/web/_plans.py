"""The planned-water-use panel (计划用水) of the enterprise dashboard.

The panel shows the plans of the dashboard's month and of its year with the intake so far and
the pro-rata pace, judged exactly as the alarm check judges them: the progress comes from
:func:`shuixiao.storage.plans.plan_progress` and the state from
:func:`shuixiao.alarms.evaluate_plan` with the enterprise's ``water_plan`` rule (defaults and
its overrides), whose ``warning`` and ``critical`` levels also mark the gauge.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Hashable
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

from shuixiao.alarms import PlanProgress, ResolvedRule, RuleSet, evaluate_plan, load_rules, resolve_rules
from shuixiao.model import Enterprise, SourceType, label
from shuixiao.service._cache import TimedCache
from shuixiao.service.web._format import format_number
from shuixiao.service.web._i18n import Translator
from shuixiao.service.web._render import path
from shuixiao.storage import AlarmStore, Store
from shuixiao.storage.plans import PlanStore, WaterPlan, plan_progress

__all__ = [
    "PLAN_STATES",
    "PlanFacts",
    "PlanPanel",
    "PlanRow",
    "SourceOption",
    "plan_facts",
    "plan_panel",
    "plan_state",
]

PLAN_STATES = ("ok", "warning", "critical", "over_plan", "not_judged")
"""States of a plan on the panel: under the warning level, at or above ``warning``, at or above
``critical`` (while the month runs), over the plan at the month's end, and not judged (too few
days measured, or the rule is disabled)."""

_STATUS = {"ok": "ok", "warning": "warn", "critical": "bad", "over_plan": "bad", "not_judged": "none"}


@cache
def _default_rules() -> RuleSet:
    return load_rules()


def plan_state(rule: ResolvedRule, progress: PlanProgress) -> str:
    """Return the state (one of :data:`PLAN_STATES`) the ``water_plan`` rule gives a plan's progress.

    Examples
    --------
    >>> from shuixiao.model import Enterprise
    >>> e = Enterprise("e", "示例", "x", "3120", "r")
    >>> rule = next(r for r in resolve_rules(load_rules(), e) if r.kind == "water_plan")
    >>> at = dt.datetime(2025, 3, 10, 16, tzinfo=dt.UTC)
    >>> plan_state(rule, PlanProgress(dt.date(2025, 3, 1), None, 31000.0, 8000.0, 10, 10, at))
    'warning'
    >>> plan_state(rule, PlanProgress(dt.date(2025, 3, 1), None, 31000.0, 0.0, 0, 10, at))
    'not_judged'
    """
    results = evaluate_plan(rule, progress)
    if not results:
        return "not_judged"
    active = {r.key.rsplit("/", 1)[1] for r in results if r.state == "active"}
    for state in ("over_plan", "critical", "warning"):
        if state in active:
            return state
    return "ok"


@dataclass(frozen=True)
class PlanRow:
    """One plan with its progress, formatted for the page.

    Parameters
    ----------
    month : str
        ``YYYY-MM``.
    scope : str
        The whole intake or the source type, in the page language.
    plan, intake, pace : str
        Planned volume of the month, intake of the measured days, and the plan pro rata to
        them, formatted. [m³]
    days : str
        Measured days of the elapsed ones, e.g. ``18/18``.
    ratio : float or None
        Intake over the pro-rata plan (None before a day is measured). [unitless]
    percent : str
        The ratio in per cent ('–' without one).
    state : str
        One of :data:`PLAN_STATES`.
    status : str
        ``ok``, ``warn``, ``bad`` or ``none`` (the style of the state).
    document : str
        Issuing authority and document number ('' when none).
    revision : int
    """

    month: str
    scope: str
    plan: str
    intake: str
    pace: str
    days: str
    ratio: float | None
    percent: str
    state: str
    status: str
    document: str
    revision: int


@dataclass(frozen=True)
class SourceOption:
    """A choice of the form's source type ('' for the whole intake)."""

    value: str
    label: str


@dataclass(frozen=True)
class PlanPanel:
    """The planned-water-use panel.

    Parameters
    ----------
    month : str
        The dashboard's month, ``YYYY-MM``.
    year : int
        Its year.
    current : list of PlanRow
        The plans of the month (the whole intake first).
    year_rows : list of PlanRow
        The plans of the year, by month.
    warning, critical : float or None
        The rule's levels of the pace ratio (None when not set). [unitless]
    gauge_max : float
        Upper end of the pace gauges. [unitless]
    enabled : bool
        Whether the ``water_plan`` rule is enabled for the enterprise.
    minimum_days : int
        Days measured before the pace is judged. [d]
    can_edit : bool
        The principal may set plans (the enterprise's manager, an administrator).
    form_action : str
        Where the form posts.
    sources : list of SourceOption
    """

    month: str
    year: int
    current: list[PlanRow]
    year_rows: list[PlanRow]
    warning: float | None
    critical: float | None
    gauge_max: float
    enabled: bool
    minimum_days: int
    can_edit: bool
    form_action: str
    sources: list[SourceOption]


@dataclass(frozen=True)
class PlanFacts:
    """What the panel judges, whatever the page's language: the rule, the year's plans, their progress.

    Parameters
    ----------
    rule : ResolvedRule
        The enterprise's ``water_plan`` rule (defaults and its overrides).
    plans : list of WaterPlan
        The plans in force of the year, by month.
    progress : list of PlanProgress
        The progress of each plan, in the same order.
    """

    rule: ResolvedRule
    plans: list[WaterPlan]
    progress: list[PlanProgress]


def plan_facts(
    store: Store, enterprise: Enterprise, year: int, now: dt.datetime, zone: ZoneInfo
) -> PlanFacts:
    """Read the enterprise's ``water_plan`` rule and the plans of ``year`` with their progress up to ``now``.

    Parameters
    ----------
    store : Store
    enterprise : Enterprise
    year : int
    now : datetime.datetime
        The current time (aware): only the local days ended by then count, as for the alarm check.
    zone : zoneinfo.ZoneInfo
        The instance's time zone.
    """
    overrides = AlarmStore(store).rule_overrides(enterprise.id)
    rule = next(r for r in resolve_rules(_default_rules(), enterprise, overrides) if r.kind == "water_plan")
    plans = PlanStore(store).list_plans(enterprise.id, start=f"{year}-01", end=f"{year}-12")
    return PlanFacts(rule, plans, plan_progress(store, enterprise, plans, now, zone))


def _scope(source: SourceType | None, t: Translator) -> str:
    return t("plans.whole_intake") if source is None else label(source, t.language)


def _row(plan: WaterPlan, progress: PlanProgress, rule: ResolvedRule, t: Translator) -> PlanRow:
    ratio = progress.ratio
    state = plan_state(rule, progress)
    measured = progress.measured_days > 0 and math.isfinite(ratio)
    return PlanRow(
        month=f"{plan.month:%Y-%m}",
        scope=_scope(plan.source_type, t),
        plan=format_number(plan.volume),
        intake=format_number(progress.intake) if progress.measured_days else "–",
        pace=format_number(progress.pace) if progress.measured_days else "–",
        days=f"{progress.measured_days}/{progress.elapsed_days}",
        ratio=ratio if measured else None,
        percent=f"{ratio:.0%}" if measured else "–",
        state=state,
        status=_STATUS[state],
        document=" ".join(x for x in (plan.authority, plan.document) if x),
        revision=plan.revision,
    )


def plan_panel(
    store: Store,
    enterprise: Enterprise,
    month: dt.date,
    now: dt.datetime,
    zone: ZoneInfo,
    t: Translator,
    may_write: bool,
    cache: TimedCache[PlanFacts] | None = None,
    version: Hashable | None = None,
) -> PlanPanel:
    """Assemble the planned-water-use panel of the year of ``month``.

    Parameters
    ----------
    store : Store
    enterprise : Enterprise
    month : datetime.date
        First day of the dashboard's month.
    now : datetime.datetime
        The current time (aware): only the local days ended by then count, as for the alarm check.
    zone : zoneinfo.ZoneInfo
        The instance's time zone.
    t : Translator
    may_write : bool
        Whether the principal may set plans of the enterprise.
    cache : TimedCache, optional
        Where the :class:`PlanFacts` are kept, under the enterprise, the year, the local date of
        ``now`` and ``version`` (the data version read before they are computed), so that any
        write (readings, a plan, a rule override) shows on the next view.
    version : hashable, optional
        The database's data version.
    """

    def compute() -> PlanFacts:
        return plan_facts(store, enterprise, month.year, now, zone)

    key = ("plans", version, enterprise.id, month.year, now.astimezone(zone).date())
    facts = cache.get(key, compute) if cache is not None else compute()
    rule = facts.rule
    rows = [_row(plan, progress, rule, t) for plan, progress in zip(facts.plans, facts.progress, strict=True)]
    key_month = f"{month:%Y-%m}"
    warning, critical = rule.params.get("warning"), rule.params.get("critical")
    levels = [x for x in (warning, critical) if x is not None]
    ratios = [r.ratio for r in rows if r.ratio is not None]
    return PlanPanel(
        month=key_month,
        year=month.year,
        current=[r for r in rows if r.month == key_month],
        year_rows=rows,
        warning=warning,
        critical=critical,
        gauge_max=max([*levels, *ratios, 1.0]),  # at least the plan itself (a ratio of 1)
        enabled=rule.enabled,
        minimum_days=max(int(rule.params.get("minimum_days") or 0), 1),
        can_edit=may_write,
        form_action=path("enterprises", enterprise.id, "plans"),
        sources=[SourceOption("", t("plans.whole_intake"))]
        + [SourceOption(s.value, label(s, t.language)) for s in SourceType],
    )
