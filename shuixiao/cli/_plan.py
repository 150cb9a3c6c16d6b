"""``shuixiao plan``: monthly water-use plans (计划用水) — set, list, history, import a year from a file."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from rich.table import Table

from shuixiao.cli._alarm import actor
from shuixiao.cli._context import Context
from shuixiao.errors import InvalidInputError, ShuixiaoError
from shuixiao.model import SourceType, label
from shuixiao.storage.plans import PlanInput, PlanStore, WaterPlan

_SOURCES: Final = tuple(s.value for s in SourceType)

COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "enterprise": ("enterprise", "企业", "企业编号", "单位"),
    "month": ("month", "月份", "计划月份"),
    "volume": ("volume", "volume_m3", "计划水量", "计划用水量", "计划水量(m³)", "计划水量（m³）"),
    "source_type": ("source_type", "source", "水源类型", "水源"),
    "authority": ("authority", "下达单位", "下达机关"),
    "document": ("document", "文号", "计划文号"),
    "note": ("note", "备注"),
}
"""Accepted column headers of a plan file (English or Chinese), by field; ``enterprise`` may be
left out with ``--enterprise``, ``source_type``, ``authority``, ``document`` and ``note`` are optional."""

_REQUIRED: Final = ("month", "volume")


def register(nouns: Any) -> None:
    """Add the ``plan`` command and its verbs to ``nouns``."""
    plan = nouns.add_parser(
        "plan",
        help="planned water use (计划用水): monthly plans per enterprise",
        description=(
            "Monthly water-use plans issued by the water authority, per enterprise, for the whole intake or per "
            "kind of source, in m³. Revisions keep the earlier versions. The alarm check warns when the intake "
            "of the month so far reaches 80 % of the plan pro rata and raises a critical alarm at 100 %. "
            "See docs/water-plans.md."
        ),
    )
    verbs = plan.add_subparsers(dest="verb", metavar="<verb>", required=True)

    setting = verbs.add_parser(
        "set",
        help="set or revise the plan of one month",
        description="Set the plan of an enterprise for one month; setting it again revises it (history kept).",
    )
    setting.add_argument("enterprise", help="enterprise id")
    setting.add_argument("month", help="month, YYYY-MM")
    setting.add_argument("volume", type=float, help="planned intake of the month [m³]")
    _source_option(setting)
    setting.add_argument("--authority", metavar="TEXT", help="issuing water authority (下达单位)")
    setting.add_argument("--document", metavar="TEXT", help="document number of the plan (文号)")
    setting.add_argument("--note", metavar="TEXT", help="a note, e.g. why it was revised")
    setting.add_argument("--by", metavar="LOGIN", help="who sets it (default: the OS user)")
    setting.set_defaults(handler=set_plan)

    listing = verbs.add_parser(
        "list", help="list the plans in force", description="The plans in force, by month."
    )
    listing.add_argument("enterprise", help="enterprise id")
    listing.add_argument("--year", type=int, metavar="YYYY", help="only this year")
    listing.add_argument("--json", action="store_true", help="machine-readable JSON")
    listing.set_defaults(handler=list_plans)

    history = verbs.add_parser(
        "history",
        help="every version of one plan",
        description="Every version of one month's plan, oldest first.",
    )
    history.add_argument("enterprise", help="enterprise id")
    history.add_argument("month", help="month, YYYY-MM")
    _source_option(history)
    history.add_argument("--json", action="store_true", help="machine-readable JSON")
    history.set_defaults(handler=plan_history)

    importing = verbs.add_parser(
        "import",
        help="import plans from a CSV or XLSX file",
        description=(
            "Import plans, e.g. a year's, from a CSV (UTF-8) or XLSX file with a header row: enterprise, month "
            "(YYYY-MM), volume (m³), and optionally source_type, authority, document, note (Chinese headers "
            "企业, 月份, 计划水量, 水源类型, 下达单位, 文号, 备注 work too). Every row is checked first; if any row is "
            "wrong, each is reported with its row number and reason and nothing is stored."
        ),
    )
    importing.add_argument("file", type=Path, help="the .csv or .xlsx file")
    importing.add_argument(
        "--enterprise", metavar="ID", help="enterprise of every row (the file then needs no column)"
    )
    importing.add_argument("--sheet", metavar="NAME", help="XLSX sheet (default: the first)")
    importing.add_argument("--by", metavar="LOGIN", help="who sets them (default: the OS user)")
    importing.set_defaults(handler=import_plans)


def _source_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        choices=_SOURCES,
        metavar="TYPE",
        help=f"a plan for one kind of source ({', '.join(_SOURCES)})",
    )


def _plan_dict(plan: WaterPlan) -> dict[str, Any]:
    return {
        "enterprise": plan.enterprise,
        "month": f"{plan.month:%Y-%m}",
        "source_type": plan.source_type.value if plan.source_type else None,
        "volume_m3": plan.volume,
        "authority": plan.authority,
        "document": plan.document,
        "note": plan.note,
        "revision": plan.revision,
        "set_at": plan.set_at.isoformat(),
        "set_by": plan.set_by,
    }


def _scope(plan: WaterPlan, language: str) -> str:
    if plan.source_type is None:
        return "全部水源" if language != "en" else "all sources"
    return label(plan.source_type, language)


def _table(ctx: Context, title: str, plans: list[WaterPlan]) -> None:
    en = ctx.settings.language == "en"
    headers = (
        ("Month", "Source", "Plan [m³]", "Authority", "Document", "Rev.", "Set by", "Set at", "Note")
        if en
        else ("月份", "水源", "计划水量 [m³]", "下达单位", "文号", "版本", "设置人", "设置时间", "备注")
    )
    table = Table(title=title)
    for h in headers:
        table.add_column(h, overflow="fold")
    zone = ctx.settings.zone
    for p in plans:
        table.add_row(
            f"{p.month:%Y-%m}",
            _scope(p, ctx.settings.language),
            f"{p.volume:,.0f}",
            p.authority or "",
            p.document or "",
            str(p.revision),
            p.set_by,
            p.set_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            p.note or "",
        )
    ctx.out.print(table)


def set_plan(ctx: Context, args: argparse.Namespace) -> int:
    """Set or revise one month's plan."""
    plan = PlanInput(
        args.enterprise, args.month, args.volume, args.source, args.authority, args.document, args.note
    )
    stored = PlanStore(ctx.store()).set_plans([plan], by=actor(args))[0]
    en = ctx.settings.language == "en"
    scope = _scope(stored, ctx.settings.language)
    ctx.out.print(
        f"Plan of {stored.enterprise} for {stored.month:%Y-%m} ({scope}): {stored.volume:,.0f} m³, "
        f"revision {stored.revision}"
        if en
        else f"已设置 {stored.enterprise} {stored.month:%Y-%m}（{scope}）计划用水 {stored.volume:,.0f} m³，"
        f"第 {stored.revision} 版"
    )
    return 0


def list_plans(ctx: Context, args: argparse.Namespace) -> int:
    """List the plans in force."""
    start = end = None
    if args.year is not None:
        start, end = f"{args.year:04d}-01", f"{args.year:04d}-12"
    plans = PlanStore(ctx.store()).list_plans(args.enterprise, start=start, end=end)
    if args.json:
        ctx.print_json([_plan_dict(p) for p in plans])
        return 0
    en = ctx.settings.language == "en"
    if not plans:
        ctx.out.print(
            f"{args.enterprise} has no water-use plans; set them with `shuixiao plan set` or `plan import`"
            if en
            else f"{args.enterprise} 尚无计划用水；用 `shuixiao plan set` 或 `plan import` 设置"
        )
        return 0
    _table(ctx, f"Water-use plans of {args.enterprise}" if en else f"{args.enterprise} 计划用水", plans)
    return 0


def plan_history(ctx: Context, args: argparse.Namespace) -> int:
    """Show every version of one plan."""
    versions = PlanStore(ctx.store()).history(args.enterprise, args.month, args.source)
    if args.json:
        ctx.print_json([_plan_dict(p) for p in versions])
        return 0
    if not versions:
        raise InvalidInputError(
            f"{args.enterprise} never had a {args.source + ' ' if args.source else ''}plan for {args.month}"
        )
    en = ctx.settings.language == "en"
    _table(ctx, "Plan history" if en else "计划调整记录", versions)
    return 0


def import_plans(ctx: Context, args: argparse.Namespace) -> int:
    """Import plans from a CSV or XLSX file: all rows or none."""
    store = ctx.store()
    known = {s.id for s in store.list_enterprises()}
    plans, problems = read_plans(args.file, enterprise=args.enterprise, sheet=args.sheet, known=known)
    if problems:
        shown = "\n".join(f"  row {n}: {reason}" for n, reason in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise InvalidInputError(
            f"{args.file}: {len(problems)} of the rows are wrong, nothing was imported; fix them and import "
            f"the file again:\n{shown}{more}"
        )
    if not plans:
        raise InvalidInputError(f"{args.file} has no plan rows under its header")
    before = {
        (p.enterprise, p.month, p.source_type): p.revision
        for e in {p.enterprise for p in plans}
        for p in PlanStore(store).list_plans(e)
    }
    stored = PlanStore(store).set_plans(plans, by=actor(args))
    new = sum(1 for p in stored if (p.enterprise, p.month, p.source_type) not in before)
    revised = sum(
        1 for p in stored if before.get((p.enterprise, p.month, p.source_type), p.revision) != p.revision
    )
    same = len(stored) - new - revised
    ctx.out.print(
        f"{len(stored)} plans read: {new} new, {revised} revised, {same} unchanged"
        if ctx.settings.language == "en"
        else f"读取 {len(stored)} 条计划：新增 {new}，调整 {revised}，未变 {same}"
    )
    return 0


def read_plans(
    path: Path, *, enterprise: str | None = None, sheet: str | None = None, known: set[str] | None = None
) -> tuple[list[PlanInput], list[tuple[int, str]]]:
    """Read the plans of a CSV or XLSX file.

    Parameters
    ----------
    path : pathlib.Path
        ``.csv`` (UTF-8, with or without BOM) or ``.xlsx``, a header row first (:data:`COLUMNS`).
    enterprise : str, optional
        Enterprise of rows without an ``enterprise`` column (or an empty cell).
    sheet : str, optional
        XLSX sheet; the first when omitted.
    known : set of str, optional
        Existing enterprise ids; rows naming another are wrong.

    Returns
    -------
    plans : list of PlanInput
        The valid rows.
    problems : list of (int, str)
        Row number in the file (the header is row 1) and the reason, for every wrong row.

    Raises
    ------
    InvalidInputError
        If the file cannot be read or its header lacks a required column.
    """
    rows = _rows(path, sheet)
    try:
        number, header = next(rows)
    except StopIteration:
        raise InvalidInputError(f"{path} is empty; it needs a header row and a row per plan") from None
    fields = _header(header, path, number)
    if "enterprise" not in fields and enterprise is None:
        raise InvalidInputError(f"{path} has no enterprise column; add one or give --enterprise ID")
    plans: list[PlanInput] = []
    problems: list[tuple[int, str]] = []
    first_row: dict[tuple[str, dt.date, SourceType | None], int] = {}
    for number, cells in rows:
        values = {name: cells[i] if i < len(cells) else None for name, i in fields.items()}
        values = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
        values = {k: None if v == "" else v for k, v in values.items()}
        values["enterprise"] = values.get("enterprise") or enterprise
        try:
            plan = PlanInput(
                str(values["enterprise"]) if values["enterprise"] is not None else "",
                values["month"],  # type: ignore[arg-type]
                _volume(values["volume"]),
                values.get("source_type"),
                *(
                    None if values.get(k) is None else str(values[k])
                    for k in ("authority", "document", "note")
                ),
            )
        except ShuixiaoError as err:
            problems.append((number, str(err)))
            continue
        if known is not None and plan.enterprise not in known:
            problems.append((number, f"no enterprise {plan.enterprise!r}; see `shuixiao model show`"))
            continue
        where = (plan.enterprise, plan.month, plan.source_type)
        if where in first_row:
            scope = plan.source_type.value if plan.source_type else "total"
            problems.append(
                (
                    number,
                    f"{plan.enterprise} {plan.month:%Y-%m} ({scope}) is already planned in row {first_row[where]}",
                )
            )
            continue
        first_row[where] = number
        plans.append(plan)
    return plans, problems


def _volume(value: object) -> float:
    if isinstance(value, str):
        try:
            return float(value.replace(",", "").replace("，", ""))
        except ValueError:
            raise InvalidInputError(f"planned volume {value!r} is not a number of m³") from None
    if value is None:
        raise InvalidInputError("planned volume is missing")
    return value  # type: ignore[return-value]  # checked by PlanInput


def _header(cells: list[Any], path: Path, number: int) -> dict[str, int]:
    names = {alias.lower(): field for field, aliases in COLUMNS.items() for alias in aliases}
    fields: dict[str, int] = {}
    for i, cell in enumerate(cells):
        text = str(cell).strip().lower() if cell is not None else ""
        if not text:
            continue
        if text not in names:
            raise InvalidInputError(
                f"{path} row {number}: column {cell!r} is unknown; use "
                + "; ".join(f"{f}: {' / '.join(a)}" for f, a in COLUMNS.items())
            )
        if names[text] in fields:
            raise InvalidInputError(f"{path} row {number}: two columns mean {names[text]}")
        fields[names[text]] = i
    missing = [f for f in _REQUIRED if f not in fields]
    if missing:
        raise InvalidInputError(f"{path} row {number}: the header lacks {', '.join(missing)}")
    return fields


def _rows(path: Path, sheet: str | None) -> Iterator[tuple[int, list[Any]]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(path, sheet)
    if suffix in (".csv", ".txt"):
        return _csv_rows(path)
    raise InvalidInputError(f"{path}: unknown file type {suffix or '(none)'}; use .csv or .xlsx")


def _csv_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInputError(f"no such file: {path}") from None
    except UnicodeDecodeError as err:
        raise InvalidInputError(f"{path} is not UTF-8 text ({err.reason}); save it as CSV UTF-8") from None
    try:
        for number, row in enumerate(csv.reader(text.splitlines()), start=1):
            if any(c.strip() for c in row):
                yield number, list(row)
    except csv.Error as err:
        raise InvalidInputError(f"{path}: not a readable CSV file ({err})") from err


def _xlsx_rows(path: Path, sheet: str | None) -> Iterator[tuple[int, list[Any]]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise InvalidInputError(f"no such file: {path}") from None
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as err:
        raise InvalidInputError(f"{path} is not a readable .xlsx workbook: {err}") from err
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise InvalidInputError(
                f"{path} has no sheet {sheet!r}; its sheets are {', '.join(workbook.sheetnames)}"
            )
        ws = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = list(row)
            if any(c is not None and (not isinstance(c, str) or c.strip()) for c in cells):
                yield number, cells
    finally:
        workbook.close()
