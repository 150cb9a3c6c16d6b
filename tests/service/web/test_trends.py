"""Metered intake, reuse and discharge per day and month, from the daily aggregates."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from shuixiao.model import FlowCategory, MeterKind, UnitKind
from shuixiao.service.web._trends import TREND_SERIES, metered_flows, read_trend
from shuixiao.storage import Store

pytestmark = pytest.mark.integration


def test_meters_are_sorted_into_the_glossary_categories(demo_store: Store) -> None:
    steel = demo_store.load_enterprise("ronghu-steel")
    units = {u.id: u for u in steel.units}
    flows = {f.id: f for f in steel.flows}
    series = metered_flows(steel)
    assert set(series) == set(TREND_SERIES)
    for meter_id, _ in series["intake"]:
        assert units[flows[steel.meter(meter_id).flow or ""].from_unit].kind is UnitKind.SOURCE
    for meter_id, _ in series["discharge"]:
        assert flows[steel.meter(meter_id).flow or ""].category is FlowCategory.DISCHARGE
    reuse = {flows[steel.meter(m).flow or ""].category for m, _ in series["reuse"]}
    assert reuse <= {
        FlowCategory.RECIRCULATED,
        FlowCategory.CASCADED,
        FlowCategory.RECLAIMED,
        FlowCategory.CONDENSATE,
    }
    assert FlowCategory.RECIRCULATED in reuse and FlowCategory.CONDENSATE in reuse
    # A meter is counted once at most, and only volume and rate meters count.
    every = [m for ms in series.values() for m, _ in ms]
    assert len(every) == len(set(every))
    assert {kind for ms in series.values() for _, kind in ms} == {MeterKind.TOTALIZER, MeterKind.RATE}


def test_daily_sums_match_the_aggregates(demo_store: Store, zone: ZoneInfo) -> None:
    steel = demo_store.load_enterprise("ronghu-steel")
    end = dt.datetime(2025, 5, 1, tzinfo=zone)
    trend = read_trend(demo_store, steel, end, 12, zone)
    assert trend.months == ["2025-03", "2025-04"]
    assert trend.days[0] == "2025-03-10" and trend.days[-1] == "2025-04-18"
    assert sorted(trend.meters["intake"]) == ["FT-1001", "FT-1002"]
    # Intake of one day is the two level-1 totalizers' daily volumes.
    day = dt.datetime(2025, 4, 2, tzinfo=zone)
    expected = sum(
        float(
            demo_store.read_aggregates("ronghu-steel", m, "P1D", day, day + dt.timedelta(days=1))[
                "value"
            ].iloc[0]
        )
        for m in ("FT-1001", "FT-1002")
    )
    assert trend.daily["intake"][trend.days.index("2025-04-02")] == pytest.approx(expected, abs=0.1)
    # A rate meter's daily mean [m³/h] counts as 24 hours of flow.
    rate = demo_store.read_aggregates("ronghu-steel", "FI-3101", "P1D", day, day + dt.timedelta(days=1))
    totals = [
        demo_store.read_aggregates("ronghu-steel", m, "P1D", day, day + dt.timedelta(days=1))
        for m, kind in metered_flows(steel)["reuse"]
        if kind is MeterKind.TOTALIZER
    ]
    reuse = sum(float(f["value"].iloc[0]) for f in totals if len(f)) + 24 * sum(
        float(
            demo_store.read_aggregates("ronghu-steel", m, "P1D", day, day + dt.timedelta(days=1))[
                "value"
            ].iloc[0]
        )
        for m, kind in metered_flows(steel)["reuse"]
        if kind is MeterKind.RATE
    )
    assert len(rate) == 1
    assert trend.daily["reuse"][trend.days.index("2025-04-02")] == pytest.approx(reuse, rel=1e-6, abs=0.1)
    # Months are the sums of their days.
    march = [v for d, v in zip(trend.days, trend.daily["intake"], strict=True) if d.startswith("2025-03")]
    assert trend.monthly["intake"][0] == pytest.approx(sum(v for v in march if v is not None), abs=1.0)
    assert trend.to_json()["months"] == ["2025-03", "2025-04"]


def test_window_ends_with_the_month_before_end(demo_store: Store, zone: ZoneInfo) -> None:
    steel = demo_store.load_enterprise("ronghu-steel")
    only_march = read_trend(demo_store, steel, dt.datetime(2025, 4, 1, tzinfo=zone), 1, zone)
    assert only_march.months == ["2025-03"]
    assert read_trend(demo_store, steel, dt.datetime(2025, 3, 1, tzinfo=zone), 12, zone).empty
