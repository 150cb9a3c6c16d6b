"""Scenarios: deterministic, the leaks they promise, sensors that read what they should."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from shuixiao.errors import InvalidInputError
from shuixiao.leaks import (
    Leak,
    Location,
    PipeNetwork,
    ScenarioSettings,
    Sensor,
    place_sensors,
    random_leaks,
    simulate_scenario,
)

from .conftest import T0

pytestmark = pytest.mark.integration

DAY = dt.timedelta(days=1)


def test_sensor_placement(steel: PipeNetwork, net3: PipeNetwork) -> None:
    sensors = place_sensors(steel)
    kinds = [s.type for s in sensors.values()]
    assert kinds.count("pressure") == 5  # ⌈√24⌉
    assert [s.link for s in sensors.values() if s.type == "flow"] == ["PU-1"]
    assert kinds.count("demand") == sum(1 for j in steel.junctions if steel.demand(j) > 0)
    assert place_sensors(steel) == sensors  # deterministic
    net3_sensors = place_sensors(net3, demand_share=0.0, pressure=12)
    # 12 junction pressures and the levels of the three tanks
    assert sum(s.type == "pressure" and s.node in net3.junctions for s in net3_sensors.values()) == 12
    assert {k for k, s in net3_sensors.items() if s.type == "pressure" and s.node not in net3.junctions} == {
        "L-1",
        "L-2",
        "L-3",
    }
    assert sum(s.type == "demand" for s in net3_sensors.values()) == 0
    # the five links from sources, and the pumps 10 and 335 and pipe 330 that controls switch (Net3 [CONTROLS])
    assert len(net3.inflow_links()) == 5
    flows = {s.link for s in net3_sensors.values() if s.type == "flow"}
    assert flows == set(net3.inflow_links()) | {"10", "335", "330"}
    with pytest.raises(InvalidInputError):
        place_sensors(steel, demand_share=2.0)


def test_random_leaks_are_deterministic_and_inside_the_period(steel: PipeNetwork) -> None:
    a = random_leaks(steel, 6, start=T0 + DAY, end=T0 + 5 * DAY, seed=11)
    assert a == random_leaks(steel, 6, start=T0 + DAY, end=T0 + 5 * DAY, seed=11)
    assert a != random_leaks(steel, 6, start=T0 + DAY, end=T0 + 5 * DAY, seed=12)
    assert [leak.id for leak in a] == [f"L{i}" for i in range(1, 7)]
    for leak in a:
        assert T0 + DAY <= leak.start <= T0 + 5 * DAY - dt.timedelta(hours=6)
        assert 2.0 <= leak.peak_flow <= 20.0
        assert leak.location.kind == "pipe" and leak.location.id in steel.pipes
    with pytest.raises(InvalidInputError):
        random_leaks(steel, 1, start=T0, end=T0 + dt.timedelta(hours=1))
    with pytest.raises(InvalidInputError):
        random_leaks(steel, 1, start=T0, end=T0 + DAY, flow_range=(5.0, 1.0))


def test_scenarios_are_deterministic(steel: PipeNetwork) -> None:
    sensors = place_sensors(steel)
    leaks = random_leaks(steel, 2, start=T0 + DAY, end=T0 + 2 * DAY, seed=5)
    a = simulate_scenario(steel, sensors, leaks, start=T0, days=2, seed=5)
    b = simulate_scenario(steel, sensors, leaks, start=T0, days=2, seed=5)
    c = simulate_scenario(steel, sensors, leaks, start=T0, days=2, seed=6)
    pd.testing.assert_frame_equal(a.readings, b.readings)
    assert a.leaks == b.leaks
    assert not a.readings.equals(c.readings)
    assert a.readings.shape == (576, len(sensors))
    assert a.start == T0 and a.end == T0 + 2 * DAY
    assert a.warnings == ()


def test_leaks_have_the_flow_and_shape_asked_for(steel: PipeNetwork) -> None:
    sensors = {"Q-PU-1": Sensor("flow", link="PU-1"), "D-sinter": Sensor("demand", node="sinter")}
    quiet = ScenarioSettings(demand_noise=0.0, roughness_uncertainty=0.0, flow_noise=0.0, flow_resolution=0.0)
    leaks = [
        Leak(
            Location("pipe", "P-sinter"), T0 + dt.timedelta(hours=6), T0 + dt.timedelta(hours=18), 8.0, id="A"
        ),
        Leak(
            Location("node", "boiler"),
            T0 + dt.timedelta(hours=2),
            None,
            4.0,
            "incipient",
            T0 + dt.timedelta(hours=14),
            "B",
        ),
    ]
    s = simulate_scenario(steel, sensors, leaks, start=T0, days=1, seed=1, settings=quiet)
    base = simulate_scenario(steel, sensors, [], start=T0, days=1, seed=1, settings=quiet)
    flows = s.leak_flows
    assert flows["A"].max() == pytest.approx(8.0, rel=0.05)  # sized at mean pressure, as simulated
    assert s.leaks[0].peak_flow == pytest.approx(flows["A"].max(), abs=1e-3)
    assert flows["A"].iloc[:72].max() == 0.0 and flows["A"].iloc[216:].max() == 0.0  # 06:00–18:00 only
    ramp = flows["B"].iloc[24:168].to_numpy()  # 02:00 to 14:00: growing
    assert ramp[0] == 0.0 and np.all(np.diff(ramp) > -0.01) and ramp[-1] > 3.5
    # the inflow meter sees the leaks on top of the demand; the customer meter does not
    extra = s.readings["Q-PU-1"] - base.readings["Q-PU-1"]
    assert extra.to_numpy() == pytest.approx((flows["A"] + flows["B"]).to_numpy(), abs=0.05)
    pd.testing.assert_series_equal(s.readings["D-sinter"], base.readings["D-sinter"])


def test_bad_scenarios(steel: PipeNetwork) -> None:
    sensors = place_sensors(steel)
    with pytest.raises(InvalidInputError, match="UTC offset"):
        simulate_scenario(steel, sensors, [], start=dt.datetime(2025, 1, 1), days=1)
    with pytest.raises(InvalidInputError, match="no node"):
        simulate_scenario(steel, {"P-x": Sensor("pressure", node="nowhere")}, [], start=T0, days=1)
    with pytest.raises(InvalidInputError, match="reservoir or tank"):
        simulate_scenario(steel, {"Q-x": Sensor("flow", node="iron")}, [], start=T0, days=1)
    with pytest.raises(InvalidInputError):
        ScenarioSettings(interval=7)
    with pytest.raises(InvalidInputError):
        ScenarioSettings(demand_noise=-0.1)
    leak = Leak(Location("node", "cwt"), T0, None, 1.0)
    with pytest.raises(InvalidInputError, match="junction"):
        simulate_scenario(steel, sensors, [leak], start=T0, days=1)
