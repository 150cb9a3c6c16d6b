"""Texts of the command line in Chinese (default) and English."""

from __future__ import annotations

from typing import Any

_TEXTS: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "db.upgraded": (
        "数据库已升级：{url}（版本 {revision}）",
        "Database upgraded: {url} (revision {revision})",
    ),
    "db.status": ("数据库：{url}\n架构版本：{revision}", "Database: {url}\nSchema revision: {revision}"),
    "db.empty": ("空（请运行 shuixiao db upgrade）", "empty (run shuixiao db upgrade)"),
    "model.imported": (
        "已导入 {source}：{regions} 个地区，{parks} 个园区，{enterprises} 家企业",
        "Imported {source}: {regions} regions, {parks} parks, {enterprises} enterprises",
    ),
    "model.valid": (
        "{source}：模型有效（{enterprises} 家企业）",
        "{source}: model is valid ({enterprises} enterprises)",
    ),
    "model.exported": ("已导出企业 {enterprise} 到 {path}", "Exported enterprise {enterprise} to {path}"),
    "model.none": (
        "数据库中还没有企业。运行 shuixiao demo build 或 shuixiao model import FILE。",
        "No enterprises yet. Run shuixiao demo build or shuixiao model import FILE.",
    ),
    "col.id": ("编号", "ID"),
    "col.name": ("名称", "Name"),
    "col.industry": ("行业 (GB/T 4754)", "Industry (GB/T 4754)"),
    "col.park": ("园区", "Park"),
    "col.units": ("用水单元", "Units"),
    "col.meters": ("计量器具", "Meters"),
    "col.readings": ("读数", "Readings"),
    "col.kind": ("类型", "Kind"),
    "col.level": ("级别", "Level"),
    "col.detail": ("说明", "Detail"),
    "col.quantity": ("计量参数", "Quantity"),
    "col.unit": ("单位", "Unit"),
    "col.on": ("安装位置", "Measures"),
    "col.accuracy": ("准确度 %", "Accuracy %"),
    "col.calibrated": ("检定日期", "Calibrated"),
    "col.product": ("产品", "Product"),
    "col.output": ("产量", "Output"),
    "title.enterprises": ("企业一览", "Enterprises"),
    "title.leaks": ("各处漏损的检出与定位", "Detection and localisation of each leak"),
    "col.leak": ("漏损", "Leak"),
    "col.distance": ("定位距离 (m)", "Distance (m)"),
    "col.delay": ("检出用时 (h)", "Time to detection (h)"),
    "title.units": (
        "用水单元（二级：车间/分厂；三级：主要用水设备）",
        "Water units (level 2: sub-units; level 3: equipment)",
    ),
    "title.meters": ("水计量器具", "Meters"),
    "title.products": ("产品与产量", "Products and output"),
    "label.credit_code": ("统一社会信用代码", "Unified social credit code"),
    "label.industry": ("行业", "Industry"),
    "label.region": ("地区", "Region"),
    "label.park": ("园区", "Park"),
    "label.summary": (
        "{units} 个用水单元，{flows} 条水流，{meters} 个计量器具（一级 {l1}，二级 {l2}，三级 {l3}）",
        "{units} water units, {flows} flows, {meters} meters (level 1: {l1}, level 2: {l2}, level 3: {l3})",
    ),
    "label.data": (
        "数据：{readings} 条读数，{start} 至 {end}（{tz}）",
        "Data: {readings} readings, {start} to {end} ({tz})",
    ),
    "label.nodata": ("数据：尚无读数", "Data: no readings yet"),
    "label.value_added": ("工业增加值：{value:,.0f} 万元", "Industrial value added: {value:,.0f} ×10⁴ CNY"),
    "demo.building": (
        "正在生成示范园区：{enterprises} 家企业，{days} 天，{interval} 秒间隔，随机种子 {seed} …",
        "Building the demo park: {enterprises} enterprises, {days} days, {interval} s interval, seed {seed} …",
    ),
    "demo.built": (
        "示范园区已生成：{enterprises} 家企业，{meters} 个计量器具，{readings:,} 条读数，用时 {seconds:.1f} 秒。\n"
        "模型文件与管网文件：{files}",
        "Demo park built: {enterprises} enterprises, {meters} meters, {readings:,} readings in {seconds:.1f} s.\n"
        "Model and network files: {files}",
    ),
    "demo.exists": (
        "示范园区已存在（{enterprises} 家企业）。使用 --replace 重新生成。",
        "The demo park already exists ({enterprises} enterprises). Use --replace to build it again.",
    ),
    "ingest.file.done": (
        "已导入 {path}（企业 {enterprise}）：{records:,} 条读数，接受 {accepted:,}，重复 {duplicate:,}，"
        "拒收 {rejected:,}；用时 {seconds:.1f} 秒",
        "Imported {path} into {enterprise}: {records:,} readings, {accepted:,} accepted, {duplicate:,} duplicate, "
        "{rejected:,} rejected in {seconds:.1f} s",
    ),
    "ingest.file.empty": (
        "空单元格（无读数，不算错误）：{empty:,}",
        "Empty cells (no reading, not an error): {empty:,}",
    ),
    "ingest.reasons": ("拒收原因：", "Rejected, by reason:"),
    "ingest.quarantined": (
        "被拒收的记录已放入隔离区。查看：shuixiao ingest quarantine list --enterprise {enterprise}；"
        "原因修正后重放：shuixiao ingest quarantine replay --enterprise {enterprise}",
        "Rejected records are in the quarantine. See them: shuixiao ingest quarantine list --enterprise "
        "{enterprise}; after fixing the cause: shuixiao ingest quarantine replay --enterprise {enterprise}",
    ),
    "reason.unknown_enterprise": ("企业不存在", "unknown enterprise"),
    "reason.unknown_meter": ("计量器具不存在", "unknown meter"),
    "reason.wrong_unit": ("单位与计量参数不符", "unit of another quantity"),
    "reason.not_a_number": ("数值缺失或不是数字", "value missing or not a number"),
    "reason.not_finite": ("数值为 NaN 或无穷大", "value NaN or infinite"),
    "reason.bad_timestamp": ("时间无法识别", "unreadable timestamp"),
    "reason.naive_timestamp": ("时间缺少时区", "timestamp without time zone"),
    "reason.future_timestamp": ("时间在未来", "timestamp in the future"),
    "reason.before_installed": ("早于安装日期", "before the installation date"),
    "reason.bad_quality": ("质量标志无法识别", "unknown quality flag"),
    "reason.implausible_value": ("物理上不可能的数值", "physically impossible value"),
    "reason.totalizer_backwards": ("累计读数倒退", "register went backwards"),
    "reason.conflict": ("同一时刻已有不同数值", "different value already stored"),
    "reason.malformed_payload": ("消息格式错误", "malformed message"),
    "quarantine.title": ("隔离区", "Quarantine"),
    "quarantine.empty": ("隔离区中没有符合条件的记录。", "No quarantined records match."),
    "quarantine.replayed": ("已重放", "replayed"),
    "quarantine.summary": (
        "显示 {shown:,} / {total:,} 条。按原因：{reasons}",
        "Showing {shown:,} of {total:,}. By reason: {reasons}",
    ),
    "quarantine.replayed_summary": (
        "已重放 {examined:,} 条隔离记录：接受 {accepted:,}，已存在 {duplicate:,}，仍拒收 {rejected:,}，"
        "无法重放 {not_replayable:,}",
        "Replayed {examined:,} quarantined records: {accepted:,} accepted, {duplicate:,} already stored, "
        "{rejected:,} still rejected, {not_replayable:,} not replayable",
    ),
    "col.received": ("隔离时间", "Quarantined"),
    "col.enterprise": ("企业", "Enterprise"),
    "col.meter": ("计量器具", "Meter"),
    "col.reason": ("原因", "Reason"),
    "col.message": ("说明", "Message"),
    "col.source": ("来源", "Source"),
    "mqtt.start": (
        "MQTT 接收进程：{host}:{port}，组 {group}，客户端 {client_id}。按 Ctrl+C 停止。",
        "MQTT worker: {host}:{port}, group {group}, client {client_id}. Press Ctrl+C to stop.",
    ),
    "mqtt.commit": (
        "已提交并确认 {acknowledged}/{messages} 条消息：接受 {accepted}，重复 {duplicate}，拒收 {rejected}，"
        "格式错误 {malformed}",
        "Committed and acknowledged {acknowledged}/{messages} messages: {accepted} accepted, {duplicate} duplicate, "
        "{rejected} rejected, {malformed} malformed",
    ),
    "mqtt.stopped": (
        "已停止：{messages:,} 条消息，接受 {accepted:,}，重复 {duplicate:,}，拒收 {rejected:,}，格式错误 {malformed:,}",
        "Stopped: {messages:,} messages, {accepted:,} accepted, {duplicate:,} duplicate, {rejected:,} rejected, "
        "{malformed:,} malformed",
    ),
    "leak.training": (
        "训练期（视为无漏损）至 {end}",
        "Training window (taken as leak-free) until {end}",
    ),
    "leak.event": (
        "  {detected} 报警：约 {flow:.2f} m³/h，疑似 {where}（定位不确定度 {uncertainty} m）",
        "  {detected} alarm: about {flow:.2f} m³/h, suspected {where} (location uncertainty {uncertainty} m)",
    ),
    "leak.detected": (
        "检测到 {events} 起漏损事件，已写入 {path}",
        "Found {events} leak events; written to {path}",
    ),
    "leak.unread": (
        "以下传感器没有读数，已忽略：{sensors}",
        "These sensors have no readings and were left out: {sensors}",
    ),
    "leak.simulated": (
        "已生成情景：{days:g} 天，{sensors} 个传感器，{leaks} 处漏损。读数、传感器与真值文件：{path}",
        "Scenario simulated: {days:g} days, {sensors} sensors, {leaks} leaks. Readings, sensors and truth: {path}",
    ),
    "leak.epanet_warnings": (
        "EPANET 给出 {count} 条警告，第一条：{first}",
        "EPANET gave {count} warnings; the first: {first}",
    ),
    "leak.score": (
        "BattLeDIM 得分：€ {score:,.2f}（真阳性 {tp}，假阳性 {fp}，漏报 {fn}，重复 {repeats}）\n"
        "漏损期内检出 {detected}/{leaks}；误报 {alarms} 次/月；检出时间中位数 {delay} h；"
        "定位距离中位数 {distance} m，300 m 内 {within} 处",
        "BattLeDIM score: € {score:,.2f} (true positives {tp}, false positives {fp}, missed {fn}, repeats {repeats})\n"
        "Detected during the leak: {detected}/{leaks}; false alarms {alarms} per month; median time to detection "
        "{delay} h; median localisation distance {distance} m, {within} within 300 m",
    ),
}


def text(key: str, language: str, **values: Any) -> str:
    """Return the text ``key`` in ``language`` ('zh' or 'en'), formatted with ``values``."""
    zh, en = _TEXTS[key]
    return (en if language == "en" else zh).format(**values)
