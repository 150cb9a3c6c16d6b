"""Assessment of one enterprise over one period from stored data.

:func:`assess_enterprise` chains the engines on the store's aggregates: period
volumes of the metered flows (:mod:`shuixiao.assess.volumes`), the water balance
with unmetered flows inferred, reuse flows the meters leave undetermined estimated
from their design rates (as a water-balance test estimates circulation from pump
ratings), data reconciliation with gross-error detection, the indicators, the
product benchmarks against quotas and the national and provincial targets, tier
eligibility and the problems and recommendations that follow.  See ``docs/assess.md``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from shuixiao.assess import _json
from shuixiao.assess._findings import Finding, Note, findings_of
from shuixiao.assess._period import as_zone, local_dates
from shuixiao.assess._sankey import Sankey, sankey_of
from shuixiao.assess.volumes import PeriodVolumes, period_volumes
from shuixiao.balance import (
    Grade,
    Indicators,
    Measurement,
    ProductBenchmark,
    Provenance,
    Reconciliation,
    TierAssessment,
    WaterBalance,
    benchmark_product,
    estimate_from_design,
    indicators,
    period_production,
    period_value_added,
    quota_variant,
    reconcile,
    reused_flows,
    tier_eligibility,
    undetermined_flows,
    water_balance,
)
from shuixiao.errors import InvalidInputError
from shuixiao.model import Enterprise, FlowCategory, Region
from shuixiao.reference import load_table, product_targets, quota_variants, sectors_of, table_names
from shuixiao.storage import Store

__all__ = ["EnterpriseAssessment", "assess_enterprise", "provincial_table", "region_chain"]

TIERS = ("water_saving", "benchmark", "leader")
"""节水型企业 → 节水标杆 → 水效领跑者."""

_REUSE_ORDER = (
    FlowCategory.RECIRCULATED,
    FlowCategory.CONDENSATE,
    FlowCategory.RECLAIMED,
    FlowCategory.CASCADED,
)


@dataclass(frozen=True)
class EnterpriseAssessment:
    """An enterprise's water balance, indicators, benchmarks and tiers over one period.

    Parameters
    ----------
    enterprise : Enterprise
        The model assessed.
    start, end : datetime.datetime
        The period ``[start, end)``, aware UTC.
    zone : str
        Time zone of the calendar.
    volumes : PeriodVolumes
        Every flow meter's volume with its coverage.
    estimated_flows : tuple of str
        Flows estimated from their design rate because the meters and balances leave them
        undetermined and an indicator needs them.
    balance : WaterBalance
    reconciliation : Reconciliation or None
        None when it could not run (see ``notes``).
    indicators : Indicators
    production : dict of str to float
        Output of each product in the period, from the records. [product unit]
    value_added : float or None
        Industrial value added in the period. [CNY]
    benchmarks : tuple of ProductBenchmark
        Each product against the national table, and against the provincial table where one exists.
    tiers : dict of str to TierAssessment
        ``water_saving``, ``benchmark``, ``leader``.
    findings : tuple of Finding
        Problems found and recommendations.
    notes : tuple of Note
        Conventions and limits of this assessment.
    regions : tuple of Region
        The enterprise's region and its parents, innermost first.
    """

    enterprise: Enterprise
    start: dt.datetime
    end: dt.datetime
    zone: str
    volumes: PeriodVolumes
    estimated_flows: tuple[str, ...]
    balance: WaterBalance
    reconciliation: Reconciliation | None
    indicators: Indicators
    production: dict[str, float]
    value_added: float | None
    benchmarks: tuple[ProductBenchmark, ...]
    tiers: dict[str, TierAssessment]
    findings: tuple[Finding, ...]
    notes: tuple[Note, ...]
    regions: tuple[Region, ...] = ()

    @property
    def days(self) -> float:
        """Length of the period. [d]"""
        return (self.end - self.start).total_seconds() / 86400.0

    def benchmark(self, product: str, region: str = "national") -> ProductBenchmark | None:
        """Return the benchmark of a product key against the ``region`` table, if there is one."""
        for b in self.benchmarks:
            if b.product == product and b.region == region:
                return b
        return None

    def sankey(self) -> Sankey:
        """Return the water-balance diagram: nodes and links, each link measured/inferred/estimated/missing."""
        return sankey_of(self.enterprise, self.balance)

    def to_dict(self) -> dict[str, Any]:
        """Return the assessment as JSON-ready data (``docs/assess.md`` documents the fields)."""
        e = self.enterprise
        return {
            "enterprise": {
                "id": e.id,
                "name": e.name,
                "name_en": e.name_en,
                "credit_code": e.credit_code,
                "industry_code": e.industry_code,
                "region": e.region,
                "park": e.park,
            },
            "period": {
                "start": _json.when(self.start),
                "end": _json.when(self.end),
                "timezone": self.zone,
                "days": self.days,
            },
            "coverage": _json.num(self.volumes.coverage),
            "meters": [v.to_dict() for v in self.volumes.meters.values()],
            "estimated_flows": list(self.estimated_flows),
            "balance": _json.balance(self.balance),
            "reconciliation": _json.reconciliation(self.reconciliation) if self.reconciliation else None,
            "indicators": _json.indicators(self.indicators),
            "production": dict(self.production),
            "value_added_cny": _json.num(self.value_added),
            "benchmarks": [_json.benchmark(b) for b in self.benchmarks],
            "tiers": {k: _json.tier(v) for k, v in self.tiers.items()},
            "findings": [f.to_dict() for f in self.findings],
            "notes": [n.to_dict() for n in self.notes],
            "sankey": self.sankey().to_dict(),
        }


def region_chain(regions: Sequence[Region], region_id: str) -> tuple[Region, ...]:
    """Return the region ``region_id`` and its parents, innermost first (unknown ids are skipped)."""
    by_id = {r.id: r for r in regions}
    chain: list[Region] = []
    current: str | None = region_id
    while current is not None and current in by_id and by_id[current] not in chain:
        chain.append(by_id[current])
        current = by_id[current].parent
    return tuple(chain)


def provincial_table(chain: Sequence[Region]) -> str | None:
    """Return the GB/T 2260 code of the innermost region of ``chain`` that has a targets table."""
    for r in chain:
        if product_targets(r.admin_code):
            return r.admin_code
    return None


def assess_enterprise(
    store: Store,
    enterprise_id: str,
    start: dt.datetime,
    end: dt.datetime,
    *,
    zone: str | ZoneInfo = "Asia/Shanghai",
    facts: Mapping[str, bool] | None = None,
    variants: Mapping[str, str] | None = None,
    storage: Mapping[str, float] | None = None,
    regions: Sequence[Region] | None = None,
) -> EnterpriseAssessment:
    """Assess one enterprise over ``[start, end)`` from the store.

    Parameters
    ----------
    store : Store
    enterprise_id : str
    start, end : datetime.datetime
        Aware datetimes at local midnight of ``zone`` (months and years cut on its calendar).
    zone : str or zoneinfo.ZoneInfo
        The settings' time zone.
    facts : mapping of str to bool, optional
        Facts the enterprise states for the tier criteria (``lawful_abstraction_permits`` …);
        without them those criteria are unknown.
    variants : mapping of str to str, optional
        Quota variant by product key, for products whose quota depends on the plant
        (``{"crude_steel": "no_coking_no_cold_rolling"}``); it overrides the variant read from
        the model (:func:`~shuixiao.balance.quota_variant`).
    storage : mapping of str to float, optional
        Storage change of units over the period (tanks whose geometry the model lacks). [m³]
    regions : sequence of Region, optional
        The store's regions (read from the store when not given).

    Returns
    -------
    EnterpriseAssessment

    Raises
    ------
    NotFoundError
        If the enterprise does not exist.
    InvalidInputError
        For a naive or empty period, or bounds that are not local midnight; for a variant that
        is not one of the product's quota variants.

    Notes
    -----
    Flows the meters and balances leave undetermined but that the reuse rate needs
    (recirculated first, then condensate, reclaimed and cascaded) are estimated one at a time
    from their design rate × the period's hours until the reuse rate is determined or no
    design rate is left; they are listed in ``estimated_flows``.
    """
    tz = as_zone(zone)
    enterprise = store.load_enterprise(enterprise_id)
    volumes = period_volumes(store, enterprise, start, end, zone=tz)
    chain = region_chain(store.list_regions() if regions is None else regions, enterprise.region)
    return assess_volumes(enterprise, volumes, facts=facts, variants=variants, storage=storage, regions=chain)


def assess_volumes(
    enterprise: Enterprise,
    volumes: PeriodVolumes,
    *,
    facts: Mapping[str, bool] | None = None,
    variants: Mapping[str, str] | None = None,
    storage: Mapping[str, float] | None = None,
    regions: Sequence[Region] = (),
) -> EnterpriseAssessment:
    """Assess an enterprise on given period volumes (the part of :func:`assess_enterprise` after the store)."""
    _check_variants(variants or {})
    start, end = volumes.start, volumes.end
    hours = (end - start).total_seconds() / 3600.0
    notes: list[Note] = []
    given = volumes.measurements()
    balance, estimated = _balanced(enterprise, given, hours, storage)
    if not storage:
        notes.append(
            Note(
                "storage",
                "水池、水箱的蓄水量变化按 0 计（模型无水池几何尺寸）；一个月以上的测试期内相对水量很小。",
                "storage changes of tanks are taken as 0 (the model has no tank geometry); "
                "over a month or more they are small against the flows",
            )
        )
    if estimated:
        notes.append(
            Note(
                "estimated",
                f"按设计流量估算的水量：{'、'.join(estimated)}",
                f"estimated from design rates: {', '.join(estimated)}",
            )
        )
    reconciliation: Reconciliation | None
    try:
        reconciliation = reconcile(enterprise, [*given, *_estimates(balance, estimated)], storage=storage)
    except InvalidInputError as err:
        reconciliation = None
        notes.append(Note("reconciliation", f"未进行数据协调：{err}", f"reconciliation not run: {err}"))
    first, last = local_dates(start, end, volumes.zone)
    production = period_production(enterprise, first, last)
    value_added = period_value_added(enterprise, first, last)
    days = (end - start).total_seconds() / 86400.0
    ind = indicators(balance, production=production, value_added=value_added, period_days=days)
    benchmarks = _benchmarks(enterprise, ind, variants or {}, provincial_table(regions))
    grade = _main_grade(enterprise, benchmarks)
    sectors = sectors_of(enterprise.industry_code)
    tiers = {
        t: tier_eligibility(t, sectors=sectors, indicators=ind, facts=facts or {}, grade=grade) for t in TIERS
    }
    findings = findings_of(
        enterprise, end, volumes, balance, reconciliation, ind, benchmarks, production, tiers, estimated
    )
    return EnterpriseAssessment(
        enterprise=enterprise,
        start=start,
        end=end,
        zone=volumes.zone,
        volumes=volumes,
        estimated_flows=tuple(estimated),
        balance=balance,
        reconciliation=reconciliation,
        indicators=ind,
        production=production,
        value_added=value_added,
        benchmarks=tuple(benchmarks),
        tiers=tiers,
        findings=tuple(findings),
        notes=tuple(notes),
        regions=tuple(regions),
    )


def _balanced(
    enterprise: Enterprise, given: list[Measurement], hours: float, storage: Mapping[str, float] | None
) -> tuple[WaterBalance, list[str]]:
    """The balance on the meters, with design estimates added until the reuse rate is determined.

    Reuse flows of the reuse rate that no meter or balance determines are estimated one at a
    time (recirculated first, then condensate, reclaimed, cascaded; model order within a
    category), each estimate re-checking which flows the balances then determine.  An estimate
    settles flows of its own piece of the unmeasured network only, so the pieces take their
    next estimate in the same round.
    """
    order = {c: i for i, c in enumerate(_REUSE_ORDER)}
    category = {f.id: f.category for f in enterprise.flows}
    position = {f.id: i for i, f in enumerate(enterprise.flows)}
    reuse = set(reused_flows(enterprise))
    rank = {f: (order[category[f]], position[f]) for f in reuse}
    groups = undetermined_flows(enterprise, given, storage=storage)
    estimated: list[str] = []
    tried: set[str] = set()
    extra: list[Measurement] = []
    while True:
        picked = []
        for group in groups:
            for f in sorted((f for f in group if f in reuse and f not in tried), key=rank.__getitem__):
                tried.add(f)
                new = estimate_from_design(enterprise, hours, [f])
                if new:
                    extra += new
                    picked.append(f)
                    break
        if not picked:
            break
        estimated += picked
        groups = undetermined_flows(enterprise, [*given, *extra], storage=storage)
    balance = water_balance(enterprise, [*given, *extra], storage=storage)
    return balance, sorted(estimated, key=rank.__getitem__)


def _estimates(balance: WaterBalance, flows: Sequence[str]) -> list[Measurement]:
    """The design estimates again, as measurements for the reconciliation."""
    result = []
    for f in flows:
        v = balance.flows[f]
        result.append(Measurement(f, v.value, uncertainty=v.uncertainty, provenance=Provenance.ESTIMATED))
    return result


def _benchmarks(
    enterprise: Enterprise, ind: Indicators, variants: Mapping[str, str], province: str | None
) -> list[ProductBenchmark]:
    """Each product against its quota (variant given, else read from the model) and the targets."""
    result = []
    for p in enterprise.products:
        if p.benchmark_product is None or p.id not in ind.intake_per_product:
            continue
        value = ind.intake_per_product[p.id].value
        choice = quota_variant(enterprise, p.benchmark_product, variants.get(p.benchmark_product))
        for region in ("national", province) if province is not None else ("national",):
            b = benchmark_product(p.benchmark_product, value, variant=choice.variant, region=region)
            if choice.source == "model":
                b = dataclasses.replace(b, note="; ".join(filter(None, (choice.reason, b.note))))
            elif choice.source == "undetermined":
                b = dataclasses.replace(b, note="; ".join(filter(None, (choice.reason, _no_variant(b.note)))))
            result.append(b)
    return result


def _no_variant(note: str | None) -> str | None:
    """The benchmark's own note without its generic request for a variant (the choice says more)."""
    parts = [x for x in (note or "").split("; ") if x and not x.startswith("the quota depends on")]
    return "; ".join(parts) or None


def _check_variants(variants: Mapping[str, str]) -> None:
    """Check that every ``product: variant`` names a variant of that product's quota.

    Raises
    ------
    InvalidInputError
        Naming the products whose quotas have variants, or the variants of the product.
    """
    for product, variant in variants.items():
        choices = quota_variants(product)
        if not choices:
            having = sorted(
                {
                    q.product
                    for name in table_names()
                    if (table := load_table(name)).table == "quotas"
                    for q in table.entries
                    if q.variant is not None
                }
            )
            raise InvalidInputError(
                f"the quota of {product!r} has no variants; products whose quotas have variants: "
                f"{', '.join(having)}"
            )
        if variant not in choices:
            raise InvalidInputError(
                f"{product} has no quota variant {variant!r}; its variants: {', '.join(choices)}"
            )


def _main_grade(enterprise: Enterprise, benchmarks: Sequence[ProductBenchmark]) -> Grade | None:
    """Quota grade of the first product with a national benchmark."""
    for p in enterprise.products:
        for b in benchmarks:
            if b.product == p.benchmark_product and b.region == "national":
                return b.grade
    return None
