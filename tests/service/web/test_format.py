"""Numbers, times, chart timestamps and gaps as the dashboards show them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from shuixiao.service.web._format import (
    chart_ms,
    format_number,
    format_time,
    gapped,
    local_month_start,
    next_month,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (0.0, 3, "0"),
        (1234567.891, 3, "1,234,568"),
        (-97.4321, 3, "-97.4"),
        (0.000123456, 3, "0.000123"),
        (8.14, 4, "8.140"),
        (None, 3, "–"),
        (float("inf"), 3, "–"),
        (float("nan"), 3, "–"),
    ],
)
def test_format_number(value: float | None, digits: int, expected: str) -> None:
    assert format_number(value, digits) == expected


def test_format_time_is_local_to_the_instance_zone() -> None:
    moment = dt.datetime(2025, 6, 30, 23, 59, 30, tzinfo=dt.UTC)
    assert format_time(moment, ZoneInfo("Asia/Shanghai")) == "2025-07-01 07:59"
    assert format_time(moment, ZoneInfo("Asia/Shanghai"), seconds=True) == "2025-07-01 07:59:30"
    assert format_time(None, ZoneInfo("UTC")) == "–"


def test_chart_ms_follows_daylight_saving_of_the_zone() -> None:
    # Europe/Berlin switched from +01:00 to +02:00 at 2025-03-30 01:00 UTC.
    before = int(dt.datetime(2025, 3, 30, 0, 30, tzinfo=dt.UTC).timestamp())
    after = before + 3600
    ms = chart_ms(np.array([before, after], dtype=np.int64), ZoneInfo("Europe/Berlin"))
    assert ms == [(before + 3600) * 1000, (after + 7200) * 1000]
    shanghai = chart_ms(np.array([before, after], dtype=np.int64), ZoneInfo("Asia/Shanghai"))
    assert [m // 1000 for m in shanghai] == [before + 28800, after + 28800]


def test_gapped_breaks_the_line_only_at_gaps() -> None:
    ms = [0, 900_000, 1_800_000, 2_700_000, 20_700_000, 21_600_000]
    values = np.array([1.0, 2.0, np.nan, 4.0, 5.0, 6.0])
    points = gapped(ms, values, 1.5)
    assert [v for _, v in points] == [1.0, 2.0, None, 4.0, None, 5.0, 6.0]
    # The null point lies inside the gap, so the chart draws no segment across it.
    assert 2_700_000 < points[4][0] < 20_700_000
    assert gapped([], np.array([]), 1.5) == []
    assert gapped([5], np.array([1.0]), 1.5) == [(5, 1.0)]


def test_months_in_the_zone() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    start = local_month_start(dt.datetime(2025, 1, 31, 16, 0, tzinfo=dt.UTC), zone)
    assert start == dt.datetime(2025, 2, 1, tzinfo=zone)
    assert next_month(start) == dt.datetime(2025, 3, 1, tzinfo=zone)
    assert next_month(dt.datetime(2024, 12, 1, tzinfo=zone)) == dt.datetime(2025, 1, 1, tzinfo=zone)
