"""Rule evaluators over series arrays: threshold, rate of change, offline, stuck, balance closure."""

from __future__ import annotations

import numpy as np
import pytest

from shuixiao.alarms import (
    closure_episodes,
    offline_episodes,
    rate_of_change_episodes,
    stuck_episodes,
    threshold_episodes,
)
from shuixiao.errors import InvalidInputError

pytestmark = pytest.mark.unit

Q = 900  # 15-min readings [s]


def _t(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.int64) * Q


# --- threshold ----------------------------------------------------------------------------------


def test_high_limit_with_deadband_does_not_chatter() -> None:
    # GB 8978-1996 table 4: discharge pH 6–9; noise around 9 must give one alarm, not many
    values = [8.5, 9.05, 8.98, 9.02, 8.95, 9.01, 8.85, 8.7]
    ev = threshold_episodes(_t(8), values, 9.0, deadband=0.1)
    assert [(e.start, e.raised, e.end) for e in ev.episodes] == [(Q, Q, 6 * Q)]
    assert ev.episodes[0].extreme == pytest.approx(9.05)
    assert ev.state == "inactive"
    # without a deadband the same noise gives three alarms
    assert len(threshold_episodes(_t(8), values, 9.0).episodes) == 3


def test_low_limit_mirrors_high() -> None:
    values = [7.0, 5.8, 5.9, 6.05, 6.2, 7.0]
    ev = threshold_episodes(_t(6), values, 6.0, direction="low", deadband=0.1)
    assert [(e.start, e.end, e.extreme) for e in ev.episodes] == [(Q, 4 * Q, 5.8)]


def test_minimum_duration_is_an_on_delay() -> None:
    # OPC UA Part 9 B.1.5: the value must stay beyond the limit for the whole on-delay
    values = [1, 12, 12, 3, 12, 12, 12, 12, 1]
    ev = threshold_episodes(_t(9), values, 10.0, minimum_duration=2 * Q)
    assert [(e.start, e.raised, e.end) for e in ev.episodes] == [(4 * Q, 6 * Q, 8 * Q)]


def test_a_condition_still_present_is_active() -> None:
    ev = threshold_episodes(_t(4), [1, 11, 12, 13], 10.0)
    assert ev.state == "active" and ev.episodes[-1].end is None and ev.episodes[-1].extreme == 13


def test_active_at_start_continues_an_open_alarm_inside_the_deadband() -> None:
    # hysteresis across checks: the open alarm stays while the value is between limit − deadband and the limit
    ev = threshold_episodes(_t(3), [9.6, 9.55, 9.7], 10.0, deadband=0.5, active_at_start=True)
    assert ev.state == "active" and ev.episodes[0].inherited
    ev = threshold_episodes(_t(3), [9.6, 9.4, 9.7], 10.0, deadband=0.5, active_at_start=True)
    assert ev.state == "inactive" and ev.episodes[0].end == Q and ev.episodes[0].inherited
    # without the open alarm, the same values are below the limit: nothing
    assert threshold_episodes(_t(3), [9.6, 9.55, 9.7], 10.0, deadband=0.5).episodes == ()


def test_nan_is_skipped_and_no_data_is_unknown() -> None:
    ev = threshold_episodes(_t(4), [1.0, np.nan, 11.0, np.nan], 10.0)
    assert ev.state == "active" and ev.episodes[0].start == 2 * Q
    assert threshold_episodes([], [], 10.0).state == "unknown"
    assert threshold_episodes(_t(2), [np.nan, np.nan], 10.0).state == "unknown"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"direction": "up"}, "direction must be high or low"),
        ({"deadband": -1.0}, "≥ 0"),
        ({"minimum_duration": -1.0}, "≥ 0"),
    ],
)
def test_threshold_rejects_bad_parameters(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        threshold_episodes(_t(2), [1, 2], 1.0, **kwargs)  # type: ignore[arg-type]


def test_series_must_be_ordered_and_of_equal_length() -> None:
    with pytest.raises(InvalidInputError, match="ascending"):
        threshold_episodes([900, 0], [1, 2], 1.0)
    with pytest.raises(InvalidInputError, match="2 times but 3 values"):
        threshold_episodes([0, 900], [1, 2, 3], 1.0)


# --- rate of change -----------------------------------------------------------------------------


def test_rate_of_change_by_standard_deviations() -> None:
    # QARTOD test 8: a step beyond N standard deviations of the previous 25 hours fails
    rng = np.random.default_rng(1)
    values = 100.0 + rng.normal(0.0, 1.0, 200)
    values[150] += 30.0  # a spike: up, then down
    ev = rate_of_change_episodes(_t(200), values, sigmas=6.0, history=25 * 3600, clear_after=3600)
    assert [(e.start, e.end) for e in ev.episodes] == [(150 * Q, 155 * Q)]
    assert ev.state == "inactive"
    # N = 3 on the same noise: more episodes (why alarms use a larger N)
    assert len(rate_of_change_episodes(_t(200), values, sigmas=3.0, clear_after=3600).episodes) > 1


def test_rate_of_change_by_absolute_rate_and_too_little_history() -> None:
    values = [7.0, 7.1, 9.0, 9.0]  # pH up 1.9 in 15 min = 7.6 pH/h
    ev = rate_of_change_episodes(_t(4), values, max_rate=2.0, clear_after=2 * Q)
    assert ev.state == "active" and ev.episodes[0].extreme == pytest.approx(7.6)
    # by sigmas alone, three earlier readings are too few to judge (minimum_history 8)
    assert rate_of_change_episodes(_t(4), values, sigmas=3.0).episodes == ()


def test_rate_of_change_needs_a_limit() -> None:
    with pytest.raises(InvalidInputError, match="give max_rate, sigmas or both"):
        rate_of_change_episodes(_t(3), [1, 2, 3])
    with pytest.raises(InvalidInputError, match="> 0"):
        rate_of_change_episodes(_t(3), [1, 2, 3], sigmas=0.0)
    assert rate_of_change_episodes([], [], sigmas=3.0).state == "unknown"
    assert rate_of_change_episodes([0], [1.0], sigmas=3.0).state == "inactive"


# --- offline ------------------------------------------------------------------------------------


def test_offline_finds_gaps_and_a_trailing_silence() -> None:
    ts = [0, Q, 2 * Q, 8 * Q, 9 * Q]
    ev = offline_episodes(ts, end=20 * Q, max_gap=5 * Q)
    assert [(e.start, e.raised, e.end) for e in ev.episodes] == [(2 * Q, 7 * Q, 8 * Q), (9 * Q, 14 * Q, None)]
    assert ev.state == "active" and ev.episodes[-1].extreme == 11 * Q


def test_offline_uses_the_reading_before_the_window() -> None:
    # nothing in the window: the silence runs from the last reading before it
    ev = offline_episodes([], end=10 * Q, max_gap=5 * Q, previous=2 * Q)
    assert [(e.start, e.end) for e in ev.episodes] == [(2 * Q, None)]
    # readings back within max_gap: online
    assert offline_episodes([9 * Q], end=10 * Q, max_gap=5 * Q, previous=2 * Q).state == "inactive"
    assert offline_episodes([], end=10 * Q, max_gap=5 * Q).state == "unknown"
    with pytest.raises(InvalidInputError, match="max_gap"):
        offline_episodes([0], end=1, max_gap=0)


def test_offline_ignores_readings_after_the_end() -> None:
    ev = offline_episodes([0, 30 * Q], end=10 * Q, max_gap=5 * Q)
    assert ev.state == "active" and ev.episodes[0].end is None


# --- stuck --------------------------------------------------------------------------------------


def test_stuck_counts_unchanged_intervals() -> None:
    # QARTOD test 9 (flat line): N unchanged intervals where the signal should vary
    rng = np.random.default_rng(2)
    values = np.round(350 + rng.normal(0, 2, 60), 2)
    values[30:45] = 351.0  # 15 readings, 14 unchanged intervals
    ev = stuck_episodes(_t(60), values, count=8)
    assert [(e.start, e.raised, e.end, e.extreme) for e in ev.episodes] == [(30 * Q, 38 * Q, 45 * Q, 14.0)]
    assert stuck_episodes(_t(60), values, count=15).episodes == ()


def test_stuck_tolerance_and_ongoing_run() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 5.0, 5.01, 4.99, 5.0, 5.02]
    ev = stuck_episodes(_t(9), values, count=3, tolerance=0.05, minimum_history=3)
    assert ev.state == "active" and ev.episodes[0].start == 4 * Q and ev.episodes[0].end is None
    assert stuck_episodes(_t(9), values, count=3, minimum_history=3).episodes == ()


def test_a_signal_that_often_repeats_is_not_stuck() -> None:
    # a slow signal read at a coarse resolution (a permeate at 21 µS/cm read to 1 µS/cm) repeats itself
    coarse = np.array([21, 21, 21, 22, 22, 21, 21, 21, 21, 20, 20, 21] * 4 + [21] * 12, dtype=float)
    assert stuck_episodes(_t(coarse.size), coarse, count=8, max_repeat_share=0.5).episodes == ()
    assert len(stuck_episodes(_t(coarse.size), coarse, count=8, max_repeat_share=1.0).episodes) == 1
    # a run too early to judge (fewer earlier steps than minimum_history) is left alone
    assert stuck_episodes(_t(12), np.full(12, 5.0), count=8, minimum_history=8).episodes == ()


def test_stuck_rejects_bad_parameters() -> None:
    with pytest.raises(InvalidInputError, match="count"):
        stuck_episodes(_t(2), [1, 1], count=0)
    with pytest.raises(InvalidInputError, match="tolerance"):
        stuck_episodes(_t(2), [1, 1], count=1, tolerance=-1)
    with pytest.raises(InvalidInputError, match="max_repeat_share"):
        stuck_episodes(_t(2), [1, 1], count=1, max_repeat_share=2)
    assert stuck_episodes([], [], count=1).state == "unknown"


# --- balance closure ----------------------------------------------------------------------------


def test_closure_episodes_skip_undetermined_days() -> None:
    day = 86_400
    diffs = [0.05, 0.12, np.nan, -0.15, 0.02, 0.2]
    ev = closure_episodes(np.arange(6) * day, diffs, tolerance=0.10)
    assert [(e.start, e.raised, e.end) for e in ev.episodes] == [
        (day, 2 * day, 5 * day),
        (5 * day, 6 * day, None),
    ]
    assert ev.episodes[0].extreme == pytest.approx(0.15)
    assert ev.state == "active"
    assert closure_episodes([], [], tolerance=0.1).state == "unknown"
    with pytest.raises(InvalidInputError):
        closure_episodes([0], [0.1], tolerance=-0.1)
