"""Tests of shuixiao.series.aggregate: totalizer volumes and calendar buckets."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from shuixiao.errors import InvalidInputError
from shuixiao.series import (
    Reset,
    aggregate,
    aggregate_by_bucket,
    bucket_starts,
    duration_seconds,
    iso_duration,
    totalizer_intervals,
    utc_offsets,
)

pytestmark = pytest.mark.unit

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int, tz: ZoneInfo = SHANGHAI) -> int:
    return int(dt.datetime(*args, tzinfo=tz).timestamp())


# ----------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("seconds", "text"), [(60, "PT1M"), (900, "PT15M"), (3600, "PT1H"), (5400, "PT1H30M"), (86400, "P1D")]
)
def test_iso_duration_round_trips(seconds: int, text: str) -> None:
    assert iso_duration(seconds) == text
    if text != "P1D":
        assert duration_seconds(text) == seconds


def test_calendar_resolutions_have_no_fixed_length() -> None:
    assert duration_seconds("P1D") is None
    assert duration_seconds("P1M") is None


@pytest.mark.parametrize("bad", ["15min", "PT0M", "PT7M", "P2M", "", "PT"])
def test_unknown_resolutions_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInputError, match="resolution|divide"):
        duration_seconds(bad)


def test_iso_duration_refuses_zero() -> None:
    with pytest.raises(InvalidInputError):
        iso_duration(0)


# ----------------------------------------------------------------- totalizer volumes


def test_volumes_are_register_differences() -> None:
    r = totalizer_intervals([0, 900, 1800], [10.0, 12.5, 20.0])
    assert r.start.tolist() == [0, 900]
    assert r.end.tolist() == [900, 1800]
    assert r.volume.tolist() == [2.5, 7.5]


def test_rollover_adds_register_max() -> None:
    r = totalizer_intervals([0, 900, 1800], [99990.0, 5.0, 15.0], register_max=100000.0)
    assert r.volume.tolist() == pytest.approx([15.0, 10.0])


def test_negative_difference_without_register_max_is_kept() -> None:
    r = totalizer_intervals([0, 900], [10.0, 8.0])
    assert r.volume.tolist() == [-2.0]


def test_reset_between_readings_counts_both_devices() -> None:
    # old device read 52.0 when removed, the new one started at 0.7 and read 3.7 at the next reading
    r = totalizer_intervals(
        [0, 900, 1800], [50.0, 3.7, 9.7], register_max=1000.0, resets=[Reset(450, 52.0, 0.7)]
    )
    assert r.volume.tolist() == pytest.approx([2.0 + 3.0, 6.0])


def test_reading_at_the_reset_time_belongs_to_the_new_device() -> None:
    r = totalizer_intervals([0, 900, 1800], [50.0, 0.7, 2.7], resets=[Reset(900, 52.0, 0.7)])
    assert r.volume.tolist() == pytest.approx([2.0, 2.0])


def test_reset_outside_the_series_is_ignored() -> None:
    r = totalizer_intervals([0, 900], [1.0, 2.0], resets=[Reset(5000, 9.0, 0.0)])
    assert r.volume.tolist() == [1.0]


def test_a_gap_gives_one_longer_interval() -> None:
    r = totalizer_intervals([0, 900, 4500], [0.0, 1.0, 5.0])
    assert r.start.tolist() == [0, 900]
    assert (r.end - r.start).tolist() == [900, 3600]
    assert r.volume.tolist() == [1.0, 4.0]


def test_single_reading_has_no_interval() -> None:
    assert totalizer_intervals([0], [5.0]).volume.size == 0


@pytest.mark.parametrize(("ts", "values"), [([0, 0], [1.0, 2.0]), ([900, 0], [1.0, 2.0]), ([0, 900], [1.0])])
def test_bad_series_are_refused(ts: list[int], values: list[float]) -> None:
    with pytest.raises(InvalidInputError):
        totalizer_intervals(ts, values)


# ----------------------------------------------------------------- calendar


def test_local_midnight_cuts_the_day() -> None:
    midnight = local(2025, 3, 2)
    ts = [midnight - 900, midnight, midnight + 900]
    starts = bucket_starts(ts, "P1D")
    assert starts.tolist() == [local(2025, 3, 1), midnight, midnight]
    assert midnight % 86400 == 16 * 3600  # 16:00 UTC


def test_month_buckets_follow_the_shanghai_calendar() -> None:
    # 2025-01-31T16:30Z is already 1 February in Shanghai
    t = int(dt.datetime(2025, 1, 31, 16, 30, tzinfo=dt.UTC).timestamp())
    u = int(dt.datetime(2025, 1, 31, 15, 30, tzinfo=dt.UTC).timestamp())
    a = aggregate([u, t], [1.0, 2.0], "P1M", "sum")
    assert a.start.tolist() == [local(2025, 1, 1), local(2025, 2, 1)]
    assert a.value.tolist() == [1.0, 2.0]


def test_hour_buckets_in_a_half_hour_zone() -> None:
    t = local(2025, 1, 1, 10, 40, tz=ZoneInfo("Asia/Kolkata"))
    assert bucket_starts([t], "PT1H", "Asia/Kolkata").tolist() == [t - 40 * 60]


def test_days_across_a_dst_change_start_at_local_midnight() -> None:
    ny = ZoneInfo("America/New_York")
    ts = np.arange(local(2024, 3, 9, 12, tz=ny), local(2024, 3, 11, 12, tz=ny), 3600)
    starts = np.unique(bucket_starts(ts, "P1D", "America/New_York"))
    assert starts.tolist() == [local(2024, 3, d, tz=ny) for d in (9, 10, 11)]
    assert utc_offsets(
        [local(2024, 3, 10, 1, tz=ny), local(2024, 3, 10, 4, tz=ny)], "America/New_York"
    ).tolist() == [
        -5 * 3600,
        -4 * 3600,
    ]
    counts = aggregate(ts, np.ones(ts.size), "P1D", "sum", tz="America/New_York").count.tolist()
    assert counts == [12, 23, 12]  # the day of the change has 23 hours


def test_unknown_zone_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="time zone"):
        bucket_starts([0], "P1D", "Mars/Olympus")


def test_gaps_lower_the_count_and_are_not_filled() -> None:
    t0 = local(2025, 1, 1)
    ts = t0 + np.array([0, 900, 2700])  # 01:30 missing
    a = aggregate(ts, [1.0, 2.0, 4.0], "PT1H", "mean")
    assert a.count.tolist() == [3]
    assert a.value.tolist() == pytest.approx([7.0 / 3])
    b = aggregate(ts, [1.0, 2.0, 4.0], "PT15M", "sum")
    assert b.start.tolist() == ts.tolist()


def test_statistics_and_worst_quality() -> None:
    t0 = local(2025, 6, 1)
    a = aggregate(t0 + np.arange(4) * 900, [1.0, 5.0, np.nan, 3.0], "PT1H", "mean", quality=[0, 2, 3, 0])
    assert a.value.tolist() == [3.0]
    assert (a.minimum.tolist(), a.maximum.tolist(), a.count.tolist()) == ([1.0], [5.0], [3])
    assert a.quality.tolist() == [2]  # the NaN (and its flag) is left out


def test_empty_series_aggregate_to_nothing() -> None:
    a = aggregate([], [], "P1D", "sum")
    assert a.start.size == a.value.size == 0


def test_aggregate_by_bucket_needs_sorted_buckets() -> None:
    with pytest.raises(InvalidInputError, match="non-decreasing"):
        aggregate_by_bucket([900, 0], [1.0, 2.0], "sum")
    with pytest.raises(InvalidInputError, match="how"):
        aggregate_by_bucket([0], [1.0], "median")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="same length"):
        aggregate_by_bucket([0, 1], [1.0], "sum")


def test_daily_volume_of_a_rolling_register() -> None:
    t0 = local(2025, 1, 1)
    ts = t0 + np.arange(0, 2 * 86400 + 1, 3600)
    true = np.full(ts.size - 1, 10.0)  # 10 m³ an hour
    register = (995.0 + np.concatenate(([0.0], np.cumsum(true)))) % 1000.0
    iv = totalizer_intervals(ts, register, register_max=1000.0)
    daily = aggregate(iv.start, iv.volume, "P1D", "sum")
    assert daily.value.tolist() == pytest.approx([240.0, 240.0])
