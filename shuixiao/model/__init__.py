"""The water-system model (engine layer): entities, vocabularies, identity codes, validation.

Pure Python: importing it loads no web, database or messaging library.
"""

from shuixiao.model.entities import (
    EnergyRecord,
    Enterprise,
    Flow,
    Meter,
    Park,
    Product,
    ProductionRecord,
    Region,
    Site,
    ValueAddedRecord,
    WaterUnit,
)
from shuixiao.model.identity import (
    credit_code_check_character,
    credit_code_problem,
    industry_code_problem,
    industry_name,
)
from shuixiao.model.kinds import (
    BOUNDARY_KINDS,
    METER_KIND_QUANTITIES,
    NON_CONVENTIONAL_SOURCES,
    PRODUCT_UNITS,
    FlowCategory,
    MeterKind,
    Origin,
    Quality,
    SourceType,
    TreatmentType,
    UnitKind,
)
from shuixiao.model.labels import label, quantity_label
from shuixiao.model.validate import enterprise_problems, park_problems, region_problems

__all__ = [
    "BOUNDARY_KINDS",
    "METER_KIND_QUANTITIES",
    "NON_CONVENTIONAL_SOURCES",
    "PRODUCT_UNITS",
    "EnergyRecord",
    "Enterprise",
    "Flow",
    "FlowCategory",
    "Meter",
    "MeterKind",
    "Origin",
    "Park",
    "Product",
    "ProductionRecord",
    "Quality",
    "Region",
    "Site",
    "SourceType",
    "TreatmentType",
    "UnitKind",
    "ValueAddedRecord",
    "WaterUnit",
    "credit_code_check_character",
    "credit_code_problem",
    "enterprise_problems",
    "industry_code_problem",
    "industry_name",
    "label",
    "park_problems",
    "quantity_label",
    "region_problems",
]
