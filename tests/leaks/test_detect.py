"""The detector on a demo plant network: it finds an injected leak and points at the right branch."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from shuixiao.errors import InvalidInputError
from shuixiao.leaks import (
    DetectorSettings,
    Leak,
    Location,
    PipeNetwork,
    Scenario,
    Sensitivity,
    place_sensors,
    random_leaks,
    score_events,
    sensitivity_matrix,
    simulate_scenario,
)

from .conftest import T0

pytestmark = pytest.mark.integration

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
IRON_BRANCH = {"P-iron", "P-iron_ct", "P-slag", "P-sinter", "P-yard"}
LEAK_START = T0 + DAY + 9 * HOUR


@pytest.fixture(scope="module")
def signatures(steel: PipeNetwork, tmp_path_factory: pytest.TempPathFactory) -> Sensitivity:
    return sensitivity_matrix(steel, place_sensors(steel), cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def scenario(steel: PipeNetwork) -> Scenario:
    leak = Leak(Location("pipe", "P-sinter"), LEAK_START, None, 8.0, id="L1")
    return simulate_scenario(steel, place_sensors(steel), [leak], start=T0, days=2.5, seed=3)


def test_signatures_are_physical(steel: PipeNetwork, signatures: Sensitivity) -> None:
    flow = signatures.sensors.index("Q-PU-1")
    # every m³/h of leak comes through the pump; every pressure falls
    assert signatures.matrix[flow] == pytest.approx(1.0, abs=0.01)
    pressures = [i for i, s in enumerate(signatures.sensors) if s.startswith("P-")]
    assert (signatures.matrix[pressures] < 0).all()
    # a leak in the iron works lowers the pressure at its yard sensor more than a leak in the rolling mill does
    yard = signatures.sensors.index("P-yard")
    assert (
        signatures.matrix[yard, signatures.nodes.index("sinter")]
        < signatures.matrix[yard, signatures.nodes.index("mill_ct")]
    )
    assert signatures.hourly.shape == (24, len(signatures.sensors), len(steel.junctions))


def test_signatures_are_cached(steel: PipeNetwork, tmp_path: Path) -> None:
    sensors = place_sensors(steel, pressure=3)
    first = sensitivity_matrix(steel, sensors, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("sensitivity-*.npz"))) == 1
    second = sensitivity_matrix(steel, sensors, cache_dir=tmp_path)
    assert second.sensors == first.sensors and (second.hourly == first.hourly).all()


def test_signatures_refuse_a_wrong_number_of_workers(steel: PipeNetwork) -> None:
    with pytest.raises(InvalidInputError, match="whole number of processes ≥ 1, not 0"):
        sensitivity_matrix(steel, place_sensors(steel), workers=0)


def test_signatures_on_worker_processes_equal_those_of_one_process(steel: PipeNetwork) -> None:
    """Sharing the hours between two spawned processes gives the same matrix as one process."""
    sensors = place_sensors(steel, pressure=3)
    one = sensitivity_matrix(steel, sensors, workers=1)
    two = sensitivity_matrix(steel, sensors, workers=2)
    assert two.sensors == one.sensors and two.nodes == one.nodes
    assert abs(two.hourly - one.hourly).max() < 1e-6  # m/(m³/h): the same snapshots, other starting flows
    assert abs(one.hourly).max() > 0.01


def test_finds_an_injected_leak_on_the_right_branch(
    steel: PipeNetwork, scenario: Scenario, signatures: Sensitivity
) -> None:
    from shuixiao.leaks import detect_leaks

    result = detect_leaks(
        steel,
        scenario.sensors,
        scenario.readings,
        settings=DetectorSettings(training=DAY),
        sensitivity=signatures,
    )
    assert len(result.events) == 1
    (event,) = result.events
    assert LEAK_START <= event.detected <= LEAK_START + HOUR
    assert abs(event.start - LEAK_START) <= HOUR
    assert event.end is None
    assert event.flow == pytest.approx(scenario.leaks[0].peak_flow, rel=0.25)
    top = {c.location.id for c in event.candidates[:3]}
    assert top <= IRON_BRANCH
    assert event.uncertainty < 300.0
    report = score_events(scenario.leaks, result.events, steel, period=(T0 + DAY, scenario.end))
    assert report.true_positives == 1 and report.false_positives == 0
    assert result.statistic.max() > result.threshold
    # the confirmation: an event is reported only if one leak explains the residual change so well
    assert event.candidates[0].score >= DetectorSettings().confirmation()
    strict = DetectorSettings(training=DAY, confirm_correlation=min(1.0, event.candidates[0].score + 1e-3))
    unconfirmed = detect_leaks(
        steel, scenario.sensors, scenario.readings, settings=strict, sensitivity=signatures
    )
    assert unconfirmed.events == () and unconfirmed.statistic.max() > unconfirmed.threshold


def test_no_leak_no_alarm_and_sensors_without_readings(steel: PipeNetwork, signatures: Sensitivity) -> None:
    from shuixiao.leaks import detect_leaks

    sensors = place_sensors(steel)
    quiet = simulate_scenario(steel, sensors, [], start=T0, days=6, seed=8)
    readings = quiet.readings.drop(columns=["P-boiler"])
    result = detect_leaks(steel, sensors, readings, sensitivity=signatures)
    assert result.events == ()
    assert result.sensors_without_readings == ("P-boiler",)
    assert "P-boiler" not in result.sensors_used
    assert result.training_end == T0 + 2 * DAY  # a third of the span


@pytest.mark.slow
def test_a_leak_tracked_for_weeks_becomes_normal_behaviour_and_its_repair_is_still_seen(
    steel: PipeNetwork, signatures: Sensitivity
) -> None:
    """Normal behaviour is re-centred daily on the 14 days ending 2 days before.

    Leak A (10 m³/h) runs from day 4 to its repair on day 24: from day 19 it has lasted
    through half of the adaptation window and is absorbed into normal behaviour.  Its repair
    must still close its event, and leak B (6 m³/h, day 28, another branch) must be found
    with its own size and place, neither counted twice nor taken for A's end.
    """
    from shuixiao.leaks import detect_leaks

    sensors = place_sensors(steel)
    repair = T0 + 24 * DAY
    a = Leak(Location("pipe", "P-sinter"), T0 + 4 * DAY + 9 * HOUR, repair, 10.0, id="A")
    b = Leak(Location("pipe", "P-boiler"), T0 + 28 * DAY + 10 * HOUR, None, 6.0, id="B")
    s = simulate_scenario(steel, sensors, [a, b], start=T0, days=32, seed=5)
    settings = DetectorSettings(training=3 * DAY)
    assert settings.adaptation == 14 * DAY and settings.adaptation_lag == 2 * DAY
    result = detect_leaks(steel, sensors, s.readings, settings=settings, sensitivity=signatures)
    first, second = result.events
    assert abs(first.start - a.start) <= HOUR and first.flow == pytest.approx(10.0, rel=0.25)
    assert {c.location.id for c in first.candidates[:3]} <= IRON_BRANCH
    assert first.end is not None and repair - HOUR <= first.end <= repair + DAY
    assert abs(second.start - b.start) <= HOUR and second.end is None
    assert second.flow == pytest.approx(6.0, rel=0.25)
    assert second.candidates[0].location.id == "P-boiler"
    report = score_events(s.leaks, result.events, steel, period=(T0 + 3 * DAY, s.end))
    assert report.true_positives == 2 and report.false_positives == 0


def test_bad_inputs(steel: PipeNetwork, scenario: Scenario, signatures: Sensitivity) -> None:
    from shuixiao.leaks import detect_leaks

    sensors = scenario.sensors
    with pytest.raises(InvalidInputError, match="not in the sensor file: X"):
        detect_leaks(steel, sensors, scenario.readings.assign(X=1.0), sensitivity=signatures)
    with pytest.raises(InvalidInputError, match="leak-free day"):
        detect_leaks(steel, sensors, scenario.readings.iloc[:200], sensitivity=signatures)
    demand_only = scenario.readings[[c for c in scenario.readings if c.startswith("D-")]]
    with pytest.raises(InvalidInputError, match="no pressure or flow sensor"):
        detect_leaks(steel, sensors, demand_only, sensitivity=signatures)
    with pytest.raises(InvalidInputError):
        DetectorSettings(minimum_flow=0.0)
    with pytest.raises(InvalidInputError, match="confirm_correlation"):
        DetectorSettings(confirm_correlation=1.5)
    with pytest.raises(InvalidInputError, match="adaptation window is at least a day"):
        DetectorSettings(adaptation=HOUR)
    with pytest.raises(InvalidInputError, match="adaptation lag cannot be negative"):
        DetectorSettings(adaptation_lag=-HOUR)


@pytest.mark.slow
def test_demo_plant_benchmark(steel: PipeNetwork, signatures: Sensitivity) -> None:
    """Ten 6-day scenarios with three random 2–20 m³/h leaks each (the numbers in docs/leaks.md)."""
    from shuixiao.leaks import detect_leaks

    sensors = place_sensors(steel)
    detected = total = false_alarms = within = 0
    for seed in range(10):
        train = 2 * DAY
        leaks = random_leaks(steel, 3, start=T0 + train + 2 * HOUR, end=T0 + 6 * DAY, seed=seed)
        s = simulate_scenario(steel, sensors, leaks, start=T0, days=6, seed=seed)
        result = detect_leaks(
            steel, sensors, s.readings, settings=DetectorSettings(training=train), sensitivity=signatures
        )
        report = score_events(
            s.leaks, result.events, steel, period=(T0 + train, s.end), leak_flows=s.leak_flows
        )
        detected += len(report.detected_in_time)
        total += report.leaks
        false_alarms += report.false_alarms
        within += report.within(300.0)
    assert detected / total >= 0.8
    assert within / total >= 0.5
    assert false_alarms <= 2  # in 40 days of examined data
