"""The park and region dashboards, from :func:`shuixiao.assess.assess_park` and
:func:`shuixiao.assess.assess_region`.

Both put several enterprises side by side.  Every enterprise is shown by name
with its indicators; only those the principal may read link to their
dashboard (drill-down).  Enterprises are ordered worst first by their intake
per unit product relative to the 2020 national average (the ratio the park assessment ranks
on), so the one to look at is on top.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from shuixiao.assess import EnterpriseAssessment, ParkAssessment, ParkTotal, RegionProgress
from shuixiao.model import industry_name
from shuixiao.service.web._assess import best_tier
from shuixiao.service.web._enterprise import Kpi
from shuixiao.service.web._format import format_number
from shuixiao.service.web._i18n import Translator
from shuixiao.storage import Store

__all__ = [
    "EnterpriseRow",
    "ParkView",
    "RegionView",
    "TargetRow",
    "data_span",
    "enterprise_rows",
    "park_view",
    "region_view",
]


@dataclass(frozen=True)
class EnterpriseRow:
    """One enterprise in a park or region table.

    Parameters
    ----------
    id, name, industry : str
    href : str or None
        Its dashboard, when the principal may read it.
    intake, reuse_rate, per_value_added, ratio, leakage_rate : str
        Formatted indicators: intake [m³], reuse rate [%], intake per 10⁴ CNY [m³/万元],
        intake per product over the 2020 national average [unitless], leakage rate [%].
    ratio_value : float
        The ratio, for sorting and the chart (NaN when unknown).
    tiers : dict of str to str
        Per tier ``yes``, ``no`` or ``unknown``.
    tier : str
        The highest tier it is eligible for (``none`` if none).
    worst : bool
        True for the enterprise with the highest known ratio.
    why : str
        A sentence on its worst indicator (worst enterprise only).
    """

    id: str
    name: str
    industry: str
    href: str | None
    intake: str
    reuse_rate: str
    per_value_added: str
    ratio: str
    ratio_value: float
    leakage_rate: str
    tiers: dict[str, str]
    tier: str
    worst: bool = False
    why: str = ""


def _national_ratio(a: EnterpriseAssessment) -> float:
    ratios = [b.ratio_to_baseline for b in a.benchmarks if b.region == "national"]
    return ratios[0] if ratios else math.nan


def _verdict(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def enterprise_rows(
    assessments: Sequence[EnterpriseAssessment], t: Translator, href: Callable[[str], str | None]
) -> list[EnterpriseRow]:
    """Return the rows of the enterprises, worst first (highest intake per product relative to the
    national 2020 average; unknown ratios last)."""
    rows = []
    for a in assessments:
        e, ind = a.enterprise, a.indicators
        ratio = _national_ratio(a)
        rows.append(
            EnterpriseRow(
                id=e.id,
                name=t.pick(e.name, e.name_en),
                industry=f"{e.industry_code} {industry_name(e.industry_code, t.language) or ''}".strip(),
                href=href(e.id),
                intake=format_number(ind["intake"].value),
                reuse_rate=format_number(ind["reuse_rate"].value),
                per_value_added=format_number(ind.intake_per_value_added.value),
                ratio=format_number(ratio),
                ratio_value=ratio,
                leakage_rate=format_number(ind["leakage_rate"].value),
                tiers={k: _verdict(v.eligible) for k, v in a.tiers.items()},
                tier=best_tier(a)[0],
            )
        )
    rows.sort(
        key=lambda r: (
            not math.isfinite(r.ratio_value),
            -r.ratio_value if math.isfinite(r.ratio_value) else 0,
        )
    )
    if rows and math.isfinite(rows[0].ratio_value):
        worst = rows[0]
        rows[0] = dataclasses.replace(worst, worst=True, why=t("overview.why_worst", ratio=worst.ratio))
    return rows


def _ratio_bars(rows: Sequence[EnterpriseRow], t: Translator) -> dict[str, Any]:
    known = [r for r in rows if math.isfinite(r.ratio_value)]
    return {
        "categories": [r.name for r in known],
        "series": [{"name": t("overview.ratio"), "data": [round(r.ratio_value, 3) for r in known]}],
        "unit": "",
        "reference": 1.0,
        "referenceLabel": t("overview.national_average"),
    }


def _total_kpis(totals: dict[str, ParkTotal], t: Translator) -> list[Kpi]:
    kpis = []
    for key, label_key, unit in (
        ("intake", "kpi.intake", "m³"),
        ("reuse_rate", "kpi.reuse_rate", "%"),
        ("intake_per_value_added", "kpi.intake_per_value_added", t("unit.per_value_added")),
        ("non_conventional", "kpi.non_conventional", "m³"),
        ("discharge", "kpi.discharge", "m³"),
    ):
        total = totals.get(key)
        if total is None:
            continue
        kpis.append(
            Kpi(
                key,
                t(label_key),
                format_number(total.value),
                unit,
                None,
                "none",
                t(f"status.{total.provenance.value}"),
            )
        )
    return kpis


@dataclass
class ParkView:
    """What the park dashboard shows.

    Parameters
    ----------
    id, name, region : str
    period : str
        The period shown, local dates.
    kpis : list of Kpi
        Park totals.
    rows : list of EnterpriseRow
        Worst first.
    exchanges : list of dict
        Water taken from or given to other parties of the park.
    charts : dict
        Data of the ranking chart and the park balance diagram.
    """

    id: str
    name: str
    region: str
    period: str
    kpis: list[Kpi] = field(default_factory=list)
    rows: list[EnterpriseRow] = field(default_factory=list)
    exchanges: list[dict[str, str]] = field(default_factory=list)
    charts: dict[str, Any] = field(default_factory=dict)


def _park_sankey(assessment: ParkAssessment, t: Translator) -> dict[str, Any]:
    """The park balance as a diagram: intake and the park's own supplies into each enterprise, and
    what leaves each enterprise (discharge, consumption, leakage, supply to others)."""
    nodes: dict[str, dict[str, Any]] = {}
    links: list[dict[str, Any]] = []

    def node(key: str, text: str, depth: int, colour: str) -> str:
        nodes.setdefault(key, {"id": key, "label": text, "depth": depth, "color": colour})
        return key

    fresh = node("__fresh__", t("park.fresh_intake"), 0, "#0f6fa8")
    for a in assessment.enterprises:
        e, ind = a.enterprise, a.indicators
        me = node(e.id, t.pick(e.name, e.name_en), 1, "#5b7c99")
        incoming = [x for x in assessment.exchanges if x.enterprise == e.id and x.direction == "in"]
        conventional = ind["conventional_intake"]
        if math.isfinite(conventional.value) and conventional.value > 0:
            links.append(_link(fresh, me, conventional.value, conventional.provenance.value))
        for x in incoming:
            if math.isfinite(x.value) and x.value > 0:
                source = node(f"unit:{x.unit_name}", x.unit_name, 0, "#1b8a5a")
                links.append(_link(source, me, x.value, x.provenance.value))
        for quantity, colour in (
            ("discharge", "#8c6d3f"),
            ("consumption", "#9aa5b1"),
            ("leakage", "#c0392b"),
            ("external_supply", "#1b8a5a"),
        ):
            value = ind[quantity]
            if math.isfinite(value.value) and value.value > 0:
                sink = node(f"__{quantity}__", t(f"park.sink.{quantity}"), 2, colour)
                links.append(_link(me, sink, value.value, value.provenance.value))
    return {
        "nodes": list(nodes.values()),
        "links": links,
        "unit": "m³",
        "missing": 0,
        "statusLabels": {s: t(f"status.{s}") for s in ("measured", "inferred", "estimated")},
    }


def _link(source: str, target: str, value: float, status: str) -> dict[str, Any]:
    return {
        "source": source,
        "target": target,
        "value": round(value, 1),
        "status": status if status in ("measured", "inferred", "estimated") else "estimated",
        "category": "",
    }


def park_view(
    assessment: ParkAssessment, t: Translator, zone: ZoneInfo, href: Callable[[str], str | None], region: str
) -> ParkView:
    """Assemble the park dashboard from a park assessment."""
    p = assessment.park
    rows = enterprise_rows(assessment.enterprises, t, href)
    names = {a.enterprise.id: t.pick(a.enterprise.name, a.enterprise.name_en) for a in assessment.enterprises}
    exchanges = [
        {
            "enterprise": names.get(x.enterprise, x.enterprise),
            "href": href(x.enterprise) or "",
            "direction": t(f"park.direction.{x.direction}"),
            "unit": x.unit_name,
            "volume": format_number(x.value),
            "status": x.provenance.value,
        }
        for x in assessment.exchanges
    ]
    return ParkView(
        id=p.id,
        name=t.pick(p.name, p.name_en),
        region=region,
        period=_period(assessment.start, assessment.end, zone),
        kpis=_total_kpis(assessment.totals, t),
        rows=rows,
        exchanges=exchanges,
        charts={"bars": _ratio_bars(rows, t), "sankey": _park_sankey(assessment, t)},
    )


def _period(start: dt.datetime, end: dt.datetime, zone: ZoneInfo) -> str:
    first = start.astimezone(zone).date()
    last = (end.astimezone(zone) - dt.timedelta(days=1)).date()
    return f"{first.isoformat()} – {last.isoformat()}"


@dataclass(frozen=True)
class TargetRow:
    """One target of the region.

    Parameters
    ----------
    label, scope : str
        What the target is and whose plan sets it (national or the province).
    unit : str
    baseline, target, expected, actual : str
        Formatted values; ``baseline`` with its year, ``target`` with its year.
    status : str
        ``met``, ``on_track``, ``behind`` or ``unknown``.
    reason, reference : str
    href : str or None
        The enterprise of a per-product target, when the principal may read it.
    progress : float or None
        Share of the way from the baseline to the target reached. [%]
    """

    label: str
    scope: str
    unit: str
    baseline: str
    target: str
    expected: str
    actual: str
    status: str
    reason: str
    reference: str
    href: str | None
    progress: float | None


@dataclass
class RegionView:
    """What the region dashboard shows.

    Parameters
    ----------
    id, name : str
    year : int
    years : list of int
        Years with data, newest first.
    period : str
    kpis : list of Kpi
        The region's totals.
    targets : list of TargetRow
        Headline targets (water intensity, reuse rate, tiers …).
    products : list of TargetRow
        Each enterprise's intake per product against the 2025 expected value.
    rows : list of EnterpriseRow
        Worst first, with their tiers.
    charts : dict
    """

    id: str
    name: str
    year: int
    years: list[int]
    period: str
    kpis: list[Kpi] = field(default_factory=list)
    targets: list[TargetRow] = field(default_factory=list)
    products: list[TargetRow] = field(default_factory=list)
    rows: list[EnterpriseRow] = field(default_factory=list)
    charts: dict[str, Any] = field(default_factory=dict)


def _unit(unit: str, product_unit: str | None) -> str:
    """The unit to show: the product's own (``m³/t``) for per-product targets, nothing for counts."""
    if product_unit is not None:
        return product_unit
    return "" if unit == "1" else unit


def _progress(baseline: float, target: float, actual: float) -> float | None:
    if not all(math.isfinite(v) for v in (baseline, target, actual)) or baseline == target:
        return None
    return max(0.0, min(100.0, 100.0 * (actual - baseline) / (target - baseline)))


def region_view(
    progress: RegionProgress,
    years: list[int],
    t: Translator,
    zone: ZoneInfo,
    href: Callable[[str], str | None],
) -> RegionView:
    """Assemble the region dashboard from a region's progress."""
    r = progress.region
    names = {a.enterprise.id: t.pick(a.enterprise.name, a.enterprise.name_en) for a in progress.enterprises}
    product_names = {
        (a.enterprise.id, p.benchmark_product or p.id): t.pick(p.name, p.name_en)
        for a in progress.enterprises
        for p in a.enterprise.products
    }
    product_units = {
        (a.enterprise.id, p.benchmark_product or p.id): f"m³/{p.unit}"
        for a in progress.enterprises
        for p in a.enterprise.products
    }
    provinces = {x.admin_code: t.pick(x.name, x.name_en) for a in progress.enterprises for x in a.regions}
    provinces[r.admin_code] = t.pick(r.name, r.name_en)
    targets: list[TargetRow] = []
    products: list[TargetRow] = []
    for target in progress.targets:
        if target.scope == "national":
            scope = t("region.scope_national")
        else:
            scope = t("region.scope_province", name=provinces.get(target.scope, target.scope))
        subject, _, product = (target.subject or "").partition("/")
        label = t.pick(target.label_zh, target.label_en)
        if target.subject:
            what = product_names.get((subject, product), product)
            label = t("region.product_target", enterprise=names.get(subject, subject), product=what)
        baseline = format_number(target.baseline)
        if target.baseline_year is not None and math.isfinite(target.baseline):
            baseline = f"{baseline} ({target.baseline_year})"
        row = TargetRow(
            label=label,
            scope=scope,
            unit=_unit(target.unit, product_units.get((subject, product)) if target.subject else None),
            baseline=baseline,
            target=f"{format_number(target.target)} ({target.target_year})",
            expected=format_number(target.expected),
            actual=format_number(target.actual),
            status=target.status,
            reason=target.reason,
            reference=target.reference,
            href=href(subject) if target.subject else None,
            progress=_progress(target.baseline, target.target, target.actual),
        )
        (products if target.subject else targets).append(row)
    rows = enterprise_rows(progress.enterprises, t, href)
    return RegionView(
        id=r.id,
        name=t.pick(r.name, r.name_en),
        year=progress.year,
        years=years,
        period=_period(progress.start, progress.end, zone),
        kpis=_total_kpis(progress.totals, t),
        targets=targets,
        products=products,
        rows=rows,
        charts={"bars": _ratio_bars(rows, t)},
    )


def data_span(store: Store, enterprise_ids: Sequence[str]) -> tuple[dt.datetime, dt.datetime] | None:
    """Return the first and last reading of any of ``enterprise_ids`` (None without readings)."""
    spans = [s for s in (store.reading_span(e) for e in enterprise_ids) if s is not None]
    if not spans:
        return None
    return min(s[0] for s in spans), max(s[1] for s in spans)
