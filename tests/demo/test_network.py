"""The demo plants' supply networks load and run in EPANET with plausible pressures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shuixiao.demo import DemoPark

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("index", range(6))
def test_networks_run_in_epanet(park: DemoPark, index: int, tmp_path: Path) -> None:
    wntr = pytest.importorskip("wntr")
    enterprise = park.enterprises[index]
    text = park.networks[enterprise.id]
    assert "[COORDINATES]" in text and "[PUMPS]" in text
    path = tmp_path / "network.inp"
    path.write_text(text, encoding="utf-8")
    wn = wntr.network.WaterNetworkModel(str(path))
    junctions = wn.junction_name_list
    assert 20 <= len(junctions) <= 60
    units = {u.id for u in enterprise.units}
    named = [j for j in junctions if not re.fullmatch(r"RM-\d\d", j)]
    assert len(named) >= 8 and set(named) <= units
    results = wntr.sim.EpanetSimulator(wn).run_sim(file_prefix=str(tmp_path / "run"))
    pressure = results.node["pressure"][junctions]
    assert pressure.to_numpy().min() > 15.0
    assert pressure.to_numpy().max() < 65.0
    demand = results.node["demand"][named].to_numpy()
    assert demand.sum() > 0
