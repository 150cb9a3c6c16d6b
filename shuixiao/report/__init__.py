"""The water-balance test report (水平衡测试报告) of an enterprise: HTML, XLSX and PDF.

An adapter above :mod:`shuixiao.assess`: :func:`build_report` lays out an
:class:`~shuixiao.assess.EnterpriseAssessment` in the sections of the report outline of
GB/T 12452-2022 Annex A — enterprise, basis and test period, meters and data coverage,
balance tables of the level-2 sub-units and of every unit, the water-balance diagram
(GB/T 42031), indicators with their definitions, benchmarking against quotas and targets
with the tier criteria, data reconciliation, and the problems found with
recommendations and the savings potential — in Chinese (default) or English;
:func:`write_report` writes it as HTML, XLSX or PDF.  See ``docs/balance.md``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from shuixiao.assess import EnterpriseAssessment
from shuixiao.errors import InvalidInputError
from shuixiao.reference import ParameterEntry
from shuixiao.report._content import BalanceReport, Section, Table, build_report
from shuixiao.report._text import indicator_label
from shuixiao.report.writers import PDF_FONT, render_html, write_html, write_pdf, write_xlsx

__all__ = [
    "FORMATS",
    "PDF_FONT",
    "BalanceReport",
    "Section",
    "Table",
    "build_report",
    "indicator_label",
    "render_html",
    "write_html",
    "write_pdf",
    "write_report",
    "write_xlsx",
]

FORMATS = ("html", "xlsx", "pdf")
"""Output formats of :func:`write_report`."""


def write_report(
    assessment: EnterpriseAssessment,
    path: str | Path,
    *,
    format: str | None = None,
    language: str = "zh",
    tariff: ParameterEntry | None = None,
    date: dt.date | None = None,
) -> Path:
    """Write the water-balance test report of ``assessment`` to ``path``.

    Parameters
    ----------
    assessment : EnterpriseAssessment
    path : str or pathlib.Path
    format : {'html', 'xlsx', 'pdf'}, optional
        Default: from the file's suffix.
    language : {'zh', 'en'}
    tariff : ParameterEntry, optional
        To value the savings potential. [CNY/m³]
    date : datetime.date, optional
        Compilation date printed on the report (default today).

    Raises
    ------
    InvalidInputError
        For an unknown format.
    """
    target = Path(path)
    kind = (format or target.suffix.lstrip(".")).lower()
    if kind not in FORMATS:
        raise InvalidInputError(f"report format is one of {', '.join(FORMATS)}, not {kind!r}")
    report = build_report(assessment, language=language, tariff=tariff, date=date)
    if kind == "html":
        return write_html(report, target)
    if kind == "xlsx":
        return write_xlsx(report, target)
    result = write_pdf(report, target)
    assert isinstance(result, Path)
    return result
