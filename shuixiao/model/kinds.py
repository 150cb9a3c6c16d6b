"""Vocabularies of the water-system model (GB/T 12452 and GB/T 24789 terms).

Every enumeration is a ``str`` enum whose value is the spelling used in model
files, the database and the API, so a value read from any of them compares
equal to the member.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = [
    "BOUNDARY_KINDS",
    "FlowCategory",
    "MeterKind",
    "NON_CONVENTIONAL_SOURCES",
    "Origin",
    "Quality",
    "SourceType",
    "TreatmentType",
    "UnitKind",
    "METER_KIND_QUANTITIES",
    "PRODUCT_UNITS",
]


class UnitKind(StrEnum):
    """What a water unit (用水单元) is."""

    SOURCE = "source"  #: 水源: water enters the enterprise here (see SourceType)
    WORKSHOP = "workshop"  #: 车间/分厂: a level-2 sub-unit that groups equipment
    PROCESS = "process"  #: 生产工艺用水
    INDIRECT_COOLING = "indirect_cooling"  #: 间接冷却水系统 (heat exchangers)
    DIRECT_COOLING = "direct_cooling"  #: 直接冷却水系统 (water touches the product)
    COOLING_TOWER = "cooling_tower"  #: 冷却塔
    BOILER = "boiler"  #: 锅炉/蒸汽系统
    TREATMENT = "treatment"  #: 水处理 (see TreatmentType)
    STORAGE = "storage"  #: 水池/水箱
    DOMESTIC = "domestic"  #: 生活用水
    DISCHARGE = "discharge"  #: 排放口: water leaves the enterprise here
    EXTERNAL_SUPPLY = "external_supply"  #: 外供水: water supplied to a third party


BOUNDARY_KINDS = frozenset({UnitKind.SOURCE, UnitKind.DISCHARGE, UnitKind.EXTERNAL_SUPPLY})
"""Kinds that sit on the enterprise boundary and carry no metering level."""


class SourceType(StrEnum):
    """Where a source takes its water from (GB/T 12452 取水; 非常规水)."""

    SURFACE = "surface"  #: 地表水
    GROUNDWATER = "groundwater"  #: 地下水
    MUNICIPAL = "municipal"  #: 自来水 (public supply)
    PURCHASED = "purchased"  #: 外购水 (water bought from another enterprise)
    RECLAIMED = "reclaimed"  #: 再生水 (municipal reclaimed water)
    SEAWATER_DIRECT = "seawater_direct"  #: 海水直接利用
    SEAWATER_DESALINATED = "seawater_desalinated"  #: 海水淡化水
    BRACKISH = "brackish"  #: 苦咸水
    MINE = "mine"  #: 矿井水
    RAINWATER = "rainwater"  #: 雨水


NON_CONVENTIONAL_SOURCES = frozenset(
    {
        SourceType.RECLAIMED,
        SourceType.SEAWATER_DIRECT,
        SourceType.SEAWATER_DESALINATED,
        SourceType.BRACKISH,
        SourceType.MINE,
        SourceType.RAINWATER,
    }
)
"""Source types counted as non-conventional water (非常规水)."""


class TreatmentType(StrEnum):
    """What a treatment unit does."""

    SOFTENING = "softening"  #: 软化
    DEMINERALISATION = "demineralisation"  #: 除盐 (ion exchange)
    WASTEWATER_PLANT = "wastewater_plant"  #: 污水处理站
    MULTIMEDIA_FILTER = "multimedia_filter"  #: 多介质过滤
    ULTRAFILTRATION = "ultrafiltration"  #: 超滤 UF
    REVERSE_OSMOSIS = "reverse_osmosis"  #: 反渗透 RO
    EVAPORATION = "evaporation"  #: 蒸发结晶 (MVR, multiple effect)
    CLARIFICATION = "clarification"  #: 混凝沉淀 (raw-water clarifier)


class FlowCategory(StrEnum):
    """The water category of a flow (a directed edge between units).

    How each category enters the indicators (GB/T 12452, CJ 42):

    ``fresh``, ``non_conventional``
        新水: water from the sources and its distribution; intake (Vi) is
        the sum of these flows leaving source units.
    ``recirculated``
        循环水 (Vcy), part of reused water Vr.
    ``cascaded``
        串联水: water used again downstream without treatment (Vs), part of Vr.
    ``reclaimed``
        回用水: treated wastewater used again inside the enterprise, part of Vr.
    ``condensate``
        冷凝水回用: steam condensate returned to the boiler, part of Vr.
    ``steam``
        蒸汽 from a boiler to its users.
    ``wastewater``
        废水 on its way to treatment or to a discharge outlet.
    ``discharge``
        排水 (Vd): leaves the enterprise through a discharge unit.
    ``external_supply``
        外供水: leaves the enterprise to a third party.
    ``consumption``
        耗水 (Vco): evaporation, drift, water in the product; has no target.
    ``leakage``
        漏失水 (Vl): losses from pipes and tanks; has no target.
    """

    FRESH = "fresh"
    NON_CONVENTIONAL = "non_conventional"
    RECIRCULATED = "recirculated"
    CASCADED = "cascaded"
    RECLAIMED = "reclaimed"
    CONDENSATE = "condensate"
    STEAM = "steam"
    WASTEWATER = "wastewater"
    DISCHARGE = "discharge"
    EXTERNAL_SUPPLY = "external_supply"
    CONSUMPTION = "consumption"
    LEAKAGE = "leakage"


class MeterKind(StrEnum):
    """How a meter reports (HA ``state_class``: totalizer vs measurement)."""

    TOTALIZER = "totalizer"  #: cumulative register, e.g. a water meter's m³ counter
    RATE = "rate"  #: instantaneous flow rate
    QUALITY = "quality"  #: a water-quality analyser (pH, conductivity, ...)
    PRESSURE = "pressure"  #: pressure gauge or transmitter
    LEVEL = "level"  #: tank or sump level


METER_KIND_QUANTITIES: dict[MeterKind, frozenset[str]] = {
    MeterKind.TOTALIZER: frozenset({"volume"}),
    MeterKind.RATE: frozenset({"flow_rate"}),
    MeterKind.QUALITY: frozenset(
        {"ph", "conductivity", "turbidity", "concentration", "temperature", "fluorescence"}
    ),
    MeterKind.PRESSURE: frozenset({"pressure"}),
    MeterKind.LEVEL: frozenset({"level"}),
}
"""The quantities each meter kind may measure."""

PRODUCT_UNITS: dict[str, str] = {
    "t": "吨 (tonne)",
    "kL": "千升 (kilolitre)",
    "100m": "百米 (hundred metres of fabric)",
    "m³": "立方米 (cubic metre)",
    "kWh": "千瓦时 (kilowatt hour)",
    "piece": "件 (piece)",
}
"""Units in which production of a product may be recorded."""


class Quality(IntEnum):
    """Quality flag carried by every stored value."""

    GOOD = 0  #: measured and plausible
    ESTIMATED = 1  #: filled in by estimation, never measured
    SUSPECT = 2  #: measured but failed a plausibility check
    BAD = 3  #: measured and known to be wrong


class Origin(IntEnum):
    """Where a stored value came from."""

    DEMO = 0  #: the demo-park simulator
    HTTP = 1
    MQTT = 2
    MODBUS = 3
    FILE = 4
    MANUAL = 5
    ESTIMATION = 6
