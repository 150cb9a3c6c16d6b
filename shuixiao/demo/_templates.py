"""The six plants of the demo park, one per key industry of the Action Plan targets table.

Each template is data: units, flows with the rule that sets them, cooling
towers, tanks, meters and injected events.  Rates are at design output and
design scale; the generator scales them for extra enterprises.  The rates are
chosen so that each plant's intake per unit product lands where
:attr:`~shuixiao.demo._plant.PlantTemplate.expected_ratio` says relative to the
2020 national average (seed 001 targets table), with reuse rates typical of
the industry.

Naming: unit ids are short and stable (``iron_ct`` = ironmaking clean-loop
cooling tower); flow ids are ``<from>-<to>`` or ``<unit>-<what>``; meter tags
follow the usual P&ID letters (FT totalizer, FI rate, AT analyser, PT
pressure, LT level) with the metering level as first digit.

Recirculation loops are modelled through their equipment: the supply leg
(tower → user) and the return leg (user → tower, or user → scale pit → tower)
are both ``recirculated``; a loop's recirculated volume Vcy is its supply leg,
i.e. the recirculated flows *into* use units (see ``docs/demo-park.md``).
"""

from __future__ import annotations

from shuixiao.demo._plant import (
    BALANCE,
    Domestic,
    Drift,
    EventPlan,
    Excursion,
    FlowSpec,
    Gap,
    Lagged,
    Leak,
    LeakEvent,
    MeterSpec,
    PlantTemplate,
    ProductSpec,
    ProfileSpec,
    Rain,
    Rate,
    Ratio,
    Replacement,
    Rollover,
    Share,
    Stop,
    Stuck,
    Tank,
    Tower,
    TowerTerm,
    flow,
    unit,
)
from shuixiao.model import FlowCategory, MeterKind, SourceType, TreatmentType, UnitKind

__all__ = ["TEMPLATES"]

K = UnitKind
C = FlowCategory
S = SourceType
T = TreatmentType

FRESH, NC, RECIRC, CASC = C.FRESH, C.NON_CONVENTIONAL, C.RECIRCULATED, C.CASCADED
RECL, COND, STEAM, WW = C.RECLAIMED, C.CONDENSATE, C.STEAM, C.WASTEWATER
DIS, CONS, LEAK = C.DISCHARGE, C.CONSUMPTION, C.LEAKAGE


def _loop(tower: str, users: tuple[tuple[str, float], ...], name: str) -> list[FlowSpec]:
    """Flows of an indirect cooling loop: supply and return per user, evaporation and drift."""
    flows = [
        flow(f"{tower}-evap", tower, None, CONS, f"{name}蒸发损失", TowerTerm(tower, "evaporation")),
        flow(f"{tower}-drift", tower, None, CONS, f"{name}风吹损失", TowerTerm(tower, "drift")),
    ]
    for user, share in users:
        flows.append(
            flow(f"{tower}-{user}", tower, user, RECIRC, f"{name}给水", TowerTerm(tower, "recirc", share))
        )
        flows.append(flow(f"{user}-{tower}", user, tower, RECIRC, f"{name}回水", BALANCE))
    return flows


def _direct_loop(tower: str, user: str, pit: str, name: str, loss: float, sludge: str) -> list[FlowSpec]:
    """Flows of a direct (dirty) cooling loop: tower → user → scale pit → tower."""
    return [
        flow(f"{tower}-evap", tower, None, CONS, f"{name}蒸发损失", TowerTerm(tower, "evaporation")),
        flow(f"{tower}-drift", tower, None, CONS, f"{name}风吹损失", TowerTerm(tower, "drift")),
        flow(f"{tower}-{user}", tower, user, RECIRC, f"{name}给水", TowerTerm(tower, "recirc")),
        flow(f"{user}-{pit}", user, pit, RECIRC, f"{name}回水", BALANCE),
        flow(f"{user}-vapour", user, None, CONS, "直接冷却汽化损失", Ratio(loss, (f"{tower}-{user}",))),
        flow(f"{pit}-{tower}", pit, tower, RECIRC, f"{name}沉淀后回水", BALANCE),
        flow(f"{pit}-{sludge}", pit, sludge, WW, "旋流井排泥水", Share(0.006, pit)),
    ]


def _m(tag: str, type_: str, level: int, flow_id: str, name: str, **kw: object) -> MeterSpec:
    """A flow meter (totalizer unless ``kind`` says otherwise)."""
    return MeterSpec(id=tag, type=type_, level=level, name=name, flow=flow_id, **kw)  # type: ignore[arg-type]


def _a(tag: str, type_: str, level: int, unit_id: str, signal: str, name: str, unit_: str) -> MeterSpec:
    """An analyser, pressure or level meter on a unit."""
    return MeterSpec(
        id=tag, type=type_, level=level, name=name, water_unit=unit_id, signal=signal, unit=unit_
    )


# =========================================================================== steel
# Integrated iron and steel works (钢铁联合企业, no coking, no cold rolling), about 2.2 Mt crude steel a
# year.  National 2020 average 2.5 m³/t (seed 001); GB/T 18916.2 通用值 3.6 m³/t for this configuration
# (standards.md §4.2, [S]); reuse rate of good plants ≈ 98 % (2020 水效领跑者, standards.md §4.2).

STEEL = PlantTemplate(
    key="steel",
    industry_code="3120",
    name="岳阳{brand}钢铁有限公司",
    name_en="Yueyang {brand} Iron & Steel Co., Ltd.",
    site_name="滨江厂区",
    employees=3200,
    product=ProductSpec("crude_steel", "粗钢", "Crude steel", "t", "crude_steel", 280.0, 820.0),
    profile=ProfileSpec("continuous", 0.9, night=0.99, stops=(Stop(4, 12, 5, 0.6), Stop(9, 20, 3, 0.75))),
    units=(
        unit("src_river", "长江取水泵站", "Yangtze River intake", K.SOURCE, source=S.SURFACE),
        unit("src_city", "市政自来水接口", "Municipal water connection", K.SOURCE, source=S.MUNICIPAL),
        unit("out_main", "厂区总排口", "Main outfall", K.DISCHARGE),
        unit("wtp", "净水站", "Raw-water treatment plant", K.TREATMENT, 2, treatment=T.CLARIFICATION),
        unit("cwt", "清水池及供水泵站", "Clear-water reservoir and supply pumps", K.STORAGE, 3, "wtp"),
        unit("iron", "炼铁厂", "Ironmaking plant", K.WORKSHOP, 2),
        unit(
            "iron_ct", "高炉净环冷却塔", "Blast-furnace clean-loop cooling tower", K.COOLING_TOWER, 3, "iron"
        ),
        unit(
            "iron_hx",
            "高炉炉体及风口冷却",
            "Blast-furnace stave and tuyere cooling",
            K.INDIRECT_COOLING,
            3,
            "iron",
        ),
        unit("slag", "高炉冲渣", "Blast-furnace slag granulation", K.PROCESS, 3, "iron"),
        unit("sinter", "烧结机", "Sinter plant", K.PROCESS, 3, "iron"),
        unit("yard", "原料场洒水抑尘", "Stockyard dust suppression", K.PROCESS, 3, "iron"),
        unit("steel", "炼钢厂", "Steelmaking plant", K.WORKSHOP, 2),
        unit("bof_ct", "转炉净环冷却塔", "BOF clean-loop cooling tower", K.COOLING_TOWER, 3, "steel"),
        unit("bof_hx", "转炉氧枪及烟罩冷却", "BOF lance and hood cooling", K.INDIRECT_COOLING, 3, "steel"),
        unit("bof_gas", "转炉煤气湿法除尘", "BOF gas wet scrubbing", K.PROCESS, 3, "steel"),
        unit("ccm_ct", "连铸浊环冷却塔", "Caster dirty-loop cooling tower", K.COOLING_TOWER, 3, "steel"),
        unit("ccm", "连铸二冷喷淋", "Caster secondary spray cooling", K.DIRECT_COOLING, 3, "steel"),
        unit("ccm_pit", "连铸旋流井", "Caster scale pit", K.TREATMENT, 3, "steel", treatment=T.CLARIFICATION),
        unit("mill", "轧钢厂", "Rolling mill", K.WORKSHOP, 2),
        unit("mill_ct", "轧钢净环冷却塔", "Mill clean-loop cooling tower", K.COOLING_TOWER, 3, "mill"),
        unit(
            "mill_hx",
            "加热炉及电机冷却",
            "Reheating furnace and motor cooling",
            K.INDIRECT_COOLING,
            3,
            "mill",
        ),
        unit("mill_dct", "轧钢浊环冷却塔", "Mill dirty-loop cooling tower", K.COOLING_TOWER, 3, "mill"),
        unit("mill_dc", "轧机直接冷却及除鳞", "Roll cooling and descaling", K.DIRECT_COOLING, 3, "mill"),
        unit("mill_pit", "铁皮沉淀池", "Mill scale pit", K.TREATMENT, 3, "mill", treatment=T.CLARIFICATION),
        unit("power", "动力厂", "Power and utilities plant", K.WORKSHOP, 2),
        unit(
            "demin",
            "除盐水站",
            "Demineralised-water plant",
            K.TREATMENT,
            3,
            "power",
            treatment=T.DEMINERALISATION,
        ),
        unit("boiler", "煤气锅炉", "Gas-fired boiler", K.BOILER, 3, "power"),
        unit("turbine", "汽轮发电机组", "Steam turbine generator", K.PROCESS, 3, "power"),
        unit("power_ct", "发电循环冷却塔", "Power-plant cooling tower", K.COOLING_TOWER, 3, "power"),
        unit("cond", "汽轮机凝汽器", "Turbine condenser", K.INDIRECT_COOLING, 3, "power"),
        unit(
            "wwtp",
            "综合污水处理站",
            "Central wastewater-treatment plant",
            K.TREATMENT,
            2,
            treatment=T.WASTEWATER_PLANT,
        ),
        unit("uf", "超滤装置", "Ultrafiltration", K.TREATMENT, 3, "wwtp", treatment=T.ULTRAFILTRATION),
        unit("ro", "反渗透装置", "Reverse osmosis", K.TREATMENT, 3, "wwtp", treatment=T.REVERSE_OSMOSIS),
        unit("life", "办公及生活区", "Offices, canteen and dormitories", K.DOMESTIC, 2),
    ),  # fmt: skip
    flows=(
        flow("river-wtp", "src_river", "wtp", FRESH, "长江原水", BALANCE),
        flow("city-life", "src_city", "life", FRESH, "生活自来水", Domestic(3200, 160.0)),
        flow("wtp-cwt", "wtp", "cwt", FRESH, "净水出水", BALANCE),
        flow("wtp-wwtp", "wtp", "wwtp", WW, "净水站排泥水", Share(0.03, "wtp")),
        flow("cwt-leak", "cwt", None, LEAK, "供水主管网漏失", Leak(4.0)),
        flow("cwt-iron", "cwt", "iron", FRESH, "炼铁厂供水", BALANCE),
        flow("cwt-steel", "cwt", "steel", FRESH, "炼钢厂供水", BALANCE),
        flow("cwt-mill", "cwt", "mill", FRESH, "轧钢厂供水", BALANCE),
        flow("cwt-power", "cwt", "power", FRESH, "动力厂供水", BALANCE),
        # ironmaking
        flow("iron-iron_ct", "iron", "iron_ct", FRESH, "高炉净环补水", BALANCE),
        flow("iron-slag", "iron", "slag", FRESH, "冲渣补水", BALANCE),
        flow("iron-sinter", "iron", "sinter", FRESH, "烧结混料用水", Rate(44.0, 0.1)),
        flow("iron-yard", "iron", "yard", FRESH, "料场洒水", BALANCE),
        *_loop("iron_ct", (("iron_hx", 1.0),), "高炉净环"),
        flow("iron_ct-slag", "iron_ct", "slag", CASC, "净环排污水串级冲渣", TowerTerm("iron_ct", "blowdown")),
        flow(
            "ro-iron_ct",
            "ro",
            "iron_ct",
            RECL,
            "再生水回用于高炉净环",
            Ratio(0.2, ("iron-iron_ct", "ro-iron_ct")),
        ),
        flow("slag-vapour", "slag", None, CONS, "冲渣蒸发及渣带走水", Rate(105.0, 0.3)),
        flow("sinter-use", "sinter", None, CONS, "烧结混料水分蒸发", BALANCE),
        flow("yard-use", "yard", None, CONS, "洒水蒸发", Rate(34.0, 0.6)),
        # steelmaking
        flow("steel-bof_ct", "steel", "bof_ct", FRESH, "转炉净环补水", BALANCE),
        flow("steel-ccm_ct", "steel", "ccm_ct", FRESH, "连铸浊环补水", BALANCE),
        flow("steel-bof_gas", "steel", "bof_gas", FRESH, "除尘补水", Rate(44.0, 0.2)),
        *_loop("bof_ct", (("bof_hx", 1.0),), "转炉净环"),
        flow(
            "bof_ct-ccm_ct", "bof_ct", "ccm_ct", CASC, "净环排污水串级补浊环", TowerTerm("bof_ct", "blowdown")
        ),
        *_direct_loop("ccm_ct", "ccm", "ccm_pit", "连铸浊环", 0.012, "wwtp"),
        flow("ccm_ct-wwtp", "ccm_ct", "wwtp", WW, "连铸浊环排污", TowerTerm("ccm_ct", "blowdown")),
        flow("bof_gas-vapour", "bof_gas", None, CONS, "除尘蒸发及污泥带水", Share(0.55, "bof_gas")),
        flow("bof_gas-wwtp", "bof_gas", "wwtp", WW, "除尘废水", BALANCE),
        # rolling
        flow("mill-mill_ct", "mill", "mill_ct", FRESH, "轧钢净环补水", BALANCE),
        flow("mill-mill_dct", "mill", "mill_dct", FRESH, "轧钢浊环补水", BALANCE),
        *_loop("mill_ct", (("mill_hx", 1.0),), "轧钢净环"),
        flow(
            "mill_ct-mill_dct",
            "mill_ct",
            "mill_dct",
            CASC,
            "净环排污水串级补浊环",
            TowerTerm("mill_ct", "blowdown"),
        ),
        *_direct_loop("mill_dct", "mill_dc", "mill_pit", "轧钢浊环", 0.006, "wwtp"),
        flow("mill_dct-wwtp", "mill_dct", "wwtp", WW, "轧钢浊环排污", TowerTerm("mill_dct", "blowdown")),
        # power and utilities
        flow("power-power_ct", "power", "power_ct", FRESH, "发电循环水补水", BALANCE),
        flow("power-demin", "power", "demin", FRESH, "除盐水站进水", BALANCE),
        *_loop("power_ct", (("cond", 1.0),), "发电循环水"),
        flow("power_ct-wwtp", "power_ct", "wwtp", WW, "发电循环水排污", TowerTerm("power_ct", "blowdown")),
        flow(
            "ro-power_ct",
            "ro",
            "power_ct",
            RECL,
            "再生水回用于循环水",
            Ratio(0.2, ("power-power_ct", "ro-power_ct")),
        ),
        flow("demin-boiler", "demin", "boiler", FRESH, "锅炉补给水", BALANCE),
        flow("demin-wwtp", "demin", "wwtp", WW, "除盐再生废水", Share(0.1, "demin")),
        flow("boiler-turbine", "boiler", "turbine", STEAM, "主蒸汽", Rate(170.0, 0.55)),
        flow("boiler-sinter", "boiler", "sinter", STEAM, "烧结混合料预热蒸汽", Rate(8.0, 0.1)),
        flow("boiler-wwtp", "boiler", "wwtp", WW, "锅炉排污", Share(0.02, "boiler")),
        flow("boiler-loss", "boiler", None, CONS, "除氧器排汽及吹灰", Share(0.03, "boiler")),
        flow("turbine-boiler", "turbine", "boiler", COND, "凝结水回收", Ratio(0.985, ("boiler-turbine",))),
        flow("turbine-loss", "turbine", None, CONS, "汽水损失", BALANCE),
        # wastewater and reuse
        flow("life-wwtp", "life", "wwtp", WW, "生活污水", Share(0.85, "life")),
        flow("life-use", "life", None, CONS, "生活耗水", BALANCE),
        flow("wwtp-uf", "wwtp", "uf", WW, "二级出水进超滤", BALANCE),
        flow("wwtp-out", "wwtp", "out_main", DIS, "达标外排水", BALANCE),
        flow("wwtp-sludge", "wwtp", None, CONS, "污泥带走水", Share(0.004, "wwtp")),
        flow("uf-ro", "uf", "ro", WW, "超滤产水进反渗透", BALANCE),
        flow("uf-wwtp", "uf", "wwtp", WW, "超滤反洗水", Share(0.08, "uf")),
        flow("ro-out", "ro", "out_main", DIS, "反渗透浓水外排", Share(0.28, "ro")),
    ),  # fmt: skip
    towers=(
        Tower("iron_ct", 7600.0, 10.0, 5.0, base=0.7, makeup_conductivity=330.0),
        Tower("bof_ct", 3000.0, 9.0, 5.0, base=0.5, makeup_conductivity=330.0),
        Tower("ccm_ct", 1800.0, 12.0, 3.0, base=0.2, makeup_conductivity=420.0),
        Tower("mill_ct", 2400.0, 8.0, 5.0, base=0.5, makeup_conductivity=330.0),
        Tower("mill_dct", 2600.0, 10.0, 3.0, base=0.2, makeup_conductivity=420.0),
        Tower("power_ct", 6500.0, 9.0, 5.0, base=0.6, makeup_conductivity=300.0),
    ),
    tanks=(Tank("cwt", 1600.0, 3.6, 0.5),),
    meters=(
        _m("FT-1001", "emf", 1, "river-wtp", "长江原水总表"),
        _m("FT-1002", "woltman", 1, "city-life", "市政自来水总表"),
        _m("FT-1003", "channel", 1, "wwtp-out", "总排口明渠流量计"),
        _m("FT-1004", "emf", 1, "ro-out", "反渗透浓水外排表"),
        _m("FT-2001", "emf", 2, "wtp-cwt", "净水站出水总表"),
        _m("FT-2002", "emf", 2, "cwt-iron", "炼铁厂进水总表"),
        _m("FT-2003", "emf", 2, "cwt-steel", "炼钢厂进水总表"),
        _m("FT-2004", "emf", 2, "cwt-mill", "轧钢厂进水总表"),
        _m("FT-2005", "emf", 2, "cwt-power", "动力厂进水总表"),
        _m("FT-3001", "emf", 3, "iron-iron_ct", "高炉净环补水表"),
        _m("FT-3002", "ultrasonic", 3, "iron-slag", "冲渣补水表"),
        _m("FT-3003", "woltman", 3, "iron-sinter", "烧结用水表"),
        _m("FT-3004", "woltman", 3, "iron-yard", "料场洒水表"),
        _m("FT-3005", "emf", 3, "steel-bof_ct", "转炉净环补水表"),
        _m("FT-3006", "emf", 3, "steel-ccm_ct", "连铸浊环补水表"),
        _m("FT-3007", "ultrasonic", 3, "steel-bof_gas", "除尘补水表"),
        _m("FT-3008", "emf", 3, "mill-mill_ct", "轧钢净环补水表"),
        _m("FT-3009", "emf", 3, "mill-mill_dct", "轧钢浊环补水表"),
        _m("FT-3010", "emf", 3, "power-power_ct", "发电循环水补水表"),
        _m("FT-3011", "class1", 3, "power-demin", "除盐水站进水表"),
        _m("FT-3012", "emf", 3, "demin-boiler", "锅炉补给水表"),
        _m("FT-3013", "emf", 3, "turbine-boiler", "凝结水回收表"),
        _m("FT-3014", "emf", 3, "wwtp-uf", "超滤进水表"),
        _m("FT-3015", "emf", 3, "uf-ro", "反渗透进水表"),
        _m("FT-3016", "emf", 3, "ro-iron_ct", "再生水至高炉净环"),
        _m("FT-3017", "emf", 3, "ro-power_ct", "再生水至发电循环水"),
        _m("FT-3018", "ultrasonic", 3, "iron_ct-slag", "高炉净环排污表"),
        _m("FT-3019", "woltman", 3, "ccm_ct-wwtp", "连铸浊环排污表"),
        _m("FI-3101", "emf", 3, "iron_ct-iron_hx", "高炉净环给水流量", kind=MeterKind.RATE, unit="m³/h"),
        _m("FI-3102", "emf", 3, "ccm_ct-ccm", "连铸二冷水流量", kind=MeterKind.RATE, unit="L/s"),
        _m("FI-3103", "rate", 3, "boiler-sinter", "烧结预热蒸汽流量", kind=MeterKind.RATE, unit="t/h"),
        _a("AT-3201", "ph", 3, "iron_ct", "ph", "高炉净环pH", "pH"),
        _a("AT-3202", "cond", 3, "iron_ct", "conductivity", "高炉净环电导率", "µS/cm"),
        _a("AT-3203", "turb", 3, "iron_ct", "turbidity", "高炉净环浊度", "NTU"),
        _a("AT-3204", "cond", 3, "power_ct", "conductivity", "发电循环水电导率", "µS/cm"),
        _a("AT-3205", "cond", 3, "ro", "permeate_conductivity", "反渗透产水电导率", "µS/cm"),
        _a("PT-3301", "pressure", 3, "cwt", "pressure", "供水总管压力", "MPa"),
        _a("LT-3401", "level", 3, "cwt", "level", "清水池液位", "m"),
    ),
    events=EventPlan(
        leaks=(
            LeakEvent(
                "cwt-leak", 0.27, 0.36, 0.43, 32.0, "供水主管DN600焊缝渗漏 (weld leak on the DN600 main)"
            ),
        ),
        rollover=Rollover("FT-1002", 0.4),
        replacement=Replacement("FT-3003", 0.65),
        drifts=(Drift("FT-3005", 0.2, 0.8, 0.06),),
        stuck=(Stuck("FI-3102", 0.5, 24.0),),
        gaps=(
            Gap(
                ("FT-3008", "FT-3009"), 0.22, 6.0, hour=9, cause="轧钢厂采集网关断电 mill gateway power loss"
            ),
            Gap(("AT-3202",), 0.58, 3.0, hour=14),
        ),
        excursions=(Excursion("iron_ct", 0.7, 10.0, 9.8),),
    ),
    network_root="cwt",
    expected_ratio=1.04,
)


# =========================================================================== refinery
# Crude-oil refinery (原油加工), about 5 Mt crude a year, cooling make-up partly from the park's
# reclaimed-water plant.  National 2020 average 0.6 m³/t (seed 001).

REFINERY = PlantTemplate(
    key="refinery",
    industry_code="2511",
    name="岳阳{brand}石化有限公司",
    name_en="Yueyang {brand} Petrochemical Co., Ltd.",
    site_name="云溪厂区",
    employees=1400,
    product=ProductSpec(
        "crude_oil", "原油加工量", "Crude oil processed", "t", "petroleum_refining", 620.0, 640.0
    ),
    profile=ProfileSpec("continuous", 0.92, night=0.995, stops=(Stop(10, 15, 8, 0.7),)),
    units=(
        unit("src_river", "长江取水", "Yangtze River intake", K.SOURCE, source=S.SURFACE),
        unit("src_reclaimed", "园区再生水厂", "Park reclaimed-water plant", K.SOURCE, source=S.RECLAIMED),
        unit("src_city", "市政自来水接口", "Municipal water connection", K.SOURCE, source=S.MUNICIPAL),
        unit("out_main", "污水排放口", "Treated-effluent outfall", K.DISCHARGE),
        unit("wtp", "新鲜水处理站", "Fresh-water treatment plant", K.TREATMENT, 2, treatment=T.CLARIFICATION),
        unit("cw1", "第一循环水场", "Cooling-water station 1", K.WORKSHOP, 2),
        unit("cw1_ct", "一循冷却塔", "Cooling towers, station 1", K.COOLING_TOWER, 3, "cw1"),
        unit("cw2", "第二循环水场", "Cooling-water station 2", K.WORKSHOP, 2),
        unit("cw2_ct", "二循冷却塔", "Cooling towers, station 2", K.COOLING_TOWER, 3, "cw2"),
        unit("u1", "一联合车间（常减压、催化）", "Process block 1 (CDU/VDU, FCC)", K.WORKSHOP, 2),
        unit("u1_hx", "一联合水冷器", "Block 1 water coolers", K.INDIRECT_COOLING, 3, "u1"),
        unit("u1_desalter", "电脱盐注水", "Desalter wash water", K.PROCESS, 3, "u1"),
        unit("u1_strip", "汽提及注汽", "Stripping steam", K.PROCESS, 3, "u1"),
        unit("u2", "二联合车间（加氢、重整）", "Process block 2 (hydroprocessing, reforming)", K.WORKSHOP, 2),
        unit("u2_hx", "二联合水冷器", "Block 2 water coolers", K.INDIRECT_COOLING, 3, "u2"),
        unit("u2_wash", "加氢注水", "Hydrotreater wash water", K.PROCESS, 3, "u2"),
        unit("u2_reboil", "重沸器及伴热", "Reboilers and steam tracing", K.PROCESS, 3, "u2"),
        unit("tankfarm", "储运部", "Tank farm and logistics", K.WORKSHOP, 2),
        unit("tank_wash", "罐区切水及清洗", "Tank draining and cleaning", K.PROCESS, 3, "tankfarm"),
        unit("utility", "动力部", "Utilities", K.WORKSHOP, 2),
        unit(
            "demin",
            "除盐水站",
            "Demineralised-water plant",
            K.TREATMENT,
            3,
            "utility",
            treatment=T.DEMINERALISATION,
        ),
        unit("boiler", "动力锅炉", "Utility boilers", K.BOILER, 3, "utility"),
        unit(
            "wwtp", "污水处理场", "Wastewater-treatment plant", K.TREATMENT, 2, treatment=T.WASTEWATER_PLANT
        ),
        unit("uf", "超滤装置", "Ultrafiltration", K.TREATMENT, 3, "wwtp", treatment=T.ULTRAFILTRATION),
        unit("ro", "反渗透装置", "Reverse osmosis", K.TREATMENT, 3, "wwtp", treatment=T.REVERSE_OSMOSIS),
        unit("life", "办公及生活设施", "Offices and canteen", K.DOMESTIC, 2),
    ),  # fmt: skip
    flows=(
        flow("river-wtp", "src_river", "wtp", FRESH, "长江原水", BALANCE),
        flow("city-life", "src_city", "life", FRESH, "生活自来水", Domestic(1400, 150.0)),
        flow("wtp-wwtp", "wtp", "wwtp", WW, "排泥水", Share(0.025, "wtp")),
        flow("wtp-leak", "wtp", None, LEAK, "新鲜水管网漏失", Leak(1.2)),
        flow("wtp-cw1", "wtp", "cw1", FRESH, "一循补充新鲜水", BALANCE),
        flow("wtp-cw2", "wtp", "cw2", FRESH, "二循补充新鲜水", BALANCE),
        flow("wtp-u1", "wtp", "u1", FRESH, "一联合新鲜水", BALANCE),
        flow("wtp-u2", "wtp", "u2", FRESH, "二联合新鲜水", BALANCE),
        flow("wtp-tankfarm", "wtp", "tankfarm", FRESH, "储运新鲜水", BALANCE),
        flow("wtp-utility", "wtp", "utility", FRESH, "动力部新鲜水", BALANCE),
        flow(
            "reclaimed-cw1",
            "src_reclaimed",
            "cw1",
            NC,
            "再生水补一循",
            Ratio(0.3, ("wtp-cw1", "reclaimed-cw1", "ro-cw1")),
        ),
        flow(
            "reclaimed-cw2",
            "src_reclaimed",
            "cw2",
            NC,
            "再生水补二循",
            Ratio(0.3, ("wtp-cw2", "reclaimed-cw2")),
        ),
        flow("cw1-cw1_ct", "cw1", "cw1_ct", FRESH, "一循补水", BALANCE),
        flow("cw2-cw2_ct", "cw2", "cw2_ct", FRESH, "二循补水", BALANCE),
        flow(
            "ro-cw1", "ro", "cw1", RECL, "回用水补一循", Ratio(0.22, ("wtp-cw1", "reclaimed-cw1", "ro-cw1"))
        ),
        *_loop("cw1_ct", (("u1_hx", 1.0),), "一循"),
        *_loop("cw2_ct", (("u2_hx", 1.0),), "二循"),
        flow("cw1_ct-wwtp", "cw1_ct", "wwtp", WW, "一循排污", TowerTerm("cw1_ct", "blowdown")),
        flow("cw2_ct-wwtp", "cw2_ct", "wwtp", WW, "二循排污", TowerTerm("cw2_ct", "blowdown")),
        flow("u1-desalter", "u1", "u1_desalter", FRESH, "电脱盐注水", Rate(30.0, 0.2)),
        flow("u1_desalter-wwtp", "u1_desalter", "wwtp", WW, "含盐污水", BALANCE),
        flow("u1-leak", "u1", None, LEAK, "装置区管网漏失", Leak(0.4)),
        flow("boiler-u1_strip", "boiler", "u1_strip", STEAM, "汽提蒸汽", Rate(46.0, 0.3)),
        flow("u1_strip-wwtp", "u1_strip", "wwtp", WW, "含硫污水", BALANCE),
        flow("u2-wash", "u2", "u2_wash", FRESH, "加氢注水", Rate(16.0, 0.2)),
        flow("u2_wash-wwtp", "u2_wash", "wwtp", WW, "含硫污水", BALANCE),
        flow("boiler-u2_reboil", "boiler", "u2_reboil", STEAM, "重沸器蒸汽", Rate(110.0, 0.4)),
        flow(
            "u2_reboil-boiler", "u2_reboil", "boiler", COND, "凝结水回收", Ratio(0.82, ("boiler-u2_reboil",))
        ),
        flow("u2_reboil-loss", "u2_reboil", None, CONS, "伴热疏水损失", BALANCE),
        flow("tankfarm-wash", "tankfarm", "tank_wash", FRESH, "罐区用水", Rate(9.0, 0.5)),
        flow("tank_wash-wwtp", "tank_wash", "wwtp", WW, "含油污水", BALANCE),
        flow("utility-demin", "utility", "demin", FRESH, "除盐水站进水", BALANCE),
        flow("demin-boiler", "demin", "boiler", FRESH, "锅炉给水", BALANCE),
        flow("demin-wwtp", "demin", "wwtp", WW, "再生废水", Share(0.12, "demin")),
        flow("boiler-wwtp", "boiler", "wwtp", WW, "锅炉排污", Share(0.02, "boiler")),
        flow("boiler-loss", "boiler", None, CONS, "除氧器排汽", Share(0.025, "boiler")),
        flow("life-wwtp", "life", "wwtp", WW, "生活污水", Share(0.85, "life")),
        flow("life-use", "life", None, CONS, "生活耗水", BALANCE),
        flow("wwtp-uf", "wwtp", "uf", WW, "深度处理进水", BALANCE),
        flow("wwtp-out", "wwtp", "out_main", DIS, "达标外排水", BALANCE),
        flow("wwtp-sludge", "wwtp", None, CONS, "污泥及蒸发", Share(0.006, "wwtp")),
        flow("uf-ro", "uf", "ro", WW, "超滤产水", BALANCE),
        flow("uf-wwtp", "uf", "wwtp", WW, "超滤反洗水", Share(0.08, "uf")),
        flow("ro-out", "ro", "out_main", DIS, "反渗透浓水", Share(0.3, "ro")),
    ),  # fmt: skip
    towers=(
        Tower("cw1_ct", 8500.0, 10.0, 5.0, base=0.6, makeup_conductivity=380.0),
        Tower("cw2_ct", 6600.0, 10.0, 5.0, base=0.6, makeup_conductivity=380.0),
    ),
    meters=(
        _m("FT-1001", "emf", 1, "river-wtp", "新鲜水总表"),
        _m("FT-1002", "emf", 1, "reclaimed-cw1", "再生水至一循"),
        _m("FT-1003", "emf", 1, "reclaimed-cw2", "再生水至二循"),
        _m("FT-1004", "class1", 1, "city-life", "生活自来水总表"),
        _m("FT-1005", "emf", 1, "wwtp-out", "外排水在线流量计"),
        _m("FT-1006", "emf", 1, "ro-out", "反渗透浓水外排表"),
        _m("FT-2001", "emf", 2, "wtp-cw1", "一循新鲜水表"),
        _m("FT-2002", "emf", 2, "wtp-cw2", "二循新鲜水表"),
        _m("FT-2003", "emf", 2, "wtp-u1", "一联合新鲜水表"),
        _m("FT-2004", "emf", 2, "wtp-u2", "二联合新鲜水表"),
        _m("FT-2005", "woltman", 2, "wtp-tankfarm", "储运部新鲜水表"),
        _m("FT-2006", "emf", 2, "wtp-utility", "动力部新鲜水表"),
        _m("FT-2007", "emf", 2, "wwtp-uf", "深度处理进水表"),
        _m("FT-3001", "emf", 3, "cw1-cw1_ct", "一循总补水表"),
        _m("FT-3002", "emf", 3, "cw2-cw2_ct", "二循总补水表"),
        _m("FT-3003", "ultrasonic", 3, "cw1_ct-wwtp", "一循排污表"),
        _m("FT-3004", "ultrasonic", 3, "cw2_ct-wwtp", "二循排污表"),
        _m("FT-3005", "class1", 3, "u1-desalter", "电脱盐注水表"),
        _m("FT-3006", "class1", 3, "u2-wash", "加氢注水表"),
        _m("FT-3007", "woltman", 3, "tankfarm-wash", "罐区用水表"),
        _m("FT-3008", "emf", 3, "demin-boiler", "锅炉给水表"),
        _m("FT-3009", "emf", 3, "u2_reboil-boiler", "凝结水回收表"),
        _m("FT-3010", "emf", 3, "uf-ro", "反渗透进水表"),
        _m("FT-3011", "emf", 3, "ro-cw1", "回用水至一循"),
        _m("FT-3012", "emf", 3, "utility-demin", "除盐水站进水表"),
        _m("FI-3101", "ultrasonic", 3, "cw1_ct-u1_hx", "一循给水总管流量", kind=MeterKind.RATE, unit="m³/h"),
        _m("FI-3102", "ultrasonic", 3, "cw2_ct-u2_hx", "二循给水总管流量", kind=MeterKind.RATE, unit="m³/h"),
        _m("FI-3103", "rate", 3, "boiler-u1_strip", "汽提蒸汽流量", kind=MeterKind.RATE, unit="t/h"),
        _a("AT-3201", "ph", 3, "cw1_ct", "ph", "一循pH", "pH"),
        _a("AT-3202", "cond", 3, "cw1_ct", "conductivity", "一循电导率", "µS/cm"),
        _a("AT-3203", "turb", 3, "cw1_ct", "turbidity", "一循浊度", "NTU"),
        _a("AT-3204", "ph", 3, "cw2_ct", "ph", "二循pH", "pH"),
        _a("AT-3205", "cond", 3, "cw2_ct", "conductivity", "二循电导率", "µS/cm"),
        _a("AT-3206", "cond", 3, "ro", "permeate_conductivity", "回用水电导率", "µS/cm"),
        _a("AT-3207", "turb", 3, "ro", "reuse_turbidity", "回用水浊度", "NTU"),
        _a("PT-2301", "pressure", 2, "wtp", "pressure", "新鲜水管网压力", "MPa"),
    ),
    events=EventPlan(
        stuck=(Stuck("AT-3205", 0.45, 24.0),),
        gaps=(
            Gap(
                ("FT-2003", "FT-2004", "FT-3005", "FT-3006"),
                0.33,
                8.0,
                hour=1,
                cause="装置区交换机故障 switch failure",
            ),
        ),
    ),
    expected_ratio=1.03,
)


# =========================================================================== dyeing
# Cotton woven-fabric dyeing and finishing (棉印染精加工), about 60 million metres a year on two
# shifts, six days a week.  National 2020 average 1.6 m³/100 m (seed 001); this plant is the park's
# poor performer (old machines, little counter-current washing).

DYEING = PlantTemplate(
    key="dyeing",
    industry_code="1713",
    name="岳阳{brand}印染有限公司",
    name_en="Yueyang {brand} Dyeing & Finishing Co., Ltd.",
    site_name="印染园厂区",
    employees=820,
    product=ProductSpec(
        "woven_fabric", "机织印染布", "Dyed woven fabric", "100m", "woven_dyed_fabric", 170.0, 140.0
    ),
    profile=ProfileSpec(
        "two_shift", 0.9, weekly_off=(6,), festival_days=16, national_day_days=4, stops=(Stop(7, 20, 2, 0.0),)
    ),
    units=(
        unit("src_well", "厂区深井", "Site wells", K.SOURCE, source=S.GROUNDWATER),
        unit("src_city", "市政自来水接口", "Municipal water connection", K.SOURCE, source=S.MUNICIPAL),
        unit("out_main", "污水接管口", "Sewer connection to the park plant", K.DISCHARGE),
        unit("soft", "软水站", "Water-softening plant", K.TREATMENT, 2, treatment=T.SOFTENING),
        unit("pre", "前处理车间", "Pretreatment workshop", K.WORKSHOP, 2),
        unit("desize", "退煮漂联合机", "Desizing, scouring and bleaching range", K.PROCESS, 3, "pre"),
        unit("merc", "丝光机", "Mercerising range", K.PROCESS, 3, "pre"),
        unit("dye", "染色车间", "Dyeing workshop", K.WORKSHOP, 2),
        unit("pad", "连续轧染机", "Continuous pad-dyeing ranges", K.PROCESS, 3, "dye"),
        unit("jig", "卷染及溢流染色机", "Jiggers and overflow dyeing machines", K.PROCESS, 3, "dye"),
        unit("fin", "印花后整理车间", "Printing and finishing workshop", K.WORKSHOP, 2),
        unit("print", "印花机及皂洗", "Printing and soaping ranges", K.PROCESS, 3, "fin"),
        unit("stenter", "定形机", "Stenters", K.PROCESS, 3, "fin"),
        unit("power", "动力车间", "Utilities workshop", K.WORKSHOP, 2),
        unit("boiler", "燃气蒸汽锅炉", "Gas-fired steam boilers", K.BOILER, 3, "power"),
        unit("ct", "冷却塔", "Cooling tower", K.COOLING_TOWER, 3, "power"),
        unit("comp", "空压机及冷水机组", "Air compressors and chillers", K.INDIRECT_COOLING, 3, "power"),
        unit(
            "wwtp", "污水处理站", "Wastewater-treatment plant", K.TREATMENT, 2, treatment=T.WASTEWATER_PLANT
        ),
        unit("uf", "超滤装置", "Ultrafiltration", K.TREATMENT, 3, "wwtp", treatment=T.ULTRAFILTRATION),
        unit("ro", "反渗透装置", "Reverse osmosis", K.TREATMENT, 3, "wwtp", treatment=T.REVERSE_OSMOSIS),
        unit("life", "宿舍及食堂", "Dormitories and canteen", K.DOMESTIC, 2),
    ),  # fmt: skip
    flows=(
        flow("well-soft", "src_well", "soft", FRESH, "深井水", BALANCE),
        flow("city-soft", "src_city", "soft", FRESH, "自来水补充", Ratio(0.35, ("well-soft", "city-soft"))),
        flow("city-life", "src_city", "life", FRESH, "生活自来水", Domestic(820, 130.0)),
        flow("soft-wwtp", "soft", "wwtp", WW, "软化再生废水", Share(0.04, "soft")),
        flow("soft-pre", "soft", "pre", FRESH, "前处理车间供水", BALANCE),
        flow("soft-dye", "soft", "dye", FRESH, "染色车间供水", BALANCE),
        flow("soft-fin", "soft", "fin", FRESH, "印花后整理供水", BALANCE),
        flow("soft-power", "soft", "power", FRESH, "动力车间供水", BALANCE),
        flow("pre-desize", "pre", "desize", FRESH, "退煮漂用水", Rate(73.0, 0.04)),
        flow("pre-merc", "pre", "merc", FRESH, "丝光水洗用水", Rate(40.0, 0.04)),
        flow("merc-desize", "merc", "desize", CASC, "丝光淡碱水逆流回用", Share(0.3, "merc")),
        flow("merc-wwtp", "merc", "wwtp", WW, "丝光废水", BALANCE),
        flow("desize-wwtp", "desize", "wwtp", WW, "前处理废水", BALANCE),
        flow("desize-vapour", "desize", None, CONS, "汽蒸及烘干蒸发", Share(0.05, "desize")),
        flow("dye-pad", "dye", "pad", FRESH, "轧染水洗用水", Rate(78.0, 0.04)),
        flow("dye-jig", "dye", "jig", FRESH, "染色用水", Rate(52.0, 0.04)),
        flow("dye-leak", "dye", None, LEAK, "车间地下管道漏失", Leak(0.4)),
        flow("ro-pad", "ro", "pad", RECL, "回用水至轧染水洗", Rate(26.0, 0.0)),
        flow("pad-wwtp", "pad", "wwtp", WW, "染色废水", BALANCE),
        flow("pad-vapour", "pad", None, CONS, "烘干蒸发", Share(0.04, "pad")),
        flow("jig-wwtp", "jig", "wwtp", WW, "染色残液及漂洗水", BALANCE),
        flow("jig-boiler", "jig", "boiler", COND, "间接加热凝结水回收", Ratio(0.55, ("boiler-jig",))),
        flow("fin-print", "fin", "print", FRESH, "印花皂洗用水", Rate(42.0, 0.04)),
        flow("fin-stenter", "fin", "stenter", FRESH, "定形机冷却及废气喷淋", Rate(5.0, 0.0)),
        flow("print-wwtp", "print", "wwtp", WW, "印花废水", BALANCE),
        flow("stenter-vapour", "stenter", None, CONS, "定形蒸发", Share(0.6, "stenter")),
        flow("stenter-wwtp", "stenter", "wwtp", WW, "喷淋废水", BALANCE),
        flow("power-boiler", "power", "boiler", FRESH, "锅炉补水", BALANCE),
        flow("power-ct", "power", "ct", FRESH, "冷却塔补水", BALANCE),
        flow("boiler-pad", "boiler", "pad", STEAM, "轧染汽蒸蒸汽", Rate(14.0, 0.05)),
        flow("boiler-jig", "boiler", "jig", STEAM, "染色加热蒸汽", Rate(10.0, 0.05)),
        flow("boiler-wwtp", "boiler", "wwtp", WW, "锅炉排污", Share(0.04, "boiler")),
        *_loop("ct", (("comp", 1.0),), "冷却"),
        flow("ct-wwtp", "ct", "wwtp", WW, "冷却塔排污", TowerTerm("ct", "blowdown")),
        flow("life-wwtp", "life", "wwtp", WW, "生活污水", Share(0.85, "life")),
        flow("life-use", "life", None, CONS, "生活耗水", BALANCE),
        flow("wwtp-uf", "wwtp", "uf", WW, "生化出水进超滤", BALANCE),
        flow("wwtp-out", "wwtp", "out_main", DIS, "接管排放", BALANCE),
        flow("wwtp-sludge", "wwtp", None, CONS, "污泥带走水", Share(0.005, "wwtp")),
        flow("uf-ro", "uf", "ro", WW, "超滤产水", BALANCE),
        flow("uf-wwtp", "uf", "wwtp", WW, "超滤反洗水", Share(0.1, "uf")),
        flow("ro-out", "ro", "out_main", DIS, "反渗透浓水", Share(0.35, "ro")),
    ),  # fmt: skip
    towers=(Tower("ct", 90.0, 5.0, 4.0, base=0.3, makeup_conductivity=450.0),),
    meters=(
        _m("FT-1001", "woltman", 1, "well-soft", "深井水总表"),
        _m("FT-1002", "woltman", 1, "city-soft", "生产自来水表"),
        _m("FT-1003", "class1", 1, "city-life", "生活自来水表"),
        _m("FT-1004", "emf", 1, "wwtp-out", "接管口流量计"),
        _m("FT-1005", "emf", 1, "ro-out", "浓水排放表"),
        _m("FT-2001", "emf", 2, "soft-pre", "前处理车间总表"),
        _m("FT-2002", "emf", 2, "soft-dye", "染色车间总表"),
        _m("FT-2003", "emf", 2, "soft-fin", "印花后整理总表"),
        _m("FT-2004", "woltman", 2, "soft-power", "动力车间总表"),
        _m("FT-3001", "woltman", 3, "pre-desize", "退煮漂用水表"),
        _m("FT-3002", "woltman", 3, "pre-merc", "丝光用水表"),
        _m("FT-3003", "woltman", 3, "dye-pad", "轧染用水表"),
        _m("FT-3004", "woltman", 3, "dye-jig", "染色机用水表"),
        _m("FT-3005", "woltman", 3, "fin-print", "印花用水表"),
        _m("FT-3006", "class1", 3, "power-boiler", "锅炉补水表"),
        _m("FT-3007", "class1", 3, "power-ct", "冷却塔补水表"),
        _m("FT-3008", "emf", 3, "ro-pad", "回用水表"),
        _m("FT-3009", "emf", 3, "jig-boiler", "凝结水回收表"),
        _m("FT-3010", "emf", 3, "wwtp-uf", "超滤进水表"),
        _m("FT-3011", "woltman", 3, "merc-desize", "丝光淡碱水回用表"),
        _m("FT-3012", "class1", 3, "fin-stenter", "定形机用水表"),
        _m("FT-3013", "emf", 3, "uf-ro", "反渗透进水表"),
        _m("FT-3014", "class1", 3, "ct-wwtp", "冷却塔排污表"),
        _m("FI-3101", "emf", 3, "soft-dye", "染色车间瞬时流量", kind=MeterKind.RATE, unit="L/s"),
        _m("FI-3102", "rate", 3, "boiler-pad", "轧染蒸汽流量", kind=MeterKind.RATE, unit="t/h"),
        _a("AT-3201", "cond", 3, "ro", "permeate_conductivity", "回用水电导率", "µS/cm"),
        _a("AT-3202", "ph", 3, "ct", "ph", "冷却水pH", "pH"),
        _a("AT-3203", "cond", 3, "ct", "conductivity", "冷却水电导率", "µS/cm"),
        _a("AT-3204", "turb", 3, "ro", "reuse_turbidity", "回用水浊度", "NTU"),
        _a("PT-2301", "pressure", 2, "soft", "pressure", "软水管网压力", "MPa"),
    ),
    events=EventPlan(
        leaks=(LeakEvent("dye-leak", 0.5, 0.56, 0.62, 7.0, "染色车间地下DN150管道破裂 (buried DN150 pipe)"),),
        gaps=(
            Gap(
                ("FT-3001", "FT-3002", "FT-2001"),
                0.12,
                5.0,
                hour=10,
                cause="前处理车间采集器故障 logger fault",
            ),
        ),
    ),
    network_root="soft",
    expected_ratio=1.3,
)


# =========================================================================== paper
# Containerboard from recovered fibre (OCC), about 300 kt a year.  National 2020 average 24 m³/t
# (seed 001); this mill is the park's best performer: closed white-water loops and UF/RO reuse.

PAPER = PlantTemplate(
    key="paper",
    industry_code="2221",
    name="岳阳{brand}纸业有限公司",
    name_en="Yueyang {brand} Paper Co., Ltd.",
    site_name="城陵矶厂区",
    employees=1100,
    product=ProductSpec("containerboard", "箱纸板", "Containerboard", "t", "containerboard", 40.0, 1050.0),
    profile=ProfileSpec(
        "continuous",
        0.9,
        night=0.99,
        festival_days=4,
        festival_level=0.0,
        stops=(Stop(1, 14, 0.75, 0.0, every=28),),
    ),
    units=(
        unit("src_lake", "洞庭湖取水", "Dongting Lake intake", K.SOURCE, source=S.SURFACE),
        unit("src_reclaimed", "园区再生水厂", "Park reclaimed-water plant", K.SOURCE, source=S.RECLAIMED),
        unit("src_city", "市政自来水接口", "Municipal water connection", K.SOURCE, source=S.MUNICIPAL),
        unit("out_main", "废水排放口", "Effluent outfall", K.DISCHARGE),
        unit("wtp", "净水站", "Raw-water treatment plant", K.TREATMENT, 2, treatment=T.CLARIFICATION),
        unit("pulp", "制浆车间", "Stock preparation (OCC pulping)", K.WORKSHOP, 2),
        unit("pulper", "碎浆及筛选净化", "Pulping, screening and cleaning", K.PROCESS, 3, "pulp"),
        unit("chem", "化学品制备", "Chemical preparation", K.PROCESS, 3, "pulp"),
        unit("pm", "纸机车间", "Paper-machine hall", K.WORKSHOP, 2),
        unit("wire", "网部及白水系统", "Wire section and white-water system", K.PROCESS, 3, "pm"),
        unit("shower", "清水喷淋", "Fresh-water showers", K.PROCESS, 3, "pm"),
        unit("press", "压榨部", "Press section", K.PROCESS, 3, "pm"),
        unit("dryer", "烘缸干燥部", "Dryer section", K.PROCESS, 3, "pm"),
        unit("vac", "真空泵密封水", "Vacuum-pump seal water", K.PROCESS, 3, "pm"),
        unit(
            "disc",
            "多圆盘白水回收",
            "Disc-filter white-water recovery",
            K.TREATMENT,
            3,
            "pm",
            treatment=T.MULTIMEDIA_FILTER,
        ),
        unit("power", "热电车间", "Combined heat and power", K.WORKSHOP, 2),
        unit(
            "demin",
            "除盐水站",
            "Demineralised-water plant",
            K.TREATMENT,
            3,
            "power",
            treatment=T.DEMINERALISATION,
        ),
        unit("boiler", "热电锅炉", "CHP boiler", K.BOILER, 3, "power"),
        unit("ct", "循环冷却塔", "Cooling tower", K.COOLING_TOWER, 3, "power"),
        unit(
            "cond",
            "汽轮机凝汽器及辅机冷却",
            "Turbine condenser and auxiliaries",
            K.INDIRECT_COOLING,
            3,
            "power",
        ),
        unit(
            "wwtp", "污水处理站", "Wastewater-treatment plant", K.TREATMENT, 2, treatment=T.WASTEWATER_PLANT
        ),
        unit("uf", "超滤装置", "Ultrafiltration", K.TREATMENT, 3, "wwtp", treatment=T.ULTRAFILTRATION),
        unit("ro", "反渗透装置", "Reverse osmosis", K.TREATMENT, 3, "wwtp", treatment=T.REVERSE_OSMOSIS),
        unit("life", "办公及生活区", "Offices and canteen", K.DOMESTIC, 2),
    ),  # fmt: skip
    flows=(
        flow("lake-wtp", "src_lake", "wtp", FRESH, "湖水", BALANCE),
        flow("reclaimed-pulper", "src_reclaimed", "pulper", NC, "再生水用于碎浆", Rate(105.0, 0.0)),
        flow("city-life", "src_city", "life", FRESH, "生活自来水", Domestic(1100, 150.0)),
        flow("wtp-wwtp", "wtp", "wwtp", WW, "排泥水", Share(0.02, "wtp")),
        flow("wtp-leak", "wtp", None, LEAK, "管网漏失", Leak(2.5)),
        flow("wtp-pulp", "wtp", "pulp", FRESH, "制浆车间供水", BALANCE),
        flow("wtp-pm", "wtp", "pm", FRESH, "纸机车间供水", BALANCE),
        flow("wtp-power", "wtp", "power", FRESH, "热电车间供水", BALANCE),
        flow("pulp-pulper", "pulp", "pulper", FRESH, "碎浆及筛选补充清水", Rate(82.0, 0.0)),
        flow("pulp-chem", "pulp", "chem", FRESH, "化学品溶解用水", Rate(14.0, 0.2)),
        flow("chem-pulper", "chem", "pulper", FRESH, "化学品溶液", BALANCE),
        flow("ro-pulper", "ro", "pulper", RECL, "回用水至碎浆", Rate(45.0, 0.0)),
        flow("disc-pulper", "disc", "pulper", CASC, "多盘澄清白水回用于碎浆", Rate(1150.0, 0.0)),
        flow("pulper-wire", "pulper", "wire", FRESH, "上网浆料带水（工艺物流）", BALANCE),
        flow("pulper-wwtp", "pulper", "wwtp", WW, "排渣及尾渣带水", Share(0.05, "pulper")),
        flow("pm-shower", "pm", "shower", FRESH, "喷淋清水", Rate(285.0, 0.03)),
        flow("pm-vac", "pm", "vac", FRESH, "真空泵密封水", Rate(120.0, 0.05)),
        flow("disc-shower", "disc", "shower", CASC, "超清白水用于喷淋", Rate(220.0, 0.0)),
        flow("shower-wire", "shower", "wire", FRESH, "喷淋水进入白水（工艺物流）", BALANCE),
        flow("wire-press", "wire", "press", FRESH, "湿纸幅带水（工艺物流）", Rate(120.0, 0.0)),
        flow("wire-disc", "wire", "disc", FRESH, "多余白水至多盘（工艺物流）", BALANCE),
        flow("disc-wwtp", "disc", "wwtp", WW, "多余白水外排", BALANCE),
        flow("press-wire", "press", "wire", CASC, "压榨脱水回白水", Share(0.5, "press")),
        flow("press-dryer", "press", "dryer", FRESH, "纸幅带入干燥部（工艺物流）", BALANCE),
        flow("dryer-vapour", "dryer", None, CONS, "干燥蒸发", Ratio(0.95, ("press-dryer",))),
        flow("dryer-product", "dryer", None, CONS, "成品纸含水及疏水损失", BALANCE),
        flow("vac-wwtp", "vac", "wwtp", WW, "密封水排水", BALANCE),
        flow("power-demin", "power", "demin", FRESH, "除盐水站进水", BALANCE),
        flow("power-ct", "power", "ct", FRESH, "循环水补水", BALANCE),
        flow("demin-boiler", "demin", "boiler", FRESH, "锅炉补给水", BALANCE),
        flow("demin-wwtp", "demin", "wwtp", WW, "再生废水", Share(0.12, "demin")),
        flow("boiler-dryer", "boiler", "dryer", STEAM, "烘缸蒸汽", Rate(62.0, 0.15)),
        flow("dryer-boiler", "dryer", "boiler", COND, "烘缸凝结水回收", Ratio(0.88, ("boiler-dryer",))),
        flow("boiler-wwtp", "boiler", "wwtp", WW, "锅炉排污", Share(0.02, "boiler")),
        flow("boiler-loss", "boiler", None, CONS, "除氧器排汽", Share(0.03, "boiler")),
        *_loop("ct", (("cond", 1.0),), "循环水"),
        flow("ct-wwtp", "ct", "wwtp", WW, "循环水排污", TowerTerm("ct", "blowdown")),
        flow("ro-ct", "ro", "ct", RECL, "回用水补循环水", Ratio(0.3, ("power-ct", "ro-ct"))),
        flow("life-wwtp", "life", "wwtp", WW, "生活污水", Share(0.85, "life")),
        flow("life-use", "life", None, CONS, "生活耗水", BALANCE),
        flow("wwtp-uf", "wwtp", "uf", WW, "深度处理进水", BALANCE),
        flow("wwtp-out", "wwtp", "out_main", DIS, "达标排放", BALANCE),
        flow("wwtp-sludge", "wwtp", None, CONS, "污泥带走水", Share(0.008, "wwtp")),
        flow("uf-ro", "uf", "ro", WW, "超滤产水", BALANCE),
        flow("uf-wwtp", "uf", "wwtp", WW, "超滤反洗水", Share(0.08, "uf")),
        flow("ro-out", "ro", "out_main", DIS, "反渗透浓水", Share(0.3, "ro")),
    ),  # fmt: skip
    towers=(Tower("ct", 2000.0, 9.0, 5.0, base=0.4, makeup_conductivity=260.0),),
    meters=(
        _m("FT-1001", "emf", 1, "lake-wtp", "取水总表"),
        _m("FT-1002", "emf", 1, "reclaimed-pulper", "再生水进厂表"),
        _m("FT-1003", "class1", 1, "city-life", "生活自来水表"),
        _m("FT-1004", "emf", 1, "wwtp-out", "排放口在线流量计"),
        _m("FT-1005", "emf", 1, "ro-out", "浓水排放表"),
        _m("FT-2001", "emf", 2, "wtp-pulp", "制浆车间进水"),
        _m("FT-2002", "emf", 2, "wtp-pm", "纸机车间进水"),
        _m("FT-2003", "emf", 2, "wtp-power", "热电车间进水"),
        _m("FT-2004", "emf", 2, "wwtp-uf", "深度处理进水"),
        _m("FT-3001", "emf", 3, "pulp-pulper", "碎浆清水表"),
        _m("FT-3011", "class1", 3, "pulp-chem", "化学品制备用水表"),
        _m("FT-3012", "emf", 3, "disc-shower", "白水回用于喷淋"),
        _m("FT-3002", "emf", 3, "ro-pulper", "回用水至碎浆"),
        _m("FT-3003", "emf", 3, "pm-shower", "喷淋清水表"),
        _m("FT-3004", "emf", 3, "pm-vac", "真空泵密封水表"),
        _m("FT-3005", "ultrasonic", 3, "disc-wwtp", "多余白水排放表"),
        _m("FT-3006", "emf", 3, "power-ct", "循环水补水表"),
        _m("FT-3007", "emf", 3, "power-demin", "除盐水站进水表"),
        _m("FT-3008", "emf", 3, "dryer-boiler", "凝结水回收表"),
        _m("FT-3009", "emf", 3, "ro-ct", "回用水补循环水"),
        _m("FT-3010", "emf", 3, "uf-ro", "反渗透进水表"),
        _m("FT-3013", "ultrasonic", 3, "ct-wwtp", "循环水排污表"),
        _m("FT-3014", "emf", 3, "demin-boiler", "锅炉补给水表"),
        _m("FI-3101", "emf", 3, "disc-pulper", "白水回用瞬时流量", kind=MeterKind.RATE, unit="m³/h"),
        _m("FI-3103", "ultrasonic", 3, "ct-cond", "循环水给水流量", kind=MeterKind.RATE, unit="m³/h"),
        _m("FI-3102", "rate", 3, "boiler-dryer", "烘缸蒸汽流量", kind=MeterKind.RATE, unit="t/h"),
        _a("AT-3201", "cond", 3, "ct", "conductivity", "循环水电导率", "µS/cm"),
        _a("AT-3202", "ph", 3, "ct", "ph", "循环水pH", "pH"),
        _a("AT-3203", "cond", 3, "ro", "permeate_conductivity", "回用水电导率", "µS/cm"),
        _a("AT-3204", "turb", 3, "ro", "reuse_turbidity", "回用水浊度", "NTU"),
        _a("AT-3205", "turb", 3, "ct", "turbidity", "循环水浊度", "NTU"),
        _a("PT-2301", "pressure", 2, "wtp", "pressure", "供水管网压力", "MPa"),
    ),
    events=EventPlan(
        stuck=(Stuck("FI-3101", 0.62, 24.0),),
        gaps=(Gap(("FT-1004",), 0.4, 4.0, hour=20, cause="排放口数采仪断网 data logger offline"),),
    ),
    expected_ratio=0.7,
)


# =========================================================================== beer
# Brewery, about 200 000 kL of beer a year with a summer peak.  National 2020 average 4.5 m³/kL
# (seed 001).  Hot water from the wort cooler and pasteuriser overflow are reused (串联用水).

BEER = PlantTemplate(
    key="beer",
    industry_code="1513",
    name="岳阳{brand}啤酒有限公司",
    name_en="Yueyang {brand} Brewery Co., Ltd.",
    site_name="经开区厂区",
    employees=650,
    product=ProductSpec("beer", "啤酒", "Beer", "kL", "beer", 42.0, 1500.0),
    profile=ProfileSpec("continuous", 0.58, night=0.85, festival_days=9, festival_level=0.15, seasonal=0.38),
    units=(
        unit("src_well", "厂区深井", "Site wells", K.SOURCE, source=S.GROUNDWATER),
        unit("src_city", "市政自来水接口", "Municipal water connection", K.SOURCE, source=S.MUNICIPAL),
        unit("out_main", "污水接管口", "Sewer connection", K.DISCHARGE),
        unit("wtp", "酿造水处理站", "Brewing-water treatment", K.TREATMENT, 2, treatment=T.MULTIMEDIA_FILTER),
        unit("brew", "糖化车间", "Brewhouse", K.WORKSHOP, 2),
        unit("mash", "糖化及麦汁煮沸", "Mashing and wort boiling", K.PROCESS, 3, "brew"),
        unit("wort_cool", "麦汁冷却器", "Wort cooler", K.PROCESS, 3, "brew"),
        unit("ferm", "发酵车间", "Fermentation and filtration", K.WORKSHOP, 2),
        unit("cip", "CIP清洗站", "Clean-in-place station", K.PROCESS, 3, "ferm"),
        unit("filt", "清酒过滤及稀释", "Beer filtration and blending", K.PROCESS, 3, "ferm"),
        unit("pack", "包装车间", "Packaging hall", K.WORKSHOP, 2),
        unit("washer", "洗瓶机", "Bottle washers", K.PROCESS, 3, "pack"),
        unit("past", "隧道式杀菌机", "Tunnel pasteurisers", K.PROCESS, 3, "pack"),
        unit("rinse", "冲瓶机及灌装", "Rinsers and fillers", K.PROCESS, 3, "pack"),
        unit("power", "动力车间", "Utilities workshop", K.WORKSHOP, 2),
        unit("boiler", "燃气锅炉", "Gas-fired boiler", K.BOILER, 3, "power"),
        unit("ct", "冷却塔", "Cooling tower", K.COOLING_TOWER, 3, "power"),
        unit(
            "comp",
            "空压机及CO₂回收冷却",
            "Compressor and CO₂-recovery cooling",
            K.INDIRECT_COOLING,
            3,
            "power",
        ),
        unit(
            "wwtp", "污水处理站", "Wastewater-treatment plant", K.TREATMENT, 2, treatment=T.WASTEWATER_PLANT
        ),
        unit("uf", "超滤装置", "Ultrafiltration", K.TREATMENT, 3, "wwtp", treatment=T.ULTRAFILTRATION),
        unit("ro", "反渗透装置", "Reverse osmosis", K.TREATMENT, 3, "wwtp", treatment=T.REVERSE_OSMOSIS),
        unit("life", "办公及食堂", "Offices and canteen", K.DOMESTIC, 2),
    ),  # fmt: skip
    flows=(
        flow("well-wtp", "src_well", "wtp", FRESH, "深井水", BALANCE),
        flow("city-life", "src_city", "life", FRESH, "生活自来水", Domestic(650, 120.0)),
        flow("city-pack", "src_city", "pack", FRESH, "包装车间自来水", Rate(9.0, 0.05)),
        flow("wtp-wwtp", "wtp", "wwtp", WW, "反洗水", Share(0.04, "wtp")),
        flow("wtp-brew", "wtp", "brew", FRESH, "糖化车间供水", BALANCE),
        flow("wtp-ferm", "wtp", "ferm", FRESH, "发酵车间供水", BALANCE),
        flow("wtp-pack", "wtp", "pack", FRESH, "包装车间供水", BALANCE),
        flow("wtp-power", "wtp", "power", FRESH, "动力车间供水", BALANCE),
        flow("brew-mash", "brew", "mash", FRESH, "投料水", Rate(30.0, 0.0)),
        flow("brew-wort_cool", "brew", "wort_cool", FRESH, "冷却用酿造水", Rate(38.0, 0.0)),
        flow("wort_cool-mash", "wort_cool", "mash", CASC, "热水回收至投料", Share(0.62, "wort_cool")),
        flow("wort_cool-cip", "wort_cool", "cip", CASC, "热水回收至CIP", BALANCE),
        flow("mash-vapour", "mash", None, CONS, "煮沸蒸发", Share(0.07, "mash")),
        flow("mash-grains", "mash", None, CONS, "酒糟带走水", Share(0.09, "mash")),
        flow("mash-ferm", "mash", "filt", FRESH, "麦汁（工艺物流）", BALANCE),
        flow("ferm-cip", "ferm", "cip", FRESH, "CIP清洗用水", Rate(20.0, 0.1)),
        flow("ferm-filt", "ferm", "filt", FRESH, "脱氧水稀释", Rate(6.0, 0.0)),
        flow("cip-wwtp", "cip", "wwtp", WW, "CIP废水", BALANCE),
        flow("filt-product", "filt", None, CONS, "成品啤酒带走水", Share(0.93, "filt")),
        flow("filt-wwtp", "filt", "wwtp", WW, "酵母及过滤损失", BALANCE),
        flow("pack-washer", "pack", "washer", FRESH, "洗瓶用水", Rate(48.0, 0.02)),
        flow("pack-past", "pack", "past", FRESH, "杀菌机补水", Rate(16.0, 0.02)),
        flow("pack-rinse", "pack", "rinse", FRESH, "冲瓶用水", Rate(10.0, 0.02)),
        flow("pack-leak", "pack", None, LEAK, "包装车间管网漏失", Leak(0.2)),
        flow("past-washer", "past", "washer", CASC, "杀菌机溢流水回用于洗瓶", Share(0.55, "past")),
        flow("past-wwtp", "past", "wwtp", WW, "杀菌机排水", Share(0.3, "past")),
        flow("past-vapour", "past", None, CONS, "杀菌机蒸发", BALANCE),
        flow("washer-wwtp", "washer", "wwtp", WW, "洗瓶废水", BALANCE),
        flow("rinse-wwtp", "rinse", "wwtp", WW, "冲瓶废水", BALANCE),
        flow("power-boiler", "power", "boiler", FRESH, "锅炉补水", BALANCE),
        flow("power-ct", "power", "ct", FRESH, "冷却塔补水", BALANCE),
        flow("boiler-mash", "boiler", "mash", STEAM, "糖化煮沸蒸汽", Rate(9.0, 0.05)),
        flow("mash-boiler", "mash", "boiler", COND, "凝结水回收", Ratio(0.8, ("boiler-mash",))),
        flow("boiler-wwtp", "boiler", "wwtp", WW, "锅炉排污", Share(0.03, "boiler")),
        flow("boiler-loss", "boiler", None, CONS, "排汽损失", Share(0.03, "boiler")),
        *_loop("ct", (("comp", 1.0),), "冷却"),
        flow("ct-wwtp", "ct", "wwtp", WW, "冷却塔排污", TowerTerm("ct", "blowdown")),
        flow("ro-ct", "ro", "ct", RECL, "回用水补冷却塔", Ratio(0.3, ("power-ct", "ro-ct"))),
        flow("ro-washer", "ro", "washer", RECL, "回用水用于洗箱及外洗", Rate(5.0, 0.0, "main")),
        flow("life-wwtp", "life", "wwtp", WW, "生活污水", Share(0.85, "life")),
        flow("life-use", "life", None, CONS, "生活耗水", BALANCE),
        flow("wwtp-uf", "wwtp", "uf", WW, "深度处理进水", BALANCE),
        flow("wwtp-out", "wwtp", "out_main", DIS, "接管排放", BALANCE),
        flow("wwtp-sludge", "wwtp", None, CONS, "污泥带走水", Share(0.006, "wwtp")),
        flow("uf-ro", "uf", "ro", WW, "超滤产水", BALANCE),
        flow("uf-wwtp", "uf", "wwtp", WW, "超滤反洗水", Share(0.1, "uf")),
        flow("ro-out", "ro", "out_main", DIS, "反渗透浓水", Share(0.3, "ro")),
    ),  # fmt: skip
    towers=(Tower("ct", 60.0, 6.0, 4.0, base=0.4, makeup_conductivity=420.0),),
    meters=(
        _m("FT-1001", "woltman", 1, "well-wtp", "深井水总表"),
        _m("FT-1002", "class1", 1, "city-life", "生活自来水表"),
        _m("FT-1003", "woltman", 1, "city-pack", "包装车间自来水表"),
        _m("FT-1004", "emf", 1, "wwtp-out", "接管口流量计"),
        _m("FT-1005", "emf", 1, "ro-out", "浓水排放表"),
        _m("FT-2001", "emf", 2, "wtp-brew", "糖化车间进水"),
        _m("FT-2002", "emf", 2, "wtp-ferm", "发酵车间进水"),
        _m("FT-2003", "emf", 2, "wtp-pack", "包装车间进水"),
        _m("FT-2004", "woltman", 2, "wtp-power", "动力车间进水"),
        _m("FT-3001", "class1", 3, "brew-mash", "投料水表"),
        _m("FT-3002", "class1", 3, "ferm-cip", "CIP用水表"),
        _m("FT-3003", "woltman", 3, "pack-washer", "洗瓶机用水表"),
        _m("FT-3004", "woltman", 3, "pack-past", "杀菌机补水表"),
        _m("FT-3005", "class1", 3, "power-ct", "冷却塔补水表"),
        _m("FT-3007", "emf", 3, "mash-boiler", "凝结水回收表"),
        _m("FT-3008", "emf", 3, "uf-ro", "反渗透进水表"),
        _m("FT-3009", "class1", 3, "power-boiler", "锅炉补水表"),
        _m("FT-3010", "class1", 3, "ro-washer", "回用水至洗箱"),
        _m("FT-3011", "class1", 3, "pack-rinse", "冲瓶用水表"),
        _m("FT-3012", "class1", 3, "brew-wort_cool", "麦汁冷却用水表"),
        _m("FT-3013", "class1", 3, "ferm-filt", "脱氧水表"),
        _m("FT-3014", "woltman", 3, "past-washer", "杀菌机溢流回用表"),
        _m("FT-3015", "emf", 3, "ro-ct", "回用水补冷却塔"),
        _m("FT-3016", "class1", 3, "ct-wwtp", "冷却塔排污表"),
        _m("FI-3101", "rate", 3, "boiler-mash", "糖化蒸汽流量", kind=MeterKind.RATE, unit="t/h"),
        _a("AT-3201", "cond", 3, "ro", "permeate_conductivity", "回用水电导率", "µS/cm"),
        _a("AT-3202", "cond", 3, "ct", "conductivity", "冷却水电导率", "µS/cm"),
        _a("AT-3203", "ph", 3, "ct", "ph", "冷却水pH", "pH"),
        _a("AT-3204", "turb", 3, "ro", "reuse_turbidity", "回用水浊度", "NTU"),
        _a("PT-2301", "pressure", 2, "wtp", "pressure", "供水管网压力", "MPa"),
    ),
    events=EventPlan(
        leaks=(
            LeakEvent("pack-leak", 0.15, 0.19, 0.24, 3.5, "洗瓶机进水软管接头脱落 (washer hose coupling)"),
        ),
        gaps=(
            Gap(
                ("FT-2003", "FT-3003", "FT-3004"), 0.8, 4.0, hour=15, cause="包装车间网关升级 gateway upgrade"
            ),
        ),
    ),
    expected_ratio=1.02,
)


# =========================================================================== aluminium
# Primary aluminium smelter (电解铝), about 250 kt of liquid aluminium a year, pot line running
# without stops.  National 2020 average 2.5 m³/t (seed 001).  Rain from the anode-shop roofs is
# harvested into a tank and used as cooling make-up (雨水集蓄利用).

ALUMINIUM = PlantTemplate(
    key="aluminium",
    industry_code="3216",
    name="岳阳{brand}铝业有限公司",
    name_en="Yueyang {brand} Aluminium Co., Ltd.",
    site_name="临港厂区",
    employees=1500,
    product=ProductSpec(
        "liquid_aluminium", "电解原铝液", "Liquid primary aluminium", "t", "primary_aluminium", 30.0, 3100.0
    ),
    profile=ProfileSpec("continuous", 0.95, night=1.0),
    units=(
        unit("src_park", "园区工业水厂供水", "Park industrial-water supply", K.SOURCE, source=S.MUNICIPAL),
        unit("src_well", "厂区深井", "Site well", K.SOURCE, source=S.GROUNDWATER),
        unit("src_rain", "屋面雨水收集", "Roof rainwater harvesting", K.SOURCE, source=S.RAINWATER),
        unit("out_main", "雨污分流总排口", "Main outfall", K.DISCHARGE),
        unit("soft", "软化水站", "Water-softening plant", K.TREATMENT, 2, treatment=T.SOFTENING),
        unit("pot", "电解车间", "Potrooms", K.WORKSHOP, 2),
        unit(
            "rect", "整流机组冷却", "Rectifier cooling (closed soft-water loop)", K.INDIRECT_COOLING, 3, "pot"
        ),
        unit("fgt", "电解烟气净化", "Pot-gas treatment", K.PROCESS, 3, "pot"),
        unit("comp", "空压站冷却", "Compressor-station cooling", K.INDIRECT_COOLING, 3, "pot"),
        unit("carbon", "阳极组装车间", "Anode rodding shop", K.WORKSHOP, 2),
        unit("rod", "导杆及磷生铁浇铸冷却", "Rod and cast-iron cooling", K.INDIRECT_COOLING, 3, "carbon"),
        unit("boiler", "燃气蒸汽锅炉", "Gas-fired steam boiler", K.BOILER, 3, "carbon"),
        unit("bath", "电解质破碎及伴热", "Bath crushing and steam tracing", K.PROCESS, 3, "carbon"),
        unit("fgd", "焙烧烟气湿法脱硫", "Baking-furnace wet desulphurisation", K.PROCESS, 3, "carbon"),
        unit("green", "厂区绿化及道路洒水", "Landscaping and road spraying", K.PROCESS, 2),
        unit("cast", "铸造车间", "Cast house", K.WORKSHOP, 2),
        unit("caster", "铸造机直接冷却", "Ingot-caster direct cooling", K.DIRECT_COOLING, 3, "cast"),
        unit("cw", "循环水站", "Cooling-water station", K.WORKSHOP, 2),
        unit("ct1", "净循环冷却塔", "Clean-loop cooling tower", K.COOLING_TOWER, 3, "cw"),
        unit("ct2", "浊循环冷却塔", "Dirty-loop cooling tower", K.COOLING_TOWER, 3, "cw"),
        unit(
            "pit", "浊循环沉淀池", "Dirty-loop settling pit", K.TREATMENT, 3, "cw", treatment=T.CLARIFICATION
        ),
        unit("rain_tank", "雨水收集池", "Rainwater tank", K.STORAGE, 3, "cw"),
        unit(
            "wwtp", "污水处理站", "Wastewater-treatment plant", K.TREATMENT, 2, treatment=T.WASTEWATER_PLANT
        ),
        unit("uf", "超滤装置", "Ultrafiltration", K.TREATMENT, 3, "wwtp", treatment=T.ULTRAFILTRATION),
        unit("ro", "反渗透装置", "Reverse osmosis", K.TREATMENT, 3, "wwtp", treatment=T.REVERSE_OSMOSIS),
        unit("life", "办公及生活区", "Offices and canteen", K.DOMESTIC, 2),
    ),  # fmt: skip
    flows=(
        flow("park-soft", "src_park", "soft", FRESH, "园区工业水", BALANCE),
        flow("well-soft", "src_well", "soft", FRESH, "深井水", Ratio(0.2, ("park-soft", "well-soft"))),
        flow("park-life", "src_park", "life", FRESH, "生活用水", Domestic(1500, 190.0)),
        flow("soft-wwtp", "soft", "wwtp", WW, "软化再生废水", Share(0.05, "soft")),
        flow("soft-leak", "soft", None, LEAK, "厂区管网漏失", Leak(0.5)),
        flow("soft-cw", "soft", "cw", FRESH, "循环水站补水", BALANCE),
        flow("soft-pot", "soft", "pot", FRESH, "电解车间供水", BALANCE),
        flow("soft-carbon", "soft", "carbon", FRESH, "阳极组装供水", BALANCE),
        flow("soft-cast", "soft", "cast", FRESH, "铸造车间供水", BALANCE),
        flow("cast-caster", "cast", "caster", FRESH, "铸模喷淋补水", Rate(2.5, 0.2)),
        flow("pot-fgt", "pot", "fgt", FRESH, "烟气增湿用水", Rate(8.0, 0.5)),
        flow("fgt-vapour", "fgt", None, CONS, "增湿蒸发", BALANCE),
        flow("carbon-boiler", "carbon", "boiler", FRESH, "锅炉补水", BALANCE),
        flow("carbon-bath", "carbon", "bath", FRESH, "破碎除尘用水", Rate(2.0, 0.3)),
        flow("carbon-fgd", "carbon", "fgd", FRESH, "脱硫补水", Rate(16.0, 0.8)),
        flow("fgd-vapour", "fgd", None, CONS, "脱硫蒸发及石膏带水", Share(0.75, "fgd")),
        flow("fgd-wwtp", "fgd", "wwtp", WW, "脱硫废水", BALANCE),
        flow("soft-green", "soft", "green", FRESH, "绿化及洒水用水", Rate(10.0, 0.6)),
        flow("green-use", "green", None, CONS, "绿化蒸散", BALANCE),
        flow("boiler-bath", "boiler", "bath", STEAM, "伴热蒸汽", Rate(6.0, 0.6)),
        flow("bath-boiler", "bath", "boiler", COND, "凝结水回收", Ratio(0.75, ("boiler-bath",))),
        flow("bath-vapour", "bath", None, CONS, "伴热及除尘损失", BALANCE),
        flow("boiler-wwtp", "boiler", "wwtp", WW, "锅炉排污", Share(0.03, "boiler")),
        flow("cw-ct1", "cw", "ct1", FRESH, "净循环补水", BALANCE),
        flow("cw-ct2", "cw", "ct2", FRESH, "浊循环补水", BALANCE),
        *_loop("ct1", (("rect", 0.5), ("comp", 0.3), ("rod", 0.2)), "净循环"),
        flow("ct1-ct2", "ct1", "ct2", CASC, "净循环排污串级补浊循环", TowerTerm("ct1", "blowdown")),
        flow("ro-ct1", "ro", "ct1", RECL, "回用水补净循环", Ratio(0.3, ("cw-ct1", "ro-ct1", "tank-ct1"))),
        flow("rain-tank", "src_rain", "rain_tank", NC, "屋面雨水", Rain(16000.0, 0.85, 600.0)),
        flow("tank-ct1", "rain_tank", "ct1", NC, "雨水补净循环", Lagged("rain-tank", "ct1", 0.5)),
        *_direct_loop("ct2", "caster", "pit", "浊循环", 0.01, "wwtp"),
        flow("ct2-wwtp", "ct2", "wwtp", WW, "浊循环排污", TowerTerm("ct2", "blowdown")),
        flow("life-wwtp", "life", "wwtp", WW, "生活污水", Share(0.85, "life")),
        flow("life-use", "life", None, CONS, "生活耗水", BALANCE),
        flow("wwtp-uf", "wwtp", "uf", WW, "深度处理进水", BALANCE),
        flow("wwtp-out", "wwtp", "out_main", DIS, "达标排放", BALANCE),
        flow("wwtp-sludge", "wwtp", None, CONS, "污泥带走水", Share(0.01, "wwtp")),
        flow("uf-ro", "uf", "ro", WW, "超滤产水", BALANCE),
        flow("uf-wwtp", "uf", "wwtp", WW, "超滤反洗水", Share(0.1, "uf")),
        flow("ro-out", "ro", "out_main", DIS, "反渗透浓水", Share(0.3, "ro")),
    ),  # fmt: skip
    towers=(
        Tower("ct1", 760.0, 8.0, 5.0, base=0.7, makeup_conductivity=300.0),
        Tower("ct2", 360.0, 10.0, 3.5, base=0.5, makeup_conductivity=400.0),
    ),
    tanks=(Tank("rain_tank", 400.0, 0.3, buffer_of="rain-tank"),),
    meters=(
        _m("FT-1001", "emf", 1, "park-soft", "园区工业水总表"),
        _m("FT-1002", "woltman", 1, "well-soft", "深井水表"),
        _m("FT-1003", "class1", 1, "park-life", "生活用水表"),
        _m("FT-1004", "emf", 1, "wwtp-out", "总排口流量计"),
        _m("FT-1005", "emf", 1, "ro-out", "浓水排放表"),
        _m("FT-1006", "class1", 1, "rain-tank", "雨水收集表"),
        _m("FT-2001", "emf", 2, "soft-cw", "循环水站补水总表"),
        _m("FT-2002", "woltman", 2, "soft-pot", "电解车间进水表"),
        _m("FT-2003", "woltman", 2, "soft-carbon", "阳极组装进水表"),
        _m("FT-3001", "class1", 3, "cw-ct1", "净循环补水表"),
        _m("FT-3002", "class1", 3, "cw-ct2", "浊循环补水表"),
        _m("FT-3003", "class1", 3, "pot-fgt", "烟气增湿水表"),
        _m("FT-3004", "class1", 3, "carbon-boiler", "锅炉补水表"),
        _m("FT-3005", "emf", 3, "bath-boiler", "凝结水回收表"),
        _m("FT-3006", "emf", 3, "ro-ct1", "回用水补净循环"),
        _m("FT-3007", "emf", 3, "uf-ro", "反渗透进水表"),
        _m("FT-3008", "ultrasonic", 3, "ct2-wwtp", "浊循环排污表"),
        _m("FT-3009", "class1", 3, "tank-ct1", "雨水回用表"),
        _m("FT-3010", "class1", 3, "carbon-fgd", "脱硫补水表"),
        _m("FT-3011", "class1", 3, "ct1-ct2", "净循环排污串级表"),
        _m("FT-3012", "class1", 3, "cast-caster", "铸模喷淋水表"),
        _m("FT-3013", "class1", 3, "carbon-bath", "破碎除尘水表"),
        _m("FT-2004", "class1", 2, "soft-green", "绿化用水表"),
        _m("FI-3101", "ultrasonic", 3, "ct1-rect", "整流冷却水流量", kind=MeterKind.RATE, unit="L/s"),
        _m("FI-3102", "ultrasonic", 3, "ct2-caster", "铸造冷却水流量", kind=MeterKind.RATE, unit="m³/h"),
        _a("AT-3201", "cond", 3, "ct1", "conductivity", "净循环电导率", "µS/cm"),
        _a("AT-3202", "ph", 3, "ct1", "ph", "净循环pH", "pH"),
        _a("AT-3203", "turb", 3, "ct2", "turbidity", "浊循环浊度", "NTU"),
        _a("AT-3204", "cond", 3, "ro", "permeate_conductivity", "回用水电导率", "µS/cm"),
        _a("AT-3205", "cond", 3, "ct2", "conductivity", "浊循环电导率", "µS/cm"),
        _a("PT-2301", "pressure", 2, "soft", "pressure", "供水管网压力", "MPa"),
        _a("LT-3401", "level", 3, "rain_tank", "level", "雨水池液位", "m"),
    ),
    events=EventPlan(
        drifts=(Drift("FT-2002", 0.3, 0.9, -0.05),),
        gaps=(
            Gap(
                ("FT-3001", "FT-3002", "AT-3201", "AT-3202"),
                0.66,
                12.0,
                hour=8,
                cause="循环水站PLC通讯故障 PLC link fault",
            ),
        ),
    ),
    network_root="soft",
    expected_ratio=0.96,
)


TEMPLATES: tuple[PlantTemplate, ...] = (STEEL, REFINERY, DYEING, PAPER, BEER, ALUMINIUM)
"""The six industry templates, in the order enterprises are generated."""
