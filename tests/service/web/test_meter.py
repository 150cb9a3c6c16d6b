"""The meter page's data: the window, raw and interval series, quality flags, gaps."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from shuixiao.model import Quality
from shuixiao.service.web._config import defaults
from shuixiao.service.web._i18n import Translator
from shuixiao.service.web._meter import Window, meter_view, parse_window
from shuixiao.storage import Store

pytestmark = pytest.mark.integration

LAST = dt.datetime(2025, 4, 18, 16, 0, tzinfo=dt.UTC)


@pytest.mark.unit
def test_parse_window(zone: ZoneInfo) -> None:
    limits = defaults()
    default = parse_window(None, None, LAST, zone, limits)
    assert default.last == dt.date(2025, 4, 18) and default.days == limits.meter_days
    assert default.end - default.start == dt.timedelta(days=limits.meter_days)
    assert default.start.utcoffset() == dt.timedelta(hours=8)
    assert parse_window("0", "2025-04-10", LAST, zone, limits).days == 1
    assert parse_window("x", "2025-13-40", LAST, zone, limits) == default
    assert parse_window("10000", None, LAST, zone, limits).days == limits.meter_max_days
    assert parse_window(None, None, None, zone, limits).last == dt.datetime.now(zone).date()


def _gap_meter(store: Store) -> tuple[str, pd.Timestamp]:
    """A meter of the steel works with a communication gap, and where the gap starts."""
    for meter in store.load_enterprise("ronghu-steel").meters:
        frame = store.read_readings("ronghu-steel", meter.id)
        spacing = frame["ts"].diff().dt.total_seconds().to_numpy()
        wide = np.flatnonzero(spacing > 3 * 3600)
        if len(wide):
            return meter.id, frame["ts"].iloc[wide[0] - 1]
    raise AssertionError("the demo has communication gaps in every configuration")


def test_gap_is_a_null_point_and_counted(demo_store: Store, zone: ZoneInfo) -> None:
    meter_id, before = _gap_meter(demo_store)
    steel = demo_store.load_enterprise("ronghu-steel")
    day = before.tz_convert(zone).date()
    window = Window(day - dt.timedelta(days=1), day + dt.timedelta(days=1), zone)
    view = meter_view(demo_store, steel, steel.meter(meter_id), window, None, Translator("zh"), defaults())
    assert view.gaps >= 1 and view.longest_gap != "–"
    assert view.resolution == "PT1H"
    points = view.charts["raw"]["points"]  # type: ignore[index]
    nulls = [i for i, (_, v) in enumerate(points) if v is None]
    assert nulls, "a gap must break the line"
    i = nulls[0]
    assert points[i - 1][0] < points[i][0] < points[i + 1][0]
    assert points[i + 1][0] - points[i - 1][0] > 3 * 3600 * 1000
    assert view.readings == sum(view.quality_counts.values())


def test_bad_readings_are_flagged_and_left_out_of_the_line(demo_store: Store, zone: ZoneInfo) -> None:
    steel = demo_store.load_enterprise("ronghu-steel")
    # Analysers are checked every Wednesday 10:00-10:30 local time: readings flagged bad.
    window = Window(dt.date(2025, 4, 16), dt.date(2025, 4, 16), zone)
    view = meter_view(demo_store, steel, steel.meter("AT-3201"), window, "PT1H", Translator("en"), defaults())
    assert view.quality_counts["bad"] >= 1
    flags = view.charts["raw"]["flags"]  # type: ignore[index]
    assert len(flags["bad"]) == view.quality_counts["bad"]
    bad_times = {t for t, _ in flags["bad"]}
    assert all(v is None for t, v in view.charts["raw"]["points"] if t in bad_times)  # type: ignore[index]
    assert all(v == pytest.approx(7.0) for _, v in flags["bad"])  # the standard solution's pH
    assert view.charts["flagNames"]["bad"] == "bad"  # type: ignore[index]
    assert view.charts["volume"] is False
    assert len(view.charts["interval"]["minimum"]) == len(view.charts["interval"]["points"])  # type: ignore[index]
    assert ("Kind", "water quality") in view.facts


def test_totalizer_shows_volumes_per_interval(demo_store: Store, zone: ZoneInfo) -> None:
    steel = demo_store.load_enterprise("ronghu-steel")
    window = Window(dt.date(2025, 3, 20), dt.date(2025, 4, 18), zone)
    view = meter_view(demo_store, steel, steel.meter("FT-1001"), window, None, Translator("zh"), defaults())
    assert view.resolution == "P1D" and view.unit == "m³"
    interval = view.charts["interval"]
    assert interval["minimum"] == [] and len(interval["points"]) == 30  # type: ignore[index]
    daily = demo_store.read_aggregates("ronghu-steel", "FT-1001", "P1D", window.start, window.end)
    assert [v for _, v in interval["points"]] == pytest.approx(daily["value"].tolist())  # type: ignore[index]
    assert view.charts["window"] == [
        int((window.start.timestamp() + 8 * 3600) * 1000),
        int((window.end.timestamp() + 8 * 3600) * 1000),
    ]
    raw = demo_store.read_readings("ronghu-steel", "FT-1001", window.start, window.end)
    assert view.readings == len(raw)
    assert view.quality_counts["good"] == int((raw["quality"] == int(Quality.GOOD)).sum())


def test_empty_window(demo_store: Store, zone: ZoneInfo) -> None:
    steel = demo_store.load_enterprise("ronghu-steel")
    window = Window(dt.date(2024, 1, 1), dt.date(2024, 1, 3), zone)
    view = meter_view(
        demo_store, steel, steel.meter("FT-1001"), window, "bogus", Translator("zh"), defaults()
    )
    assert view.readings == 0 and view.gaps == 0 and view.resolution == "PT1H"
    assert view.charts["raw"]["points"] == []  # type: ignore[index]
