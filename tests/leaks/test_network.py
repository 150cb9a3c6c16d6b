"""Networks read from INP files and BattLeDIM pipe distances."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.leaks import Location, PipeNetwork, read_network

pytestmark = pytest.mark.unit


def test_net3_as_in_the_reference(net3: PipeNetwork) -> None:
    # shared/reference/leak.md §3.2: 97 nodes (92/2/3), 119 links (117/2/0), 65.7 km
    assert (len(net3.nodes), len(net3.junctions), len(net3.sources)) == (97, 92, 5)
    assert (len(net3.links), len(net3.pipes)) == (119, 117)
    assert net3.total_length / 1000 == pytest.approx(65.7, abs=0.05)
    assert net3.link_kind("10") == "pump" and net3.length("10") == 0.0
    assert net3.node_kind("River") == "reservoir" and net3.node_kind("1") == "tank"


def test_distances_follow_the_battledim_rule(line: PipeNetwork) -> None:
    pipe = lambda p: Location("pipe", p)  # noqa: E731
    node = lambda n: Location("node", n)  # noqa: E731
    assert line.distance(pipe("P2"), pipe("P2")) == 0.0
    # adjacent pipes share J2: 0 + 200/2 + 150/2
    assert line.distance(pipe("P2"), pipe("P3")) == pytest.approx(175.0)
    # P1 (R–J1) to P4 (J3–J4): J1→J3 = 350 m, plus 50 + 125
    assert line.distance(pipe("P1"), pipe("P4")) == pytest.approx(525.0)
    assert line.distance(pipe("P4"), pipe("P5")) == pytest.approx(150 + 125 + 200)
    assert line.distance(node("J1"), node("J4")) == pytest.approx(600.0)
    assert line.distance(node("J5"), pipe("P2")) == pytest.approx(400 + 100)
    assert line.node_distance("J4", "J1") == line.node_distance("J1", "J4")


def test_lookups(line: PipeNetwork) -> None:
    assert line.inflow_links() == ["P1"]
    assert line.link_nodes("P3") == ("J2", "J3")
    assert sorted(line.pipes_at("J2")) == ["P2", "P3", "P5"]
    assert line.location("pipe", "P2") == Location("pipe", "P2")
    assert line.demand("J1") == pytest.approx(5.0)
    assert len(line.fingerprint) == 64
    with pytest.raises(NotFoundError):
        line.location("pipe", "P9")
    with pytest.raises(NotFoundError):
        line.node_distance("J1", "nowhere")
    with pytest.raises(InvalidInputError):
        line.location("valve", "P1")
    assert "5 pipes" in repr(line)


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read"):
        read_network(tmp_path / "missing.inp")
    bad = tmp_path / "bad.inp"
    bad.write_text("[JUNCTIONS]\n J1 x y\n[END]\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not a valid EPANET INP file"):
        read_network(bad)


def test_tank_volume_tables(net3: PipeNetwork) -> None:
    # Net3.inp, [TANKS]: tank 1 has a diameter of 85 ft and levels 0.1–32.1 ft (a cylinder)
    levels, volumes = net3.tank_table("1")
    foot = 0.3048
    area = math.pi * (85 * foot) ** 2 / 4.0
    np.testing.assert_allclose(levels, [0.1 * foot, 32.1 * foot])
    np.testing.assert_allclose(volumes, area * levels)
    with pytest.raises(InvalidInputError, match="not a tank"):
        net3.tank_table("River")
    with pytest.raises(NotFoundError):
        net3.tank_table("T9")
    bare = PipeNetwork("bare", "", {"J": "junction", "T": "tank"}, {}, {})
    with pytest.raises(InvalidInputError, match="no geometry"):
        bare.tank_table("T")


def test_tank_volume_curve_is_used(tmp_path: Path) -> None:
    path = tmp_path / "curve.inp"
    path.write_text(
        "[JUNCTIONS]\n J1 0 1\n[TANKS]\n T 10 2 0 4 5 0 VC\n[PIPES]\n P1 T J1 100 200 120 0 Open\n"
        "[CURVES]\n VC 0 0\n VC 2 30\n VC 4 100\n[OPTIONS]\n Units CMH\n[END]\n",
        encoding="utf-8",
    )
    levels, volumes = read_network(path).tank_table("T")
    assert levels.tolist() == [0.0, 2.0, 4.0] and volumes.tolist() == [0.0, 30.0, 100.0]
