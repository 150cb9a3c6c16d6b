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
}


def text(key: str, language: str, **values: Any) -> str:
    """Return the text ``key`` in ``language`` ('zh' or 'en'), formatted with ``values``."""
    zh, en = _TEXTS[key]
    return (en if language == "en" else zh).format(**values)
