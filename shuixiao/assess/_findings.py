"""Problems found and recommendations, derived from an enterprise's assessment results.

Every finding comes from a number of the assessment compared with a reference value (a
tolerance, a quota, a target, a tier criterion, a coverage parameter); none is a fixed text.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shuixiao.assess.volumes import PeriodVolumes
from shuixiao.balance import (
    Grade,
    Indicators,
    ProductBenchmark,
    Provenance,
    Reconciliation,
    Status,
    TierAssessment,
    WaterBalance,
)
from shuixiao.model import Enterprise
from shuixiao.reference import parameter

__all__ = ["Finding", "Note", "findings_of"]


@dataclass(frozen=True)
class Finding:
    """A problem found, or a recommendation, with its subject and numbers.

    Parameters
    ----------
    code : str
        What was checked: ``closure``, ``level_check``, ``unit_closure``, ``suspect_meter``,
        ``data_gap``, ``unmetered``, ``estimated_flow``, ``metering``, ``verification_due``,
        ``quota``, ``target_2025``, ``tier_criterion``.
    kind : {'problem', 'recommendation'}
    subject : str or None
        Meter, unit, flow, product or criterion id.
    text_zh, text_en : str
        The finding in words.
    potential : float or None
        Water that acting on it could save in the period, where it can be computed. [m³]
    """

    code: str
    kind: str
    subject: str | None
    text_zh: str
    text_en: str
    potential: float | None = None

    def text(self, language: str = "zh") -> str:
        """The text in ``language`` ('zh' or 'en')."""
        return self.text_en if language == "en" else self.text_zh

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "code": self.code,
            "kind": self.kind,
            "subject": self.subject,
            "text_zh": self.text_zh,
            "text_en": self.text_en,
            "potential_m3": self.potential
            if self.potential is None or math.isfinite(self.potential)
            else None,
        }


@dataclass(frozen=True)
class Note:
    """A convention or limit of an assessment, in Chinese and English.

    Parameters
    ----------
    code : str
        ``storage``, ``estimated``, ``reconciliation``.
    text_zh, text_en : str
    """

    code: str
    text_zh: str
    text_en: str

    def text(self, language: str = "zh") -> str:
        """The text in ``language`` ('zh' or 'en')."""
        return self.text_en if language == "en" else self.text_zh

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"code": self.code, "text_zh": self.text_zh, "text_en": self.text_en}


def findings_of(
    enterprise: Enterprise,
    end: dt.datetime,
    volumes: PeriodVolumes,
    balance: WaterBalance,
    reconciliation: Reconciliation | None,
    indicators: Indicators,
    benchmarks: Sequence[ProductBenchmark],
    production: dict[str, float],
    tiers: dict[str, TierAssessment],
    estimated: Sequence[str],
) -> list[Finding]:
    """Return the problems and recommendations that follow from the assessment's results.

    Problems come first, then recommendations by the water they could save (largest first).
    """
    out: list[Finding] = []
    names = {u.id: u.name for u in enterprise.units}
    names_en = {u.id: u.name_en or u.id for u in enterprise.units}
    l1 = balance.level1
    if l1.within_tolerance is False:
        out.append(
            Finding(
                "closure",
                "problem",
                None,
                f"全厂水量平衡闭合差 {l1.closure:.1%}，超过允许值 {l1.tolerance:.0%}：核查一级水表和未计量的排水、耗水。",
                f"Whole-plant closure error {l1.closure:.1%} exceeds {l1.tolerance:.0%}: check the level-1 meters "
                "and unmetered discharge or consumption.",
            )
        )
    lc = balance.level_check
    if lc.within_tolerance is False:
        out.append(
            Finding(
                "level_check",
                "problem",
                None,
                f"一级取水量与二级用水单位取水量之和相差 {lc.difference:.1%}（允许 {lc.tolerance:.0%}）：供水系统自用或漏损偏大，或二级水表有误。",
                f"Level-1 intake differs from the sum of the level-2 sub-units by {lc.difference:.1%} (allowed "
                f"{lc.tolerance:.0%}): supply-system losses or level-2 meter errors.",
            )
        )
    for u in [*balance.groups.values(), *balance.units.values()]:
        if u.within_tolerance is False and u.closure_provenance in (
            Provenance.MEASURED,
            Provenance.ESTIMATED,
        ):
            out.append(
                Finding(
                    "unit_closure",
                    "problem",
                    u.unit,
                    f"{names.get(u.unit, u.unit)} 水量不平衡，闭合差 {u.closure:.1%}（允许 {u.tolerance:.0%}）：检查其进出水表与漏损。",
                    f"{names_en.get(u.unit, u.unit)} does not balance: closure {u.closure:.1%} (allowed "
                    f"{u.tolerance:.0%}); check its meters and look for leaks.",
                )
            )
    if reconciliation is not None:
        for group in reconciliation.suspects:
            first, *same = group
            alike = f"（与 {'、'.join(same)} 无法区分）" if same else ""
            alike_en = f" (indistinguishable from {', '.join(same)})" if same else ""
            out.append(
                Finding(
                    "suspect_meter",
                    "problem",
                    first,
                    f"数据协调的显著误差检验指出计量器具 {first}{alike} 可能有粗大误差：安排校准或比对。",
                    f"The gross-error tests of data reconciliation name meter {first}{alike_en} as likely faulty: "
                    "calibrate or check it against a portable meter.",
                )
            )
    complete = parameter("coverage_complete", table="assess").value
    for v in volumes.meters.values():
        if v.volume_coverage < complete or v.provenance is Provenance.MISSING:
            out.append(
                Finding(
                    "data_gap",
                    "problem",
                    v.meter,
                    f"计量器具 {v.meter} 数据覆盖 {v.volume_coverage:.1%}，其水量按{_zh_prov(v.provenance)}处理：检查采集与通信。",
                    f"Meter {v.meter} covers {v.volume_coverage:.1%} of the period; its volume is {v.provenance.value}: "
                    "check data collection and communication.",
                )
            )
    by_unit: dict[str, list[str]] = {}
    for f in balance.undetermined:
        by_unit.setdefault(enterprise.flow(f).from_unit, []).append(f)
    for unit, flows in by_unit.items():
        total = balance.total(flows)
        listed = "、".join(flows)
        if total.provenance is Provenance.MISSING:
            out.append(
                Finding(
                    "unmetered",
                    "recommendation",
                    unit,
                    f"{names.get(unit, unit)} 的 {listed} 既无计量也不能由平衡推算：加装计量器具。",
                    f"{', '.join(flows)} of {names_en.get(unit, unit)} are neither metered nor determined by "
                    "the balances: install meters.",
                )
            )
        elif len(flows) > 1:
            out.append(
                Finding(
                    "unmetered",
                    "recommendation",
                    unit,
                    f"{names.get(unit, unit)} 的 {listed} 合计 {total.value:,.0f} m³ 由平衡推算，分项未知：需要分项时加装计量器具。",
                    f"{', '.join(flows)} of {names_en.get(unit, unit)} total {total.value:,.0f} m³ from the "
                    "balances, the split is unknown: meter them where the split matters.",
                )
            )
    for f in estimated:
        out.append(
            Finding(
                "estimated_flow",
                "recommendation",
                f,
                f"水量 {f} 按设计流量估算（测试用）：加装计量器具以便长期考核。",
                f"Flow {f} is estimated from its design rate: meter it for continuous assessment.",
            )
        )
    for level, rate in indicators.metering_rate.items():
        needed = parameter("metering_rate", table="metering_gbt24789", level=level).value
        if math.isfinite(rate.value) and rate.value < needed:
            out.append(
                Finding(
                    "metering",
                    "recommendation",
                    f"level{level}",
                    f"{level} 级水计量率 {rate.value:.1f}%，低于 GB/T 24789 要求 {needed:g}%：补装计量器具。",
                    f"Level-{level} metering rate {rate.value:.1f} % is below the GB/T 24789 requirement "
                    f"{needed:g} %: add meters.",
                )
            )
    period = parameter("verification_period", table="metering_gbt24789", scope="above_dn50")
    for m in enterprise.meters:
        last = m.calibrated or m.installed
        if last is None:
            continue
        due = dt.date(last.year + int(period.value), last.month, min(last.day, 28))
        if due < end.date():
            out.append(
                Finding(
                    "verification_due",
                    "recommendation",
                    m.id,
                    f"计量器具 {m.id} 上次检定 {last.isoformat()}，按 JJG 162 大口径表 {period.value:g} 年周期已到期：安排检定或更换。",
                    f"Meter {m.id} was last verified on {last.isoformat()}; the JJG 162 period of {period.value:g} "
                    "years for large meters has passed: verify or replace it.",
                )
            )
    for b in benchmarks:
        quantity = production.get(_product_id(enterprise, b.product), math.nan)
        if b.grade is Grade.ABOVE_GENERAL:
            general = min((q.value for q in b.quotas if q.level == "general"), default=math.nan)
            out.append(
                Finding(
                    "quota",
                    "problem",
                    b.product,
                    f"{b.product} 单位产品取水量 {b.value:.3g} 超过取水定额通用值 {general:g}：须实施节水改造。",
                    f"Intake per unit of {b.product} {b.value:.3g} exceeds the quota's general value {general:g}: "
                    "a water-saving retrofit is required.",
                    _potential(b.value, general, quantity),
                )
            )
        elif b.grade is Grade.GENERAL and b.region == "national":
            advanced = min((q.value for q in b.quotas if q.level == "advanced"), default=math.nan)
            if math.isfinite(advanced):
                out.append(
                    Finding(
                        "quota",
                        "recommendation",
                        b.product,
                        f"{b.product} 单位产品取水量 {b.value:.3g}，达到通用值、未达先进值 {advanced:g}：对标先进值挖掘节水潜力。",
                        f"Intake per unit of {b.product} {b.value:.3g} meets the general but not the advanced "
                        f"value {advanced:g}: aim for the advanced value.",
                        _potential(b.value, advanced, quantity),
                    )
                )
        if b.meets_2025 is False:
            region = "全国" if b.region == "national" else b.region
            out.append(
                Finding(
                    "target_2025",
                    "recommendation",
                    b.product,
                    f"{b.product} 单位产品取水量 {b.value:.3g}，高于{region} 2025 年预期值 {b.expected_2025:.3g}。",
                    f"Intake per unit of {b.product} {b.value:.3g} is above the {b.region} expected 2025 value "
                    f"{b.expected_2025:.3g}.",
                    _potential(b.value, b.expected_2025, quantity),
                )
            )
    seen = set()
    for t in tiers.values():
        for c in t.criteria:
            if c.status is Status.NOT_MET and c.id not in seen and c.id.startswith(t.tier):
                seen.add(c.id)
                out.append(
                    Finding(
                        "tier_criterion",
                        "recommendation",
                        c.id,
                        f"{_zh_tier(t.tier)}条件未满足：{c.description}（{c.reason}）。",
                        f"{t.tier} criterion not met: {c.description} ({c.reason}).",
                    )
                )
    # problems first; then the recommendations that save most water; otherwise in the order found
    return sorted(out, key=lambda f: (f.kind != "problem", -(f.potential or 0.0)))


def _potential(value: float, target: float, quantity: float) -> float | None:
    """Water saved by bringing ``value`` down to ``target`` over ``quantity`` units of product. [m³]"""
    if not all(math.isfinite(x) for x in (value, target, quantity)) or value <= target:
        return None
    return (value - target) * quantity


def _product_id(enterprise: Enterprise, benchmark_key: str) -> str:
    for p in enterprise.products:
        if p.benchmark_product == benchmark_key:
            return p.id
    return benchmark_key


def _zh_prov(p: Provenance) -> str:
    return {"measured": "实测", "inferred": "推算", "estimated": "估算", "missing": "缺失"}[p.value]


def _zh_tier(tier: str) -> str:
    return {"water_saving": "节水型企业", "benchmark": "节水标杆", "leader": "水效领跑者"}[tier]
