"""Monthly water-use plans (计划用水) in the store: set, revise with history, list, get, bad input.

The plan is issued by the water authority per planned-water-use unit and month (seed 003,
计划用水管理: 核定、编制调整、下达检查); revisions (计划调整) must keep the earlier versions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.model import Enterprise, Meter, MeterKind, Park, Region, SourceType
from shuixiao.notify import AlarmChecker
from shuixiao.storage import Store
from shuixiao.storage.plans import PlanInput, PlanStore, parse_month, plan_progress

pytestmark = pytest.mark.integration

T = dt.datetime(2025, 3, 1, 8, tzinfo=dt.UTC)


@pytest.fixture
def plans(
    store: Store, regions: list[Region], parks: list[Park], make_enterprise: Callable[..., Enterprise]
) -> PlanStore:
    store.save_model(regions, parks, [make_enterprise(), make_enterprise("xg-steel-2")])
    clock = iter(T + dt.timedelta(hours=h) for h in range(100))
    return PlanStore(store, clock=lambda: next(clock))


def test_set_get_and_list(plans: PlanStore) -> None:
    stored = plans.set_plans(
        [
            PlanInput("xg-steel", "2025-03", 31_000, authority="湘潭市水利局", document="潭水资〔2025〕3号"),
            PlanInput("xg-steel", "2025-03", 9_000, SourceType.MUNICIPAL),
            PlanInput("xg-steel", "2025-04", 30_000),
            PlanInput("xg-steel-2", "2025-03", 5_000),
        ],
        by="wang",
    )
    assert [(p.scope, p.revision, p.set_by, p.set_at) for p in stored[:2]] == [
        ("total", 1, "wang", T),
        ("municipal", 1, "wang", T),
    ]
    march = plans.get_plan("xg-steel", "2025-03")
    assert (march.volume, march.authority, march.document, march.month) == (
        31_000.0,
        "湘潭市水利局",
        "潭水资〔2025〕3号",
        dt.date(2025, 3, 1),
    )
    assert plans.get_plan("xg-steel", dt.date(2025, 3, 1), "municipal").volume == 9_000.0
    listed = plans.list_plans("xg-steel")
    assert [(f"{p.month:%Y-%m}", p.scope) for p in listed] == [
        ("2025-03", "total"),
        ("2025-03", "municipal"),
        ("2025-04", "total"),
    ]
    assert [p.volume for p in plans.list_plans("xg-steel", start="2025-04", end="2025-12")] == [30_000.0]
    assert [p.enterprise for p in plans.list_plans("xg-steel-2")] == ["xg-steel-2"]


def test_a_revision_keeps_the_history_and_an_identical_plan_adds_none(plans: PlanStore) -> None:
    plans.set_plans([PlanInput("xg-steel", "2025-03", 31_000, document="潭水资〔2025〕3号")], by="wang")
    plans.set_plans([PlanInput("xg-steel", "2025-03", 31_000, document="潭水资〔2025〕3号")], by="wang")
    revised = plans.set_plans([PlanInput("xg-steel", "2025-03", 28_500, note="检修停产，调减")], by="li")[0]
    assert (revised.revision, revised.set_by, revised.document) == (2, "li", None)
    history = plans.history("xg-steel", "2025-03")
    assert [(p.revision, p.volume, p.set_by, p.note) for p in history] == [
        (1, 31_000.0, "wang", None),
        (2, 28_500.0, "li", "检修停产，调减"),
    ]
    assert history[0].set_at < history[1].set_at
    assert plans.get_plan("xg-steel", "2025-03").volume == 28_500.0
    assert plans.history("xg-steel", "2025-04") == []


def test_plans_go_with_their_enterprise(plans: PlanStore, store: Store) -> None:
    plans.set_plans([PlanInput("xg-steel", "2025-03", 31_000)], by="wang")
    store.delete_enterprise("xg-steel")
    with pytest.raises(NotFoundError, match="no enterprise 'xg-steel'"):
        plans.list_plans("xg-steel")


def test_all_or_nothing(plans: PlanStore) -> None:
    with pytest.raises(NotFoundError, match="no enterprise 'nope'"):
        plans.set_plans(
            [PlanInput("xg-steel", "2025-03", 31_000), PlanInput("nope", "2025-03", 1)], by="wang"
        )
    with pytest.raises(InvalidInputError, match="plans 1 and 2 are both for xg-steel 2025-03"):
        plans.set_plans([PlanInput("xg-steel", "2025-03", 1), PlanInput("xg-steel", "2025-03", 2)], by="wang")
    assert plans.list_plans("xg-steel") == []


def test_missing_plans_and_actors(plans: PlanStore) -> None:
    with pytest.raises(NotFoundError, match="xg-steel has no water-use plan for 2025-03; set one"):
        plans.get_plan("xg-steel", "2025-03")
    with pytest.raises(NotFoundError, match="no groundwater water-use plan"):
        plans.get_plan("xg-steel", "2025-03", "groundwater")
    with pytest.raises(InvalidInputError, match="say who sets the plans"):
        plans.set_plans([PlanInput("xg-steel", "2025-03", 1)], by=" ")


@pytest.mark.unit
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"volume": 0}, "finite number of m³ > 0, not 0"),
        ({"volume": float("nan")}, "finite number of m³ > 0"),
        ({"volume": float("inf")}, "finite number of m³ > 0"),
        ({"volume": "31000"}, "finite number of m³ > 0, not '31000'"),
        ({"volume": True}, "finite number of m³ > 0, not True"),
        ({"month": "2025-13"}, "'2025-13' is not a month"),
        ({"month": "March"}, "'March' is not a month"),
        ({"month": dt.date(2025, 3, 5)}, "2025-03-05 is not the first of a month"),
        ({"month": dt.datetime(2025, 3, 1, 8)}, "has a time of day"),
        ({"source_type": "river"}, "source type 'river' is unknown; use one of surface, groundwater"),
        ({"enterprise": " "}, "a plan needs an enterprise id"),
        ({"authority": 12}, "authority must be text"),
    ],
)
def test_bad_plans_are_refused(fields: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"enterprise": "xg-steel", "month": "2025-03", "volume": 31_000.0, **fields}
    with pytest.raises(InvalidInputError, match=message):
        PlanInput(**values)  # type: ignore[arg-type]


@pytest.mark.unit
@pytest.mark.parametrize(
    "text", ["2025-03", "2025-3", "2025/03", "2025年3月", "2025-03-01", dt.datetime(2025, 3, 1)]
)
def test_months_are_read_in_the_usual_spellings(text: object) -> None:
    assert parse_month(text) == dt.date(2025, 3, 1)


@pytest.mark.unit
def test_whole_intake_spellings() -> None:
    assert PlanInput("e", "2025-03", 1, "").source_type is None
    assert PlanInput("e", "2025-03", 1, "total").source_type is None
    assert PlanInput("e", "2025-03", 1, " groundwater ").source_type is SourceType.GROUNDWATER


def _daily_aggregates(store: Store, shares: dict[str, float], days: range, volume: float) -> None:
    """Daily (P1D) aggregates of intake meters in March 2025: ``volume`` m³ a day in all, split by ``shares``."""
    zone = ZoneInfo("Asia/Shanghai")
    keys = store.meter_keys("xg-steel")
    starts = np.array([int(dt.datetime(2025, 3, d, tzinfo=zone).timestamp()) for d in days], dtype=np.int64)
    n = len(starts)
    for meter, share in shares.items():
        value = share * volume / 24.0 if meter == "FT-103" else share * volume  # FT-103 reports m³/h
        v = np.full(n, value)
        store.write_aggregates(
            keys[meter], "P1D", starts, v, v, v, np.full(n, 96), np.zeros(n, dtype=np.int8)
        )


def test_plan_progress_is_what_the_alarm_check_judges(
    store: Store, regions: list[Region], parks: list[Park], make_enterprise: Callable[..., Enterprise]
) -> None:
    # Worked example of docs/water-plans.md (issue 3 item 8): 31 000 m³ for March, 800 m³ a day for
    # 10 days → 8 000 m³ against 31 000 × 10/31 = 10 000 m³ pro rata: 80 %.
    base = make_enterprise()
    soft = Meter("FT-104", MeterKind.TOTALIZER, "volume", "m³", 1, flow="f-river-soft")
    model = dataclasses.replace(base, meters=(*base.meters, soft), production=())
    store.save_model(regions, parks, [model])
    shares = {"FT-101": 0.625, "FT-104": 0.125, "FT-102": 0.125, "FT-103": 0.125}
    _daily_aggregates(store, shares, range(1, 11), 800.0)
    _daily_aggregates(store, {"FT-101": 0.625}, range(11, 12), 800.0)  # day 11: only one intake meter
    plans = PlanStore(store)
    stored = plans.set_plans(
        [
            PlanInput("xg-steel", "2025-03", 31_000),
            PlanInput("xg-steel", "2025-03", 3_100, SourceType.MUNICIPAL),
            PlanInput("xg-steel", "2025-04", 30_000),
        ],
        by="wang",
    )
    zone = ZoneInfo("Asia/Shanghai")
    until = dt.datetime(2025, 3, 12, 0, 10, tzinfo=zone)  # days 1–11 complete
    total, municipal, april = plan_progress(store, model, stored, until, zone)
    assert (total.intake, total.measured_days, total.elapsed_days) == (pytest.approx(8_000.0), 10, 11)
    assert total.ratio == pytest.approx(0.8) and total.at == dt.datetime(2025, 3, 12, tzinfo=zone)
    assert (municipal.intake, municipal.ratio) == (pytest.approx(1_000.0), pytest.approx(1.0))
    assert (april.measured_days, april.elapsed_days, april.intake) == (0, 0, 0.0)
    assert math.isnan(april.ratio)

    report = AlarmChecker(store, clock=lambda: until).check("xg-steel", since=until - dt.timedelta(days=1))
    judged = {a.key: a.detail for a in report.raised if a.kind == "water_plan"}
    assert judged["total/2025-03/warning"]["intake_m3"] == pytest.approx(total.intake)
    assert judged["municipal/2025-03/critical"]["ratio"] == pytest.approx(municipal.ratio)
    assert plan_progress(store, model, [], until, zone) == []
    with pytest.raises(InvalidInputError, match="aware"):
        plan_progress(store, model, stored, until.replace(tzinfo=None), zone)
