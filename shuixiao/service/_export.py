"""Export of a list or a series as CSV, XLSX or JSON, with Chinese or English column headers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import quote

from fastapi.encoders import jsonable_encoder
from starlette.responses import Response

__all__ = ["Column", "ExportFormat", "export_response"]

ExportFormat = Literal["json", "csv", "xlsx"]
_XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    """A column of an export: the key in each row and its header in Chinese and English."""

    key: str
    zh: str
    en: str

    def header(self, language: str) -> str:
        """Return the header in ``language``."""
        return self.en if language == "en" else self.zh


_FORMULA: Final = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cell(value: Any, sheet: Any) -> Any:
    """A value as a spreadsheet cell: local times without zone, structures as JSON, text never a formula."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo is not None else value
    if isinstance(value, dict | list | tuple):
        value = json.dumps(jsonable_encoder(value), ensure_ascii=False)
    if isinstance(value, str):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, _ILLEGAL.sub("\ufffd", value))
        cell.data_type = "s"  # text that starts with = stays text (OWASP CSV/formula injection)
        return cell
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict | list | tuple):
        return json.dumps(jsonable_encoder(value), ensure_ascii=False)
    if isinstance(value, str):
        # A spreadsheet opening the CSV must not run text as a formula (OWASP CSV injection).
        return "'" + value if value.startswith(_FORMULA) else value
    return str(value)


def _disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def export_response(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[Column],
    fmt: ExportFormat,
    language: str,
    filename: str,
) -> Response:
    """Return the rows as a download: CSV (UTF-8 with BOM, so that Excel reads Chinese), XLSX or JSON.

    Parameters
    ----------
    rows : iterable of mapping
        One mapping per row; values are read by each column's key.
    columns : sequence of Column
    fmt : {'json', 'csv', 'xlsx'}
    language : {'zh', 'en'}
        Language of the column headers (JSON keeps the keys).
    filename : str
        Name of the download without extension.
    """
    keys = [c.key for c in columns]
    if fmt == "json":
        body = json.dumps(
            [{k: jsonable_encoder(row.get(k)) for k in keys} for row in rows], ensure_ascii=False
        ).encode()
        return Response(
            body,
            media_type="application/json",
            headers={"Content-Disposition": _disposition(f"{filename}.json")},
        )
    if fmt == "csv":
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([c.header(language) for c in columns])
        for row in rows:
            writer.writerow([_text(row.get(k)) for k in keys])
        return Response(
            out.getvalue().encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": _disposition(f"{filename}.csv")},
        )
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=re.sub(r"[\\/*?:\[\]]", "_", filename)[:31] or "export")
    sheet.append([c.header(language) for c in columns])
    for row in rows:
        sheet.append([_cell(row.get(k), sheet) for k in keys])
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(
        buffer.getvalue(), media_type=_XLSX, headers={"Content-Disposition": _disposition(f"{filename}.xlsx")}
    )
