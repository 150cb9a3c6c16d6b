"""BattLeDIM scoring on hand-made cases (rules of Scoring_Algorithm.m and scoring_function.m)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from shuixiao.errors import InvalidInputError
from shuixiao.leaks import Candidate, Leak, LeakEvent, Location, PipeNetwork, score_events

from .conftest import T0

pytestmark = pytest.mark.unit

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
PERIOD = (T0, T0 + 10 * DAY)


def leak(
    pipe: str, start: dt.datetime, end: dt.datetime | None = None, flow: float = 10.0, id: str = "L1"
) -> Leak:
    return Leak(Location("pipe", pipe), start, end, flow, id=id)


def event(pipe: str, detected: dt.datetime) -> LeakEvent:
    return LeakEvent(detected, detected, None, 1.0, (Candidate(Location("pipe", pipe), 0.9),))


def test_a_detection_on_the_leaking_pipe_saves_the_water_from_then_on(line: PipeNetwork) -> None:
    truth = [leak("P2", T0 + DAY)]
    report = score_events(truth, [event("P2", T0 + 2 * DAY)], line, period=PERIOD)
    assert (report.true_positives, report.false_positives, report.false_negatives) == (1, 0, 0)
    # 8 days × 24 h × 10 m³/h × 0.80 €/m³, no distance penalty
    assert report.total == pytest.approx(8 * 24 * 10 * 0.8)
    assert report.detections[0].water_saved == pytest.approx(1920.0)
    assert report.delays == {"L1": pytest.approx(24.0)}
    assert report.detection_rate == 1.0 and report.false_alarms_per_month == 0.0


def test_the_300_m_rule_and_its_penalty(line: PipeNetwork) -> None:
    truth = [leak("P2", T0)]
    # P2–P4: J2→J3 = 150 m, plus 200/2 + 250/2 = 375 m: too far, a false positive
    far = score_events(truth, [event("P4", T0 + HOUR)], line, period=PERIOD)
    assert (far.true_positives, far.false_positives, far.total) == (0, 1, -500.0)
    # but it was during the leak: it counts for the detection rate, at 375 m
    assert far.detected_in_time == {"L1": pytest.approx(375.0)} and far.false_alarms == 0
    near = score_events([leak("P1", T0)], [event("P2", T0 + HOUR)], line, period=PERIOD)
    water = (10 * 24 - 1) * 10 * 0.8
    assert near.true_positives == 1
    assert near.total == pytest.approx(water - 150.0 / 300.0 * 500.0)  # P1–P2: 0 + 50 + 100 m


def test_exactly_300_m_is_still_true(line: PipeNetwork) -> None:
    # P4–P5 is 150 + 125 + 200 = 475 m; shorten with a custom limit to check the ≤
    truth = [leak("P4", T0)]
    from shuixiao.leaks import ScoringSettings

    report = score_events(
        truth, [event("P5", T0)], line, period=PERIOD, settings=ScoringSettings(max_distance=475.0)
    )
    assert report.true_positives == 1
    assert report.detections[0].score == pytest.approx(10 * 24 * 10 * 0.8 - 500.0)


def test_outside_the_leak_window_is_false_and_before_the_period_is_ignored(line: PipeNetwork) -> None:
    truth = [leak("P2", T0 + DAY, T0 + 2 * DAY)]
    events = [
        event("P2", T0 - HOUR),  # before the period: ignored
        event("P2", T0 + 12 * HOUR),  # before the leak: false positive
        event("P2", T0 + 3 * DAY),  # after the repair: false positive
    ]
    report = score_events(truth, events, line, period=PERIOD)
    assert [d.outcome for d in report.detections] == ["ignored", "false", "false"]
    assert report.false_positives == 2 and report.false_negatives == 1 and report.total == -1000.0
    assert report.false_alarms == 2
    assert report.false_alarms_per_month == pytest.approx(2 / (10 / (365.25 / 12)))
    # the end is inclusive: a detection at the very end of the leak is true
    edge = score_events(truth, [event("P2", T0 + 2 * DAY)], line, period=PERIOD)
    assert edge.true_positives == 1 and edge.total == 0.0  # nothing left to save


def test_repeats_score_zero_and_the_closest_undetected_leak_is_credited(line: PipeNetwork) -> None:
    truth = [leak("P2", T0, id="A"), leak("P3", T0, id="B")]
    events = [event("P2", T0 + HOUR), event("P2", T0 + 2 * HOUR), event("P2", T0 + 3 * HOUR)]
    report = score_events(truth, events, line, period=PERIOD)
    # first: A (distance 0); second: A is taken, B at 175 m is credited; third: both taken, a repeat
    assert [(d.outcome, d.leak) for d in report.detections] == [("true", "A"), ("true", "B"), ("repeat", "A")]
    assert report.detections[2].score == 0.0
    assert (report.true_positives, report.repeats, report.false_positives) == (2, 1, 0)


def test_water_saved_from_simulated_flows_and_incipient_shape(line: PipeNetwork) -> None:
    start = T0
    growing = Leak(Location("pipe", "P2"), start, None, 12.0, "incipient", start + 2 * DAY, id="L1")
    flows = pd.DataFrame(
        {"L1": 6.0}, index=pd.date_range(pd.Timestamp(start), periods=10 * 24 * 12, freq="5min")
    )
    measured = score_events([growing], [event("P2", start + 9 * DAY)], line, period=PERIOD, leak_flows=flows)
    assert measured.detections[0].water_saved == pytest.approx(24 * 6.0)
    shaped = score_events([growing], [event("P2", start + DAY)], line, period=PERIOD)
    # from day 1 to day 2 the leak ramps from 6 to 12 m³/h (mean 9), then 12 m³/h for 8 days
    assert shaped.detections[0].water_saved == pytest.approx(24 * 9 + 8 * 24 * 12, rel=1e-3)


def test_bad_inputs(line: PipeNetwork) -> None:
    with pytest.raises(InvalidInputError):
        score_events([], [], line, period=(T0, T0))
    with pytest.raises(InvalidInputError):
        score_events([leak("P2", T0), leak("P3", T0)], [], line, period=PERIOD)  # two ids "L1"
    empty = score_events([leak("P2", T0)], [], line, period=PERIOD)
    assert empty.false_negatives == 1 and empty.detection_rate == 0.0
    assert empty.to_dict()["median_localisation_distance_m"] is None
