"""The enterprise dashboard: period, metered trends and the unit tree (the assessment, alarms,
planned-water-use and notarisation panels are added by :mod:`._assess`, :mod:`._alarms`,
:mod:`._plans` and :mod:`._ledger`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from shuixiao.model import Enterprise, industry_name
from shuixiao.service.web._config import Defaults
from shuixiao.service.web._format import format_time, local_midnight, local_month_start, next_month
from shuixiao.service.web._i18n import Translator
from shuixiao.service.web._tree import UnitNode, latest_readings, unit_tree
from shuixiao.service.web._trends import TREND_SERIES, Trend, read_trend
from shuixiao.storage import Store

__all__ = ["Back", "EnterpriseView", "Kpi", "Month", "enterprise_view", "pick_month"]


@dataclass(frozen=True)
class Month:
    """A local calendar month and the whole days of it that have data.

    Parameters
    ----------
    start, end : datetime.datetime
        First instant of the month and of the next one (aware, in the instance's zone).
    since, until : datetime.datetime
        The local midnights bounding the month's days with data: the first reading's
        day at the earliest, the midnight after the last reading at the latest.
    """

    start: dt.datetime
    end: dt.datetime
    since: dt.datetime
    until: dt.datetime

    @property
    def key(self) -> str:
        """``YYYY-MM``."""
        return self.start.strftime("%Y-%m")

    @property
    def partial(self) -> bool:
        """True when the data cover only part of the month."""
        return self.since > self.start or self.until < self.end


def pick_month(
    wanted: str | None, span: tuple[dt.datetime, dt.datetime] | None, zone: ZoneInfo
) -> tuple[Month | None, list[str]]:
    """Return the month to show and every month with data, newest first.

    The month is ``wanted`` (``YYYY-MM``) when it has data, else the month of
    the last reading; (None, []) when there is no reading.  A reading at
    exactly local midnight closes the day before (a totalizer's last register
    reading), so it opens no month of its own.

    Examples
    --------
    >>> z = ZoneInfo("Asia/Shanghai")
    >>> span = (dt.datetime(2025, 3, 9, 16, tzinfo=dt.UTC), dt.datetime(2025, 4, 18, 16, tzinfo=dt.UTC))
    >>> month, months = pick_month(None, span, z)
    >>> month.key, months, month.until.date(), month.partial
    ('2025-04', ['2025-04', '2025-03'], datetime.date(2025, 4, 19), True)
    >>> pick_month("2025-03", span, z)[0].since.date(), pick_month("1999-01", span, z)[0].key
    (datetime.date(2025, 3, 10), '2025-04')
    """
    if span is None:
        return None, []
    since = local_midnight(span[0], zone)
    until = local_midnight(span[1], zone, up=True)
    first = local_month_start(since, zone)
    last = local_month_start(until - dt.timedelta(seconds=1), zone)
    months: list[Month] = []
    cursor = first
    while cursor <= last:
        following = next_month(cursor)
        months.append(Month(cursor, following, max(cursor, since), min(following, until)))
        cursor = following
    months.reverse()
    chosen = next((m for m in months if m.key == wanted), months[0])
    return chosen, [m.key for m in months]


@dataclass(frozen=True)
class Kpi:
    """A key indicator card.

    Parameters
    ----------
    key : str
        Stable name (``intake``, ``reuse_rate``, ...), used by tests and styles.
    label, value, unit : str
        What is shown; ``value`` is formatted.
    reference : str or None
        The quota, target or benchmark it is compared with.
    status : str
        ``ok``, ``warn``, ``bad`` or ``none`` (nothing to compare with).
    note : str or None
        Provenance or a short explanation.
    """

    key: str
    label: str
    value: str
    unit: str
    reference: str | None = None
    status: str = "none"
    note: str | None = None


@dataclass(frozen=True)
class Back:
    """A link back to the dashboard the user came from (park, region or list)."""

    label: str
    href: str


@dataclass
class EnterpriseView:
    """Everything the enterprise dashboard shows.

    Parameters
    ----------
    id, name, industry, park, region : str
        The enterprise, its GB/T 4754 industry, its park (empty when none) and region, in the page language.
    month : Month or None
        The period of the KPIs and the balance; None without data.
    months : list of str
        Months with data (``YYYY-MM``), newest first.
    last_reading : str
        Local time of the last reading.
    trend : Trend
    inside, boundary : list of UnitNode
        The unit tree.
    kpis : list of Kpi
    assessment_note : str or None
        Why KPIs or the balance are missing or partial.
    sankey : dict or None
        The JSON of the balance chart.
    sankey_note, sankey_empty : str or None
    findings : list of str
        Problems found and recommendations of the assessment, in the page language.
    alarms : list or None
        Alarm rows; None when the alarm module is missing.
    plans : PlanPanel or None
        The planned-water-use panel (:mod:`._plans`).
    notarisation : object or None
        Ledger status; None when the ledger module is missing.
    back : Back or None
    """

    id: str
    name: str
    industry: str
    park: str
    region: str
    month: Month | None
    months: list[str]
    last_reading: str
    trend: Trend
    inside: list[UnitNode]
    boundary: list[UnitNode]
    kpis: list[Kpi] = field(default_factory=list)
    assessment_note: str | None = None
    sankey: dict[str, Any] | None = None
    sankey_note: str | None = None
    sankey_empty: str | None = None
    findings: list[str] = field(default_factory=list)
    alarms: list[Any] | None = None
    plans: Any | None = None
    notarisation: Any | None = None
    back: Back | None = None

    @property
    def has_data(self) -> bool:
        """True when the enterprise has readings."""
        return self.month is not None

    @property
    def month_key(self) -> str:
        """The shown month as ``YYYY-MM`` (en dash without data)."""
        return self.month.key if self.month else "–"

    @property
    def charts(self) -> dict[str, Any]:
        """The JSON data block of the page's charts."""
        return {"trend": self.trend_json, **({"sankey": self.sankey} if self.sankey else {})}

    @property
    def trend_json(self) -> dict[str, Any]:
        """The trend chart's data with its series order."""
        return {
            **self.trend.to_json(),
            "order": list(TREND_SERIES),
            "labels": self.trend_labels,
            "axes": self.trend_axes,
        }

    trend_labels: dict[str, str] = field(default_factory=dict)
    trend_axes: dict[str, str] = field(default_factory=dict)


def enterprise_view(
    store: Store,
    enterprise: Enterprise,
    wanted_month: str | None,
    t: Translator,
    zone: ZoneInfo,
    limits: Defaults,
    meter_href: Callable[[str], str],
) -> EnterpriseView:
    """Assemble the metered part of the enterprise dashboard (period, trend, unit tree).

    Parameters
    ----------
    store : Store
    enterprise : Enterprise
    wanted_month : str or None
        ``YYYY-MM`` from the query string.
    t : Translator
    zone : zoneinfo.ZoneInfo
        The instance's time zone.
    limits : Defaults
    meter_href : callable
        Link of a meter page from its id.
    """
    span = store.reading_span(enterprise.id)
    month, months = pick_month(wanted_month, span, zone)
    last = span[1] if span else None
    trend = read_trend(store, enterprise, month.end, limits.trend_months, zone) if month else Trend()
    latest = latest_readings(store, enterprise, last, dt.timedelta(hours=limits.latest_lookback))
    inside, boundary = unit_tree(
        enterprise, latest, last, dt.timedelta(hours=limits.stale_after), t.language, zone, meter_href
    )
    regions = {r.id: r for r in store.list_regions()}
    parks = {p.id: p for p in store.list_parks()}
    park = parks.get(enterprise.park) if enterprise.park else None
    region = regions.get(enterprise.region)
    industry = industry_name(enterprise.industry_code, t.language) or ""
    return EnterpriseView(
        id=enterprise.id,
        name=t.pick(enterprise.name, enterprise.name_en),
        industry=f"{enterprise.industry_code} {industry}".strip(),
        park=t.pick(park.name, park.name_en) if park else "",
        region=t.pick(region.name, region.name_en) if region else enterprise.region,
        month=month,
        months=months,
        last_reading=format_time(last, zone),
        trend=trend,
        inside=inside,
        boundary=boundary,
        trend_labels={name: t(f"trend.{name}") for name in TREND_SERIES},
        trend_axes={"left": t("trend.axis_left"), "right": t("trend.axis_right")},
    )
