"""``shuixiao balance``, ``benchmark``, ``targets``, ``savings`` and ``report``: assessments from stored data.

Every command takes one scope (``--enterprise``, ``--park`` or ``--region``) and one period
(``--period 2025``, ``--period 2025-01..2025-06``, ``--year``/``--month`` or ``--from``/``--to``;
default: the days the stored readings cover), prints tables in the chosen language, and
with ``--json`` the assessment's JSON (``docs/assess.md``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.table import Table

from shuixiao.assess import (
    EnterpriseAssessment,
    TargetProgress,
    assess_enterprise,
    assess_park,
    assess_region,
    assess_savings,
    local_period,
    parse_month_range,
    region_chain,
    target_progress,
    water_tariff,
)
from shuixiao.assess.park import ParkAssessment
from shuixiao.cli._context import Context
from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.report import FORMATS, indicator_label, write_report

_YEAR = re.compile(r"^\d{4}$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def _assignment(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    return key.strip(), value.strip()


def _baseline(text: str) -> tuple[str, float]:
    key, value = _assignment(text)
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: the value is a number of m³/万元") from None
    if not (math.isfinite(number) and number > 0):
        raise argparse.ArgumentTypeError(f"{text!r}: the value is a positive number of m³/万元")
    return key, number


def _fact(text: str) -> tuple[str, bool]:
    key, value = _assignment(text)
    truth = {
        "yes": True,
        "true": True,
        "1": True,
        "是": True,
        "no": False,
        "false": False,
        "0": False,
        "否": False,
    }
    if value.lower() not in truth:
        raise argparse.ArgumentTypeError(f"{text!r}: the value is yes or no")
    return key, truth[value.lower()]


def _scope(parser: argparse.ArgumentParser, *, park: bool = True, region: bool = True) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--enterprise", metavar="ID", help="one enterprise")
    if park:
        group.add_argument("--park", metavar="ID", help="every enterprise of a park")
    if region:
        group.add_argument(
            "--region", metavar="ID", help="every enterprise of a region and the regions inside it"
        )


def _period_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--period", metavar="P", help="2025, 2025-03 or a range 2025-01..2025-06 (local calendar)"
    )
    parser.add_argument("--year", type=int, metavar="YYYY", help="a local calendar year")
    parser.add_argument("--month", type=int, metavar="M", help="with --year: one month (1–12)")
    parser.add_argument(
        "--from", dest="date_from", metavar="DATE", help="first day or month (2025-01-01 or 2025-01)"
    )
    parser.add_argument("--to", dest="date_to", metavar="DATE", help="last day or month, included")


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--variant",
        action="append",
        type=_assignment,
        default=[],
        metavar="PRODUCT=VARIANT",
        help=(
            "quota variant of a product, overriding the one read from the model (steel: coking and "
            "cold-rolling units), e.g. crude_steel=no_coking_no_cold_rolling (repeatable)"
        ),
    )
    parser.add_argument(
        "--fact",
        action="append",
        type=_fact,
        default=[],
        metavar="NAME=yes|no",
        help="a stated fact for the tier criteria, e.g. lawful_abstraction_permits=yes (repeatable)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable JSON (docs/assess.md)")


def register(nouns: Any) -> None:
    """Add the ``balance``, ``benchmark``, ``targets``, ``savings`` and ``report`` commands to ``nouns``."""
    balance = nouns.add_parser(
        "balance",
        help="water balance and indicators from stored data",
        description="Water balance, closure checks, reconciliation and indicators from the stored meter data.",
    )
    verbs = balance.add_subparsers(dest="verb", metavar="<verb>", required=True)
    show = verbs.add_parser(
        "show",
        help="show the water balance of an enterprise, a park or a region",
        description=(
            "Assess the period from the stored aggregates: each meter's volume and coverage, the "
            "water balance with inferred and estimated flows, reconciliation, the indicators and the "
            "problems found. See docs/assess.md."
        ),
    )
    _scope(show)
    _period_options(show)
    _options(show)
    show.set_defaults(handler=show_balance)

    bench = nouns.add_parser(
        "benchmark",
        help="intake per product against quotas, targets and peers; tiers",
        description=(
            "Each product's intake per unit against the GB/T 18916 quota levels, the 2020 average and "
            "the 2025 expected value (national and provincial), its rank among the peers of the park or "
            "region, and eligibility for 节水型企业 / 节水标杆 / 水效领跑者 criterion by criterion."
        ),
    )
    _scope(bench)
    _period_options(bench)
    _options(bench)
    bench.set_defaults(handler=show_benchmark)

    targets = nouns.add_parser(
        "targets",
        help="progress against the Action Plan's and the province's targets",
        description=(
            "Water per 10⁴ CNY value added against the 2020 base (−16 % national, −12 % Hunan), reuse "
            "rate against about 94 %, per-product 2025 expected values, non-conventional water and "
            "tier counts: met, on track, behind or unknown with the reason, and the trajectories."
        ),
    )
    _scope(targets)
    _period_options(targets)
    _options(targets)
    targets.add_argument(
        "--baseline",
        action="append",
        type=_baseline,
        default=[],
        metavar="REGION=M3_PER_10K_CNY",
        help=(
            "2020 water use per 10⁴ CNY industrial value added of a target's region where the reference "
            "data have none, e.g. 430000=<m³/万元> for Hunan (GB/T 2260 code or national; repeatable)"
        ),
    )
    targets.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help=(
            "assess the enterprises of --region or --park in N processes (default 1). It pays off from "
            "some hundred enterprises on, with N at most the free CPU cores; a few enterprises are "
            "faster in one process. The result is the same. Needs a database file or server, not an "
            "in-memory SQLite database"
        ),
    )
    targets.set_defaults(handler=show_targets)

    sav = nouns.add_parser(
        "savings",
        help="water savings against a production-normalised baseline (IPMVP Option C)",
        description=(
            "Fit a baseline model of intake against production (and air temperature where a sensor "
            "exists) on the baseline period, and report the savings of the reporting period with their "
            "ASHRAE Guideline 14 uncertainty interval and their value at the water tariff."
        ),
    )
    _scope(sav)
    sav.add_argument(
        "--baseline", required=True, metavar="RANGE", help="baseline period, e.g. 2025-01..2025-06"
    )
    sav.add_argument(
        "--reporting", required=True, metavar="RANGE", help="reporting period, e.g. 2025-07..2025-12"
    )
    sav.add_argument(
        "--granularity",
        choices=("month", "day"),
        default="month",
        help="one point per month (default) or day",
    )
    sav.add_argument(
        "--confidence", type=float, metavar="C", help="confidence of the interval (default 0.90)"
    )
    sav.add_argument(
        "--tariff", type=float, metavar="CNY", help="water tariff in CNY/m³ (default: water_tariffs.yaml)"
    )
    sav.add_argument(
        "--temperature-meter",
        metavar="ID",
        help="air-temperature meter to try as a regressor (default: production only)",
    )
    sav.add_argument("--json", action="store_true", help="machine-readable JSON (docs/assess.md)")
    sav.set_defaults(handler=show_savings)

    report = nouns.add_parser(
        "report",
        help="reports: the water-balance test report",
        description="Write reports from the stored data.",
    )
    rverbs = report.add_subparsers(dest="verb", metavar="<verb>", required=True)
    rb = rverbs.add_parser(
        "balance",
        help="write the water-balance test report (水平衡测试报告)",
        description=(
            "Write the water-balance test report of GB/T 12452-2022 Annex A as HTML, XLSX or PDF, in "
            "Chinese (default) or English (--lang en before the command). With --park or --region, --out "
            "is a directory and one report per enterprise is written."
        ),
    )
    _scope(rb)
    _period_options(rb)
    rb.add_argument("--format", choices=FORMATS, help="html, xlsx or pdf (default: from the file name)")
    rb.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="FILE",
        help="file to write (a directory with --park/--region)",
    )
    rb.add_argument(
        "--variant",
        action="append",
        type=_assignment,
        default=[],
        metavar="PRODUCT=VARIANT",
        help="quota variant of a product (repeatable)",
    )
    rb.add_argument(
        "--fact",
        action="append",
        type=_fact,
        default=[],
        metavar="NAME=yes|no",
        help="a stated fact for the tier criteria (repeatable)",
    )
    rb.set_defaults(handler=write_balance_report)


# --- scope and period ---------------------------------------------------------------------------------


def _members(ctx: Context, args: argparse.Namespace) -> list[str]:
    store = ctx.store()
    summaries = store.list_enterprises()
    if getattr(args, "enterprise", None):
        if args.enterprise not in {s.id for s in summaries}:
            store.load_enterprise(args.enterprise)  # raises NotFoundError with the suggestions
        return [args.enterprise]
    if getattr(args, "park", None):
        if args.park not in {p.id for p in store.list_parks()}:
            raise NotFoundError(f"no park {args.park!r}; run shuixiao model show")
        return [s.id for s in summaries if s.park == args.park]
    regions = store.list_regions()
    if args.region not in {r.id for r in regions}:
        raise NotFoundError(
            f"no region {args.region!r}; regions: {', '.join(r.id for r in regions) or 'none'}"
        )
    inside = {r.id for r in regions if args.region in {c.id for c in region_chain(regions, r.id)}}
    return [s.id for s in summaries if s.region in inside]


def _period(
    ctx: Context, args: argparse.Namespace, members: Sequence[str]
) -> tuple[dt.datetime, dt.datetime, int]:
    """The period ``[start, end)`` and its year, from the options or the stored readings."""
    zone = ctx.settings.zone
    if args.period:
        text = args.period.strip()
        if _YEAR.match(text):
            start, end = local_period(int(text), zone=zone)
        elif m := _MONTH.match(text):
            start, end = local_period(int(m[1]), int(m[2]), zone=zone)
        else:
            start, end = parse_month_range(text, zone=zone)
    elif args.year is not None:
        start, end = local_period(args.year, args.month, zone=zone)
    elif args.month is not None:
        raise InvalidInputError("--month needs --year")
    elif args.date_from or args.date_to:
        if not (args.date_from and args.date_to):
            raise InvalidInputError("give both --from and --to")
        start, end = parse_month_range(f"{args.date_from}..{args.date_to}", zone=zone)
    else:
        spans = [s for s in (ctx.store().reading_span(e) for e in members) if s is not None]
        if not spans:
            raise InvalidInputError("no stored readings for this scope; give --period or --from/--to")
        first = min(s[0] for s in spans).astimezone(zone)
        last = max(s[1] for s in spans).astimezone(zone)
        day = first.date() if first.time() == dt.time(0) else first.date() + dt.timedelta(days=1)
        start = dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
        end = dt.datetime.combine(last.date(), dt.time(0), tzinfo=zone).astimezone(dt.UTC)
        if end <= start:
            raise InvalidInputError("the stored readings cover less than one whole day; give --period")
    return start, end, start.astimezone(zone).year


def _assess(
    ctx: Context, args: argparse.Namespace
) -> tuple[list[EnterpriseAssessment], ParkAssessment | None, int, dt.datetime, dt.datetime]:
    members = _members(ctx, args)
    if not members:
        raise NotFoundError("no enterprise in this scope")
    start, end, year = _period(ctx, args, members)
    store, zone = ctx.store(), ctx.settings.zone
    variants = dict(args.variant)
    facts = dict(args.fact)
    if getattr(args, "park", None):
        park = assess_park(
            store,
            args.park,
            start,
            end,
            zone=zone,
            variants=variants,
            facts=dict.fromkeys(members, facts),
            workers=getattr(args, "workers", 1),
        )
        return list(park.enterprises), park, year, start, end
    regions = store.list_regions()
    return (
        [
            assess_enterprise(
                store, e, start, end, zone=zone, variants=variants, facts=facts, regions=regions
            )
            for e in members
        ],
        None,
        year,
        start,
        end,
    )


def _n(value: float, spec: str = ",.0f") -> str:
    return format(value, spec) if isinstance(value, int | float) and math.isfinite(value) else "—"


def _local(ctx: Context, start: dt.datetime, end: dt.datetime) -> str:
    zone = ctx.settings.zone
    last = (end.astimezone(zone) - dt.timedelta(seconds=1)).date()
    return f"{start.astimezone(zone).date().isoformat()} – {last.isoformat()}"


def _name(ctx: Context, a: EnterpriseAssessment) -> str:
    e = a.enterprise
    return (e.name_en or e.name) if ctx.settings.language == "en" else e.name


# --- balance show -------------------------------------------------------------------------------------


def show_balance(ctx: Context, args: argparse.Namespace) -> int:
    """Print the water balance and indicators of the scope."""
    assessments, park, _, start, end = _assess(ctx, args)
    if args.json:
        if park is not None:
            ctx.print_json(park.to_dict(full=True))
        elif len(assessments) == 1:
            ctx.print_json(assessments[0].to_dict())
        else:
            ctx.print_json({"enterprises": [a.to_dict() for a in assessments]})
        return 0
    if len(assessments) == 1:
        _print_enterprise(ctx, assessments[0])
        return 0
    table = Table(title=ctx.t("assess.bal.title.scope", period=_local(ctx, start, end)))
    for key in (
        "col.enterprise",
        "col.intake",
        "col.reuse",
        "col.leakage",
        "col.intensity",
        "col.per_product",
        "col.closure",
        "col.coverage",
    ):
        table.add_column(ctx.t(f"assess.{key}"), justify="left" if key == "col.enterprise" else "right")
    for a in assessments:
        ind = a.indicators
        per_product = "; ".join(f"{_n(i.value, '.4g')} {i.unit}" for i in ind.intake_per_product.values())
        table.add_row(
            _name(ctx, a),
            _n(ind["intake"].value),
            _n(ind["reuse_rate"].value, ".2f"),
            _n(ind["leakage_rate"].value, ".2f"),
            _n(ind.intake_per_value_added.value, ".2f"),
            per_product or "—",
            _n(100 * a.balance.level1.closure, ".2f"),
            _n(100 * a.volumes.coverage, ".1f"),
        )
    ctx.out.print(table)
    if park is not None:
        totals = park.totals
        ctx.out.print(
            ctx.t(
                "assess.bal.park_totals",
                intake=_n(totals["intake"].value),
                reuse=_n(totals["reuse_rate"].value, ".2f"),
                intensity=_n(totals["intake_per_value_added"].value, ".2f"),
                exchanges=len(park.exchanges),
            )
        )
    return 0


def _print_enterprise(ctx: Context, a: EnterpriseAssessment) -> None:
    lang = ctx.settings.language
    status = {
        "measured": ctx.t("assess.bal.measured"),
        "inferred": ctx.t("assess.bal.inferred"),
        "estimated": ctx.t("assess.bal.estimated"),
        "missing": ctx.t("assess.bal.missing"),
    }
    ctx.out.print(
        ctx.t(
            "assess.bal.header",
            name=_name(ctx, a),
            id=a.enterprise.id,
            period=_local(ctx, a.start, a.end),
            coverage=_n(100 * a.volumes.coverage, ".1f"),
        )
    )
    l1 = a.balance.level1
    t1 = Table(title=ctx.t("assess.bal.title.level1"))
    t1.add_column(ctx.t("assess.col.term"))
    t1.add_column("m³", justify="right")
    t1.add_column(ctx.t("assess.col.status"))
    for key, term in (
        ("bal.intake", l1.intake),
        ("bal.consumption", l1.consumption),
        ("bal.discharge", l1.discharge),
        ("bal.leakage", l1.leakage),
        ("bal.external", l1.external_supply),
    ):
        t1.add_row(ctx.t(f"assess.{key}"), _n(term.value), status[term.provenance.value])
    t1.add_row(
        ctx.t("assess.bal.closure"), f"{_n(100 * l1.closure, '.2f')} %", status[l1.closure_provenance.value]
    )
    t1.add_row(ctx.t("assess.bal.level_check"), f"{_n(100 * a.balance.level_check.difference, '.2f')} %", "")
    ctx.out.print(t1)
    names = {u.id: (u.name_en or u.name) if lang == "en" else u.name for u in a.enterprise.units}
    t2 = Table(title=ctx.t("assess.bal.title.groups"))
    for key in ("col.unit", "col.inputs", "col.outputs", "col.closure", "col.status"):
        t2.add_column(
            ctx.t(f"assess.{key}"), justify="left" if key in ("col.unit", "col.status") else "right"
        )
    for uid, u in a.balance.groups.items():
        flag = "" if u.within_tolerance is not False else " ✗"
        t2.add_row(
            names.get(uid, uid),
            _n(u.inputs.value),
            _n(u.outputs.value),
            _n(100 * u.closure, ".2f") + flag,
            status[u.closure_provenance.value],
        )
    ctx.out.print(t2)
    t3 = Table(title=ctx.t("assess.bal.title.indicators"))
    for key in ("col.indicator", "col.value", "col.unit_of", "col.status"):
        t3.add_column(ctx.t(f"assess.{key}"), justify="right" if key == "col.value" else "left")
    ind = a.indicators
    rows = [
        (indicator_label(k, lang), ind[k])
        for k in (
            "intake",
            "total_use",
            "reused",
            "reuse_rate",
            "discharge_rate",
            "leakage_rate",
            "non_conventional_substitution_rate",
        )
    ]
    rows += [
        (f"{indicator_label('intake_per_product', lang)} ({k})", v) for k, v in ind.intake_per_product.items()
    ]
    rows.append((indicator_label("intake_per_value_added", lang), ind.intake_per_value_added))
    for name, i in rows:
        spec = ",.0f" if i.unit == "m³" else (".2f" if i.unit == "%" else ".4g")
        t3.add_row(name, _n(i.value, spec), i.unit, status[i.provenance.value])
    ctx.out.print(t3)
    if a.reconciliation is not None:
        r = a.reconciliation
        verdict = (
            ctx.t("assess.bal.reconcile.pass")
            if r.initial_test.passed
            else ctx.t(
                "assess.bal.reconcile.fail", suspects="; ".join("/".join(s) for s in r.suspects) or "—"
            )
        )
        ctx.out.print(
            ctx.t(
                "assess.bal.reconcile",
                gamma=_n(r.initial_test.statistic, ".2f"),
                critical=_n(r.initial_test.critical, ".2f"),
                verdict=verdict,
            )
        )
    problems = [f for f in a.findings if f.kind == "problem"]
    if problems:
        ctx.out.print(ctx.t("assess.bal.problems", n=len(problems)))
        for f in problems:
            ctx.out.print(f"  • {f.text(lang)}")
    ctx.out.print(ctx.t("assess.bal.more", n=len(a.findings) - len(problems)))


# --- benchmark ----------------------------------------------------------------------------------------


def show_benchmark(ctx: Context, args: argparse.Namespace) -> int:
    """Print each product against quotas and targets, the peers' ranking and the tiers."""
    assessments, park, _, start, end = _assess(ctx, args)
    if args.json:
        ctx.print_json(
            {
                "period": {"start": start.isoformat(), "end": end.isoformat()},
                "enterprises": [
                    {
                        "id": a.enterprise.id,
                        "benchmarks": a.to_dict()["benchmarks"],
                        "tiers": a.to_dict()["tiers"],
                    }
                    for a in assessments
                ],
                "ranking": park.to_dict()["ranking"] if park is not None else None,
            }
        )
        return 0
    table = Table(title=ctx.t("assess.bench.title", period=_local(ctx, start, end)))
    for key in (
        "col.enterprise",
        "col.product",
        "col.table",
        "col.value",
        "col.grade",
        "col.quota",
        "col.avg2020",
        "col.exp2025",
        "col.ratio",
    ):
        table.add_column(
            ctx.t(f"assess.{key}"),
            justify="left" if key in ("col.enterprise", "col.product", "col.table", "col.grade") else "right",
        )
    for a in assessments:
        for b in a.benchmarks:
            levels = {q.level: q.value for q in b.quotas}
            quota = "/".join(
                f"{levels[k]:g}" if k in levels else "—" for k in ("general", "advanced", "leading")
            )
            table.add_row(
                _name(ctx, a),
                b.product,
                b.region,
                _n(b.value, ".4g"),
                ctx.t(f"assess.grade.{b.grade.value}"),
                quota,
                _n(b.baseline_2020, ".4g"),
                _n(b.expected_2025, ".4g"),
                _n(b.ratio_to_baseline, ".3f"),
            )
    ctx.out.print(table)
    for a in assessments:
        for b in a.benchmarks:
            if b.note and b.region == "national":
                ctx.out.print(f"  {_name(ctx, a)} {b.product}: {b.note}")
    if len(assessments) > 1:
        from shuixiao.assess.park import rank_enterprises

        ranks = park.ranking if park is not None else rank_enterprises(tuple(assessments))
        rt = Table(title=ctx.t("assess.bench.peers"))
        rt.add_column(ctx.t("assess.col.indicator"))
        rt.add_column(ctx.t("assess.col.ranking"))
        for indicator, entries in ranks.items():
            rt.add_row(
                indicator, "  ".join(f"{r.rank or '—'}. {r.enterprise} {_n(r.value, '.4g')}" for r in entries)
            )
        ctx.out.print(rt)
    tiers = Table(title=ctx.t("assess.bench.tiers"))
    tiers.add_column(ctx.t("assess.col.enterprise"))
    for tier in ("water_saving", "benchmark", "leader"):
        tiers.add_column(ctx.t(f"assess.tier.{tier}"))
    verdict = {
        True: ctx.t("assess.tier.yes"),
        False: ctx.t("assess.tier.no"),
        None: ctx.t("assess.tier.unknown"),
    }
    for a in assessments:
        cells = []
        for tier in ("water_saving", "benchmark", "leader"):
            ta = a.tiers[tier]
            failed = [c.id.split(".", 1)[-1] for c in ta.criteria if c.status.value == "not_met"]
            cells.append(verdict[ta.eligible] + (f" ({', '.join(failed)})" if failed else ""))
        tiers.add_row(_name(ctx, a), *cells)
    ctx.out.print(tiers)
    return 0


# --- targets ------------------------------------------------------------------------------------------


def show_targets(ctx: Context, args: argparse.Namespace) -> int:
    """Print progress against the national and provincial targets."""
    store = ctx.store()
    zone = ctx.settings.zone
    if getattr(args, "region", None):
        members = _members(ctx, args)
        start, end, year = _period(ctx, args, members)
        progress = assess_region(
            store,
            args.region,
            year,
            zone=zone,
            period=(start, end),
            variants=dict(args.variant),
            facts={e: dict(args.fact) for e in members},
            baselines=dict(args.baseline),
            workers=args.workers,
        )
        targets = progress.targets
        if args.json:
            ctx.print_json(progress.to_dict())
            return 0
    else:
        assessments, _, year, start, end = _assess(ctx, args)
        chain = region_chain(store.list_regions(), assessments[0].enterprise.region)
        targets = target_progress(assessments, year, chain, baselines=dict(args.baseline))
        if args.json:
            ctx.print_json(
                {
                    "year": year,
                    "period": {"start": start.isoformat(), "end": end.isoformat()},
                    "targets": [t.to_dict() for t in targets],
                }
            )
            return 0
    _print_targets(ctx, targets, year, start, end)
    return 0


def _print_targets(
    ctx: Context, targets: Sequence[TargetProgress], year: int, start: dt.datetime, end: dt.datetime
) -> None:
    lang = ctx.settings.language
    table = Table(title=ctx.t("assess.targets.title", year=year, period=_local(ctx, start, end)))
    for key in (
        "col.target",
        "col.baseline",
        "col.goal",
        "col.expected",
        "col.actual",
        "col.status",
        "col.reason",
    ):
        table.add_column(
            ctx.t(f"assess.{key}"),
            justify="right" if key in ("col.baseline", "col.goal", "col.expected", "col.actual") else "left",
        )
    for t in targets:
        base = f"{_n(t.baseline, '.4g')} ({t.baseline_year})" if t.baseline_year else "—"
        table.add_row(
            t.label_en if lang == "en" else t.label_zh,
            base,
            f"{_n(t.target, ',.4g')} ({t.target_year})",
            _n(t.expected, ".4g"),
            _n(t.actual, ",.4g"),
            ctx.t(f"assess.status.{t.status}"),
            t.reason if lang == "en" else (t.reason_zh or t.reason),
        )
    ctx.out.print(table)
    lines = [t for t in targets if t.subject is None and t.baseline_year is not None]
    if lines:
        traj = Table(title=ctx.t("assess.targets.trajectory"))
        traj.add_column(ctx.t("assess.col.target"))
        years = sorted({y for t in lines for y, _ in t.trajectory()})
        for y in years:
            traj.add_column(str(y), justify="right")
        for t in lines:
            points = dict(t.trajectory())
            cells = [_n(points.get(y, math.nan), ".4g") for y in years]
            if year in years:
                i = years.index(year)
                cells[i] = f"{cells[i]} [{_n(t.actual, '.4g')}]"
            traj.add_row(t.label_en if lang == "en" else t.label_zh, *cells)
        ctx.out.print(traj)
        ctx.out.print(ctx.t("assess.targets.legend"))


# --- savings ------------------------------------------------------------------------------------------


def show_savings(ctx: Context, args: argparse.Namespace) -> int:
    """Print the baseline model, its quality and the savings with their interval."""
    members = _members(ctx, args)
    zone = ctx.settings.zone
    baseline = parse_month_range(args.baseline, zone=zone)
    reporting = parse_month_range(args.reporting, zone=zone)
    results = [
        assess_savings(
            ctx.store(),
            e,
            baseline,
            reporting,
            granularity=args.granularity,
            zone=zone,
            temperature_meter=args.temperature_meter,
            confidence=args.confidence,
            tariff=args.tariff,
        )
        for e in members
    ]
    if args.json:
        ctx.print_json(
            results[0].to_dict() if len(results) == 1 else {"enterprises": [r.to_dict() for r in results]}
        )
        return 0
    lang = ctx.settings.language
    for s in results:
        r, m = s.result, s.result.model
        ctx.out.print(
            ctx.t(
                "assess.sav.header",
                id=s.enterprise,
                baseline=args.baseline,
                reporting=args.reporting,
                granularity=ctx.t(f"assess.sav.{s.granularity}"),
            )
        )
        ctx.out.print(
            ctx.t("assess.sav.model", equation=m.equation(), n=m.n, criterion=s.selection.criterion)
        )
        coef = Table(title=ctx.t("assess.sav.coefficients"))
        for key in ("col.term", "col.coefficient", "col.se", "col.t"):
            coef.add_column(ctx.t(f"assess.{key}"), justify="left" if key == "col.term" else "right")
        for name, b, se, t in zip(
            ("intercept", *m.regressors), m.coefficients, m.standard_errors, m.t_values, strict=True
        ):
            coef.add_row(name, _n(float(b), ",.5g"), _n(float(se), ",.4g"), _n(float(t), ".2f"))
        ctx.out.print(coef)
        quality = Table(title=ctx.t("assess.sav.quality"))
        for key in ("col.criterion", "col.value", "col.limit", "col.status"):
            quality.add_column(
                ctx.t(f"assess.{key}"), justify="right" if key in ("col.value", "col.limit") else "left"
            )
        for c in r.checks:
            ok = {True: ctx.t("assess.sav.pass"), False: ctx.t("assess.sav.fail"), None: "—"}[c.passed]
            quality.add_row(c.name, _n(c.value, ".3g"), f"{c.operator.strip('|')} {c.threshold:g}", ok)
        ctx.out.print(quality)
        ctx.out.print(
            ctx.t(
                "assess.sav.result",
                adjusted=_n(r.adjusted_baseline),
                reported=_n(r.reporting),
                savings=_n(r.savings),
                fraction=_n(100 * r.fraction, ".2f"),
                confidence=_n(100 * r.confidence, ".0f"),
                low=_n(r.low),
                high=_n(r.high),
                exact=_n(r.prediction_uncertainty),
                verdict=ctx.t("assess.sav.significant")
                if r.significant
                else ctx.t("assess.sav.not_significant"),
            )
        )
        ctx.out.print(
            ctx.t(
                "assess.sav.money",
                money=_n(s.money),
                low=_n(s.money_low),
                high=_n(s.money_high),
                tariff=_n(s.tariff_value, "g"),
                entry=s.tariff.id,
                confidence=s.tariff.confidence,
            )
        )
        for note in s.notes:
            ctx.out.print(f"  {ctx.t('assess.sav.note')}: {note.text(lang)}")
    return 0


# --- report -------------------------------------------------------------------------------------------


def write_balance_report(ctx: Context, args: argparse.Namespace) -> int:
    """Write the water-balance test report(s)."""
    assessments, _, _, _, _ = _assess(ctx, args)
    lang = ctx.settings.language
    store = ctx.store()
    single = bool(getattr(args, "enterprise", None))
    if not single:
        args.out.mkdir(parents=True, exist_ok=True)
    for a in assessments:
        kind = args.format or (args.out.suffix.lstrip(".") if single else "html")
        target = args.out if single else args.out / f"{a.enterprise.id}.{kind}"
        written = write_report(
            a, target, format=kind, language=lang, tariff=water_tariff(store, a.enterprise)
        )
        ctx.out.print(ctx.t("assess.report.written", path=written, name=_name(ctx, a)))
    return 0
