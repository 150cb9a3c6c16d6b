"""Texts of the water-balance test report in Chinese (default) and English."""

from __future__ import annotations

from typing import Any

_TEXTS: dict[str, tuple[str, str]] = {
    "title": ("水平衡测试报告", "Water-balance test report"),
    "subtitle": (
        "依据 GB/T 12452-2022《水平衡测试通则》附录A 编制",
        "Outline of GB/T 12452-2022 General principles of water balance test, Annex A",
    ),
    "generated": ("编制日期", "Date"),
    "s1": ("一、企业概况", "1 The enterprise"),
    "s2": ("二、测试依据与测试期", "2 Basis and test period"),
    "s3": ("三、水计量器具配备与数据", "3 Meters and data"),
    "s4": ("四、水平衡测试结果", "4 Water-balance results"),
    "s5": ("五、水平衡图", "5 Water-balance diagram"),
    "s6": ("六、用水指标", "6 Water-use indicators"),
    "s7": ("七、对标与达标", "7 Benchmarking against quotas and targets"),
    "s8": ("八、数据协调与误差分析", "8 Data reconciliation"),
    "s9": ("九、存在问题与节水建议", "9 Problems found and recommendations"),
    "facts.name": ("企业名称", "Name"),
    "facts.credit": ("统一社会信用代码", "Unified social credit code"),
    "facts.industry": ("所属行业 (GB/T 4754-2017)", "Industry (GB/T 4754-2017)"),
    "facts.region": ("所在地区", "Region"),
    "facts.park": ("所在园区", "Park"),
    "facts.employees": ("职工人数", "Employees"),
    "facts.units": ("用水单元", "Water units"),
    "facts.meters": ("水计量器具", "Meters"),
    "facts.products": ("主要产品与产量", "Products and output"),
    "facts.value_added": ("工业增加值（万元）", "Industrial value added (10⁴ CNY)"),
    "basis.text": (
        "测试依据：GB/T 12452-2022《水平衡测试通则》、GB/T 24789-2022《用水单位水计量器具配备和管理通则》、"
        "GB/T 7119-2018《节水型企业评价导则》、GB/T 18916 取水定额系列、CJ 42-1999《工业用水考核指标及计算方法》。"
        "测试期 {start} 至 {end}（{days:g} 天，{zone}）。水量取自在线计量数据的日、月统计值；"
        "未计量的水量由各用水单元的水量平衡推算，平衡不能确定的循环水量等按设计流量估算，并逐项标明来源。",
        "Basis: GB/T 12452-2022, GB/T 24789-2022, GB/T 7119-2018, the GB/T 18916 quotas and CJ 42-1999. "
        "Test period {start} to {end} ({days:g} days, {zone}). Volumes come from the daily and monthly "
        "aggregates of the online meters; unmetered flows are inferred from the unit balances, and "
        "circulation and other flows the balances leave open are estimated from design rates; every "
        "volume says where it comes from.",
    ),
    "notes": ("说明", "Notes"),
    "meters.title": ("计量器具与数据覆盖", "Meters and data coverage"),
    "meters.text": (
        "计量器具 {meters} 台，其中流量计量 {flow_meters} 台；实测 {measured} 台，估算（数据有缺口）{estimated} 台，缺失 {missing} 台。",
        "{meters} meters, {flow_meters} of them on flows: {measured} measured, {estimated} estimated "
        "(data gaps filled), {missing} missing.",
    ),
    "rates.title": ("水计量器具配备率与水计量率（GB/T 24789）", "Equipping and metering rates (GB/T 24789)"),
    "col.meter": ("计量器具", "Meter"),
    "col.flow": ("所测水量", "Flow"),
    "col.level": ("级别", "Level"),
    "col.accuracy": ("准确度 %", "Accuracy %"),
    "col.volume": ("水量 m³", "Volume m³"),
    "col.coverage": ("数据覆盖 %", "Coverage %"),
    "col.status": ("来源", "Status"),
    "col.note": ("说明", "Note"),
    "col.required": ("要求 %", "Required %"),
    "col.equipping": ("配备率 %", "Equipping rate %"),
    "col.metering": ("计量率 %", "Metering rate %"),
    "col.unit": ("用水单元", "Unit"),
    "col.inputs": ("输入水量 m³", "Inputs m³"),
    "col.outputs": ("输出水量 m³", "Outputs m³"),
    "col.consumption": ("耗水量 m³", "Consumption m³"),
    "col.leakage": ("漏失水量 m³", "Leakage m³"),
    "col.closure": ("闭合差 %", "Closure %"),
    "col.tolerance": ("允许 %", "Allowed %"),
    "col.check": ("判定", "Check"),
    "col.from": ("起点", "From"),
    "col.to": ("终点", "To"),
    "col.category": ("类别", "Category"),
    "col.indicator": ("指标", "Indicator"),
    "col.value": ("数值", "Value"),
    "col.unit_of": ("单位", "Unit"),
    "col.formula": ("定义", "Definition"),
    "col.reference": ("依据", "Reference"),
    "col.product": ("产品", "Product"),
    "col.table": ("对标表", "Table"),
    "col.grade": ("定额等级", "Quota grade"),
    "col.quota": ("定额（通用/先进/领跑）", "Quota (general/advanced/leading)"),
    "col.avg2020": ("2020 年平均", "2020 average"),
    "col.exp2025": ("2025 年预期", "2025 expected"),
    "col.ratio": ("与 2020 平均之比", "Ratio to 2020"),
    "col.tier": ("称号", "Tier"),
    "col.eligible": ("结论", "Result"),
    "col.criterion": ("条件", "Criterion"),
    "col.reason": ("依据数据", "Reason"),
    "col.measured": ("测量值 m³", "Measured m³"),
    "col.reconciled": ("协调值 m³", "Reconciled m³"),
    "col.adjust": ("调整量 m³", "Adjustment m³"),
    "col.statistic": ("检验统计量", "Test statistic"),
    "col.kind": ("类型", "Kind"),
    "col.subject": ("对象", "Subject"),
    "col.finding": ("内容", "Finding"),
    "col.potential": ("节水潜力 m³", "Potential m³"),
    "units.title": ("各用水单元水量平衡表", "Water balance of each unit"),
    "groups.title": ("二级用水单位水量平衡表", "Water balance of the level-2 sub-units"),
    "flows.title": ("水量汇总（测试期）", "Flows in the test period"),
    "level1.text": (
        "全厂取水量 {intake} m³，耗水量 {consumption} m³，排水量 {discharge} m³，漏失水量 {leakage} m³，外供水量 "
        "{external} m³；全厂闭合差 {closure}（允许 {tolerance}）。一级取水量与二级用水单位取水量之和相差 {difference}（允许 {tolerance}）。",
        "Intake {intake} m³, consumption {consumption} m³, discharge {discharge} m³, leakage {leakage} m³, "
        "external supply {external} m³; whole-plant closure {closure} (allowed {tolerance}). Level-1 intake "
        "against the sum of the level-2 sub-units: {difference} (allowed {tolerance}).",
    ),
    "diagram.text": (
        "图中方框为用水单元，连线为水量，线宽与水量的平方根成正比；实线为实测，虚线为推算，点线为估算，灰色为缺失。"
        "数值单位 m³（测试期合计）。",
        "Boxes are water units, bands are flows with widths proportional to the square root of the volume; "
        "solid measured, dashed inferred, dotted estimated, grey missing. Volumes in m³ over the test period.",
    ),
    "indicators.title": (
        "用水指标（定义见 CJ 42-1999、GB/T 7119-2018、GB/T 24789）",
        "Indicators (definitions: CJ 42-1999, GB/T 7119-2018, GB/T 24789)",
    ),
    "bench.title": ("单位产品取水量对标", "Intake per unit product against quotas and targets"),
    "tiers.title": ("节水型企业、节水标杆、水效领跑者条件", "Water-saving, benchmark and leader criteria"),
    "reconcile.text": (
        "以计量器具准确度为权重对实测水量作加权最小二乘协调，使各单元水量平衡。整体检验统计量 {gamma} "
        "（临界值 {critical}，自由度 {dof}），{verdict}。",
        "The measured volumes were reconciled by weighted least squares (weights from the meters' accuracy "
        "classes) so that every unit balances. Global test statistic {gamma} (critical {critical}, {dof} "
        "degrees of freedom): {verdict}.",
    ),
    "reconcile.pass": ("未发现显著误差", "no gross error"),
    "reconcile.fail": (
        "存在显著误差，疑似故障计量器具：{suspects}",
        "gross errors present; suspected meters: {suspects}",
    ),
    "reconcile.none": ("数据协调未能进行：{reason}", "Reconciliation could not run: {reason}"),
    "findings.none": ("未发现问题。", "No problems found."),
    "potential.text": (
        "按对标结果估算的节水潜力合计 {total} m³（测试期），按水价 {tariff} 元/m³ 约 {money} 元。",
        "Savings potential from the benchmarks: {total} m³ in the test period, about {money} CNY at {tariff} CNY/m³.",
    ),
    "potential.m3": (
        "按对标结果估算的节水潜力合计 {total} m³（测试期）。",
        "Savings potential from the benchmarks: {total} m³ in the test period.",
    ),
    "yes": ("符合", "met"),
    "no": ("不符合", "not met"),
    "unknown": ("待定", "unknown"),
    "ok": ("合格", "within"),
    "not_ok": ("超差", "outside"),
    "problem": ("问题", "problem"),
    "recommendation": ("建议", "recommendation"),
    "measured": ("实测", "measured"),
    "inferred": ("推算", "inferred"),
    "estimated": ("估算", "estimated"),
    "missing": ("缺失", "missing"),
    "tier.water_saving": ("节水型企业", "water-saving enterprise"),
    "tier.benchmark": ("节水标杆", "water-saving benchmark"),
    "tier.leader": ("水效领跑者", "water-efficiency leader"),
    "national": ("全国", "national"),
    "grade.leading": ("领跑值", "leading"),
    "grade.advanced": ("先进值", "advanced"),
    "grade.general": ("通用值", "general"),
    "grade.above_general": ("超过通用值", "above general"),
    "grade.unknown": ("待定", "unknown"),
    "legend": ("图例", "Legend"),
    "sheet.facts": ("概况", "Facts"),
    "sheet.diagram": ("水平衡图", "Diagram"),
}


def text(key: str, language: str, **values: Any) -> str:
    """Return the report text ``key`` in ``language`` ('zh' or 'en'), formatted with ``values``."""
    zh, en = _TEXTS[key]
    return (en if language == "en" else zh).format(**values)


def has(key: str) -> bool:
    """Whether ``key`` is a report text."""
    return key in _TEXTS


_INDICATORS: dict[str, tuple[str, str]] = {
    "intake": ("取水量", "intake"),
    "non_conventional": ("非常规水取水量", "non-conventional intake"),
    "conventional_intake": ("常规水取水量", "conventional intake"),
    "total_use": ("用水量", "total use"),
    "reused": ("重复利用水量", "reused"),
    "recirculated": ("循环水量", "recirculated"),
    "cascaded": ("串联水量", "cascaded"),
    "reclaimed": ("回用水量", "reclaimed"),
    "condensate": ("冷凝水回用量", "condensate"),
    "consumption": ("耗水量", "consumption"),
    "discharge": ("排水量", "discharge"),
    "leakage": ("漏失水量", "leakage"),
    "external_supply": ("外供水量", "external supply"),
    "reuse_rate": ("重复利用率", "reuse rate"),
    "indirect_cooling_recirculation_rate": ("间接冷却水循环率", "indirect cooling recirculation rate"),
    "direct_cooling_recirculation_rate": ("直接冷却水循环率", "direct cooling recirculation rate"),
    "condensate_recovery_rate": ("冷凝水回用率", "condensate recovery rate"),
    "wastewater_reuse_rate": ("废水回用率", "wastewater reuse rate"),
    "discharge_rate": ("排水率", "discharge rate"),
    "leakage_rate": ("漏失率", "leakage rate"),
    "non_conventional_substitution_rate": ("非常规水资源替代率", "non-conventional substitution rate"),
    "reclaimed_water_share": ("再生水利用占比", "reclaimed water share"),
    "intake_per_value_added": ("万元工业增加值取水量", "intake per 10⁴ CNY value added"),
    "intake_per_product": ("单位产品取水量", "intake per unit product"),
    "cycles_of_concentration": ("浓缩倍数", "cycles of concentration"),
}


def indicator_label(name: str, language: str) -> str:
    """Return the name of an indicator (``reuse_rate`` → 重复利用率 / reuse rate); unknown names as given."""
    zh, en = _INDICATORS.get(name, (name, name))
    return en if language == "en" else zh
