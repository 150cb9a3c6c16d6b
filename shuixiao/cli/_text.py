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
    "reason.unsigned": (
        "未使用设备签名批次（该计量器具须签名上传）",
        "unsigned: the meter takes device-signed batches only",
    ),
    "ingest.rebuilt": (
        "已按已存读数重算 {enterprise} 的汇总：写入 {rows:,} 行",
        "Rebuilt the aggregates of {enterprise} from the stored readings: {rows:,} rows written",
    ),
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
    # --- agent ---
    "agent.started": (
        "网关代理 {gateway} 已启动：{meters} 个计量器具，缓存中待发送 {depth} 条。按 Ctrl+C 停止。",
        "Gateway agent {gateway} started: {meters} meters, {depth} readings waiting in the buffer. "
        "Press Ctrl+C to stop.",
    ),
    "agent.round": (
        "{ts} 采集：新增 {added} 条，拒收 {rejected} 条，缓存中待发送 {depth} 条",
        "{ts} round: {added} readings added, {rejected} rejected, {depth} waiting",
    ),
    "agent.sent": (
        "已发送：平台确认 {acknowledged} 条，拒收 {rejected} 条",
        "Sent: {acknowledged} acknowledged, {rejected} rejected by the platform",
    ),
    "agent.retry": (
        "发送失败：{error}；{delay:.0f} 秒后重试（读数保留在缓存中）",
        "Send failed: {error}; retrying in {delay:.0f} s (the readings stay buffered)",
    ),
    "agent.behind": (
        "自 {since} 起有 {missed} 轮采集未进行（代理停止或过忙）",
        "{missed} rounds since {since} were not taken (the agent was stopped or busy)",
    ),
    "agent.buffer_high": (
        "缓存已有 {depth}/{capacity} 条：平台持续不可达时缓存将满",
        "The buffer holds {depth} of {capacity} readings: it fills up while the platform stays unreachable",
    ),
    "agent.buffer_full": (
        "缓存已满（{capacity} 条）：本轮 {refused} 条新读数被拒收，未保存",
        "Buffer full ({capacity} readings): {refused} new readings of this round were refused and not kept",
    ),
    "agent.device_down": ("设备 {device} 读取失败：{error}", "Device {device} cannot be read: {error}"),
    "agent.device_up": ("设备 {device} 已恢复", "Device {device} answers again"),
    "agent.demo_done": (
        "示范数据已全部交出（模拟期至 {end}）",
        "Every demo reading was handed over (the simulated period ends {end})",
    ),
    "agent.stopped": (
        "网关代理已停止；缓存中待发送 {depth} 条，下次启动时继续发送",
        "Gateway agent stopped; {depth} readings wait in the buffer and are sent at the next start",
    ),
    "agent.title.status": ("网关代理 {gateway}", "Gateway agent {gateway}"),
    "agent.title.devices": ("Modbus 设备", "Modbus devices"),
    "agent.title.rejected": ("被拒收的读数", "Rejected readings"),
    "agent.status.running": ("运行中（进程 {pid}）", "running (pid {pid})"),
    "agent.status.idle": ("未运行", "not running"),
    "agent.label.directory": ("缓存目录", "Buffer directory"),
    "agent.label.state": ("状态", "State"),
    "agent.label.depth": ("待发送读数 / 容量", "Readings waiting / capacity"),
    "agent.label.oldest": ("最早待发送读数时间", "Oldest waiting reading"),
    "agent.label.enqueued": ("最早入缓存时间", "Buffered since"),
    "agent.label.batches": ("待发送签名批次", "Signed batches waiting"),
    "agent.label.last_ack": ("平台最后确认", "Last acknowledgement"),
    "agent.label.acknowledged": ("平台已确认读数", "Readings acknowledged"),
    "agent.label.rejected": ("被拒收读数", "Readings rejected"),
    "agent.label.refused": ("因缓存满未保存", "Refused (buffer full)"),
    "agent.device.ok": ("正常", "ok"),
    "agent.device.failing": ("故障", "failing"),
    "agent.col.device": ("设备", "Device"),
    "agent.col.state": ("状态", "State"),
    "agent.col.since": ("起始", "Since"),
    "agent.col.failures": ("连续失败", "Failures"),
    "agent.col.last_ok": ("最后成功", "Last success"),
    "agent.col.time": ("时间", "Time"),
    "agent.col.value": ("数值", "Value"),
    "agent.col.quarantine": ("隔离编号", "Quarantine id"),
    "agent.col.point": ("映射点", "Map point"),
    "agent.col.registers": ("寄存器（十六进制）", "Registers (hex)"),
    "agent.col.quality": ("质量", "Quality"),
    "agent.title.read": (
        "Modbus 计量器具读数（未缓存、未上报）",
        "Modbus meters read once (not buffered, not sent)",
    ),
    "agent.read.none": ("配置中没有 Modbus 计量器具。", "The configuration has no Modbus meters."),
    "agent.rejected.none": ("没有被拒收的读数。", "No rejected readings."),
    "agent.rejected.summary": ("显示 {shown:,} / {total:,} 条。", "Showing {shown:,} of {total:,}."),
    "agent.rejected.cleared": ("已清空拒收列表（{count} 条）。", "Rejected list cleared ({count} readings)."),
    "agent.rejected.hint": (
        "有被拒收的读数，不会重发：shuixiao agent rejected --config {config}",
        "Some readings were rejected and will not be sent again: shuixiao agent rejected --config {config}",
    ),
    # --- ledger ---
    "ledger.key_generated": (
        "已生成设备密钥对，私钥保存在 {path}（仅本人可读），请装入设备",
        "Key pair made; the secret key is in {path} (readable by you only): load it into the device",
    ),
    "ledger.key_added": (
        "已登记设备 {device}（企业 {enterprise}）的公钥 {public_key}，自 {valid_from} 起有效；绑定计量器具：{meters}",
        "Registered key {public_key} of device {device} ({enterprise}), valid from {valid_from}; meters: {meters}",
    ),
    "ledger.key_rotated": (
        "设备 {device} 已换新密钥 {public_key}，自 {valid_from} 起有效；旧密钥有效至 {valid_to}",
        "Device {device} now uses key {public_key} from {valid_from}; the old key is valid until {valid_to}",
    ),
    "ledger.key_revoked": (
        "已吊销设备 {device} 的密钥 {public_key}：自 {revoked_at} 起视为泄露（{reason}）",
        "Revoked key {public_key} of device {device}: compromised from {revoked_at} on ({reason})",
    ),
    "ledger.log_key": ("账本验证公钥：{vkey}", "Log verifier key: {vkey}"),
    "ledger.log_key_none": (
        "本节点尚无账本密钥（首次 shuixiao ledger publish 时生成）。",
        "This node has no log key yet (made by the first shuixiao ledger publish).",
    ),
    "ledger.witness_key": (
        "见证公钥：{vkey}；联署检查点写入 {out}",
        "Witness key: {vkey}; cosigned checkpoints go to {out}",
    ),
    "ledger.keys_none": (
        "还没有登记设备密钥。登记：shuixiao ledger keys add",
        "No device keys yet. Register one: shuixiao ledger keys add",
    ),
    "ledger.title.device_keys": ("设备密钥", "Device keys"),
    "ledger.title.notarisation": (
        "{enterprise} 各计量器具的数据存证",
        "Notarisation of the meters of {enterprise}",
    ),
    "ledger.title.incidents": ("账本事件", "Ledger incidents"),
    "ledger.col.device": ("设备", "Device"),
    "ledger.col.public_key": ("公钥", "Public key"),
    "ledger.col.valid_from": ("生效", "Valid from"),
    "ledger.col.valid_to": ("失效", "Valid to"),
    "ledger.col.revoked": ("吊销", "Revoked"),
    "ledger.col.unsigned": ("未签名接入", "Unsigned ingestion"),
    "ledger.col.notarised": ("已存证", "Notarised"),
    "ledger.col.not_notarised": ("未存证", "Not notarised"),
    "ledger.col.checkpoint": ("检查点", "Checkpoint"),
    "ledger.col.time": ("时间", "Time"),
    "ledger.col.state": ("状态", "State"),
    "ledger.word.allowed": ("允许", "allowed"),
    "ledger.word.refused": ("不允许", "refused"),
    "ledger.word.no_device": ("未绑定签名设备", "no signing device"),
    "ledger.word.open": ("未解决", "open"),
    "ledger.word.resolved": ("已解决", "resolved"),
    "ledger.ingested": (
        "已处理 {total} 个签名批次：接受 {accepted}，重复 {replay}，拒收 {refused}",
        "Processed {total} signed batches: {accepted} accepted, {replay} replayed, {refused} refused",
    ),
    "ledger.collected": (
        "已读取 {read} 份见证联署，新增或更新 {kept} 个联署签名",
        "Read {read} witness checkpoints; {kept} cosignatures new or updated",
    ),
    "ledger.note": ("  注意：{problem}", "  Note: {problem}"),
    "ledger.published": (
        "检查点：树大小 {size}，根哈希 {root}，见证联署 {cosignatures} 个；已写入 {files} 个文件到 {directory}",
        "Checkpoint: size {size}, root {root}, {cosignatures} cosignatures; {files} files written to {directory}",
    ),
    "ledger.incident_raised": (
        "已记录账本事件 {id}（shuixiao ledger incidents 查看）",
        "Incident {id} recorded (see shuixiao ledger incidents)",
    ),
    "ledger.verify_ok": (
        "审计通过：{batches:,} 个批次，{readings:,} 条存证读数，{checkpoints} 个检查点，用时 {seconds:.2f} 秒；"
        "允许未签名接入的计量器具另有 {unnotarised:,} 条未存证读数",
        "Audit passed: {batches:,} batches, {readings:,} notarised readings, {checkpoints} checkpoints in "
        "{seconds:.2f} s; {unnotarised:,} readings of meters allowing unsigned ingestion are not notarised",
    ),
    "ledger.verify_failed": ("审计发现 {count} 处不符：", "The audit found {count} mismatches:"),
    "ledger.proved": (
        "证明包已写入 {path}：{meter} 在 {time} 的读数 {value} {unit}，批次 {device}#{sequence}，叶子 {leaf}，"
        "检查点大小 {size}，见证联署 {cosignatures} 个",
        "Proof bundle written to {path}: {meter} at {time} = {value} {unit}, batch {device}#{sequence}, leaf "
        "{leaf}, checkpoint of size {size} with {cosignatures} cosignatures",
    ),
    "ledger.step.format": ("格式", "format"),
    "ledger.step.checkpoint": ("检查点签名与见证", "checkpoint signature and witnesses"),
    "ledger.step.batch": ("批次编码与哈希", "batch encoding and hash"),
    "ledger.step.reading": ("读数在批次中", "reading in the batch"),
    "ledger.step.signature": ("设备签名", "device signature"),
    "ledger.step.inclusion": ("包含证明", "inclusion proof"),
    "ledger.step.consistency": ("一致性证明", "consistency proof"),
    "ledger.check_ok": ("证明包验证通过。", "The bundle verifies."),
    "ledger.check_failed": ("证明包验证未通过。", "The bundle does not verify."),
    "ledger.incidents_none": ("没有账本事件。", "No ledger incidents."),
    # --- balance ---
    "assess.bal.title.scope": ("水平衡与用水指标（{period}）", "Water balance and indicators ({period})"),
    "assess.col.enterprise": ("企业", "Enterprise"),
    "assess.col.intake": ("取水量 m³", "Intake m³"),
    "assess.col.reuse": ("重复利用率 %", "Reuse rate %"),
    "assess.col.leakage": ("漏失率 %", "Leakage rate %"),
    "assess.col.intensity": ("万元增加值取水量 m³", "m³ per 10⁴ CNY"),
    "assess.col.per_product": ("单位产品取水量", "Intake per product"),
    "assess.col.closure": ("闭合差 %", "Closure %"),
    "assess.col.coverage": ("数据覆盖 %", "Coverage %"),
    "assess.bal.park_totals": (
        "园区合计：取水量 {intake} m³，重复利用率 {reuse} %，万元工业增加值取水量 {intensity} m³；企业间及非常规水交换 {exchanges} 项。",
        "Park: intake {intake} m³, reuse rate {reuse} %, {intensity} m³ per 10⁴ CNY value added; {exchanges} exchanges.",
    ),
    "assess.bal.measured": ("实测", "measured"),
    "assess.bal.inferred": ("推算", "inferred"),
    "assess.bal.estimated": ("估算", "estimated"),
    "assess.bal.missing": ("缺失", "missing"),
    "assess.bal.header": (
        "{name}（{id}）  测试期 {period}  数据覆盖 {coverage} %",
        "{name} ({id})  period {period}  data coverage {coverage} %",
    ),
    "assess.bal.title.level1": ("全厂水量平衡（一级）", "Whole-plant balance (level 1)"),
    "assess.col.term": ("项目", "Term"),
    "assess.col.status": ("来源/结论", "Status"),
    "assess.bal.intake": ("取水量 Vi", "intake Vi"),
    "assess.bal.consumption": ("耗水量 Vco", "consumption Vco"),
    "assess.bal.discharge": ("排水量 Vd", "discharge Vd"),
    "assess.bal.leakage": ("漏失水量 Vl", "leakage Vl"),
    "assess.bal.external": ("外供水量 Vo", "external supply Vo"),
    "assess.bal.closure": ("全厂闭合差", "closure"),
    "assess.bal.level_check": ("一级与二级取水量之差", "level 1 vs sum of level 2"),
    "assess.bal.title.groups": ("二级用水单位", "Level-2 sub-units"),
    "assess.col.unit": ("用水单元", "Unit"),
    "assess.col.inputs": ("输入 m³", "In m³"),
    "assess.col.outputs": ("输出 m³", "Out m³"),
    "assess.bal.title.indicators": ("用水指标", "Indicators"),
    "assess.col.indicator": ("指标", "Indicator"),
    "assess.col.value": ("数值", "Value"),
    "assess.col.unit_of": ("单位", "Unit"),
    "assess.bal.reconcile": (
        "数据协调：整体检验统计量 {gamma}（临界值 {critical}），{verdict}。",
        "Reconciliation: global test {gamma} (critical {critical}): {verdict}.",
    ),
    "assess.bal.reconcile.pass": ("未发现显著误差", "no gross error"),
    "assess.bal.reconcile.fail": ("疑似故障计量器具：{suspects}", "suspected meters: {suspects}"),
    "assess.bal.problems": ("发现问题 {n} 项：", "{n} problems found:"),
    "assess.bal.more": (
        "另有建议 {n} 项；shuixiao report balance 写出完整报告，--json 输出全部数据。",
        "{n} recommendations more; shuixiao report balance writes the full report, --json prints all data.",
    ),
    "assess.bench.title": (
        "单位产品取水量对标（{period}）",
        "Intake per unit product against quotas and targets ({period})",
    ),
    "assess.col.product": ("产品", "Product"),
    "assess.col.table": ("对标表", "Table"),
    "assess.col.grade": ("定额等级", "Quota grade"),
    "assess.col.quota": ("通用/先进/领跑", "General/advanced/leading"),
    "assess.col.avg2020": ("2020 平均", "2020 avg"),
    "assess.col.exp2025": ("2025 预期", "2025 expected"),
    "assess.col.ratio": ("与 2020 之比", "Ratio to 2020"),
    "assess.grade.leading": ("领跑值", "leading"),
    "assess.grade.advanced": ("先进值", "advanced"),
    "assess.grade.general": ("通用值", "general"),
    "assess.grade.above_general": ("超过通用值", "above general"),
    "assess.grade.unknown": ("待定", "unknown"),
    "assess.bench.peers": ("同园区/地区企业排名（1 为最好）", "Ranking among the peers (1 is best)"),
    "assess.col.ranking": ("排名", "Ranking"),
    "assess.bench.tiers": ("称号条件（括号内为不符合的条件）", "Tiers (criteria not met in brackets)"),
    "assess.tier.water_saving": ("节水型企业", "water-saving"),
    "assess.tier.benchmark": ("节水标杆", "benchmark"),
    "assess.tier.leader": ("水效领跑者", "leader"),
    "assess.tier.yes": ("符合", "eligible"),
    "assess.tier.no": ("不符合", "not eligible"),
    "assess.tier.unknown": ("待定", "undecided"),
    "assess.targets.title": (
        "目标进展（{year} 年，{period}）",
        "Progress against the targets ({year}, {period})",
    ),
    "assess.col.target": ("目标", "Target"),
    "assess.col.baseline": ("基准（年）", "Base (year)"),
    "assess.col.goal": ("目标值（年）", "Target (year)"),
    "assess.col.expected": ("当年应达", "Due this year"),
    "assess.col.actual": ("实际", "Actual"),
    "assess.col.reason": ("说明", "Reason"),
    "assess.status.met": ("已达标", "met"),
    "assess.status.on_track": ("进度正常", "on track"),
    "assess.status.behind": ("滞后", "behind"),
    "assess.status.unknown": ("无法判定", "unknown"),
    "assess.targets.trajectory": (
        "目标路径（基准到目标的直线，[ ] 内为实际值）",
        "Trajectories (straight line from base to target; actual in [ ])",
    ),
    "assess.targets.legend": (
        "已达标：达到目标值；进度正常：优于当年路径值；滞后：未达当年路径值；无法判定：缺少基准或为全国/全省总量。",
        "met: target reached; on track: better than the line for the year; behind: worse; unknown: no base, or a national or provincial total.",
    ),
    "assess.sav.header": (
        "{id}：基准期 {baseline}，报告期 {reporting}，按{granularity}",
        "{id}: baseline {baseline}, reporting {reporting}, {granularity}",
    ),
    "assess.sav.month": ("月", "monthly"),
    "assess.sav.day": ("日", "daily"),
    "assess.sav.model": (
        "基准模型：{equation}（{n} 个时段；选择准则：{criterion}）",
        "Baseline model: {equation} ({n} periods; chosen by {criterion})",
    ),
    "assess.sav.coefficients": ("回归系数", "Coefficients"),
    "assess.col.coefficient": ("系数", "Coefficient"),
    "assess.col.se": ("标准误差", "Std. error"),
    "assess.col.t": ("t 值", "t"),
    "assess.sav.quality": ("模型质量（ASHRAE Guideline 14）", "Model quality (ASHRAE Guideline 14)"),
    "assess.col.criterion": ("指标", "Criterion"),
    "assess.col.limit": ("限值", "Limit"),
    "assess.sav.pass": ("合格", "pass"),
    "assess.sav.fail": ("不合格", "fail"),
    "assess.sav.result": (
        "校正基准用水量 {adjusted} m³，报告期取水量 {reported} m³，节水量 {savings} m³（{fraction} %）；"
        "{confidence} % 置信区间 [{low}, {high}] m³（Guideline 14 分数节水不确定度；OLS 精确预测区间半宽 {exact} m³）：{verdict}。",
        "Adjusted baseline {adjusted} m³, reported intake {reported} m³, savings {savings} m³ ({fraction} %); "
        "{confidence} % interval [{low}, {high}] m³ (Guideline 14 fractional savings uncertainty; exact OLS prediction "
        "half-width {exact} m³): {verdict}.",
    ),
    "assess.sav.significant": ("节水（或增量）在该置信水平下显著", "significant at this confidence"),
    "assess.sav.not_significant": ("在该置信水平下不显著", "not significant at this confidence"),
    "assess.sav.money": (
        "按水价 {tariff} 元/m³（{entry} [{confidence}]）：{money} 元，区间 [{low}, {high}] 元。",
        "At {tariff} CNY/m³ ({entry} [{confidence}]): {money} CNY, interval [{low}, {high}] CNY.",
    ),
    "assess.sav.note": ("说明", "Note"),
    "assess.report.written": (
        "已写出 {name} 的水平衡测试报告：{path}",
        "Water-balance test report of {name} written to {path}",
    ),
    # --- alarms ---
    "alarm.every": (
        "每 {seconds:g} 秒检查一次报警规则。按 Ctrl+C 停止。",
        "Checking the alarm rules every {seconds:g} s. Press Ctrl+C to stop.",
    ),
    "alarm.stopped": ("已停止：共检查 {rounds} 轮。", "Stopped after {rounds} rounds."),
    "alarm.checked": (
        "{enterprise}：{since} 至 {until}，新报警 {raised}，自动解除 {cleared}，升级 {escalated}，未解除 {open}",
        "{enterprise}: {since} to {until}, {raised} raised, {cleared} cleared, {escalated} escalated, {open} open",
    ),
    "alarm.new": ("新报警", "raised"),
    "alarm.auto_cleared": ("已解除", "cleared"),
    "alarm.up": ("已升级", "escalated"),
    "alarm.none": ("没有符合条件的报警。", "No alarms match."),
    "alarm.title": ("报警", "Alarms"),
    "alarm.facts": (
        "企业 {enterprise}，类型 {kind}（{dedup}），级别 {severity}，状态 {state}，报警时间 {raised}，升级 {escalated} 次",
        "Enterprise {enterprise}, kind {kind} ({dedup}), severity {severity}, state {state}, raised {raised}, "
        "escalated {escalated}×",
    ),
    "alarm.history": ("处理记录", "History"),
    "alarm.delivery": ("通知", "notification"),
    "alarm.acknowledged": ("报警 {id} 已确认（{by}）。", "Alarm {id} acknowledged by {by}."),
    "alarm.cleared": ("报警 {id} 已解除（{by}）。", "Alarm {id} cleared by {by}."),
    "alarm.noted": ("已为报警 {id} 添加备注（{by}）。", "Note added to alarm {id} by {by}."),
    "alarm.rules": ("{enterprise} 的报警规则", "Alarm rules of {enterprise}"),
    "alarm.rules_note": (
        "* 表示企业已修改该规则；规则与默认值及其依据见 shuixiao/data/alarm_rules.yaml 与 docs/alarms.md。",
        "* marks a rule the enterprise changed; the defaults and their sources are in "
        "shuixiao/data/alarm_rules.yaml and docs/alarms.md.",
    ),
    "alarm.rule_set": ("已设置规则 {rule}（{where}）。", "Rule {rule} set for {where}."),
    "alarm.rule_unset": (
        "规则 {rule} 已恢复默认（{where}）。",
        "Rule {rule} back to its defaults for {where}.",
    ),
    "alarm.rule_absent": (
        "规则 {rule} 在 {where} 没有修改，无需恢复。",
        "Rule {rule} has no override for {where}.",
    ),
    "alarm.deliveries": ("通知", "Notifications"),
    "alarm.no_deliveries": ("没有符合条件的通知。", "No notifications match."),
    "alarm.requeued": ("已重新排队 {n} 条失败的通知。", "{n} failed notifications queued again."),
    "alarm.sent": (
        "已发送 {sent} 条通知，{retrying} 条稍后重试，{failed} 条放弃（已保留）。",
        "{sent} notifications sent, {retrying} to retry later, {failed} given up (kept).",
    ),
    "alarm.col.raised": ("报警时间", "Raised"),
    "alarm.col.severity": ("级别", "Severity"),
    "alarm.col.state": ("状态", "State"),
    "alarm.col.alarm": ("报警", "Alarm"),
    "alarm.col.time": ("时间", "Time"),
    "alarm.col.actor": ("操作人", "By"),
    "alarm.col.action": ("操作", "Action"),
    "alarm.col.note": ("备注", "Note"),
    "alarm.col.rule": ("规则", "Rule"),
    "alarm.col.enabled": ("启用", "On"),
    "alarm.col.escalate": ("升级时限", "Escalate after"),
    "alarm.col.params": ("参数（标准单位）", "Parameters (canonical units)"),
    "alarm.col.event": ("事件", "Event"),
    "alarm.col.channel": ("通道", "Channel"),
    "alarm.col.status": ("状态", "Status"),
    "alarm.col.attempts": ("尝试次数", "Attempts"),
    "alarm.col.next": ("下次尝试", "Next attempt"),
    "alarm.col.error": ("最近错误", "Last error"),
    "alarm.col.start": ("估计开始", "Estimated start"),
    "alarm.col.flow": ("流量 (m³/h)", "Flow (m³/h)"),
    "alarm.col.loss": ("漏失水量 (m³)", "Loss (m³)"),
    "alarm.col.suspects": ("疑似位置", "Suspects"),
    "severity.info": ("提示", "info"),
    "severity.warning": ("警告", "warning"),
    "severity.major": ("重要", "major"),
    "severity.critical": ("紧急", "critical"),
    "state.raised": ("已报警", "raised"),
    "state.acknowledged": ("已确认", "acknowledged"),
    "state.cleared": ("已解除", "cleared"),
    "leakstate.suspected": ("疑似", "suspected"),
    "leakstate.confirmed": ("已确认", "confirmed"),
    "leakstate.repaired": ("已修复", "repaired"),
    "leakstate.verified": ("已验证", "verified"),
    "leakstate.dismissed": ("已排除", "dismissed"),
    "leak.events": ("漏损事件", "Leak events"),
    "leak.no_events": ("没有符合条件的漏损事件。", "No leak events match."),
    "leak.stored": (
        "已记入数据库（企业 {enterprise}）：新漏损事件 {new} 起，更新 {updated} 起。查看：shuixiao leak event list",
        "Recorded for {enterprise}: {new} new leak events, {updated} updated. See: shuixiao leak event list",
    ),
    "leak.rule_disabled": (
        "企业 {enterprise} 已停用漏损报警规则 leak_suspected：未记录事件。",
        "Enterprise {enterprise} has disabled the leak_suspected rule: no events recorded.",
    ),
    "leak.event_facts": (
        "漏损事件 {id}（企业 {enterprise}）：{state}，估计开始 {start}，约 {flow:.2f} m³/h，漏失水量约 {loss:,.0f} m³，报警 {alarm}",
        "Leak event {id} ({enterprise}): {state}, estimated start {start}, about {flow:.2f} m³/h, about {loss:,.0f} m³ "
        "lost, alarm {alarm}",
    ),
    "leak.moved": ("漏损事件 {id} 现为：{state}（{by}）。", "Leak event {id} is now {state} (by {by})."),
    "leak.noted": ("已为漏损事件 {id} 添加备注。", "Note added to leak event {id}."),
    # --- users and serve ---
    "users.added": (
        "已添加用户 {login}（{role}，范围 {scope}）",
        "Added user {login} ({role}, scope {scope})",
    ),
    "users.password_prompt": ("{login} 的新密码：", "New password for {login}: "),
    "users.password_again": ("再输入一次：", "Once more: "),
    "users.password_changed": (
        "已修改 {login} 的密码；其全部会话已结束",
        "Password of {login} changed; its sessions were ended",
    ),
    "users.disabled": (
        "已停用用户 {login}：不能再登录，其会话与 API 令牌随即失效",
        "User {login} disabled: it cannot log in, and its sessions and API tokens stop working",
    ),
    "users.enabled": ("已重新启用用户 {login}", "User {login} enabled again"),
    "users.none": (
        "还没有用户。先添加管理员：shuixiao users add LOGIN --role admin",
        "No users yet. Add an administrator first: shuixiao users add LOGIN --role admin",
    ),
    "users.title": ("用户", "Users"),
    "users.tokens_title": ("API 令牌", "API tokens"),
    "users.devices_title": ("设备令牌", "Device tokens"),
    "users.token": (
        "API 令牌（只显示这一次，请立即妥善保存）：\n{token}\n编号 {id}，代表用户 {login}，到期 {expires}",
        "API token (shown only this once; store it safely now):\n{token}\nid {id}, acts as {login}, expires {expires}",
    ),
    "users.device_token": (
        "设备令牌（只显示这一次，请立即写入网关配置）：\n{token}\n编号 {id}，企业 {enterprise}，到期 {expires}",
        "Device token (shown only this once; put it in the gateway's configuration now):\n{token}\n"
        "id {id}, enterprise {enterprise}, expires {expires}",
    ),
    "users.revoked": ("已撤销令牌 {id}，即刻生效", "Token {id} revoked, effective at once"),
    "users.granted": (
        "已授权服务机构 {provider} 查看企业 {enterprise}（授权编号 {id}）",
        "Service provider {provider} may now read enterprise {enterprise} (grant {id})",
    ),
    "users.revoked_grant": (
        "已撤销 {provider} 对企业 {enterprise} 的 {count} 项授权",
        "Revoked {count} grant(s) of enterprise {enterprise} to {provider}",
    ),
    "users.demo_title": (
        "演示账号（仅用于演示；密码随机生成，保存在 {path}）",
        "Demo accounts (for demonstration only; random passwords kept in {path})",
    ),
    "users.demo_device": (
        "演示网关的设备令牌（企业 {enterprise}）：{token}",
        "Device token of the demo gateway (enterprise {enterprise}): {token}",
    ),
    "col.login": ("登录名", "Login"),
    "col.password": ("密码", "Password"),
    "col.role": ("角色", "Role"),
    "col.scope": ("范围", "Scope"),
    "col.active": ("启用", "Active"),
    "col.last_login": ("最近登录", "Last login"),
    "col.expires": ("到期", "Expires"),
    "col.revoked": ("撤销", "Revoked"),
    "col.device": ("设备", "Device"),
    "serve.started": (
        "shuixiao 服务已启动：http://{host}:{port}/ （API 文档：/api/v1/docs）。按 Ctrl+C 停止。",
        "shuixiao is serving at http://{host}:{port}/ (API reference: /api/v1/docs). Press Ctrl+C to stop.",
    ),
    "serve.insecure": (
        "注意：在 {host} 上以明文 HTTP 对外提供服务。请置于 HTTPS 反向代理之后，并设置 cookie_secure = true。",
        "Note: serving plain HTTP on {host}. Put the service behind an HTTPS reverse proxy and set "
        "cookie_secure = true.",
    ),
}


def text(key: str, language: str, **values: Any) -> str:
    """Return the text ``key`` in ``language`` ('zh' or 'en'), formatted with ``values``."""
    zh, en = _TEXTS[key]
    return (en if language == "en" else zh).format(**values)
