"""Planned water use (计划用水) and quota pace: month-to-date intake against the plan and the quota.

Two enterprise rules of ``shuixiao/data/alarm_rules.yaml`` (pure: the facts come from the caller,
:class:`shuixiao.notify.AlarmChecker` reads them from the store):

``water_plan`` — the intake of the complete local days of the month so far against the monthly
plan pro rata to those days (:func:`plan_pace_ratio`):

.. math::

    r = \\frac{V_{\\text{mtd}}}{V_{\\text{plan}} \\cdot d / D}

with :math:`d` the days measured and :math:`D` the days of the month; :math:`r` is also the
month-end intake the pace projects, as a share of the plan.  A warning at :math:`r \\ge`
``warning`` (0.8) and a critical alarm at :math:`r \\ge` ``critical`` (1.0), separate alarms as
an ISA-18.2 high and high-high are, each cleared by ``system`` when the pace falls back under
its level.  When the month is over both are cleared and the month's intake against the plan
decides the month-end alarm ``…/over_plan`` (超计划用水, critical), which stays open as the
record until a person clears it.

``quota_pace`` — the intake per unit product of the month so far (the whole intake over the
output of the enterprise's one product in the same days, CJ 42-1999 :math:`V_{uf} = V_i / Q`)
against the product's general quota (通用值, the level for existing enterprises and planned water
use, ``docs/reference-data.md``) from :func:`shuixiao.reference.quotas`; above it, a warning,
cleared when back under.  A product whose quota depends on the plant configuration is judged
against the most lenient configuration's general value, so the alarm means "above the quota
whatever the configuration".

Keys: ``<scope>/<YYYY-MM>/warning|critical|over_plan`` (scope ``total`` or a source type) and
``<product>/<YYYY-MM>``; a new month starts new alarms.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from shuixiao.alarms._model import Severity
from shuixiao.alarms.findings import Finding, KeyResult
from shuixiao.alarms.rules import ResolvedRule
from shuixiao.errors import InvalidInputError
from shuixiao.model import SourceType, label
from shuixiao.reference import quotas

__all__ = [
    "PLAN_LEVELS",
    "PlanProgress",
    "ProductProgress",
    "evaluate_plan",
    "evaluate_quota",
    "month_days",
    "plan_pace_ratio",
]

PLAN_LEVELS: Final = ("warning", "critical")
"""The pace levels of the ``water_plan`` rule, lowest first (parameters of the same names)."""

_QUOTA_LEVEL: Final = "general"


def month_days(month: dt.date) -> int:
    """The number of days of ``month``'s calendar month.

    Examples
    --------
    >>> month_days(dt.date(2025, 2, 1)), month_days(dt.date(2024, 2, 1)), month_days(dt.date(2025, 3, 1))
    (28, 29, 31)
    """
    return calendar.monthrange(month.year, month.month)[1]


def plan_pace_ratio(
    intake: npt.ArrayLike, plan: npt.ArrayLike, days: npt.ArrayLike, month_length: npt.ArrayLike
) -> Any:
    """Month-to-date intake as a share of the plan pro rata to the days it covers.

    Parameters
    ----------
    intake : float or array_like
        Intake over the ``days``. [m³]
    plan : float or array_like
        Planned intake of the whole month. [m³]
    days : float or array_like
        Days of the month the intake covers. [d]
    month_length : float or array_like
        Days of the month. [d]

    Returns
    -------
    float or numpy.ndarray
        :math:`V / (V_{plan} \\cdot d / D)`; equally the projected month-end intake over the plan.
        NaN where ``days`` is 0 or any input is NaN. [unitless]

    Raises
    ------
    InvalidInputError
        For a plan ≤ 0, a negative intake, or days outside ``[0, month_length]``.

    Notes
    -----
    The pro-rata (linear) plan assumes even use through the month, as the authority's monthly
    plan does; weekday and holiday swings show up early in the month and fade as it goes on.

    Examples
    --------
    Plan 31 000 m³ in a 31-day month, 8 000 m³ taken in the first 10 days: 80 % of the pace.

    >>> round(plan_pace_ratio(8000.0, 31000.0, 10, 31), 6)
    0.8
    >>> plan_pace_ratio([8000.0, 12000.0], 31000.0, [10, 10], 31).round(3).tolist()
    [0.8, 1.2]
    """
    v, p = np.asarray(intake, dtype=np.float64), np.asarray(plan, dtype=np.float64)
    d, n = np.asarray(days, dtype=np.float64), np.asarray(month_length, dtype=np.float64)
    if np.any(p <= 0):
        raise InvalidInputError(f"a monthly plan must be > 0 m³, not {plan!r}")
    if np.any(v < 0):
        raise InvalidInputError(f"intake cannot be negative: {intake!r} m³")
    if np.any(n <= 0) or np.any(d < 0) or np.any(d > n):
        raise InvalidInputError(f"days {days!r} must lie between 0 and the month's {month_length!r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(d > 0, v / (p * d / np.where(n > 0, n, np.nan)), np.nan)
    return float(ratio) if ratio.ndim == 0 else ratio


@dataclass(frozen=True)
class PlanProgress:
    """Intake of a month so far against its plan.

    Parameters
    ----------
    month : datetime.date
        First day of the local calendar month.
    source_type : SourceType or None
        The source the plan covers; None for the whole intake.
    plan : float
        Planned intake of the month. [m³]
    intake : float
        Intake over the measured days. [m³]
    measured_days : int
        Complete local days of the month whose intake is measured. [d]
    elapsed_days : int
        Complete local days of the month so far (``month_days`` once the month is over). [d]
    at : datetime.datetime
        End of the last complete day (aware).
    """

    month: dt.date
    source_type: SourceType | None
    plan: float
    intake: float
    measured_days: int
    elapsed_days: int
    at: dt.datetime

    def __post_init__(self) -> None:
        if self.month.day != 1:
            raise InvalidInputError(f"month {self.month} must be the first day of a month")
        if not 0 <= self.measured_days <= self.elapsed_days <= self.days:
            raise InvalidInputError(
                f"need 0 ≤ measured ({self.measured_days}) ≤ elapsed ({self.elapsed_days}) ≤ "
                f"{self.days} days of {self.month:%Y-%m}"
            )
        if self.at.utcoffset() is None:
            raise InvalidInputError("`at` must be an aware datetime")

    @property
    def days(self) -> int:
        """Days of the month. [d]"""
        return month_days(self.month)

    @property
    def scope(self) -> str:
        """``total`` or the source type."""
        return self.source_type.value if self.source_type is not None else "total"

    @property
    def complete(self) -> bool:
        """The month is over."""
        return self.elapsed_days == self.days

    @property
    def pace(self) -> float:
        """The plan pro rata to the measured days. [m³]"""
        return self.plan * self.measured_days / self.days

    @property
    def ratio(self) -> float:
        """Intake over the pro-rata plan (NaN before a day is measured). [unitless]"""
        return float(plan_pace_ratio(self.intake, self.plan, self.measured_days, self.days))


@dataclass(frozen=True)
class ProductProgress:
    """Intake and output of a month so far, for the quota of one product.

    Parameters
    ----------
    month : datetime.date
        First day of the local calendar month.
    product, name : str
        Product id and name.
    benchmark : str
        Its key in the quota tables (``Product.benchmark_product``).
    unit : str
        Production unit.
    intake : float
        Intake of the whole enterprise over the measured days. [m³]
    production : float
        Output over the same days (records pro rata to the days). [product unit]
    measured_days : int
        Complete local days measured. [d]
    at : datetime.datetime
        End of the last complete day (aware).
    """

    month: dt.date
    product: str
    name: str
    benchmark: str
    unit: str
    intake: float
    production: float
    measured_days: int
    at: dt.datetime

    @property
    def value(self) -> float:
        """Intake per unit product, NaN without output. [m³/product unit]"""
        return self.intake / self.production if self.production > 0 else math.nan


def _num(x: float) -> str:
    return f"{x:,.0f}"


def _scope_names(source: SourceType | None) -> tuple[str, str]:
    if source is None:
        return "全部水源", "all sources"
    return label(source), label(source, "en")


def _plan_finding(
    rule: ResolvedRule, p: PlanProgress, key: str, level: str, severity: Severity, limit: float
) -> Finding:
    zh_scope, en_scope = _scope_names(p.source_type)
    month_zh, month_en = f"{p.month.year}年{p.month.month}月", f"{p.month:%Y-%m}"
    if level == "over_plan":
        title_zh = (
            f"{month_zh}超计划用水（{zh_scope}）：取水 {_num(p.intake)} m³，"
            f"月计划 {_num(p.plan)} m³（{p.ratio:.0%}）"
        )
        title_en = (
            f"Over the water-use plan in {month_en} ({en_scope}): {_num(p.intake)} m³ taken, "
            f"plan {_num(p.plan)} m³ ({p.ratio:.0%})"
        )
    else:
        word = "计划用水预警" if level == "warning" else "超计划用水进度"
        title_zh = (
            f"{month_zh}{word}（{zh_scope}）：前 {p.measured_days} 天取水 {_num(p.intake)} m³，"
            f"为按日进度计划 {_num(p.pace)} m³ 的 {p.ratio:.0%}（月计划 {_num(p.plan)} m³）"
        )
        title_en = (
            f"Water-use plan {month_en} ({en_scope}): {_num(p.intake)} m³ in {p.measured_days} days, "
            f"{p.ratio:.0%} of the plan's pace ({_num(p.pace)} m³ of {_num(p.plan)} m³ for the month)"
        )
    detail = {
        "rule": rule.id,
        "month": f"{p.month:%Y-%m}",
        "source_type": p.source_type.value if p.source_type else None,
        "level": level,
        "limit": limit,
        "plan_m3": p.plan,
        "intake_m3": p.intake,
        "pace_m3": p.pace,
        "ratio": p.ratio,
        "measured_days": p.measured_days,
        "elapsed_days": p.elapsed_days,
        "month_days": p.days,
        "at": p.at.astimezone(dt.UTC).isoformat(),
    }
    at = p.at.astimezone(dt.UTC)
    escalate = rule.escalate_after if severity is rule.severity else None
    return Finding(
        rule.id, rule.kind, key, None, severity, escalate, title_zh, title_en, detail, at, at, None
    )


def evaluate_plan(rule: ResolvedRule, progress: PlanProgress) -> list[KeyResult]:
    """Judge a month's intake so far against its plan.

    Parameters
    ----------
    rule : ResolvedRule
        The ``water_plan`` rule: ``warning`` and ``critical`` levels of the pace ratio
        [unitless] and ``minimum_days`` [d] measured before the pace is judged.
    progress : PlanProgress

    Returns
    -------
    list of KeyResult
        While the month runs, ``<scope>/<month>/warning`` (at the rule's severity) and
        ``…/critical`` (critical), active at or above their level; once it is over, both
        inactive and ``…/over_plan`` (critical) active when the month's intake reached the
        ``critical`` share of the plan.  Nothing before ``minimum_days`` are measured, or for a
        disabled rule.

    Examples
    --------
    >>> import datetime as dt
    >>> from shuixiao.alarms.rules import load_rules, resolve_rules
    >>> from shuixiao.model import Enterprise
    >>> e = Enterprise("e", "示例", "x", "3120", "r")
    >>> rule = next(r for r in resolve_rules(load_rules(), e) if r.kind == "water_plan")
    >>> at = dt.datetime(2025, 3, 10, 16, tzinfo=dt.UTC)  # end of 10 March, Beijing time
    >>> p = PlanProgress(dt.date(2025, 3, 1), None, 31000.0, 8000.0, 10, 10, at)
    >>> [(k.key, k.state) for k in evaluate_plan(rule, p)]
    [('total/2025-03/warning', 'active'), ('total/2025-03/critical', 'inactive')]
    """
    if not rule.enabled:
        return []
    if progress.measured_days < max(rule.params.get("minimum_days") or 0.0, 1.0):
        return []
    base = f"{progress.scope}/{progress.month:%Y-%m}"
    results = []
    critical = rule.params.get("critical")
    for level in PLAN_LEVELS:
        limit = rule.params.get(level)
        key = f"{base}/{level}"
        if limit is None:
            continue
        active = not progress.complete and progress.ratio >= limit
        severity = rule.severity if level == "warning" else Severity.CRITICAL
        findings = (_plan_finding(rule, progress, key, level, severity, limit),) if active else ()
        results.append(KeyResult(rule.id, rule.kind, key, None, "active" if active else "inactive", findings))
    if progress.complete and critical is not None:
        key = f"{base}/over_plan"
        over = progress.ratio >= critical
        findings = (
            (_plan_finding(rule, progress, key, "over_plan", Severity.CRITICAL, critical),) if over else ()
        )
        results.append(KeyResult(rule.id, rule.kind, key, None, "active" if over else "inactive", findings))
    return results


def _general_quota(benchmark: str) -> tuple[float, list[dict[str, Any]]] | None:
    rows = [q for q in quotas(benchmark) if q.level == _QUOTA_LEVEL]
    if not rows:
        return None
    cited = [
        {
            "id": q.id,
            "standard": q.standard,
            "edition": q.edition,
            "clause": q.clause,
            "variant": q.variant,
            "value": q.value,
            "unit": q.unit,
            "confidence": q.confidence,
        }
        for q in rows
    ]
    return max(q.value for q in rows), cited


def evaluate_quota(rule: ResolvedRule, progress: ProductProgress) -> list[KeyResult]:
    """Judge a month's intake per unit product so far against the product's general quota.

    Parameters
    ----------
    rule : ResolvedRule
        The ``quota_pace`` rule: ``minimum_days`` [d] measured before judging.
    progress : ProductProgress

    Returns
    -------
    list of KeyResult
        ``<product>/<month>``: active above the quota (a warning at the rule's severity),
        inactive at or under it; nothing for a disabled rule, before ``minimum_days``, without
        output in the days, or for a product without a general quota in the reference tables.

    Examples
    --------
    >>> import datetime as dt
    >>> from shuixiao.alarms.rules import load_rules, resolve_rules
    >>> from shuixiao.model import Enterprise
    >>> rule = next(r for r in resolve_rules(load_rules(), Enterprise("e", "示例", "x", "3120", "r"))
    ...             if r.kind == "quota_pace")
    >>> at = dt.datetime(2025, 3, 10, 16, tzinfo=dt.UTC)
    >>> p = ProductProgress(dt.date(2025, 3, 1), "steel", "粗钢", "crude_steel", "t", 50000.0, 10000.0, 10, at)
    >>> [(k.key, k.state, k.findings[0].title_en) for k in evaluate_quota(rule, p)]
    [('steel/2025-03', 'active', 'Intake per unit product of 粗钢 in 2025-03: 5 m³/t in 10 days, above the general quota 4.8 m³/t')]
    """
    if not rule.enabled or progress.measured_days < (rule.params.get("minimum_days") or 0.0):
        return []
    value = progress.value
    quota = _general_quota(progress.benchmark)
    if quota is None or not math.isfinite(value):
        return []
    limit, cited = quota
    key = f"{progress.product}/{progress.month:%Y-%m}"
    if value <= limit:
        return [KeyResult(rule.id, rule.kind, key, None, "inactive")]
    month_zh = f"{progress.month.year}年{progress.month.month}月"
    unit = f"m³/{progress.unit}"
    title_zh = (
        f"{month_zh}{progress.name}单位产品取水量 {value:.3g} {unit}（前 {progress.measured_days} 天），"
        f"超过定额通用值 {limit:.3g} {unit}"
    )
    title_en = (
        f"Intake per unit product of {progress.name} in {progress.month:%Y-%m}: {value:.3g} {unit} in "
        f"{progress.measured_days} days, above the general quota {limit:.3g} {unit}"
    )
    at = progress.at.astimezone(dt.UTC)
    detail = {
        "rule": rule.id,
        "month": f"{progress.month:%Y-%m}",
        "product": progress.product,
        "benchmark_product": progress.benchmark,
        "intake_m3": progress.intake,
        "production": progress.production,
        "production_unit": progress.unit,
        "value": value,
        "unit": unit,
        "quota": limit,
        "quota_level": _QUOTA_LEVEL,
        "quotas": cited,
        "measured_days": progress.measured_days,
        "at": at.isoformat(),
    }
    finding = Finding(
        rule.id,
        rule.kind,
        key,
        None,
        rule.severity,
        rule.escalate_after,
        title_zh,
        title_en,
        detail,
        at,
        at,
        None,
    )
    return [KeyResult(rule.id, rule.kind, key, None, "active", (finding,))]
