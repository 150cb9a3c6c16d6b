"""Planned water use (计划用水): the monthly intake plans of enterprises, with every revision kept.

The water authority issues each planned-water-use unit a plan: how much water it may take in a
month (seed 003, 计划用水管理: 核定、编制调整、下达检查、监督考核).  A plan here is

* per enterprise and local calendar month, for the whole intake (``source_type`` None) or for
  one kind of source (:class:`~shuixiao.model.SourceType`: ``groundwater``, ``municipal`` …),
  since authorities often plan groundwater or tap water separately; a total plan and plans per
  source may stand side by side, each checked on its own;
* a volume in m³ (the canonical volume unit, :mod:`shuixiao.units`);
* with the issuing authority (下达单位) and its document number (文号) when the authority issued
  it, who entered it and when, and a note.

Tables (revision 0006, ``migrations/versions/0006_water_plans.py``):

* ``water_plans`` — the plan in force, one row per (enterprise, month, source type; ``''`` for
  the whole intake), with its revision number;
* ``water_plan_history`` — every version ever set, the first included (revision 1, 2, …): a
  revised plan (计划调整) never overwrites the audit trail.

Both belong to the enterprise and go with it on delete, as its alarm-rule overrides do.
:class:`PlanStore` is the interface; each method runs in one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa

from shuixiao.alarms import PlanProgress
from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.model import Enterprise, Flow, MeterKind, SourceType, UnitKind
from shuixiao.storage import schema as t
from shuixiao.storage.schema import UTCTimestamp, metadata
from shuixiao.storage.store import Store

__all__ = [
    "PlanInput",
    "PlanStore",
    "WaterPlan",
    "daily_intake",
    "intake_flows",
    "parse_month",
    "parse_source_type",
    "plan_progress",
    "water_plan_history",
    "water_plans",
]

_DOUBLE: sa.Double[float] = sa.Double()

water_plans = sa.Table(
    "water_plans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "enterprise_key", sa.Integer, sa.ForeignKey("enterprises.key", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("month", sa.Date, nullable=False, comment="first day of the local calendar month"),
    sa.Column(
        "source_type", sa.String, nullable=False, comment="SourceType value, or '' for the whole intake"
    ),
    sa.Column("volume", _DOUBLE, nullable=False, comment="planned intake of the month [m³]"),
    sa.Column("authority", sa.String, nullable=True, comment="issuing water authority (下达单位)"),
    sa.Column("document", sa.String, nullable=True, comment="document number of the plan (文号)"),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("revision", sa.Integer, nullable=False, comment="1 when first set, +1 per revision"),
    sa.Column("set_at", UTCTimestamp(), nullable=False),
    sa.Column("set_by", sa.String, nullable=False, comment="login of who entered it"),
    sa.UniqueConstraint("enterprise_key", "month", "source_type"),
    sqlite_autoincrement=True,
)

water_plan_history = sa.Table(
    "water_plan_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "enterprise_key", sa.Integer, sa.ForeignKey("enterprises.key", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("month", sa.Date, nullable=False, comment="first day of the local calendar month"),
    sa.Column(
        "source_type", sa.String, nullable=False, comment="SourceType value, or '' for the whole intake"
    ),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("volume", _DOUBLE, nullable=False, comment="[m³]"),
    sa.Column("authority", sa.String, nullable=True),
    sa.Column("document", sa.String, nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("set_at", UTCTimestamp(), nullable=False),
    sa.Column("set_by", sa.String, nullable=False),
    sa.UniqueConstraint("enterprise_key", "month", "source_type", "revision"),
    sqlite_autoincrement=True,
)


def parse_month(value: object) -> dt.date:
    """Return the first day of the month named by ``value``.

    Accepts ``YYYY-MM``, ``YYYY-MM-01``, ``YYYY/MM``, ``YYYY年M月``, a :class:`datetime.date`
    on the first of a month, or a datetime at midnight on the first (as spreadsheets store months).

    Raises
    ------
    InvalidInputError
        If ``value`` names no month, or a day other than the first.

    Examples
    --------
    >>> parse_month("2025-03"), parse_month("2025年3月"), parse_month(dt.date(2025, 3, 1))
    (datetime.date(2025, 3, 1), datetime.date(2025, 3, 1), datetime.date(2025, 3, 1))
    """
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            raise InvalidInputError(f"month {value.isoformat()} has a time of day; give the month as YYYY-MM")
        value = value.date()
    if isinstance(value, dt.date):
        if value.day != 1:
            raise InvalidInputError(f"month {value.isoformat()} is not the first of a month; give YYYY-MM")
        return value
    text = str(value).strip().replace("/", "-").replace("年", "-").removesuffix("月")
    parts = text.split("-")
    if len(parts) == 3 and parts[2] in ("1", "01"):
        parts = parts[:2]
    try:
        if len(parts) != 2 or len(parts[0]) != 4:
            raise ValueError(text)
        return dt.date(int(parts[0]), int(parts[1]), 1)
    except ValueError:
        raise InvalidInputError(f"{value!r} is not a month; write it as YYYY-MM, e.g. 2025-03") from None


def parse_source_type(value: object) -> SourceType | None:
    """Return the source type named by ``value``; None (the whole intake) for None, ``''`` or ``total``.

    Raises
    ------
    InvalidInputError
        If ``value`` names no :class:`~shuixiao.model.SourceType`; the message lists them.

    Examples
    --------
    >>> parse_source_type("groundwater"), parse_source_type("total")
    (<SourceType.GROUNDWATER: 'groundwater'>, None)
    """
    if value is None or (isinstance(value, str) and value.strip() in ("", "total", "all", "全部")):
        return None
    try:
        return SourceType(str(value).strip())
    except ValueError:
        names = ", ".join(s.value for s in SourceType)
        raise InvalidInputError(
            f"source type {value!r} is unknown; use one of {names}, or leave it empty for the whole intake"
        ) from None


def _text(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInputError(f"{name} must be text, not {value!r}")
    return value.strip() or None


@dataclasses.dataclass(frozen=True)
class PlanInput:
    """A monthly plan to set, validated when made.

    Parameters
    ----------
    enterprise : str
        Enterprise id.
    month : datetime.date or str
        The month (``YYYY-MM``; see :func:`parse_month`); kept as its first day.
    volume : float
        Planned intake of the month. [m³]
    source_type : SourceType or str, optional
        The kind of source the plan covers; None (or ``''``) for the whole intake.
    authority : str, optional
        Issuing water authority (下达单位), e.g. ``岳阳市水利局``.
    document : str, optional
        Document number of the plan (文号), e.g. ``岳水资〔2025〕12号``.
    note : str, optional

    Raises
    ------
    InvalidInputError
        For an empty enterprise id, a value that is no month, a volume that is not a finite
        number > 0, or an unknown source type; the message says which.

    Examples
    --------
    >>> PlanInput("xg-steel", "2025-03", 31000).month
    datetime.date(2025, 3, 1)
    >>> PlanInput("xg-steel", "2025-03", -5)
    Traceback (most recent call last):
    ...
    shuixiao.errors.InvalidInputError: planned volume must be a finite number of m³ > 0, not -5
    """

    enterprise: str
    month: dt.date
    volume: float
    source_type: SourceType | None = None
    authority: str | None = None
    document: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.enterprise, str) or not self.enterprise.strip():
            raise InvalidInputError(f"a plan needs an enterprise id, not {self.enterprise!r}")
        object.__setattr__(self, "enterprise", self.enterprise.strip())
        object.__setattr__(self, "month", parse_month(self.month))
        volume: object = self.volume
        if (
            isinstance(volume, bool)
            or not isinstance(volume, int | float)
            or not math.isfinite(volume)
            or volume <= 0
        ):
            raise InvalidInputError(f"planned volume must be a finite number of m³ > 0, not {volume!r}")
        object.__setattr__(self, "volume", float(volume))
        object.__setattr__(self, "source_type", parse_source_type(self.source_type))
        for name in ("authority", "document", "note"):
            object.__setattr__(self, name, _text(getattr(self, name), name))


@dataclasses.dataclass(frozen=True)
class WaterPlan:
    """A monthly plan as stored (the one in force, or one version of its history).

    Parameters
    ----------
    enterprise : str
    month : datetime.date
        First day of the local calendar month.
    source_type : SourceType or None
        None: the whole intake.
    volume : float
        Planned intake of the month. [m³]
    authority, document, note : str or None
    revision : int
        1 when first set, one more for each revision.
    set_at : datetime.datetime
        When this version was entered (UTC).
    set_by : str
        Who entered it.
    """

    enterprise: str
    month: dt.date
    source_type: SourceType | None
    volume: float
    authority: str | None
    document: str | None
    note: str | None
    revision: int
    set_at: dt.datetime
    set_by: str

    @property
    def scope(self) -> str:
        """``total`` for the whole intake, else the source type."""
        return self.source_type.value if self.source_type is not None else "total"


def _plan(enterprise: str, row: Mapping[Any, Any]) -> WaterPlan:
    return WaterPlan(
        enterprise,
        row["month"],
        SourceType(row["source_type"]) if row["source_type"] else None,
        float(row["volume"]),
        row["authority"],
        row["document"],
        row["note"],
        int(row["revision"]),
        row["set_at"],
        row["set_by"],
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _enterprise_keys(connection: sa.Connection, enterprises: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(enterprises))
    rows = connection.execute(
        sa.select(t.enterprises.c.id, t.enterprises.c.key).where(t.enterprises.c.id.in_(wanted))
    ).all()
    keys = {str(i): int(k) for i, k in rows}
    missing = [e for e in wanted if e not in keys]
    if missing:
        raise NotFoundError(f"no enterprise {', '.join(map(repr, missing))}; see `shuixiao model show`")
    return keys


class PlanStore:
    """Monthly water-use plans and their revisions.

    Parameters
    ----------
    store : Store
        A migrated store.
    clock : callable, optional
        Returns the current time (aware); for tests.

    Examples
    --------
    >>> import tempfile
    >>> from shuixiao.demo import DemoConfig, build_park
    >>> park = build_park(DemoConfig(enterprises=1, days=1))
    >>> with tempfile.TemporaryDirectory() as tmp, Store.open(f"sqlite:///{tmp}/db.sqlite") as store:
    ...     store.upgrade()
    ...     store.save_model(park.regions, (park.park,), park.enterprises)
    ...     plans = PlanStore(store)
    ...     e = "ronghu-steel"
    ...     _ = plans.set_plans([PlanInput(e, "2025-03", 31000, document="岳水资〔2025〕12号")], by="wang")
    ...     _ = plans.set_plans([PlanInput(e, "2025-03", 29000, note="调减")], by="li")
    ...     now = plans.get_plan(e, "2025-03")
    ...     print(now.volume, now.revision, [p.volume for p in plans.history(e, "2025-03")])
    29000.0 2 [31000.0, 29000.0]
    """

    def __init__(self, store: Store, *, clock: Callable[[], dt.datetime] | None = None) -> None:
        self._store = store
        self._clock = clock or _now

    def set_plans(self, plans: Sequence[PlanInput], *, by: str) -> list[WaterPlan]:
        """Set (or revise) plans, all in one transaction: either every plan is stored or none.

        A plan equal to the one in force (volume, authority, document and note) is left as it
        is, so importing the same file again adds no revision.

        Parameters
        ----------
        plans : sequence of PlanInput
        by : str
            Who sets them (a login).

        Returns
        -------
        list of WaterPlan
            The plans in force afterwards, in the order given.

        Raises
        ------
        NotFoundError
            If an enterprise does not exist (nothing is stored).
        InvalidInputError
            If ``by`` is empty, or the same (enterprise, month, source type) appears twice.
        """
        if not isinstance(by, str) or not by.strip():
            raise InvalidInputError("say who sets the plans (a login)")
        seen: dict[tuple[str, dt.date, SourceType | None], int] = {}
        for n, p in enumerate(plans, start=1):
            where = (p.enterprise, p.month, p.source_type)
            if where in seen:
                raise InvalidInputError(
                    f"plans {seen[where]} and {n} are both for {p.enterprise} {p.month:%Y-%m} "
                    f"({p.source_type or 'total'}); give each month and source once"
                )
            seen[where] = n
        at = self._clock().astimezone(dt.UTC).replace(microsecond=0)
        result = []
        with self._store.transaction(f"setting {len(plans)} water-use plans", write=True) as c:
            keys = _enterprise_keys(c, (p.enterprise for p in plans))
            for p in plans:
                result.append(self._set(c, keys[p.enterprise], p, at, by.strip()))
        return result

    @staticmethod
    def _set(connection: sa.Connection, key: int, plan: PlanInput, at: dt.datetime, by: str) -> WaterPlan:
        source = plan.source_type.value if plan.source_type else ""
        where = (
            water_plans.c.enterprise_key == key,
            water_plans.c.month == plan.month,
            water_plans.c.source_type == source,
        )
        row = connection.execute(sa.select(water_plans).where(*where)).mappings().first()
        values = {
            "volume": plan.volume,
            "authority": plan.authority,
            "document": plan.document,
            "note": plan.note,
        }
        if row is not None and all(row[k] == v for k, v in values.items()):
            return _plan(plan.enterprise, row)
        revision = 1 if row is None else int(row["revision"]) + 1
        stamp = {"revision": revision, "set_at": at, "set_by": by}
        if row is None:
            connection.execute(
                sa.insert(water_plans).values(
                    enterprise_key=key, month=plan.month, source_type=source, **values, **stamp
                )
            )
        else:
            connection.execute(sa.update(water_plans).where(*where).values(**values, **stamp))
        connection.execute(
            sa.insert(water_plan_history).values(
                enterprise_key=key, month=plan.month, source_type=source, **values, **stamp
            )
        )
        return WaterPlan(
            plan.enterprise,
            plan.month,
            plan.source_type,
            plan.volume,
            plan.authority,
            plan.document,
            plan.note,
            revision,
            at,
            by,
        )

    def get_plan(
        self, enterprise: str, month: dt.date | str, source_type: SourceType | str | None = None
    ) -> WaterPlan:
        """The plan in force for ``enterprise`` in ``month`` (the whole intake unless a source type is named).

        Raises
        ------
        NotFoundError
            If the enterprise does not exist or has no such plan.
        """
        first, source = parse_month(month), parse_source_type(source_type)
        plans = [p for p in self.list_plans(enterprise, start=first, end=first) if p.source_type == source]
        if not plans:
            raise NotFoundError(
                f"{enterprise} has no {source.value + ' ' if source else ''}water-use plan for "
                f"{first:%Y-%m}; set one with `shuixiao plan set`"
            )
        return plans[0]

    def list_plans(
        self,
        enterprise: str,
        *,
        start: dt.date | str | None = None,
        end: dt.date | str | None = None,
    ) -> list[WaterPlan]:
        """The plans in force of ``enterprise``, by month then source (whole intake first).

        Parameters
        ----------
        enterprise : str
        start, end : datetime.date or str, optional
            First and last month to include (``YYYY-MM``); all when omitted.

        Raises
        ------
        NotFoundError
            If the enterprise does not exist.
        """
        query = sa.select(water_plans)
        if start is not None:
            query = query.where(water_plans.c.month >= parse_month(start))
        if end is not None:
            query = query.where(water_plans.c.month <= parse_month(end))
        with self._store.transaction(f"reading the water-use plans of {enterprise}") as c:
            key = _enterprise_keys(c, [enterprise])[enterprise]
            rows = c.execute(
                query.where(water_plans.c.enterprise_key == key).order_by(
                    water_plans.c.month, water_plans.c.source_type
                )
            ).mappings()
            return [_plan(enterprise, r) for r in rows]

    def history(
        self, enterprise: str, month: dt.date | str, source_type: SourceType | str | None = None
    ) -> list[WaterPlan]:
        """Every version of one plan, oldest first (empty when it was never set).

        Raises
        ------
        NotFoundError
            If the enterprise does not exist.
        """
        first, source = parse_month(month), parse_source_type(source_type)
        with self._store.transaction(f"reading the plan history of {enterprise}") as c:
            key = _enterprise_keys(c, [enterprise])[enterprise]
            rows = c.execute(
                sa.select(water_plan_history)
                .where(
                    water_plan_history.c.enterprise_key == key,
                    water_plan_history.c.month == first,
                    water_plan_history.c.source_type == (source.value if source else ""),
                )
                .order_by(water_plan_history.c.revision)
            ).mappings()
            return [_plan(enterprise, r) for r in rows]


_FLOW_METERS = (MeterKind.TOTALIZER, MeterKind.RATE)


def intake_flows(model: Enterprise, source_type: SourceType | None = None) -> list[Flow]:
    """The flows leaving the enterprise's source units (of ``source_type`` when given).

    Examples
    --------
    >>> from shuixiao.demo import DemoConfig, build_park
    >>> steel = build_park(DemoConfig(enterprises=1, days=1)).enterprises[0]
    >>> [f.from_unit for f in intake_flows(steel)]
    ['src_river', 'src_city']
    """
    sources = {
        u.id
        for u in model.units
        if u.kind is UnitKind.SOURCE and (source_type is None or u.source_type is source_type)
    }
    return [f for f in model.flows if f.from_unit in sources]


def daily_intake(
    store: Store, model: Enterprise, first: dt.date, stop: dt.date, zone: ZoneInfo
) -> dict[dt.date, dict[str, float]]:
    """Volume of each intake flow on each local day of ``[first, stop)``, where measured.

    Each flow is measured by its first totalizer or rate meter with data that day (daily
    aggregates ``P1D``; a rate meter's mean rate times the hours of the local day).

    Parameters
    ----------
    store : Store
    model : Enterprise
    first, stop : datetime.date
        First local day and the day after the last.
    zone : zoneinfo.ZoneInfo
        The zone of the local calendar.

    Returns
    -------
    dict
        Every day of the range (in order) to ``{flow id: volume}`` of the flows measured that
        day. [m³]
    """
    low = dt.datetime.combine(first, dt.time(), zone)
    high = dt.datetime.combine(stop, dt.time(), zone)
    days: dict[dt.date, dict[str, float]] = {
        first + dt.timedelta(days=n): {} for n in range(max((stop - first).days, 0))
    }
    if not days:
        return days
    for flow in intake_flows(model):
        for meter in (m for m in model.meters if m.flow == flow.id and m.kind in _FLOW_METERS):
            frame = store.read_aggregates(model.id, meter.id, "P1D", low, high)
            starts = np.asarray(frame["start"], dtype="datetime64[s]").astype(np.int64).tolist()
            for day, value, count in zip(
                starts, frame["value"].tolist(), frame["count"].tolist(), strict=True
            ):
                local = dt.datetime.fromtimestamp(day, dt.UTC).astimezone(zone)
                if not count or not math.isfinite(value) or local.date() not in days:
                    continue
                following = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), zone)
                hours = (following - local).total_seconds() / 3600.0
                volume = value if meter.kind is MeterKind.TOTALIZER else value * hours
                days[local.date()].setdefault(flow.id, volume)  # the flow's first meter with data
    return days


def plan_progress(
    store: Store, model: Enterprise, plans: Sequence[WaterPlan], until: dt.datetime, zone: ZoneInfo
) -> list[PlanProgress]:
    """The intake of each plan's month so far against the plan, as the ``water_plan`` rule judges it.

    The intake is that of :func:`intake_flows` (of the plan's source type for a plan per source)
    over the month's complete local days before ``until``; a day counts as measured when every
    such flow has a volume (:func:`daily_intake`).

    Parameters
    ----------
    store : Store
    model : Enterprise
        The enterprise of the plans.
    plans : sequence of WaterPlan
        Plans of ``model`` (e.g. :meth:`PlanStore.list_plans`).
    until : datetime.datetime
        Now, or the end of the data (aware): only the local days ended by then count.
    zone : zoneinfo.ZoneInfo
        The zone of the local calendar.

    Returns
    -------
    list of PlanProgress
        One per plan, in the order given; a month that has not begun has no elapsed day.

    Raises
    ------
    InvalidInputError
        If ``until`` is naive, or a plan is of another enterprise.
    """
    if until.utcoffset() is None:
        raise InvalidInputError("`until` must be an aware datetime")
    for plan in plans:
        if plan.enterprise != model.id:
            raise InvalidInputError(f"the plan of {plan.enterprise} is not one of {model.id}")
    if not plans:
        return []
    cut = until.astimezone(zone).date()  # the day after the last complete local day
    first = min(p.month for p in plans)
    stop = min(cut, max(_following(p.month) for p in plans))
    daily = daily_intake(store, model, first, stop, zone) if stop > first else {}
    result = []
    for plan in plans:
        last = max(min(cut, _following(plan.month)), plan.month)
        flows = intake_flows(model, plan.source_type)
        days = [
            volumes
            for day, volumes in daily.items()
            if plan.month <= day < last and all(f.id in volumes for f in flows)
        ]
        result.append(
            PlanProgress(
                plan.month,
                plan.source_type,
                plan.volume,
                sum(sum(v[f.id] for f in flows) for v in days),
                len(days),
                (last - plan.month).days,
                dt.datetime.combine(last, dt.time(), zone),
            )
        )
    return result


def _following(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)
