"""Chinese and English names of the model's vocabularies, for people.

The Chinese names are the terms of GB/T 12452, GB/T 24789 and the Action Plan;
use :func:`label` wherever a kind, source, treatment or category is shown.
"""

from __future__ import annotations

from enum import Enum

from shuixiao.model.kinds import FlowCategory, MeterKind, SourceType, TreatmentType, UnitKind

__all__ = ["label", "quantity_label"]

_LABEL_ROWS: tuple[tuple[Enum, tuple[str, str]], ...] = (
    (UnitKind.SOURCE, ("水源", "source")),
    (UnitKind.WORKSHOP, ("车间/分厂", "workshop")),
    (UnitKind.PROCESS, ("生产工艺用水", "process")),
    (UnitKind.INDIRECT_COOLING, ("间接冷却水系统", "indirect cooling")),
    (UnitKind.DIRECT_COOLING, ("直接冷却水系统", "direct cooling")),
    (UnitKind.COOLING_TOWER, ("冷却塔", "cooling tower")),
    (UnitKind.BOILER, ("锅炉/蒸汽系统", "boiler")),
    (UnitKind.TREATMENT, ("水处理", "treatment")),
    (UnitKind.STORAGE, ("蓄水池", "storage")),
    (UnitKind.DOMESTIC, ("生活用水", "domestic")),
    (UnitKind.DISCHARGE, ("排放口", "discharge outlet")),
    (UnitKind.EXTERNAL_SUPPLY, ("外供水", "external supply")),
    (SourceType.SURFACE, ("地表水", "surface water")),
    (SourceType.GROUNDWATER, ("地下水", "groundwater")),
    (SourceType.MUNICIPAL, ("自来水", "municipal supply")),
    (SourceType.PURCHASED, ("外购水", "purchased water")),
    (SourceType.RECLAIMED, ("再生水", "reclaimed water")),
    (SourceType.SEAWATER_DIRECT, ("海水（直接利用）", "seawater (direct)")),
    (SourceType.SEAWATER_DESALINATED, ("海水淡化水", "desalinated seawater")),
    (SourceType.BRACKISH, ("苦咸水", "brackish water")),
    (SourceType.MINE, ("矿井水", "mine water")),
    (SourceType.RAINWATER, ("雨水", "rainwater")),
    (TreatmentType.SOFTENING, ("软化", "softening")),
    (TreatmentType.DEMINERALISATION, ("除盐", "demineralisation")),
    (TreatmentType.WASTEWATER_PLANT, ("污水处理站", "wastewater plant")),
    (TreatmentType.MULTIMEDIA_FILTER, ("多介质过滤", "multimedia filter")),
    (TreatmentType.ULTRAFILTRATION, ("超滤", "ultrafiltration")),
    (TreatmentType.REVERSE_OSMOSIS, ("反渗透", "reverse osmosis")),
    (TreatmentType.EVAPORATION, ("蒸发结晶", "evaporation")),
    (TreatmentType.CLARIFICATION, ("混凝沉淀", "clarification")),
    (FlowCategory.FRESH, ("新水", "fresh water")),
    (FlowCategory.NON_CONVENTIONAL, ("非常规水", "non-conventional water")),
    (FlowCategory.RECIRCULATED, ("循环水", "recirculated")),
    (FlowCategory.CASCADED, ("串联水", "cascaded")),
    (FlowCategory.RECLAIMED, ("回用水", "reclaimed (reused)")),
    (FlowCategory.CONDENSATE, ("冷凝水回用", "condensate")),
    (FlowCategory.STEAM, ("蒸汽", "steam")),
    (FlowCategory.WASTEWATER, ("废水", "wastewater")),
    (FlowCategory.DISCHARGE, ("排水", "discharge")),
    (FlowCategory.EXTERNAL_SUPPLY, ("外供水", "external supply")),
    (FlowCategory.CONSUMPTION, ("耗水", "consumption")),
    (FlowCategory.LEAKAGE, ("漏失水", "leakage")),
    (MeterKind.TOTALIZER, ("累计水量表", "totalizer")),
    (MeterKind.RATE, ("瞬时流量计", "flow rate")),
    (MeterKind.QUALITY, ("水质仪表", "water quality")),
    (MeterKind.PRESSURE, ("压力表", "pressure")),
    (MeterKind.LEVEL, ("液位计", "level")),
)


# StrEnum members equal their values, so members of different vocabularies with the same value
# (UnitKind.DISCHARGE and FlowCategory.DISCHARGE, say) would collide as keys of one dict: a
# literal dict keeps only the last. The labels are therefore listed as rows and looked up by (vocabulary, value).
_BY_TYPE: dict[tuple[type[Enum], object], tuple[str, str]] = {
    (type(member), member.value): names for member, names in _LABEL_ROWS
}

_QUANTITY_LABELS: dict[str, tuple[str, str]] = {
    "volume": ("水量", "volume"),
    "flow_rate": ("流量", "flow rate"),
    "pressure": ("压力", "pressure"),
    "level": ("液位", "level"),
    "temperature": ("水温", "temperature"),
    "ph": ("pH值", "pH"),
    "conductivity": ("电导率", "conductivity"),
    "turbidity": ("浊度", "turbidity"),
    "concentration": ("浓度", "concentration"),
    "fluorescence": ("荧光示踪剂", "fluorescent tracer"),
    "energy": ("能耗", "energy"),
    "mass": ("质量", "mass"),
    "money": ("金额", "money"),
}


def quantity_label(quantity: str, language: str = "zh") -> str:
    """Return the name of a quantity (a key of :data:`shuixiao.units.QUANTITIES`) in ``language``.

    Examples
    --------
    >>> quantity_label("conductivity")
    '电导率'
    """
    zh, en = _QUANTITY_LABELS[quantity]
    return en if language == "en" else zh


def label(member: Enum, language: str = "zh") -> str:
    """Return the name of a vocabulary member in ``language`` ('zh' or 'en').

    Examples
    --------
    >>> label(UnitKind.COOLING_TOWER)
    '冷却塔'
    >>> label(FlowCategory.CASCADED, "en")
    'cascaded'
    """
    zh, en = _BY_TYPE[type(member), member.value]
    return en if language == "en" else zh
