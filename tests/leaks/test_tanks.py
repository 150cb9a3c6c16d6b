"""Leak detection on networks with tanks and pumps: EPANET's Net3 and Net1 as shipped with wntr.

Net3 has three tanks filled and drained by two pumps and a pipe that level controls open and close
([CONTROLS] of Net3.inp); its readings follow the tank cycle and the pump switching far more than any
leak.  The detector takes the measured tank levels and pump states as given: it subtracts what the
hydraulic model expects from them (grouped steady-state snapshots, corrected linearly per reading)
and localises with signatures simulated with the tanks held at their level.  Scenarios are simulated with ground truth
(``simulate_scenario``: 5 % demand noise, 5 % roughness error, sensor noise), so the detector's model
is not the truth.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from shuixiao.leaks import (
    DetectorSettings,
    Leak,
    Location,
    PipeNetwork,
    Sensitivity,
    detect_leaks,
    place_sensors,
    read_network,
    score_events,
    sensitivity_matrix,
    simulate_scenario,
)
from shuixiao.leaks._baseline import hydraulic_expectation
from shuixiao.leaks._epanet import Session, Snapshots, switched_links
from shuixiao.leaks.scenarios import ScenarioSettings

from .conftest import T0

pytestmark = pytest.mark.integration

DAY = dt.timedelta(days=1)
TRAIN = 3 * DAY


@pytest.fixture(scope="module")
def net3_signatures(net3: PipeNetwork) -> Sensitivity:
    return sensitivity_matrix(net3, place_sensors(net3))


def test_snapshots_reproduce_the_extended_run(net3: PipeNetwork) -> None:
    """Held at the run's tank levels and link states, a snapshot solves the same hydraulics."""
    wn = net3.model()
    tanks, links = list(wn.tank_name_list), switched_links(wn)
    assert links == ["10", "335", "330"]  # the pumps, then the pipe that [CONTROLS] open and close
    junctions = net3.junctions
    with Session(net3.model(), step=3600, steps=48, flat_demands=False) as session:
        run = session.run(pressure=tanks + junctions, status=links)
    assert set(np.unique(run["status"])) == {0.0, 1.0}  # the pumps do switch over the day
    worst = 0.0
    with Snapshots(net3.model()) as snapshots:
        for hour in range(24, 48):
            snapshots.set_state(hour * 3600.0, run["pressure"][hour, : len(tanks)], run["status"][hour])
            solved = snapshots.solve(pressure=junctions)
            worst = max(
                worst, float(np.max(np.abs(solved["pressure"] - run["pressure"][hour, len(tanks) :])))
            )
    assert worst < 1e-3  # m


def test_model_expectation_follows_tanks_and_pumps(net3: PipeNetwork, net3_signatures: Sensitivity) -> None:
    """Without model error, readings less the model's expectation are sensor noise (σ 0.02 m).

    The expectation comes from grouped snapshots corrected linearly for demand and level
    deviations; the bounds are those the per-instant snapshots met.
    """
    sensors = place_sensors(net3)
    exact = ScenarioSettings(roughness_uncertainty=0.0)
    scenario = simulate_scenario(net3, sensors, [], start=T0, days=4, seed=5, settings=exact)
    monitored = [
        s for s in scenario.readings.columns if s.startswith("P-") and sensors[s].node in net3.junctions
    ]
    train = np.asarray(scenario.readings.index < pd.Timestamp(T0 + 2 * DAY))
    expected = hydraulic_expectation(net3, sensors, scenario.readings, monitored, train, net3_signatures)
    residual = scenario.readings[monitored].to_numpy() - expected
    skipped = np.isnan(residual).all(axis=1)
    assert 0 < skipped.mean() < 0.15  # instants with a tank at a limit carry no expectation
    assert float(np.nanmedian(np.abs(residual))) < 0.03
    assert float(np.nanpercentile(np.abs(residual), 99)) < 0.15
    raw = scenario.readings[monitored].to_numpy()
    assert float(np.median(np.std(raw, axis=0))) > 0.5  # what the tanks and pumps do to the pressures


def test_net3_leaks_detected_and_localised(net3: PipeNetwork, net3_signatures: Sensitivity) -> None:
    """Two leaks of 2–4 % of Net3's 2 486 m³/h on pipes far apart; no false alarm in six days."""
    sensors = place_sensors(net3)
    leaks = [
        Leak(Location("pipe", "123"), T0 + 4 * DAY + dt.timedelta(hours=9), None, 60.0, id="L1"),
        Leak(Location("pipe", "297"), T0 + 6 * DAY + dt.timedelta(hours=15), None, 100.0, id="L2"),
    ]
    scenario = simulate_scenario(net3, sensors, leaks, start=T0, days=9, seed=2)
    settings = DetectorSettings(training=TRAIN, minimum_flow=25.0)
    result = detect_leaks(net3, sensors, scenario.readings, settings=settings, sensitivity=net3_signatures)
    report = score_events(
        scenario.leaks, result.events, net3, period=(T0 + TRAIN, scenario.end), leak_flows=scenario.leak_flows
    )
    assert set(report.detected_in_time) == {"L1", "L2"}
    assert report.false_alarms == 0
    assert max(report.delays.values()) < 2.0  # h
    assert report.within(300.0) >= 1
    for event in result.events:
        assert 0.5 * 60.0 < event.flow < 1.5 * 100.0 * 2  # m³/h, the order of the leaks


def test_net3_without_the_model_baseline_raises_false_alarms(
    net3: PipeNetwork, net3_signatures: Sensitivity
) -> None:
    """The same leak-free week with the learned regression alone: the tank cycle is not learned.

    Its alarms are misfits that no single leak explains, so the confirmation (the best
    candidate's correlation) drops them too; without it they are reported.
    """
    sensors = place_sensors(net3)
    scenario = simulate_scenario(net3, sensors, [], start=T0, days=9, seed=1)
    events = {}
    for baseline, confirm in (("auto", 1e-9), ("off", 1e-9), ("off", None)):
        settings = DetectorSettings(
            training=TRAIN, minimum_flow=25.0, hydraulic_baseline=baseline, confirm_correlation=confirm
        )
        events[baseline, confirm] = detect_leaks(
            net3, sensors, scenario.readings, settings=settings, sensitivity=net3_signatures
        ).events
    assert events["auto", 1e-9] == ()
    assert len(events["off", 1e-9]) >= 3
    assert events["off", None] == ()


def test_net1_leak_on_the_right_pipe() -> None:
    """Net1: one tank, one pump; a 10 m³/h leak is found on its pipe or a neighbour."""
    net1 = read_network(resources.files("wntr").joinpath("library/networks/Net1.inp"))
    sensors = place_sensors(net1)
    assert "L-2" in sensors and "Q-9" in sensors  # the tank level and the pump's flow
    leak = Leak(Location("pipe", "122"), T0 + 4 * DAY + dt.timedelta(hours=3), None, 10.0, id="L1")
    scenario = simulate_scenario(net1, sensors, [leak], start=T0, days=7, seed=4)
    result = detect_leaks(net1, sensors, scenario.readings, settings=DetectorSettings(training=TRAIN))
    report = score_events(
        scenario.leaks, result.events, net1, period=(T0 + TRAIN, scenario.end), leak_flows=scenario.leak_flows
    )
    assert report.detected_in_time == {"L1": pytest.approx(report.detected_in_time["L1"])}
    assert report.false_alarms == 0
    best = result.events[0].best
    assert best is not None
    assert net1.distance(best, Location("pipe", "122")) <= 1700.0  # m: the pipe or one of its neighbours


def test_bad_baseline_setting() -> None:
    from shuixiao.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="hydraulic_baseline"):
        DetectorSettings(hydraulic_baseline="sometimes")  # type: ignore[arg-type]
