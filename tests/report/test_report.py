"""The water-balance test report: its content, and the same content in HTML, XLSX and PDF."""

from __future__ import annotations

import datetime as dt
import math
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook

from shuixiao.assess import EnterpriseAssessment
from shuixiao.errors import InvalidInputError
from shuixiao.reference import parameter
from shuixiao.report import build_report, render_html, write_report
from tests.report._pdf import page_count, pdf_text

pytestmark = pytest.mark.integration

SECTIONS_ZH = [
    "一、企业概况",
    "二、测试依据与测试期",
    "三、水计量器具配备与数据",
    "四、水平衡测试结果",
    "五、水平衡图",
    "六、用水指标",
    "七、对标与达标",
    "八、数据协调与误差分析",
    "九、存在问题与节水建议",
]
DATE = dt.date(2025, 2, 1)


def test_sections_follow_the_outline_and_carry_the_results(assessment: EnterpriseAssessment) -> None:
    report = build_report(assessment, date=DATE)
    assert [s.title for s in report.sections] == SECTIONS_ZH
    assert report.title == "水平衡测试报告" and report.enterprise == assessment.enterprise.name
    indicators = report.table("indicators")
    reuse = next(r for r in indicators.rows if r[0] == "重复利用率")
    assert reuse[1] == pytest.approx(assessment.indicators["reuse_rate"].value)
    assert reuse[4] == "R = Vr / (Vr + Vi) × 100 %"  # the definition is printed with the value
    assert len(report.table("units").rows) == len(assessment.balance.units)
    assert len(report.table("flows").rows) == len(assessment.enterprise.flows)
    assert len(report.table("findings").rows) == len(assessment.findings)
    meters = report.table("meters")
    assert [r[0] for r in meters.rows] == list(assessment.volumes.meters)
    bench = report.table("benchmarks")
    assert {r[1] for r in bench.rows} == {"全国", "430000"}
    assert {r[3] for r in bench.rows} == {"通用值"}  # 2.1 < intake ≤ 3.6 m³/t (variant given)
    assert {r[0] for r in bench.rows} == {"crude_steel (no_coking_no_cold_rolling)"}  # the column used
    findings = next(s for s in report.sections if s.key == "findings")
    tariff = parameter("water_tariff", table="water_tariffs", scope="default")
    priced = build_report(assessment, date=DATE, tariff=tariff)
    assert any("元" in p for p in next(s for s in priced.sections if s.key == "findings").paragraphs)
    assert any("m³" in p for p in findings.paragraphs) and not any("元" in p for p in findings.paragraphs)


def test_english(assessment: EnterpriseAssessment) -> None:
    report = build_report(assessment, language="en", date=DATE)
    assert report.title == "Water-balance test report"
    assert report.sections[0].title == "1 The enterprise"
    assert report.enterprise == assessment.enterprise.name_en
    assert any(r[0] == "reuse rate" for r in report.table("indicators").rows)
    facts = {r[0]: r[1] for r in report.table("facts").rows}
    assert assessment.enterprise.industry_code == "3120" and "3120 Steelmaking" in facts.values()
    chinese = {r[0]: r[1] for r in build_report(assessment, date=DATE).table("facts").rows}
    assert "3120 炼钢" in chinese.values()


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.h2: list[str] = []
        self.tables: list[str] = []
        self.paths = 0
        self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h2":
            self._in_h2 = True
            self.h2.append("")
        if tag == "table":
            self.tables.append(dict(attrs).get("data-table") or "")
        if tag == "path":
            self.paths += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.h2[-1] += data


def test_html(assessment: EnterpriseAssessment, tmp_path: Path) -> None:
    path = write_report(assessment, tmp_path / "r.html", date=DATE)
    text = path.read_text(encoding="utf-8")
    parser = _Html()
    parser.feed(text)
    assert parser.h2 == SECTIONS_ZH
    assert {
        "facts",
        "meters",
        "units",
        "groups",
        "flows",
        "indicators",
        "benchmarks",
        "tiers",
        "findings",
    } <= set(parser.tables)
    assert parser.paths == len(assessment.enterprise.flows)  # one band per flow in the inline SVG
    assert "<svg" in text and 'lang="zh-CN"' in text
    assert render_html(build_report(assessment, date=DATE)) == text


def test_xlsx_parses_back(assessment: EnterpriseAssessment, tmp_path: Path) -> None:
    path = write_report(assessment, tmp_path / "r.xlsx", date=DATE)
    book = load_workbook(path)
    assert book.sheetnames[0] == "概况" and "水平衡图" in book.sheetnames
    front = book["概况"]
    assert front["A1"].value == f"{assessment.enterprise.name} 水平衡测试报告"
    texts = [c.value for row in front.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(title in texts for title in SECTIONS_ZH)
    sheet = next(book[n] for n in book.sheetnames if n.startswith("用水指标"))
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    reuse = next(r for r in rows if r[0] == "重复利用率")
    assert isinstance(reuse[1], float) and reuse[1] == pytest.approx(
        assessment.indicators["reuse_rate"].value
    )
    diagram = book["水平衡图"]
    links = list(diagram.iter_rows(min_row=3, values_only=True))
    assert len(links) == len(assessment.enterprise.flows)
    volumes = {r[0]: r[4] for r in links}
    for f, v in assessment.balance.flows.items():
        assert volumes[f] == (pytest.approx(v.value) if math.isfinite(v.value) else None)


def test_pdf_shows_chinese_with_the_builtin_cid_font(
    assessment: EnterpriseAssessment, tmp_path: Path
) -> None:
    path = write_report(assessment, tmp_path / "r.pdf", date=DATE)
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") and b"/BaseFont /STSong-Light" in data
    text = pdf_text(data)
    for title in SECTIONS_ZH:
        assert title in text
    assert f"{assessment.enterprise.name} 水平衡测试报告" in text
    assert "重复利用率" in text and assessment.enterprise.credit_code in text
    assert page_count(data) >= 5


def test_pdf_in_english(assessment: EnterpriseAssessment, tmp_path: Path) -> None:
    data = write_report(assessment, tmp_path / "r.pdf", language="en", date=DATE).read_bytes()
    text = pdf_text(data)
    assert "1 The enterprise" in text and "9 Problems found and recommendations" in text


def test_format_from_suffix_or_option(assessment: EnterpriseAssessment, tmp_path: Path) -> None:
    assert (
        write_report(assessment, tmp_path / "r.out", format="html")
        .read_text(encoding="utf-8")
        .startswith("<!DOCTYPE html>")
    )
    with pytest.raises(InvalidInputError, match="html, xlsx, pdf"):
        write_report(assessment, tmp_path / "r.docx")
