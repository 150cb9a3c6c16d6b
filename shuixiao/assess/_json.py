"""JSON-ready forms of the engine results (NaN becomes None, enums their values)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from shuixiao.balance import (
    Criterion,
    FlowValue,
    Indicator,
    Indicators,
    ProductBenchmark,
    Reconciliation,
    Term,
    TierAssessment,
    UnitBalance,
    WaterBalance,
)


def num(value: float | None) -> float | None:
    """``value`` as a JSON number, None for NaN, infinity or None."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def when(value: dt.datetime) -> str:
    """An aware datetime as ISO 8601 text."""
    return value.isoformat()


def term(t: Term) -> dict[str, Any]:
    """A sum of flows."""
    return {
        "value_m3": num(t.value),
        "uncertainty_m3": num(t.uncertainty),
        "provenance": t.provenance.value,
        "flows": list(t.flows),
    }


def flow_value(f: FlowValue) -> dict[str, Any]:
    """One flow's volume."""
    return {
        "flow": f.flow,
        "category": f.category.value,
        "value_m3": num(f.value),
        "uncertainty_m3": num(f.uncertainty),
        "provenance": f.provenance.value,
        "meters": list(f.meters),
        "sources": list(f.sources),
    }


def unit_balance(u: UnitBalance) -> dict[str, Any]:
    """One unit's or sub-unit's balance."""
    return {
        "unit": u.unit,
        "level": u.level,
        "inputs": term(u.inputs),
        "outputs": term(u.outputs),
        "consumption": term(u.consumption),
        "leakage": term(u.leakage),
        "storage_change_m3": num(u.storage_change),
        "closure": num(u.closure),
        "closure_provenance": u.closure_provenance.value,
        "tolerance": num(u.tolerance),
        "within_tolerance": u.within_tolerance,
    }


def balance(b: WaterBalance) -> dict[str, Any]:
    """The whole balance."""
    l1, lc = b.level1, b.level_check
    return {
        "flows": {k: flow_value(v) for k, v in b.flows.items()},
        "units": {k: unit_balance(v) for k, v in b.units.items()},
        "groups": {k: unit_balance(v) for k, v in b.groups.items()},
        "level1": {
            "intake": term(l1.intake),
            "consumption": term(l1.consumption),
            "discharge": term(l1.discharge),
            "leakage": term(l1.leakage),
            "external_supply": term(l1.external_supply),
            "storage_change_m3": num(l1.storage_change),
            "closure": num(l1.closure),
            "closure_provenance": l1.closure_provenance.value,
            "tolerance": num(l1.tolerance),
            "within_tolerance": l1.within_tolerance,
        },
        "level_check": {
            "level1": term(lc.level1),
            "level2": term(lc.level2),
            "groups": {k: term(v) for k, v in lc.groups.items()},
            "supply_groups": list(lc.supply_groups),
            "difference": num(lc.difference),
            "tolerance": num(lc.tolerance),
            "within_tolerance": lc.within_tolerance,
        },
        "undetermined": list(b.undetermined),
        "degrees_of_freedom": b.degrees_of_freedom,
        "redundancy": b.redundancy,
    }


def indicator(i: Indicator) -> dict[str, Any]:
    """One indicator with its inputs' provenance."""
    return {
        "name": i.name,
        "value": num(i.value),
        "unit": i.unit,
        "provenance": i.provenance.value,
        "inputs": {k.value: list(v) for k, v in i.inputs.items()},
        "formula": i.formula,
        "reference": i.reference,
        "note": i.note,
    }


def indicators(ind: Indicators) -> dict[str, Any]:
    """Every indicator."""
    return {
        "period_days": num(ind.period_days),
        "quantities": {k: indicator(v) for k, v in ind.quantities.items()},
        "rates": {k: indicator(v) for k, v in ind.rates.items()},
        "intake_per_product": {k: indicator(v) for k, v in ind.intake_per_product.items()},
        "intake_per_value_added": indicator(ind.intake_per_value_added),
        "cycles_of_concentration": {k: indicator(v) for k, v in ind.cycles_of_concentration.items()},
        "equipping_rate": {str(k): indicator(v) for k, v in ind.equipping_rate.items()},
        "metering_rate": {str(k): indicator(v) for k, v in ind.metering_rate.items()},
    }


def benchmark(b: ProductBenchmark) -> dict[str, Any]:
    """A product against its quotas and targets."""
    return {
        "product": b.product,
        "region": b.region,
        "value": num(b.value),
        "grade": b.grade.value,
        "variant": b.variant,
        "quotas": [
            {
                "level": q.level,
                "value": q.value,
                "unit": q.unit,
                "variant": q.variant,
                "confidence": q.confidence,
            }
            for q in b.quotas
        ],
        "baseline_2020": num(b.baseline_2020),
        "expected_2025": num(b.expected_2025),
        "ratio_to_baseline": num(b.ratio_to_baseline),
        "meets_2025": b.meets_2025,
        "note": b.note,
    }


def criterion(c: Criterion) -> dict[str, Any]:
    """One judged tier criterion."""
    return {
        "id": c.id,
        "description": c.description,
        "status": c.status.value,
        "reason": c.reason,
        "group": c.group,
        "reference": c.reference,
    }


def tier(t: TierAssessment) -> dict[str, Any]:
    """Eligibility for one tier."""
    return {"tier": t.tier, "eligible": t.eligible, "criteria": [criterion(c) for c in t.criteria]}


def reconciliation(r: Reconciliation) -> dict[str, Any]:
    """The reconciliation's tests and suspects."""
    return {
        "initial_test": {
            "statistic": num(r.initial_test.statistic),
            "critical": num(r.initial_test.critical),
            "degrees_of_freedom": r.initial_test.dof,
            "p_value": num(r.initial_test.p_value),
            "passed": r.initial_test.passed,
        },
        "global_test": {
            "statistic": num(r.global_test.statistic),
            "critical": num(r.global_test.critical),
            "degrees_of_freedom": r.global_test.dof,
            "p_value": num(r.global_test.p_value),
            "passed": r.global_test.passed,
        },
        "suspect": r.suspect,
        "suspects": [list(s) for s in r.suspects],
        "adjustments": [
            {
                "meter": a.measurement.meter,
                "flow": a.measurement.flow,
                "measured_m3": num(a.measurement.value),
                "reconciled_m3": num(a.reconciled),
                "adjustment_m3": num(a.adjustment),
                "statistic": num(a.statistic),
                "redundant": a.redundant,
                "eliminated": a.eliminated,
            }
            for a in r.measurements
        ],
    }
