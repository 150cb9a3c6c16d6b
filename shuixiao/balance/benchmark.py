"""Benchmarking: quota grades, targets, peers and tier eligibility (对标达标).

* :func:`quota_grade` places an intake per unit product against the quota levels
  of GB/T 18916 (领跑值 leading ≤ 先进值 advanced ≤ 通用值 general);
* :func:`quota_variant` picks the quota's plant configuration (steel: with or without
  coking, with or without cold rolling) from the water-system model, or checks the one given;
* :func:`benchmark_product` adds the 2020 average and the 2025 expected value of
  the Action Plan's targets table (national, or a province's);
* :func:`percentile_rank` places a value among peers;
* :func:`tier_eligibility` lists each criterion of 节水型企业 / 节水标杆 / 水效领跑者
  as met, not met or unknown, with the reason.

All thresholds come from the reference tables (``docs/reference-data.md``).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from shuixiao.balance.indicators import Indicators
from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.model import Enterprise
from shuixiao.reference import (
    CriterionEntry,
    QuotaEntry,
    parameter,
    product_target,
    quota_variants,
    quotas,
    tier_criteria,
    variant_rules,
)

__all__ = [
    "Criterion",
    "Grade",
    "ProductBenchmark",
    "Status",
    "TierAssessment",
    "VariantChoice",
    "benchmark_product",
    "metering_compliance",
    "percentile_rank",
    "quota_grade",
    "quota_variant",
    "tier_eligibility",
]

_LEVELS = ("leading", "advanced", "general")


class Grade(StrEnum):
    """Where an intake per unit product stands against the quota levels."""

    LEADING = "leading"  #: within 领跑值
    ADVANCED = "advanced"  #: within 先进值
    GENERAL = "general"  #: within 通用值
    ABOVE_GENERAL = "above_general"  #: exceeds 通用值: the quota is not met
    UNKNOWN = "unknown"  #: no value, or no quota for the product


class Status(StrEnum):
    """Outcome of one tier criterion."""

    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


def quota_grade(value: float, levels: Mapping[str, float]) -> Grade:
    """Return the best quota level ``value`` is within.

    Parameters
    ----------
    value : float
        Intake per unit product. [m³ per product unit]
    levels : mapping of str to float
        Quota values by level (``leading``, ``advanced``, ``general``); absent levels are skipped.
        [m³ per product unit]

    Returns
    -------
    Grade
        ``unknown`` when ``value`` is NaN or no level is given.

    Examples
    --------
    >>> quota_grade(2.3, {"general": 3.6, "advanced": 2.1}).value
    'general'
    >>> quota_grade(4.0, {"general": 3.6, "advanced": 2.1}).value
    'above_general'
    """
    if not math.isfinite(value) or not any(lvl in levels for lvl in _LEVELS):
        return Grade.UNKNOWN
    for lvl in _LEVELS:
        if lvl in levels and value <= levels[lvl]:
            return Grade(lvl)
    return Grade.ABOVE_GENERAL


@dataclass(frozen=True)
class ProductBenchmark:
    """An intake per unit product against quotas and targets.

    Parameters
    ----------
    product : str
    value : float
        Intake per unit product. [m³ per product unit]
    grade : Grade
    quotas : tuple of QuotaEntry
        The quota rows used.
    baseline_2020 : float
        The region's 2020 average; NaN when the table has none. [m³ per product unit]
    expected_2025 : float
        The region's expected 2025 value. [m³ per product unit]
    ratio_to_baseline : float
        ``value / baseline_2020``. [unitless]
    meets_2025 : bool or None
        ``value ≤ expected_2025``; None when either is unknown.
    region : str
    note : str, optional
        Why the grade is unknown, which variant was used.
    variant : str, optional
        Plant configuration of the quota rows used.
    """

    product: str
    value: float
    grade: Grade
    quotas: tuple[QuotaEntry, ...]
    baseline_2020: float
    expected_2025: float
    ratio_to_baseline: float
    meets_2025: bool | None
    region: str
    note: str | None = None
    variant: str | None = None


def benchmark_product(
    product: str,
    value: float,
    *,
    variant: str | None = None,
    region: str = "national",
) -> ProductBenchmark:
    """Return the intake per unit product of ``product`` against its quotas and targets.

    Parameters
    ----------
    product : str
        Product key (``Product.benchmark_product``), e.g. ``crude_steel``.
    value : float
        Intake per unit product. [m³ per product unit]
    variant : str, optional
        Plant configuration, when the quota has several (steel: ``coking_cold_rolling`` …;
        :func:`quota_variant` reads it from the model).
    region : str
        Targets table: ``national`` or a GB/T 2260 code (``430000`` Hunan).

    Raises
    ------
    InvalidInputError
        If ``variant`` is not one of the product's quota variants (the message lists them).

    Examples
    --------
    >>> b = benchmark_product("crude_steel", 2.36, variant="no_coking_no_cold_rolling")
    >>> b.grade.value, b.baseline_2020, round(b.expected_2025, 2), b.meets_2025
    ('general', 2.5, 2.25, False)
    """
    variants = quota_variants(product)
    if variant is not None and variant not in variants:
        listed = ", ".join(variants) if variants else "none (its quota has a single configuration)"
        raise InvalidInputError(f"{product} has no quota variant {variant!r}; its variants: {listed}")
    rows = tuple(quotas(product, variant=variant))
    note = None
    if variant is None and len(variants) > 1:
        grade = Grade.UNKNOWN
        note = f"the quota depends on the plant configuration; give variant= one of {', '.join(variants)}"
    else:
        levels: dict[str, float] = {q.level: q.value for q in rows if q.level in _LEVELS}
        grade = quota_grade(value, levels)
        if not rows:
            note = f"no quota for {product} in the reference tables"
    try:
        target = product_target(product, region)
        baseline = target.baseline.value if target.baseline is not None else math.nan
        expected = target.expected
    except NotFoundError:
        baseline = expected = math.nan
        note = (note + "; " if note else "") + f"no {region} target for {product}"
    meets = None if not (math.isfinite(value) and math.isfinite(expected)) else bool(value <= expected)
    ratio = value / baseline if math.isfinite(baseline) and baseline > 0 else math.nan
    return ProductBenchmark(
        product, value, grade, rows, baseline, expected, ratio, meets, region, note, variant
    )


@dataclass(frozen=True)
class VariantChoice:
    """The plant configuration a product's quota is read for.

    Parameters
    ----------
    product : str
        Product key.
    variant : str or None
        The variant, or None when the quota has none or it is not determined.
    source : str
        ``given`` (stated by the caller), ``model`` (read from the water-system model),
        ``undetermined`` (the quota has variants the model does not settle) or ``none``.
    reason : str
        How the variant was chosen, or what to give; empty for ``none``.
    variants : tuple of str
        Every variant of the product's quota.
    """

    product: str
    variant: str | None
    source: str
    reason: str
    variants: tuple[str, ...]


def quota_variant(enterprise: Enterprise, product: str, given: str | None = None) -> VariantChoice:
    """Return the quota variant of ``product`` for ``enterprise``: the one given, or the model's.

    Parameters
    ----------
    enterprise : Enterprise
        The water-system model; its unit names show the configuration (``quota_variants.yaml``).
    product : str
        Product key, e.g. ``crude_steel``.
    given : str, optional
        A variant stated by the caller; it overrides the model.

    Returns
    -------
    VariantChoice

    Raises
    ------
    InvalidInputError
        If ``given`` is not a variant of the product's quota (the message lists them).

    Examples
    --------
    >>> from shuixiao.model import Enterprise, UnitKind, WaterUnit
    >>> works = Enterprise("w", "钢厂", "x", "3120", "r", units=(
    ...     WaterUnit("coke", "焦化厂", UnitKind.WORKSHOP, level=2),
    ...     WaterUnit("hsm", "热轧厂", UnitKind.WORKSHOP, level=2)))
    >>> c = quota_variant(works, "crude_steel")
    >>> c.variant, c.source
    ('coking_no_cold_rolling', 'model')
    """
    variants = quota_variants(product)
    if given is not None:
        if given not in variants:
            listed = ", ".join(variants) if variants else "none (its quota has a single configuration)"
            raise InvalidInputError(f"{product} has no quota variant {given!r}; its variants: {listed}")
        return VariantChoice(product, given, "given", f"variant {given} as given", variants)
    if not variants:
        return VariantChoice(product, None, "none", "", ())
    ask = f"give it as {product}=<variant>, one of {', '.join(variants)}"
    rules = variant_rules(product)
    if not rules:
        return VariantChoice(
            product,
            None,
            "undetermined",
            f"the quota of {product} depends on the plant configuration, which the model does not show; {ask}",
            variants,
        )
    words, evidence = [], []
    for rule in rules:
        keys = [w.lower() for w in rule.value]
        hits = [
            u.id
            for u in enterprise.units
            if any(k in name.lower() for name in (u.name, u.name_en or "") for k in keys)
        ]
        words.append(rule.present if hits else rule.absent)
        evidence.append(
            f"{rule.dimension}: units {', '.join(hits)}"
            if hits
            else f"no {rule.dimension} unit (no name with {'/'.join(rule.value)})"
        )
    variant = "_".join(words)
    if variant not in variants:
        return VariantChoice(
            product,
            None,
            "undetermined",
            f"the model reads as {variant} ({'; '.join(evidence)}), which the quota does not list; {ask}",
            variants,
        )
    return VariantChoice(
        product,
        variant,
        "model",
        f"variant {variant} from the model ({'; '.join(evidence)}); override with {product}=<variant>",
        variants,
    )


def percentile_rank(value: float, peers: Iterable[float], *, lower_is_better: bool = True) -> float:
    """Return the share of peers ``value`` is at least as good as (mid-rank for ties). [%]

    Parameters
    ----------
    value : float
    peers : iterable of float
        The peers' values (NaN ignored); include the enterprise itself or not, as wanted.
    lower_is_better : bool
        True for intakes (default), False for reuse rates.

    Returns
    -------
    float
        ``100 · (#worse + ½·#equal) / #peers``; NaN without peers or for a NaN value. [%]

    Examples
    --------
    >>> percentile_rank(2.0, [1.5, 2.0, 2.5, 3.0])
    62.5
    >>> percentile_rank(95.0, [90.0, 97.0], lower_is_better=False)
    50.0
    """
    arr = np.asarray([p for p in peers if math.isfinite(p)], dtype=np.float64)
    if arr.size == 0 or not math.isfinite(value):
        return math.nan
    worse = arr > value if lower_is_better else arr < value
    return float(100.0 * (worse.sum() + 0.5 * (arr == value).sum()) / arr.size)


@dataclass(frozen=True)
class Criterion:
    """One criterion of a tier, judged.

    Parameters
    ----------
    id : str
        Reference entry id.
    description : str
    status : Status
    reason : str
        What was compared, or what is missing.
    group : str
        ``all`` or ``any:<name>``.
    reference : str
        Standard, edition and clause, with the confidence flag.
    """

    id: str
    description: str
    status: Status
    reason: str
    group: str
    reference: str


@dataclass(frozen=True)
class TierAssessment:
    """Eligibility for one tier.

    Parameters
    ----------
    tier : str
        ``water_saving``, ``benchmark`` or ``leader``.
    eligible : bool or None
        True when every ``all`` criterion and one criterion of each ``any`` group is met; False
        when one fails for certain; None when that depends on unknowns.
    criteria : tuple of Criterion
    """

    tier: str
    eligible: bool | None
    criteria: tuple[Criterion, ...]


_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
}


def metering_compliance(indicators: Indicators) -> list[Criterion]:
    """Return the GB/T 24789 equipping- and metering-rate requirements per level, judged.

    Examples
    --------
    See ``tests/balance/test_benchmark.py``.
    """
    result = []
    for quantity, rates in (
        ("equipping_rate", indicators.equipping_rate),
        ("metering_rate", indicators.metering_rate),
    ):
        for level in (1, 2, 3):
            required = parameter(quantity, table="metering_gbt24789", level=level)
            value = rates[level].value if level in rates else math.nan
            if not math.isfinite(value):
                status, reason = Status.UNKNOWN, f"{quantity} at level {level} not determined"
            else:
                ok = value >= required.value
                status = Status.MET if ok else Status.NOT_MET
                reason = f"{value:.1f} % {'≥' if ok else '<'} {required.value:g} %"
            result.append(
                Criterion(
                    required.id,
                    f"GB/T 24789 {quantity.replace('_', ' ')} level {level} ≥ {required.value:g} %",
                    status,
                    reason,
                    "all",
                    _cite(required),
                )
            )
    return result


def tier_eligibility(
    tier: str,
    *,
    sectors: Iterable[str] = (),
    indicators: Indicators | None = None,
    values: Mapping[str, float] | None = None,
    facts: Mapping[str, bool] | None = None,
    grade: Grade | None = None,
    _seen: frozenset[str] = frozenset(),
) -> TierAssessment:
    """Return the eligibility of an enterprise for ``tier``, criterion by criterion.

    Parameters
    ----------
    tier : {'water_saving', 'benchmark', 'leader'}
        节水型企业, 节水标杆, 水效领跑者.
    sectors : iterable of str
        The enterprise's sectors (:func:`shuixiao.reference.sectors_of` of its industry code).
    indicators : Indicators, optional
        The enterprise's indicators (a year is best: ``annual_intake`` needs 360–370 days).
    values : mapping of str to float, optional
        Further or overriding indicator values by name (``annual_intake``,
        ``demineralised_water_coefficient``, …).
    facts : mapping of str to bool, optional
        Facts the enterprise states (``no_over_plan_use_3_years``, ``lawful_abstraction_permits`` …).
    grade : Grade, optional
        Quota grade of the main product (:func:`benchmark_product`).

    Returns
    -------
    TierAssessment

    Raises
    ------
    InvalidInputError
        For an unknown tier.

    Examples
    --------
    >>> a = tier_eligibility("leader", values={"annual_intake": 120000.0})
    >>> a.eligible, next(c.status.value for c in a.criteria if c.id == "leader.annual_intake")
    (False, 'not_met')
    """
    if tier not in ("water_saving", "benchmark", "leader"):
        raise InvalidInputError(f"tier is water_saving, benchmark or leader, not {tier!r}")
    sectors = list(sectors)
    known = indicators.values() if indicators is not None else {}
    known.update(values or {})
    facts = dict(facts or {})
    result: list[Criterion] = []
    for entry in tier_criteria(tier, sectors):
        status, reason = _judge(entry, known, facts, grade, indicators, sectors, _seen | {tier})
        result.append(Criterion(entry.id, entry.description, status, reason, entry.group, _cite(entry)))
    return TierAssessment(tier, _eligible(result), tuple(result))


def _judge(
    entry: CriterionEntry,
    known: Mapping[str, float],
    facts: Mapping[str, bool],
    grade: Grade | None,
    indicators: Indicators | None,
    sectors: list[str],
    seen: frozenset[str],
) -> tuple[Status, str]:
    """Status and reason of one criterion."""
    if entry.kind == "indicator":
        assert entry.indicator is not None and entry.operator is not None
        threshold = float(entry.value)
        value = known.get(entry.indicator, math.nan)
        if not math.isfinite(value):
            return Status.UNKNOWN, f"{entry.indicator} not known"
        ok = _OPS[entry.operator](value, threshold)
        return (
            Status.MET if ok else Status.NOT_MET
        ), f"{entry.indicator} = {value:.4g} {entry.unit}, needs {entry.operator} {threshold:g}"
    if entry.kind == "quota":
        needed = str(entry.value)
        if grade is None or grade is Grade.UNKNOWN:
            return Status.UNKNOWN, "quota grade of the main product not known"
        order = ["leading", "advanced", "general", "above_general"]
        ok = order.index(grade.value) <= order.index(needed)
        return (Status.MET if ok else Status.NOT_MET), f"grade {grade.value}, needs {needed} or better"
    if entry.kind == "fact":
        assert entry.fact is not None
        if entry.fact not in facts:
            return Status.UNKNOWN, f"fact {entry.fact} not stated"
        ok = facts[entry.fact] is entry.value
        return (Status.MET if ok else Status.NOT_MET), f"{entry.fact} = {facts[entry.fact]}"
    if entry.kind == "tier":
        other = str(entry.value)
        if other in seen:
            return Status.UNKNOWN, f"circular tier requirement {other}"
        sub = tier_eligibility(
            other, sectors=sectors, indicators=indicators, values=known, facts=facts, grade=grade, _seen=seen
        )
        status = {True: Status.MET, False: Status.NOT_MET, None: Status.UNKNOWN}[sub.eligible]
        return status, f"tier {other}: {status.value}"
    if indicators is None:  # metering
        return Status.UNKNOWN, "no indicators given for the metering rates"
    checks = metering_compliance(indicators)
    failed = [c for c in checks if c.status is Status.NOT_MET]
    unknown = [c for c in checks if c.status is Status.UNKNOWN]
    if failed:
        return Status.NOT_MET, "; ".join(f"{c.description}: {c.reason}" for c in failed)
    if unknown:
        return Status.UNKNOWN, "; ".join(c.reason for c in unknown)
    return Status.MET, "every GB/T 24789 rate requirement met"


def _eligible(criteria: list[Criterion]) -> bool | None:
    """Combine criteria: every ``all`` one, and one of each ``any`` group."""
    statuses: list[Status] = []
    groups: dict[str, list[Status]] = {}
    for c in criteria:
        if c.group == "all":
            statuses.append(c.status)
        else:
            groups.setdefault(c.group, []).append(c.status)
    for members in groups.values():
        if Status.MET in members:
            statuses.append(Status.MET)
        elif all(s is Status.NOT_MET for s in members):
            statuses.append(Status.NOT_MET)
        else:
            statuses.append(Status.UNKNOWN)
    if Status.NOT_MET in statuses:
        return False
    if Status.UNKNOWN in statuses:
        return None
    return True


def _cite(entry: CriterionEntry | QuotaEntry | object) -> str:
    """``standard edition, clause [confidence]``."""
    standard = getattr(entry, "standard", "")
    edition = getattr(entry, "edition", "")
    clause = getattr(entry, "clause", "")
    confidence = getattr(entry, "confidence", "")
    return f"{standard} {edition}, {clause} [{confidence}]"
