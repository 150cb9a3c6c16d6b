"""Writers of the water-balance test report: HTML (Jinja2), XLSX (openpyxl) and PDF (ReportLab).

All three render the same :class:`~shuixiao.report.BalanceReport`.  The PDF uses ReportLab's
built-in CID font ``STSong-Light`` (Adobe-GB1), so Chinese needs no font file; the HTML
diagram is inline SVG.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from shuixiao.report._content import BalanceReport, Table
from shuixiao.report._diagram import layout, to_reportlab, to_svg
from shuixiao.report._text import text

__all__ = ["render_html", "write_html", "write_pdf", "write_xlsx"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"
PDF_FONT = "STSong-Light"
"""ReportLab's built-in CID font for simplified Chinese (Adobe-GB1): no font file needed."""


def _plan(report: BalanceReport) -> Any:
    statuses = {s: text(s, report.language) for s in ("measured", "inferred", "estimated", "missing")}
    return layout(report.sankey, report.node_labels, statuses, cjk=report.language != "en")


def render_html(report: BalanceReport) -> str:
    """Return the report as one self-contained HTML document (inline CSS and SVG diagram)."""
    env = Environment(loader=FileSystemLoader(str(_TEMPLATES)), autoescape=select_autoescape(["html", "j2"]))
    template = env.get_template("balance.html.j2")
    return template.render(
        report=report,
        svg=Markup(to_svg(_plan(report))),  # noqa: S704 — built by to_svg, every label escaped
        date_label=text("generated", report.language),
    )


def write_html(report: BalanceReport, path: str | Path) -> Path:
    """Write the HTML report to ``path`` (UTF-8) and return the path."""
    target = Path(path)
    target.write_text(render_html(report), encoding="utf-8")
    return target


_SUPERSCRIPTS = {
    "⁰": "0",
    "¹": "1",
    "²": "2",
    "³": "3",
    "⁴": "4",
    "⁵": "5",
    "⁶": "6",
    "⁷": "7",
    "⁸": "8",
    "⁹": "9",
    "⁻": "-",
}

_XLSX_FORMATS = {",.0f": "#,##0", ".1f": "0.0", ".2f": "0.00", ".3f": "0.000", ",.1f": "#,##0.0", "d": "0"}


def write_xlsx(report: BalanceReport, path: str | Path) -> Path:
    """Write the report as a workbook: a facts sheet with the texts, one sheet per table, the diagram's flows.

    Numbers are stored as numbers (missing values as empty cells).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    bold = Font(bold=True)
    head = PatternFill("solid", fgColor="ECEFF1")
    book = Workbook()
    front = book.active
    assert front is not None
    front.title = text("sheet.facts", report.language)
    front.append([f"{report.enterprise} {report.title}"])
    front["A1"].font = Font(bold=True, size=14)
    front.append([report.subtitle])
    front.append([report.period, f"{text('generated', report.language)} {report.date.isoformat()}"])
    for section in report.sections:
        front.append([])
        front.append([section.title])
        front.cell(front.max_row, 1).font = bold
        for p in section.paragraphs:
            front.append([p])
            front.cell(front.max_row, 1).alignment = Alignment(wrap_text=False)
        if section.key == "facts":
            for row in section.tables[0].rows:
                front.append(list(row))
    front.column_dimensions["A"].width = 28
    front.column_dimensions["B"].width = 60
    used: set[str] = {front.title}
    for section in report.sections:
        for table in section.tables:
            if table.key == "facts":
                continue
            _sheet(book, table, used, bold, head)
    diagram = book.create_sheet(_unique(text("sheet.diagram", report.language), used))
    lang = report.language
    diagram.append([text("s5", lang)])
    diagram["A1"].font = bold
    diagram.append(
        [
            text("col.flow", lang),
            text("col.from", lang),
            text("col.to", lang),
            text("col.category", lang),
            text("col.volume", lang),
            text("col.status", lang),
        ]
    )
    for cell in diagram[2]:
        cell.font, cell.fill = bold, head
    for link in report.sankey.links:
        diagram.append(
            [
                link.flow,
                report.node_labels.get(link.source, link.source),
                report.node_labels.get(link.target, link.target),
                link.category,
                link.value if math.isfinite(link.value) else None,
                text(link.status, lang),
            ]
        )
    target = Path(path)
    book.save(target)
    return target


def _unique(name: str, used: set[str]) -> str:
    base = "".join(c for c in name if c not in "[]:*?/\\")[:31] or "sheet"
    candidate, i = base, 2
    while candidate in used:
        suffix = f" ({i})"
        candidate, i = base[: 31 - len(suffix)] + suffix, i + 1
    used.add(candidate)
    return candidate


def _sheet(book: Any, table: Table, used: set[str], bold: Any, head: Any) -> None:
    sheet = book.create_sheet(_unique(table.title, used))
    sheet.append([table.title])
    sheet["A1"].font = bold
    sheet.append(list(table.headers))
    for cell in sheet[2]:
        cell.font, cell.fill = bold, head
    for row in table.rows:
        values = [None if isinstance(v, float) and not math.isfinite(v) else v for v in row]
        sheet.append(values)
        for j, spec in enumerate(table.formats):
            fmt = _XLSX_FORMATS.get(spec)
            if fmt and isinstance(values[j], int | float):
                sheet.cell(sheet.max_row, j + 1).number_format = fmt
    for j in range(len(table.headers)):
        width = max([len(str(table.headers[j]))] + [len(str(r[j])) for r in table.formatted()[:200]])
        sheet.column_dimensions[sheet.cell(2, j + 1).column_letter].width = min(max(10, width * 1.2), 70)


def write_pdf(report: BalanceReport, path: str | Path | io.BytesIO) -> Path | io.BytesIO:
    """Write the report as an A4 landscape PDF with Chinese text in ReportLab's ``STSong-Light``."""
    from reportlab.lib import colors  # type: ignore[import-untyped]
    from reportlab.lib.pagesizes import A4, landscape  # type: ignore[import-untyped]
    from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
    from reportlab.lib.units import mm  # type: ignore[import-untyped]
    from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont  # type: ignore[import-untyped]
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer  # type: ignore[import-untyped]

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    wrap = "CJK" if report.language != "en" else None
    body = ParagraphStyle("body", fontName=PDF_FONT, fontSize=9.5, leading=14, wordWrap=wrap)
    cell = ParagraphStyle("cell", fontName=PDF_FONT, fontSize=7.5, leading=9.5, wordWrap="CJK")
    title = ParagraphStyle("title", fontName=PDF_FONT, fontSize=18, leading=24, spaceAfter=6)
    h2 = ParagraphStyle(
        "h2",
        fontName=PDF_FONT,
        fontSize=13,
        leading=18,
        spaceBefore=10,
        spaceAfter=4,
        textColor=colors.HexColor("#1f4e79"),
    )
    h3 = ParagraphStyle("h3", fontName=PDF_FONT, fontSize=10.5, leading=14, spaceBefore=6, spaceAfter=2)
    page = landscape(A4)
    frame_width = page[0] - 30 * mm
    target = path if isinstance(path, io.BytesIO) else Path(path)
    doc = SimpleDocTemplate(
        target if isinstance(target, io.BytesIO) else str(target),
        pagesize=page,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=f"{report.enterprise} {report.title}",
        author=report.enterprise,
    )

    def esc(s: str) -> str:
        s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        # STSong-Light has no superscript digits (m³, 10⁴, R²): raise ordinary digits instead
        return "".join(f"<super>{_SUPERSCRIPTS[c]}</super>" if c in _SUPERSCRIPTS else c for c in s)

    story: list[Any] = [
        Paragraph(esc(f"{report.enterprise} {report.title}"), title),
        Paragraph(esc(report.subtitle), body),
        Paragraph(
            esc(f"{report.period} · {text('generated', report.language)} {report.date.isoformat()}"), body
        ),
        Spacer(1, 6),
    ]
    for section in report.sections:
        story.append(Paragraph(esc(section.title), h2))
        for p in section.paragraphs:
            story.append(Paragraph(esc(p), body))
        if section.diagram:
            story.append(to_reportlab(_plan(report), frame_width, PDF_FONT))
        for table in section.tables:
            if table.title != section.title:
                story.append(Paragraph(esc(table.title), h3))
            data = []
            if any(table.headers):
                data.append([Paragraph(esc(h), cell) for h in table.headers])
            for row in table.formatted():
                data.append([Paragraph(esc(c), cell) for c in row])
            if not data:
                continue
            widths = _widths(table, frame_width)
            lt = LongTable(data, colWidths=widths, repeatRows=1 if any(table.headers) else 0)
            style = [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b0bec5")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
            if any(table.headers):
                style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eceff1")))
            lt.setStyle(style)
            story.append(lt)
            story.append(Spacer(1, 6))

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(PDF_FONT, 8)
        canvas.drawRightString(
            page[0] - 15 * mm, 8 * mm, f"{report.enterprise} · {report.title} · {document.page}"
        )
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return target


def _display(s: str) -> int:
    """Display width: CJK characters count double."""
    return sum(2 if ord(c) >= 0x2E80 else 1 for c in s)


def _widths(table: Table, total: float) -> list[float]:
    """Column widths in proportion to the longest text of each column (bounded)."""
    rows = table.formatted()[:300]
    lengths = []
    for j, h in enumerate(table.headers):
        longest = max([_display(h)] + [_display(r[j]) for r in rows])
        lengths.append(min(max(longest, 7), 70))
    scale = total / sum(lengths)
    return [length * scale for length in lengths]
