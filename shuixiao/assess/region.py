"""Progress of a region's enterprises against the Action Plan's and the province's targets.

For one year, every enterprise of the region (and of the regions inside it) is assessed
and summed; each target of the national plan (seed 001) and of the province's plan
(Hunan, seed 003) that can be judged from that is stated as **met**, **on track**,
**behind** or **unknown**, with the reason:

* a level to reach by the target year (water per 10⁴ CNY value added, reuse rate,
  intake per unit product) is *met* when reached; before the target year it is *on track*
  when at or better than the straight line from the base value to the target value for
  that year, *behind* otherwise;
* a total or a count for a whole country or province (non-conventional water, numbers of
  benchmark and leader enterprises) can only be *met* by the region's own enterprises;
  short of it, their figure is a contribution and the status is *unknown*;
* the 2020 base of the value-added intensity comes from the store when the region's
  enterprises have data for 2020, else from a value the caller supplies for the target's
  region (``baselines``; ``shuixiao targets --baseline 430000=…``), else from the published
  average of the target's region (``region_baselines.yaml``), in which case the comparison is
  with that average level; without any of them the target is *unknown* and the reason says
  how to supply the base (the seeds print no 2020 value for Hunan).

See ``docs/assess.md``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from shuixiao.assess import _json
from shuixiao.assess._parallel import assess_many
from shuixiao.assess._period import as_zone, local_period
from shuixiao.assess.enterprise import EnterpriseAssessment, region_chain
from shuixiao.assess.park import ParkTotal, park_totals
from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.model import Region
from shuixiao.reference import TargetEntry, sectors_of, target_entries
from shuixiao.storage import Store

__all__ = [
    "ProgressStatus",
    "RegionProgress",
    "TargetProgress",
    "assess_region",
    "progress_status",
    "target_progress",
]

ProgressStatus = str
"""``met``, ``on_track``, ``behind`` or ``unknown``."""

KEY_SECTORS = frozenset({"steel", "petrochemical", "refining", "textile", "paper", "food", "nonferrous"})
"""Sectors of the Action Plan's 重点用水行业 (steel, petrochemical and chemical, textile, paper,
food, non-ferrous metals), as sector keys of ``sectors.yaml``."""


@dataclass(frozen=True)
class TargetProgress:
    """One target judged for a region and year.

    Parameters
    ----------
    id : str
        Reference entry id of the target (per-product rows add the enterprise).
    scope : str
        ``national`` or the GB/T 2260 code of the province whose plan sets it.
    quantity : str
        ``intake_per_value_added``, ``reuse_rate``, ``intake_per_product``,
        ``non_conventional_use``, ``water_saving_enterprise_share``, ``benchmark_enterprises`` …
    subject : str or None
        Enterprise (and product) a per-product row is about.
    label_zh, label_en : str
    unit : str
    baseline : float
        Base value (NaN when unknown). [unit]
    baseline_year : int or None
    baseline_source : str or None
        ``store``, ``given`` (supplied by the caller) or ``reference``.
    target : float
        Value to reach. [unit]
    target_year : int
    expected : float
        The straight-line value for the assessed year (NaN when it does not apply). [unit]
    actual : float
        The region's value in the assessed year. [unit]
    status : str
        ``met``, ``on_track``, ``behind`` or ``unknown``.
    reason : str
    reference : str
        Plan, document number and clause.
    lower_is_better : bool
    """

    id: str
    scope: str
    quantity: str
    subject: str | None
    label_zh: str
    label_en: str
    unit: str
    baseline: float
    baseline_year: int | None
    baseline_source: str | None
    target: float
    target_year: int
    expected: float
    actual: float
    status: str
    reason: str
    reference: str
    lower_is_better: bool
    reason_zh: str = ""

    def trajectory(self) -> list[tuple[int, float]]:
        """The straight line from the base to the target, one point a year. [unit]"""
        if self.baseline_year is None or not math.isfinite(self.baseline):
            return [(self.target_year, self.target)]
        span = self.target_year - self.baseline_year
        return [
            (y, self.baseline + (self.target - self.baseline) * (y - self.baseline_year) / span)
            for y in range(self.baseline_year, self.target_year + 1)
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with the trajectory."""
        return {
            "id": self.id,
            "scope": self.scope,
            "quantity": self.quantity,
            "subject": self.subject,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "unit": self.unit,
            "baseline": _json.num(self.baseline),
            "baseline_year": self.baseline_year,
            "baseline_source": self.baseline_source,
            "target": _json.num(self.target),
            "target_year": self.target_year,
            "expected": _json.num(self.expected),
            "actual": _json.num(self.actual),
            "status": self.status,
            "reason": self.reason,
            "reason_zh": self.reason_zh,
            "reference": self.reference,
            "lower_is_better": self.lower_is_better,
            "trajectory": [[y, _json.num(v)] for y, v in self.trajectory()],
        }


@dataclass(frozen=True)
class RegionProgress:
    """A region's progress in one year.

    Parameters
    ----------
    region : Region
    year : int
    start, end : datetime.datetime
        The period assessed (the local year, or the part of it given).
    zone : str
    enterprises : tuple of EnterpriseAssessment
    totals : dict of str to ParkTotal
        The region's sums and ratios (as :class:`~shuixiao.assess.ParkAssessment`).
    targets : tuple of TargetProgress
    tiers : dict of str to dict of str to bool or None
        Tier eligibility of each enterprise: ``{enterprise: {tier: eligible}}``.
    """

    region: Region
    year: int
    start: dt.datetime
    end: dt.datetime
    zone: str
    enterprises: tuple[EnterpriseAssessment, ...]
    totals: dict[str, ParkTotal]
    targets: tuple[TargetProgress, ...]
    tiers: dict[str, dict[str, bool | None]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (enterprises summarised by their tiers; targets with trajectories)."""
        return {
            "region": {
                "id": self.region.id,
                "name": self.region.name,
                "name_en": self.region.name_en,
                "admin_code": self.region.admin_code,
            },
            "year": self.year,
            "period": {"start": _json.when(self.start), "end": _json.when(self.end), "timezone": self.zone},
            "enterprises": [a.enterprise.id for a in self.enterprises],
            "totals": {
                k: {"value": _json.num(v.value), "unit": v.unit, "provenance": v.provenance.value}
                for k, v in self.totals.items()
            },
            "targets": [t.to_dict() for t in self.targets],
            "tiers": self.tiers,
        }


def progress_status(
    actual: float, target: float, expected: float, year: int, target_year: int, *, lower_is_better: bool
) -> tuple[str, str, str]:
    """Return ``(status, reason, reason_zh)`` of a level target (the reason in English and Chinese).

    Examples
    --------
    >>> progress_status(26.0, 27.6, 29.2, 2023, 2025, lower_is_better=True)[0]
    'met'
    >>> progress_status(28.5, 27.6, 29.2, 2023, 2025, lower_is_better=True)[0]
    'on_track'
    >>> progress_status(30.0, 27.6, 29.2, 2023, 2025, lower_is_better=True)[:2]
    ('behind', '30 misses 29.2 on the line to 27.6 in 2025')
    """
    if not math.isfinite(actual):
        return "unknown", "no value for the year", "当年无数据"
    if not math.isfinite(target):
        return "unknown", "no target value (the base is unknown)", "无目标值（基准未知）"

    def better(a: float, b: float) -> bool:
        return a <= b if lower_is_better else a >= b

    word = "≤" if lower_is_better else "≥"
    if better(actual, target):
        return "met", f"{actual:.4g} {word} target {target:.4g}", f"{actual:.4g} {word} 目标值 {target:.4g}"
    if year < target_year and math.isfinite(expected) and better(actual, expected):
        return (
            "on_track",
            f"{actual:.4g} {word} {expected:.4g} on the line to {target:.4g} in {target_year}",
            f"{actual:.4g} {word} 当年路径值 {expected:.4g}（{target_year} 年目标 {target:.4g}）",
        )
    if year < target_year and math.isfinite(expected):
        return (
            "behind",
            f"{actual:.4g} misses {expected:.4g} on the line to {target:.4g} in {target_year}",
            f"{actual:.4g} 未达当年路径值 {expected:.4g}（{target_year} 年目标 {target:.4g}）",
        )
    return "behind", f"{actual:.4g} misses target {target:.4g}", f"{actual:.4g} 未达目标值 {target:.4g}"


def assess_region(
    store: Store,
    region_id: str,
    year: int,
    *,
    zone: str | ZoneInfo = "Asia/Shanghai",
    period: tuple[dt.datetime, dt.datetime] | None = None,
    facts: Mapping[str, Mapping[str, bool]] | None = None,
    variants: Mapping[str, str] | None = None,
    baselines: Mapping[str, float] | None = None,
    workers: int = 1,
) -> RegionProgress:
    """Assess a region's enterprises for ``year`` against the national and provincial targets.

    Parameters
    ----------
    store : Store
    region_id : str
        Region id; enterprises of the regions inside it count too.
    year : int
        The year judged (the trajectory's point).
    zone : str or zoneinfo.ZoneInfo
    period : tuple of datetime.datetime, optional
        Part of the year to assess when the data do not cover all of it (ratios such as the
        reuse rate and the intensity compare; totals are those of the part).
    facts : mapping of str to mapping, optional
        Stated facts for the tier criteria, by enterprise id.
    variants : mapping of str to str, optional
        Quota variant by product key.
    baselines : mapping of str to float, optional
        2020 water use per 10⁴ CNY industrial value added of a target's region, by scope
        (``national`` or a GB/T 2260 code such as ``430000``), where the reference data have
        none. [m³/万元]
    workers : int, optional
        Processes that assess the enterprises (1: this process).  More than one pays off for
        regions of some hundred enterprises or more on a machine with as many free cores; the
        result is the same.  Each worker opens the database again
        (:meth:`~shuixiao.storage.Store.url_to_reopen`), so an in-memory SQLite database needs 1.

    Raises
    ------
    NotFoundError
        If there is no such region.
    InvalidInputError
        If a supplied base is not a positive number, or ``workers`` is not a whole number ≥ 1.
    ConfigurationError
        If ``workers`` > 1 and the store is an in-memory SQLite database.
    """
    tz = as_zone(zone)
    regions = store.list_regions()
    by_id = {r.id: r for r in regions}
    if region_id not in by_id:
        raise NotFoundError(f"no region {region_id!r}; regions: {', '.join(sorted(by_id)) or 'none'}")
    region = by_id[region_id]
    inside = {r.id for r in regions if region_id in {c.id for c in region_chain(regions, r.id)}}
    members = [s.id for s in store.list_enterprises() if s.region in inside]
    start, end = period if period is not None else local_period(year, zone=tz)
    assessments = assess_many(
        store, members, start, end, zone=tz, facts=facts, variants=variants, regions=regions, workers=workers
    )
    base = _store_base(store, members, year, tz, regions, variants, workers)
    targets = target_progress(
        assessments, year, region_chain(regions, region_id), base=base, baselines=baselines
    )
    tiers = {a.enterprise.id: {k: v.eligible for k, v in a.tiers.items()} for a in assessments}
    return RegionProgress(
        region,
        year,
        start.astimezone(dt.UTC),
        end.astimezone(dt.UTC),
        tz.key,
        assessments,
        park_totals(assessments),
        targets,
        tiers,
    )


def target_progress(
    assessments: Sequence[EnterpriseAssessment],
    year: int,
    chain: Sequence[Region],
    *,
    base: Mapping[int, Mapping[str, ParkTotal]] | None = None,
    baselines: Mapping[str, float] | None = None,
) -> tuple[TargetProgress, ...]:
    """Judge the national and provincial targets for a set of assessed enterprises.

    Used by :func:`assess_region`, and for a park's or one enterprise's progress.

    Parameters
    ----------
    assessments : sequence of EnterpriseAssessment
        The enterprises, assessed over (part of) ``year``.
    year : int
    chain : sequence of Region
        Their region and its parents (innermost first): which provincial plans apply.
    base : mapping, optional
        Totals of the same enterprises in the base year (2020), when stored.
    baselines : mapping of str to float, optional
        2020 water use per 10⁴ CNY value added by scope, supplied by the caller. [m³/万元]

    Raises
    ------
    InvalidInputError
        If a supplied base is not a positive number.
    """
    for scope, value in (baselines or {}).items():
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise InvalidInputError(
                f"the 2020 base of {scope} must be a positive number of m³/万元, not {value!r}"
            )
    group = tuple(assessments)
    totals = park_totals(group)
    scopes = list(dict.fromkeys(["national", *[r.admin_code for r in chain if _has_targets(r.admin_code)]]))
    names = {r.admin_code: r.name for r in chain}
    targets: list[TargetProgress] = []
    for scope in scopes:
        targets += _headline(
            scope, year, totals, group, dict(base or {}), names, (baselines or {}).get(scope)
        )
    targets += _per_product(group, year, names)
    return tuple(targets)


def _has_targets(code: str) -> bool:
    return any(e.region == code for e in target_entries())


def _entry(scope: str, quantity: str, *, year: int | None = None) -> TargetEntry | None:
    for e in target_entries():
        if e.region == scope and e.quantity == quantity and (year is None or e.year == year):
            return e
    return None


def _cite(e: TargetEntry) -> str:
    return f"{e.standard} {e.edition}, {e.clause} [{e.confidence}]"


def _store_base(
    store: Store,
    members: Sequence[str],
    year: int,
    zone: ZoneInfo,
    regions: Sequence[Region],
    variants: Mapping[str, str] | None,
    workers: int,
) -> dict[int, Mapping[str, ParkTotal]]:
    """Totals of the members for the base year 2020 when every member has data covering it."""
    base_year = 2020
    if year == base_year or not members:
        return {}
    start, end = local_period(base_year, zone=zone)
    for e in members:
        span = store.reading_span(e)
        if span is None or span[0] > start or span[1] < end - dt.timedelta(days=1):
            return {}
    assessments = assess_many(
        store, members, start, end, zone=zone, facts=None, variants=variants, regions=regions, workers=workers
    )
    return {base_year: park_totals(assessments)}


def _line(base: float, base_year: int, target: float, target_year: int, year: int) -> float:
    if not (math.isfinite(base) and math.isfinite(target)) or target_year == base_year:
        return math.nan
    y = min(max(year, base_year), target_year)
    return base + (target - base) * (y - base_year) / (target_year - base_year)


def _headline(
    scope: str,
    year: int,
    totals: dict[str, ParkTotal],
    assessments: tuple[EnterpriseAssessment, ...],
    store_base: dict[int, Mapping[str, ParkTotal]],
    names: Mapping[str, str],
    given: float | None = None,
) -> list[TargetProgress]:
    out: list[TargetProgress] = []
    where = "全国" if scope == "national" else names.get(scope, scope)
    decline = _entry(scope, "intake_per_value_added_decline")
    if decline is not None:
        base_year = decline.baseline_year or 2020
        actual = totals["intake_per_value_added"].value
        source: str | None
        if base_year in store_base:
            base, source = store_base[base_year]["intake_per_value_added"].value, "store"
            extra = "base from the region's own stored data"
            extra_zh = "基准取自本地区企业的存储数据"
        elif given is not None:
            base, source = float(given), "given"
            extra = f"base {given:g} m³/万元 for {base_year} as supplied"
            extra_zh = f"基准为用户提供的 {base_year} 年值 {given:g} m³/万元"
        else:
            ref = _entry(scope, "intake_per_value_added", year=base_year)
            base, source = (ref.value, "reference") if ref is not None else (math.nan, None)
            extra = (
                f"base = published {base_year} average of {scope} ({_cite(ref)}): the region is compared with that level"
                if ref is not None
                else f"no {base_year} base for {scope} in the reference data; supply it with "
                f"--baseline {scope}=<m³/万元> (shuixiao targets) or baselines= (assess_region), "
                f"or store the region's {base_year} data"
            )
            extra_zh = (
                f"基准为{where} {base_year} 年公布平均值（{_cite(ref)}），即与该水平比较"
                if ref is not None
                else f"参考数据中无{where} {base_year} 年基准：用 --baseline {scope}=<m³/万元>"
                f"（shuixiao targets）或 baselines=（assess_region）提供，或存入本地区 {base_year} 年数据"
            )
        target = base * (1 - decline.value / 100) if math.isfinite(base) else math.nan
        expected = _line(base, base_year, target, decline.year, year)
        status, reason, reason_zh = progress_status(
            actual, target, expected, year, decline.year, lower_is_better=True
        )
        if not math.isfinite(base):
            status = "unknown"
        out.append(
            TargetProgress(
                decline.id,
                scope,
                "intake_per_value_added",
                None,
                f"万元工业增加值用水量较{base_year}年下降{decline.value:g}%（{where}）",
                f"water per 10⁴ CNY value added −{decline.value:g} % vs {base_year} ({scope})",
                "m³/万元",
                base,
                base_year if math.isfinite(base) else None,
                source,
                target,
                decline.year,
                expected,
                actual,
                status,
                f"{reason}; {extra}",
                _cite(decline),
                True,
                reason_zh=f"{reason_zh}；{extra_zh}",
            )
        )
    reuse = _entry(scope, "reuse_rate", year=2025)
    if reuse is not None:
        actual = totals["reuse_rate"].value
        status_figures = [
            e
            for e in target_entries()
            if e.region == scope and e.quantity == "reuse_rate" and e.year < reuse.year
        ]
        start = max(status_figures, key=lambda e: e.year) if status_figures else None
        reuse_base_year: int | None
        reuse_source: str | None
        if 2020 in store_base:
            base, reuse_base_year, reuse_source = store_base[2020]["reuse_rate"].value, 2020, "store"
        elif start is not None:
            base, reuse_base_year, reuse_source = start.value, start.year, "reference"
        else:
            base, reuse_base_year, reuse_source = math.nan, None, None
        expected = _line(base, reuse_base_year or reuse.year, reuse.value, reuse.year, year)
        status, reason, reason_zh = progress_status(
            actual, reuse.value, expected, year, reuse.year, lower_is_better=False
        )
        out.append(
            TargetProgress(
                reuse.id,
                scope,
                "reuse_rate",
                None,
                f"工业用水重复利用率达到{reuse.value:g}%左右（{where}）",
                f"industrial water reuse rate about {reuse.value:g} % ({scope})",
                "%",
                base,
                reuse_base_year,
                reuse_source,
                reuse.value,
                reuse.year,
                expected,
                actual,
                status,
                reason,
                _cite(reuse),
                False,
                reason_zh=reason_zh,
            )
        )
    nc = _entry(scope, "non_conventional_use")
    if nc is not None:
        actual = totals["non_conventional"].value
        if math.isfinite(actual) and actual >= nc.value:
            status, reason = "met", f"{actual:,.0f} m³ ≥ {nc.value:,.0f} m³ by the region's enterprises alone"
            reason_zh = f"仅本地区企业即达 {actual:,.0f} m³ ≥ {nc.value:,.0f} m³"
        else:
            status = "unknown"
            reason = (
                f"a total for all of {scope}; the region's {len(assessments)} enterprises contribute "
                f"{actual:,.0f} m³ in the period"
            )
            reason_zh = f"该目标为{where}总量；本地区 {len(assessments)} 家企业本期贡献 {actual:,.0f} m³"
        out.append(
            TargetProgress(
                nc.id,
                scope,
                "non_conventional_use",
                None,
                f"非常规水利用量（{where}）",
                f"non-conventional water use ({scope})",
                "m³",
                math.nan,
                None,
                None,
                nc.value,
                nc.year,
                math.nan,
                actual,
                status,
                reason,
                _cite(nc),
                False,
                reason_zh=reason_zh,
            )
        )
    share = _entry(scope, "water_saving_enterprise_share")
    if share is not None:
        key = [a for a in assessments if sectors_of(a.enterprise.industry_code) & KEY_SECTORS]
        if not key:
            status, reason, actual = (
                "unknown",
                "no enterprise of a key water-using sector in the region",
                math.nan,
            )
            reason_zh = "本地区无重点用水行业企业"
        else:
            yes = sum(1 for a in key if a.tiers["water_saving"].eligible is True)
            maybe = sum(1 for a in key if a.tiers["water_saving"].eligible is None)
            actual = 100.0 * yes / len(key)
            if actual >= share.value:
                status, reason = "met", f"{yes} of {len(key)} key-sector enterprises are water-saving"
                reason_zh = f"{len(key)} 家重点行业企业中 {yes} 家为节水型企业"
            elif 100.0 * (yes + maybe) / len(key) < share.value:
                status, reason = (
                    "behind",
                    f"{yes} of {len(key)} key-sector enterprises are water-saving, {maybe} undecided",
                )
                reason_zh = f"{len(key)} 家重点行业企业中 {yes} 家为节水型企业，{maybe} 家待定"
            else:
                status = "unknown"
                reason = f"{yes} of {len(key)} are water-saving; {maybe} depend on facts not stated"
                reason_zh = f"{len(key)} 家中 {yes} 家为节水型企业；{maybe} 家取决于未申报的事实"
        out.append(
            TargetProgress(
                share.id,
                scope,
                "water_saving_enterprise_share",
                None,
                f"重点用水行业节水型企业占比（{where}）",
                f"share of key-sector enterprises that are water-saving ({scope})",
                "%",
                math.nan,
                None,
                None,
                share.value,
                share.year,
                math.nan,
                actual,
                status,
                reason,
                _cite(share),
                False,
                reason_zh=reason_zh,
            )
        )
    for quantity, tier, zh, en in (
        ("benchmark_enterprises", "benchmark", "节水标杆企业数", "benchmark enterprises"),
        ("leader_enterprises", "leader", "水效领跑者企业数", "leader enterprises"),
        ("provincial_leaders", "leader", "省级水效领跑者企业数", "provincial leader enterprises"),
        ("national_leaders", "leader", "国家水效领跑者企业数", "national leader enterprises"),
    ):
        count_target = _entry(scope, quantity)
        if count_target is None:
            continue
        eligible = sum(1 for a in assessments if a.tiers[tier].eligible is True)
        if eligible >= count_target.value:
            status, reason = "met", f"{eligible} eligible enterprises in the region alone"
            reason_zh = f"仅本地区即有 {eligible} 家符合条件"
        else:
            status, reason = "unknown", f"a count for all of {scope}; {eligible} eligible in the region"
            reason_zh = f"该目标为{where}总数；本地区 {eligible} 家符合条件"
        out.append(
            TargetProgress(
                count_target.id,
                scope,
                quantity,
                None,
                f"{zh}（{where}）",
                f"{en} ({scope})",
                "1",
                math.nan,
                None,
                None,
                count_target.value,
                count_target.year,
                math.nan,
                float(eligible),
                status,
                reason,
                _cite(count_target),
                False,
                reason_zh=reason_zh,
            )
        )
    return out


def _per_product(
    assessments: tuple[EnterpriseAssessment, ...], year: int, regions: Mapping[str, str]
) -> list[TargetProgress]:
    out = []
    for a in assessments:
        names = {p.benchmark_product: p for p in a.enterprise.products}
        for b in a.benchmarks:
            expected = _line(b.baseline_2020, 2020, b.expected_2025, 2025, year)
            status, reason, reason_zh = progress_status(
                b.value, b.expected_2025, expected, year, 2025, lower_is_better=True
            )
            if not math.isfinite(b.expected_2025):
                status, reason = "unknown", b.note or f"no {b.region} expected 2025 value"
            where = "全国" if b.region == "national" else regions.get(b.region, b.region)
            if not math.isfinite(b.expected_2025):
                reason_zh = f"{where}目标表无该产品 2025 年预期值"
            product = names.get(b.product)
            name_zh = product.name if product is not None else b.product
            name_en = (product.name_en or b.product) if product is not None else b.product
            unit = f"m³/{product.unit}" if product is not None else "m³/unit"
            out.append(
                TargetProgress(
                    f"{b.region}.{b.product}.expected_2025",
                    b.region,
                    "intake_per_product",
                    f"{a.enterprise.id}/{b.product}",
                    f"{a.enterprise.name} {name_zh} 单位产品取水量 2025 年预期值（{where}）",
                    f"{a.enterprise.name_en or a.enterprise.id}: intake per unit {name_en}, 2025 expected value ({b.region})",
                    unit,
                    b.baseline_2020,
                    2020 if math.isfinite(b.baseline_2020) else None,
                    "reference" if math.isfinite(b.baseline_2020) else None,
                    b.expected_2025,
                    2025,
                    expected,
                    b.value,
                    status,
                    reason,
                    "seed 001 / seed 003 targets tables",
                    True,
                    reason_zh=reason_zh,
                )
            )
    return out
