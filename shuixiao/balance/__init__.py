"""Water balance, data reconciliation, indicators and benchmarking (pure engines).

* :func:`water_balance`: unit, sub-unit and enterprise balances of one period,
  with unmetered flows inferred where the balances determine them;
  :func:`undetermined_flows` lists only the flows they leave undetermined;
* :func:`reconcile`: weighted least-squares reconciliation of the measured
  volumes with the global and measurement tests and serial elimination of
  gross errors, naming the suspected meter;
* :func:`indicators`: reuse, recirculation, condensate, wastewater-reuse,
  discharge, leakage and substitution rates, intake per product and per 10⁴ CNY,
  cycles of concentration, GB/T 24789 equipping and metering rates;
* :func:`benchmark_product`, :func:`quota_variant`, :func:`percentile_rank`,
  :func:`tier_eligibility`: quotas (for the plant configuration the model shows),
  targets, peers and tiers from the reference tables.

See ``docs/balance.md``.

Example
-------
>>> from shuixiao.balance import reuse_rate
>>> round(reuse_rate(8500.0, 1000.0), 2)
89.47
"""

from shuixiao.balance.benchmark import (
    Criterion,
    Grade,
    ProductBenchmark,
    Status,
    TierAssessment,
    VariantChoice,
    benchmark_product,
    metering_compliance,
    percentile_rank,
    quota_grade,
    quota_variant,
    tier_eligibility,
)
from shuixiao.balance.closure import (
    EnterpriseBalance,
    FlowValue,
    LevelCheck,
    Term,
    UnitBalance,
    WaterBalance,
    undetermined_flows,
    water_balance,
)
from shuixiao.balance.indicators import (
    Indicator,
    Indicators,
    condensate_recovery_rate,
    cycles_of_concentration,
    cycles_of_concentration_from_conductivity,
    discharge_rate,
    indicators,
    leakage_rate,
    non_conventional_substitution_rate,
    per_unit,
    period_production,
    period_value_added,
    recirculation_rate,
    reuse_rate,
    reused_flows,
    wastewater_reuse_rate,
)
from shuixiao.balance.measurement import (
    Measurement,
    Provenance,
    combine_provenance,
    estimate_from_design,
    measurements_from_meters,
    standard_uncertainty,
)
from shuixiao.balance.reconcile import (
    AdjustedMeasurement,
    Elimination,
    GlobalTest,
    LinearReconciliation,
    Reconciliation,
    reconcile,
    reconcile_linear,
    serial_elimination,
)

__all__ = [
    "AdjustedMeasurement",
    "Criterion",
    "Elimination",
    "EnterpriseBalance",
    "FlowValue",
    "GlobalTest",
    "Grade",
    "Indicator",
    "Indicators",
    "LevelCheck",
    "LinearReconciliation",
    "Measurement",
    "ProductBenchmark",
    "Provenance",
    "Reconciliation",
    "Status",
    "Term",
    "TierAssessment",
    "UnitBalance",
    "VariantChoice",
    "WaterBalance",
    "benchmark_product",
    "combine_provenance",
    "condensate_recovery_rate",
    "cycles_of_concentration",
    "cycles_of_concentration_from_conductivity",
    "discharge_rate",
    "estimate_from_design",
    "indicators",
    "leakage_rate",
    "measurements_from_meters",
    "metering_compliance",
    "non_conventional_substitution_rate",
    "per_unit",
    "percentile_rank",
    "period_production",
    "period_value_added",
    "quota_grade",
    "quota_variant",
    "recirculation_rate",
    "reconcile",
    "reconcile_linear",
    "reuse_rate",
    "reused_flows",
    "serial_elimination",
    "standard_uncertainty",
    "tier_eligibility",
    "undetermined_flows",
    "wastewater_reuse_rate",
    "water_balance",
]
