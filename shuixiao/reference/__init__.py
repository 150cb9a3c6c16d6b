"""Reference data: targets, quotas, metering requirements, tolerances and tier criteria.

Every threshold the engines compare against lives in a versioned YAML table in
``shuixiao/data/reference/`` with its standard, edition, clause, value, unit,
confidence flag (C confirmed / S secondary / U unconfirmed) and source, so a
value can be corrected without touching code (``docs/reference-data.md``).
This module reads and validates those tables; it is pure (package data only).

Example
-------
>>> from shuixiao.reference import product_target
>>> steel = product_target("crude_steel")
>>> steel.baseline.value, steel.baseline.unit, steel.decline.value
(2.5, 'm³/t', 10.0)
"""

from shuixiao.reference._load import ReferenceDataError, ReferenceTable, load_table, read_table, table_names
from shuixiao.reference._query import (
    ProductTarget,
    parameter,
    product_target,
    product_targets,
    quota_variants,
    quotas,
    sectors_of,
    target_entries,
    tier_criteria,
    variant_rules,
)
from shuixiao.reference._schema import (
    CRITERION_KINDS,
    Confidence,
    CriterionEntry,
    ParameterEntry,
    QuotaEntry,
    ReferenceEntry,
    SectorEntry,
    TargetEntry,
    VariantEntry,
)

__all__ = [
    "CRITERION_KINDS",
    "Confidence",
    "CriterionEntry",
    "ParameterEntry",
    "ProductTarget",
    "QuotaEntry",
    "ReferenceDataError",
    "ReferenceEntry",
    "ReferenceTable",
    "SectorEntry",
    "TargetEntry",
    "VariantEntry",
    "load_table",
    "parameter",
    "product_target",
    "product_targets",
    "quota_variants",
    "quotas",
    "read_table",
    "sectors_of",
    "table_names",
    "target_entries",
    "tier_criteria",
    "variant_rules",
]
