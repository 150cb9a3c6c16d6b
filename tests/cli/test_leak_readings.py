"""``shuixiao leak readings``: the stored meter data of an enterprise as leak readings, and its errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from shuixiao.demo import DemoConfig, build_park, simulate
from shuixiao.demo._network import meter_readings
from shuixiao.leaks import Sensor, read_readings, read_sensors, write_sensors

pytestmark = pytest.mark.integration

CONFIG = DemoConfig(enterprises=1, days=3)
PLANT = "ronghu-steel"


def _built(run) -> Path:  # type: ignore[no-untyped-def]
    run("db", "upgrade")
    status, _, err = run("demo", "build", "--days", "3", "--enterprises", "1")
    assert status == 0, err
    return Path("data") / "demo" / "networks" / f"{PLANT}.meters.yaml"


def test_exports_the_stored_aggregates_as_the_detector_reads_them(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    meters = _built(run)
    sensors = read_sensors(meters)
    # the header pressure of the clear-water pumps (MPa) as a pressure sensor at the first tee
    sensors["PT-3301"] = Sensor("pressure", node="RM-01")
    write_sensors(sensors, tmp_path / "with-pressure.yaml")
    period = ("--from", "2025-01-01", "--to", "2025-01-04")
    status, out, err = run("--lang", "en", "leak", "readings", "--enterprise", PLANT,
                           "--sensors", "with-pressure.yaml", *period, "--out", "r.csv")  # fmt: skip
    assert status == 0, err
    assert f"Wrote 288 intervals of {len(sensors)} sensors to r.csv" in out
    exported = read_readings(tmp_path / "r.csv", sensors)

    # the same as the simulation's own aggregates through meter_readings (CSV keeps 6 digits)
    park = build_park(CONFIG)
    (data,) = simulate(park, CONFIG)
    flows = {k: v for k, v in sensors.items() if k != "PT-3301"}
    expected = meter_readings(data, flows, CONFIG)
    assert list(exported.index) == list(expected.index)
    np.testing.assert_allclose(
        exported[list(flows)].to_numpy(), expected.to_numpy(), rtol=1e-5, equal_nan=True
    )
    # a leak engine flow in m³/h: the steel works' supply is hundreds of m³/h
    assert 100 < float(exported["FT-2001"].median()) < 5000
    # pressure as m head: the demo header pressure is 0.3-0.6 MPa, 30-60 m
    assert 25 < float(exported["PT-3301"].median()) < 65


def test_refuses_what_it_cannot_export(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    meters = _built(run)
    base = ("leak", "readings", "--enterprise", PLANT, "--out", "r.csv")
    period = ("--from", "2025-01-01", "--to", "2025-01-02")

    write_sensors({"P-yard": Sensor("pressure", node="yard")}, tmp_path / "synthetic.yaml")
    status, _, err = run(*base, "--sensors", "synthetic.yaml", *period)
    assert status == 1 and "P-yard are not meters of enterprise ronghu-steel" in err and "meters.yaml" in err

    write_sensors({"FT-2002": Sensor("pressure", node="iron")}, tmp_path / "wrong-type.yaml")
    status, _, err = run(*base, "--sensors", "wrong-type.yaml", *period)
    assert status == 1 and "sensor FT-2002 is a pressure sensor but meter FT-2002 measures volume" in err

    status, _, err = run(*base, "--sensors", str(meters), "--from", "2025-01-02", "--to", "2025-01-01")
    assert status == 1 and "must be before --to" in err

    status, _, err = run(*base, "--sensors", str(meters), "--from", "2024-01-01", "--to", "2024-01-02")
    assert status == 1 and "has no PT15M aggregates" in err

    status, _, err = run(*base, "--sensors", str(meters), "--from", "yesterday", "--to", "2025-01-02")
    assert status == 1 and "not an ISO date" in err
    assert not (tmp_path / "r.csv").exists()
