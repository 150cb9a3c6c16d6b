"""District-metered areas from meter placement, and the zone balance.

The balance identity (inflow − metered consumption − storage = losses + unmetered use) is the DMA
water balance of Thornton, Sturm and Kunkel, *Water Loss Control* (2008), ch. 16; the L-Town areas
and sensors are those of BattLeDIM 2020 (``shared/reference/leak.md`` §1.1).
"""

from __future__ import annotations

import math
import os
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.leaks import PipeNetwork, Sensor, network_from_text, place_sensors, read_network
from shuixiao.leaks.zones import district_metered_areas, zone_balance
from tests.leaks.conftest import T0

pytestmark = pytest.mark.unit

LOOP_INP = """[TITLE]
A loop J1-J2-J3-J4 fed by R1 through P1 and by R2 through P6

[JUNCTIONS]
 J1  10  0
 J2  10  5
 J3  10  0
 J4  10  5

[RESERVOIRS]
 R1  60
 R2  55

[PIPES]
 P1  R1  J1  100  200  120  0  Open
 P2  J1  J2  200  200  120  0  Open
 P3  J2  J3  300  200  120  0  Open
 P4  J3  J4  400  200  120  0  Open
 P5  J4  J1  500  200  120  0  Open
 P6  R2  J3   50  150  120  0  Open

[OPTIONS]
 Units CMH
 Headloss H-W

[END]
"""

TANK_INP = """[TITLE]
R1 pumps through PU into J1-J2; tank T (diameter 10 m, levels 0.5-6 m) hangs on J2 by PT

[JUNCTIONS]
 J1  10  2
 J2  10  3

[RESERVOIRS]
 R1  10

[TANKS]
 T  40  3  0.5  6  10  0

[PIPES]
 P1  J1  J2  300  200  120  0  Open
 PT  T   J2  20   200  120  0  Open

[PUMPS]
 PU  R1  J1  HEAD  C1

[CURVES]
 C1  20  50

[OPTIONS]
 Units CMH
 Headloss H-W

[END]
"""

LEAK_INP = """[TITLE]
A tree with two metered branches: R-J1-J2, J2-J3-J4 (metered at P3), J2-J5 (metered at P5)

[JUNCTIONS]
 J1  10  4
 J2  10  0
 J3  10  0
 J4  10  6
 J5  10  3

[RESERVOIRS]
 R  60

[PIPES]
 P1  R   J1  100  200  120  0  Open
 P2  J1  J2  200  200  120  0  Open
 P3  J2  J3  150  200  120  0  Open
 P4  J3  J4  250  200  120  0  Open
 P5  J2  J5  400  150  120  0  Open

[EMITTERS]
 J3  0.5

[PATTERNS]
 1  0.6  0.8  1.0  1.3  1.1  0.7

[OPTIONS]
 Units CMH
 Headloss H-W
 Pattern 1

[TIMES]
 Duration 5:00
 Hydraulic Timestep 1:00
 Pattern Timestep 1:00
 Report Timestep 1:00

[END]
"""

TREE = {
    "Q-P1": Sensor("flow", link="P1"),
    "Q-P3": Sensor("flow", link="P3"),
    "Q-P5": Sensor("flow", link="P5"),
    "D-J1": Sensor("demand", node="J1"),
    "D-J4": Sensor("demand", node="J4"),
    "D-J5": Sensor("demand", node="J5"),
    "P-J4": Sensor("pressure", node="J4"),
}


@pytest.fixture(scope="module")
def tree() -> PipeNetwork:
    return network_from_text(LEAK_INP, name="tree")


@pytest.fixture(scope="module")
def loop() -> PipeNetwork:
    return network_from_text(LOOP_INP, name="loop")


@pytest.fixture(scope="module")
def tank() -> PipeNetwork:
    return network_from_text(TANK_INP, name="tank")


# --- zones ---------------------------------------------------------------------------------------


def test_tree_with_two_metered_branches(tree: PipeNetwork) -> None:
    zoning = district_metered_areas(tree, TREE)
    assert [z.id for z in zoning.zones] == ["DMA-Q-P1", "DMA-Q-P3", "DMA-Q-P5"]
    main, branch, spur = zoning.zones
    assert main.nodes == ("J1", "J2") and branch.nodes == ("J3", "J4") and spur.nodes == ("J5",)
    assert all(z.closed and z.reason is None for z in zoning.zones)
    assert [(m.sensor, m.sign, m.neighbour, m.source) for m in main.meters] == [
        ("Q-P1", 1, None, "R"),
        ("Q-P3", -1, "DMA-Q-P3", None),
        ("Q-P5", -1, "DMA-Q-P5", None),
    ]
    assert [(m.sensor, m.sign, m.neighbour) for m in branch.meters] == [("Q-P3", 1, "DMA-Q-P1")]
    # P1 in full, P2, half of the metered P3 and P5; the rest to the branches
    assert main.length == pytest.approx(100 + 200 + 75 + 200)
    assert branch.length == pytest.approx(75 + 250) and spur.length == pytest.approx(200)
    assert sum(z.length for z in zoning.zones) == pytest.approx(tree.total_length)
    assert main.customer_meters == ("D-J1",) and branch.customer_meters == ("D-J4",)
    assert branch.pressure_sensors == ("P-J4",)
    assert (main.connections, branch.connections, spur.connections) == (1, 1, 1)
    assert zoning.zone_of("J4") is branch and zoning.unused_meters == {}
    with pytest.raises(NotFoundError, match="zones hold junctions"):
        zoning.zone_of("R")


def test_loop_with_an_unmetered_boundary_and_an_interior_meter(loop: PipeNetwork) -> None:
    sensors = {"Q-P1": Sensor("flow", link="P1"), "Q-P3": Sensor("flow", link="P3")}
    zoning = district_metered_areas(loop, sensors)
    (zone,) = zoning.zones
    assert zone.id == "DMA-Q-P1" and zone.nodes == ("J1", "J2", "J3", "J4")
    assert not zone.closed
    assert [(u.link, u.source) for u in zone.unmetered] == [("P6", "R2")]
    assert zone.reason == "reservoir R2 is linked by P6 without a meter"
    assert zone.interior_meters == ("Q-P3",)  # both ends in the zone: it bounds nothing
    assert [m.sensor for m in zone.meters] == ["Q-P1"]
    with pytest.raises(InvalidInputError, match="open"):
        zone_balance(zone, pd.DataFrame())


def test_metering_the_second_source_closes_the_loop(loop: PipeNetwork) -> None:
    sensors = {"Q-P1": Sensor("flow", link="P1"), "Q-R2": Sensor("flow", node="R2")}
    (zone,) = district_metered_areas(loop, sensors).zones
    assert zone.closed
    assert [(m.sensor, m.links, m.sign, m.source) for m in zone.meters] == [
        ("Q-P1", ("P1",), 1, "R1"),
        ("Q-R2", ("P6",), 1, "R2"),
    ]


def test_a_source_meter_is_not_counted_twice(loop: PipeNetwork) -> None:
    sensors = {
        "Q-P6": Sensor("flow", link="P6"),
        "Q-R2": Sensor("flow", node="R2"),
        "Q-P6b": Sensor("flow", link="P6"),
    }
    zoning = district_metered_areas(loop, sensors)
    assert zoning.unused_meters == {
        "Q-P6b": "link P6 is measured by Q-P6 already",
        "Q-R2": "reservoir R2 has meters on its links (P6)",
    }
    assert zoning.zones[0].reason == "reservoir R1 is linked by P1 without a meter"


def test_a_tank_without_level_sensor_leaves_the_zone_open(tank: PipeNetwork) -> None:
    (zone,) = district_metered_areas(tank, {"Q-PU": Sensor("flow", link="PU")}).zones
    assert zone.id == "DMA-Q-PU" and not zone.closed
    assert zone.reason == "tank T is linked by PT without a meter"
    assert zone.tanks == ()


def test_a_tank_with_a_level_sensor_joins_the_zone(tank: PipeNetwork) -> None:
    sensors = {"Q-PU": Sensor("flow", link="PU"), "L-T": Sensor("pressure", node="T")}
    (zone,) = district_metered_areas(tank, sensors).zones
    assert zone.closed and zone.nodes == ("J1", "J2")
    assert [(t.tank, t.sensor) for t in zone.tanks] == [("T", "L-T")]
    assert zone.pressure_sensors == ()  # a level sensor gives storage, not zone pressure
    assert zone.length == pytest.approx(320.0)  # PT joins the zone with its tank


def test_a_tank_with_every_link_metered_stays_outside(tank: PipeNetwork) -> None:
    sensors = {
        "Q-PU": Sensor("flow", link="PU"),
        "Q-PT": Sensor("flow", link="PT"),
        "L-T": Sensor("pressure", node="T"),
    }
    (zone,) = district_metered_areas(tank, sensors).zones
    assert zone.closed and zone.tanks == ()
    assert [(m.sensor, m.sign, m.source) for m in zone.meters] == [("Q-PT", 1, "T"), ("Q-PU", 1, "R1")]


def test_no_flow_sensor_gives_one_open_zone(tree: PipeNetwork) -> None:
    zoning = district_metered_areas(tree, {"P-J4": Sensor("pressure", node="J4")})
    (zone,) = zoning.zones
    assert zone.id == "DMA@J1" and len(zone.nodes) == 5 and not zone.closed
    assert zone.reason == "reservoir R is linked by P1 without a meter"
    assert zone.length == pytest.approx(tree.total_length)


def test_a_sensor_on_an_unknown_link_is_refused(tree: PipeNetwork) -> None:
    with pytest.raises(InvalidInputError, match="no link 'P9'"):
        district_metered_areas(tree, {"Q-P9": Sensor("flow", link="P9")})


def test_names_by_zone_id_or_junction(tree: PipeNetwork) -> None:
    zoning = district_metered_areas(tree, TREE, names={"DMA-Q-P3": "高炉区", "J5": "spur"})
    assert [z.id for z in zoning.zones] == ["DMA-Q-P1", "spur", "高炉区"]
    assert [m.neighbour for m in zoning.zone("DMA-Q-P1").meters] == [None, "高炉区", "spur"]
    with pytest.raises(NotFoundError, match="DMA-Q-P3"):
        zoning.zone("DMA-Q-P3")


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ({"J9": "x"}, "neither a zone id"),
        ({"DMA-Q-P3": "a", "J4": "b"}, "two names"),
        ({"DMA-Q-P3": "DMA-Q-P1"}, "both be called"),
    ],
)
def test_bad_names(tree: PipeNetwork, names: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        district_metered_areas(tree, TREE, names=names)


def test_demo_steel_works_is_one_zone_with_its_supply_meter(steel: PipeNetwork) -> None:
    zoning = district_metered_areas(steel, place_sensors(steel))
    (zone,) = zoning.zones
    assert zone.id == "DMA-Q-PU-1" and zone.closed
    assert len(zone.nodes) == len(steel.junctions)
    assert len(zone.customer_meters) == zone.connections


def test_demo_steel_works_with_its_workshop_meters() -> None:
    from shuixiao.demo import DemoConfig, build_park
    from shuixiao.demo._network import network_sensors

    park = build_park(DemoConfig(enterprises=1, days=1))
    (plant,) = park.enterprises
    net = network_from_text(park.networks[plant.id], name=plant.id)
    # the plant's level-2 meters on fresh water from the network root measure the workshop branches
    zoning = district_metered_areas(net, network_sensors(plant, net))
    assert [z.id for z in zoning.zones] == [
        "DMA-FT-2002",
        "DMA-FT-2003",
        "DMA-FT-2004",
        "DMA-FT-2005",
        "DMA-Q-PU-1",
    ]
    assert all(z.closed for z in zoning.zones) and zoning.unused_meters == {}
    ring = zoning.zone("DMA-Q-PU-1")
    assert all(n.startswith("RM-") for n in ring.nodes) and ring.connections == 0
    assert [(m.sensor, m.sign) for m in ring.meters] == [
        ("FT-2002", -1),
        ("FT-2003", -1),
        ("FT-2004", -1),
        ("FT-2005", -1),
        ("Q-PU-1", 1),
    ]
    assert zoning.zone_of("iron").id == "DMA-FT-2002"
    assert sum(z.length for z in zoning.zones) == pytest.approx(net.total_length)
    assert all(len(z.customer_meters) == z.connections for z in zoning.zones)


def _l_town() -> PipeNetwork:
    path = os.environ.get("SHUIXIAO_LTOWN_INP")
    if path:
        return read_network(Path(path))
    try:
        return read_network(resources.files("epyt").joinpath("networks/L-TOWN.inp"))  # type: ignore[arg-type]
    except ModuleNotFoundError:
        reason = "L-Town needs epyt or SHUIXIAO_LTOWN_INP=L-TOWN.inp (./scripts/test fetches it)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; required when CI=true", pytrace=False)
        pytest.skip(reason)


@pytest.mark.integration
def test_l_town_battledim_flow_sensors_give_areas_ab_and_c() -> None:
    net = _l_town()
    sensors = {f"Q-{k}": Sensor("flow", link=k) for k in ("PUMP_1", "p227", "p235")}
    sensors["L-T1"] = Sensor("pressure", node="T1")
    c, ab = district_metered_areas(net, sensors).zones  # sorted by id: "PUMP_1" < "p227"
    # Area C: fed by PUMP_1 through tank T1; its 92 junctions n1-n45 and n343-n389 are the AMR area
    assert c.id == "DMA-Q-PUMP_1" and c.closed and [t.tank for t in c.tanks] == ["T1"]
    assert set(c.nodes) == {f"n{i}" for i in (*range(1, 46), *range(343, 390))}
    # Areas A and B: R1 and R2 through p227 and p235, PUMP_1 out; the PRVs between them carry no meter
    assert ab.id == "DMA-Q-p227" and ab.closed and len(ab.nodes) == 782 - 92
    assert [(m.sensor, m.sign) for m in ab.meters] == [("Q-PUMP_1", -1), ("Q-p227", 1), ("Q-p235", 1)]
    assert ab.length + c.length == pytest.approx(net.total_length)


# --- balance -------------------------------------------------------------------------------------


def _simulate(net: PipeNetwork, folder: Path) -> tuple[pd.DataFrame, pd.Series]:
    """EPANET run of the tree: readings of TREE and the emitter (leak) flow at J3. [m³/h]"""
    import wntr

    result = wntr.sim.EpanetSimulator(net.model()).run_sim(file_prefix=str(folder / "zones"))
    flow = result.link["flowrate"] * 3600.0
    demand = result.node["demand"] * 3600.0
    index = pd.DatetimeIndex([T0 + pd.Timedelta(seconds=int(s)) for s in flow.index])
    readings = pd.DataFrame(
        {
            sid: (flow[s.link] if s.type == "flow" else demand[s.node]).to_numpy()
            for sid, s in TREE.items()
            if s.type != "pressure"
        },
        index=index,
    )
    readings["P-J4"] = result.node["pressure"]["J4"].to_numpy()
    return readings, pd.Series(demand["J3"].to_numpy(), index=index)


@pytest.mark.integration
def test_zone_balance_finds_a_simulated_leak(tree: PipeNetwork, tmp_path: Path) -> None:
    readings, leak = _simulate(tree, tmp_path)
    assert leak.min() > 1.0  # the emitter at J3 leaks a few m³/h
    zoning = district_metered_areas(tree, TREE)
    branch = zone_balance(zoning.zone("DMA-Q-P3"), readings)
    # J3 has no demand: the branch's residual is the emitter flow
    np.testing.assert_allclose(branch.residual.to_numpy(), leak.to_numpy(), atol=1e-3)
    for other in ("DMA-Q-P1", "DMA-Q-P5"):
        assert np.abs(zone_balance(zoning.zone(other), readings).residual.to_numpy()).max() < 1e-3
    # six hourly readings (0-5 h), each standing for the hour to the next, the last for the median hour
    assert branch.hours == pytest.approx(6.0)
    assert branch.residual_volume == pytest.approx(float(leak.sum()) * 1.0, abs=1e-2)
    assert branch.water_balance is not None
    assert branch.water_balance.real_losses == pytest.approx(branch.residual_volume)
    assert branch.pressure == pytest.approx(float(readings["P-J4"].mean()))


def test_zone_balance_with_tank_storage(tank: PipeNetwork) -> None:
    sensors = {
        "Q-PU": Sensor("flow", link="PU"),
        "L-T": Sensor("pressure", node="T"),
        "D-J1": Sensor("demand", node="J1"),
        "D-J2": Sensor("demand", node="J2"),
    }
    (zone,) = district_metered_areas(tank, sensors).zones
    area = math.pi * 10.0**2 / 4.0  # cylinder of 10 m diameter [m²]
    index = pd.date_range(T0, periods=5, freq="30min")
    rise = 3.0 / area  # level rise per hour for 3 m³/h into the tank [m/h]
    readings = pd.DataFrame(
        {
            "Q-PU": 10.0,
            "D-J1": 2.5,
            "D-J2": 3.5,
            "L-T": 2.0 + rise * np.arange(5) * 0.5,
        },
        index=index,
    )
    balance = zone_balance(zone, readings)
    # 10 in − 6 metered − 3 stored = 1 m³/h; the last instant has no storage rate
    np.testing.assert_allclose(balance.storage.to_numpy()[:-1], 3.0)
    np.testing.assert_allclose(balance.residual.to_numpy()[:-1], 1.0)
    assert balance.complete == pytest.approx(0.8)
    assert balance.hours == pytest.approx(2.0)
    assert balance.storage_volume == pytest.approx(6.0)
    assert balance.system_input_volume == pytest.approx(20.0 - 6.0)
    assert balance.residual_volume == pytest.approx(2.0)


def test_zone_minimum_night_flow_and_ili(tree: PipeNetwork) -> None:
    zone = district_metered_areas(tree, TREE).zone("DMA-Q-P3")
    index = pd.date_range(T0, periods=48 * 4, freq="15min")
    night = (index.hour >= 1) & (index.hour < 5)
    use = np.where(night, 1.0, 6.0)
    readings = pd.DataFrame({"Q-P3": use + 0.5, "D-J4": use, "P-J4": 40.0}, index=index)
    balance = zone_balance(zone, readings, check_validity=False)
    assert balance.minimum_night_flow.tolist() == pytest.approx([1.5, 1.5])
    assert balance.net_night_flow.tolist() == pytest.approx([0.5, 0.5])
    days = 2.0
    # Lambert et al. (1999): UARL = (18 Lm + 0.8 Nc) P / 1000 [m³/d]
    uarl = (18.0 * zone.length / 1000.0 + 0.8 * 1) * 40.0 / 1000.0 * days
    assert balance.unavoidable_real_losses == pytest.approx(uarl)
    assert balance.infrastructure_leakage_index == pytest.approx(0.5 * 48.0 / uarl)
    # inside its validity only, the plant-sized zone has no UARL
    assert math.isnan(zone_balance(zone, readings).infrastructure_leakage_index)
    document = balance.to_dict()
    assert document["residual_m3"] == pytest.approx(24.0) and document["ili"] == pytest.approx(
        balance.infrastructure_leakage_index, abs=1e-3
    )


def test_zone_balance_needs_the_zones_meters(tree: PipeNetwork) -> None:
    zone = district_metered_areas(tree, TREE).zone("DMA-Q-P3")
    index = pd.date_range(T0, periods=3, freq="1h")
    with pytest.raises(InvalidInputError, match="no readings for D-J4"):
        zone_balance(zone, pd.DataFrame({"Q-P3": 1.0}, index=index))
    with pytest.raises(InvalidInputError, match="DatetimeIndex"):
        zone_balance(zone, pd.DataFrame({"Q-P3": [1.0, 2.0], "D-J4": [0.5, 0.5]}))
    with pytest.raises(InvalidInputError, match="at least two"):
        zone_balance(zone, pd.DataFrame({"Q-P3": [1.0], "D-J4": [0.5]}, index=index[:1]))


def test_missing_readings_leave_instants_out(tree: PipeNetwork) -> None:
    zone = district_metered_areas(tree, TREE).zone("DMA-Q-P5")
    index = pd.date_range(T0, periods=4, freq="1h")
    readings = pd.DataFrame({"Q-P5": [3.0, np.nan, 3.0, 3.0], "D-J5": 2.0}, index=index)
    balance = zone_balance(zone, readings)
    assert balance.complete == pytest.approx(0.75)
    assert balance.residual_volume == pytest.approx(3.0)
    readings["Q-P5"] = np.nan
    with pytest.raises(InvalidInputError, match="no reading instant at which all of Q-P5, D-J5 read"):
        zone_balance(zone, readings)
