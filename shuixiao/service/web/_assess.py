"""The assessment panels of the enterprise dashboard: KPIs against quotas and targets, and the
water balance as a Sankey diagram, from :func:`shuixiao.assess.assess_enterprise`."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Hashable

from shuixiao.assess import EnterpriseAssessment, assess_enterprise
from shuixiao.balance import Grade, Indicator, Provenance, Status
from shuixiao.errors import ShuixiaoError
from shuixiao.service._cache import TimedCache
from shuixiao.service.web._enterprise import EnterpriseView, Kpi
from shuixiao.service.web._format import format_number
from shuixiao.service.web._i18n import Translator
from shuixiao.service.web._sankey import sankey_views
from shuixiao.storage import Store

__all__ = ["TIERS", "add_assessment", "best_tier", "kpis_of"]

TIERS = ("leader", "benchmark", "water_saving")
"""Tiers from the highest down: 水效领跑者, 节水标杆, 节水型企业."""

# Criterion ids of tiers.yaml end with these words for each indicator shown as a KPI.
_CRITERION_SUFFIX = {"reuse_rate": ".reuse", "leakage_rate": ".leakage"}
_RULE = re.compile(r"[≥≤<>]=?\s*[\d.]+\s*%?")
_GRADE_STATUS = {
    Grade.LEADING: "ok",
    Grade.ADVANCED: "ok",
    Grade.GENERAL: "warn",
    Grade.ABOVE_GENERAL: "bad",
}
_CRITERION_STATUS = {Status.MET: "ok", Status.NOT_MET: "bad", Status.UNKNOWN: "none"}


def _provenance_note(indicator: Indicator, t: Translator) -> str:
    return t(f"status.{indicator.provenance.value}")


def _criterion(assessment: EnterpriseAssessment, indicator: str, t: Translator) -> tuple[str | None, str]:
    """The water-saving tier's criterion on ``indicator``: its rule as text and its status."""
    suffix = _CRITERION_SUFFIX.get(indicator)
    tier = assessment.tiers.get("water_saving")
    if suffix is None or tier is None:
        return None, "none"
    for criterion in tier.criteria:
        if criterion.id.endswith(suffix):
            rule = _RULE.search(criterion.description)
            text = rule.group(0) if rule else criterion.description
            return t("kpi.criterion", tier=t("tier.water_saving"), rule=text), _CRITERION_STATUS[
                criterion.status
            ]
    return None, "none"


def best_tier(assessment: EnterpriseAssessment) -> tuple[str, bool | None]:
    """Return the highest tier the enterprise is eligible for (``none`` if none) and whether that is certain.

    The second value is False when a higher tier is undecided for want of stated facts.
    """
    undecided = False
    for tier in TIERS:
        verdict = assessment.tiers[tier].eligible if tier in assessment.tiers else False
        if verdict is True:
            return tier, not undecided
        if verdict is None:
            undecided = True
    return "none", not undecided


def kpis_of(assessment: EnterpriseAssessment, t: Translator) -> list[Kpi]:
    """Return the KPI cards of an assessment: intake, reuse rate, intake per product against the
    quota and the 2025 target, intake per 10⁴ CNY, discharge and leakage rates, the tier."""
    ind = assessment.indicators
    kpis: list[Kpi] = []
    intake = ind["intake"]
    per_day = intake.value / assessment.days if assessment.days > 0 else math.nan
    kpis.append(
        Kpi(
            "intake",
            t("kpi.intake"),
            format_number(intake.value),
            "m³",
            t("kpi.per_day", value=format_number(per_day)),
            "none",
            _provenance_note(intake, t),
        )
    )
    reuse = ind["reuse_rate"]
    reference, status = _criterion(assessment, "reuse_rate", t)
    kpis.append(
        Kpi(
            "reuse_rate",
            t("kpi.reuse_rate"),
            format_number(reuse.value),
            "%",
            reference,
            status,
            _provenance_note(reuse, t),
        )
    )
    products = {p.id: p for p in assessment.enterprise.products}
    for key, indicator in ind.intake_per_product.items():
        product = products.get(key)
        name = t.pick(product.name, product.name_en) if product else key
        unit = f"m³/{product.unit}" if product else indicator.unit
        bench = assessment.benchmark(
            product.benchmark_product if product and product.benchmark_product else key
        )
        reference, status = None, "none"
        if bench is not None:
            parts = []
            if bench.grade is not Grade.UNKNOWN:
                parts.append(t("kpi.grade", grade=t(f"grade.{bench.grade.value}")))
                status = _GRADE_STATUS[bench.grade]
            if math.isfinite(bench.expected_2025):
                parts.append(t("kpi.target_2025", value=format_number(bench.expected_2025)))
                if bench.grade is Grade.UNKNOWN and bench.meets_2025 is not None:
                    status = "ok" if bench.meets_2025 else "bad"
            if math.isfinite(bench.baseline_2020):
                parts.append(t("kpi.national", value=format_number(bench.baseline_2020)))
            reference = " · ".join(parts) or None
        kpis.append(
            Kpi(
                f"intake_per_product:{key}",
                t("kpi.intake_per_product", product=name),
                format_number(indicator.value),
                unit,
                reference,
                status,
                _provenance_note(indicator, t),
            )
        )
    per_value = ind.intake_per_value_added
    kpis.append(
        Kpi(
            "intake_per_value_added",
            t("kpi.intake_per_value_added"),
            format_number(per_value.value),
            t("unit.per_value_added"),
            None,
            "none",
            _provenance_note(per_value, t),
        )
    )
    for name in ("discharge_rate", "leakage_rate"):
        indicator = ind[name]
        reference, status = _criterion(assessment, name, t)
        kpis.append(
            Kpi(
                name,
                t(f"kpi.{name}"),
                format_number(indicator.value),
                "%",
                reference,
                status,
                _provenance_note(indicator, t),
            )
        )
    tier, certain = best_tier(assessment)
    kpis.append(
        Kpi(
            "tier",
            t("kpi.tier"),
            t(f"tier.{tier}"),
            "",
            None if certain else t("kpi.tier_undecided"),
            "ok" if tier != "none" else ("none" if not certain else "bad"),
            None,
        )
    )
    return kpis


def add_assessment(
    view: EnterpriseView,
    store: Store,
    zone_name: str,
    t: Translator,
    cache: TimedCache[EnterpriseAssessment] | None,
    version: Hashable | None = None,
) -> None:
    """Fill the KPI and balance panels of ``view`` with the assessment of its month.

    The assessment is kept in ``cache`` under the enterprise, the month and ``version``, the
    :class:`~shuixiao.service._cache.DataVersion` read before it is computed, so that a write
    (new readings, a model import) is shown on the next page view.
    """
    month = view.month
    if month is None:
        return

    def compute() -> EnterpriseAssessment:
        return assess_enterprise(store, view.id, month.since, month.until, zone=zone_name)

    key = ("enterprise", version, view.id, month.since, month.until)
    try:
        assessment = cache.get(key, compute) if cache is not None else compute()
    except ShuixiaoError as err:
        view.assessment_note = t("assess.failed", reason=err.diagnostics())
        return
    view.kpis = kpis_of(assessment, t)
    view.sankey = sankey_views(assessment.sankey(), assessment.enterprise, t)
    view.sankey_note = t("sankey.note", missing=view.sankey["missing"]) if view.sankey["missing"] else None
    view.findings = [t.pick(f.text_zh, f.text_en) for f in assessment.findings]
    notes = []
    if month.partial:
        last_day = (month.until - dt.timedelta(days=1)).date()
        notes.append(t("assess.partial", since=month.since.date().isoformat(), until=last_day.isoformat()))
    if assessment.indicators["intake"].provenance is not Provenance.MEASURED:
        notes.append(t("assess.estimated_note"))
    view.assessment_note = " ".join(notes) or None
