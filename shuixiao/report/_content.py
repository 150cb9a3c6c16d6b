"""The content of the water-balance test report, independent of the output format.

:func:`build_report` turns an :class:`~shuixiao.assess.EnterpriseAssessment` into sections of
paragraphs and tables (numbers kept as numbers, with a display format per column), in the
order of the report outline of GB/T 12452-2022 Annex A; the HTML, XLSX and PDF writers
render the same content.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from shuixiao.assess import EnterpriseAssessment
from shuixiao.assess._sankey import Sankey
from shuixiao.balance import Indicator, Provenance, Status, UnitBalance
from shuixiao.model import industry_name, label
from shuixiao.reference import ParameterEntry, parameter
from shuixiao.report._text import indicator_label, text

__all__ = ["BalanceReport", "Cell", "Section", "Table", "build_report"]

Cell = str | float | int | None


@dataclass(frozen=True)
class Table:
    """A table of the report.

    Parameters
    ----------
    key : str
        Stable name (``meters``, ``units``, ``indicators`` …), used as the XLSX sheet id.
    title : str
    headers : tuple of str
    rows : tuple of tuple of Cell
        Numbers stay numbers (NaN as None); the writers format them with ``formats``.
    formats : tuple of str
        Python format spec per column for numbers (``",.0f"``, ``".1f"``); ``""`` for text.
    """

    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    formats: tuple[str, ...]

    def formatted(self) -> list[list[str]]:
        """The rows as display text."""
        return [[_fmt(c, f) for c, f in zip(row, self.formats, strict=True)] for row in self.rows]


@dataclass(frozen=True)
class Section:
    """A numbered section: paragraphs, tables and possibly the diagram.

    Parameters
    ----------
    key : str
    title : str
    paragraphs : tuple of str
    tables : tuple of Table
    diagram : bool
        Whether the water-balance diagram goes here.
    """

    key: str
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    diagram: bool = False


@dataclass(frozen=True)
class BalanceReport:
    """The report's content in one language.

    Parameters
    ----------
    language : {'zh', 'en'}
    title, subtitle : str
    enterprise : str
        The enterprise's name in the report's language.
    period : str
        ``start – end`` in local dates.
    date : datetime.date
        When the report was compiled.
    sections : tuple of Section
    sankey : Sankey
        The diagram's data.
    node_labels : dict of str to str
        Node labels in the report's language.
    """

    language: str
    title: str
    subtitle: str
    enterprise: str
    period: str
    date: dt.date
    sections: tuple[Section, ...]
    sankey: Sankey = field(repr=False)
    node_labels: dict[str, str] = field(default_factory=dict, repr=False)

    def table(self, key: str) -> Table:
        """Return the table ``key``.

        Raises
        ------
        KeyError
            If there is no such table.
        """
        for s in self.sections:
            for t in s.tables:
                if t.key == key:
                    return t
        raise KeyError(key)


def _fmt(value: Cell, spec: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not math.isfinite(value):
        return "—"
    if isinstance(value, int | float) and spec:
        return format(value, spec)
    return str(value)


def _num(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def _pct(x: float) -> str:
    return f"{x:.1%}" if math.isfinite(x) else "—"


def build_report(
    assessment: EnterpriseAssessment,
    *,
    language: str = "zh",
    tariff: ParameterEntry | None = None,
    date: dt.date | None = None,
) -> BalanceReport:
    """Return the report content of ``assessment`` in ``language`` ('zh' default, or 'en').

    Parameters
    ----------
    assessment : EnterpriseAssessment
    language : {'zh', 'en'}
    tariff : ParameterEntry, optional
        Water tariff to value the savings potential [CNY/m³]; without it the potential is in m³ only.
    date : datetime.date, optional
        Compilation date (default today).
    """
    lang = "en" if language == "en" else "zh"
    a = assessment
    e = a.enterprise
    zone = a.zone

    def t(key: str, **values: object) -> str:
        return text(key, lang, **values)

    def prov(p: Provenance | str) -> str:
        return t(p.value if isinstance(p, Provenance) else p)

    tz = ZoneInfo(zone)
    first = a.start.astimezone(tz).date()
    last = (a.end.astimezone(tz) - dt.timedelta(seconds=1)).date()
    names = {u.id: (u.name_en or u.name) if lang == "en" else u.name for u in e.units}
    name = (e.name_en or e.name) if lang == "en" else e.name
    sections: list[Section] = []

    # 1 facts ---------------------------------------------------------------------------------
    products = "; ".join(
        f"{(p.name_en or p.name) if lang == 'en' else p.name} {a.production.get(p.id, math.nan):,.0f} {p.unit}"
        for p in e.products
    )
    facts = [
        (t("facts.name"), name),
        (t("facts.credit"), e.credit_code),
        (t("facts.industry"), f"{e.industry_code} {industry_name(e.industry_code, lang) or ''}".strip()),
        (
            t("facts.region"),
            " / ".join((r.name_en or r.name) if lang == "en" else r.name for r in reversed(a.regions))
            or e.region,
        ),
        (t("facts.park"), e.park or "—"),
        (t("facts.employees"), str(e.employees) if e.employees is not None else "—"),
        (t("facts.units"), str(len(e.units))),
        (t("facts.meters"), str(len(e.meters))),
        (t("facts.products"), products or "—"),
        (t("facts.value_added"), f"{a.value_added / 1e4:,.1f}" if a.value_added is not None else "—"),
    ]
    sections.append(
        Section(
            "facts",
            t("s1"),
            tables=(Table("facts", t("s1"), ("", ""), tuple((k, v) for k, v in facts), ("", "")),),
        )
    )

    # 2 basis and period ------------------------------------------------------------------------
    sections.append(
        Section(
            "basis",
            t("s2"),
            paragraphs=(
                t(
                    "basis.text",
                    start=first.isoformat(),
                    end=last.isoformat(),
                    days=round(a.days, 2),
                    zone=zone,
                ),
                *(f"{t('notes')}: {n.text(lang)}" for n in a.notes),
            ),
        )
    )

    # 3 meters ---------------------------------------------------------------------------------
    groups = a.volumes.by_provenance()
    meters_by_id = {m.id: m for m in e.meters}
    meter_rows = []
    for v in a.volumes.meters.values():
        m = meters_by_id[v.meter]
        meter_rows.append(
            (
                v.meter,
                v.flow,
                m.level,
                _num(m.accuracy_class),
                _num(v.value),
                100.0 * v.volume_coverage,
                prov(v.provenance),
                v.note or "",
            )
        )
    rate_rows = []
    for level in (1, 2, 3):
        equip = a.indicators.equipping_rate.get(level)
        rate = a.indicators.metering_rate.get(level)
        rate_rows.append(
            (
                level,
                _num(equip.value) if equip else None,
                parameter("equipping_rate", table="metering_gbt24789", level=level).value,
                _num(rate.value) if rate else None,
                parameter("metering_rate", table="metering_gbt24789", level=level).value,
            )
        )
    sections.append(
        Section(
            "meters",
            t("s3"),
            paragraphs=(
                t(
                    "meters.text",
                    meters=len(e.meters),
                    flow_meters=len(a.volumes.meters),
                    measured=len(groups.get(Provenance.MEASURED, ())),
                    estimated=len(groups.get(Provenance.ESTIMATED, ())),
                    missing=len(groups.get(Provenance.MISSING, ())),
                ),
            ),
            tables=(
                Table(
                    "meters",
                    t("meters.title"),
                    (
                        t("col.meter"),
                        t("col.flow"),
                        t("col.level"),
                        t("col.accuracy"),
                        t("col.volume"),
                        t("col.coverage"),
                        t("col.status"),
                        t("col.note"),
                    ),
                    tuple(meter_rows),
                    ("", "", "d", "g", ",.0f", ".1f", "", ""),
                ),
                Table(
                    "metering_rates",
                    t("rates.title"),
                    (
                        t("col.level"),
                        t("col.equipping"),
                        t("col.required"),
                        t("col.metering"),
                        t("col.required"),
                    ),
                    tuple(rate_rows),
                    ("d", ".1f", "g", ".1f", "g"),
                ),
            ),
        )
    )

    # 4 balance tables ---------------------------------------------------------------------------
    l1, lc = a.balance.level1, a.balance.level_check

    def vol(x: float) -> str:
        return f"{x:,.0f}" if math.isfinite(x) else "—"

    def unit_rows(items: dict[str, UnitBalance]) -> tuple[tuple[Cell, ...], ...]:
        rows: list[tuple[Cell, ...]] = []
        for uid, ub in items.items():
            within = ub.within_tolerance
            check = t("ok") if within else (t("not_ok") if within is False else "—")
            rows.append(
                (
                    names.get(uid, uid),
                    _num(ub.inputs.value),
                    _num(ub.outputs.value),
                    _num(ub.consumption.value),
                    _num(ub.leakage.value),
                    _num(100.0 * ub.closure),
                    100.0 * ub.tolerance,
                    f"{check} ({prov(ub.closure_provenance)})",
                )
            )
        return tuple(rows)

    unit_headers = (
        t("col.unit"),
        t("col.inputs"),
        t("col.outputs"),
        t("col.consumption"),
        t("col.leakage"),
        t("col.closure"),
        t("col.tolerance"),
        t("col.check"),
    )
    unit_formats = ("", ",.0f", ",.0f", ",.0f", ",.0f", ".2f", "g", "")
    flow_rows = []
    for f in e.flows:
        fv = a.balance.flows[f.id]
        target = names.get(f.to_unit, f.to_unit) if f.to_unit else label(f.category, lang)
        flow_rows.append(
            (
                f.id,
                names.get(f.from_unit, f.from_unit),
                target,
                label(f.category, lang),
                _num(fv.value),
                _num(fv.uncertainty),
                prov(fv.provenance),
            )
        )
    sections.append(
        Section(
            "balance",
            t("s4"),
            paragraphs=(
                t(
                    "level1.text",
                    intake=vol(l1.intake.value),
                    consumption=vol(l1.consumption.value),
                    discharge=vol(l1.discharge.value),
                    leakage=vol(l1.leakage.value),
                    external=vol(l1.external_supply.value),
                    closure=_pct(l1.closure),
                    tolerance=f"{l1.tolerance:.0%}",
                    difference=_pct(lc.difference),
                ),
            ),
            tables=(
                Table(
                    "groups", t("groups.title"), unit_headers, unit_rows(dict(a.balance.groups)), unit_formats
                ),
                Table(
                    "units", t("units.title"), unit_headers, unit_rows(dict(a.balance.units)), unit_formats
                ),
                Table(
                    "flows",
                    t("flows.title"),
                    (
                        t("col.flow"),
                        t("col.from"),
                        t("col.to"),
                        t("col.category"),
                        t("col.volume"),
                        "σ m³",
                        t("col.status"),
                    ),
                    tuple(flow_rows),
                    ("", "", "", "", ",.0f", ",.0f", ""),
                ),
            ),
        )
    )

    # 5 diagram ----------------------------------------------------------------------------------
    sections.append(Section("diagram", t("s5"), paragraphs=(t("diagram.text"),), diagram=True))

    # 6 indicators -------------------------------------------------------------------------------
    ind_rows: list[tuple[Cell, ...]] = []

    def row(key: str, i: Indicator, suffix: str = "") -> None:
        ind_rows.append(
            (
                indicator_label(key, lang) + suffix,
                _num(i.value),
                i.unit,
                prov(i.provenance),
                i.formula,
                i.reference,
            )
        )

    for k, i in a.indicators.quantities.items():
        row(k, i)
    for k, i in a.indicators.rates.items():
        row(k, i)
    for pid, i in a.indicators.intake_per_product.items():
        row("intake_per_product", i, f" ({pid})")
    row("intake_per_value_added", a.indicators.intake_per_value_added)
    for tower, i in a.indicators.cycles_of_concentration.items():
        row("cycles_of_concentration", i, f" ({names.get(tower, tower)})")
    sections.append(
        Section(
            "indicators",
            t("s6"),
            tables=(
                Table(
                    "indicators",
                    t("indicators.title"),
                    (
                        t("col.indicator"),
                        t("col.value"),
                        t("col.unit_of"),
                        t("col.status"),
                        t("col.formula"),
                        t("col.reference"),
                    ),
                    tuple(ind_rows),
                    ("", ",.4g", "", "", "", ""),
                ),
            ),
        )
    )

    # 7 benchmarks and tiers ------------------------------------------------------------------------
    bench_rows = []
    for b in a.benchmarks:
        levels = {q.level: q.value for q in b.quotas}
        quota = "/".join(f"{levels[k]:g}" if k in levels else "—" for k in ("general", "advanced", "leading"))
        bench_rows.append(
            (
                f"{b.product} ({b.variant})" if b.variant else b.product,  # the quota's plant configuration
                t("national") if b.region == "national" else b.region,
                _num(b.value),
                t(f"grade.{b.grade.value}"),
                quota,
                _num(b.baseline_2020),
                _num(b.expected_2025),
                _num(b.ratio_to_baseline),
            )
        )
    tier_rows = []
    for tier, ta in a.tiers.items():
        verdict = {True: t("yes"), False: t("no"), None: t("unknown")}[ta.eligible]
        tier_rows.append((t(f"tier.{tier}"), verdict, "", ""))
        for c in ta.criteria:
            status = {Status.MET: t("yes"), Status.NOT_MET: t("no"), Status.UNKNOWN: t("unknown")}[c.status]
            tier_rows.append(("", status, c.description, c.reason))
    sections.append(
        Section(
            "benchmarks",
            t("s7"),
            tables=(
                Table(
                    "benchmarks",
                    t("bench.title"),
                    (
                        t("col.product"),
                        t("col.table"),
                        t("col.value"),
                        t("col.grade"),
                        t("col.quota"),
                        t("col.avg2020"),
                        t("col.exp2025"),
                        t("col.ratio"),
                    ),
                    tuple(bench_rows),
                    ("", "", ".4g", "", "", ".4g", ".4g", ".3f"),
                ),
                Table(
                    "tiers",
                    t("tiers.title"),
                    (t("col.tier"), t("col.eligible"), t("col.criterion"), t("col.reason")),
                    tuple(tier_rows),
                    ("", "", "", ""),
                ),
            ),
        )
    )

    # 8 reconciliation ----------------------------------------------------------------------------
    r = a.reconciliation
    if r is None:
        reason = next((n.text(lang) for n in a.notes if n.code == "reconciliation"), "")
        rec = Section("reconciliation", t("s8"), paragraphs=(t("reconcile.none", reason=reason),))
    else:
        g = r.initial_test
        verdict = (
            t("reconcile.pass")
            if g.passed
            else t("reconcile.fail", suspects="; ".join("/".join(s) for s in r.suspects) or "—")
        )
        rec_rows = [
            (
                x.measurement.meter or x.measurement.flow,
                _num(x.measurement.value),
                _num(x.reconciled),
                _num(x.adjustment),
                _num(x.statistic),
            )
            for x in r.measurements
            if x.redundant
        ]
        rec = Section(
            "reconciliation",
            t("s8"),
            paragraphs=(
                t(
                    "reconcile.text",
                    gamma=f"{g.statistic:.2f}",
                    critical=f"{g.critical:.2f}",
                    dof=g.dof,
                    verdict=verdict,
                ),
            ),
            tables=(
                Table(
                    "reconciliation",
                    t("s8"),
                    (
                        t("col.meter"),
                        t("col.measured"),
                        t("col.reconciled"),
                        t("col.adjust"),
                        t("col.statistic"),
                    ),
                    tuple(rec_rows),
                    ("", ",.0f", ",.0f", ",.1f", ".2f"),
                ),
            ),
        )
    sections.append(rec)

    # 9 findings ---------------------------------------------------------------------------------
    find_rows = tuple((t(f.kind), f.subject or "", f.text(lang), _num(f.potential)) for f in a.findings)
    potentials = [
        f.potential for f in a.findings if f.potential is not None and f.code in ("quota", "target_2025")
    ]
    paragraphs: list[str] = []
    if not a.findings:
        paragraphs.append(t("findings.none"))
    if potentials:
        total = max(potentials)
        if tariff is not None:
            paragraphs.append(
                t(
                    "potential.text",
                    total=f"{total:,.0f}",
                    tariff=f"{tariff.value:g}",
                    money=f"{total * tariff.value:,.0f}",
                )
            )
        else:
            paragraphs.append(t("potential.m3", total=f"{total:,.0f}"))
    sections.append(
        Section(
            "findings",
            t("s9"),
            paragraphs=tuple(paragraphs),
            tables=(
                Table(
                    "findings",
                    t("s9"),
                    (t("col.kind"), t("col.subject"), t("col.finding"), t("col.potential")),
                    find_rows,
                    ("", "", "", ",.0f"),
                ),
            ),
        )
    )
    sankey = a.sankey()
    labels = {n.id: (n.name_en if lang == "en" else n.name) for n in sankey.nodes}
    return BalanceReport(
        language=lang,
        title=t("title"),
        subtitle=t("subtitle"),
        enterprise=name,
        period=f"{first.isoformat()} – {last.isoformat()}",
        date=date or dt.date.today(),
        sections=tuple(sections),
        sankey=sankey,
        node_labels=labels,
    )
