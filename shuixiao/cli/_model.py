"""``shuixiao model``: import, export, validate and show water-system models."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from rich.table import Table

from shuixiao.cli._context import Context
from shuixiao.errors import InvalidInputError
from shuixiao.io import ModelDocument, read_model_file, to_document, write_model_file
from shuixiao.model import BOUNDARY_KINDS, Enterprise, Region, industry_name, label, quantity_label


def register(nouns: Any) -> None:
    """Add the ``model`` command and its verbs to ``nouns``."""
    model = nouns.add_parser(
        "model",
        help="water-system models: import, export, validate, show",
        description="Import, export, validate and show enterprises' water-system models (YAML or JSON).",
    )
    verbs = model.add_subparsers(dest="verb", metavar="<verb>", required=True)

    imp = verbs.add_parser(
        "import",
        help="import a model file into the database",
        description="Validate a model file and import it in one transaction; nothing is imported if any problem is found.",
    )
    imp.add_argument("file", type=Path, help="model file (.yaml, .yml or .json)")
    imp.add_argument("--replace", action="store_true", help="replace enterprises that already exist")
    imp.add_argument(
        "--drop-readings",
        action="store_true",
        help="with --replace, also delete the readings of meters the new model no longer has",
    )
    imp.set_defaults(handler=import_model)

    val = verbs.add_parser(
        "validate",
        help="check a model file without importing it",
        description="Check a model file and list every problem with its line; needs no database.",
    )
    val.add_argument("file", type=Path, help="model file (.yaml, .yml or .json)")
    val.set_defaults(handler=validate_model)

    exp = verbs.add_parser(
        "export",
        help="write an enterprise's model to a file",
        description="Write an enterprise (with its park and region) as a model file that imports again unchanged.",
    )
    exp.add_argument("--enterprise", required=True, metavar="ID", help="enterprise id")
    exp.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="file to write (.yaml or .json); default: ID.yaml"
    )
    exp.set_defaults(handler=export_model)

    show = verbs.add_parser(
        "show",
        help="show enterprises, or one enterprise's water system",
        description="Without --enterprise, list all enterprises; with it, show its units, meters and products.",
    )
    show.add_argument("--enterprise", metavar="ID", help="enterprise id")
    show.add_argument("--json", action="store_true", help="machine-readable JSON instead of tables")
    show.set_defaults(handler=show_model)


def import_model(ctx: Context, args: argparse.Namespace) -> int:
    """Validate and import a model file in one transaction."""
    doc = read_model_file(args.file)
    ctx.store().save_model(
        doc.regions, doc.parks, doc.enterprises, replace=args.replace, drop_readings=args.drop_readings
    )
    ctx.out.print(
        ctx.t(
            "model.imported",
            source=args.file,
            regions=len(doc.regions),
            parks=len(doc.parks),
            enterprises=len(doc.enterprises),
        )
    )
    return 0


def validate_model(ctx: Context, args: argparse.Namespace) -> int:
    """Check a model file; problems raise and are printed by main()."""
    doc = read_model_file(args.file)
    ctx.out.print(ctx.t("model.valid", source=args.file, enterprises=len(doc.enterprises)))
    return 0


def export_model(ctx: Context, args: argparse.Namespace) -> int:
    """Write one enterprise, its park and its regions to a model file."""
    output: Path = args.output or Path(f"{args.enterprise}.yaml")
    if output.suffix.lower() not in (".yaml", ".yml", ".json"):
        raise InvalidInputError(f"cannot write {output}: name the file .yaml, .yml or .json")
    store = ctx.store()
    enterprise = store.load_enterprise(args.enterprise)
    parks = [p for p in store.list_parks() if p.id == enterprise.park]
    regions = _region_chain(store.list_regions(), {enterprise.region, *(p.region for p in parks)})
    write_model_file(
        ModelDocument(regions=tuple(regions), parks=tuple(parks), enterprises=(enterprise,)), output
    )
    ctx.out.print(ctx.t("model.exported", enterprise=enterprise.id, path=output))
    return 0


def _region_chain(regions: list[Region], wanted: set[str]) -> list[Region]:
    """Return the wanted regions and all their ancestors, parents first."""
    by_id = {r.id: r for r in regions}
    chain: list[Region] = []
    for region_id in sorted(wanted):
        node = by_id.get(region_id)
        path: list[Region] = []
        while node is not None and node not in chain and node not in path:
            path.append(node)
            node = by_id.get(node.parent) if node.parent else None
        chain += reversed(path)
    return chain


def show_model(ctx: Context, args: argparse.Namespace) -> int:
    """List enterprises, or show one enterprise's water system."""
    store = ctx.store()
    if args.enterprise is None:
        return _show_all(ctx, as_json=args.json)
    enterprise = store.load_enterprise(args.enterprise)
    readings = store.count_readings(enterprise.id)
    span = store.reading_span(enterprise.id)
    if args.json:
        ctx.print_json(
            {
                "enterprise": to_document(ModelDocument(enterprises=(enterprise,)))["enterprises"][0],
                "summary": _summary(enterprise, readings, span),
            }
        )
        return 0
    _print_enterprise(ctx, enterprise, readings, span)
    return 0


def _summary(e: Enterprise, readings: int, span: Any) -> dict[str, Any]:
    levels = [sum(1 for m in e.meters if m.level == n) for n in (1, 2, 3)]
    return {
        "units": len(e.units),
        "flows": len(e.flows),
        "meters": len(e.meters),
        "meters_by_level": {"1": levels[0], "2": levels[1], "3": levels[2]},
        "readings": readings,
        "first_reading": span[0].isoformat() if span else None,
        "last_reading": span[1].isoformat() if span else None,
    }


def _show_all(ctx: Context, *, as_json: bool) -> int:
    summaries = ctx.store().list_enterprises()
    if not summaries and not as_json:
        ctx.out.print(ctx.t("model.none"))
        return 0
    if as_json:
        ctx.print_json(
            [dataclasses.asdict(s) | {"readings": ctx.store().count_readings(s.id)} for s in summaries]
        )
        return 0
    en = ctx.settings.language == "en"
    table = Table(title=ctx.t("title.enterprises"))
    for key in ("col.id", "col.name", "col.industry", "col.park", "col.units", "col.meters", "col.readings"):
        table.add_column(
            ctx.t(key), justify="right" if key in ("col.units", "col.meters", "col.readings") else "left"
        )
    for s in summaries:
        table.add_row(
            s.id,
            (s.name_en or s.name) if en else s.name,
            f"{s.industry_code} {industry_name(s.industry_code, ctx.settings.language) or ''}",
            s.park or "",
            str(s.n_units),
            str(s.n_meters),
            f"{ctx.store().count_readings(s.id):,}",
        )
    ctx.out.print(table)
    return 0


def _print_enterprise(ctx: Context, e: Enterprise, readings: int, span: Any) -> None:
    lang = ctx.settings.language
    en = lang == "en"
    out = ctx.out
    out.print(f"[bold]{(e.name_en or e.name) if en else e.name}[/bold]  ({e.id})")
    out.print(f"{ctx.t('label.credit_code')}: {e.credit_code}")
    out.print(f"{ctx.t('label.industry')}: {e.industry_code} {industry_name(e.industry_code, lang) or ''}")
    regions = {r.id: r for r in ctx.store().list_regions()}
    parks = {p.id: p for p in ctx.store().list_parks()}
    region = regions.get(e.region)
    park = parks.get(e.park) if e.park else None
    region_name = ((region.name_en or region.name) if en else region.name) if region else e.region
    park_name = ((park.name_en or park.name) if en else park.name) if park else (e.park or "—")
    out.print(f"{ctx.t('label.region')}: {region_name}    {ctx.t('label.park')}: {park_name}")
    levels = [sum(1 for m in e.meters if m.level == n) for n in (1, 2, 3)]
    out.print(
        ctx.t(
            "label.summary",
            units=len(e.units),
            flows=len(e.flows),
            meters=len(e.meters),
            l1=levels[0],
            l2=levels[1],
            l3=levels[2],
        )
    )
    if span:
        zone = ctx.settings.zone
        out.print(
            ctx.t(
                "label.data",
                readings=f"{readings:,}",
                start=span[0].astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                end=span[1].astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                tz=ctx.settings.timezone,
            )
        )
    else:
        out.print(ctx.t("label.nodata"))
    if e.value_added:
        out.print(ctx.t("label.value_added", value=sum(v.value for v in e.value_added) / 1e4))

    units = Table(title=ctx.t("title.units"))
    for key in ("col.id", "col.name", "col.kind", "col.level", "col.meters"):
        units.add_column(ctx.t(key))
    meters_on: dict[str, int] = {}
    for m in e.meters:
        target = m.water_unit or (e.flow(m.flow).to_unit or e.flow(m.flow).from_unit if m.flow else None)
        if target:
            meters_on[target] = meters_on.get(target, 0) + 1
    ordered = [u for u in e.units if u.kind in BOUNDARY_KINDS]
    for u in e.units:
        if u.level == 2:
            ordered.append(u)
            ordered += e.children(u.id)
    for u in ordered:
        detail = u.source_type or u.treatment_type
        kind = label(u.kind, lang) + (f" · {label(detail, lang)}" if detail else "")
        indent = "  └ " if u.level == 3 else ""
        units.add_row(
            u.id,
            indent + ((u.name_en or u.name) if en else u.name),
            kind,
            str(u.level) if u.level else "—",
            str(meters_on.get(u.id, "")),
        )
    out.print(units)

    meters = Table(title=ctx.t("title.meters"))
    for key in (
        "col.id",
        "col.level",
        "col.kind",
        "col.quantity",
        "col.unit",
        "col.on",
        "col.accuracy",
        "col.calibrated",
    ):
        meters.add_column(ctx.t(key))
    for m in sorted(e.meters, key=lambda m: (m.level, m.id)):
        if m.flow:
            flow = e.flow(m.flow)
            on = f"{flow.from_unit} → {flow.to_unit or label(flow.category, lang)}"
        else:
            on = m.water_unit or ""
        meters.add_row(
            m.id,
            str(m.level),
            label(m.kind, lang),
            quantity_label(m.quantity, lang),
            m.unit,
            on,
            f"{m.accuracy_class:g}" if m.accuracy_class else "",
            m.calibrated.isoformat() if m.calibrated else "",
        )
    out.print(meters)

    if e.products:
        products = Table(title=ctx.t("title.products"))
        for key in ("col.id", "col.product", "col.unit", "col.output"):
            products.add_column(ctx.t(key))
        for p in e.products:
            total = sum(r.quantity for r in e.production if r.product == p.id)
            products.add_row(p.id, (p.name_en or p.name) if en else p.name, p.unit, f"{total:,.0f}")
        out.print(products)
