"""Networks shared by the leak tests: a demo plant's supply network, Net3 and a hand-made line."""

from __future__ import annotations

import datetime as dt
from importlib import resources

import pytest

from shuixiao.leaks import PipeNetwork, network_from_text, read_network

CST = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2025, 1, 1, tzinfo=CST)

LINE_INP = """[TITLE]
A small tree: reservoir R, a line J1-J4 (100, 200, 150, 250 m) and a branch J2-J5 (400 m)

[JUNCTIONS]
 J1  10  5
 J2  10  5
 J3  10  5
 J4  10  5
 J5  10  5

[RESERVOIRS]
 R  60

[PIPES]
 P1  R   J1  100  200  120  0  Open
 P2  J1  J2  200  200  120  0  Open
 P3  J2  J3  150  200  120  0  Open
 P4  J3  J4  250  200  120  0  Open
 P5  J2  J5  400  150  120  0  Open

[OPTIONS]
 Units CMH
 Headloss H-W

[TIMES]
 Duration 24:00
 Hydraulic Timestep 1:00

[END]
"""


@pytest.fixture(scope="session")
def line() -> PipeNetwork:
    """A tree of five junctions fed by a reservoir (lengths chosen for hand-checked distances)."""
    return network_from_text(LINE_INP, name="line")


@pytest.fixture(scope="session")
def net3() -> PipeNetwork:
    """EPANET's Net3 as shipped with wntr (92 junctions, 2 reservoirs, 3 tanks)."""
    return read_network(resources.files("wntr").joinpath("library/networks/Net3.inp"))


@pytest.fixture(scope="session")
def steel() -> PipeNetwork:
    """The fresh-water supply network of the demo steel works (junction ids are unit ids)."""
    from shuixiao.demo import DemoConfig, build_park

    park = build_park(DemoConfig(enterprises=1, days=1))
    return network_from_text(park.networks["ronghu-steel"], name="ronghu-steel")
